"""Pages of the patient follow-up: alerts per unit, an alert with its acknowledgement, the
printable letter, the patients to follow up (page, CSV, XLSX), the thresholds per unit, the
room geometry per device, and an exam's skin dose as PNG, JSON, 3-D mesh and DICOM SR.

Reading needs ``followup.view_alert`` (alerts, patients, letter), ``view_skindosemap`` (maps and
their exports), ``view_alertsettings`` / ``view_roomgeometry`` (settings); acknowledging needs
``change_alert`` (physicists, the RAN), editing thresholds ``change_alertsettings`` and rooms
``change_roomgeometry`` (physicists), recomputing a map ``change_skindosemap``. An inspector
reads everything and gets 403 on every POST. Every query is narrowed to the user's units: a row
of another unit answers 404.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kerma.spreadsheet import csv_writer, xlsx_row
from kerma.web.accounts.history import object_trail
from kerma.web.accounts.scope import (
    get_visible_or_404,
    require,
    visible,
    visible_devices,
    visible_units,
)
from kerma.web.audit.log import acting_as, actor_of
from kerma.web.dose.models import Exam
from kerma.web.dose.patient_flags import patient_flags
from kerma.web.followup import exports
from kerma.web.followup.forms import (
    AcknowledgeForm,
    AlertSettingsForm,
    RoomGeometryForm,
    room_initial,
)
from kerma.web.followup.models import Alert, AlertSettings, RoomGeometry, SkinDoseMap
from kerma.web.followup.skin import (
    PROJECTION_CATEGORIES,
    default_room_settings,
    ensure_png,
    load_mesh,
)
from kerma.web.params import as_int

ALERTS_PER_PAGE = 50
_STATE_ORDER = Case(
    When(state=Alert.State.OPEN, then=Value(0)),
    When(state=Alert.State.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _alerts(request: HttpRequest):  # noqa: ANN202 - a QuerySet of Alert
    return visible(
        Alert.objects.select_related("exam__device", "exam__device__unit"),
        request.user,
        "exam__device__",
    )


# ---- alerts ---------------------------------------------------------------------------------


def alert_list(request: HttpRequest) -> HttpResponse:
    """The alerts of the user's units: open first, newest first; filter by unit, state, device."""
    require(request, "followup.view_alert")
    alerts = _alerts(request)
    units = list(visible_units(request.user))
    devices = visible_devices(request.user).filter(exams__followup_alerts__isnull=False).distinct()
    chosen = {k: request.GET.get(k, "") for k in ("unit", "state", "device", "scope")}
    if (unit_id := as_int(chosen["unit"])) is not None:
        alerts = alerts.filter(exam__device__unit_id=unit_id)
    if chosen["state"] in Alert.State.values:
        alerts = alerts.filter(state=chosen["state"])
    if (device_id := as_int(chosen["device"])) is not None:
        alerts = alerts.filter(exam__device_id=device_id)
    if chosen["scope"] in Alert.Scope.values:
        alerts = alerts.filter(scope=chosen["scope"])
    alerts = alerts.annotate(state_order=_STATE_ORDER).order_by(
        "state_order", "-exam__study_date", "-id"
    )
    page = Paginator(alerts, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    counts = {state: _alerts(request).filter(state=state).count() for state in Alert.State.values}
    return render(
        request,
        "followup/alert_list.html",
        {
            "page": page,
            "units": units,
            "devices": devices,
            "chosen": chosen,
            "states": Alert.State.choices,
            "scopes": Alert.Scope.choices,
            "counts": counts,
        },
    )


def _alert_context(alert: Alert) -> dict[str, Any]:
    exam = alert.exam
    skin = SkinDoseMap.objects.filter(exam=exam).defer("map_npz", "mesh_json").first()
    exams = []
    if alert.exam_ids:
        exams = list(
            Exam.objects.filter(pk__in=alert.exam_ids)
            .select_related("device")
            .order_by("study_date", "id")
        )
    return {
        "alert": alert,
        "exam": exam,
        "skin": skin,
        "cumulated_exams": exams,
        "settings": AlertSettings.for_unit(exam.device.unit) if exam.device.unit_id else None,
        "notifications": list(alert.notifications.all()),
    }


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert: values, thresholds, the map, the cumulated procedures, its follow-up; POST
    records the physicist's decision (and the outcome, closing it) — audited."""
    require(request, "followup.view_alert")
    alert = get_visible_or_404(_alerts(request), request.user, "exam__device__", pk=pk)
    if request.method == "POST":
        require(request, "followup.change_alert")
        form = AcknowledgeForm(request.POST)
        if form.is_valid():
            acknowledge(alert, form.cleaned_data, actor_of(request.user))
            messages.success(request, _("The follow-up of the alert is recorded."))
            return redirect("followup_alert", pk=alert.pk)
    else:
        form = AcknowledgeForm(
            initial={
                "decision": alert.decision or Alert.Decision.CONSULTATION,
                "decision_reason": alert.decision_reason,
                "outcome": alert.outcome,
            }
        )
    context = _alert_context(alert)
    context["form"] = form
    context["can_change"] = request.user.has_perm("followup.change_alert")
    context["history"] = object_trail(request.user, Alert.audit_type, alert.pk)
    return render(request, "followup/alert_detail.html", context)


def acknowledge(alert: Alert, data: dict[str, Any], actor: str) -> Alert:
    """Record a decision (and an outcome) on ``alert``; audited under ``actor``.

    An open alert becomes acknowledged; ``close`` with an outcome closes it. A closed alert
    keeps its state (its text may still be completed).
    """
    now = timezone.now()
    with acting_as(actor):
        alert.decision = data["decision"]
        alert.decision_reason = data.get("decision_reason", "")
        alert.outcome = data.get("outcome", "")
        if alert.state == Alert.State.OPEN:
            alert.state = Alert.State.ACKNOWLEDGED
            alert.acknowledged_by, alert.acknowledged_at = actor, now
        if data.get("close") and alert.state != Alert.State.CLOSED:
            alert.state = Alert.State.CLOSED
            alert.closed_by, alert.closed_at = actor, now
        alert.save()
    return alert


def alert_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable follow-up letter of an alert (to the patient and the GP), with the map."""
    require(request, "followup.view_alert")
    alert = get_visible_or_404(_alerts(request), request.user, "exam__device__", pk=pk)
    context = _alert_context(alert)
    skin = context["skin"]
    png = ensure_png(skin) if skin is not None else None
    context["png_data"] = base64.b64encode(png).decode() if png else ""
    context["skin_check_from"] = (
        alert.exam.study_date + timedelta(days=exports.SKIN_CHECK_FROM_DAYS)
        if alert.exam.study_date
        else None
    )
    context["skin_check_to"] = (
        alert.exam.study_date + timedelta(days=exports.SKIN_CHECK_TO_DAYS)
        if alert.exam.study_date
        else None
    )
    context["patient"] = exports.patient_block(alert.exam)
    context["today"] = timezone.localdate()
    return render(request, "followup/letter.html", context)


# ---- patients to follow up ------------------------------------------------------------------


def patients(request: HttpRequest) -> HttpResponse:
    """The patients to follow up (one row per patient with alerts), as a page, CSV or XLSX,
    each with the at-risk flags the user may see (radiosensitivity...)."""
    require(request, "followup.view_alert")
    alerts = list(_alerts(request).order_by("id"))
    show_closed = request.GET.get("closed") == "1"
    flags = patient_flags(request.user, {a.patient_key for a in alerts})
    rows = exports.patient_rows(alerts, flags)
    if not show_closed:
        rows = [r for r in rows if r["state"] != "closed"]
    output = request.GET.get("format", "")
    if output == "csv":
        return _csv(rows)
    if output == "xlsx":
        return _xlsx(rows)
    return render(request, "followup/patients.html", {"rows": rows, "show_closed": show_closed})


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):  # the at-risk flags
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return round(value, 1)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _csv(rows: list[dict[str, Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kerma-patients-to-follow-up.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv_writer(response, delimiter=";")
    writer.writerow(exports.PATIENT_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in exports.PATIENT_COLUMNS])
    return response


def _xlsx(rows: list[dict[str, Any]]) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "follow-up"
    sheet.append(list(exports.PATIENT_COLUMNS))
    for row in rows:
        values = []
        for column in exports.PATIENT_COLUMNS:
            value = row[column]
            values.append(value if hasattr(value, "toordinal") else _cell(value))
        sheet.append(xlsx_row(sheet, values))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="kerma-patients-to-follow-up.xlsx"'
    return response


# ---- settings -------------------------------------------------------------------------------


def thresholds(request: HttpRequest) -> HttpResponse:
    """The thresholds of each of the user's units; POST (physicists) changes one unit's."""
    require(request, "followup.view_alertsettings")
    units = list(visible_units(request.user))
    bound_unit = None
    bound_form = None
    if request.method == "POST":
        require(request, "followup.change_alertsettings")
        unit_id = request.POST.get("unit", "")
        bound_unit = next((u for u in units if str(u.pk) == unit_id), None)
        if bound_unit is None:
            raise Http404
        instance = AlertSettings.for_unit(bound_unit)
        bound_form = AlertSettingsForm(request.POST, instance=instance)
        if bound_form.is_valid():
            with acting_as(actor_of(request.user)):
                bound_form.save()
            messages.success(
                request, _("The thresholds of %(unit)s are saved.") % {"unit": bound_unit}
            )
            return redirect("followup_thresholds")
    blocks = []
    for unit in units:
        if bound_unit is not None and unit.pk == bound_unit.pk:
            form = bound_form
        else:
            form = AlertSettingsForm(instance=AlertSettings.for_unit(unit))
        blocks.append({"unit": unit, "form": form})
    return render(
        request,
        "followup/thresholds.html",
        {"blocks": blocks, "can_change": request.user.has_perm("followup.change_alertsettings")},
    )


def _projection_devices(request: HttpRequest):  # noqa: ANN202 - a QuerySet of Device
    return visible_devices(request.user).filter(category__in=PROJECTION_CATEGORIES)


def rooms(request: HttpRequest) -> HttpResponse:
    """The fluoroscopy and interventional devices and whether their geometry was entered."""
    require(request, "followup.view_roomgeometry")
    devices = list(_projection_devices(request).select_related("room_geometry", "unit"))
    rows = []
    for device in devices:
        row = getattr(device, "room_geometry", None)
        rows.append({"device": device, "row": row})
    return render(request, "followup/rooms.html", {"rows": rows})


def room_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    """One device's geometry settings (vendor defaults until a physicist saves them)."""
    require(request, "followup.view_roomgeometry")
    device = _projection_devices(request).filter(pk=device_id).first()
    if device is None:
        raise Http404  # another unit's device, or not a projection device
    row = RoomGeometry.objects.filter(device=device).first()
    defaults = default_room_settings(device)
    current = {**defaults, **(row.settings if row else {})}
    if request.method == "POST":
        require(request, "followup.change_roomgeometry")
        form = RoomGeometryForm(request.POST, settings=current)
        if form.is_valid():
            with acting_as(actor_of(request.user)):
                row = row or RoomGeometry(device=device)
                row.settings = form.settings_dict()
                row.phantom = form.cleaned_data["phantom"]
                row.cell_mm = form.cleaned_data["cell_mm"]
                row.measured_on = form.cleaned_data["measured_on"]
                row.measurement_notes = form.cleaned_data["measurement_notes"]
                row.save()
            messages.success(
                request,
                _(
                    "Saved. New maps use these settings; recompute older ones from the exam page "
                    "or with `kerma followup recompute`."
                ),
            )
            return redirect("followup_room", device_id=device.pk)
    else:
        form = RoomGeometryForm(initial=room_initial(row), settings=current)
    history = object_trail(request.user, RoomGeometry.audit_type, row.pk) if row else None
    return render(
        request,
        "followup/room_detail.html",
        {
            "device": device,
            "row": row,
            "form": form,
            "setting_fields": [form[name] for name in form.setting_names],
            "defaults_json": json.dumps(defaults, indent=1),
            "history": history,
            "can_change": request.user.has_perm("followup.change_roomgeometry"),
        },
    )


# ---- an exam's skin dose --------------------------------------------------------------------


def _exam_map(request: HttpRequest, exam_id: int) -> tuple[Exam, SkinDoseMap]:
    require(request, "followup.view_skindosemap")
    exam = get_visible_or_404(
        Exam.objects.select_related("device"), request.user, "device__", pk=exam_id
    )
    row = SkinDoseMap.objects.filter(exam=exam).first()
    if row is None:
        raise Http404
    return exam, row


def exam_png(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The exam's skin-dose map picture (PNG)."""
    _exam, row = _exam_map(request, exam_id)
    png = ensure_png(row)
    if not png:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


def exam_mesh(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The 3-D surface mesh of the exam's map, for the Plotly view (JSON)."""
    _exam, row = _exam_map(request, exam_id)
    mesh = load_mesh(row)
    if mesh is None:
        raise Http404
    return JsonResponse(mesh)


def exam_json(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The JSON document of the exam's skin dose and alerts (see :mod:`.exports`)."""
    exam, _row = _exam_map(request, exam_id)
    document = exports.exam_document(exam, with_map=request.GET.get("map", "1") != "0")
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="kerma-skin-dose-{exam.pk}.json"'
    return response


def exam_sr(request: HttpRequest, exam_id: int) -> HttpResponse:
    """The exam's skin dose as a DICOM Patient Radiation Dose SR (Part-10 file)."""
    from kerma.web.followup.dicom_sr import sr_bytes

    exam, row = _exam_map(request, exam_id)
    if row.status != "ok":
        raise Http404
    response = HttpResponse(sr_bytes(exam, row), content_type="application/dicom")
    response["Content-Disposition"] = f'attachment; filename="kerma-skin-dose-{exam.pk}.dcm"'
    return response


@require_POST
def exam_recompute(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Recompute the exam's map and alerts with the current room settings (physicists)."""
    from kerma.web.followup.hooks import process_exam

    require(request, "followup.change_skindosemap")
    exam = get_visible_or_404(
        Exam.objects.select_related("device"), request.user, "device__", pk=exam_id
    )
    with acting_as(actor_of(request.user)):
        process_exam(exam)
    row = SkinDoseMap.objects.filter(exam=exam).first()
    if row is not None and row.status == "failed":
        messages.error(request, _("The skin-dose map failed: %(error)s") % {"error": row.error})
    else:
        messages.success(request, _("Skin dose and alerts recomputed."))
    return redirect("exam_detail", pk=exam.pk)
