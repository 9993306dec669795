"""Event rows ↔ core :class:`kerma.dose.Event`, in one place: the columns they share, the
events of a stored exam as core events, its patient, and the rows of core events."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from django.db import connection
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


def insert_events(exam: Exam, events: Sequence[tuple[Report | None, CoreEvent]]) -> None:
    """Insert the rows of ``events`` (each with the report it was read from) into ``exam`` in
    one statement (a naive start time is taken in the installation's time zone): what
    ``Event.objects.bulk_create`` would store, without building a model instance per event (a
    long procedure holds hundreds)."""
    if not events:
        return
    ops = connection.ops
    columns = ["exam_id", "report_id", *EVENT_COLUMNS]
    started = EVENT_COLUMNS.index("started")
    rows = []
    for report, event in events:
        values = [getattr(event, name) for name in EVENT_COLUMNS]
        values[started] = ops.adapt_datetimefield_value(_aware(values[started]))
        rows.append((exam.pk, report.pk if report is not None else None, *values))
    names = ", ".join(ops.quote_name(Event._meta.get_field(c).column) for c in columns[2:])
    sql = (
        f"INSERT INTO {ops.quote_name(Event._meta.db_table)} (exam_id, report_id, {names}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
