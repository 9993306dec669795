"""Who may be in an NRD sample: adults with 18 ≤ BMI ≤ 35, children < 18 years and < 50 kg.

:func:`check_eligibility` returns None for an eligible exam, or an :class:`Exclusion` with a reason
code and the reason in English and French. The bounds come from
:class:`kerma.nrd.rules.SamplingRules` (decision 2019-DC-0667 by default):

- adults: age ≥ 18 years, weight and height recorded, 18 ≤ BMI ≤ 35 kg/m² — both bounds
  included, BMI rounded to 0.1 kg/m² as it is reported (17.95 counts as 18.0, 35.04 as 35.0);
- children: age < 18 years **and** weight < 50 kg, weight recorded, weight in the evaluated
  category [min, max) kg; height is not required.

An exam whose age is unknown is excluded (it cannot be placed in either population), as is a
test, phantom or quality-control exam. A person of 17 years and 50 kg is in neither population.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from kerma.nrd.records import ExamRecord
from kerma.nrd.rules import DECISION_2019, SamplingRules
from kerma.reference.tables import WeightCategory
from kerma.reference.vocabulary import Population
from kerma.units import bmi


class Reason(StrEnum):
    """Why an exam is not in a sample (stable codes; texts in :data:`REASON_TEXTS`)."""

    TEST_EXAM = "test_exam"
    MISSING_AGE = "missing_age"
    NOT_ADULT = "not_adult"
    NOT_CHILD_AGE = "not_child_age"
    MISSING_WEIGHT = "missing_weight"
    MISSING_HEIGHT = "missing_height"
    MISSING_WEIGHT_AND_HEIGHT = "missing_weight_and_height"
    IMPLAUSIBLE_HEIGHT = "implausible_height"
    IMPLAUSIBLE_WEIGHT = "implausible_weight"
    BMI_BELOW = "bmi_below"
    BMI_ABOVE = "bmi_above"
    CHILD_TOO_HEAVY = "child_too_heavy"
    OUTSIDE_CATEGORY = "outside_category"
    NO_ACQUISITION = "no_acquisition"
    MISSING_VALUE = "missing_value"
    OVERRIDE_UNKNOWN_EVENT = "override_unknown_event"
    EXCLUDED_BY_USER = "excluded_by_user"


# English and French texts; placeholders are filled from the exam (values rounded for display).
REASON_TEXTS: dict[Reason, tuple[str, str]] = {
    Reason.TEST_EXAM: (
        "test, phantom or quality-control exam",
        "examen de test, fantôme ou contrôle qualité",
    ),
    Reason.MISSING_AGE: ("age unknown", "âge inconnu"),
    Reason.NOT_ADULT: (
        "age {age:g} years: not an adult (< {limit:g} years)",
        "âge {age:g} ans : pas un adulte (< {limit:g} ans)",
    ),
    Reason.NOT_CHILD_AGE: (
        "age {age:g} years: not a child (≥ {limit:g} years)",
        "âge {age:g} ans : pas un enfant (≥ {limit:g} ans)",
    ),
    Reason.MISSING_WEIGHT: ("weight not recorded", "poids non renseigné"),
    Reason.MISSING_HEIGHT: ("height not recorded", "taille non renseignée"),
    Reason.MISSING_WEIGHT_AND_HEIGHT: (
        "weight and height not recorded",
        "poids et taille non renseignés",
    ),
    Reason.IMPLAUSIBLE_HEIGHT: (
        "height {height:g} m is implausible (entered in cm?)",
        "taille {height:g} m invraisemblable (saisie en cm ?)",
    ),
    Reason.IMPLAUSIBLE_WEIGHT: (
        "weight {weight:g} kg is implausible",
        "poids {weight:g} kg invraisemblable",
    ),
    Reason.BMI_BELOW: (
        "BMI {bmi:.1f} kg/m² below {limit:g}",
        "IMC {bmi:.1f} kg/m² inférieur à {limit:g}",
    ),
    Reason.BMI_ABOVE: (
        "BMI {bmi:.1f} kg/m² above {limit:g}",
        "IMC {bmi:.1f} kg/m² supérieur à {limit:g}",
    ),
    Reason.CHILD_TOO_HEAVY: (
        "weight {weight:g} kg: not a child (≥ {limit:g} kg)",
        "poids {weight:g} kg : pas un enfant (≥ {limit:g} kg)",
    ),
    Reason.OUTSIDE_CATEGORY: (
        "weight {weight:g} kg outside the category {category}",
        "poids {weight:g} kg hors de la catégorie {category}",
    ),
    Reason.NO_ACQUISITION: (
        "no acquisition matching the act: {detail}",
        "aucune acquisition correspondant à l'acte : {detail}",
    ),
    Reason.MISSING_VALUE: ("{detail} not recorded", "{detail} non renseigné"),
    Reason.OVERRIDE_UNKNOWN_EVENT: (
        "the chosen acquisition {detail} is not in this exam",
        "l'acquisition choisie {detail} n'est pas dans cet examen",
    ),
    Reason.EXCLUDED_BY_USER: ("excluded by the physicist", "exclu par le physicien"),
}


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An exam left out of a sample: its study UID, the reason code and texts (EN, FR)."""

    study_uid: str
    code: Reason
    reason: str
    reason_fr: str

    def to_dict(self) -> dict[str, Any]:
        """Return ``{study_uid, reason, code, reason_fr}`` (JSON-ready)."""
        return {
            "study_uid": self.study_uid,
            "reason": self.reason,
            "code": self.code.value,
            "reason_fr": self.reason_fr,
        }


def exclusion(study_uid: str, code: Reason, **values: Any) -> Exclusion:
    """Return the :class:`Exclusion` of ``study_uid`` for ``code``, texts filled with ``values``."""
    english, french = REASON_TEXTS[code]
    return Exclusion(study_uid, code, english.format(**values), french.format(**values))


def reported_bmi(weight_kg: float, height_m: float, decimals: int = 1) -> float:
    """Return the BMI in kg/m² rounded half-up to ``decimals`` (as it is reported and compared).

    The BMI itself is :func:`kerma.units.bmi` (weight in kg / height in m squared).

    The quotient is first taken to 10 significant digits, so that floating-point noise does not
    decide the rounding (80 kg / 1.6 m² is 31.249999999999996 in binary, reported 31.3).
    """
    raw = bmi(weight_kg, height_m)
    if raw is None:
        raise ValueError(f"no BMI for weight {weight_kg} kg and height {height_m} m")
    value = Decimal(f"{raw:.10g}")
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def population_of(exam: ExamRecord, rules: SamplingRules = DECISION_2019) -> Population | None:
    """Return the population the exam's patient belongs to, None when neither or unknown.

    Adult: age ≥ 18 years. Child: age < 18 years and weight < 50 kg (weight known).
    """
    if exam.age_years is None:
        return None
    if exam.age_years >= rules.adult_age_min_years:
        return Population.ADULT
    if exam.weight_kg is not None and exam.weight_kg < rules.child_weight_max_kg:
        return Population.PAEDIATRIC
    return None


def check_eligibility(
    exam: ExamRecord,
    population: Population | str,
    category: WeightCategory | None = None,
    rules: SamplingRules = DECISION_2019,
) -> Exclusion | None:
    """Return None when ``exam`` may be in a ``population`` sample, else why not.

    ``category`` is the weight category of a paediatric evaluation (required then, with bounds;
    ValueError otherwise). Checks run in this order, and the first failing one is the reason:
    test exam; age; (adults) weight and height, plausibility, BMI; (children) weight,
    weight < 50 kg, weight in the category.
    """
    pop = Population(population)
    uid = exam.study_uid
    if pop is Population.PAEDIATRIC and (category is None or not category.has_bounds):
        raise ValueError(
            "a paediatric evaluation needs one weight category with weight bounds "
            f"(got {category.describe() if category else None})"
        )
    if exam.is_test:
        return exclusion(uid, Reason.TEST_EXAM)
    if exam.age_years is None:
        return exclusion(uid, Reason.MISSING_AGE)
    weight, height = exam.weight_kg, exam.height_m
    if weight is not None and weight <= 0:
        return exclusion(uid, Reason.IMPLAUSIBLE_WEIGHT, weight=weight)
    if pop is Population.ADULT:
        if exam.age_years < rules.adult_age_min_years:
            return exclusion(
                uid, Reason.NOT_ADULT, age=round(exam.age_years, 2), limit=rules.adult_age_min_years
            )
        if weight is None and height is None:
            return exclusion(uid, Reason.MISSING_WEIGHT_AND_HEIGHT)
        if weight is None:
            return exclusion(uid, Reason.MISSING_WEIGHT)
        if height is None:
            return exclusion(uid, Reason.MISSING_HEIGHT)
        if not rules.min_height_m <= height <= rules.max_height_m:
            return exclusion(uid, Reason.IMPLAUSIBLE_HEIGHT, height=height)
        value = reported_bmi(weight, height, rules.bmi_decimals)
        if value < rules.bmi_min:
            return exclusion(uid, Reason.BMI_BELOW, bmi=value, limit=rules.bmi_min)
        if value > rules.bmi_max:
            return exclusion(uid, Reason.BMI_ABOVE, bmi=value, limit=rules.bmi_max)
        return None
    assert category is not None  # checked above
    if exam.age_years >= rules.adult_age_min_years:
        return exclusion(
            uid, Reason.NOT_CHILD_AGE, age=round(exam.age_years, 2), limit=rules.adult_age_min_years
        )
    if weight is None:
        return exclusion(uid, Reason.MISSING_WEIGHT)
    if weight >= rules.child_weight_max_kg:
        return exclusion(
            uid, Reason.CHILD_TOO_HEAVY, weight=weight, limit=rules.child_weight_max_kg
        )
    if not category.contains(weight):
        return exclusion(uid, Reason.OUTSIDE_CATEGORY, weight=weight, category=category.describe())
    return None
