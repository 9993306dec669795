"""Alerts: which dose indicators of an exam, or of a patient's procedures within the window,
reach the unit's thresholds.

A value **reaches** a threshold when it is greater than or equal to it (5 000 mGy against a
5 000 mGy level raises the alert; 4 999.9 does not). A procedure is cumulated with the same
patient's earlier projection procedures (same pseudonym) whose study date is at most
``window_days`` days before its own: with a 60-day window, procedures 59 and 60 days apart add
up, 61 days apart do not. A cumulated alert needs at least two procedures; its peak skin dose is
the sum of the procedures' peak skin doses, an upper bound (the peaks may lie on different
skin). Alerts are never deleted by a recomputation; one that exists is updated with the new
values, and its follow-up (state, decision, outcome) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from kerma.web.dose.models import Exam
from kerma.web.followup.models import Alert, AlertSettings, SkinDoseMap
from kerma.web.followup.skin import PROJECTION_CATEGORIES, PROJECTION_MODALITIES

QUANTITIES = ("kar", "dap", "fluoro_time", "psd")


@dataclass(frozen=True)
class Finding:
    """A value that reached its threshold (what an alert records)."""

    scope: str
    quantity: str
    value: float
    threshold: float
    window_days: int | None = None
    exam_ids: tuple[int, ...] = ()


def reaches(value: float | None, threshold: float | None) -> bool:
    """True when ``value`` is at or above ``threshold`` (both known)."""
    return value is not None and threshold is not None and value >= threshold


def exam_values(exam: Exam, psd_mgy: float | None) -> dict[str, float | None]:
    """Return the exam's indicators in the alert units: Ka,r mGy, DAP Gy·cm², fluoroscopy
    time s, peak skin dose mGy."""
    return {
        "kar": exam.kar_total_mgy,
        "dap": exam.dap_total_gycm2,
        "fluoro_time": exam.fluoro_time_s,
        "psd": psd_mgy,
    }


def _psd_of(exam_ids: list[int]) -> dict[int, float]:
    rows = SkinDoseMap.objects.filter(exam_id__in=exam_ids, status="ok", psd_mgy__isnull=False)
    return dict(rows.values_list("exam_id", "psd_mgy"))


def procedure_findings(exam: Exam, settings: AlertSettings, psd_mgy: float | None) -> list[Finding]:
    """Return the per-procedure indicators of ``exam`` that reach their thresholds."""
    found = []
    for quantity, value in exam_values(exam, psd_mgy).items():
        threshold = settings.procedure_threshold(quantity)
        if reaches(value, threshold):
            found.append(Finding("procedure", quantity, float(value), float(threshold)))
    return found


def window_exams(exam: Exam, window_days: int) -> list[Exam]:
    """Return the patient's projection procedures from ``window_days`` days before ``exam`` up
    to ``exam`` (its own day included), oldest first; empty without pseudonym or date."""
    if not exam.patient_key or exam.study_date is None:
        return []
    first = exam.study_date - timedelta(days=window_days)
    queryset = (
        Exam.objects.filter(
            patient_key=exam.patient_key,
            is_test=False,
            study_date__gte=first,
            study_date__lte=exam.study_date,
        )
        .filter(_projection_q())
        .select_related("device")
        .order_by("study_date", "study_time", "id")
    )
    # Exams of the same day count up to this one only: a later exam cumulates the earlier.
    exams = []
    for other in queryset:
        if other.study_date == exam.study_date and (other.study_time, other.pk) > (
            exam.study_time,
            exam.pk,
        ):
            continue
        exams.append(other)
    return exams


def _projection_q():  # noqa: ANN202 - a Q object
    from django.db.models import Q

    return Q(modality__in=PROJECTION_MODALITIES) | Q(device__category__in=PROJECTION_CATEGORIES)


def cumulative_findings(exam: Exam, settings: AlertSettings) -> list[Finding]:
    """Return the cumulated indicators of ``exam``'s patient that reach their thresholds."""
    exams = window_exams(exam, settings.window_days)
    if len(exams) < 2:
        return []
    ids = [e.pk for e in exams]
    psd = _psd_of(ids)
    sums: dict[str, float | None] = {}
    for quantity in QUANTITIES:
        values = [
            psd.get(e.pk) if quantity == "psd" else exam_values(e, None)[quantity] for e in exams
        ]
        known = [v for v in values if v is not None]
        sums[quantity] = sum(known) if known else None
    found = []
    for quantity, total in sums.items():
        threshold = settings.cumulative_threshold(quantity)
        if reaches(total, threshold):
            found.append(
                Finding(
                    "cumulative",
                    quantity,
                    float(total),
                    float(threshold),
                    settings.window_days,
                    tuple(ids),
                )
            )
    return found


def _record(exam: Exam, finding: Finding) -> tuple[Alert, bool]:
    """Create or update the alert of ``finding`` on ``exam``; return it and whether it is new."""
    alert = Alert.objects.filter(exam=exam, scope=finding.scope, quantity=finding.quantity).first()
    created = alert is None
    if alert is None:
        alert = Alert(exam=exam, scope=finding.scope, quantity=finding.quantity)
    alert.patient_key = exam.patient_key
    alert.value = round(finding.value, 6)
    alert.threshold = finding.threshold
    alert.window_days = finding.window_days
    alert.exam_ids = list(finding.exam_ids)
    alert.save()
    return alert, created


def evaluate_exam(exam: Exam) -> list[Alert]:
    """Raise or update the alerts of ``exam`` (per procedure and cumulated) and those of the
    patient's later procedures whose window now includes it; return the alerts that are new."""
    if exam.device.unit_id is None:
        return []
    settings = AlertSettings.for_unit(exam.device.unit)
    skin = SkinDoseMap.objects.filter(exam=exam, status="ok").first()
    new: list[Alert] = []
    with transaction.atomic():
        for finding in procedure_findings(exam, settings, skin.psd_mgy if skin else None):
            alert, created = _record(exam, finding)
            if created:
                new.append(alert)
        for anchor in _anchors(exam, settings.window_days):
            anchor_settings = (
                settings
                if anchor.device.unit_id == exam.device.unit_id
                else AlertSettings.for_unit(anchor.device.unit)
            )
            for finding in cumulative_findings(anchor, anchor_settings):
                alert, created = _record(anchor, finding)
                if created:
                    new.append(alert)
    return new


def _anchors(exam: Exam, window_days: int) -> list[Exam]:
    """Return ``exam`` and the patient's later projection procedures within the window."""
    if not exam.patient_key or exam.study_date is None or exam.is_test:
        return [exam] if not exam.is_test else []
    last = exam.study_date + timedelta(days=window_days)
    later = (
        Exam.objects.filter(
            patient_key=exam.patient_key,
            is_test=False,
            study_date__gte=exam.study_date,
            study_date__lte=last,
        )
        .filter(_projection_q())
        .exclude(pk=exam.pk)
        .select_related("device")
    )
    return [exam, *[e for e in later if e.device.unit_id is not None]]
