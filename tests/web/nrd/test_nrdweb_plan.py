"""The yearly plan from the database: perimeter, activity per device and act, evaluations done."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from nrdweb_factories import projection

from kerma.web.nrd.references import use_reference
from kerma.web.nrd.services import (
    add_mapping,
    run_evaluation,
    save_evaluation,
    set_device_settings,
    year_activity,
    year_plan,
)

pytestmark = pytest.mark.django_db

MID_2024, EARLY_2025 = date(2024, 6, 30), date(2025, 1, 15)


def helix(uid: str, dlp: float = 600.0) -> dict:
    return {
        "uid": uid,
        "kind": "ct",
        "acquisition_type": "spiral",
        "protocol": "TAP",
        "ctdivol_mgy": dlp / 60,
        "dlp_mgycm": dlp,
        "phantom_cm": 32,
    }


@pytest.fixture
def unit(make_device, make_exam) -> dict:
    """A CT (TAP and head, 8.7 % children), a room outside the perimeter, an idle room."""
    ct = make_device("ct-1", "ct", display_name="Scanner", institution="CH", department="Imagerie")
    add_mapping(by="phys", pattern="TAP", act_code="CT-TAP", device=ct)
    add_mapping(by="phys", pattern="CRANE", act_code="CT-ENCEPHALE", device=ct)
    for k in range(32):
        make_exam(
            ct,
            f"tap{k}",
            date(2024, 1, 2) + timedelta(days=k),
            modality="CT",
            procedure="TAP INJ",
            events=[helix(f"h{k}", 500.0 + k)],
        )
    for k in range(10):
        make_exam(ct, f"head{k}", date(2024, 3, 1 + k), modality="CT", procedure="CRANE SANS IV")
    for k in range(4):
        make_exam(
            ct,
            f"kid{k}",
            date(2024, 4, 1 + k),
            modality="CT",
            procedure="CRANE",
            age_years=8.0,
            weight_kg=22.0,
        )
    make_exam(ct, "qc", date(2024, 4, 9), modality="CT", procedure="TAP", is_test=True)
    outside = make_device("rx-out", "radiography", display_name="Salle urgences")
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=outside)
    make_exam(outside, "out1", date(2024, 2, 1), events=[projection("o1", 100.0)])
    set_device_settings(outside, by="ran", in_perimeter=False)
    idle = make_device("rx-idle", "radiography", display_name="Salle os")
    make_exam(idle, "knee1", date(2024, 2, 1), procedure="GENOU")
    return {"ct": ct, "outside": outside, "idle": idle}


def items_of(plan: dict, device_id: int) -> list[dict]:
    return [i for i in plan["items"] if i["device"]["id"] == device_id]


def test_activity_per_device_and_act_comes_from_the_data(unit):
    activity = year_activity(2024, [unit["ct"], unit["idle"]])
    ct = activity[str(unit["ct"].pk)]
    assert (ct.total_exams, ct.paediatric_exams) == (46, 4)  # the QC exam is left out
    assert ct.acts == {
        ("CT-TAP", "adult"): 32,
        ("CT-TAP", "paediatric"): 0,
        ("CT-ENCEPHALE", "adult"): 10,
        ("CT-ENCEPHALE", "paediatric"): 4,
    }
    assert activity[str(unit["idle"].pk)].acts == {}


def test_without_ct_values_the_plan_says_the_set_has_no_ct_act(unit):
    plan = year_plan(2024, as_of=MID_2024)
    (ct_item,) = items_of(plan, unit["ct"].pk)
    assert (ct_item["status"], ct_item["requirement"]) == ("not_required", "no_listed_act")
    gap = [f for f in plan["flags"] if f["code"] == "reference_gap"]
    assert gap and gap[0]["device_id"] == unit["ct"].pk and "Annexe 3" in gap[0]["message"]


def test_plan_statuses_done_due_late_not_required(unit):
    use_reference("fr-2011-arrete", by="ran", family="ct")
    run = run_evaluation(
        unit["ct"], "CT-TAP", period_from=date(2024, 1, 1), period_to=date(2024, 12, 31)
    )
    evaluation = save_evaluation(run, by="phys")
    plan = year_plan(2024, as_of=MID_2024)
    for item in plan["items"]:
        assert set(item) >= {"device", "act", "population", "status", "from", "to", "evaluation_id"}
        assert (item["from"], item["to"]) == ("2024-01-01", "2024-12-31")
    ct = items_of(plan, unit["ct"].pk)
    done = [i for i in ct if i["status"] == "done"]
    assert [(i["act"]["code"], i["evaluation_id"]) for i in done] == [("CT-TAP", evaluation.pk)]
    assert done[0]["act"]["label"] == "Thorax-abdomen-pelvis"
    assert done[0]["evaluation"]["results"][0]["status"] == "below_nrd"
    due = [i for i in ct if i["status"] == "due"]
    assert [(i["population"], i["requirement"]) for i in due] == [
        ("adult", "device_adult_acts"),
        ("paediatric", "device_paediatric_act"),
    ]
    assert [c["code"] for c in due[0]["candidate_acts"]] == ["CT-ENCEPHALE"]
    (out,) = items_of(plan, unit["outside"].pk)
    assert (out["status"], out["requirement"]) == ("not_required", "outside_perimeter")
    (idle,) = items_of(plan, unit["idle"].pk)
    assert (idle["status"], idle["requirement"]) == ("not_required", "no_listed_act")
    codes = {f["code"] for f in plan["flags"]}
    assert {"not_signed", "outside_perimeter_listed_acts", "reference_not_in_force"} <= codes
    assert "late" not in codes

    late = year_plan(2024, as_of=EARLY_2025)
    statuses = [i["status"] for i in items_of(late, unit["ct"].pk)]
    assert statuses == ["done", "late", "late"]
    lates = [f for f in late["flags"] if f["code"] == "late"]
    assert len(lates) == 2 and all(f["severity"] == "nonconformity" for f in lates)


def test_the_same_act_the_next_year_is_flagged(unit, make_exam):
    use_reference("fr-2011-arrete", by="ran", family="ct")
    # three acts performed in 2025: evaluating CT-TAP again is avoidable, hence flagged
    add_mapping(by="phys", pattern="ABDO", act_code="CT-ABDOMEN-PELVIS", device=unit["ct"])
    year = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}
    save_evaluation(run_evaluation(unit["ct"], "CT-TAP", **year), by="phys")
    for k in range(3):
        make_exam(
            unit["ct"],
            f"tap25-{k}",
            date(2025, 1, 5 + k),
            modality="CT",
            procedure="TAP",
            events=[helix(f"h25-{k}")],
        )
        make_exam(unit["ct"], f"head25-{k}", date(2025, 1, 5 + k), modality="CT", procedure="CRANE")
        make_exam(unit["ct"], f"ap25-{k}", date(2025, 1, 5 + k), modality="CT", procedure="ABDO")
    next_year = {"period_from": date(2025, 1, 1), "period_to": date(2025, 12, 31)}
    again = save_evaluation(run_evaluation(unit["ct"], "CT-TAP", **next_year), by="phys")
    plan = year_plan(2025, as_of=date(2025, 2, 1))
    flags = {(f["code"], f["act_code"]) for f in plan["flags"]}
    assert ("same_act_as_previous_year", "CT-TAP") in flags
    assert ("incomplete_sample", "CT-TAP") in flags
    done = [i for i in items_of(plan, unit["ct"].pk) if i["status"] == "done"]
    assert done[0]["evaluation_id"] == again.pk
