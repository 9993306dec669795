"""Alerts in the database: gather an exam's procedures, apply the rules of
:mod:`kerma.followup.alerts`, and record what reached the unit's thresholds.

Alerts are never deleted by a recomputation; one that exists is updated with the new values, and
its follow-up (state, decision, outcome) is kept.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from kerma.followup.alerts import (
    QUANTITIES,
    Finding,
    Procedure,
    cumulative_findings,
    in_window,
    procedure_findings,
    reaches,
    window_end,
    window_start,
)
from kerma.web.dose.models import Exam
from kerma.web.followup.models import Alert, AlertSettings, SkinDoseMap
from kerma.web.followup.skin import PROJECTION_CATEGORIES, PROJECTION_MODALITIES

__all__ = ["QUANTITIES", "Finding", "evaluate_exam", "projection_q", "reaches"]


def exam_values(exam: Exam, psd_mgy: float | None) -> dict[str, float | None]:
    """Return the exam's indicators in the alert units: Ka,r mGy, DAP Gy·cm², fluoroscopy
    time s, peak skin dose mGy."""
    return {
        "kar": exam.kar_total_mgy,
        "dap": exam.dap_total_gycm2,
        "fluoro_time": exam.fluoro_time_s,
        "psd": psd_mgy,
    }


def projection_q() -> Q:
    """Return the filter of projection procedures (the exams follow-up is about)."""
    return Q(modality__in=PROJECTION_MODALITIES) | Q(device__category__in=PROJECTION_CATEGORIES)


def _psd_of(exam_ids: list[int]) -> dict[int, float]:
    rows = SkinDoseMap.objects.filter(exam_id__in=exam_ids, status="ok", psd_mgy__isnull=False)
    return dict(rows.values_list("exam_id", "psd_mgy"))


def _procedure(exam: Exam, psd_mgy: float | None) -> Procedure:
    return Procedure(exam.pk, exam.study_date, exam.study_time, exam_values(exam, psd_mgy))


def window_procedures(exam: Exam, window_days: int) -> list[Procedure]:
    """Return the patient's projection procedures cumulated with ``exam`` (itself included),
    oldest first; empty without pseudonym or date."""
    if not exam.patient_key or exam.study_date is None:
        return []
    exams = list(
        Exam.objects.filter(
            patient_key=exam.patient_key,
            is_test=False,
            study_date__gte=window_start(exam.study_date, window_days),
            study_date__lte=exam.study_date,
        ).filter(projection_q())
    )
    psd = _psd_of([e.pk for e in exams])
    procedures = [_procedure(e, psd.get(e.pk)) for e in exams]
    return in_window(_procedure(exam, psd.get(exam.pk)), procedures, window_days)


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
    values = exam_values(exam, skin.psd_mgy if skin else None)
    new: list[Alert] = []
    with transaction.atomic():
        for finding in procedure_findings(values, settings.procedure_threshold):
            alert, created = _record(exam, finding)
            if created:
                new.append(alert)
        for anchor in _anchors(exam, settings.window_days):
            anchor_settings = (
                settings
                if anchor.device.unit_id == exam.device.unit_id
                else AlertSettings.for_unit(anchor.device.unit)
            )
            window = anchor_settings.window_days
            for finding in cumulative_findings(
                window_procedures(anchor, window), anchor_settings.cumulative_threshold, window
            ):
                alert, created = _record(anchor, finding)
                if created:
                    new.append(alert)
    return new


def _anchors(exam: Exam, window_days: int) -> list[Exam]:
    """Return ``exam`` and the patient's later projection procedures within the window."""
    if not exam.patient_key or exam.study_date is None or exam.is_test:
        return [exam] if not exam.is_test else []
    later = (
        Exam.objects.filter(
            patient_key=exam.patient_key,
            is_test=False,
            study_date__gte=exam.study_date,
            study_date__lte=window_end(exam.study_date, window_days),
        )
        .filter(projection_q())
        .exclude(pk=exam.pk)
        .select_related("device")
    )
    return [exam, *[e for e in later if e.device.unit_id is not None]]
