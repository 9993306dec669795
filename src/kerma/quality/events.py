"""The event register (REX): which events get a systemic analysis, which are declared to the
authority and by when, and the periodic review of the register.

Decision 2019-DC-0660 asks the unit to define how often events are analysed and how the events
needing a systemic analysis are selected; declaration criteria and deadlines come from the
authority's guidance the unit follows. Both are **data the unit enters with their source**
(:class:`Criterion`); Kerma ships none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from kerma.notices import Notice, notice
from kerma.quality import wording as w
from kerma.quality.dates import add_months, days_late

ANALYSIS = "analysis"
DECLARATION = "declaration"
PURPOSES = (ANALYSIS, DECLARATION)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the criteria look at in an event: its category (material, human, organisational),
    severity (1 = lowest), flags (e.g. ``patient_exposed``, ``pregnant``, ``child``) and the day
    it was detected."""

    category: str
    severity: int
    detected_on: date
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rule of the unit: an event matches when its severity reaches ``min_severity``, or
    its category is one of ``categories``, or it carries one of ``flags``. ``purpose`` is
    ``analysis`` or ``declaration``; a declaration has a deadline of ``deadline_days`` days
    (working days, Monday to Friday, when ``working_days``) after detection. ``source`` cites
    where the rule comes from and is required."""

    label: str
    purpose: str
    source: str
    min_severity: int | None = None
    categories: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    deadline_days: int | None = None
    working_days: bool = False
    code: str = field(default="")

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"criterion purpose must be one of {PURPOSES}, not {self.purpose!r}")
        if not self.source.strip():
            raise ValueError(f"criterion {self.label!r} has no source")

    def matches(self, event: EventFacts) -> bool:
        """Return True when ``event`` falls under this criterion."""
        if self.min_severity is not None and event.severity >= self.min_severity:
            return True
        return event.category in self.categories or bool(self.flags & event.flags)


def matching(event: EventFacts, criteria: Iterable[Criterion], purpose: str) -> list[Criterion]:
    """Return the criteria of ``purpose`` that ``event`` matches, in the given order."""
    return [c for c in criteria if c.purpose == purpose and c.matches(event)]


def add_days(day: date, days: int, *, working: bool = False) -> date:
    """Return ``day`` plus ``days`` days, counting only Monday to Friday when ``working``."""
    if not working:
        return day + timedelta(days=days)
    current = day
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def declaration_deadline(event: EventFacts, criteria: Iterable[Criterion]) -> date | None:
    """Return the date by which ``event`` must be declared to the authority: the earliest
    deadline of the declaration criteria it matches (None when none applies or none has a
    deadline)."""
    deadlines = [
        add_days(event.detected_on, c.deadline_days, working=c.working_days)
        for c in matching(event, criteria, DECLARATION)
        if c.deadline_days is not None
    ]
    return min(deadlines) if deadlines else None


def findings(
    event: EventFacts,
    criteria: Iterable[Criterion],
    *,
    analysed: bool,
    declared_on: date | None,
    today: date,
) -> list[Notice]:
    """Return what the criteria say about ``event``: each analysis criterion it matches (while
    not ``analysed``), each declaration criterion with its deadline (until ``declared_on``),
    and a late declaration from the day after the deadline."""
    rules = list(criteria)
    found: list[Notice] = []
    if not analysed:
        for c in matching(event, rules, ANALYSIS):
            found.append(notice(w.ANALYSIS_REQUIRED, criterion=c.label, source=c.source))
    if declared_on is None:
        deadline = declaration_deadline(event, rules)
        for c in matching(event, rules, DECLARATION):
            when = (
                add_days(event.detected_on, c.deadline_days, working=c.working_days)
                if c.deadline_days is not None
                else None
            )
            found.append(
                notice(
                    w.DECLARATION_REQUIRED,
                    criterion=c.label,
                    source=c.source,
                    deadline=when.isoformat() if when else None,
                )
            )
        if deadline is not None and days_late(deadline, today):
            found.append(notice(w.DECLARATION_LATE, deadline=deadline.isoformat()))
    return found


def waiting_for_analysis(event_id: int, recorded_on: date, today: date) -> Notice:
    """Return the reminder that event ``event_id`` waits for its systemic analysis."""
    return notice(
        w.ANALYSIS_WAITING,
        event=event_id,
        since=recorded_on.isoformat(),
        days=max(0, (today - recorded_on).days),
    )


def next_review(last_review: date | None, months: int, start: date | None = None) -> date | None:
    """Return when the register is next reviewed: ``months`` after the last review (or after
    ``start``, the first event, when never reviewed); None when neither is known."""
    if months <= 0:
        raise ValueError("the review frequency must be at least one month")
    anchor = last_review or start
    return add_months(anchor, months) if anchor is not None else None


def review_findings(
    last_review: date | None, months: int, today: date, start: date | None = None
) -> list[Notice]:
    """Return the reminder when the register review is late (from the day after it was due) or
    was never done while events exist (``start``)."""
    due = next_review(last_review, months, start)
    if last_review is None and start is not None and due is not None and days_late(due, today):
        return [notice(w.REVIEW_NEVER_DONE, months=months)]
    if due is not None and days_late(due, today):
        return [notice(w.REVIEW_OVERDUE, due=due.isoformat(), months=months)]
    return []
