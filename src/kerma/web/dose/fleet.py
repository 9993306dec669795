"""Pages of the unit: the dashboard and the device inventory."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from kerma.web.dose.models import Device, Exam, QuarantinedFile
from kerma.web.dose.queries import select_exams

LATEST_EXAMS_OF_DEVICE = 20
QUARANTINE_RECENT_DAYS = 30


# --- dashboard ---------------------------------------------------------------------------


def _devices_with_counts() -> QuerySet[Device]:
    """Devices annotated with their exam counts (test exams apart) and last study date."""
    return Device.objects.annotate(
        exam_count=Count("exams", filter=Q(exams__is_test=False)),
        test_count=Count("exams", filter=Q(exams__is_test=True)),
        last_study=Max("exams__study_date"),
    )


def home(request: HttpRequest) -> HttpResponse:
    """Dashboard: the device fleet, exam counts per modality, files kept in quarantine."""
    devices = list(_devices_with_counts().order_by("category", "display_name", "manufacturer"))
    exams = Exam.objects.aggregate(
        total=Count("id", filter=Q(is_test=False)),
        tests=Count("id", filter=Q(is_test=True)),
        latest=Max("study_date", filter=Q(is_test=False)),
    )
    by_modality = list(
        Exam.objects.filter(is_test=False)
        .values("modality")
        .annotate(count=Count("id"))
        .order_by("-count", "modality")
    )
    since = timezone.now() - timedelta(days=QUARANTINE_RECENT_DAYS)
    quarantine = QuarantinedFile.objects.aggregate(
        total=Count("id"), recent=Count("id", filter=Q(created_at__gte=since))
    )
    last_reports = [d.last_report_at for d in devices if d.last_report_at]
    return render(
        request,
        "dose/home.html",
        {
            "devices": devices,
            "exam_count": exams["total"],
            "test_count": exams["tests"],
            "latest_study": exams["latest"],
            "by_modality": by_modality,
            "quarantine_total": quarantine["total"],
            "quarantine_recent": quarantine["recent"],
            "quarantine_days": QUARANTINE_RECENT_DAYS,
            "last_report_at": max(last_reports) if last_reports else None,
        },
    )


# --- devices -----------------------------------------------------------------------------


def device_list(request: HttpRequest) -> HttpResponse:
    """All devices that sent dose data, with their exam counts."""
    devices = _devices_with_counts().order_by("category", "display_name", "manufacturer", "model")
    return render(request, "dose/device_list.html", {"devices": devices})


def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One device: its identity, its exams counted per modality, its latest exams."""
    device = get_object_or_404(Device, pk=pk)
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
    return render(
        request,
        "dose/device_detail.html",
        {
            "device": device,
            "by_modality": by_modality,
            "exam_count": sum(row["count"] for row in by_modality),
            "test_count": sum(row["tests"] for row in by_modality),
            "latest": latest,
        },
    )


