"""Operators from the exams: real dose reports naming their staff are imported, matched with the
people register, and the operators without a qualification or training on the device are shown
per device (page in French and English, CSV, XLSX, command line), narrowed to the user's units;
a corrected report replaces the staff it named."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from kerma.cli.main import app
from kerma.dicom import write as w
from kerma.ingest.pipeline import import_paths
from kerma.web.accounts.roles import INSPECTOR, QUALITY_MANAGER
from kerma.web.dose.models import Device, Participant
from kerma.web.people.audit import acting_as
from kerma.web.people.models import DeviceTraining, Qualification
from kerma.web.people.services import operators_without_qualification

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("kerma_home"),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]
DAY = date(2026, 3, 2)
CATH = w.Device("ACME", "Cath 1", "C1", "CATH1", "1.2.826.0.1.3680043.10.9.1", "CH")
CT = w.Device("ACME", "Scan 1", "S1", "SCAN1", "1.2.826.0.1.3680043.10.9.2", "CH")
PATIENT = w.Patient("P1", "Dupontel^Marguerite", date(1950, 1, 1), "F", 76.0, 70.0, 1.6)


def _cath(folder, name, day, cardiologist, nurse, sop=None, study_uid=None):
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
    study = w.Study(
        study_uid or generate_uid(), name, "CORONAROGRAPHIE", start, operators=(nurse,),
        performing_physician=cardiologist, administering=cardiologist, authorizing=cardiologist,
    )
    events = [w.ProjectionEvent("fluoroscopy", start + timedelta(minutes=i), 2.0)
              for i in range(4)]
    return w.write_projection_rdsr(
        folder / f"{name}.dcm", PATIENT, CATH, study, events, sop_instance_uid=sop
    )


def _ct(folder, name, day, radiographer, radiologist):
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=14)
    study = w.Study(generate_uid(), name, "TDM THORAX", start, operators=(radiographer,),
                    administering=radiographer, authorizing=radiologist)
    acquisition = w.CtAcquisition("THORAX", "chest", "spiral", start, 8.0, 300.0, pitch=1.0)
    return w.write_ct_rdsr(folder / f"{name}.dcm", PATIENT, CT, study, [acquisition])


@pytest.fixture
def staffed(tmp_path, person):
    """Four exams naming their staff, imported; the register: Dr Anne Leroy and Sophie Martin
    qualified and trained on the cath lab, Laura Girard-Dupuis (named GIRARD^Laura in the
    reports) trained on the scanner only."""
    folder = tmp_path / "in"
    folder.mkdir()
    second_sop, second_study = generate_uid(), generate_uid()
    _cath(folder, "A1", DAY, "LEROY^Anne", "MARTIN^Sophie")
    _cath(folder, "A2", DAY + timedelta(days=1), "LEROY^Anne", "DURAND^Thomas",
          sop=second_sop, study_uid=second_study)
    _cath(folder, "A3", DAY + timedelta(days=2), "MOREAU^Julie", "Martin^Sophie")
    _ct(folder, "A4", DAY + timedelta(days=1), "GIRARD^Laura", "MERCIER^Paul")
    assert import_paths([folder], workers=1).imported == 4
    cath = Device.objects.get(model="Cath 1")
    ct = Device.objects.get(model="Scan 1")
    leroy = person("Dr Anne Leroy", "cardiologist", ("interventional",))
    martin = person("Sophie Martin", "nurse", ("interventional",))
    girard = person("Laura Girard-Dupuis", operator_name="GIRARD^Laura")
    with acting_as("fixture"):
        for who in (leroy, martin):
            DeviceTraining(person=who, device=cath, trained_on=DAY - timedelta(days=60)).save()
            Qualification(person=who, device=cath, post="cath",
                          qualified_on=DAY - timedelta(days=30)).save()
        DeviceTraining(person=girard, device=ct, trained_on=DAY).save()
    return {"cath": cath, "ct": ct, "girard": girard, "folder": folder,
            "second": (second_sop, second_study)}


def _found(devices, first=DAY, last=DAY + timedelta(days=30)):
    return [
        (r.device, r.operator, r.exams, r.missing)
        for r in operators_without_qualification(devices, first, last)
    ]


def test_import_stores_each_report_s_staff_once(staffed):
    rows = Participant.objects.filter(exam__device=staffed["cath"], exam__accession_number="A1")
    assert sorted((p.name, p.role, p.source) for p in rows) == [
        ("LEROY^Anne", "irradiation_administering", "TID 1020"),
        ("LEROY^Anne", "irradiation_authorizing", "TID 1020"),
        ("LEROY^Anne", "performing_physician", "(0008,1050)"),
        ("MARTIN^Sophie", "operator", "(0008,1070)"),
    ]


def test_the_exam_page_lists_the_staff_once_with_their_roles_in_words(staffed, login, units):
    exam = Participant.objects.get(name="MARTIN^Sophie", exam__accession_number="A1").exam
    exam.device.unit = units["main"]
    exam.device.save()
    client = login(INSPECTOR)
    html = unescape(client.get(f"/exams/{exam.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    staff = html[html.index('id="exam-staff"'):]
    staff = staff[:staff.index("</dd>")]
    assert staff.count("LEROY^Anne") == 1 and "MARTIN^Sophie" in staff
    assert "réalise l'irradiation" in staff  # the role worded, not its key
    assert "irradiation_administering" not in staff and "performing_physician" not in staff


def test_operators_without_qualification_per_device(staffed):
    cath, ct = str(staffed["cath"].pk), str(staffed["ct"].pk)
    everything = ("register", "qualification", "device_training")
    assert sorted(_found(Device.objects.all())) == [
        (cath, "DURAND^Thomas", 1, everything),
        (cath, "MOREAU^Julie", 1, everything),
        (ct, "GIRARD^Laura", 1, ("qualification",)),
        (ct, "MERCIER^Paul", 1, everything),
    ]
    # The period: the first cath exam only names people qualified on the cath lab.
    assert _found(Device.objects.filter(pk=cath), DAY, DAY) == []
    # A qualification dated after the period's end does not cover it; dated before, it does.
    with acting_as("fixture"):
        Qualification(person=staffed["girard"], device=staffed["ct"], post="scanner",
                      qualified_on=DAY + timedelta(days=31)).save()
    assert (ct, "GIRARD^Laura", 1, ("qualification",)) in _found(Device.objects.all())
    assert (ct, "GIRARD^Laura", 1, ("qualification",)) not in _found(
        Device.objects.all(), last=DAY + timedelta(days=31)
    )


def test_a_corrected_report_replaces_the_staff_it_named(staffed, tmp_path):
    folder = tmp_path / "corrected"
    folder.mkdir()
    sop, study = staffed["second"]
    _cath(folder, "A2", DAY + timedelta(days=1), "LEROY^Anne", "MARTIN^Sophie",
          sop=sop, study_uid=study)
    assert import_paths([folder], workers=1).replaced == 1
    operators = [r[1] for r in _found(Device.objects.filter(pk=staffed["cath"].pk))]
    assert operators == ["MOREAU^Julie"]
    assert not Participant.objects.filter(name="DURAND^Thomas").exists()


def test_page_in_both_languages_exports_and_units(staffed, login, units):
    client = login(INSPECTOR)  # reading is enough
    query = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=30)).isoformat()}
    page = client.get("/people/qualifications/operators/", query, HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("DURAND^Thomas", "MOREAU^Julie", "GIRARD^Laura", "MERCIER^Paul",
                 "Laura Girard-Dupuis", "non inscrit au registre",
                 "aucune habilitation au poste sur ce dispositif"):
        assert text in html, text
    assert "MARTIN^Sophie" not in html and "not in the register" not in html
    english = client.get("/people/qualifications/operators/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert "not in the register" in english.content.decode()
    only_ct = client.get("/people/qualifications/operators/",
                         {**query, "device": staffed["ct"].pk}).content.decode()
    assert "GIRARD^Laura" in only_ct and "DURAND^Thomas" not in only_ct
    data = client.get("/people/qualifications/operators/", {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["device", "device_id", "operator"]
    assert {r[2] for r in rows[1:]} == {"DURAND^Thomas", "MOREAU^Julie", "GIRARD^Laura",
                                        "MERCIER^Paul"}
    book = load_workbook(io.BytesIO(client.get(
        "/people/qualifications/operators/", {**query, "format": "xlsx"}).content))
    assert book.active.max_row == 5
    summary = client.get("/people/qualifications/").content.decode()
    assert "/people/qualifications/operators/" in summary
    # Another unit's user sees none of these devices' operators.
    Device.objects.filter(pk=staffed["cath"].pk).update(unit=units["other"])
    html = client.get("/people/qualifications/operators/", query).content.decode()
    assert "DURAND^Thomas" not in html and "GIRARD^Laura" in html
    other = login(QUALITY_MANAGER, "other")
    html = other.get("/people/qualifications/operators/", query).content.decode()
    assert "DURAND^Thomas" in html and "GIRARD^Laura" not in html
    # The person of the main unit is named but not linked for the other unit's user.
    assert f'/people/{staffed["girard"].pk}/' not in html


def test_command_line(staffed):
    result = CliRunner().invoke(
        app,
        ["qualification", "unrecorded", "--from", DAY.isoformat(), "--to",
         (DAY + timedelta(days=30)).isoformat(), "--device", str(staffed["ct"].pk), "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["operator"], r["exams"], r["missing"]) for r in rows] == [
        ("GIRARD^Laura", 1, ["qualification"]),
        ("MERCIER^Paul", 1, ["register", "qualification", "device_training"]),
    ]
    assert rows[0]["person"] == "Laura Girard-Dupuis"
    assert rows[0]["device"] == "ACME Scan 1 SCAN1" and rows[0]["device_id"] == staffed["ct"].pk
    assert {"first_seen", "last_seen", "roles", "spellings", "person_id"} <= set(rows[0])
    bad = CliRunner().invoke(app, ["qualification", "unrecorded", "--from", "2026-13-01"])
    assert bad.exit_code == 2
