"""The quality system's block on the dashboard: overdue actions, overdue controls, events
waiting for their systemic analysis (registered in
:class:`~kerma.web.quality.apps.QualityConfig`)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from kerma.web.accounts.scope import visible, visible_devices
from kerma.web.dose.panels import Panel
from kerma.web.quality.equipment import device_dues
from kerma.web.quality.models import SafetyEvent
from kerma.web.quality.programme import overdue_items

SHOWN = 5


def waiting_for_analysis(user) -> list[SafetyEvent]:  # noqa: ANN001 - a Django user
    """Return the open events of ``user``'s units that a criterion sends to systemic analysis
    and that have none yet, oldest first."""
    events = visible(SafetyEvent.objects.filter(closed=False, analysis__isnull=True), user, "")
    return [e for e in events.order_by("recorded_on", "id") if e.needs_analysis()]


def dashboard_panel(request: HttpRequest) -> Panel | None:
    """The dashboard's quality panel; None for users who may not view the action programme."""
    if not request.user.has_perm("quality.view_qualityaction"):
        return None
    today = timezone.localdate()
    actions = overdue_items(request.user, today)
    controls = [
        (dd.device, due)
        for dd in device_dues(visible_devices(request.user).select_related("unit"), today)
        for due in dd.overdue
    ]
    waiting = waiting_for_analysis(request.user)
    return Panel(
        template="quality/_dashboard.html",
        context={
            "overdue_actions": actions[:SHOWN],
            "overdue_action_count": len(actions),
            "overdue_controls": controls[:SHOWN],
            "overdue_control_count": len(controls),
            "waiting_events": waiting[:SHOWN],
            "waiting_event_count": len(waiting),
        },
        order=40,
    )


def exam_panel(request: HttpRequest, exam) -> Panel | None:  # noqa: ANN001 - an Exam
    """The events of the register that name this exam (None when there are none or the user
    may not view the register)."""
    if not request.user.has_perm("quality.view_safetyevent"):
        return None
    events = list(SafetyEvent.objects.filter(exams=exam).order_by("-detected_on"))
    if not events:
        return None
    return Panel(template="quality/_exam.html", context={"quality_events": events}, order=60)
