"""The people register and the staff exposure assessment in a real browser: a quality manager
records a person and a certificate (status and history shown), a physicist enters the seeds'
TAVI assessment and reads 3,6 / 104,5 / 44,25 mSv, category A, the lens over its limit and the
protection that fixes it; an inspector reads without any form, and the operators the exams
name without a qualification on the device."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from browsing import sign_in

from kerma.people import add_years

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]


def test_register_a_person_and_a_certificate(page, unit):
    sign_in(page, "quality_manager", next_path="/people/new/")
    page.fill("input[name=name]", "Dr Jeanne Cœur")
    page.select_option("select[name=profession]", "cardiologist")
    page.check("input[name=domains][value=interventional]")
    page.locator("input[name=units]").first.check()
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("h1").inner_text() == "Dr Jeanne Cœur"
    assert page.locator("#training-status").inner_text() == "absente"
    with page.expect_navigation():
        page.click("text=Ajouter une attestation")
    obtained = add_years(date.today(), -7)  # 7 years ago today: last valid day
    page.fill("input[name=obtained_on]", obtained.isoformat())
    page.fill("input[name=organisation]", "Organisme de DPC")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#training-status").inner_text() == "à renouveler"
    assert "quality_manager" in page.locator("#history").inner_text()
    page.goto("/people/")
    row = page.locator("#people-table tbody tr", has_text="Dr Jeanne Cœur")
    assert "7 ans" in row.inner_text() and "à renouveler" in row.inner_text()


def test_tavi_assessment_page(page, unit):
    sign_in(page, "physicist", next_path="/people/staff/new/")
    page.locator("select[name=unit]").select_option(index=1)
    page.fill("input[name=title]", "TAVI opérateur")
    page.fill("input[name=procedure]", "TAVI")
    page.fill("input[name=position]", "opérateur, 40 cm")
    page.fill("input[name=dose_whole_body_usv]", str(3600 / 0.03 / 470))
    page.fill("input[name=dose_extremities_usv]", str(104500 / 470))
    page.fill("input[name=dose_lens_usv]", str(44250 / 470))
    page.fill("input[name=reference_distance_cm]", "40")
    page.fill("input[name=working_distance_cm]", "40")
    page.fill("textarea[name=dose_source]", "valeurs annuelles de la PCR (séminaire 2019)")
    page.fill("input[name=volume]", "470")
    page.fill("textarea[name=protections_lines]", "protection | individual | whole_body=97%")
    # The upper end of the published range (Fetterly et al., JACC Cardiovasc Interv 2017).
    page.fill("textarea[name=candidates_lines]", "lunettes plombées | individual | lens=62%")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    organs = page.locator("#organs").inner_text()
    assert "3,6" in organs and "104,5" in organs and "44,25" in organs
    assert page.locator("#organs .pe-over").inner_text() == "44,25"
    assert page.locator("#category").inner_text() == "A"
    findings = page.locator("#findings").inner_text()
    assert "lunettes plombées" in findings and "cristallin" in findings
    page.goto("/people/staff/")
    assert "TAVI opérateur" in page.locator("#assessments").inner_text()


def test_inspector_reads_without_forms(page, unit):
    sign_in(page, "inspector", next_path="/people/")
    assert page.locator("h1").inner_text() == "Personnes et formation"
    assert page.locator("text=Ajouter une personne").count() == 0
    response = page.goto("/people/new/")
    assert response.status == 403
    page.goto("/people/staff/")
    assert page.locator("text=Nouvelle évaluation").count() == 0


def test_operators_from_the_exams(page, unit):
    from django.utils import timezone

    from kerma.web.dose.models import Exam, Participant, Report

    exam = Exam.objects.filter(device=unit.room).first()
    exam.study_date = timezone.localdate() - timedelta(days=10)
    exam.save()
    report = Report.objects.create(
        sop_instance_uid="1.2.250.1.rx.report", sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        exam=exam, source="rdsr", modality="DX", sha256="0" * 64, archive_path="x.dcm",
    )
    Participant.objects.create(exam=exam, report=report, name="DURAND^Thomas",
                               role="operator", source="(0008,1070)")
    sign_in(page, "inspector", next_path="/people/qualifications/")
    assert "1 opérateur" in page.locator("#operators").inner_text()
    with page.expect_navigation():
        page.click("text=Voir les opérateurs par dispositif")
    row = page.locator("#operators-table tbody tr", has_text="DURAND^Thomas")
    assert "Salle 1 (Ysio)" in row.inner_text() and "non inscrit au registre" in row.inner_text()
    page.select_option("select[name=device]", str(unit.ct.pk))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#operators-table tbody tr", has_text="DURAND^Thomas").count() == 0
    with page.expect_download() as download:
        page.click("text=CSV")
    assert download.value.suggested_filename.endswith(".csv")
