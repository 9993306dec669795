"""Event rows ↔ core :class:`kerma.dose.Event`, in one place: the columns they share, the
events of a stored exam as core events, its patient, and the row of a core event."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone

from kerma.dose import Event as CoreEvent
from kerma.dose import PatientInfo
from kerma.web.dose.models import Event, Exam, Report

# The fields of the core event that an event row stores, in the core's order.
EVENT_COLUMNS = [
    f.name
    for f in dataclasses.fields(CoreEvent)
    if f.name in {field.name for field in Event._meta.get_fields()}
]


def core_events(exam: Exam, kind: str | None = None) -> list[CoreEvent]:
    """Return the exam's events (only those of ``kind`` when given: "ct", "projection" or
    "nm") as core events in time order; empty text stays empty, unknown numbers stay None,
    ``started`` is the stored (aware) time."""
    rows = Event.objects.filter(exam=exam)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return [CoreEvent(**values) for values in rows.order_by("started", "id").values(*EVENT_COLUMNS)]


def patient_of(exam: Exam) -> PatientInfo:
    """Return the patient's size and sex as stored on the exam (no identifier)."""
    return PatientInfo(
        sex=exam.sex or "",
        age_years=exam.age_years,
        weight_kg=exam.weight_kg,
        height_m=exam.height_m,
    )


def _aware(value: Any) -> Any:
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def event_row(exam: Exam, report: Report | None, event: CoreEvent) -> Event:
    """Return an (unsaved) event row of ``exam`` holding ``event``, read from ``report``; a
    naive start time is taken in the installation's time zone."""
    values = {name: getattr(event, name) for name in EVENT_COLUMNS}
    values["started"] = _aware(values["started"])
    return Event(exam=exam, report=report, **values)
