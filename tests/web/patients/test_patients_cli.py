"""``kerma exams``, ``kerma patient show``, ``kerma report`` and ``kerma pregnancy unchecked`` in
process on the test database: the JSON keys are the contract."""

from __future__ import annotations

import json

import pytest
from tests.web.patients.conftest import KEY, WOMAN, ago
from typer.testing import CliRunner

from kerma.cli.main import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_exams_json_gives_the_patient_key(exams):
    code, out = run("exams", "--format", "json")
    assert code == 0
    assert {r["patient"]["key"] for r in json.loads(out)} >= {KEY, WOMAN}


def test_patient_show_json(exams):
    code, out = run("patient", "show", KEY, "--json", "--window", "5")
    assert code == 0
    record = json.loads(out)
    by_uid = {e["study_uid"]: e for e in record["exams"]}
    assert by_uid["1.1"]["method"] == "ct_dlp_k"
    assert by_uid["1.1"]["effective_dose_msv"] == pytest.approx(500 * 0.0210)
    assert by_uid["1.2"]["method"] == "dap_coefficient"
    assert by_uid["1.2"]["effective_dose_msv"] == pytest.approx(20 * 0.30)
    assert by_uid["1.3"]["method"] == "nm_activity"
    assert by_uid["1.3"]["effective_dose_msv"] == pytest.approx(250 * 0.019)
    assert record["cumulative_effective_dose_msv"] == pytest.approx(10.5 + 6.0 + 4.75)
    assert record["patient"]["key"] == KEY
    assert run("patient", "show", "nobody")[0] != 0


def test_report_formats(exams, tmp_path):
    code, out = run("report", "1.1", "--format", "json")
    assert code == 0
    section = json.loads(out)
    assert [q["unit"] for q in section["quantities"]] == ["mGy", "mGy.cm"]
    assert section["device"]["serial_number"] == "CT1"
    code, out = run("report", "1.3", "--format", "json")
    assert [q["key"] for q in json.loads(out)["quantities"]] == [
        "radiopharmaceutical", "radionuclide", "activity_mbq", "route"]
    code, out = run("report", "1.2", "--language", "en")
    assert "Dose-area product (total): 20 Gy.cm²" in out
    pdf = tmp_path / "r.pdf"
    assert run("report", "1.1", "--format", "pdf", "--output", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run("report", "9.9")[0] != 0


def test_pregnancy_unchecked(exams):
    code, out = run("pregnancy", "unchecked", "--json")
    assert code == 0
    data = json.loads(out)
    assert {e["study_uid"] for e in data["exams"]} == {"1.4", "1.9"}
    assert {"device", "month", "exams"} <= set(data["by_device_month"][0])
    _, out = run("pregnancy", "unchecked", "--device", "ct1", "--from", ago(25).isoformat(),
                 "--to", ago(15).isoformat(), "--json")
    assert [e["study_uid"] for e in json.loads(out)["exams"]] == ["1.4"]
    exams["woman"].pregnancy_status = "not_pregnant"  # read from DICOM (0010,21C0)
    exams["woman"].save()
    _, out = run("pregnancy", "unchecked", "--device", "ct1", "--json")
    assert json.loads(out)["exams"] == []


def test_patient_show_rounds_what_it_prints(exams):
    exams["pet"].activity_mbq = 234.3  # E = 234.3 x 0.019 = 4.4517 mSv
    exams["pet"].save()
    _, out = run("patient", "show", KEY, "--json")
    record = json.loads(out)
    by_uid = {e["study_uid"]: e for e in record["exams"]}
    assert by_uid["1.3"]["effective_dose_msv"] == 4.45
    assert by_uid["1.3"]["estimate"]["effective_dose_msv"] == 4.45
    # summed unrounded (10.5 + 6.0 + 4.4517), then rounded
    assert record["cumulative_effective_dose_msv"] == 20.95
    assert record["cumulative_by_window_msv"]["5"] == 20.95
    _, text = run("patient", "show", KEY)
    assert "4.45" in text and "4.4517" not in text and "20.95 mSv" in text


def test_an_installation_loads_its_coefficients_then_radiography_is_estimated(
    exams, units, tmp_path
):
    from kerma.web.audit.models import AuditEntry
    from kerma.web.dose.models import Exam

    Exam.objects.create(study_uid="1.7", device=exams["ct"].device, modality="DX",
                        study_date=exams["ct"].study_date, patient_key=KEY, age_years=40,
                        procedure="THORAX PA", dap_total_gycm2=0.15)
    before = {e["study_uid"]: e for e in json.loads(run("patient", "show", KEY, "--json")[1])
              ["exams"]}
    assert before["1.7"]["effective_dose_msv"] is None and before["1.7"]["method"] == "none"
    bad = tmp_path / "bad.csv"
    bad.write_text("procedure,words,msv_per_gycm2,citation\nChest,thorax,120,A paper\n")
    code, _ = run("patient", "load-coefficients", str(bad), "--by", "phys")
    assert code != 0 and not AuditEntry.objects.filter(object_type="dap_coefficient_table")
    good = tmp_path / "unit.csv"
    good.write_text("procedure,words,msv_per_gycm2,citation,where\n"
                    "Chest PA,thorax,0.12,A cited publication,Table 4\n"
                    "Coronary angiography (unit),coronar,0.25,Unit's physicist,Report 2026\n")
    assert run("patient", "load-coefficients", str(good), "--by", "phys")[0] == 0
    entry = AuditEntry.objects.get(object_type="dap_coefficient_table")
    assert entry.actor == "phys" and entry.action == "create"
    after = {e["study_uid"]: e for e in json.loads(run("patient", "show", KEY, "--json")[1])
             ["exams"]}
    assert after["1.7"]["method"] == "dap_coefficient"
    assert after["1.7"]["effective_dose_msv"] == pytest.approx(0.15 * 0.12, abs=1e-3)
    # The installation's row wins over Kerma's own on a match (0.25 instead of 0.30).
    assert after["1.2"]["effective_dose_msv"] == pytest.approx(20 * 0.25)
    listed = json.loads(run("patient", "coefficients", "--json")[1])["dap_coefficients"]
    assert [r["origin"] for r in listed[:2]] == ["installation", "installation"]
    assert {r["origin"] for r in listed[2:]} == {"kerma"}
    assert listed[0]["source"] == "A cited publication; Table 4"
