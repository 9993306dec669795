"""Consecutive sampling: the first N eligible exams of a period, in chronological order.

:func:`select_consecutive` walks the exams of one device and one act from the start of the period
in chronological order (date, then time; exams of unknown time first in their day; then study UID
so the order is reproducible) and keeps each eligible exam that yields its values, until the
required number is reached (30 adults, 10 for interventional practices, 10 children). Every exam
met on the way and left out is listed with its reason; exams after the sample is complete are
not examined (only counted). Exams of the device in the period that are mapped to no act are
listed apart (those met before the sample is complete), because one of them could belong to the
act: the physicist maps them and re-runs.

A sample shorter than required is returned as it is, with ``complete`` False: the evaluation says
so rather than failing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from kerma.nrd.acquisitions import SeriesPatterns
from kerma.nrd.eligibility import Exclusion, Reason, check_eligibility, exclusion
from kerma.nrd.measurement import Measurement, measure
from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import DECISION_2019, EVALUATED_QUANTITIES, SamplingRules
from kerma.reference.tables import Act, WeightCategory
from kerma.reference.vocabulary import Population


@dataclass(frozen=True, slots=True)
class SampleItem:
    """An exam in the sample with what it contributes (values in the evaluated units)."""

    exam: ExamRecord
    measurement: Measurement


@dataclass(slots=True)
class Sample:
    """The outcome of consecutive sampling (see the module docstring)."""

    required_n: int
    selected: list[SampleItem] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    not_examined: int = 0  # exams of the act after the sample was complete (0 when presorted)

    @property
    def complete(self) -> bool:
        """True when the sample holds the required number of exams."""
        return len(self.selected) >= self.required_n


def in_period(exam: ExamRecord, period_from: date | None, period_to: date | None) -> bool:
    """True when the exam's date is in [period_from, period_to] (both included; None: open)."""
    return (period_from is None or exam.study_date >= period_from) and (
        period_to is None or exam.study_date <= period_to
    )


def select_consecutive(
    exams: Iterable[ExamRecord],
    act: Act,
    population: Population | str,
    *,
    category: WeightCategory | None = None,
    device_id: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    phantom_cm: int | None = None,
    overrides: Mapping[str, str] | None = None,
    excluded_by_user: Collection[str] = (),
    rules: SamplingRules = DECISION_2019,
    patterns: SeriesPatterns | None = None,
    presorted: bool = False,
) -> Sample:
    """Return the consecutive sample of ``act`` for ``population`` (see the module docstring).

    ``exams`` may hold other devices, acts and dates: only those of ``device_id`` (when given)
    in [``period_from``, ``period_to``] are considered. ``overrides`` maps a study UID to the
    event UID the physicist chose; ``excluded_by_user`` lists study UIDs the physicist left out.
    ``presorted`` True means ``exams`` are already in chronological order (a database cursor):
    the walk then stops as soon as the sample is complete, without reading the rest.
    """
    pop = Population(population)
    quantities = EVALUATED_QUANTITIES[act.family]
    sample = Sample(required_n=rules.required_n(act.family, pop))
    overrides = overrides or {}
    relevant = (
        e
        for e in exams
        if (device_id is None or e.device_id == device_id) and in_period(e, period_from, period_to)
    )
    ordered = relevant if presorted else iter(sorted(relevant, key=lambda e: e.sort_key))
    for exam in ordered:
        if sample.complete and presorted:
            break
        if exam.act_code is None:
            if not sample.complete:
                sample.unmapped.append(exam.study_uid)
            continue
        if exam.act_code != act.code:
            continue
        if sample.complete:
            sample.not_examined += 1
            continue
        if exam.study_uid in excluded_by_user:
            sample.excluded.append(exclusion(exam.study_uid, Reason.EXCLUDED_BY_USER))
            continue
        why = check_eligibility(exam, pop, category, rules)
        if why is not None:
            sample.excluded.append(why)
            continue
        result = measure(
            exam,
            act,
            quantities,
            phantom_cm=phantom_cm,
            override=overrides.get(exam.study_uid),
            patterns=patterns,
        )
        if isinstance(result, Exclusion):
            sample.excluded.append(result)
        else:
            sample.selected.append(SampleItem(exam, result))
    return sample
