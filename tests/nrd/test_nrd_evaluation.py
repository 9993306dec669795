"""Consecutive sampling, acquisition choice, medians and the comparison with VGD and NRD."""

from __future__ import annotations

import json
import random
from datetime import date, datetime

import pytest

from kerma.nrd import (
    Acquisition,
    Administration,
    Reason,
    Status,
    compare,
    evaluate,
    median,
)
from kerma.reference import Quantity, parse_reference_csv

# A local set for families whose 2019 values are missing: test numbers, not regulatory values.
LOCAL = parse_reference_csv(
    "act_code,act_label,modality,population,category,quantity,unit,nrd,vgd,source,per\n"
    "PIR-TEST,Acte interventionnel de test,interventional,adult,,dap,Gy.cm2,40,20,test only,\n"
    "PIR-TEST,Acte interventionnel de test,interventional,adult,,fluoro_time,min,10,,test only,\n"
    "NM-TEST,Scintigraphie de test,nuclear_medicine,adult,,activity,MBq,700,,test only,\n"
    "NM-INJ2,Myocarde de test,nuclear_medicine,adult,,activity,MBq,800,,test only,"
    "administration-2\n",
    name="local-test",
)
PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}


# --- statistics ------------------------------------------------------------------------------


def test_median_odd_and_even():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([7.0]) == 7.0
    with pytest.raises(ValueError):
        median([])


def test_compare_bounds():
    assert compare(149.9, 150, 200) is Status.BELOW_VGD
    assert compare(150, 150, 200) is Status.BETWEEN
    assert compare(200, 150, 200) is Status.BETWEEN
    assert compare(200.1, 150, 200) is Status.ABOVE_NRD
    assert compare(100, None, 200) is Status.BELOW_NRD
    assert compare(100, None, None) is Status.NO_REFERENCE
    assert compare(None, 150, 200) is Status.NO_DATA


# --- sample size ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "complete"), [(29, False), (30, True)])
def test_thirty_adults_are_required(ct_exam, ref2011, n, complete):
    exams = [ct_exam(i, dlp=600.0 + i) for i in range(n)]
    result = evaluate(exams, act="CT-TAP", reference_set=ref2011, device_id="CT1", **PERIOD)
    assert result.required_n == 30
    assert len(result.selected) == n
    assert result.complete is complete
    assert any("sample incomplete: 29 of 30" in m for m in result.messages) is (not complete)


def test_the_sample_is_the_first_thirty_in_chronological_order(ct_exam, ref2011):
    exams = [ct_exam(i, dlp=600.0 + i) for i in range(40)]
    exams[3] = ct_exam(3, weight_kg=130.0)  # BMI 42.4: excluded, listed
    exams[35] = ct_exam(35, weight_kg=130.0)  # after the sample is complete: not examined
    shuffled = exams[:]
    random.Random(4).shuffle(shuffled)
    result = evaluate(shuffled, act="CT-TAP", reference_set=ref2011, device_id="CT1", **PERIOD)
    expected = [e.study_uid for e in exams[:31] if e.study_uid != "1.2.3.3"]
    assert [s.study_uid for s in result.selected] == expected
    assert [e.study_uid for e in result.excluded] == ["1.2.3.3"]
    assert result.excluded[0].code is Reason.BMI_ABOVE


def test_period_and_device_bound_the_sample(ct_exam, ref2011):
    exams = [ct_exam(i) for i in range(30)]
    exams.append(ct_exam(100, study_date=date(2023, 12, 31)))
    exams.append(ct_exam(101, device_id="CT2"))
    result = evaluate(exams, act="CT-TAP", reference_set=ref2011, device_id="CT1", **PERIOD)
    uids = {s.study_uid for s in result.selected}
    assert "1.2.3.100" not in uids and "1.2.3.101" not in uids and len(uids) == 30


@pytest.mark.parametrize(("n", "complete"), [(9, False), (10, True)])
def test_ten_patients_for_interventional_practice(make_exam, n, complete):
    exams = [
        make_exam(
            i, device_id="XA1", act_code="PIR-TEST", dap_total_gycm2=10.0 + i, fluoro_time_s=300.0
        )
        for i in range(n)
    ]
    result = evaluate(exams, act="PIR-TEST", reference_set=LOCAL, device_id="XA1", **PERIOD)
    assert result.required_n == 10 and result.complete is complete
    dap, time = result.result("dap"), result.result("fluoro_time")
    assert (dap.unit, time.unit) == ("Gy.cm2", "min")
    assert time.median == 5.0 and time.indicative and not dap.indicative
    assert dap.median == (14.0 if n == 9 else 14.5)
    assert dap.status is Status.BELOW_VGD
    assert any("indicator of practice" in m for m in result.messages)


def test_interventional_exam_without_fluoro_time_stays_without_dap_leaves(make_exam):
    exams = [
        make_exam(0, act_code="PIR-TEST", dap_total_gycm2=30.0, fluoro_time_s=None),
        make_exam(1, act_code="PIR-TEST", dap_total_gycm2=None, fluoro_time_s=60.0),
    ]
    result = evaluate(exams, act="PIR-TEST", reference_set=LOCAL)
    assert [s.study_uid for s in result.selected] == ["1.2.3.0"]
    assert result.excluded[0].code is Reason.MISSING_VALUE
    assert result.excluded[0].reason == "total DAP not recorded"
    assert result.result("fluoro_time").n == 0 and result.result("fluoro_time").median is None


@pytest.mark.parametrize(("n", "complete"), [(9, False), (10, True)])
def test_ten_children_in_one_weight_category(ct_exam, helix, ref2011, n, complete):
    head = dict(protocol="Crane", phantom_cm=16)
    children = [
        ct_exam(
            i,
            act_code="CT-ENCEPHALE",
            age_years=1.0,
            weight_kg=10.0,
            height_m=None,
            acquisitions=(helix(f"ev.{i}", 25.0 + i, 400.0, **head),),
        )
        for i in range(n)
    ]
    heavier = ct_exam(
        50, act_code="CT-ENCEPHALE", age_years=4, weight_kg=18.0, study_date=date(2023, 12, 1)
    )
    result = evaluate(
        [*children, heavier],
        act="CT-ENCEPHALE",
        reference_set=ref2011,
        population="paediatric",
        category="10kg",
    )
    assert result.required_n == 10 and result.complete is complete
    ctdi = result.result("ctdivol")
    assert (ctdi.nrd, ctdi.vgd) == (30.0, None)
    assert ctdi.median == (29.0 if n == 9 else 29.5)
    assert ctdi.status is Status.BELOW_NRD
    assert [e.code for e in result.excluded] == [Reason.OUTSIDE_CATEGORY]
    assert result.to_dict()["category"]["code"] == "10kg"


# --- medians and comparison ------------------------------------------------------------------


def radiograph(make_exam, i, dap_gycm2, **kw):
    kw.setdefault(
        "acquisitions", (Acquisition(f"ev.{i}", "stationary", "Thorax PA", dap_gycm2=dap_gycm2),)
    )
    return make_exam(i, device_id="DX1", act_code="RX-THORAX-PA", **kw)


@pytest.mark.parametrize(
    ("dap_gycm2", "status"),
    [
        (0.14, Status.BELOW_VGD),
        (0.15, Status.BETWEEN),
        (0.2, Status.BETWEEN),
        (0.21, Status.ABOVE_NRD),
    ],
)
def test_radiography_dap_in_mgy_cm2_against_2019(make_exam, ref2019, dap_gycm2, status):
    exams = [radiograph(make_exam, i, dap_gycm2) for i in range(31)]
    result = evaluate(exams, act="RX-THORAX-PA", reference_set=ref2019, device_id="DX1")
    dap = result.result(Quantity.DAP)
    assert (dap.unit, dap.vgd, dap.nrd) == ("mGy.cm2", 150.0, 200.0)
    assert dap.median == pytest.approx(dap_gycm2 * 1000)
    assert dap.status is status
    assert result.selected[0].values == {Quantity.DAP: pytest.approx(dap_gycm2 * 1000)}


def test_even_sample_median_is_the_mean_of_the_middle_two(make_exam, ref2019):
    exams = [radiograph(make_exam, i, 0.1 + 0.001 * i) for i in range(30)]
    exams.reverse()
    result = evaluate(exams, act="RX-THORAX-PA", reference_set=ref2019)
    assert result.result("dap").median == 114.5  # (114 + 115) / 2 mGy·cm²


def test_2011_reference_is_converted_and_labelled(make_exam, ref2011):
    exams = [radiograph(make_exam, i, 0.3) for i in range(30)]
    result = evaluate(exams, act="RX-THORAX-PA", reference_set=ref2011)
    dap = result.result("dap")
    assert (dap.nrd, dap.median, dap.status) == (250.0, 300.0, Status.ABOVE_NRD)
    assert "NRD 25 cGy·cm²" in dap.reference and "= NRD 250 mGy·cm²" in dap.reference
    assert any("abrogated" in m for m in result.messages)


def test_no_reference_is_said_plainly(ct_exam, make_exam, ref2019):
    ct = evaluate([ct_exam(i) for i in range(30)], act="CT-TAP", reference_set=ref2019)
    assert ct.reference_set == "fr-2019-DC-0667"
    tap = ct.result("ctdivol")
    assert tap.status is Status.NO_REFERENCE and tap.median == 10.0 and tap.nrd is None
    assert "does not list CT-TAP" in tap.reference

    mammo = [
        make_exam(
            i,
            act_code="MG-NUMERIQUE",
            acquisitions=(Acquisition(f"e{i}", "stationary", agd_mgy=1.2),),
        )
        for i in range(30)
    ]
    result = evaluate(mammo, act="MG-NUMERIQUE", reference_set=ref2019)
    agd = result.result("agd")
    assert agd.status is Status.NO_REFERENCE and agd.median == 1.2
    assert "without a value: MISSING" in agd.reference


# --- exclusions and mapping ------------------------------------------------------------------


def test_test_exam_excluded_and_unmapped_exam_reported(ct_exam, ref2011):
    exams = [ct_exam(i) for i in range(31)]
    exams[0] = ct_exam(0, is_test=True)
    exams[1] = ct_exam(1, act_code=None, procedure="PROTOCOLE INCONNU")
    exams[2] = ct_exam(2, act_code="CT-THORAX")
    result = evaluate(exams, act="CT-TAP", reference_set=ref2011)
    assert result.excluded[0].study_uid == "1.2.3.0" and result.excluded[0].code is Reason.TEST_EXAM
    assert result.unmapped == ("1.2.3.1",)
    selected = {s.study_uid for s in result.selected}
    assert {"1.2.3.0", "1.2.3.1", "1.2.3.2"}.isdisjoint(selected)
    assert len(selected) == 28 and not result.complete
    assert any("mapped to no act" in m for m in result.messages)


# --- acquisition choice ----------------------------------------------------------------------


def test_a_localizer_is_never_chosen(ct_exam, helix, ref2011):
    localizers = (
        Acquisition("loc", "constant_angle", "Topogram", ctdivol_mgy=90.0, dlp_mgycm=9000.0),
        Acquisition("bolus", "spiral", "Bolus Tracking", ctdivol_mgy=80.0, dlp_mgycm=8000.0),
        Acquisition("mon", "stationary", "Monitoring", ctdivol_mgy=70.0, dlp_mgycm=7000.0),
        Acquisition(
            "tst", "spiral", "TEST serie", ctdivol_mgy=60.0, dlp_mgycm=6000.0, phantom_cm=32
        ),
    )
    exam = ct_exam(0, acquisitions=(*localizers, helix("helix", 12.0, 800.0)))
    only_localizer = ct_exam(1, acquisitions=localizers[:1])
    result = evaluate([exam, only_localizer], act="CT-TAP", reference_set=ref2011)
    chosen = result.selected[0]
    assert chosen.event_uid == "helix"
    assert chosen.values == {Quantity.CTDIVOL: 12.0, Quantity.DLP: 800.0}
    assert chosen.choice.rule == "only_candidate"
    assert {uid for uid, _ in chosen.choice.rejected} == {"loc", "bolus", "mon", "tst"}
    assert result.excluded[0].code is Reason.NO_ACQUISITION
    assert "constant angle" in result.excluded[0].reason


def test_phantom_must_match_the_level(ct_exam, helix, ref2011):
    body = helix("body", 20.0, 500.0, protocol="Crane", phantom_cm=32)
    head = helix("head", 50.0, 900.0, protocol="Crane", phantom_cm=16)
    exam = ct_exam(0, act_code="CT-ENCEPHALE", acquisitions=(body, head))
    result = evaluate([exam], act="CT-ENCEPHALE", reference_set=ref2011)
    assert result.selected[0].event_uid == "head"
    assert "16 cm phantom" in dict(result.selected[0].choice.rejected)["body"]


def test_several_helices(ct_exam, helix, ref2011):
    thorax = helix("thx", 8.0, 300.0, protocol="Thorax art")
    tap = helix("tap", 10.0, 700.0, protocol="TAP portal")
    small = helix("a", 9.0, 400.0, protocol="Serie 1")
    large = helix("b", 9.0, 650.0, protocol="Serie 2")
    mapped = helix("m", 7.0, 100.0, protocol="X", act_code="CT-TAP")
    other = helix("o", 7.0, 900.0, protocol="Y", act_code="CT-THORAX")
    exams = [
        ct_exam(0, acquisitions=(thorax, tap)),
        ct_exam(1, acquisitions=(small, large)),
        ct_exam(2, acquisitions=(mapped, other, large)),
    ]
    result = evaluate(exams, act="CT-TAP", reference_set=ref2011)
    closest, largest, by_mapping = (s.choice for s in result.selected)
    assert (closest.event_uid, closest.rule, closest.ambiguous) == (
        "tap",
        "closest_protocol",
        False,
    )
    assert (largest.event_uid, largest.rule, largest.ambiguous) == ("b", "largest_dlp", True)
    assert (by_mapping.event_uid, by_mapping.rule) == ("m", "mapped_protocol")
    assert "mapped to act CT-THORAX" in dict(by_mapping.rejected)["o"]
    assert any("review them (1.2.3.1)" in m for m in result.messages)


def test_the_physicist_overrides_the_choice(ct_exam, ref2011):
    exams = [ct_exam(i) for i in range(3)]
    result = evaluate(
        exams,
        act="CT-TAP",
        reference_set=ref2011,
        overrides={"1.2.3.0": "ev.0.0", "1.2.3.1": "nope"},
        excluded_by_user={"1.2.3.2"},
    )
    (chosen,) = result.selected
    assert chosen.event_uid == "ev.0.0" and chosen.choice.overridden
    assert "constant angle" in chosen.choice.warnings[0]
    codes = [(e.study_uid, e.code) for e in result.excluded]
    assert codes == [
        ("1.2.3.1", Reason.OVERRIDE_UNKNOWN_EVENT),
        ("1.2.3.2", Reason.EXCLUDED_BY_USER),
    ]


# --- nuclear medicine ------------------------------------------------------------------------


def test_nuclear_medicine_total_and_per_administration(make_exam):
    def injections(*activities):
        return tuple(
            Administration(f"inj{k}", a, "99mTc", datetime(2024, 1, 1, 8 + k))
            for k, a in enumerate(activities)
        )

    total = [
        make_exam(0, act_code="NM-TEST", administrations=injections(300.0, 350.0)),
        make_exam(1, act_code="NM-TEST", activity_mbq=640.0),
        make_exam(2, act_code="NM-TEST", administrations=injections(300.0, None)),
    ]
    result = evaluate(total, act="NM-TEST", reference_set=LOCAL)
    assert [s.values[Quantity.ACTIVITY] for s in result.selected] == [650.0, 640.0]
    assert result.result("activity").median == 645.0
    assert result.result("activity").status is Status.BELOW_NRD
    assert result.excluded[0].code is Reason.MISSING_VALUE

    second = evaluate(
        [make_exam(0, act_code="NM-INJ2", administrations=injections(300.0, 790.0))],
        act="NM-INJ2",
        reference_set=LOCAL,
    )
    assert second.selected[0].event_uid == "inj1"
    assert second.result("activity").median == 790.0


# --- JSON ------------------------------------------------------------------------------------


def test_evaluation_json_has_the_fields_of_the_issue(ct_exam, ref2011):
    exams = [ct_exam(i, dlp=600.0 + i) for i in range(31)]
    exams[0] = ct_exam(0, weight_kg=None)
    data = json.loads(
        evaluate(exams, act="CT-TAP", reference_set=ref2011, device_id="CT1", **PERIOD).to_json()
    )
    assert {"device", "act", "population", "required_n", "selected", "excluded", "results"} <= set(
        data
    )
    assert (data["device"], data["act"], data["population"], data["required_n"]) == (
        "CT1",
        "CT-TAP",
        "adult",
        30,
    )
    first = data["selected"][0]
    assert first["study_uid"] == "1.2.3.1" and first["event_uid"] == "ev.1.1"
    assert first["values"] == {"ctdivol": 10.0, "dlp": 601.0}
    assert data["excluded"][0]["study_uid"] == "1.2.3.0"
    assert data["excluded"][0]["reason"] == "weight not recorded"
    ctdi, dlp = data["results"]
    assert {k: ctdi[k] for k in ("quantity", "unit", "median", "vgd", "nrd", "status")} == {
        "quantity": "ctdivol",
        "unit": "mGy",
        "median": 10.0,
        "vgd": None,
        "nrd": 20.0,
        "status": "below_nrd",
    }
    assert (dlp["unit"], dlp["median"], dlp["nrd"]) == ("mGy.cm", 615.5, 1000.0)


def test_presorted_input_stops_reading_once_complete(ct_exam, ref2011):
    read = []

    def cursor():
        for i in range(1000):
            read.append(i)
            yield ct_exam(i)

    result = evaluate(cursor(), act="CT-TAP", reference_set=ref2011, presorted=True)
    assert result.complete and len(read) == 31


def test_unknown_act_or_category(ref2011, ct_exam):
    with pytest.raises(ValueError, match="in no reference set"):
        evaluate([], act="CT-XYZ", reference_set=ref2011)
    with pytest.raises(ValueError, match="its categories: 3.5kg"):
        evaluate([], act="CT-TAP", reference_set=ref2011, population="paediatric", category="12kg")
