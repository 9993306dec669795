"""The yearly NRD plan: per year and device, what decision 2019-DC-0667 requires, what is done.

Rules (ASN slides on the decision, ``../shared/seeds/000_…``, synthesis table and "points de
vigilance"), and how Kerma reads them where they leave room:

- **Perimeter.** The RAN chooses the unit's devices (:attr:`Device.in_perimeter`). A device outside
  the perimeter has no item but a ``not_required`` line; if it performed listed acts, the inspector
  may ask why it is outside (warning).
- **No listed act, no obligation.** A device that performed none of the acts of the reference
  annexes in the year owes nothing that year ("si sur un DM aucun acte de la liste n'est réalisé :
  pas d'obligation").
- **CT and interventional (PIR): per device, 2 adult acts every 12 months.** Kerma reads "every 12
  months" as the calendar year of the plan. When a device performs fewer than 2 listed acts, it
  owes as many as it performs (one cannot evaluate an act one does not do).
- **Conventional radiology (radiography, dental, mammography) and nuclear medicine: per imaging
  unit** (:attr:`Device.unit`), 2 adult acts on 1 or 2 devices of the unit, and 1 paediatric act.
- **Paediatrics.** Due when paediatric activity on a device exceeds 5 % of its exams (strictly),
  and the device performs a listed act in children: CT per device; radiology and nuclear medicine
  once per unit, on a device above 5 %. The synthesis table lists no paediatric PIR evaluation, so
  none is required for interventional devices. Paediatric activity counts patients < 18 years
  (their weight is often missing; < 50 kg is a condition of the sample, not of the activity).
- **Acts different from year N-1.** An act evaluated in N that was evaluated in N-1 (same device
  for CT/PIR, same unit for radiology/nuclear medicine, same population) is flagged — unless the
  device or unit performs too few listed acts for two new ones (the repetition is then
  unavoidable). The evaluation still counts as done.
- **Every device at least once in 5 years.** For radiology and nuclear-medicine devices (CT and
  PIR devices are evaluated every year anyway): evaluated in year L → the next evaluation is due
  by L + 5; never evaluated → due by (year it entered the perimeter) + 4, or this year when that
  year is unknown (Kerma cannot assume an older evaluation exists).
- **Status.** ``done`` (an evaluation dated in the year), ``due`` (required, not done, the year not
  over on ``as_of``), ``late`` (required, not done, the year over — or a 5-year deadline passed),
  ``not_required``. An evaluation on fewer patients than required counts as done but is flagged.

:func:`plan_year` returns a :class:`YearPlan`: the items and the list of what an inspector would
flag. :func:`activity_from_exams` computes the activity counts from the exams.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from kerma.notices import Notice, notice
from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import DECISION_2019, SamplingRules
from kerma.nrd.wording import group_word, population_word
from kerma.reference.vocabulary import Family, Population

DEVICE_LEVEL_FAMILIES = frozenset({Family.CT, Family.INTERVENTIONAL})
RADIOLOGY_FAMILIES = frozenset({Family.RADIOGRAPHY, Family.DENTAL, Family.MAMMOGRAPHY})
PAEDIATRIC_FAMILIES = frozenset(set(Family) - {Family.INTERVENTIONAL})
ACTS_PER_YEAR = 2
FIVE_YEARS = 5


class PlanStatus(StrEnum):
    """The state of a plan item."""

    DONE = "done"
    DUE = "due"
    LATE = "late"
    NOT_REQUIRED = "not_required"


class Requirement(StrEnum):
    """Which rule a plan item stems from."""

    OUTSIDE_PERIMETER = "outside_perimeter"
    NO_LISTED_ACT = "no_listed_act"
    DEVICE_ADULT_ACTS = "device_adult_acts"
    DEVICE_PAEDIATRIC_ACT = "device_paediatric_act"
    UNIT_ADULT_ACTS = "unit_adult_acts"
    UNIT_PAEDIATRIC_ACT = "unit_paediatric_act"
    FIVE_YEAR = "five_year"


def group_of(family: Family) -> str:
    """Return the obligation group of a family: ``radiology``, ``nuclear_medicine``, or itself."""
    if family in RADIOLOGY_FAMILIES:
        return "radiology"
    return family.value


@dataclass(frozen=True, slots=True)
class Device:
    """A device (DM) of the unit: its family, unit, and whether the RAN put it in the perimeter.

    ``first_year`` is the year it entered the perimeter (for the 5-year rule), when known.
    """

    id: str
    family: Family
    name: str = ""
    unit: str = ""
    in_perimeter: bool = True
    first_year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return ``{id, name, family, unit}``."""
        return {"id": self.id, "name": self.name, "family": self.family.value, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class DeviceActivity:
    """What a device did in a year: exam counts, paediatric exams, exams per (act, population).

    ``acts`` counts only exams mapped to an act. ``unknown_age`` exams count in ``total_exams``
    and under the adult population of their act, never as paediatric.
    """

    device_id: str
    year: int
    total_exams: int
    paediatric_exams: int
    acts: Mapping[tuple[str, Population], int] = field(default_factory=dict)
    unknown_age: int = 0

    @property
    def paediatric_share(self) -> float:
        """Paediatric exams / all exams of the year (0 when the device did nothing)."""
        return self.paediatric_exams / self.total_exams if self.total_exams else 0.0

    def performed(
        self, population: Population, listed: Iterable[str] | None = None
    ) -> frozenset[str]:
        """Return the acts performed in ``population`` (only those in ``listed`` when given)."""
        keep = None if listed is None else set(listed)
        return frozenset(
            act
            for (act, pop), count in self.acts.items()
            if pop is population and count > 0 and (keep is None or act in keep)
        )


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """An evaluation on record: device, act, population, date, and whether its sample was full."""

    device_id: str
    act_code: str
    population: Population
    date: date
    evaluation_id: str | int | None = None
    complete: bool = True
    category: str | None = None


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One line of the plan: a requirement for a device (or a unit), its status and evaluation.

    For a unit-level slot not yet done, ``device`` is None and ``candidate_devices`` lists the
    devices of the unit that could take it; ``candidate_acts`` the acts that would satisfy it
    (acts not evaluated in N-1 first).
    """

    year: int
    requirement: Requirement
    status: PlanStatus
    population: Population
    period_from: date
    period_to: date
    device: Device | None = None
    unit: str = ""
    group: str = ""
    act_code: str | None = None
    act_label: str = ""
    evaluation_id: str | int | None = None
    candidate_acts: tuple[tuple[str, str], ...] = ()
    candidate_devices: tuple[str, ...] = ()
    notice: Notice | None = None

    @property
    def note(self) -> str:
        """Return the note of the item in English ("" when there is none)."""
        return self.notice.text("en") if self.notice else ""

    def to_dict(self) -> dict[str, Any]:
        """Return the item as the plan JSON of the issue (plus details)."""
        device = (
            self.device.to_dict()
            if self.device
            else {
                "id": None,
                "unit": self.unit,
                "group": self.group,
                "candidates": list(self.candidate_devices),
            }
        )
        return {
            "device": device,
            "act": {"code": self.act_code, "label": self.act_label} if self.act_code else None,
            "population": self.population.value,
            "status": self.status.value,
            "requirement": self.requirement.value,
            "from": self.period_from.isoformat(),
            "to": self.period_to.isoformat(),
            "evaluation_id": self.evaluation_id,
            "candidate_acts": [{"code": c, "label": lbl} for c, lbl in self.candidate_acts],
            "note": self.note,
            "notice": self.notice.to_dict() if self.notice else None,
        }


@dataclass(frozen=True, slots=True)
class InspectorFlag:
    """What an ASN inspector would note: ``nonconformity`` or ``warning``, with the reason."""

    code: str
    severity: str
    notice: Notice
    device_id: str | None = None
    act_code: str | None = None

    @property
    def message(self) -> str:
        """Return the reason in English (the shell words :attr:`notice` in the reader's)."""
        return self.notice.text("en")

    def to_dict(self) -> dict[str, Any]:
        """Return the flag as JSON-ready data: ``message`` in English, ``notice`` to word it."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "notice": self.notice.to_dict(),
            "device_id": self.device_id,
            "act_code": self.act_code,
        }


@dataclass(frozen=True, slots=True)
class YearPlan:
    """The plan of one year, as of a date: its items and the inspector's flags."""

    year: int
    as_of: date
    items: tuple[PlanItem, ...]
    flags: tuple[InspectorFlag, ...]

    def items_for(self, device_id: str) -> list[PlanItem]:
        """Return the items of one device."""
        return [i for i in self.items if i.device is not None and i.device.id == device_id]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{year, as_of, items, flags}`` (JSON-ready)."""
        return {
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "items": [i.to_dict() for i in self.items],
            "flags": [f.to_dict() for f in self.flags],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def activity_from_exams(
    exams: Iterable[ExamRecord], year: int, rules: SamplingRules = DECISION_2019
) -> dict[str, DeviceActivity]:
    """Return each device's activity in ``year`` from its exams (test exams left out).

    Paediatric: age < 18 years. An exam of unknown age counts under its act for adults (so a
    device whose ages are missing is not taken for one that performs no listed act) and in
    ``unknown_age``.
    """
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    acts: dict[str, dict[tuple[str, Population], int]] = defaultdict(lambda: defaultdict(int))
    for exam in exams:
        if exam.study_date.year != year or exam.is_test:
            continue
        counts = totals[exam.device_id]
        counts[0] += 1
        if exam.age_years is None:
            counts[2] += 1
            pop = Population.ADULT
        elif exam.age_years < rules.adult_age_min_years:
            counts[1] += 1
            pop = Population.PAEDIATRIC
        else:
            pop = Population.ADULT
        if exam.act_code:
            acts[exam.device_id][(exam.act_code, pop)] += 1
    return {
        device: DeviceActivity(device, year, c[0], c[1], dict(acts[device]), c[2])
        for device, c in totals.items()
    }


class _Planner:
    """The state of one :func:`plan_year` run (kept out of the public API)."""

    def __init__(
        self,
        year: int,
        devices: Iterable[Device],
        activity: Mapping[str, DeviceActivity],
        evaluations: Iterable[EvaluationRecord],
        as_of: date,
        listed_acts: Mapping[str, str] | None,
        rules: SamplingRules,
    ):
        self.year = year
        self.devices = list(devices)
        self.activity = activity
        self.evaluations = sorted(evaluations, key=lambda e: (e.date, str(e.evaluation_id)))
        self.as_of = as_of
        self.listed = listed_acts
        self.rules = rules
        self.start, self.end = date(year, 1, 1), date(year, 12, 31)
        self.closed = as_of > self.end
        self.open_status = PlanStatus.LATE if self.closed else PlanStatus.DUE
        self.items: list[PlanItem] = []
        self.flags: list[InspectorFlag] = []

    # -- helpers --------------------------------------------------------------------------
    def label(self, act: str) -> str:
        return (self.listed or {}).get(act, "")

    def performed(self, device: Device, population: Population) -> frozenset[str]:
        act = self.activity.get(device.id)
        return act.performed(population, self.listed) if act else frozenset()

    def share(self, device: Device) -> float:
        act = self.activity.get(device.id)
        return act.paediatric_share if act else 0.0

    def records(
        self, device_ids: set[str], population: Population, year: int
    ) -> list[EvaluationRecord]:
        return [
            e
            for e in self.evaluations
            if e.device_id in device_ids and e.population is population and e.date.year == year
        ]

    def item(
        self, requirement: Requirement, status: PlanStatus, population: Population, **kw: Any
    ) -> None:
        self.items.append(
            PlanItem(self.year, requirement, status, population, self.start, self.end, **kw)
        )

    def flag(
        self,
        code: str,
        severity: str,
        message: Notice,
        device: str | None = None,
        act: str | None = None,
    ) -> None:
        self.flags.append(InspectorFlag(code, severity, message, device, act))

    def scope_name(self, devices: list[Device], unit_level: bool) -> dict[str, Any]:
        """Return the notice (as data) naming the device, or the unit and its group."""
        if not unit_level:
            return notice("nrd.scope.device", device=devices[0].name or devices[0].id).to_dict()
        group = group_word(group_of(devices[0].family))
        if not devices[0].unit:
            return notice("nrd.scope.no_unit", group=group).to_dict()
        return notice("nrd.scope.unit", unit=devices[0].unit, group=group).to_dict()

    # -- rules ----------------------------------------------------------------------------
    def run(self) -> YearPlan:
        known = {d.id for d in self.devices}
        for e in self.evaluations:
            if e.device_id not in known and self.start <= e.date <= self.end:
                self.flag(
                    "unknown_device",
                    "warning",
                    notice(
                        "nrd.flag.unknown_device", evaluation=e.evaluation_id, device=e.device_id
                    ),
                    e.device_id,
                    e.act_code,
                )
        active: list[Device] = []
        for d in self.devices:
            adult, paed = (
                self.performed(d, Population.ADULT),
                self.performed(d, Population.PAEDIATRIC),
            )
            if not d.in_perimeter:
                self.item(
                    Requirement.OUTSIDE_PERIMETER,
                    PlanStatus.NOT_REQUIRED,
                    Population.ADULT,
                    device=d,
                    unit=d.unit,
                    group=group_of(d.family),
                    notice=notice("nrd.plan.outside_perimeter"),
                )
                if adult or paed:
                    self.flag(
                        "outside_perimeter_listed_acts",
                        "warning",
                        notice(
                            "nrd.flag.outside_perimeter_listed_acts",
                            device=d.name or d.id,
                            year=self.year,
                            acts=sorted(adult | paed),
                        ),
                        d.id,
                    )
                continue
            if not (adult or paed):
                self.item(
                    Requirement.NO_LISTED_ACT,
                    PlanStatus.NOT_REQUIRED,
                    Population.ADULT,
                    device=d,
                    unit=d.unit,
                    group=group_of(d.family),
                    notice=notice("nrd.plan.no_listed_act", year=self.year),
                )
                continue
            active.append(d)
        for d in active:
            if d.family in DEVICE_LEVEL_FAMILIES:
                self.acts_requirement([d], Population.ADULT, Requirement.DEVICE_ADULT_ACTS)
                if d.family in PAEDIATRIC_FAMILIES:
                    self.paediatric_requirement([d], Requirement.DEVICE_PAEDIATRIC_ACT)
        groups: dict[tuple[str, str], list[Device]] = defaultdict(list)
        for d in active:
            if d.family not in DEVICE_LEVEL_FAMILIES:
                groups[(d.unit, group_of(d.family))].append(d)
        for devs in groups.values():
            self.acts_requirement(devs, Population.ADULT, Requirement.UNIT_ADULT_ACTS)
            self.paediatric_requirement(devs, Requirement.UNIT_PAEDIATRIC_ACT)
            for d in devs:
                self.five_year(d)
        return YearPlan(self.year, self.as_of, tuple(self.items), tuple(self.flags))

    def acts_requirement(
        self, devs: list[Device], population: Population, requirement: Requirement
    ) -> None:
        unit_level = requirement is Requirement.UNIT_ADULT_ACTS
        scope = self.scope_name(devs, unit_level)
        by_id = {d.id: d for d in devs}
        performed = frozenset().union(*(self.performed(d, population) for d in devs))
        needed = min(ACTS_PER_YEAR, len(performed))
        done: dict[str, EvaluationRecord] = {}
        for rec in self.records(set(by_id), population, self.year):
            done.setdefault(rec.act_code, rec)
        previous = {r.act_code for r in self.records(set(by_id), population, self.year - 1)}
        for act, rec in done.items():
            self.item(
                requirement,
                PlanStatus.DONE,
                population,
                device=by_id[rec.device_id],
                unit=devs[0].unit,
                group=group_of(devs[0].family),
                act_code=act,
                act_label=self.label(act),
                evaluation_id=rec.evaluation_id,
                notice=notice("nrd.plan.evaluated_on", date=rec.date.isoformat()),
            )
            if not rec.complete:
                self.flag(
                    "incomplete_sample",
                    "warning",
                    notice(
                        "nrd.flag.incomplete_sample",
                        scope=scope,
                        evaluation=rec.evaluation_id,
                        act=act,
                    ),
                    rec.device_id,
                    act,
                )
        repeated = sorted(a for a in done if a in previous)
        unavoidable = max(0, needed - len(performed - previous))
        if len(repeated) > unavoidable:
            for act in repeated:
                self.flag(
                    "same_act_as_previous_year",
                    "nonconformity",
                    notice(
                        "nrd.flag.same_act_as_previous_year",
                        scope=scope,
                        act=act,
                        year=self.year - 1,
                    ),
                    None if unit_level else devs[0].id,
                    act,
                )
        missing = needed - len(done)
        if missing <= 0:
            return
        fresh = sorted(performed - set(done) - previous)
        candidates = fresh or sorted(performed - set(done))
        note = notice(
            "nrd.plan.acts_to_evaluate" if fresh else "nrd.plan.acts_to_evaluate_repeated",
            missing=missing,
            needed=needed,
            population=population_word(population),
            year=self.year,
        )
        for _ in range(missing):
            self.item(
                requirement,
                self.open_status,
                population,
                device=None if unit_level else devs[0],
                unit=devs[0].unit,
                group=group_of(devs[0].family),
                candidate_acts=tuple((a, self.label(a)) for a in candidates),
                candidate_devices=tuple(
                    d.id for d in devs if self.performed(d, population) & set(candidates)
                ),
                notice=note,
            )
        if self.closed:
            self.flag(
                "late",
                "nonconformity",
                notice(
                    "nrd.flag.late",
                    scope=scope,
                    missing=missing,
                    needed=needed,
                    population=population_word(population),
                    year=self.year,
                ),
                None if unit_level else devs[0].id,
            )

    def paediatric_requirement(self, devs: list[Device], requirement: Requirement) -> None:
        unit_level = requirement is Requirement.UNIT_PAEDIATRIC_ACT
        scope = self.scope_name(devs, unit_level)
        threshold = self.rules.paediatric_share_threshold
        common = {"unit": devs[0].unit, "group": group_of(devs[0].family)}
        if not unit_level:
            common["device"] = devs[0]
        concerned = [d for d in devs if self.share(d) > threshold]
        shares = [f"{d.name or d.id} {self.share(d):.1%}" for d in devs]
        limit = f"{threshold:.0%}"
        if not concerned:
            self.item(
                requirement,
                PlanStatus.NOT_REQUIRED,
                Population.PAEDIATRIC,
                **common,
                notice=notice("nrd.plan.paediatric_below", threshold=limit, shares=shares),
            )
            return
        acts = frozenset().union(*(self.performed(d, Population.PAEDIATRIC) for d in concerned))
        if not acts:
            self.item(
                requirement,
                PlanStatus.NOT_REQUIRED,
                Population.PAEDIATRIC,
                **common,
                notice=notice(
                    "nrd.plan.paediatric_no_listed_act", threshold=limit, shares=shares
                ),
            )
            return
        ids = {d.id for d in devs}
        by_id = {d.id: d for d in devs}
        done = self.records(ids, Population.PAEDIATRIC, self.year)
        previous = {r.act_code for r in self.records(ids, Population.PAEDIATRIC, self.year - 1)}
        if done:
            rec = done[0]
            common["device"] = by_id[rec.device_id]
            self.item(
                requirement,
                PlanStatus.DONE,
                Population.PAEDIATRIC,
                **common,
                act_code=rec.act_code,
                act_label=self.label(rec.act_code),
                evaluation_id=rec.evaluation_id,
                notice=(
                    notice(
                        "nrd.plan.evaluated_on_category",
                        date=rec.date.isoformat(),
                        category=rec.category,
                    )
                    if rec.category
                    else notice("nrd.plan.evaluated_on", date=rec.date.isoformat())
                ),
            )
            if not rec.complete:
                self.flag(
                    "incomplete_sample",
                    "warning",
                    notice(
                        "nrd.flag.incomplete_sample_paediatric",
                        scope=scope,
                        evaluation=rec.evaluation_id,
                        act=rec.act_code,
                    ),
                    rec.device_id,
                    rec.act_code,
                )
            if rec.act_code in previous and acts - previous:
                self.flag(
                    "same_act_as_previous_year",
                    "nonconformity",
                    notice(
                        "nrd.flag.same_act_as_previous_year_paediatric",
                        scope=scope,
                        act=rec.act_code,
                        year=self.year - 1,
                    ),
                    rec.device_id,
                    rec.act_code,
                )
            return
        candidates = sorted(acts - previous) or sorted(acts)
        self.item(
            requirement,
            self.open_status,
            Population.PAEDIATRIC,
            **common,
            candidate_acts=tuple((a, self.label(a)) for a in candidates),
            candidate_devices=tuple(d.id for d in concerned),
            notice=notice("nrd.plan.paediatric_due", threshold=limit, shares=shares),
        )
        if self.closed:
            self.flag(
                "late",
                "nonconformity",
                notice(
                    "nrd.flag.late_paediatric", scope=scope, threshold=limit, year=self.year
                ),
                None if unit_level else devs[0].id,
            )

    def five_year(self, d: Device) -> None:
        mine = [e for e in self.evaluations if e.device_id == d.id and e.date <= self.end]
        this_year = [e for e in mine if e.date >= self.start]
        common = {"device": d, "unit": d.unit, "group": group_of(d.family)}
        if this_year:
            rec = this_year[0]
            self.item(
                Requirement.FIVE_YEAR,
                PlanStatus.DONE,
                rec.population,
                **common,
                act_code=rec.act_code,
                act_label=self.label(rec.act_code),
                evaluation_id=rec.evaluation_id,
                notice=notice("nrd.plan.evaluated_on", date=rec.date.isoformat()),
            )
            return
        if mine:
            last = mine[-1].date.year
            deadline = last + FIVE_YEARS
            history = notice("nrd.plan.history.last", year=last).to_dict()
        else:
            first = d.first_year if d.first_year is not None else self.year - (FIVE_YEARS - 1)
            deadline = first + FIVE_YEARS - 1
            history = (
                notice("nrd.plan.history.never", year=d.first_year).to_dict()
                if d.first_year is not None
                else notice("nrd.plan.history.none").to_dict()
            )
        if deadline > self.year:
            self.item(
                Requirement.FIVE_YEAR,
                PlanStatus.NOT_REQUIRED,
                Population.ADULT,
                **common,
                notice=notice("nrd.plan.five_year_next", history=history, deadline=deadline),
            )
            return
        status = self.open_status if deadline == self.year else PlanStatus.LATE
        self.item(
            Requirement.FIVE_YEAR,
            status,
            Population.ADULT,
            **common,
            candidate_acts=tuple(
                (a, self.label(a))
                for a in sorted(
                    self.performed(d, Population.ADULT) | self.performed(d, Population.PAEDIATRIC)
                )
            ),
            notice=notice(
                "nrd.plan.five_year_due", history=history, years=FIVE_YEARS, deadline=deadline
            ),
        )
        if status is PlanStatus.LATE:
            self.flag(
                "five_year",
                "nonconformity",
                notice(
                    "nrd.flag.five_year", device=d.name or d.id, history=history, years=FIVE_YEARS
                ),
                d.id,
            )


def plan_year(
    year: int,
    devices: Iterable[Device],
    activity: Mapping[str, DeviceActivity],
    evaluations: Iterable[EvaluationRecord],
    *,
    as_of: date,
    listed_acts: Mapping[str, str] | None = None,
    rules: SamplingRules = DECISION_2019,
) -> YearPlan:
    """Return the plan of ``year`` (see the module docstring for the rules).

    ``activity`` maps a device id to its activity in ``year`` (:func:`activity_from_exams`);
    ``evaluations`` are every evaluation on record (all years: N-1 and the 5-year history are
    read from them); ``as_of`` is the date the plan is looked at (it decides ``due`` versus
    ``late``); ``listed_acts`` maps the codes of the reference annexes' acts to their labels
    (None: every act in ``activity`` is listed).
    """
    return _Planner(year, devices, activity, evaluations, as_of, listed_acts, rules).run()
