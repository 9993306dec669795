"""Alert rules: which dose indicators of a procedure, or of a patient's procedures within the
window, reach the unit's thresholds. Pure: plain records in, findings out; the shell gathers
the procedures from the database and records the alerts.

A value **reaches** a threshold when it is greater than or equal to it (5 000 mGy against a
5 000 mGy level raises the alert; 4 999.9 does not). A procedure is cumulated with the same
patient's earlier projection procedures whose study date is at most ``window_days`` days before
its own: with a 60-day window, procedures 59 and 60 days apart add up, 61 days apart do not.
Procedures of the same day count up to the anchor only (a later procedure cumulates the earlier
ones). A cumulated alert needs at least two procedures; its peak skin dose is the sum of the
procedures' peak skin doses, an upper bound (the peaks may lie on different skin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

# Indicators and their units: Ka,r mGy, DAP Gy·cm², fluoroscopy time s, peak skin dose mGy.
QUANTITIES = ("kar", "dap", "fluoro_time", "psd")

Thresholds = Callable[[str], float | None]
"""A unit's threshold of a quantity in its unit (None: that alert is off)."""


@dataclass(frozen=True)
class Finding:
    """A value that reached its threshold (what an alert records)."""

    scope: str
    quantity: str
    value: float
    threshold: float
    window_days: int | None = None
    exam_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Procedure:
    """One projection procedure of a patient, its indicators in the units of :data:`QUANTITIES`."""

    exam_id: int
    study_date: date
    study_time: time | None
    values: Mapping[str, float | None]

    def order(self) -> tuple[date, time, int]:
        """Return the key that orders procedures in time (unknown time first in its day)."""
        return (self.study_date, self.study_time or time.min, self.exam_id)


def reaches(value: float | None, threshold: float | None) -> bool:
    """True when ``value`` is at or above ``threshold`` (both known)."""
    return value is not None and threshold is not None and value >= threshold


def procedure_findings(
    values: Mapping[str, float | None], threshold_of: Thresholds
) -> list[Finding]:
    """Return the per-procedure indicators among ``values`` that reach their thresholds."""
    found = []
    for quantity in QUANTITIES:
        value, threshold = values.get(quantity), threshold_of(quantity)
        if reaches(value, threshold):
            found.append(Finding("procedure", quantity, float(value), float(threshold)))
    return found


def window_start(anchor_day: date, window_days: int) -> date:
    """Return the first study date that cumulates with a procedure of ``anchor_day``."""
    return anchor_day - timedelta(days=window_days)


def window_end(first_day: date, window_days: int) -> date:
    """Return the last study date whose window still includes a procedure of ``first_day``."""
    return first_day + timedelta(days=window_days)


def in_window(
    anchor: Procedure, procedures: Iterable[Procedure], window_days: int
) -> list[Procedure]:
    """Return the procedures cumulated with ``anchor`` (itself included), oldest first: those
    from ``window_days`` days before its day up to it; on its own day, those not after it."""
    first = window_start(anchor.study_date, window_days)
    kept = [
        p
        for p in procedures
        if first <= p.study_date <= anchor.study_date
        and not (p.study_date == anchor.study_date and p.order() > anchor.order())
    ]
    return sorted(kept, key=Procedure.order)


def cumulative_findings(
    procedures: Sequence[Procedure], threshold_of: Thresholds, window_days: int
) -> list[Finding]:
    """Return the cumulated indicators of ``procedures`` (one window, see :func:`in_window`)
    that reach their thresholds; none with fewer than two procedures."""
    if len(procedures) < 2:
        return []
    ids = tuple(p.exam_id for p in procedures)
    found = []
    for quantity in QUANTITIES:
        known = [v for p in procedures if (v := p.values.get(quantity)) is not None]
        total = sum(known) if known else None
        threshold = threshold_of(quantity)
        if reaches(total, threshold):
            found.append(
                Finding("cumulative", quantity, float(total), float(threshold), window_days, ids)
            )
    return found
