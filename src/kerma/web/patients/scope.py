"""What a user may see of patients: the exams of the devices of their units, the flags entered
in their units (or on patients with an exam in them), the pregnancy checks of visible exams."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kerma.web.accounts.scope import sees_all_units, visible, visible_units


def visible_exams(user: Any) -> QuerySet:
    """Return the (non-test) exams of ``user``'s devices."""
    from kerma.web.dose.models import Exam

    return visible(Exam.objects.filter(is_test=False).select_related("device"), user)


def visible_flags(user: Any) -> QuerySet:
    """Return the flags entered in ``user``'s units or on a patient of them."""
    from kerma.web.patients.models import PatientFlag

    flags = PatientFlag.objects.all()
    if sees_all_units(user):
        return flags
    keys = visible_exams(user).exclude(patient_key="").values("patient_key")
    return flags.filter(Q(unit__in=visible_units(user)) | Q(patient_key__in=keys))


def visible_checks(user: Any) -> QuerySet:
    """Return the pregnancy checks of exams ``user`` may see."""
    from kerma.web.patients.models import PregnancyCheck

    return PregnancyCheck.objects.filter(exam__in=visible_exams(user).values("id"))


# object type -> the rows of that type a user may see (the history's scopes)
AUDIT_SCOPES = {"patient_flag": visible_flags, "pregnancy_check": visible_checks}
