"""A survey run on DuckDB: every planted error class rejected with its reason and counted, the
before/after counts, the ICRP 135 levels through the SQL, the contributions' formats (template
CSV/XLSX/Parquet, NRD export), the report and the command's JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from kerma.survey.generate import PLANTED
from kerma.survey.report import write_report
from kerma.survey.run import run_survey
from kerma.survey.sql import Limits
from kerma.survey.template import COLUMNS, REQUIRED, read_rows, write
from kerma.survey.wording import REASONS, SurveyInputError

ACT_KEYS = {"specialty", "n", "facilities", "dap_p50", "dap_p75", "fluoro_time_p75",
            "facility_median_dap_p75"}  # fmt: skip
LOOSE = Limits(min_facility_procedures=1, min_act_procedures=1, min_act_facilities=1,
               unit_factor=1000)  # fmt: skip


def _planted(path: Path) -> dict[str, int]:
    rows = duckdb.sql(f"SELECT planted, COUNT(*) FROM '{path}' GROUP BY planted").fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def result(generated, tmp_path_factory):
    return run_survey([generated], out_dir=tmp_path_factory.mktemp("out"))


def test_every_planted_error_is_rejected_with_its_reason_and_counted(generated, result):
    planted = _planted(generated)
    assert set(PLANTED) <= set(planted), "every class must be planted"
    expected = {k: v for k, v in planted.items() if k != "clean"}
    assert result.rejected == dict(sorted(expected.items()))
    assert set(result.rejected) <= set(REASONS)
    # Each rejected record is the planted one (not only the counts).
    reasons = duckdb.sql(
        f"SELECT r.reason, g.planted FROM read_csv('{result.rejected_csv}') r "
        f"JOIN (SELECT *, ROW_NUMBER() OVER () AS source_row FROM '{generated}') g "
        "USING (source_row)"
    ).fetchall()
    assert len(reasons) == sum(expected.values())
    assert all(reason == planted for reason, planted in reasons)


def test_before_and_after_counts(generated, result):
    planted = _planted(generated)
    assert result.before["procedures"] == sum(planted.values())
    assert result.after["procedures"] == planted["clean"]
    assert result.before["facilities"] == 9 and result.after["facilities"] == 8  # F-SMALL out
    assert result.before["acts"] == 19 and result.after["acts"] == 18  # ACTE RARE out
    assert result.after["specialties"] == 6
    assert sum(a["n"] for a in result.acts) == result.after["procedures"]


def test_levels_of_every_act(result):
    for act in result.acts:
        assert act["dap_p25"] <= act["dap_p50"] <= act["dap_p75"]
        assert act["facilities"] == 8
        low, high = act["ci"]["facility_median_dap_p75"]
        assert low <= act["facility_median_dap_p75"] <= high
    assert {s["specialty"] for s in result.specialties} == {
        "orthopaedics", "neuro", "digestive", "urology", "vascular", "cardiology"
    }


def test_icrp_135_method_through_the_sql(tmp_path):
    # The hand computation of test_survey_stats: facility medians 2, 5, 7, 15 → P75 = 9;
    # per procedure P75 = 9.5.
    rows = []
    for facility, values in {"A": [1, 2, 3], "B": [10, 20], "C": [5], "D": [4, 6, 8, 100]}.items():
        for index, value in enumerate(values):
            rows.append({**dict.fromkeys(COLUMNS), "facility": facility, "act": "X",
                         "specialty": "other", "dap_gycm2": value, "month": "2025-01",
                         "fluoro_time_min": 1 + index})  # fmt: skip
    path = write(rows, tmp_path / "icrp.csv")
    found = run_survey([path], limits=LOOSE, bootstrap=False)
    (act,) = found.acts
    assert act["facility_median_dap_p75"] == pytest.approx(9.0)
    assert act["dap_p75"] == pytest.approx(9.5)
    assert act["n"] == 10 and act["facilities"] == 4


def test_template_csv_with_semicolons_and_decimal_commas(tmp_path):
    path = tmp_path / "site.csv"
    path.write_text(
        ";".join(REQUIRED) + "\n"
        + "H1;ortho;HANCHE;1,5;0,8;12;3;70;170;GE;OEC;2019;2025-03-14\n",
        encoding="utf-8",
    )
    (row,) = read_rows(path)
    assert row["dap_gycm2"] == 1.5 and row["fluoro_time_min"] == 0.8
    assert row["month"] == "2025-03"  # no date finer than the month


def test_template_without_a_required_column_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("facility,act\nH1,X\n", encoding="utf-8")
    with pytest.raises(SurveyInputError) as caught:
        list(read_rows(path))
    assert caught.value.notice.code == "survey.input.missing_columns"


def test_nrd_evaluation_export_is_read(tmp_path):
    # The layout of kerma.web.nrd.exports: "Patients" and "Évaluation" sheets, DAP in mGy·cm².
    book = Workbook()
    patients = book.active
    patients.title = "Patients"
    patients.append(["N°", "Date de l'examen", "Âge (ans)", "Sexe", "Poids (kg)", "Taille (cm)",
                     "IMC (kg/m²)", "PDS (mGy·cm²)", "Durée de scopie (s)", "Procédure"])
    patients.append([1, "2025-02-03", 60, "F", 70, 165, 25.7, 2500, 90, "CHOLANGIO"])
    summary = book.create_sheet("Évaluation")
    summary.append(["Unité", "Bloc Nord"])
    summary.append(["Acte", "RF-CHOLANGIO — Cholangiographie"])
    summary.append(["Fabricant / modèle / n° de série", "SIEMENS / Cios Alpha / 123"])
    path = tmp_path / "nrd-1-v1-RF-CHOLANGIO-adult-2025.xlsx"
    book.save(path)
    (row,) = read_rows(path)
    assert row["facility"] == "Bloc Nord" and row["act"] == "RF-CHOLANGIO"
    assert row["dap_gycm2"] == pytest.approx(2.5)
    assert row["fluoro_time_min"] == pytest.approx(1.5)
    assert row["month"] == "2025-02" and row["specialty"] == "digestive"
    assert row["device_manufacturer"] == "SIEMENS" and row["device_model"] == "Cios Alpha"


def test_report_files(result, tmp_path):
    files = write_report(result, tmp_path, "fr")
    page = files["html"].read_text(encoding="utf-8")
    assert "<script src=" not in page and "Plotly" in page  # plotly.js inline, no CDN
    assert "75e centile de la distribution des PDS" in page
    book = load_workbook(files["xlsx"], read_only=True)
    assert book.sheetnames == ["Synthèse", "Actes", "Spécialités", "Médianes établissements",
                               "Rejets"]  # fmt: skip
    rejected = list(book["Rejets"].iter_rows(values_only=True))
    assert len(rejected) - 1 == sum(result.rejected.values())
    assert rejected[1][-1] == REASONS[rejected[1][2]][1]  # the reason worded in French


def test_command_json_contract(generated, tmp_path):
    from kerma.cli.main import app

    done = CliRunner().invoke(
        app, ["survey", "run", str(generated), "--out", str(tmp_path / "r"), "--json"]
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert set(data) == {"before", "after", "rejected", "acts"}
    for counts in (data["before"], data["after"]):
        assert set(counts) == {"procedures", "facilities", "acts", "specialties"}
    assert all(isinstance(v, int) for v in data["rejected"].values())
    assert data["acts"] and all(set(a) == ACT_KEYS for a in data["acts"].values())
    assert (tmp_path / "r" / "report.html").exists() and (tmp_path / "r" / "survey.xlsx").exists()


def test_a_long_list_of_rejected_records_is_sampled_in_the_sheet_and_whole_in_the_csv(
    generated, tmp_path, monkeypatch
):
    from kerma.survey import run

    monkeypatch.setattr(run, "REJECTED_SHEET_PER_REASON", 3)
    monkeypatch.setattr("kerma.survey.report.REJECTED_SHEET_PER_REASON", 3)
    found = run_survey([generated], out_dir=tmp_path, bootstrap=False)
    total = sum(found.rejected.values())
    listed = duckdb.sql(
        f"SELECT reason, COUNT(*) FROM read_csv('{found.rejected_csv}') GROUP BY reason"
    ).fetchall()
    assert dict(listed) == found.rejected  # every rejected record, with its reason
    rows = list(load_workbook(write_report(found, tmp_path, "en")["xlsx"], read_only=True)[
        "Rejected"].iter_rows(values_only=True))  # fmt: skip
    shown = sum(min(3, n) for n in found.rejected.values())
    assert rows[0][0] == (
        f"{shown} of the {total} rejected records: the first 3 of each reason, by file and row. "
        "All of them, with their reasons, are in rejected.csv beside this workbook."
    )
    assert rows[1][0] == "source_file" and len(rows) == 2 + shown
    per_reason = {}
    for row in rows[2:]:
        per_reason[row[2]] = per_reason.get(row[2], 0) + 1
    assert per_reason == {k: min(3, n) for k, n in found.rejected.items()}


def test_rejected_csv_cells_are_never_formulas(tmp_path):
    rows = [{**dict.fromkeys(COLUMNS), "facility": "=HYPERLINK(\"http://x\")", "act": "X",
             "specialty": "other", "dap_gycm2": None, "month": "2025-01"},
            {**dict.fromkeys(COLUMNS), "facility": "-12.5", "act": "X", "specialty": "other",
             "dap_gycm2": None, "month": "2025-01"}]  # fmt: skip
    path = write(rows, tmp_path / "inject.csv")
    found = run_survey([path], limits=LOOSE, out_dir=tmp_path / "out", bootstrap=False)
    text = found.rejected_csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text  # quote-prefixed: shown as text by a spreadsheet
    assert ",-12.5," in text  # a number is not a formula: unchanged
    assert found.rejected == {"missing_dap": 2}
