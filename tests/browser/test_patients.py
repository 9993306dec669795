"""Persons at risk in a real browser: a radiographer records the pregnancy check of a woman's
CT from the exam page, opens the patient's dose record (estimated effective doses, cumulated),
flags the patient as radiosensitive and sees the flag in the list of patients to watch and on
the exam; the report's dose section is ready to copy; an inspector reads without any form."""

from __future__ import annotations

import pytest
from browsing import sign_in

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]

KEY = "e" * 64


@pytest.fixture
def patient(unit):
    """Give the unit's first two CT exams (a woman of 40, a man of 41) one patient key."""
    for exam in unit.ct_exams[:2]:
        exam.patient_key = KEY
        exam.save()
    return unit.ct_exams[0]


def test_pregnancy_check_record_flag_and_report(page, unit, patient):
    sign_in(page, "radiographer", next_path=f"/exams/{patient.pk}/")
    panel = page.locator("#patients-panel")
    assert "aucune recherche enregistrée" in panel.inner_text()
    assert "mSv" in panel.locator("#effective-dose").inner_text()
    panel.locator("select[name=status]").select_option("not_pregnant")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    assert "aucune recherche enregistrée" not in page.locator("#patients-panel").inner_text()
    with page.expect_navigation():
        page.click("text=Relevé de doses du patient")
    assert page.locator("#record-exams tbody tr").count() == 2
    assert "Cumul sur 5 an(s)" in page.locator("#cumulative").inner_text()
    page.select_option("#flag-form select[name=kind]", "radiosensitive")
    page.fill("#flag-form input[name=note]", "Ataxie-télangiectasie")
    with page.expect_navigation():
        page.click("#flag-form button[type=submit]")
    flags = page.locator("#flags").inner_text()
    assert "Radiosensibilité individuelle" in flags and "radiographer" in flags
    page.goto("/patients/")
    assert "Radiosensibilité individuelle" in page.locator("#watch").inner_text()
    page.goto(f"/exams/{unit.ct_exams[1].pk}/")
    assert "Ataxie-télangiectasie" in page.locator("#patient-flags").inner_text()
    page.goto(f"/patients/exam/{patient.pk}/report/")
    text = page.locator("#section-text").input_value()
    assert "PDL (total) : 200 mGy.cm" in text and "CT-001" in text


def test_inspector_reads_without_forms(page, unit, patient):
    from kerma.web.patients.models import ImageDiameter

    # the first exam's Dw measured on 3 axial images; the second has weight and height only
    ImageDiameter.objects.create(exam=patient, event_uid="ev.ct.0", dw_mm=300.0, images=3,
                                 series_uid="1.2.3", series_match="largest_axial_series",
                                 peer="PACS@127.0.0.1:104")
    sign_in(page, "inspector", next_path=f"/patients/record/{KEY}/")
    assert page.locator("#record-exams tbody tr").count() == 2
    assert page.locator("#flag-form").count() == 0
    methods = page.locator("#record-exams").inner_text()
    assert "Dw mesuré sur les images axiales (AAPM 220)" in methods
    assert "estimée à partir du poids et de la taille" in methods
    page.goto(f"/exams/{patient.pk}/")
    assert page.locator("#patients-panel form").count() == 0
    ssde = page.locator("#ssde").inner_text()  # 5 mGy x f(30 cm) = 6.16 mGy
    assert "Dw mesuré sur les images axiales (AAPM 220) — moyenne de 3 images" in ssde
    assert "6,16" in ssde
    page.goto("/patients/pregnancy/")
    assert page.locator("#per-month").count() == 1
    child = unit.ct_exams[2]  # a child of 4 years, 16 kg: 1 of the scanner's 11 exams
    child.age_years, child.weight_kg = 4.0, 16.0
    child.save()
    page.goto("/patients/paediatric/")
    assert page.locator("#children tbody tr").count() == 1
    scanner = page.locator("#shares tbody tr", has_text="Scanner A").inner_text()
    assert "9,1" in scanner and "> 5 %" in scanner  # above the NRD plan's 5 %


def test_flags_show_in_the_follow_up_list_and_the_exam_list(page, unit, patient):
    """A radiosensitive patient whose PCI crossed the alert levels: the flag is on the list of
    patients to follow up and beside each of the patient's exams in the exam list."""
    from datetime import date

    from kerma.web.accounts.models import Unit
    from kerma.web.audit.log import acting_as
    from kerma.web.dose.models import Device, Exam
    from kerma.web.followup.alerts import evaluate_exam
    from kerma.web.patients.models import PatientFlag

    cath = Device.objects.create(identity_key="browser-cath", manufacturer="Philips",
                                 model="Azurion 7", category=Device.Category.FLUOROSCOPY,
                                 station_name="cath", unit=Unit.default())
    pci = Exam.objects.create(study_uid="1.2.826.0.1.3680043.8.498.99", device=cath,
                              modality="XA", study_date=date.today(), patient_key=KEY,
                              procedure="ANGIOPLASTIE CORONAIRE", kar_total_mgy=6100.0,
                              dap_total_gycm2=400.0, fluoro_time_s=1500.0)
    evaluate_exam(pci)
    with acting_as("test"):
        PatientFlag.objects.create(patient_key=KEY, unit=Unit.default(), kind="radiosensitive",
                                   entered_by="dr")
    sign_in(page, "radiographer", next_path="/followup/patients/")
    flags = page.locator("#followup-patients td.at-risk-flags")
    assert flags.count() == 1 and "Radiosensibilité individuelle" in flags.inner_text()
    page.goto("/exams/")
    assert page.locator("span.at-risk").count() == 3  # two CT exams and the PCI of KEY
    page.goto(f"/exams/{pci.pk}/")
    assert "Radiosensibilité individuelle" in page.locator("#patient-flags").inner_text()
