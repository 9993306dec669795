"""An NRD evaluation: the consecutive sample of one device and act, its medians, the comparison.

:func:`evaluate` is the pure heart of ``kerma nrd evaluate``: it samples the exams
(:mod:`kerma.nrd.sampling`), takes the median of each quantity in the decision's units
(:data:`kerma.nrd.rules.EVALUATED_QUANTITIES`) and compares it with the VGD and NRD of the chosen
reference set (:mod:`kerma.nrd.statistics`). The :class:`Evaluation` it returns serialises to the
JSON the issue describes (:meth:`Evaluation.to_dict`)::

    {"device": …, "act": "CT-TAP", "population": "adult", "required_n": 30,
     "selected": [{"study_uid": …, "event_uid": …, "values": {"ctdivol": 9.1, "dlp": 612.0}}, …],
     "excluded": [{"study_uid": …, "reason": "BMI 36.2 kg/m² above 35", "code": "bmi_above", …}],
     "results": [{"quantity": "ctdivol", "unit": "mGy", "median": 9.4, "vgd": null, "nrd": 20.0,
                  "status": "below_nrd", …}, …], …}

Reference values are converted to the result's unit (the 2011 PDS of 25 cGy·cm² is compared as
250 mGy·cm²) and the result says so; a set without a value for the act says so plainly
(``no_reference``) instead of comparing with nothing; an abrogated or local set is named.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from kerma.nrd.acquisitions import AcquisitionChoice, SeriesPatterns
from kerma.nrd.eligibility import Exclusion
from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import DECISION_2019, EVALUATED_QUANTITIES, SamplingRules
from kerma.nrd.sampling import select_consecutive
from kerma.nrd.statistics import Status, compare, median
from kerma.reference.loader import find_act
from kerma.reference.tables import Act, ReferenceSet, WeightCategory
from kerma.reference.vocabulary import Family, Population, Quantity, display_unit


def _round(value: float) -> float:
    return float(f"{value:.12g}")


@dataclass(frozen=True, slots=True)
class QuantityResult:
    """The median of one quantity and its comparison (all values in ``unit``).

    ``vgd``/``nrd`` are the reference values converted to ``unit`` (None when absent);
    ``reference`` says where they come from (set, status, row, original value and unit) or why
    there is none; ``indicative`` marks the PIR fluoroscopy time.
    """

    quantity: Quantity
    unit: str
    n: int
    median: float | None
    vgd: float | None
    nrd: float | None
    status: Status
    indicative: bool = False
    reference: str = ""
    reference_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "quantity": self.quantity.value,
            "unit": self.unit,
            "median": self.median,
            "vgd": self.vgd,
            "nrd": self.nrd,
            "status": self.status.value,
            "n": self.n,
            "indicative": self.indicative,
            "reference": self.reference,
            "reference_source": self.reference_source,
        }


@dataclass(frozen=True, slots=True)
class SelectedExam:
    """An exam of the sample: its values (keyed by quantity, in the results' units)."""

    study_uid: str
    event_uid: str | None
    values: Mapping[Quantity, float]
    study_date: date
    study_time: time | None = None
    choice: AcquisitionChoice | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return ``{study_uid, event_uid, values, study_date, …}`` (JSON-ready)."""
        data: dict[str, Any] = {
            "study_uid": self.study_uid,
            "event_uid": self.event_uid,
            "values": {q.value: v for q, v in self.values.items()},
            "study_date": self.study_date.isoformat(),
            "study_time": self.study_time.isoformat() if self.study_time else None,
        }
        if self.choice is not None:
            data["choice"] = self.choice.to_dict()
        return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A frozen evaluation of one device, act and population over a period."""

    device: str | None
    act: str
    act_label: str
    family: Family
    population: Population
    category: WeightCategory | None
    period_from: date | None
    period_to: date | None
    reference_set: str
    reference_status: str
    required_n: int
    selected: tuple[SelectedExam, ...]
    excluded: tuple[Exclusion, ...]
    unmapped: tuple[str, ...]
    results: tuple[QuantityResult, ...]
    messages: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when the sample holds the required number of exams."""
        return len(self.selected) >= self.required_n

    def result(self, quantity: Quantity | str) -> QuantityResult | None:
        """Return the result of ``quantity``, or None."""
        return next((r for r in self.results if r.quantity == quantity), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as the JSON-ready structure of the issue (plus details)."""
        return {
            "device": self.device,
            "act": self.act,
            "act_label": self.act_label,
            "family": self.family.value,
            "population": self.population.value,
            "category": (
                None
                if self.category is None
                else {
                    "code": self.category.code,
                    "label": self.category.label,
                    "weight_min_kg": self.category.weight_min_kg,
                    "weight_max_kg": self.category.weight_max_kg,
                }
            ),
            "from": self.period_from.isoformat() if self.period_from else None,
            "to": self.period_to.isoformat() if self.period_to else None,
            "reference_set": self.reference_set,
            "reference_status": self.reference_status,
            "required_n": self.required_n,
            "n": len(self.selected),
            "complete": self.complete,
            "selected": [s.to_dict() for s in self.selected],
            "excluded": [e.to_dict() for e in self.excluded],
            "unmapped": list(self.unmapped),
            "results": [r.to_dict() for r in self.results],
            "messages": list(self.messages),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as JSON text (UTF-8 characters kept)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def evaluate(
    exams: Iterable[ExamRecord],
    *,
    act: Act | str,
    reference_set: ReferenceSet,
    population: Population | str = Population.ADULT,
    category: WeightCategory | str | None = None,
    device_id: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    overrides: Mapping[str, str] | None = None,
    excluded_by_user: Collection[str] = (),
    rules: SamplingRules = DECISION_2019,
    patterns: SeriesPatterns | None = None,
    presorted: bool = False,
) -> Evaluation:
    """Return the evaluation of ``act`` for ``population`` on ``device_id`` over a period.

    ``act`` is an :class:`Act` or an act code, looked up in ``reference_set`` then in the shipped
    sets (so that an act the set does not list is evaluated with "no reference"); ``category`` (a
    :class:`WeightCategory` or the code of one of the set's categories) is required for a
    paediatric evaluation. Dates are inclusive. ``overrides`` maps a study UID to the event UID
    the physicist chose; ``excluded_by_user`` lists study UIDs the physicist left out with a
    reason recorded elsewhere. See :func:`kerma.nrd.sampling.select_consecutive` for
    ``presorted``. Raises ValueError for an unknown act or category code.
    """
    pop = Population(population)
    the_act = find_act(act, [reference_set]) if isinstance(act, str) else act
    if the_act is None:
        raise ValueError(
            f"act {act!r} is in no reference set (neither {reference_set.name} nor the shipped "
            "sets): pass an Act"
        )
    the_category: WeightCategory | None
    if isinstance(category, str):
        the_category = reference_set.category(category)
        if the_category is None:
            known = ", ".join(reference_set.categories) or "none"
            raise ValueError(
                f"weight category {category!r} is not in reference set {reference_set.name} "
                f"(its categories: {known})"
            )
    else:
        the_category = category
    if pop is Population.ADULT:
        the_category = None
    elif the_category is None or not the_category.has_bounds:
        raise ValueError(
            "a paediatric evaluation needs one weight category with weight bounds (got "
            f"{the_category.describe() if the_category else None})"
        )
    cat_code = the_category.code if the_category else None
    wanted = EVALUATED_QUANTITIES[the_act.family]
    refs = {
        w.quantity: reference_set.lookup(the_act.code, pop, w.quantity, cat_code) for w in wanted
    }
    phantom = next((r.phantom_cm for r in refs.values() if r is not None and r.phantom_cm), None)

    sample = select_consecutive(
        exams,
        the_act,
        pop,
        category=the_category,
        device_id=device_id,
        period_from=period_from,
        period_to=period_to,
        phantom_cm=phantom,
        overrides=overrides,
        excluded_by_user=excluded_by_user,
        rules=rules,
        patterns=patterns,
        presorted=presorted,
    )

    who = pop.value + (f" {cat_code}" if cat_code else "")
    results: list[QuantityResult] = []
    for w in wanted:
        values = [
            item.measurement.values[w.quantity]
            for item in sample.selected
            if w.quantity in item.measurement.values
        ]
        med = _round(median(values)) if values else None
        ref = refs[w.quantity]
        if ref is None:
            text = (
                f"{reference_set.label} does not list {the_act.code} for {who} "
                f"({w.quantity.value}): no reference to compare with"
            )
            results.append(
                QuantityResult(
                    w.quantity,
                    w.unit,
                    len(values),
                    med,
                    None,
                    None,
                    Status.NO_REFERENCE,
                    w.indicative,
                    text,
                )
            )
            continue
        if ref.nrd is None:
            text = (
                f"{reference_set.label} lists {the_act.code} for {who} ({w.quantity.value}) "
                f"without a value: {ref.note or 'no value'} ({ref.origin})"
            )
            results.append(
                QuantityResult(
                    w.quantity,
                    w.unit,
                    len(values),
                    med,
                    None,
                    None,
                    Status.NO_REFERENCE,
                    w.indicative,
                    text,
                    ref.source,
                )
            )
            continue
        nrd, vgd = ref.nrd_in(w.unit), ref.vgd_in(w.unit)
        text = f"{reference_set.label}, {ref.origin}: NRD {ref.nrd:g} {display_unit(ref.unit)}"
        if ref.vgd is not None:
            text += f", VGD {ref.vgd:g} {display_unit(ref.unit)}"
        if ref.unit != w.unit:
            text += f" (= NRD {nrd:g}" + (f", VGD {vgd:g}" if vgd is not None else "")
            text += f" {display_unit(w.unit)})"
        results.append(
            QuantityResult(
                w.quantity,
                w.unit,
                len(values),
                med,
                vgd,
                nrd,
                compare(med, vgd, nrd),
                w.indicative,
                text,
                ref.source,
            )
        )

    messages = _messages(sample, reference_set, the_act, results, period_from, period_to)
    return Evaluation(
        device=device_id,
        act=the_act.code,
        act_label=the_act.label,
        family=the_act.family,
        population=pop,
        category=the_category,
        period_from=period_from,
        period_to=period_to,
        reference_set=reference_set.name,
        reference_status=reference_set.status,
        required_n=sample.required_n,
        selected=tuple(
            SelectedExam(
                study_uid=item.exam.study_uid,
                event_uid=item.measurement.event_uid,
                values=dict(item.measurement.values),
                study_date=item.exam.study_date,
                study_time=item.exam.study_time,
                choice=item.measurement.choice,
            )
            for item in sample.selected
        ),
        excluded=tuple(sample.excluded),
        unmapped=tuple(sample.unmapped),
        results=tuple(results),
        messages=tuple(messages),
    )


def _messages(
    sample: Any,
    reference_set: ReferenceSet,
    act: Act,
    results: list[QuantityResult],
    period_from: date | None,
    period_to: date | None,
) -> list[str]:
    """Return what the physicist must read before trusting the result."""
    messages: list[str] = []
    if not sample.complete:
        period = f" between {period_from or '…'} and {period_to or '…'}"
        messages.append(
            f"sample incomplete: {len(sample.selected)} of {sample.required_n} required eligible "
            f"consecutive exams{period}; the comparison is only indicative"
        )
    if reference_set.status and reference_set.status != "in_force":
        messages.append(f"reference values from {reference_set.label}: not the regulation in force")
    for r in results:
        if r.status is Status.NO_REFERENCE:
            messages.append(r.reference)
        if r.indicative:
            messages.append(f"{r.quantity.value} is an indicator of practice only")
    ambiguous = [
        i.exam.study_uid
        for i in sample.selected
        if i.measurement.choice and i.measurement.choice.ambiguous
    ]
    if ambiguous:
        messages.append(
            f"{len(ambiguous)} acquisition choice(s) made among several candidates: review them "
            f"({', '.join(ambiguous[:5])}{'…' if len(ambiguous) > 5 else ''})"
        )
    if sample.unmapped:
        messages.append(
            f"{len(sample.unmapped)} exam(s) of this device in the period are mapped to no act: "
            "map them, one may belong to this act"
        )
    if act.per.startswith("administration-"):
        messages.append(f"values are the activity of {act.per.replace('-', ' ')} of each exam")
    return messages
