"""Pages of the unit: the dashboard and the device inventory.

The dashboard answers "is everything in order?" at a glance: the devices and their last report
and the health of the import path (DICOM node, quarantine), with the panels the apps built on
this one register (:mod:`kerma.web.dose.panels`): the NRD status grid of the year and its open
corrective actions, the follow-up's alerts. Every query is narrowed to the user's units.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kerma.dicom.node import read_status
from kerma.web.accounts.scope import (
    get_visible_or_404,
    require,
    visible_devices,
    visible_units,
)
from kerma.web.audit.log import acting_as, actor_of, changed, jsonable
from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Device, Exam, QuarantinedFile
from kerma.web.dose.panels import dashboard_panels
from kerma.web.dose.queries import select_exams

LATEST_EXAMS_OF_DEVICE = 20
QUARANTINE_RECENT_DAYS = 30
SILENT_DEVICE_DAYS = 7

# --- dashboard ---------------------------------------------------------------------------


def _devices_with_counts(user: Any) -> list[Device]:
    """The user's devices with ``exam_count``, ``test_count`` and ``last_study`` set.

    One grouped query over the exams (read from the (device, is_test, study_date) index) rather
    than a join per device: the dashboard stays fast on millions of exams.
    """
    devices = list(visible_devices(user).select_related("unit"))
    counts: dict[int, dict[str, Any]] = {}
    rows = (
        Exam.objects.filter(device_id__in=[d.pk for d in devices])
        .values("device_id", "is_test")
        .annotate(n=Count("id"), last=Max("study_date"))
        .order_by()
    )
    for row in rows:
        entry = counts.setdefault(row["device_id"], {"exams": 0, "tests": 0, "last": None})
        entry["tests" if row["is_test"] else "exams"] += row["n"]
        if row["last"] and (entry["last"] is None or row["last"] > entry["last"]):
            entry["last"] = row["last"]
    for device in devices:
        entry = counts.get(device.pk, {"exams": 0, "tests": 0, "last": None})
        device.exam_count, device.test_count = entry["exams"], entry["tests"]
        device.last_study = entry["last"]
    return devices


def _import_health() -> dict[str, Any]:
    """The DICOM node's status, the quarantine and the devices that went silent."""
    since = timezone.now() - timedelta(days=QUARANTINE_RECENT_DAYS)
    quarantine = QuarantinedFile.objects.aggregate(
        total=Count("id"), recent=Count("id", filter=Q(created_at__gte=since))
    )
    return {
        "node": read_status(),
        "quarantine_total": quarantine["total"],
        "quarantine_recent": quarantine["recent"],
        "quarantine_days": QUARANTINE_RECENT_DAYS,
    }


def home(request: HttpRequest) -> HttpResponse:
    """Dashboard: devices and their last report, import and DICOM node health, and the panels
    of the other apps (NRD grid and open actions, alerts) by slot."""
    require(request, "dose.view_exam")
    user = request.user
    devices = sorted(
        _devices_with_counts(user),
        key=lambda d: (d.category, d.display_name, d.manufacturer, d.model),
    )
    studies = [d.last_study for d in devices if d.last_study]
    totals = {
        "total": sum(d.exam_count for d in devices),
        "tests": sum(d.test_count for d in devices),
        "latest": max(studies) if studies else None,
    }
    silent_since = timezone.now() - timedelta(days=SILENT_DEVICE_DAYS)
    for device in devices:
        device.silent = bool(device.last_report_at and device.last_report_at < silent_since)
    last_reports = [d.last_report_at for d in devices if d.last_report_at]
    return render(
        request,
        "dose/home.html",
        {
            "devices": devices,
            "exam_count": totals["total"],
            "test_count": totals["tests"],
            "latest_study": totals["latest"],
            "last_report_at": max(last_reports) if last_reports else None,
            "silent_days": SILENT_DEVICE_DAYS,
            "health": _import_health(),
            "units": list(visible_units(user)),
            "panels": dashboard_panels(request),
        },
    )


# --- devices -----------------------------------------------------------------------------


class DeviceForm(forms.ModelForm):
    """The inventory fields a physicist or the RAN keeps up to date."""

    in_perimeter = forms.BooleanField(
        label=gettext_lazy("In the RAN's perimeter (NRD evaluations required)"), required=False
    )

    class Meta:
        model = Device
        fields = [
            "display_name",
            "category",
            "manufacturer",
            "model",
            "serial_number",
            "location",
            "commissioned_on",
            "unit",
        ]
        labels = {
            "display_name": gettext_lazy("Name shown"),
            "category": gettext_lazy("Category"),
            "manufacturer": gettext_lazy("Manufacturer"),
            "model": gettext_lazy("Model"),
            "serial_number": gettext_lazy("Serial number"),
            "location": gettext_lazy("Location"),
        }
        widgets = {"commissioned_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("manufacturer", "model", "serial_number", "location", "display_name"):
            self.fields[name].widget = forms.TextInput()
        if user is not None:
            self.fields["unit"].queryset = visible_units(user)
            self.fields["unit"].required = True


def _device_audit_data(device: Device, in_perimeter: bool | None) -> dict[str, Any]:
    data = {name: getattr(device, name) for name in DeviceForm.Meta.fields if name != "unit"}
    data["unit"] = device.unit_id
    data["in_perimeter"] = in_perimeter
    return jsonable(data)


# The device form edits the RAN's perimeter, which the NRD app keeps (DeviceSettings): the one
# place, with the exam list's act filter (queries.act_filter, views.act_choices), where dose
# reads nrd. Allowed by issue 10 ("one way through the code"); nrd → dose is the natural way.


def _in_perimeter(device: Device) -> bool:
    """Return whether ``device`` is in the RAN's perimeter (NRD evaluations required)."""
    from kerma.web.nrd.services import settings_of

    settings = settings_of(device)
    return True if settings is None else settings.in_perimeter


def _save_device(request: HttpRequest, device: Device, form: DeviceForm) -> None:
    """Save the inventory form; the change and its before/after go to the audit log."""
    from kerma.web.nrd.services import set_device_settings  # the perimeter, see above

    by = actor_of(request.user)
    stored = Device.objects.get(pk=device.pk)
    before = _device_audit_data(stored, _in_perimeter(stored))
    with transaction.atomic(), acting_as(by):
        device = form.save(commit=False)
        if form.cleaned_data["category"] != stored.category:
            device.category_confirmed = True  # a person chose it: imports keep it
        device.save()
        wanted = form.cleaned_data["in_perimeter"]
        if wanted != before["in_perimeter"]:
            set_device_settings(device, by=by, in_perimeter=wanted)
        b, a = changed(before, _device_audit_data(device, wanted))
        if b or a:
            AuditEntry.record(("device", device.pk), "update", actor=by, before=b, after=a,
                              summary=str(device))


def device_list(request: HttpRequest) -> HttpResponse:
    """The inventory of the user's units: every device with its category, identity and counts."""
    require(request, "dose.view_device")
    devices = sorted(
        _devices_with_counts(request.user),
        key=lambda d: (
            d.unit.name if d.unit else "", d.category, d.display_name, d.manufacturer, d.model
        ),
    )
    from kerma.web.nrd.models import DeviceSettings  # the perimeter, see _in_perimeter

    outside = set(
        DeviceSettings.objects.filter(in_perimeter=False).values_list("device_id", flat=True)
    )
    for device in devices:
        device.outside_perimeter = device.pk in outside
    return render(request, "dose/device_list.html", {"devices": devices})


def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One device: its inventory record (editable with dose.change_device), its exams counted
    per modality, its latest exams and the history of its record."""
    require(request, "dose.view_device")
    device = get_visible_or_404(Device.objects.select_related("unit"), request.user, "", pk=pk)
    can_edit = request.user.has_perm("dose.change_device")
    form = None
    if request.method == "POST":
        require(request, "dose.change_device")
        form = DeviceForm(request.POST, instance=device, user=request.user)
        if form.is_valid():
            _save_device(request, device, form)
            messages.success(request, _("Device record saved."))
            return redirect("device_detail", pk=device.pk)
    elif can_edit:
        form = DeviceForm(
            instance=device, user=request.user, initial={"in_perimeter": _in_perimeter(device)}
        )
    by_modality = list(
        device.exams.values("modality")
        .annotate(
            count=Count("id", filter=Q(is_test=False)),
            tests=Count("id", filter=Q(is_test=True)),
            last_study=Max("study_date"),
        )
        .order_by("-count", "modality")
    )
    latest = list(select_exams(include_tests=True).filter(device=device)[:LATEST_EXAMS_OF_DEVICE])
    from kerma.web.accounts.history import object_trail

    history = object_trail(
        request.user, ("device", "device_settings"), device.pk, newest_first=True, limit=20
    )
    return render(
        request,
        "dose/device_detail.html",
        {
            "device": device,
            "in_perimeter": _in_perimeter(device),
            "by_modality": by_modality,
            "exam_count": sum(row["count"] for row in by_modality),
            "test_count": sum(row["tests"] for row in by_modality),
            "latest": latest,
            "form": form,
            "can_edit": can_edit,
            "history": history,
        },
        status=400 if form is not None and form.is_bound else 200,
    )
