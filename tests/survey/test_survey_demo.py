"""The demo survey: two facilities generated around a site's contribution make a survey of
three facilities; and an NRD evaluation CSV export is read as a contribution."""

from __future__ import annotations

import pytest

from kerma.survey.demo import OTHERS, other_facilities
from kerma.survey.run import run_survey
from kerma.survey.template import COLUMNS, read_rows, write


def _site_rows() -> list[dict]:
    rows = []
    for act, specialty, dap in (("PROTHESE TOTALE DE HANCHE", "orthopaedics", 0.5),
                                ("PACEMAKER", "cardiology", 1.5)):  # fmt: skip
        for index in range(25):
            row = dict.fromkeys(COLUMNS)
            row.update(facility="DEMO", act=act, specialty=specialty,
                       dap_gycm2=dap * (0.8 + index / 60), fluoro_time_min=1 + index / 50,
                       month="2025-05", device_manufacturer="SIEMENS",
                       device_model="Cios Alpha")  # fmt: skip
            rows.append(row)
    return rows


def test_demo_survey_of_three_facilities(tmp_path):
    ours = _site_rows()
    others = other_facilities(ours)
    assert {r["facility"] for r in others} == {code for code, *_ in OTHERS}
    assert len(others) == 2 * len(ours)
    files = [write(ours, tmp_path / "demo.csv"), write(others, tmp_path / "others.xlsx")]
    result = run_survey(files, bootstrap=False)
    assert result.after["facilities"] == 3 and result.after["acts"] == 2
    assert all(a["facilities"] == 3 for a in result.acts)


def test_nrd_csv_export_is_read(tmp_path):
    folder = tmp_path / "Bloc Sud"
    folder.mkdir()
    path = folder / "nrd-4-v2-RF-CHOLANGIO-adult-2025.csv"
    path.write_text(
        "N°,Date de l'examen,Poids (kg),Taille (cm),PDS (Gy·cm²),Procédure\n"
        "1,2025-09-30,80,,3.5,CHOLANGIOGRAPHIE\n",
        encoding="utf-8-sig",
    )
    (row,) = read_rows(path)
    assert row["act"] == "RF-CHOLANGIO" and row["facility"] == "Bloc Sud"
    assert row["dap_gycm2"] == pytest.approx(3.5) and row["month"] == "2025-09"
    assert row["weight_kg"] == 80 and row["height_cm"] is None
