"""What a user may see of the people register: the people of their units, and the rows hung
on them; the audit entries of those rows (registered with :mod:`kerma.web.accounts.history`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kerma.web.accounts.scope import sees_all_units, visible_units


def visible_people(user: Any) -> QuerySet:
    """Return the people of ``user``'s units (everyone for administrators)."""
    from kerma.web.people.models import Person

    people = Person.objects.all()
    if sees_all_units(user):
        return people
    return people.filter(units__in=visible_units(user)).distinct()


def visible_assessments(user: Any) -> QuerySet:
    """Return the staff exposure assessments of ``user``'s units."""
    from kerma.web.people.models import StaffAssessment

    rows = StaffAssessment.objects.select_related("unit", "person", "device")
    if sees_all_units(user):
        return rows
    return rows.filter(unit__in=visible_units(user))


def person_or_404(user: Any, pk: int) -> Any:
    """Return the person ``pk`` if ``user`` may see them, else 404 (not disclosed)."""
    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def _rows(model: str, prefix: str):  # noqa: ANN202 - a function(user) -> rows
    def rows_of(user: Any) -> QuerySet:
        from django.apps import apps

        rows = apps.get_model("people", model).objects.all()
        people = visible_people(user).values_list("id", flat=True)
        return rows.filter(**{f"{prefix}__in": people})

    return rows_of


# object type -> the rows of that type a user may see (the history's scopes)
AUDIT_SCOPES = {
    "person": visible_people,
    "certificate": _rows("Certificate", "person_id"),
    "device_training": _rows("DeviceTraining", "person_id"),
    "qualification": _rows("Qualification", "person_id"),
    "dosimeter_reading": _rows("DosimeterReading", "person_id"),
    "staff_assessment": visible_assessments,
}
