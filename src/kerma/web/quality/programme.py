"""The one action programme: the actions of every source as :class:`ActionItem` rows.

Actions entered in the quality registers (events, risks, audits, inspection letters) are
:class:`~kerma.web.quality.models.QualityAction` rows; NRD corrective actions stay in the NRD
app and follow-up decisions in the follow-up app: they are read here, never copied, so the
programme is always what each app holds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kerma.quality import actions as programme
from kerma.quality.actions import ActionItem
from kerma.web.accounts.scope import sees_all_units, visible_units
from kerma.web.quality.models import QualityAction

# Follow-up decisions that are actions to carry out (a consultation, a letter).
_FOLLOWUP_ACTIONS = ("consultation", "letter", "consultation_letter")


def _unit_ids(user: Any) -> list[int] | None:
    if user is None or sees_all_units(user):
        return None
    return list(visible_units(user).values_list("id", flat=True))


def nrd_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the NRD corrective actions (source ``nrd``) of ``unit_ids`` (None: every unit)."""
    from kerma.web.nrd.models import CorrectiveAction

    rows = CorrectiveAction.objects.select_related("evaluation__device__unit")
    if unit_ids is not None:
        rows = rows.filter(evaluation__device__unit_id__in=unit_ids)
    items = []
    for row in rows:
        evaluation = row.evaluation
        items.append(
            ActionItem(
                source="nrd",
                ref=f"nrd:{row.pk}",
                title=f"{row.description} — NRD {evaluation.act_code} {evaluation.device}",
                owner=row.owner,
                due_on=row.due_date,
                status=programme.status_of(row.done),
                done_on=row.done_at.date() if row.done_at else None,
                unit=evaluation.device.unit.code if evaluation.device.unit_id else "",
            )
        )
    return items


def followup_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the follow-up decisions to carry out (source ``followup``): an alert acknowledged
    with a consultation or a letter is in progress until its outcome closes it."""
    from kerma.web.followup.models import Alert

    rows = Alert.objects.filter(decision__in=_FOLLOWUP_ACTIONS).select_related("exam__device__unit")
    if unit_ids is not None:
        rows = rows.filter(exam__device__unit_id__in=unit_ids)
    items = []
    for alert in rows:
        exam = alert.exam
        closed = alert.state == Alert.State.CLOSED
        items.append(
            ActionItem(
                source="followup",
                ref=f"followup:{alert.pk}",
                title=f"{alert.get_decision_display()} — {exam.device} {exam.study_date or ''}",
                owner=alert.acknowledged_by,
                due_on=None,
                status=programme.status_of(closed, started=True),
                done_on=alert.closed_at.date() if alert.closed_at else None,
                unit=exam.device.unit.code if exam.device.unit_id else "",
                effectiveness_checked=closed and bool(alert.outcome),
            )
        )
    return items


def quality_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the actions entered in the quality registers."""
    rows = QualityAction.objects.select_related("unit")
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    return [row.item() for row in rows]


def programme_items(user: Any = None, today: date | None = None) -> list[ActionItem]:
    """Return every action ``user`` may see (None: every unit), in the programme's order."""
    from django.utils import timezone

    unit_ids = _unit_ids(user)
    items = quality_items(unit_ids) + nrd_items(unit_ids) + followup_items(unit_ids)
    return programme.ordered(items, today or timezone.localdate())


def overdue_items(user: Any = None, today: date | None = None) -> list[ActionItem]:
    """Return the overdue actions ``user`` may see."""
    from django.utils import timezone

    day = today or timezone.localdate()
    return [i for i in programme_items(user, day) if i.overdue(day)]
