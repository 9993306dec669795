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
    sign_in(page, "inspector", next_path=f"/patients/record/{KEY}/")
    assert page.locator("#record-exams tbody tr").count() == 2
    assert page.locator("#flag-form").count() == 0
    page.goto(f"/exams/{patient.pk}/")
    assert page.locator("#patients-panel form").count() == 0
    page.goto("/patients/pregnancy/")
    assert page.locator("#per-month").count() == 1
