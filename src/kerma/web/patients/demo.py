"""The demo unit's patients at risk, taken from the demo exams: the patient with the most CT
exams (iterative CT) flagged as individually radiosensitive, a patient of the interventional
follow-up (preferably the one whose procedures add up to a cumulative alert) flagged for
iterative exams, pregnancy checks recorded on some exams of women of child-bearing age (the
others stay missing), and the paediatric exams the demo already holds.

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
from kerma.web.followup.models import Alert
from kerma.web.patients.models import PatientFlag, PregnancyCheck

RADIOGRAPHER = "demo (manipulatrice)"
RADIOLOGIST = "demo (radiologue)"
CHECKED = 4  # exams of women of child-bearing age whose check is recorded


def _at(day: date | None, today: date) -> datetime:
    return timezone.make_aware(datetime.combine(day or today, time(10, 0)))


def _followed_patient() -> str:
    """Return the key of a patient of the follow-up list (one with a cumulative alert first),
    or ``""`` when there is none."""
    alerts = Alert.objects.exclude(patient_key="").filter(exam__is_test=False)
    first = (alerts.filter(scope=Alert.Scope.CUMULATIVE).order_by("id").first()
             or alerts.order_by("id").first())
    return first.patient_key if first else ""


def _flag(exams: Any, key: str, kind: str, note: str, today: date) -> None:
    """Flag the patient ``key`` (nothing when empty or already flagged so), entered by the
    demo radiologist on the day of the patient's first exam, in that exam's unit."""
    first = exams.filter(patient_key=key).select_related("device").first() if key else None
    if first is None:
        return
    PatientFlag.objects.get_or_create(
        patient_key=key, kind=kind,
        defaults={"unit": first.device.unit or Unit.default(), "note": note,
                  "entered_by": RADIOLOGIST, "entered_at": _at(first.study_date, today)},
    )


def seed_patients_demo(today: date) -> dict[str, Any]:
    """Seed the flags and pregnancy checks; return what was done (counts, the flagged key)."""
    exams = Exam.objects.filter(is_test=False).exclude(patient_key="")
    top = (exams.filter(modality="CT").values("patient_key").annotate(n=Count("id"))
           .order_by("-n", "patient_key").first())
    flagged = top["patient_key"] if top is not None else ""
    followed = _followed_patient()
    with acting_as(RADIOLOGIST):
        _flag(exams, flagged, PatientFlag.Kind.RADIOSENSITIVE,
              "Radiosensibilité individuelle signalée par l'oncologue (fictif)", today)
        _flag(exams, followed, PatientFlag.Kind.ITERATIVE,
              "Procédures interventionnelles répétées (fictif)", today)
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
    return {"flagged": flagged, "followed": followed, "pregnancy_checks": recorded,
            "unchecked": max(0, women.count() - CHECKED),
            "children": exams.filter(age_years__lt=risk.DEFAULTS.paediatric_below_years).count()}
