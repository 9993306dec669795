"""Predictive assessment of staff exposure: inverse square, protections per organ, volume,
limits (20/500/20 mSv) and classification thresholds (A above 6/150/15, B above 1/50), the
protection that fixes an organ, and the seeds' TAVI example."""

from __future__ import annotations

import pytest

from kerma.staff import (
    AssessmentInput,
    InputError,
    Organ,
    Protection,
    assess,
    classify,
    dose_from_dap,
    inverse_square,
    transmission,
)

# The seeds' TAVI assessment (Lille, 19 Nov 2019): 470 procedures a year, operator at 40 cm,
# 97 % attenuation of the whole body by the protection; yearly 3.6 / 104.5 / 44.25 mSv. The
# inputs per procedure these figures imply, at 40 cm without protection, in µSv:
TAVI_VOLUME = 470
TAVI_DOSE_USV = {
    "whole_body": 3600 / 0.03 / 470,  # 255.32 µSv before the 97 % attenuation
    "extremities": 104_500 / 470,  # 222.34 µSv, hands not protected
    "lens": 44_250 / 470,  # 94.15 µSv, no lead glasses
}
TAVI_PROTECTION = Protection("protection (corps entier)", {"whole_body": 0.97})
# An example candidate (its value is a test input, not from the seeds, whose table of
# attenuations per collective protection is a picture without figures in the text).
LEAD_GLASSES = Protection("lead glasses", {"lens": 0.6}, kind="individual")
CAP = Protection("cap", {"lens": 0.3})


def tavi(**changes) -> AssessmentInput:
    values = dict(
        dose_usv=TAVI_DOSE_USV, reference_distance_cm=40, working_distance_cm=40,
        volume=TAVI_VOLUME, protections=[TAVI_PROTECTION], candidates=[CAP, LEAD_GLASSES],
    )
    values.update(changes)
    return AssessmentInput(**values)


def test_tavi_example_of_the_seeds():
    result = assess(tavi())
    data = result.as_dict()
    assert (data["whole_body_msv"], data["extremities_msv"], data["lens_msv"]) == (
        3.6, 104.5, 44.25,
    )
    assert data["category"] == "A"
    assert result.category_reasons == (Organ.LENS,)  # 44.25 > 15 mSv lens
    assert data["over_limit"] == ["lens"]
    assert data["required_attenuation"]["lens"] == pytest.approx(1 - 20 / 44.25, abs=1e-4)
    assert [(f["organ"], f["protection"]) for f in data["fixes"]] == [("lens", "lead glasses")]
    assert data["fixes"][0]["dose_msv"] == pytest.approx(17.7)
    texts = [n.text("fr") for n in result.notices]
    assert any("cristallin" in t and "lead glasses" in t for t in texts)
    assert any("catégorie A" in t for t in texts)


def test_tavi_from_another_reference_distance():
    # The same doses measured at 1 m (inverse square: × (40/100)² at 1 m) give the same year.
    at_one_metre = {k: v * (40 / 100) ** 2 for k, v in TAVI_DOSE_USV.items()}
    data = assess(tavi(dose_usv=at_one_metre, reference_distance_cm=100)).as_dict()
    assert (data["whole_body_msv"], data["extremities_msv"], data["lens_msv"]) == (
        3.6, 104.5, 44.25,
    )


def test_no_candidate_fixes():
    result = assess(tavi(candidates=[CAP]))
    assert result.fixes == ()
    assert any(n.code == "staff.no_fix" for n in result.notices)


def test_inverse_square_and_transmission():
    assert inverse_square(100.0, 100, 50) == pytest.approx(400.0)
    assert inverse_square(100.0, 50, 100) == pytest.approx(25.0)
    both = [Protection("a", {"lens": 0.5}), Protection("b", {"lens": 0.5, "whole_body": 0.9})]
    assert transmission(both, "lens") == pytest.approx(0.25)
    assert transmission(both, "whole_body") == pytest.approx(0.1)
    assert transmission(both, "extremities") == 1.0


def test_dose_from_dap():
    assert dose_from_dap(50.0, 2.0) == 100.0
    with pytest.raises(InputError):
        dose_from_dap(-1.0, 2.0)


@pytest.mark.parametrize(
    ("doses", "category"),
    [
        ({}, "none"),
        ({Organ.WHOLE_BODY: 1.0}, "none"),  # strictly above
        ({Organ.WHOLE_BODY: 1.001}, "B"),
        ({Organ.WHOLE_BODY: 6.0}, "B"),
        ({Organ.WHOLE_BODY: 6.001}, "A"),
        ({Organ.EXTREMITIES: 50.0}, "none"),
        ({Organ.EXTREMITIES: 50.01}, "B"),
        ({Organ.EXTREMITIES: 150.0}, "B"),
        ({Organ.EXTREMITIES: 150.01}, "A"),
        ({Organ.LENS: 14.99}, "none"),  # no lens criterion for B in R.4451-57
        ({Organ.LENS: 15.0}, "none"),
        ({Organ.LENS: 15.01}, "A"),
    ],
)
def test_category_thresholds(doses, category):
    assert classify(doses)[0] == category


@pytest.mark.parametrize(
    ("organ", "at_limit", "above"),
    [("whole_body", 20.0, 20.01), ("extremities", 500.0, 500.1), ("lens", 20.0, 20.01)],
)
def test_limits(organ, at_limit, above):
    def year(msv: float):
        return assess(AssessmentInput({organ: msv}, 100, 100, 1000))  # 1000 × µSv = mSv

    assert year(at_limit).over_limit == ()
    assert [o.value for o in year(above).over_limit] == [organ]


@pytest.mark.parametrize(
    "bad",
    [
        {"reference_distance_cm": 0},
        {"working_distance_cm": -1},
        {"volume": -5},
        {"dose_usv": {"lens": -1.0}},
        {"dose_usv": {"thyroid": 1.0}},
        {"protections": [Protection("p", {"lens": 1.0})]},
    ],
)
def test_inputs_out_of_domain(bad):
    with pytest.raises(InputError):
        assess(tavi(**bad))
