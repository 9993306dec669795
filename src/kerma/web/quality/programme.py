"""The one action programme: the actions of every source as :class:`ActionItem` rows.

Actions entered in the quality registers (events, risks, audits, inspection letters) are
:class:`~kerma.web.quality.models.QualityAction` rows; NRD corrective actions stay in the NRD
app and follow-up decisions in the follow-up app: they are read here, never copied, so the
programme is always what each app holds.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from kerma.quality import actions as programme
from kerma.quality.actions import ActionItem
from kerma.web.accounts.scope import sees_all_units, visible_units
from kerma.web.quality.models import ActionCompletion, QualityAction

# Follow-up decisions that are actions to carry out (a consultation, a letter).
_FOLLOWUP_ACTIONS = ("consultation", "letter", "consultation_letter")


def _unit_ids(user: Any) -> list[int] | None:
    if user is None or sees_all_units(user):
        return None
    return list(visible_units(user).values_list("id", flat=True))


def completions(source: str, unit_ids: list[int] | None) -> dict[int, ActionCompletion]:
    """Return the evidence and effectiveness records of ``source``'s actions, by their id."""
    rows = ActionCompletion.objects.filter(source=source).select_related("evidence")
    rows = rows.defer("evidence__data")  # the file name is enough here
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    return {row.ref: row for row in rows}


def completed(item: ActionItem, record: ActionCompletion | None) -> ActionItem:
    """Return ``item`` with the evidence and effectiveness check of ``record`` (if any)."""
    if record is None:
        return item
    return dataclasses.replace(
        item,
        evidence=record.evidence_id is not None,
        evidence_name=record.evidence.name if record.evidence_id else "",
        effectiveness_check=record.effectiveness_check,
        effectiveness_checked_on=record.effectiveness_checked_on,
        effectiveness_checked=item.effectiveness_checked
        or record.effectiveness_checked_on is not None,
    )


def nrd_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the NRD corrective actions (source ``nrd``) of ``unit_ids`` (None: every unit)."""
    from kerma.web.nrd.models import CorrectiveAction

    rows = CorrectiveAction.objects.select_related("evaluation__device__unit")
    if unit_ids is not None:
        rows = rows.filter(evaluation__device__unit_id__in=unit_ids)
    records = completions("nrd", unit_ids)
    items = []
    for row in rows:
        evaluation = row.evaluation
        item = ActionItem(
            source="nrd",
            ref=f"nrd:{row.pk}",
            title=f"{row.description} — NRD {evaluation.act_code} {evaluation.device}",
            owner=row.owner,
            due_on=row.due_date,
            status=programme.status_of(row.done),
            done_on=row.done_at.date() if row.done_at else None,
            unit=evaluation.device.unit.code if evaluation.device.unit_id else "",
        )
        items.append(completed(item, records.get(row.pk)))
    return items


def followup_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the follow-up decisions to carry out (source ``followup``): an alert acknowledged
    with a consultation or a letter is in progress until its outcome closes it."""
    from kerma.web.followup.models import Alert

    rows = Alert.objects.filter(decision__in=_FOLLOWUP_ACTIONS).select_related("exam__device__unit")
    if unit_ids is not None:
        rows = rows.filter(exam__device__unit_id__in=unit_ids)
    records = completions("followup", unit_ids)
    items = []
    for alert in rows:
        exam = alert.exam
        closed = alert.state == Alert.State.CLOSED
        item = ActionItem(
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
        items.append(completed(item, records.get(alert.pk)))
    return items


def quality_items(unit_ids: list[int] | None) -> list[ActionItem]:
    """Return the actions entered in the quality registers."""
    rows = QualityAction.objects.select_related("unit", "evidence").defer("evidence__data")
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    return [row.item() for row in rows]


def programme_items(user: Any = None, today: date | None = None) -> list[ActionItem]:
    """Return every action ``user`` may see (None: every unit), in the programme's order."""
    from django.utils import timezone

    unit_ids = _unit_ids(user)
    items = quality_items(unit_ids) + nrd_items(unit_ids) + followup_items(unit_ids)
    return programme.ordered(items, today or timezone.localdate())


def origin(user: Any, source: str, ref: int) -> tuple[ActionItem, Any, str]:
    """Return the programme item of action ``ref`` of ``source`` (``nrd`` or ``followup``),
    the unit it belongs to and the path of its page in its own app; Http404 when ``user`` may
    not see it (another unit's, or no such action)."""
    from django.http import Http404

    from kerma.web.accounts.scope import visible
    from kerma.web.followup.models import Alert
    from kerma.web.nrd.models import CorrectiveAction

    unit_ids = _unit_ids(user)
    if source == "nrd":
        rows = visible(CorrectiveAction.objects.all(), user, "evaluation__device__")
        row = rows.select_related("evaluation__device__unit").filter(pk=ref).first()
        page = f"/nrd/evaluations/{row.evaluation_id}/" if row else ""
        found = (row.evaluation.device.unit, page) if row else None
        items = nrd_items(unit_ids) if row else []
    elif source == "followup":
        rows = visible(Alert.objects.filter(decision__in=_FOLLOWUP_ACTIONS), user, "exam__device__")
        alert = rows.select_related("exam__device__unit").filter(pk=ref).first()
        found = (alert.exam.device.unit, f"/followup/alerts/{alert.pk}/") if alert else None
        items = followup_items(unit_ids) if alert else []
    else:
        found, items = None, []
    item = next((i for i in items if i.ref == f"{source}:{ref}"), None)
    if found is None or item is None:
        raise Http404
    return item, found[0], found[1]


def origin_links(items: list[ActionItem]) -> dict[str, str]:
    """Return the path of each item's page in its own register, by ``ref``."""
    from kerma.web.nrd.models import CorrectiveAction

    nrd = [int(i.ref.partition(":")[2]) for i in items if i.source == "nrd"]
    evaluations = dict(
        CorrectiveAction.objects.filter(pk__in=nrd).values_list("pk", "evaluation_id")
    )
    links = {}
    for item in items:
        kind, _sep, number = item.ref.partition(":")
        if kind == "quality":
            links[item.ref] = f"/quality/actions/{number}/"
        elif kind == "followup":
            links[item.ref] = f"/followup/alerts/{number}/"
        elif kind == "nrd" and int(number) in evaluations:
            links[item.ref] = f"/nrd/evaluations/{evaluations[int(number)]}/"
    return links


def overdue_items(user: Any = None, today: date | None = None) -> list[ActionItem]:
    """Return the overdue actions ``user`` may see."""
    from django.utils import timezone

    day = today or timezone.localdate()
    return [i for i in programme_items(user, day) if i.overdue(day)]
