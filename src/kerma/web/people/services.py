"""The people register's work over stored rows: training status of people, qualifications to
do, operators without qualification, the yearly volume of a procedure from the dose database,
measured dosimetry against the prediction. Rules are the core's; this module gathers rows."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from kerma.notices import Notice
from kerma.people import (
    Assignment,
    RegisteredPerson,
    Sighting,
    TrainingStatus,
    UnrecordedOperator,
    name_keys,
    qualifications_to_do,
    unrecorded_operators,
)
from kerma.staff import Organ, Reading, check_measured
from kerma.web.people.models import DosimeterReading, Person, StaffAssessment

# Alert this many months before a certificate's last valid day (KERMA_TRAINING_WARN_MONTHS).
WARN_MONTHS_DEFAULT = 6


def warn_months() -> int:
    """Return how many months before expiry the training alert starts."""
    return int(getattr(settings, "KERMA_TRAINING_WARN_MONTHS", WARN_MONTHS_DEFAULT))


@dataclass
class PersonTraining:
    """A person and their training status on a day."""

    person: Person
    status: TrainingStatus

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form (the CLI contract: ``valid_until`` and ``status``)."""
        s = self.status
        return {
            "id": self.person.pk,
            "name": self.person.name,
            "profession": self.person.profession,
            "domains": list(self.person.domains),
            "units": [u.code for u in self.person.units.all()],
            "certificate_on": s.certificate_on.isoformat() if s.certificate_on else None,
            "validity_years": s.years,
            "valid_until": s.valid_until.isoformat() if s.valid_until else None,
            "status": s.status.value,
            "notices": [n.to_dict() for n in s.notices],
        }


def training_of(people: Iterable[Person], on: date) -> list[PersonTraining]:
    """Return the training status on ``on`` of each active person, in name order."""
    months = warn_months()
    rows = [p for p in people if p.active]
    return [PersonTraining(p, p.training(on, months)) for p in rows]


def people_with_rows(queryset: Any) -> Any:
    """Return ``queryset`` of people with what the register shows prefetched."""
    return queryset.prefetch_related(
        "certificates", "units", "qualifications__device", "device_trainings__device"
    ).order_by("name")


def qualifications_to_do_of(person: Person) -> list[Notice]:
    """Return the qualifications ``person`` lacks: newcomer without a qualification of their
    post since arrival, device trainings (devices they work on) without a qualification on it."""
    quals = list(person.qualifications.all())
    posts = [(q.post, q.qualified_on) for q in quals if q.qualified_on]
    devices = [(str(q.device), q.qualified_on) for q in quals if q.device and q.qualified_on]
    assignments = [
        Assignment(str(t.device), t.trained_on) for t in person.device_trainings.all() if t.device
    ]
    return qualifications_to_do(
        person.name,
        post=person.post,
        arrived_on=person.arrived_on,
        qualified_posts=posts,
        assignments=assignments,
        qualified_devices=devices,
    )


def planned_qualifications(people: Iterable[Person]) -> list[Any]:
    """Return the qualification rows recorded without a date (planned, to do)."""
    return [q for p in people for q in p.qualifications.all() if q.qualified_on is None]


# ---- operators seen in the exams -----------------------------------------------------------


def registered_people(people: Iterable[Person]) -> list[RegisteredPerson]:
    """Return the active people as the operator rule sees them: their names' match keys (the
    register name and the names in the dose reports), their dated qualifications and device
    trainings per device id (as text)."""
    found = []
    for person in people:
        if not person.active:
            continue
        qualified: dict[str, list[date]] = {}
        for q in person.qualifications.all():
            if q.device_id and q.qualified_on:
                qualified.setdefault(str(q.device_id), []).append(q.qualified_on)
        trained: dict[str, list[date]] = {}
        for t in person.device_trainings.all():
            if t.device_id:
                trained.setdefault(str(t.device_id), []).append(t.trained_on)
        found.append(
            RegisteredPerson(
                person.pk,
                person.name,
                frozenset(name_keys(person.name, person.operator_name)),
                {k: tuple(v) for k, v in qualified.items()},
                {k: tuple(v) for k, v in trained.items()},
            )
        )
    return found


def operators_without_qualification(
    devices: Any, period_from: date | None, period_to: date
) -> list[UnrecordedOperator]:
    """Return the operators the exams of ``devices`` (a queryset) name between the two dates
    (from the first exam when ``period_from`` is None), test exams left out, who lack a
    qualification or a device training on that device by ``period_to`` (the core's rule:
    :func:`kerma.people.unrecorded_operators`). The rows' ``device`` is the device id as text.

    Everybody in the register is matched, whatever their unit: an operator of another unit
    qualified on this device is qualified."""
    from kerma.web.dose.models import Participant

    rows = Participant.objects.filter(
        exam__device__in=devices, exam__is_test=False, exam__study_date__lte=period_to
    )
    if period_from is not None:
        rows = rows.filter(exam__study_date__gte=period_from)
    sightings = [
        Sighting(exam, str(device), on, name, role)
        for exam, device, on, name, role in rows.values_list(
            "exam_id", "exam__device_id", "exam__study_date", "name", "role"
        ).iterator(chunk_size=5000)
    ]
    people = people_with_rows(Person.objects.all())
    return unrecorded_operators(sightings, registered_people(people), period_to)


# ---- volume from the dose database ---------------------------------------------------------


@dataclass
class Activity:
    """The exams of a device for an act over a period: count, yearly volume, median DAP."""

    exams: int
    days: int
    yearly_volume: float
    median_dap_gycm2: float | None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "exams": self.exams,
            "days": self.days,
            "yearly_volume": round(self.yearly_volume, 1),
            "median_dap_gycm2": self.median_dap_gycm2,
        }


def activity(device_id: int, act: str, period_from: date, period_to: date) -> Activity:
    """Return the exams of ``device_id`` in [period_from, period_to] whose procedure is mapped to
    the act ``act`` (the NRD protocol mappings) or whose procedure name contains ``act``
    (case-insensitive: for procedures, like TAVI, outside the NRD acts); test exams left out.
    The yearly volume scales the count to 365 days."""
    from kerma.web.dose.models import Exam
    from kerma.web.nrd.services import protocol_mapper

    mapper = protocol_mapper(device_id)
    rows = Exam.objects.filter(
        device_id=device_id,
        is_test=False,
        study_date__gte=period_from,
        study_date__lte=period_to,
    ).values_list("procedure", "dap_total_gycm2")
    wanted = act.strip().lower()
    names: dict[str, bool] = {}
    daps: list[float] = []
    count = 0
    for procedure, dap in rows:
        name = procedure or ""
        if name not in names:
            mapped = mapper.act_for(str(device_id), name) == act
            names[name] = mapped or (bool(wanted) and wanted in name.lower())
        if names[name]:
            count += 1
            if dap is not None:
                daps.append(dap)
    days = (period_to - period_from).days + 1
    return Activity(
        count, days, count * 365 / days if days > 0 else 0.0,
        statistics.median(daps) if daps else None,
    )


# ---- measured dosimetry ---------------------------------------------------------------------


def measured_of(person: Person, on: date) -> tuple[dict[Organ, float | None], list[Notice]]:
    """Return the person's rolling 12-month sums to ``on`` and the notices (limits, prediction:
    the highest yearly dose of the assessments naming this person)."""
    readings = [
        Reading(r.period_start, r.period_end, r.hp10_msv, r.hp007_msv, r.hp3_msv)
        for r in DosimeterReading.objects.filter(person=person)
    ]
    predicted: dict[Organ, float] = {}
    for assessment in StaffAssessment.objects.filter(person=person):
        for organ in Organ:
            value = (assessment.result or {}).get(f"{organ.value}_msv")
            if value is not None:
                predicted[organ] = max(predicted.get(organ, 0.0), float(value))
    return check_measured(readings, on, predicted or None)
