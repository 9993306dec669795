"""An evaluation end to end from the database: sample, exclusions, medians, statuses, snapshot."""

from __future__ import annotations

from datetime import date

import pytest
from nrdweb_factories import PERIOD, projection

from kerma.web.dose.models import Event, Exam
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import (
    evaluation_to_dict,
    iter_exam_records,
    parse_study_time,
    protocol_mapper,
    run_evaluation,
    save_evaluation,
)

pytestmark = pytest.mark.django_db

# RX-THORAX-PA in decision 2019-DC-0667, tableau 2.1: NRD 200, VGD 150 mGy·cm².
ABOVE = [100.0 + 10 * k for k in range(30)]  # median (240 + 250) / 2 = 245
BETWEEN_AT_NRD = [185.5 + k for k in range(30)]  # median 200.0: at the NRD is not above it
BELOW_VGD = [50.0 + 2 * k for k in range(30)]  # median 79


@pytest.mark.parametrize(
    ("values", "median", "status"),
    [
        (ABOVE, 245.0, "above_nrd"),
        (BETWEEN_AT_NRD, 200.0, "between"),
        (BELOW_VGD, 79.0, "below_vgd"),
    ],
)
def test_thirty_consecutive_adults_medians_and_status(rx_unit, values, median, status):
    unit = rx_unit(values)
    run = run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD)
    data = run.to_dict()
    assert data["device"]["id"] == unit["device"].pk
    assert (data["act"], data["population"], data["required_n"]) == ("RX-THORAX-PA", "adult", 30)
    assert [s["study_uid"] for s in data["selected"]] == unit["selected"]
    assert [(e["study_uid"], e["code"]) for e in data["excluded"]] == unit["excluded"]
    assert data["unmapped"] == unit["unmapped"]
    assert data["complete"] is True
    (result,) = data["results"]
    assert (result["quantity"], result["unit"]) == ("dap", "mGy.cm2")
    assert (result["median"], result["vgd"], result["nrd"]) == (median, 150.0, 200.0)
    assert result["status"] == status
    assert data["reference_set"] == "fr-2019-DC-0667"
    assert data["reference_version"].startswith("fr-2019-DC-0667 shipped sha256:")
    first = data["selected"][0]
    assert set(first) >= {"study_uid", "event_uid", "values"}
    assert first["values"] == {"dap": values[0]}
    assert first["acquisition"]["kvp_kv"] == 125.0
    assert first["patient"]["bmi"] == pytest.approx(60 / 1.7**2, abs=0.05)


def test_each_exclusion_says_why_in_english_and_french(rx_unit):
    unit = rx_unit(ABOVE)
    excluded = {
        e["study_uid"]: e
        for e in run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD).to_dict()["excluded"]
    }
    assert excluded["x.bmi39"]["reason"] == "BMI 39.2 kg/m² above 35"
    assert excluded["x.noheight"]["reason_fr"] == "taille non renseignée"
    assert excluded["x.child"]["reason"].startswith("age 16 years: not an adult")
    assert "fluoroscopy" in excluded["x.fluoro"]["reason"]
    assert "x.test" not in excluded  # test exams are left out by the query, not listed


def test_the_acquisition_that_matches_the_act_is_chosen_and_can_be_overridden(rx_unit):
    unit = rx_unit(ABOVE)
    run = run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD)
    e10 = next(s for s in run.to_dict()["selected"] if s["study_uid"] == "e10")
    assert e10["event_uid"] == "ev.10" and e10["values"]["dap"] == ABOVE[10]
    assert e10["choice"]["rule"] == "closest_protocol"
    chosen = run_evaluation(
        unit["device"], "RX-THORAX-PA", overrides={"e10": "ev.10.lat"}, **PERIOD
    ).to_dict()
    e10 = next(s for s in chosen["selected"] if s["study_uid"] == "e10")
    assert (e10["event_uid"], e10["values"]["dap"]) == ("ev.10.lat", 999.0)
    assert e10["choice"]["overridden"] is True


def test_excluded_by_the_physicist_makes_room_for_the_next_exam(rx_unit):
    unit = rx_unit(ABOVE)
    data = run_evaluation(
        unit["device"], "RX-THORAX-PA", excluded_by_user=["e03"], **PERIOD
    ).to_dict()
    uids = [s["study_uid"] for s in data["selected"]]
    assert "e03" not in uids and uids[-1] == "e30"
    assert ("e03", "excluded_by_user") in [(e["study_uid"], e["code"]) for e in data["excluded"]]


def test_twenty_nine_exams_are_an_incomplete_sample(rx_unit):
    unit = rx_unit(ABOVE)
    data = run_evaluation(
        unit["device"], "RX-THORAX-PA", period_from=date(2024, 1, 1), period_to=date(2024, 1, 9)
    ).to_dict()
    assert len(data["selected"]) == 28 and data["complete"] is False
    assert any("sample incomplete: 28 of 30" in m for m in data["messages"])


def test_an_act_without_value_says_no_reference(make_device, make_exam):
    from kerma.web.nrd.services import add_mapping

    mammo = make_device("mg-1", "mammography")
    add_mapping(by="physicist", pattern="MAMMO", act_code="MG-NUMERIQUE", device=mammo)
    for k in range(3):
        make_exam(
            mammo,
            f"m{k}",
            date(2024, 2, 1 + k),
            modality="MG",
            procedure="MAMMOGRAPHIE DEPISTAGE",
            events=[projection(f"mg.{k}", None, protocol="L CC", agd_mgy=1.2 + k * 0.1)],
        )
    data = run_evaluation(mammo, "MG-NUMERIQUE", **PERIOD).to_dict()
    (result,) = data["results"]
    assert (result["quantity"], result["unit"], result["status"]) == ("agd", "mGy", "no_reference")
    assert result["median"] == pytest.approx(1.3) and result["nrd"] is None
    assert "without a value" in result["reference"]
    # an act the set does not list at all (2019 CT tables were not retrieved) says so too
    ct = make_device("ct-1", "ct")
    add_mapping(by="physicist", pattern="TAP", act_code="CT-TAP", device=ct)
    make_exam(
        ct,
        "c1",
        date(2024, 3, 1),
        modality="CT",
        procedure="TAP C+",
        events=[
            {
                "uid": "h1",
                "kind": "ct",
                "acquisition_type": "spiral",
                "protocol": "TAP",
                "ctdivol_mgy": 9.0,
                "dlp_mgycm": 600.0,
                "phantom_cm": 32,
            },
        ],
    )
    ct_data = run_evaluation(ct, "CT-TAP", **PERIOD).to_dict()
    assert [r["status"] for r in ct_data["results"]] == ["no_reference", "no_reference"]
    assert "does not list CT-TAP" in ct_data["results"][0]["reference"]
    assert ct_data["selected"][0]["values"] == {"ctdivol": 9.0, "dlp": 600.0}


def test_unknown_act_and_category_are_refused(rx_unit):
    unit = rx_unit(ABOVE)
    wrong = run_evaluation(unit["device"], "CT-TAP", **PERIOD).to_dict()
    assert any("performs radiography acts; CT-TAP is a ct act" in m for m in wrong["messages"])
    with pytest.raises(ValueError, match="NO-SUCH-ACT"):
        run_evaluation(unit["device"], "NO-SUCH-ACT", **PERIOD)
    with pytest.raises(ValueError, match="weight category"):
        run_evaluation(
            unit["device"],
            "RX-THORAX-PA",
            population="paediatric",
            category="5kg",
            reference_name="fr-2011-arrete",
            **PERIOD,
        )


def test_paediatric_evaluation_in_one_weight_category(make_device, make_exam):
    from kerma.web.nrd.services import add_mapping

    room = make_device("rx-p", "radiography")
    add_mapping(by="physicist", pattern="THORAX", act_code="RX-THORAX-PA", device=room)
    for k in range(12):
        make_exam(
            room,
            f"p{k:02d}",
            date(2024, 5, 1 + k),
            age_years=5.0,
            weight_kg=18.0 if k != 2 else 28.0,
            height_m=None,
            events=[projection(f"pe.{k}", 30.0 + k)],
        )
    data = run_evaluation(
        room,
        "RX-THORAX-PA",
        population="paediatric",
        category="20kg",
        reference_name="fr-2011-arrete",
        **PERIOD,
    ).to_dict()
    assert data["required_n"] == 10 and len(data["selected"]) == 10
    assert data["excluded"][0]["code"] == "outside_category"
    (result,) = data["results"]
    # 2011 printed 5 cGy·cm²: compared as 50 mGy·cm², and the abrogated set is named
    assert (result["nrd"], result["status"]) == (50.0, "below_nrd")
    assert data["reference_status"] == "abrogated"
    assert any("not the regulation in force" in m for m in data["messages"])


def test_records_stream_in_study_order_with_few_queries(rx_unit, django_assert_max_num_queries):
    unit = rx_unit(ABOVE)
    mapper = protocol_mapper(unit["device"].pk)
    records = iter_exam_records(
        unit["device"].pk,
        "RX-THORAX-PA",
        "radiography",
        mapper,
        date(2024, 1, 1),
        date(2024, 12, 31),
    )
    uids = [r.study_uid for r in records]
    # the knee (unmapped) is yielded for the core to list; the abdomen and the test exam are not
    assert uids[:6] == ["x.bmi39", "x.noheight", "x.child", "x.knee", "x.fluoro", "e00"]
    assert uids[6:] == [f"e{k:02d}" for k in range(1, 35)]
    with django_assert_max_num_queries(12):
        run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD)


def test_study_times_are_read_in_every_dicom_spelling():
    assert parse_study_time("101500").isoformat() == "10:15:00"
    assert parse_study_time("101500.25").isoformat() == "10:15:00.250000"
    assert parse_study_time("1015").isoformat() == "10:15:00"
    assert parse_study_time("10:15:30").isoformat() == "10:15:30"
    assert parse_study_time("") is None and parse_study_time("noon") is None


def test_the_stored_snapshot_does_not_follow_later_changes(rx_unit):
    unit = rx_unit(ABOVE)
    stored = save_evaluation(run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="phys")
    stored = Evaluation.objects.get(pk=stored.pk)
    assert stored.n_selected == 30 and stored.exceeds_nrd is True
    assert stored.reference_set == "fr-2019-DC-0667" and stored.created_by == "phys"
    assert [s["study_uid"] for s in stored.selected] == unit["selected"]
    assert stored.mapping_rules[0]["pattern"] == "THORAX"
    # the data changes (a re-sent report): the snapshot keeps what was evaluated
    Event.objects.filter(uid="ev.00").update(dap_gycm2=1.0)
    Exam.objects.filter(study_uid="e01").delete()
    data = evaluation_to_dict(Evaluation.objects.get(pk=stored.pk))
    assert data["selected"][0]["values"]["dap"] == ABOVE[0]
    assert data["selected"][1]["study_uid"] == "e01"
    assert data["results"][0]["median"] == 245.0
    assert data["signed_by"] is None and data["sign_off_problems"]
