"""The charts app on a small database: the data endpoints (distribution, months, devices,
patient size, an NRD evaluation's sample), their CSV, access per permission and unit, the page
and plotly.js served offline."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import create_user
from kerma.web.charts.finders import STATIC_PATH, PlotlyFinder
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.services import add_mapping, run_evaluation, save_evaluation

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that STATIC_ROOT (in the throw-away KERMA_HOME) was never collected.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PERIOD = {"from": "2024-01-01", "to": "2024-03-31"}
ACT = "RX-THORAX-PA"  # decision 2019-DC-0667: NRD 200, VGD 150 mGy·cm² (adults)


def _exam(device: Device, uid: str, day: date, dap_mgycm2: float | None, **fields: Any) -> Exam:
    """A chest exam whose DAP is given in mGy·cm² (stored in Gy·cm²), with its projection."""
    values: dict[str, Any] = {
        "modality": "DX",
        "procedure": "THORAX FACE",
        "age_years": 50.0,
        "sex": "F",
        "weight_kg": 70.0,
        "height_m": 1.75,
        "dap_total_gycm2": None if dap_mgycm2 is None else dap_mgycm2 / 1000,
    }
    values.update(fields)
    exam = Exam.objects.create(
        study_uid=uid, study_date=day, study_time="090000", device=device, event_count=1, **values
    )
    Event.objects.create(
        exam=exam,
        uid=f"{uid}.1",
        kind="projection",
        event_type="stationary",
        protocol="Thorax PA",
        dap_gycm2=values["dap_total_gycm2"],
    )
    return exam


@pytest.fixture
def scene() -> dict[str, Any]:
    """Two units: north (rooms rx1, rx2) and south (rx3); chest exams mapped to RX-THORAX-PA."""
    north = Unit.objects.create(code="north", name="Imagerie Nord")
    south = Unit.objects.create(code="south", name="Imagerie Sud")
    rx1 = Device.objects.create(identity_key="rx1", model="RX1", category="radiography", unit=north)
    rx2 = Device.objects.create(identity_key="rx2", model="RX2", category="radiography", unit=north)
    rx3 = Device.objects.create(identity_key="rx3", model="RX3", category="radiography", unit=south)
    add_mapping(by="test", pattern="THORAX FACE", act_code=ACT, kind="exact", refresh=False)
    # rx1: January 100, 120, 140 (median 120), nothing in February, March 160, 200 (median 180).
    _exam(rx1, "1.1", date(2024, 1, 3), 100)
    _exam(rx1, "1.2", date(2024, 1, 10), 120, height_m=None)  # no BMI, but a weight
    _exam(rx1, "1.3", date(2024, 1, 31), 140)
    _exam(rx1, "1.4", date(2024, 3, 1), 160, weight_kg=None)  # neither BMI nor weight
    _exam(rx1, "1.5", date(2024, 3, 31), 200, weight_kg=90.0, height_m=1.60)
    # Left out: a test exam, another act, a child (unless population=all), outside the period,
    # without DAP.
    _exam(rx1, "1.6", date(2024, 1, 5), 999, is_test=True)
    _exam(rx1, "1.7", date(2024, 1, 5), 500, procedure="GENOU F+P")
    _exam(rx1, "1.8", date(2024, 1, 6), 50, age_years=10.0, weight_kg=30.0, height_m=1.35)
    _exam(rx1, "1.9", date(2023, 12, 31), 900)
    _exam(rx1, "1.10", date(2024, 2, 2), None)
    for i, dap in enumerate((300, 310, 320)):
        _exam(rx2, f"2.{i}", date(2024, 2, 1 + i), dap)
    _exam(rx3, "3.1", date(2024, 2, 1), 1000)
    return {"north": north, "south": south, "rx1": rx1, "rx2": rx2, "rx3": rx3}


@pytest.fixture
def physicist(client, scene):
    user = create_user("phys", "pw-123456", "physicist", [scene["north"]])
    client.force_login(user)
    return user


def _data(client, chart: str, **params: Any) -> dict[str, Any]:
    response = client.get(reverse("charts_data", args=[chart]), {**PERIOD, "act": ACT, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _csv(client, chart: str, **params: Any) -> list[list[str]]:
    response = client.get(
        reverse("charts_data", args=[chart]), {**PERIOD, "act": ACT, "format": "csv", **params}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def _num(text: str) -> float | None:
    return None if text == "" else float(text)


# ---- data --------------------------------------------------------------------------------------


def test_distribution_of_one_device_and_act_with_its_reference_lines(client, scene, physicist):
    data = _data(client, "distribution", device=scene["rx1"].pk)
    assert data["quantity"]["key"] == "dap"
    assert data["quantity"]["unit"] == "mGy.cm2"  # stored in Gy·cm², shown as the NRD are
    assert data["n"] == 5  # not the test exam, the knee, the child, December, the exam w/o DAP
    assert (data["q1"], data["median"], data["q3"]) == (120.0, 140.0, 160.0)
    assert sum(b["count"] for b in data["bins"]) == 5
    starts = [b["start"] for b in data["bins"]]
    assert starts == sorted(starts) and starts[0] <= 100.0
    assert data["bins"][-1]["end"] > 200.0
    reference = data["reference"]
    assert (reference["nrd"], reference["vgd"], reference["unit"]) == (200.0, 150.0, "mGy.cm2")
    assert reference["set"].startswith("fr-2019-DC-0667")
    assert data["filename"].startswith("kerma-distribution-")
    everyone = _data(client, "distribution", device=scene["rx1"].pk, population="all")
    assert everyone["n"] == 6 and everyone["reference"]["nrd"] == 200.0
    children = _data(client, "distribution", device=scene["rx1"].pk, population="paediatric")
    assert children["n"] == 1 and children["median"] == 50.0
    assert children["reference"] is None  # their levels depend on the weight category


def test_monthly_medians_and_counts_with_empty_months(client, scene, physicist):
    data = _data(client, "monthly", device=scene["rx1"].pk)
    months = {m["month"]: m for m in data["months"]}
    assert list(months) == ["2024-01", "2024-02", "2024-03"]
    assert (months["2024-01"]["n"], months["2024-01"]["median"]) == (3, 120.0)
    assert (months["2024-02"]["n"], months["2024-02"]["median"]) == (0, None)
    assert (months["2024-03"]["n"], months["2024-03"]["median"]) == (2, 180.0)
    assert data["median"] == 140.0
    assert data["reference"]["nrd"] == 200.0


def test_devices_compare_the_devices_the_user_sees(client, scene, physicist):
    data = _data(client, "devices", device=scene["rx1"].pk)
    boxes = {d["id"]: d for d in data["devices"]}
    assert set(boxes) == {scene["rx1"].pk, scene["rx2"].pk}  # rx3 is the south unit's
    rx1, rx2 = boxes[scene["rx1"].pk], boxes[scene["rx2"].pk]
    assert (rx1["n"], rx1["q1"], rx1["median"], rx1["q3"]) == (5, 120.0, 140.0, 160.0)
    assert (rx1["minimum"], rx1["maximum"], rx1["sampled_1_in"]) == (100.0, 200.0, 1)
    assert (rx2["n"], rx2["median"]) == (3, 310.0)
    q = np.percentile([300, 310, 320], [25, 75])
    assert (rx2["q1"], rx2["q3"]) == (q[0], q[1])
    assert data["selected"] == scene["rx1"].pk
    assert data["reference"]["vgd"] == 150.0


def test_devices_of_every_unit_for_an_administrator(client, scene):
    client.force_login(create_user("admin", "pw-123456", "administrator"))
    data = _data(client, "devices")
    assert {d["id"] for d in data["devices"]} == {scene[k].pk for k in ("rx1", "rx2", "rx3")}
    assert data["selected"] is None


def test_dose_against_bmi_and_weight(client, scene, physicist):
    bmi = _data(client, "size", device=scene["rx1"].pk, size="bmi")
    # 100, 140 at BMI 70/1.75² and 200 at 90/1.6²; 120 has no height, 160 no weight.
    assert bmi["n"] == 3 and bmi["n_without_size"] == 2
    points = sorted(bmi["points"])
    assert points[0] == pytest.approx([70 / 1.75**2, 100.0])
    assert points[-1] == pytest.approx([90 / 1.6**2, 200.0])
    assert sum(b["n"] for b in bmi["trend"]) == 3
    first = bmi["trend"][0]
    assert first["start"] <= 70 / 1.75**2 < first["end"] and first["median"] == 120.0
    weight = _data(client, "size", device=scene["rx1"].pk, size="weight")
    assert weight["n"] == 4 and weight["n_without_size"] == 1
    assert sorted(p[0] for p in weight["points"]) == [70.0, 70.0, 70.0, 90.0]


@pytest.mark.parametrize("chart", ["distribution", "monthly", "devices", "size"])
def test_csv_holds_the_rows_of_the_json(client, scene, physicist, chart):
    params = {"device": scene["rx1"].pk}
    data = _data(client, chart, **params)
    header, *rows = _csv(client, chart, **params)
    if chart == "distribution":
        assert header == ["bin_start_mGy.cm2", "bin_end_mGy.cm2", "count"]
        expected = [[b["start"], b["end"], b["count"]] for b in data["bins"]]
    elif chart == "monthly":
        assert header[:2] == ["month", "n"]
        expected = [[m["month"], m["n"], m["median"], m["q1"], m["q3"]] for m in data["months"]]
    elif chart == "devices":
        assert header[:4] == ["device_id", "device", "n", "sampled_1_in"]
        keys = ["id", "name", "n", "sampled_1_in", "minimum", "q1", "median", "q3", "maximum"]
        keys += ["lower_whisker", "upper_whisker", "mean"]
        expected = [[d[k] for k in keys] for d in data["devices"]]
    else:
        assert header == ["bmi_kg_m2", "dap_mGy.cm2"]
        expected = data["points"]
    parsed = [
        [c if isinstance(e, str) else _num(c) for c, e in zip(row, exp, strict=True)]
        for row, exp in zip(rows, expected, strict=True)
    ]
    assert len(rows) == len(expected) > 0
    assert parsed == expected


def test_bad_parameters_answer_400_with_the_reason(client, scene, physicist):
    url = reverse("charts_data", args=["distribution"])
    for params, word in (
        ({"device": scene["rx1"].pk, "act": ACT, "quantity": "bogus"}, "quantity"),
        ({"device": scene["rx1"].pk, "act": "NOT-AN-ACT"}, "act"),
        ({"act": ACT}, "device"),
        ({"device": scene["rx1"].pk, "act": ACT, "from": "2024-13-01"}, "from"),
        ({"device": scene["rx1"].pk, "act": ACT, "from": "2024-03-01", "to": "2024-01-01"}, "ends"),
    ):
        response = client.get(url, params)
        assert response.status_code == 400
        assert word in response.json()["error"]
    assert client.get(reverse("charts_data", args=["pie"]), {"act": ACT}).status_code == 404


def test_default_period_is_the_year_ending_on_the_latest_exam(client, scene, physicist):
    response = client.get(
        reverse("charts_data", args=["distribution"]), {"device": scene["rx1"].pk, "act": ACT}
    )
    data = response.json()
    assert (data["from"], data["to"]) == ("2023-04-01", "2024-03-31")
    assert data["n"] == 6  # December 2023 is in


# ---- the evaluation's sample ---------------------------------------------------------------------


def test_evaluation_sample_with_its_median_vgd_and_nrd(client, scene, physicist):
    run = run_evaluation(
        scene["rx1"], ACT, period_from=date(2024, 1, 1), period_to=date(2024, 3, 31)
    )
    evaluation = save_evaluation(run, by="test")
    url = reverse("charts_evaluation_data", args=[evaluation.pk])
    data = client.get(url, {"quantity": "dap"}).json()
    result = evaluation.results[0]
    # Adults with a BMI in [18, 35]: 100, 140, 200 (BMI 35.2 with 90 kg and 1.60 m is out).
    expected = [s["values"]["dap"] for s in evaluation.selected]
    assert [v["value"] for v in data["values"]] == expected
    assert data["n"] == len(expected) > 0
    assert data["median"] == result["median"] == float(np.median(expected))
    assert (data["reference"]["nrd"], data["reference"]["vgd"]) == (200.0, 150.0)
    assert data["quantity"]["unit"] == "mGy.cm2"
    assert sum(b["count"] for b in data["bins"]) == data["n"]
    header, *rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(url, {"quantity": "dap", "format": "csv"}).streaming_content
                ).decode()
            )
        )
    )
    assert header == ["rank", "study_date", "dap_mGy.cm2"]
    assert [[int(r[0]), r[1], float(r[2])] for r in rows] == [
        [v["rank"], v["study_date"], v["value"]] for v in data["values"]
    ]
    assert client.get(url, {"quantity": "ctdivol"}).status_code == 400
    page = client.get(reverse("nrd_evaluation", args=[evaluation.pk])).content.decode()
    assert 'id="chart-evaluation-dap"' in page and 'data-chart="evaluation"' in page
    assert f'data-url="{url}?quantity=dap"' in page


# ---- access -------------------------------------------------------------------------------------


def test_another_units_device_and_evaluation_are_not_found(client, scene):
    evaluation = save_evaluation(
        run_evaluation(
            scene["rx1"], ACT, period_from=date(2024, 1, 1), period_to=date(2024, 3, 31)
        ),
        by="test",
    )
    client.force_login(create_user("sud", "pw-123456", "radiographer", [scene["south"]]))
    for chart in ("distribution", "monthly", "size"):
        response = client.get(
            reverse("charts_data", args=[chart]), {**PERIOD, "act": ACT, "device": scene["rx1"].pk}
        )
        assert response.status_code == 404
    data = _data(client, "devices", device=scene["rx3"].pk)
    assert [d["id"] for d in data["devices"]] == [scene["rx3"].pk]
    response = client.get(reverse("charts_evaluation_data", args=[evaluation.pk]))
    assert response.status_code == 404
    assert client.get(reverse("charts"), {"device": scene["rx1"].pk}).status_code == 404
    page = client.get(reverse("charts")).content.decode()
    assert "RX3" in page and "RX1" not in page


def test_users_without_the_permission_get_403_and_visitors_the_login(
    client, scene, django_user_model
):
    url = reverse("charts_data", args=["distribution"])
    params = {**PERIOD, "act": ACT, "device": scene["rx1"].pk}
    response = client.get(url, params)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(django_user_model.objects.create_user("norole", password="pw-123456"))
    assert client.get(url, params).status_code == 403
    assert client.get(reverse("charts")).status_code == 403
    assert client.get(reverse("charts_evaluation_data", args=[1])).status_code == 403


# ---- page and plotly.js -------------------------------------------------------------------------


def test_page_has_the_four_chart_containers_and_the_menu_entry(client, scene, physicist):
    response = client.get(reverse("charts"), {"device": scene["rx1"].pk, **PERIOD})
    assert response.status_code == 200
    page = response.content.decode()
    for chart in ("distribution", "monthly", "devices", "size"):
        assert f'id="chart-{chart}" data-chart="{chart}"' in page
    assert f"/charts/data/distribution/?device={scene['rx1'].pk}&amp;act={ACT}" in page
    assert "kerma/vendor/plotly.min.js" in page and "kerma/charts.js" in page
    assert f'href="{reverse("charts")}"' in page  # the menu
    assert 'value="RX-THORAX-PA" selected' in page


def test_page_opens_on_a_device_with_mapped_exams(client, scene, physicist):
    response = client.get(reverse("charts"))
    assert response.status_code == 200
    assert response.context["device"].pk in (scene["rx1"].pk, scene["rx2"].pk)
    assert response.context["act"].code == ACT


def test_plotly_js_is_served_from_the_plotly_package(client, scene, physicist):
    finder = PlotlyFinder()
    path = finder.find(STATIC_PATH)
    assert path.endswith("plotly/package_data/plotly.min.js")
    assert finder.find("kerma/vendor/other.js") == []
    assert [p for p, _storage in finder.list(None)] == ["plotly.min.js"]
    assert finder.check() == []
    response = client.get("/static/" + STATIC_PATH)
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    head = b"".join(response.streaming_content)[:200]
    assert b"plotly.js v" in head
    assert client.get("/static/kerma/charts.js").status_code == 200
