"""Selecting exams and turning them into plain rows (CLI listing, exports, JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from kerma.dose import TOTAL_KEYS
from kerma.web.dose.models import Event, Exam

EVENT_FIELDS = [
    f.name
    for f in Event._meta.get_fields()
    if f.concrete and f.name not in ("id", "exam", "report")
]


def select_exams(
    *,
    modalities: Iterable[str] = (),
    since: date | None = None,
    until: date | None = None,
    device: str | None = None,
    include_tests: bool = False,
) -> QuerySet[Exam]:
    """Return the exams matching the filters, newest first (test exams left out by default)."""
    queryset = Exam.objects.select_related("device").order_by("-study_date", "-study_time", "-id")
    modalities = [m for m in modalities if m]
    if modalities:
        queryset = queryset.filter(modality__in=modalities)
    if since is not None:
        queryset = queryset.filter(study_date__gte=since)
    if until is not None:
        queryset = queryset.filter(study_date__lte=until)
    if device:
        match = (
            Q(device__serial_number__iexact=device)
            | Q(device__station_name__iexact=device)
            | Q(device__model__icontains=device)
            | Q(device__display_name__iexact=device)
        )
        if device.isdigit():
            match |= Q(device_id=int(device))
        queryset = queryset.filter(match)
    if not include_tests:
        queryset = queryset.filter(is_test=False)
    return queryset


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def exam_totals(exam: Exam) -> dict[str, Any]:
    """Return the exam's totals that are known, keyed as in ``kerma exams --format json``."""
    totals: dict[str, Any] = {}
    for key in TOTAL_KEYS:
        value = getattr(exam, key)
        if value not in (None, ""):
            totals[key] = _rounded(value)
    return totals


def main_dose(exam: Exam) -> str:
    """Return the exam's headline dose as text with its unit."""
    if exam.dlp_total_mgycm is not None:
        return f"{exam.dlp_total_mgycm:.1f} mGy·cm"
    if exam.agd_left_mgy is not None or exam.agd_right_mgy is not None:
        sides = [
            f"{side} {value:.2f}"
            for side, value in (("L", exam.agd_left_mgy), ("R", exam.agd_right_mgy))
            if value is not None
        ]
        return f"AGD {' / '.join(sides)} mGy"
    if exam.dap_total_gycm2 is not None:
        return f"{exam.dap_total_gycm2:.4g} Gy·cm²"
    if exam.activity_mbq is not None:
        return f"{exam.activity_mbq:.0f} MBq"
    return ""


def exam_row(exam: Exam, events: list[Event] | None = None) -> dict[str, Any]:
    """Return an exam as the plain dict of ``kerma exams --format json``."""
    device = exam.device
    bmi = exam.bmi
    row: dict[str, Any] = {
        "id": exam.pk,
        "study_uid": exam.study_uid,
        "accession_number": exam.accession_number,
        "study_date": exam.study_date.isoformat() if exam.study_date else None,
        "modality": exam.modality,
        "device": {
            "id": device.pk,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "serial_number": device.serial_number,
            "station_name": device.station_name,
            "category": device.category,
            "label": str(device),
        },
        "patient": {
            "key": exam.patient_key,
            "age_years": None if exam.age_years is None else round(exam.age_years, 2),
            "sex": exam.sex or None,
            "weight_kg": exam.weight_kg,
            "height_m": exam.height_m,
            "bmi": None if bmi is None else round(bmi, 1),
        },
        "procedure": exam.procedure,
        "is_test": exam.is_test,
        "events": exam.event_count,
        "totals": exam_totals(exam),
        "main_dose": main_dose(exam),
    }
    if events is not None:
        row["event_list"] = [
            {k: _rounded(getattr(e, k)) for k in EVENT_FIELDS if getattr(e, k) not in (None, "")}
            for e in events
        ]
    return row


def exam_rows(queryset: QuerySet[Exam], *, with_events: bool = False) -> list[dict[str, Any]]:
    """Return the rows of the selected exams, with their events when asked."""
    exams = list(queryset)
    by_exam: dict[int, list[Event]] = {}
    if with_events:
        for event in Event.objects.filter(exam__in=[e.pk for e in exams]).order_by(
            "exam_id", "started", "id"
        ):
            by_exam.setdefault(event.exam_id, []).append(event)
    return [exam_row(e, by_exam.get(e.pk, []) if with_events else None) for e in exams]


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return an exam row flattened for CSV (nested keys joined with a dot; events counted)."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key == "event_list":
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat
