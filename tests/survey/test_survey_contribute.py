"""``kerma survey contribute`` on the test database: the site's C-arm procedures in the
template, anonymised, the act from the NRD mapping when a rule maps the procedure name, the
device's year and last external QC from the inventory and QC register."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from typer.testing import CliRunner

from kerma.cli.main import app
from kerma.survey.template import COLUMNS
from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.quality.models import ControlRecord, EquipmentRecord

pytestmark = pytest.mark.django_db


def _exam(key: str, device: Device, day: date, procedure: str, **values) -> Exam:
    return Exam.objects.create(
        study_uid=f"1.2.250.{key}", modality="RF", device=device, study_date=day,
        patient_key=f"{key:0>64}", patient_id=f"PID-{key}", patient_name=f"DOE^{key}",
        procedure=procedure, **values,
    )  # fmt: skip


@pytest.fixture
def site(kerma_home):
    unit = Unit.objects.create(code="bloc", name="Bloc opératoire")
    carm = Device.objects.create(identity_key="carm1", manufacturer="SIEMENS", model="Cios Alpha",
                                 category=Device.Category.MOBILE_CARM, unit=unit)  # fmt: skip
    ct = Device.objects.create(identity_key="ct1", manufacturer="GE", model="Revolution",
                               category=Device.Category.CT, unit=unit)  # fmt: skip
    EquipmentRecord(device=carm, commissioned_on=date(2018, 5, 1)).save()
    ControlRecord(device=carm, kind="external_qc", done_on=date(2024, 11, 20)).save()
    ControlRecord(device=carm, kind="external_qc", done_on=date(2025, 6, 2)).save()
    first = _exam("a", carm, date(2025, 3, 14), "CHOLANGIOGRAPHIE PEROPERATOIRE",
                  dap_total_gycm2=1.2, fluoro_time_s=90.0, kar_total_mgy=11.0,
                  weight_kg=70.0, height_m=1.72)  # fmt: skip
    for index, kind in enumerate(("fluoroscopy", "stationary", "stationary")):
        Event.objects.create(exam=first, uid=f"e{index}", kind="projection", event_type=kind)
    _exam("b", carm, date(2025, 7, 1), "PROTHESE TOTALE DE HANCHE", dap_total_gycm2=0.4,
          fluoro_time_s=30.0)  # fmt: skip
    _exam("c", carm, date(2024, 1, 1), "PROTHESE TOTALE DE HANCHE", dap_total_gycm2=0.4)
    _exam("t", carm, date(2025, 4, 1), "QC", dap_total_gycm2=0.1, is_test=True)
    _exam("ct", ct, date(2025, 4, 1), "TAP", dlp_total_mgycm=500.0)
    return carm


def test_contribute_writes_the_anonymised_template(site, tmp_path, monkeypatch):
    monkeypatch.setenv("KERMA_FACILITY_CODE", "H042")
    out = tmp_path / "contribution.csv"
    done = CliRunner().invoke(app, ["survey", "contribute", "--from", "2025-01-01",
                                    "--to", "2025-12-31", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 2  # the 2024 exam, the test exam and the CT left out
    first, second = rows
    assert first["act"] == "CHOLANGIOGRAPHIE PEROPERATOIRE"  # no mapping: the procedure name
    assert first["facility"] == "H042" and first["month"] == "2025-03"
    assert first["specialty"] == "digestive" and second["specialty"] == "orthopaedics"
    assert float(first["dap_gycm2"]) == 1.2 and float(first["fluoro_time_min"]) == 1.5
    assert float(first["height_cm"]) == 172.0 and float(first["images"]) == 2
    assert first["device_manufacturer"] == "SIEMENS" and float(first["device_year"]) == 2018
    assert first["last_external_qc_month"] == "2024-11"
    assert second["last_external_qc_month"] == "2025-06"
    text = out.read_text(encoding="utf-8-sig")
    for secret in ("PID-a", "DOE^a", "1.2.250.a", "0000a", "2025-03-14"):
        assert secret not in text


def test_contribute_takes_the_act_of_the_nrd_mapping(site, tmp_path):
    from kerma.web.nrd.services import add_mapping

    # An act of the shipped reference sets (the mapping refuses unknown acts).
    add_mapping(by="physicien", pattern="HANCHE", act_code="RX-HANCHE", refresh=False)
    out = tmp_path / "c.csv"
    done = CliRunner().invoke(app, ["survey", "contribute", "--from", "2025-01-01", "--to",
                                    "2025-12-31", "--facility", "H1", "--act", "rx-hanche",
                                    "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["act"] == "RX-HANCHE" and row["act_details"] == "PROTHESE TOTALE DE HANCHE"
    assert row["specialty"] == "orthopaedics"


def test_contribute_only_the_acts_asked_and_as_xlsx(site, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "contribution.xlsx"
    done = CliRunner().invoke(app, ["survey", "contribute", "--from", "2025-01-01", "--to",
                                    "2025-12-31", "--act", "prothese totale de hanche",
                                    "--facility", "H7", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "H7" and rows[1][2] == "PROTHESE TOTALE DE HANCHE"


def test_contribute_needs_a_facility_code(site, tmp_path, monkeypatch):
    monkeypatch.delenv("KERMA_FACILITY_CODE", raising=False)
    done = CliRunner().invoke(app, ["survey", "contribute", "--from", "2025-01-01", "--to",
                                    "2025-12-31", "--out", str(tmp_path / "x.csv")])  # fmt: skip
    assert done.exit_code == 2
