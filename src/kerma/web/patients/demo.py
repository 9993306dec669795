"""The demo unit's patients at risk, taken from the demo exams: the patient with the most CT
exams (iterative CT) flagged as individually radiosensitive, pregnancy checks recorded on some
exams of women of child-bearing age (the others stay missing), and the paediatric exams the
demo already holds.

:func:`seed_patients_demo` is called by ``kerma demo`` (``kerma.ingest.demo``). Idempotent: a
second call changes nothing. The notes are fictitious.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Count
from django.utils import timezone

from kerma.patients import risk
from kerma.web.accounts.models import Unit
from kerma.web.audit.log import acting_as
from kerma.web.dose.models import Exam
from kerma.web.patients.models import PatientFlag, PregnancyCheck

RADIOGRAPHER = "demo (manipulatrice)"
RADIOLOGIST = "demo (radiologue)"
CHECKED = 4  # exams of women of child-bearing age whose check is recorded


def _at(day: date | None, today: date) -> datetime:
    return timezone.make_aware(datetime.combine(day or today, time(10, 0)))


def seed_patients_demo(today: date) -> dict[str, Any]:
    """Seed the flags and pregnancy checks; return what was done (counts, the flagged key)."""
    exams = Exam.objects.filter(is_test=False).exclude(patient_key="")
    top = (exams.filter(modality="CT").values("patient_key").annotate(n=Count("id"))
           .order_by("-n", "patient_key").first())
    flagged = ""
    with acting_as(RADIOLOGIST):
        if top is not None:
            flagged = top["patient_key"]
            first = exams.filter(patient_key=flagged).select_related("device").first()
            PatientFlag.objects.get_or_create(
                patient_key=flagged, kind=PatientFlag.Kind.RADIOSENSITIVE,
                defaults={
                    "unit": first.device.unit or Unit.default(),
                    "note": "Radiosensibilité individuelle signalée par l'oncologue (fictif)",
                    "entered_by": RADIOLOGIST,
                    "entered_at": _at(first.study_date, today),
                },
            )
    women = exams.filter(
        sex="F", age_years__gte=risk.DEFAULTS.child_bearing_low_years,
        age_years__lte=risk.DEFAULTS.child_bearing_high_years,
    ).order_by("-study_date", "-id")
    recorded = 0
    with acting_as(RADIOGRAPHER):
        for exam in women[:CHECKED]:
            _check, created = PregnancyCheck.objects.get_or_create(
                exam=exam,
                defaults={"status": PregnancyCheck.Status.NOT_PREGNANT,
                          "recorded_by": RADIOGRAPHER,
                          "recorded_at": _at(exam.study_date, today),
                          "note": "Interrogatoire : pas de grossesse (fictif)"},
            )
            recorded += created
    return {"flagged": flagged, "pregnancy_checks": recorded,
            "unchecked": max(0, women.count() - CHECKED),
            "children": exams.filter(age_years__lt=risk.DEFAULTS.paediatric_below_years).count()}
