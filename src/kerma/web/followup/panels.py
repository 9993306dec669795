"""The follow-up's blocks on other pages: the skin-dose panel of an exam, the alerts panel of the
dashboard (registered in :class:`~kerma.web.followup.apps.FollowupConfig`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import kerma.skindose.wording  # noqa: F401  (declares the codes of the map's warnings)
from kerma.web.accounts.scope import visible
from kerma.web.dose.panels import Panel
from kerma.web.followup.models import Alert, AlertSettings, SkinDoseMap
from kerma.web.wording import word

LATEST_ON_DASHBOARD = 5


def exam_panel(request: HttpRequest, exam: Any) -> Panel | None:
    """The skin-dose panel of an exam page: PSD, method, areas, map picture, 3-D view and the
    exam's alerts; None for exams without a map, or for a user who may not view maps."""
    if not request.user.has_perm("followup.view_skindosemap"):
        return None
    row = SkinDoseMap.objects.filter(exam=exam).defer("map_npz", "png", "mesh_json").first()
    alerts = list(Alert.objects.filter(exam=exam).order_by("scope", "quantity"))
    if row is None and not alerts:
        return None
    notice = None
    if exam.device.unit_id is not None and exam.kar_total_mgy is not None:
        settings = AlertSettings.objects.filter(unit_id=exam.device.unit_id).first()
        level = settings.kar_notice_mgy if settings else None
        if level is not None and exam.kar_total_mgy >= level:
            notice = level
    return Panel(
        template="followup/_exam_skin.html",
        context={
            "exam": exam,
            "skin": row,
            "skin_alerts": alerts,
            "kar_notice_mgy": notice,
            "has_mesh": bool(row and row.status == "ok" and row.method == "map"),
            "skin_warnings": _skin_warnings(row),
        },
        order=20,
    )


def _skin_warnings(row: SkinDoseMap | None) -> list[str]:
    """Return the map's warnings in the page's language: its notices (kept in ``result_json``)
    worded, or its English text for a map computed before notices."""
    if row is None:
        return []
    stored = row.result_json if isinstance(row.result_json, dict) else {}
    return [word(found) for found in (stored.get("warning_notices") or row.warnings or [])]


def dashboard_panel(request: HttpRequest) -> Panel | None:
    """The dashboard's follow-up panel: open alerts count and the latest alerts."""
    if not request.user.has_perm("followup.view_alert"):
        return None
    alerts = visible(Alert.objects.all(), request.user, "exam__device__")
    open_alerts = alerts.filter(state=Alert.State.OPEN)
    return Panel(
        template="followup/_dashboard.html",
        context={
            "followup_open_count": open_alerts.count(),
            "followup_latest": list(
                alerts.select_related("exam__device").order_by("-created_at", "-id")[
                    :LATEST_ON_DASHBOARD
                ]
            ),
        },
        order=30,
    )
