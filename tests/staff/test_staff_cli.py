"""``kerma staff assess`` on inputs alone (no database): the JSON contract and bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kerma.cli.staff import parse_organs, staff_app

runner = CliRunner()

TAVI = [
    "--volume", "470", "--distance-cm", "40", "--reference-distance-cm", "40",
    "--dose-usv", "whole_body=255.3191489,extremities=222.3404255,lens=94.14893617",
    "--attenuation", "whole_body=0.97",
]


def run(*args: str):
    return runner.invoke(staff_app, ["assess", *args], env={"COLUMNS": "200"})


def test_tavi_json_contract():
    result = run(*TAVI, "--candidate", "lead glasses:lens=0.6", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"whole_body_msv", "extremities_msv", "lens_msv", "category", "over_limit"} <= set(data)
    assert (data["whole_body_msv"], data["extremities_msv"], data["lens_msv"]) == (
        3.6, 104.5, 44.25,
    )
    assert data["category"] == "A" and data["over_limit"] == ["lens"]
    assert data["fixes"][0]["protection"] == "lead glasses"


def test_scatter_coefficient_needs_its_source():
    base = ["--volume", "100", "--distance-cm", "50", "--reference-distance-cm", "100"]
    assert run(*base, "--scatter", "whole_body=1", "--dap-gycm2", "20").exit_code == 2
    result = run(*base, "--scatter", "whole_body=1", "--scatter-source", "mesure 2024",
                 "--dap-gycm2", "20", "--json")
    data = json.loads(result.stdout)
    # 20 Gy·cm² × 1 µSv/(Gy·cm²) at 1 m = 20 µSv; at 50 cm ×4 = 80 µSv; ×100 = 8 mSv → A
    assert data["whole_body_msv"] == 8.0 and data["category"] == "A"
    assert data["scatter"]["source"] == "mesure 2024"


def test_bad_input():
    assert run("--volume", "1").exit_code == 2  # missing the rest
    assert run(*TAVI[:-2], "--attenuation", "lens=1.2").exit_code == 2
    assert parse_organs("lens=50%", "--x", fraction=True) == {"lens": 0.5}
