"""The IRSN export: per-patient rows in XLSX (read back with openpyxl) and CSV."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from nrdweb_factories import PERIOD
from openpyxl import load_workbook

from kerma.web.nrd.exports import export, write_csv, write_xlsx
from kerma.web.nrd.services import add_action, run_evaluation, save_evaluation

pytestmark = pytest.mark.django_db

ABOVE = [100.0 + 10 * k for k in range(30)]


@pytest.fixture
def evaluation(rx_unit):
    unit = rx_unit(ABOVE)
    evaluation = save_evaluation(run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="p")
    evaluation.analysis = "Médiane au-dessus du NRD : charte d'exposition à revoir."
    evaluation.save()
    add_action(
        evaluation,
        by="p",
        description="Revoir la charte thorax",
        owner="Cadre",
        due_date=date(2025, 3, 31),
    )
    evaluation.sign("ran")
    return evaluation


def test_xlsx_has_one_row_per_patient_in_sampling_order(evaluation, tmp_path):
    path = write_xlsx(evaluation, tmp_path / "eval.xlsx")
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Patients", "Évaluation", "Exclus"]
    rows = list(workbook["Patients"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 30
    column = {name: i for i, name in enumerate(header)}
    for name in (
        "Âge (ans)",
        "Sexe",
        "Poids (kg)",
        "Taille (cm)",
        "IMC (kg/m²)",
        "PDS (mGy·cm²)",
        "Tension (kV)",
        "Charge (mAs)",
        "Acquisition retenue (UID)",
        "Étude (UID)",
    ):
        assert name in column
    assert [r[column["Étude (UID)"]] for r in body] == [f"e{k:02d}" for k in range(30)]
    assert [r[column["N°"]] for r in body] == list(range(1, 31))
    assert [r[column["PDS (mGy·cm²)"]] for r in body] == ABOVE
    first = body[0]
    assert first[column["Date de l'examen"]] == "2024-01-03"
    assert (first[column["Poids (kg)"]], first[column["Taille (cm)"]]) == (60.0, 170.0)
    assert first[column["Tension (kV)"]] == 125.0
    e10 = body[10]
    assert e10[column["Acquisition retenue (UID)"]] == "ev.10"

    summary = {r[0]: r[1:] for r in workbook["Évaluation"].iter_rows(values_only=True) if r[0]}
    assert summary["Acte"][0] == "RX-THORAX-PA — Thorax de face (postéro-antérieur)"
    assert summary["Effectif retenu"][0] == 30
    dap = summary["PDS"]
    assert dap[:5] == ("mGy·cm²", 245, 150, 200, "supérieure au NRD")
    assert summary["Analyse"][0].startswith("Médiane au-dessus")
    owner, due, done = summary["Revoir la charte thorax"][:3]
    assert (owner, due.date(), done) == ("Cadre", date(2025, 3, 31), "non")
    assert summary["Validée par (RAN)"][0] == "ran"
    excluded = list(workbook["Exclus"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[2]) for r in excluded] == [
        ("x.bmi39", "bmi_above"),
        ("x.noheight", "missing_height"),
        ("x.child", "not_adult"),
        ("x.fluoro", "no_acquisition"),
    ]
    assert excluded[1][1] == "taille non renseignée"


def test_csv_has_the_same_rows(evaluation, tmp_path):
    path = write_csv(evaluation, tmp_path / "eval.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    assert rows[0]["Étude (UID)"] == "e00" and float(rows[0]["PDS (mGy·cm²)"]) == ABOVE[0]
    assert rows[29]["Étude (UID)"] == "e29"


def test_unknown_format_is_refused(evaluation, tmp_path):
    with pytest.raises(ValueError, match="xlsx or csv"):
        export(evaluation, "pdf", tmp_path / "x.pdf")


def test_remarks_and_references_are_in_french(rx_unit):
    from kerma.web.nrd.exports import summary_rows

    unit = rx_unit(ABOVE)
    run = run_evaluation(
        unit["device"], "RX-THORAX-PA", reference_name="fr-2011-arrete", **PERIOD
    )
    rows = summary_rows(save_evaluation(run, by="p"))
    remarks = [r[1] for r in rows if r and r[0] == "Remarque"]
    assert "valeurs de référence de fr-2011-arrete (abrogé) : pas la réglementation en vigueur" in (
        remarks
    )
    (dap,) = [r for r in rows if r and r[0] == "PDS"]
    assert dap[6].startswith("fr-2011-arrete (abrogé), ")
