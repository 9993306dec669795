"""Eligibility bounds of decision 2019-DC-0667, each straddled."""

from __future__ import annotations

import pytest

from kerma.nrd import Reason, bmi, check_eligibility, reported_bmi
from kerma.nrd.eligibility import population_of
from kerma.reference import WeightCategory

TEN_KG = WeightCategory("10kg", "poids 10 kg", 6.75, 15.0, source="test", bounds_source="test")
UNDER_50 = WeightCategory("30-50kg", "30 à 50 kg", 30.0, 50.0, source="test", bounds_source="test")


def code(exclusion):
    return None if exclusion is None else exclusion.code


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (17.9, Reason.BMI_BELOW),
        (18.0, None),
        (35.0, None),
        (35.1, Reason.BMI_ABOVE),
    ],
)
def test_adult_bmi_bounds_are_inclusive(make_exam, weight, expected):
    exam = make_exam(weight_kg=weight, height_m=1.0)  # BMI = weight
    assert code(check_eligibility(exam, "adult")) is expected


def test_bmi_is_compared_as_reported_to_one_decimal(make_exam):
    assert bmi(80.0, 1.6) == pytest.approx(31.25)
    assert reported_bmi(80.0, 1.6) == 31.3
    assert check_eligibility(make_exam(weight_kg=35.04, height_m=1.0), "adult") is None
    assert code(check_eligibility(make_exam(weight_kg=35.05, height_m=1.0), "adult")) is (
        Reason.BMI_ABOVE
    )
    assert check_eligibility(make_exam(weight_kg=17.95, height_m=1.0), "adult") is None
    # a realistic patient at the bound: 55.4 kg, 1.755 m → 17.99 → 18.0
    assert check_eligibility(make_exam(weight_kg=55.4, height_m=1.755), "adult") is None


def test_bmi_exclusion_reads_in_english_and_french(make_exam):
    why = check_eligibility(make_exam(weight_kg=120.0, height_m=1.7), "adult")
    assert why.reason == "BMI 41.5 kg/m² above 35"
    assert why.reason_fr == "IMC 41.5 kg/m² supérieur à 35"
    assert why.to_dict() == {
        "study_uid": "1.2.3.0",
        "reason": "BMI 41.5 kg/m² above 35",
        "code": "bmi_above",
        "reason_fr": "IMC 41.5 kg/m² supérieur à 35",
    }


@pytest.mark.parametrize(
    ("age", "adult", "child"),
    [(17.99, Reason.NOT_ADULT, None), (18.0, None, Reason.NOT_CHILD_AGE)],
)
def test_age_bound_at_18(make_exam, age, adult, child):
    grown = make_exam(age_years=age, weight_kg=70.0, height_m=1.75)
    small = make_exam(age_years=age, weight_kg=10.0, height_m=0.8)
    assert code(check_eligibility(grown, "adult")) is adult
    assert code(check_eligibility(small, "paediatric", TEN_KG)) is child


@pytest.mark.parametrize(("weight", "expected"), [(49.9, None), (50.0, Reason.CHILD_TOO_HEAVY)])
def test_child_weight_bound_at_50_kg(make_exam, weight, expected):
    exam = make_exam(age_years=15.0, weight_kg=weight, height_m=None)
    assert code(check_eligibility(exam, "paediatric", UNDER_50)) is expected


def test_a_17_year_old_of_50_kg_is_in_neither_population(make_exam):
    exam = make_exam(age_years=17.0, weight_kg=50.0, height_m=1.7)
    assert population_of(exam) is None
    assert code(check_eligibility(exam, "adult")) is Reason.NOT_ADULT
    assert code(check_eligibility(exam, "paediatric", UNDER_50)) is Reason.CHILD_TOO_HEAVY


def test_child_must_be_in_the_weight_category(make_exam):
    assert check_eligibility(make_exam(age_years=1, weight_kg=6.75), "paediatric", TEN_KG) is None
    outside = check_eligibility(make_exam(age_years=1, weight_kg=15.0), "paediatric", TEN_KG)
    assert outside.code is Reason.OUTSIDE_CATEGORY
    assert "10kg" in outside.reason


def test_missing_weight_or_height(make_exam):
    adult = "adult"
    assert code(check_eligibility(make_exam(weight_kg=None), adult)) is Reason.MISSING_WEIGHT
    assert code(check_eligibility(make_exam(height_m=None), adult)) is Reason.MISSING_HEIGHT
    both = make_exam(weight_kg=None, height_m=None)
    assert code(check_eligibility(both, adult)) is Reason.MISSING_WEIGHT_AND_HEIGHT
    # a child needs its weight, not its height
    child = make_exam(age_years=1, weight_kg=None, height_m=0.75)
    assert code(check_eligibility(child, "paediatric", TEN_KG)) is Reason.MISSING_WEIGHT
    no_height = make_exam(age_years=1, weight_kg=10.0, height_m=None)
    assert check_eligibility(no_height, "paediatric", TEN_KG) is None


def test_unknown_age_test_exam_and_height_in_cm(make_exam):
    assert code(check_eligibility(make_exam(age_years=None), "adult")) is Reason.MISSING_AGE
    assert code(check_eligibility(make_exam(is_test=True), "adult")) is Reason.TEST_EXAM
    in_cm = check_eligibility(make_exam(height_m=175.0), "adult")
    assert in_cm.code is Reason.IMPLAUSIBLE_HEIGHT and "cm?" in in_cm.reason


def test_paediatric_evaluation_needs_a_category_with_bounds(make_exam):
    with pytest.raises(ValueError, match="weight category"):
        check_eligibility(make_exam(age_years=1, weight_kg=10.0), "paediatric")
    unbounded = WeightCategory("10kg", "poids 10 kg")
    with pytest.raises(ValueError, match="weight bounds"):
        check_eligibility(make_exam(age_years=1, weight_kg=10.0), "paediatric", unbounded)
