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

from kerma.notices import Notice, notice
from kerma.nrd.acquisitions import AcquisitionChoice, SeriesPatterns
from kerma.nrd.eligibility import Exclusion
from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import DECISION_2019, EVALUATED_QUANTITIES, EvaluatedQuantity, SamplingRules
from kerma.nrd.sampling import Sample, select_consecutive
from kerma.nrd.statistics import Status, compare, median
from kerma.nrd.wording import NoticeError, set_word, who_word
from kerma.reference.loader import find_act
from kerma.reference.tables import Act, Reference, ReferenceSet, WeightCategory
from kerma.reference.vocabulary import Family, Population, Quantity, display_unit


def _round(value: float) -> float:
    return float(f"{value:.12g}")


@dataclass(frozen=True, slots=True)
class QuantityResult:
    """The median of one quantity and its comparison (all values in ``unit``).

    ``vgd``/``nrd`` are the reference values converted to ``unit`` (None when absent);
    ``reference`` says where they come from (set, status, row, original value and unit) or why
    there is none (then ``reference_notice`` words it for the shell); ``indicative`` marks the
    PIR fluoroscopy time.
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
    reference_notice: Notice | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (``reference_notice`` only when there is one)."""
        data = {
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
        if self.reference_notice is not None:
            data["reference_notice"] = self.reference_notice.to_dict()
        return data


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
    notices: tuple[Notice, ...] = ()

    @property
    def messages(self) -> tuple[str, ...]:
        """Return what the physicist must read, in English (:attr:`notices` in any language)."""
        return tuple(n.text("en") for n in self.notices)

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
            "notices": [n.to_dict() for n in self.notices],
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
        raise NoticeError("nrd.error.act_not_found", act=act, set=reference_set.name)
    the_category = _resolve_category(category, pop, reference_set)
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
    about = {"set": set_word(reference_set), "act": the_act.code, "who": who_word(pop, cat_code)}
    results = [_quantity_result(sample, w, refs[w.quantity], about) for w in wanted]

    notices = _notices(sample, reference_set, the_act, results, period_from, period_to)
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
        notices=tuple(notices),
    )


def _resolve_category(
    category: WeightCategory | str | None, pop: Population, reference_set: ReferenceSet
) -> WeightCategory | None:
    """Return the weight category of the evaluation: None for adults, one with weight bounds
    for children. Raises ValueError for a code the set does not know or a paediatric
    evaluation without bounds."""
    the_category: WeightCategory | None
    if isinstance(category, str):
        the_category = reference_set.category(category)
        if the_category is None:
            known = list(reference_set.categories)
            raise NoticeError(
                "nrd.error.unknown_category" if known else "nrd.error.unknown_category_none",
                category=category,
                set=reference_set.name,
                **({"known": known} if known else {}),
            )
    else:
        the_category = category
    if pop is Population.ADULT:
        return None
    if the_category is None or not the_category.has_bounds:
        got = the_category.describe() if the_category else None
        raise NoticeError("nrd.error.paediatric_bounds", got=str(got))
    return the_category


def _quantity_result(
    sample: Sample, w: EvaluatedQuantity, ref: Reference | None, about: dict[str, Any]
) -> QuantityResult:
    """Return the median of ``w`` over the sample compared with ``ref`` (in ``w.unit``).

    ``about`` holds the set's label, the act code and who is evaluated, for the notice that
    says why there is nothing to compare with.
    """
    values = [
        item.measurement.values[w.quantity]
        for item in sample.selected
        if w.quantity in item.measurement.values
    ]
    med = _round(median(values)) if values else None
    vgd = nrd = None
    status, source, why = Status.NO_REFERENCE, "", None
    if ref is None:
        why = notice("nrd.evaluation.no_reference", **about, quantity=w.quantity.value)
    elif ref.nrd is None:
        source = ref.source
        why = notice(
            "nrd.evaluation.no_value",
            **about,
            quantity=w.quantity.value,
            note=ref.note or "no value",
            origin=ref.origin,
        )
    if why is None:
        assert ref is not None and ref.nrd is not None
        nrd, vgd = ref.nrd_in(w.unit), ref.vgd_in(w.unit)
        status, source = compare(med, vgd, nrd), ref.source
        text = f"NRD {ref.nrd:g} {display_unit(ref.unit)}"
        if ref.vgd is not None:
            text += f", VGD {ref.vgd:g} {display_unit(ref.unit)}"
        if ref.unit != w.unit:
            text += f" (= NRD {nrd:g}" + (f", VGD {vgd:g}" if vgd is not None else "")
            text += f" {display_unit(w.unit)})"
        why = notice(
            "nrd.evaluation.reference_values", set=about["set"], origin=ref.origin, values=text
        )
    text = why.text("en")
    return QuantityResult(
        w.quantity, w.unit, len(values), med, vgd, nrd, status, w.indicative, text, source, why
    )


def _notices(
    sample: Sample,
    reference_set: ReferenceSet,
    act: Act,
    results: list[QuantityResult],
    period_from: date | None,
    period_to: date | None,
) -> list[Notice]:
    """Return what the physicist must read before trusting the result."""
    notices: list[Notice] = []
    if not sample.complete:
        notices.append(
            notice(
                "nrd.evaluation.sample_incomplete",
                n=len(sample.selected),
                required=sample.required_n,
                start=str(period_from or "…"),
                end=str(period_to or "…"),
            )
        )
    if reference_set.status and reference_set.status != "in_force":
        notices.append(
            notice("nrd.evaluation.reference_not_in_force", set=set_word(reference_set))
        )
    for r in results:
        if r.status is Status.NO_REFERENCE and r.reference_notice is not None:
            notices.append(r.reference_notice)
        if r.indicative:
            notices.append(notice("nrd.evaluation.indicator_only", quantity=r.quantity.value))
    ambiguous = [
        i.exam.study_uid
        for i in sample.selected
        if i.measurement.choice and i.measurement.choice.ambiguous
    ]
    if ambiguous:
        notices.append(
            notice(
                "nrd.evaluation.ambiguous_choices",
                n=len(ambiguous),
                uids=ambiguous[:5],
                more="…" if len(ambiguous) > 5 else "",
            )
        )
    if sample.unmapped:
        notices.append(notice("nrd.evaluation.unmapped", n=len(sample.unmapped)))
    if act.per.startswith("administration-"):
        rank = act.per.removeprefix("administration-")
        notices.append(notice("nrd.evaluation.administration", rank=rank))
    return notices
