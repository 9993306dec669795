"""Equipment and quality control: due dates from periodicities, overdue, the acceptance test.

Kerma ships **no** periodicity: the unit enters each one per device type and kind of control
with the ANSM decision it comes from (e.g. the decision on the quality control of CT scanners),
and :class:`Periodicity` refuses one without its source. A control is overdue from the day after
its due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kerma.notices import Notice, notice
from kerma.quality import wording as w
from kerma.quality.dates import add_months, days_late

# Kinds of recurring work on a device (the unit may use others: kinds are plain text).
INTERNAL_QC = "internal_qc"
EXTERNAL_QC = "external_qc"
MAINTENANCE = "maintenance"
KINDS = (INTERNAL_QC, EXTERNAL_QC, MAINTENANCE)


@dataclass(frozen=True, slots=True)
class Periodicity:
    """How often ``kind`` is done on devices of ``device_type``: every ``months`` calendar months
    plus ``days`` days, as the cited ``source`` (an ANSM decision, a contract) says."""

    device_type: str
    kind: str
    months: int = 0
    days: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError(
                f"periodicity of {self.kind} on {self.device_type} has no source: "
                "Kerma stores no periodicity it cannot cite"
            )
        if self.months < 0 or self.days < 0 or self.months + self.days == 0:
            raise ValueError(f"periodicity of {self.kind} on {self.device_type} must be > 0")

    def after(self, day: date) -> date:
        """Return the date the next one is due when the last one was done on ``day``."""
        return add_months(day, self.months) + timedelta(days=self.days)


@dataclass(frozen=True, slots=True)
class Due:
    """Where one recurring control or maintenance of a device stands on a given day."""

    kind: str
    last_done: date | None
    next_due: date | None
    overdue: bool
    days_late: int
    source: str
    notices: tuple[Notice, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form: ``kind``, ``last_done``, ``next_due`` (ISO dates or null),
        ``overdue``, ``days_late``, ``source``."""
        return {
            "kind": self.kind,
            "last_done": self.last_done.isoformat() if self.last_done else None,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "overdue": self.overdue,
            "days_late": self.days_late,
            "source": self.source,
        }


def next_due(periodicity: Periodicity, last_done: date | None, start: date | None) -> date | None:
    """Return the due date of the next ``periodicity.kind``: one period after the last one done,
    or, when none was ever done, one period after ``start`` (the acceptance test or the
    commissioning, from which the periodic controls run); None when neither is known."""
    anchor = last_done or start
    return periodicity.after(anchor) if anchor is not None else None


def due(
    periodicity: Periodicity,
    last_done: date | None,
    today: date,
    *,
    start: date | None = None,
    device: str = "",
) -> Due:
    """Return where ``periodicity.kind`` of a device stands on ``today`` (overdue from the day
    after its due date; a control never done and without a start date is reported, not late)."""
    when = next_due(periodicity, last_done, start)
    late = days_late(when, today)
    found: list[Notice] = []
    if when is None:
        found.append(notice(w.CONTROL_NEVER_DONE, kind=periodicity.kind, device=device))
    elif late:
        found.append(
            notice(
                w.CONTROL_OVERDUE,
                kind=periodicity.kind,
                device=device,
                due=when.isoformat(),
                days=late,
            )
        )
    return Due(
        kind=periodicity.kind,
        last_done=last_done,
        next_due=when,
        overdue=late > 0,
        days_late=late,
        source=periodicity.source,
        notices=tuple(found),
    )


def clinical_use_problems(
    device: str,
    acceptance_test_on: date | None,
    *,
    conforming: bool = True,
    use_on: date | None = None,
) -> list[Notice]:
    """Return why ``device`` may not be marked in clinical use (empty: it may).

    The acceptance test (essai de réception, decision 2019-DC-0660: devices are verified after
    it, before use) must be recorded, conforming, and dated no later than the first clinical
    use ``use_on`` (when given).
    """
    if acceptance_test_on is None:
        return [notice(w.NO_ACCEPTANCE_TEST, device=device)]
    if not conforming:
        on = acceptance_test_on.isoformat()
        return [notice(w.ACCEPTANCE_TEST_NOT_CONFORMING, device=device, on=on)]
    if use_on is not None and use_on < acceptance_test_on:
        return [
            notice(
                w.ACCEPTANCE_TEST_IN_FUTURE,
                device=device,
                on=acceptance_test_on.isoformat(),
                use_on=use_on.isoformat(),
            )
        ]
    return []
