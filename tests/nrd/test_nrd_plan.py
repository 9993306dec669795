"""The yearly plan: due, done, late, not required, and what an inspector would flag."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kerma.nrd import (
    Device,
    DeviceActivity,
    EvaluationRecord,
    PlanStatus,
    Requirement,
    activity_from_exams,
    plan_year,
)
from kerma.reference import Family, Population

A, P = Population.ADULT, Population.PAEDIATRIC
MID_2024, EARLY_2025 = date(2024, 6, 30), date(2025, 1, 15)


def activity(device: str, acts: dict[tuple[str, Population], int], paediatric: int = 0):
    total = sum(acts.values())
    return DeviceActivity(device, 2024, total, paediatric, acts)


def record(device, act, day, population=A, year=2024, eid=None, complete=True):
    return EvaluationRecord(device, act, population, date(year, *day), eid, complete)


CT1 = Device("CT1", Family.CT, name="Scanner 1", unit="Imagerie")
CT_ACTS = {("CT-TAP", A): 400, ("CT-THORAX", A): 300, ("CT-ENCEPHALE", A): 200}


def items(plan, device_id=None, requirement=None):
    return [
        i
        for i in plan.items
        if (device_id is None or (i.device and i.device.id == device_id))
        and (requirement is None or i.requirement is requirement)
    ]


def test_a_device_with_no_listed_act_owes_nothing():
    idle = Device("CT9", Family.CT)
    plan = plan_year(
        2024,
        [idle],
        {"CT9": activity("CT9", {("CT-TAP", A): 0})},
        [],
        as_of=EARLY_2025,
        listed_acts={"CT-TAP": "Thorax-abdomen-pelvis"},
    )
    (item,) = plan.items
    assert (item.status, item.requirement) == (PlanStatus.NOT_REQUIRED, Requirement.NO_LISTED_ACT)
    assert plan.flags == ()
    # acts that are not in the annexes do not count either
    other = plan_year(
        2024,
        [idle],
        {"CT9": activity("CT9", {("CT-GENOU", A): 50})},
        [],
        as_of=EARLY_2025,
        listed_acts={"CT-TAP": "Thorax-abdomen-pelvis"},
    )
    assert other.items[0].requirement is Requirement.NO_LISTED_ACT


def test_ct_two_acts_done():
    evals = [record("CT1", "CT-TAP", (3, 1), eid=1), record("CT1", "CT-THORAX", (5, 1), eid=2)]
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", CT_ACTS)}, evals, as_of=EARLY_2025)
    adult = items(plan, "CT1", Requirement.DEVICE_ADULT_ACTS)
    assert [(i.act_code, i.status, i.evaluation_id) for i in adult] == [
        ("CT-TAP", PlanStatus.DONE, 1),
        ("CT-THORAX", PlanStatus.DONE, 2),
    ]
    assert plan.flags == ()


@pytest.mark.parametrize(("as_of", "status"), [(MID_2024, "due"), (EARLY_2025, "late")])
def test_ct_second_act_due_then_late(as_of, status):
    evals = [record("CT1", "CT-TAP", (3, 1), eid=1)]
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", CT_ACTS)}, evals, as_of=as_of)
    done, missing = items(plan, "CT1", Requirement.DEVICE_ADULT_ACTS)
    assert done.status is PlanStatus.DONE
    assert missing.status == status and missing.act_code is None
    assert [c for c, _ in missing.candidate_acts] == ["CT-ENCEPHALE", "CT-THORAX"]
    late_flags = [f for f in plan.flags if f.code == "late"]
    assert bool(late_flags) is (status == "late")


def test_same_act_two_years_running_is_flagged():
    evals = [
        record("CT1", "CT-TAP", (3, 1), year=2023),
        record("CT1", "CT-THORAX", (4, 1), year=2023),
        record("CT1", "CT-TAP", (3, 1), eid=10),
        record("CT1", "CT-ENCEPHALE", (4, 1), eid=11),
    ]
    four_acts = {**CT_ACTS, ("CT-ABDOMEN-PELVIS", A): 100}
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", four_acts)}, evals, as_of=EARLY_2025)
    (flag,) = plan.flags
    assert (flag.code, flag.severity, flag.act_code) == (
        "same_act_as_previous_year",
        "nonconformity",
        "CT-TAP",
    )
    assert "2023" in flag.message
    # both evaluations still count as done
    assert {i.status for i in items(plan, "CT1", Requirement.DEVICE_ADULT_ACTS)} == {
        PlanStatus.DONE
    }
    # with three acts, one new act only is available after 2023: one repetition is unavoidable
    unavoidable = plan_year(2024, [CT1], {"CT1": activity("CT1", CT_ACTS)}, evals, as_of=EARLY_2025)
    assert unavoidable.flags == ()


def test_repeating_acts_is_not_flagged_when_the_device_performs_no_other():
    two_acts = {("CT-TAP", A): 400, ("CT-THORAX", A): 300}
    evals = [
        record("CT1", "CT-TAP", (3, 1), year=2023),
        record("CT1", "CT-THORAX", (4, 1), year=2023),
        record("CT1", "CT-TAP", (3, 1)),
        record("CT1", "CT-THORAX", (4, 1)),
    ]
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", two_acts)}, evals, as_of=EARLY_2025)
    assert plan.flags == ()


def test_a_device_performing_one_listed_act_owes_one():
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", {("CT-TAP", A): 10})}, [], as_of=MID_2024)
    assert len(items(plan, "CT1", Requirement.DEVICE_ADULT_ACTS)) == 1


@pytest.mark.parametrize(("paediatric", "status"), [(5, "not_required"), (6, "due")])
def test_ct_paediatric_evaluation_above_5_percent(paediatric, status):
    acts = {("CT-TAP", A): 94 - paediatric, ("CT-ENCEPHALE", P): paediatric, ("CT-THORAX", A): 6}
    dev_activity = DeviceActivity("CT1", 2024, 100, paediatric, acts)
    plan = plan_year(2024, [CT1], {"CT1": dev_activity}, [], as_of=MID_2024)
    (item,) = items(plan, "CT1", Requirement.DEVICE_PAEDIATRIC_ACT)
    assert item.status == status and item.population is P
    if status == "due":
        assert [c for c, _ in item.candidate_acts] == ["CT-ENCEPHALE"]
    else:
        assert "5.0 %" in item.note.replace("5.0%", "5.0 %")


def test_interventional_devices_owe_no_paediatric_evaluation():
    xa = Device("XA1", Family.INTERVENTIONAL)
    acts = {("PIR-CORO", A): 50, ("PIR-CORO", P): 50}
    plan = plan_year(
        2024, [xa], {"XA1": DeviceActivity("XA1", 2024, 100, 50, acts)}, [], as_of=MID_2024
    )
    assert [i.requirement for i in plan.items] == [Requirement.DEVICE_ADULT_ACTS]


RADIOLOGY = [
    Device("DX1", Family.RADIOGRAPHY, unit="Imagerie"),
    Device("DX2", Family.RADIOGRAPHY, unit="Imagerie", first_year=2023),
    Device("OPT1", Family.DENTAL, unit="Imagerie"),
    Device("DX9", Family.RADIOGRAPHY, unit="Imagerie", in_perimeter=False),
]
RADIOLOGY_ACTIVITY = {
    "DX1": activity("DX1", {("RX-THORAX-PA", A): 900, ("RX-THORAX-PA", P): 100}, paediatric=100),
    "DX2": activity("DX2", {("RX-BASSIN-AP", A): 300}),
    "OPT1": activity("OPT1", {("DENT-OPT", A): 200}),
    "DX9": activity("DX9", {("RX-THORAX-PA", A): 20}),
}


def test_radiology_two_adult_acts_per_unit_and_one_paediatric():
    evals = [
        record("DX1", "RX-THORAX-PA", (2, 1), eid=1),
        record("DX2", "RX-BASSIN-AP", (6, 1), eid=2),
        record("OPT1", "DENT-OPT", (4, 1), year=2019),
    ]
    plan = plan_year(2024, RADIOLOGY, RADIOLOGY_ACTIVITY, evals, as_of=EARLY_2025)
    unit = [i for i in plan.items if i.requirement is Requirement.UNIT_ADULT_ACTS]
    assert [(i.device.id, i.act_code, i.status) for i in unit] == [
        ("DX1", "RX-THORAX-PA", PlanStatus.DONE),
        ("DX2", "RX-BASSIN-AP", PlanStatus.DONE),
    ]
    (paed,) = [i for i in plan.items if i.requirement is Requirement.UNIT_PAEDIATRIC_ACT]
    assert paed.status is PlanStatus.LATE and paed.candidate_devices == ("DX1",)
    assert paed.device is None and paed.to_dict()["device"]["id"] is None
    five = {i.device.id: i for i in items(plan, requirement=Requirement.FIVE_YEAR)}
    assert five["DX1"].status is PlanStatus.DONE
    assert five["DX2"].status is PlanStatus.DONE
    assert five["OPT1"].status is PlanStatus.LATE  # evaluated in 2019: due by 2024
    assert "last evaluated in 2019" in five["OPT1"].note
    codes = sorted(f.code for f in plan.flags)
    assert codes == ["five_year", "late", "outside_perimeter_listed_acts"]
    (outside,) = items(plan, "DX9")
    assert outside.requirement is Requirement.OUTSIDE_PERIMETER


@pytest.mark.parametrize(
    ("history", "first_year", "status", "flag"),
    [
        ([], None, PlanStatus.DUE, False),  # nothing on record, entry year unknown: due now
        ([], 2023, PlanStatus.NOT_REQUIRED, False),  # due by 2027
        ([2022], None, PlanStatus.NOT_REQUIRED, False),  # next by 2027
        ([2019], None, PlanStatus.DUE, False),  # next by 2024
        ([2018], None, PlanStatus.LATE, True),  # should have been by 2023
    ],
)
def test_every_device_once_in_five_years(history, first_year, status, flag):
    dx = Device("DX1", Family.RADIOGRAPHY, first_year=first_year)
    evals = [record("DX1", "RX-THORAX-PA", (5, 1), year=y) for y in history]
    plan = plan_year(
        2024,
        [dx],
        {"DX1": activity("DX1", {("RX-THORAX-PA", A): 10})},
        evals,
        as_of=MID_2024,
    )
    (item,) = items(plan, "DX1", Requirement.FIVE_YEAR)
    assert item.status is status
    assert any(f.code == "five_year" for f in plan.flags) is flag


def test_incomplete_sample_is_flagged_but_done():
    evals = [record("CT1", "CT-TAP", (3, 1), complete=False), record("CT1", "CT-THORAX", (3, 2))]
    plan = plan_year(2024, [CT1], {"CT1": activity("CT1", CT_ACTS)}, evals, as_of=EARLY_2025)
    assert [f.code for f in plan.flags] == ["incomplete_sample"]


def test_plan_json():
    evals = [record("CT1", "CT-TAP", (3, 1), eid=42)]
    plan = plan_year(
        2024,
        [CT1],
        {"CT1": activity("CT1", CT_ACTS)},
        evals,
        as_of=MID_2024,
        listed_acts={"CT-TAP": "Thorax-abdomen-pelvis", "CT-THORAX": "Thorax"},
    )
    data = json.loads(plan.to_json())
    first, second = data["items"][:2]
    assert first["device"] == {"id": "CT1", "name": "Scanner 1", "family": "ct", "unit": "Imagerie"}
    assert first["act"] == {"code": "CT-TAP", "label": "Thorax-abdomen-pelvis"}
    assert (first["population"], first["status"], first["evaluation_id"]) == ("adult", "done", 42)
    assert (first["from"], first["to"]) == ("2024-01-01", "2024-12-31")
    assert second["status"] == "due" and second["act"] is None
    assert second["candidate_acts"] == [{"code": "CT-THORAX", "label": "Thorax"}]


def test_activity_from_exams(make_exam):
    exams = [
        make_exam(0, age_years=40),
        make_exam(1, age_years=8, weight_kg=25),
        make_exam(2, age_years=None),
        make_exam(3, act_code=None),
        make_exam(4, is_test=True),
        make_exam(5, study_date=date(2023, 12, 31)),
    ]
    (act,) = activity_from_exams(exams, 2024).values()
    assert (act.total_exams, act.paediatric_exams, act.unknown_age) == (4, 1, 1)
    assert act.paediatric_share == 0.25
    assert act.acts == {("CT-TAP", A): 2, ("CT-TAP", P): 1}
