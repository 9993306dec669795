"""The one action programme (decision 2019-DC-0660): every action from every source in one
list, with its owner, due date, status, evidence and effectiveness check.

Sources: ``nrd`` (corrective actions of an NRD evaluation), ``event`` (systemic analyses),
``followup`` (follow-up decisions of high-dose alerts), ``risk`` (risk-map treatments),
``audit`` (clinical-audit findings), ``inspection`` (inspection follow-up letters, by hand).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from kerma.notices import Notice, notice
from kerma.quality import wording as w
from kerma.quality.dates import days_late

SOURCES = ("nrd", "event", "followup", "risk", "audit", "inspection")

PLANNED, IN_PROGRESS, DONE, CANCELLED = "planned", "in_progress", "done", "cancelled"
STATUSES = (PLANNED, IN_PROGRESS, DONE, CANCELLED)
CLOSED = frozenset({DONE, CANCELLED})


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One action of the programme, whatever its source (``ref`` identifies it there)."""

    source: str
    ref: str
    title: str
    owner: str
    due_on: date | None
    status: str
    done_on: date | None = None
    unit: str = ""
    effectiveness_checked: bool = False
    evidence: bool = False
    evidence_name: str = ""  # the attached document's file name
    effectiveness_check: str = ""  # what was checked, and what it showed
    effectiveness_checked_on: date | None = None

    def overdue(self, today: date) -> bool:
        """True when still open and ``today`` is after its due date (late from the next day)."""
        return self.status not in CLOSED and days_late(self.due_on, today) > 0

    def as_dict(self, today: date) -> dict[str, object]:
        """Return the JSON form: ``source``, ``ref``, ``title``, ``owner``, ``due_on``,
        ``status``, ``done_on`` (ISO dates or null), ``overdue``, ``unit``, ``evidence`` (a
        document is attached), ``evidence_name``, ``effectiveness_checked``,
        ``effectiveness_check``, ``effectiveness_checked_on``."""
        return {
            "source": self.source,
            "ref": self.ref,
            "title": self.title,
            "owner": self.owner,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "status": self.status,
            "done_on": self.done_on.isoformat() if self.done_on else None,
            "overdue": self.overdue(today),
            "unit": self.unit,
            "effectiveness_checked": self.effectiveness_checked,
            "effectiveness_check": self.effectiveness_check,
            "effectiveness_checked_on": (
                self.effectiveness_checked_on.isoformat() if self.effectiveness_checked_on else None
            ),
            "evidence": self.evidence,
            "evidence_name": self.evidence_name,
        }


def status_of(done: bool, started: bool = False, cancelled: bool = False) -> str:
    """Return the programme status of an action from its source's flags."""
    if cancelled:
        return CANCELLED
    if done:
        return DONE
    return IN_PROGRESS if started else PLANNED


def ordered(items: Iterable[ActionItem], today: date) -> list[ActionItem]:
    """Return the programme in reading order: overdue first, then open by due date (undated
    last), then closed ones, most recently done first."""
    def key(item: ActionItem) -> tuple:
        closed = item.status in CLOSED
        due = item.due_on or date.max
        done = -(item.done_on.toordinal()) if item.done_on else 0
        return (not item.overdue(today), closed, done if closed else 0, due, item.source, item.ref)

    return sorted(items, key=key)


def findings(item: ActionItem, today: date) -> list[Notice]:
    """Return the reminders about ``item``: overdue, or done without its effectiveness check."""
    if item.overdue(today):
        assert item.due_on is not None
        return [
            notice(
                w.ACTION_OVERDUE,
                title=item.title,
                owner=item.owner,
                due=item.due_on.isoformat(),
                days=days_late(item.due_on, today),
            )
        ]
    if item.status == DONE and not item.effectiveness_checked:
        return [notice(w.EFFECTIVENESS_DUE, title=item.title)]
    return []
