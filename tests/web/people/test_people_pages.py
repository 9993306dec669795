"""The people register's pages: create and edit a person (audited, history visible), training
status, certificates, qualifications, exports without live formulas, HR and dosimetry imports,
assessments; access: an inspector reads and gets 403 on every form, another unit is invisible."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from kerma.web.accounts.roles import INSPECTOR, PHYSICIST, QUALITY_MANAGER, RAN
from kerma.web.people.audit import AuditEntry
from kerma.web.people.models import DosimeterReading, Person, StaffAssessment
from kerma.web.people.panels import dashboard_panel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_create_edit_and_history(login, units):
    client = login(QUALITY_MANAGER)
    response = client.post(
        "/people/new/",
        {
            "name": "Jeanne Martin",
            "profession": "cardiologist",
            "domains": ["interventional"],
            "units": [units["main"].pk],
            "post": "salle de cathétérisme",
            "active": "on",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="Jeanne Martin")
    assert person.domains == ["interventional"]
    response = client.post(
        f"/people/{person.pk}/edit/",
        {
            "name": "Jeanne Martin",
            "profession": "cardiologist",
            "domains": ["interventional", "ct"],
            "units": [units["main"].pk],
            "active": "on",
        },
    )
    assert response.status_code == 302
    entries = AuditEntry.objects.filter(object_type="person", object_id=str(person.pk))
    assert [e.action for e in entries] == ["create", "units", "update"]
    person.refresh_from_db()
    assert person.activity_changed_on is not None  # CT added: a change of activity
    assert entries[0].actor == "quality_manager-main"
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "quality_manager-main" in page and "Jeanne Martin" in page
    response = client.post(
        f"/people/{person.pk}/certificate/add/",
        {"obtained_on": "2020-05-04", "organisation": "=HYPERLINK(\"x\")"},
    )
    assert response.status_code == 302
    assert person.certificates.get().obtained_on == date(2020, 5, 4)
    assert AuditEntry.objects.filter(object_type="certificate").exists()


def test_register_status_and_exports_without_formulas(login, person):
    person("=cmd|' /C calc'!A0", certificate=date(2024, 1, 10))
    person("Paul Expiré", "surgeon", ("interventional",), certificate=date(2010, 1, 1))
    person("Sans Attestation")
    person("Parti", active=False)
    client = login(RAN)
    page = client.get("/people/").content.decode()
    assert "Paul Expiré" in page and "pe-expired" in page and "pe-missing" in page
    assert "Plus en activité" in page and "Parti" in page
    text = client.get("/people/?format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["name", "profession", "domains"]
    names = {r[0]: r for r in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in names
    assert names["Paul Expiré"][8] == "expired"
    book = load_workbook(io.BytesIO(client.get("/people/?format=xlsx").content))
    cells = [c for row in book.active.iter_rows() for c in row]
    formula = [c for c in cells if c.value == "=cmd|' /C calc'!A0"]
    assert formula and formula[0].data_type == "s"
    filtered = client.get("/people/?status=missing").content.decode()
    assert "Sans Attestation" in filtered and "Paul Expiré" not in filtered


def test_inspector_reads_only(login, person):
    someone = person("Lu Seulement", certificate=date(2024, 1, 1))
    client = login(INSPECTOR)
    assert client.get("/people/").status_code == 200
    assert client.get(f"/people/{someone.pk}/").status_code == 200
    assert client.get("/people/staff/").status_code == 200
    for url in (
        "/people/new/",
        f"/people/{someone.pk}/edit/",
        f"/people/{someone.pk}/certificate/add/",
        f"/people/{someone.pk}/qualification/add/",
        "/people/import/",
        "/people/dosimetry/import/",
        "/people/staff/new/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert "Ajouter une personne" not in client.get("/people/").content.decode()


def test_another_unit_is_invisible(login, person, units):
    theirs = person("Ailleurs", unit="other", certificate=date(2024, 1, 1))
    assessment = StaffAssessment(
        unit=units["other"], title="Leur TAVI", procedure="TAVI", position="opérateur",
        reference_distance_cm=40, working_distance_cm=40, volume=10, dose_source="mesure",
    )
    assessment.save()
    client = login(PHYSICIST)
    assert "Ailleurs" not in client.get("/people/").content.decode()
    assert client.get(f"/people/{theirs.pk}/").status_code == 404
    assert client.get(f"/people/{theirs.pk}/edit/").status_code == 404
    assert client.get(f"/people/staff/{assessment.pk}/").status_code == 404
    assert "Leur TAVI" not in client.get("/people/staff/").content.decode()
    assert "Ailleurs" not in client.get("/people/?format=csv").content.decode("utf-8-sig")
    history = client.get("/history/").content.decode()
    assert "Ailleurs" not in history


def test_assessment_form_and_page(login, units):
    client = login(PHYSICIST)
    response = client.post(
        "/people/staff/new/",
        {
            "unit": units["main"].pk,
            "title": "TAVI opérateur",
            "procedure": "TAVI",
            "position": "opérateur",
            "dose_whole_body_usv": 3600 / 0.03 / 470,
            "dose_extremities_usv": 104500 / 470,
            "dose_lens_usv": 44250 / 470,
            "reference_distance_cm": 40,
            "working_distance_cm": 40,
            "dose_source": "valeurs annuelles de l'évaluation de la PCR",
            "volume": 470,
            "volume_source": "entered",
            "protections_lines": "protection | collective | whole_body=97%",
            "candidates_lines": "lunettes plombées | individual | lens=0.6",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = StaffAssessment.objects.get()
    assert (row.result["whole_body_msv"], row.result["extremities_msv"],
            row.result["lens_msv"]) == (3.6, 104.5, 44.25)
    assert row.result["category"] == "A" and row.result["over_limit"] == ["lens"]
    page = client.get(f"/people/staff/{row.pk}/").content.decode()
    assert "lunettes plombées" in page and "cristallin" in page
    assert AuditEntry.objects.filter(object_type="staff_assessment").exists()
    bad = client.post("/people/staff/new/", {"unit": units["main"].pk, "title": "x",
                                              "protections_lines": "oops"})
    assert bad.status_code == 200
    text = client.get("/people/staff/?format=csv").content.decode("utf-8-sig")
    assert "TAVI opérateur" in text and ";A;" in text


def test_hr_import_and_dosimetry_import(login, units, person):
    client = login(PHYSICIST)
    hr = (
        b"nom;profession;domaines;unites;poste;attestation\n"
        b"Alice Nouvelle;radiographer;ct,radiology;main;scanner;2023-02-01\n"
        b"Bob Ailleurs;nurse;interventional;other;;2023-02-01\n"
        b"Carl Bizarre;astronaut;;main;;\n"
    )
    upload = io.BytesIO(hr)
    upload.name = "rh.csv"
    page = client.post("/people/import/", {"file": upload}).content.decode()
    assert Person.objects.filter(name="Alice Nouvelle").exists()
    assert not Person.objects.filter(name__in=["Bob Ailleurs", "Carl Bizarre"]).exists()
    assert "unit not yours" in page and "astronaut" in page
    alice = Person.objects.get(name="Alice Nouvelle")
    assert alice.certificates.get().obtained_on == date(2023, 2, 1)
    dosi = (
        b"name,period_start,period_end,Hp(10),Hp(0.07),Hp(3)\n"
        b"Alice Nouvelle,2025-01-01,2025-01-31,0.10,1.5,0.4\n"
        b"Alice Nouvelle,2025-02-01,2025-02-28,,2.0,\n"
        b"Inconnu,2025-01-01,2025-01-31,0.1,0.1,0.1\n"
    )
    upload = io.BytesIO(dosi)
    upload.name = "dosimetrie.csv"
    page = client.post("/people/dosimetry/import/", {"file": upload}).content.decode()
    assert DosimeterReading.objects.filter(person=alice).count() == 2
    assert "Inconnu" in page
    detail = client.get(f"/people/{alice.pk}/").content.decode()
    assert "Hp(3)" in detail


def test_dashboard_panel(login, person, rf, units):
    person("Expirée", "nurse", ("interventional",), certificate=date(2010, 1, 1))
    person("Nouveau", arrived_on=date(2025, 1, 1), post="scanner", certificate=date(2024, 1, 1))
    client = login(RAN)
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="ran-main")
    panel = dashboard_panel(request)
    assert panel is not None
    assert panel.context["people_counts"]["expired"] == 1
    assert [n.params["person"] for n in panel.context["people_todo"]] == ["Nouveau"]
    home = client.get("/").content.decode()
    assert "people-panel" in home and "people-dosimetry" not in home


def test_dashboard_warns_of_measured_doses(login, person):
    from django.utils import timezone

    from kerma.people import add_months

    worker = person("Dr Lentille", "cardiologist", ("interventional",))
    today = timezone.localdate()
    for month in range(1, 13):
        start = add_months(today.replace(day=1), -month)
        DosimeterReading(person=worker, period_start=start, period_end=start,
                         hp3_msv=1.5).save()
    home = login(PHYSICIST).get("/").content.decode()
    assert "people-dosimetry" in home and "Dr Lentille" in home and "cristallin" in home


def test_hr_import_from_xlsx(login, units):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Nom", "Profession", "Domaines", "Unités", "Arrivée", "Attestation"])
    sheet.append(["Zoé Scanner", "radiographer", "ct; radiology", "main", date(2025, 9, 1),
                  date(2019, 4, 2)])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "rh.xlsx"
    client = login(QUALITY_MANAGER)
    client.post("/people/import/", {"file": buffer})
    zoe = Person.objects.get(name="Zoé Scanner")
    assert zoe.domains == ["ct", "radiology"] and zoe.arrived_on == date(2025, 9, 1)
    assert zoe.certificates.get().obtained_on == date(2019, 4, 2)
    assert list(zoe.units.values_list("code", flat=True)) == ["main"]
    assert AuditEntry.objects.filter(object_type="person", action="units").exists()


def test_hr_template_reads_back(login, units):
    client = login(QUALITY_MANAGER)
    response = client.get("/people/import/template.xlsx")
    template = io.BytesIO(response.content)
    template.name = "modele.xlsx"
    client.post("/people/import/", {"file": template})
    assert Person.objects.get(name="Dupont Marie").domains == ["ct", "radiology"]


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (PHYSICIST, ["/people/new/", "/people/staff/new/", "/people/dosimetry/import/"], []),
        (QUALITY_MANAGER, ["/people/new/", "/people/import/"],
         ["/people/staff/new/", "/people/dosimetry/import/"]),
        (RAN, ["/people/new/"], ["/people/staff/new/", "/people/dosimetry/import/"]),
    ],
)
def test_who_changes_what(login, role, allowed, refused):
    client = login(role)
    for url in allowed:
        assert client.get(url).status_code == 200, (role, url)
    for url in refused:
        assert client.get(url).status_code == 403, (role, url)


def test_assessment_volume_from_the_database(login, units):
    from kerma.web.dose.models import Device, Exam

    cath = Device.objects.create(identity_key="cath", model="Azurion", unit=units["main"])
    for i in range(10):
        Exam.objects.create(study_uid=f"9.{i}", study_date=date(2025, 3, 1 + i), modality="XA",
                            device=cath, patient_key=f"{i:064d}", procedure="TAVI")
    client = login(PHYSICIST)
    response = client.post("/people/staff/new/", {
        "unit": units["main"].pk, "title": "TAVI base", "procedure": "TAVI", "position": "op",
        "dose_whole_body_usv": 10, "dose_extremities_usv": 10, "dose_lens_usv": 10,
        "reference_distance_cm": 100, "working_distance_cm": 100, "dose_source": "mesure",
        "volume": 0, "volume_source": "database", "device": cath.pk, "act": "TAVI",
        "period_from": "2025-01-01", "period_to": "2025-06-30",
    })
    assert response.status_code == 302
    row = StaffAssessment.objects.get(title="TAVI base")
    assert row.volume == pytest.approx(10 * 365 / 181)
    page = client.get(f"/people/staff/{row.pk}/").content.decode()
    assert "10 examens en 181 jours" in page


def test_attachment_and_planned_qualification_done(login, person):
    from django.core.files.uploadedfile import SimpleUploadedFile

    mine = person("Avec Pièce")
    theirs = person("Autre Pièce", unit="other")
    client = login(QUALITY_MANAGER)
    scan = SimpleUploadedFile("attestation.pdf", b"%PDF-1.4 attestation", "application/pdf")
    client.post(f"/people/{mine.pk}/certificate/add/",
                {"obtained_on": "2024-02-03", "attachment": scan})
    certificate = mine.certificates.get()
    download = client.get(f"/people/certificates/{certificate.pk}/file/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 attestation"
    client.post(f"/people/{mine.pk}/qualification/add/", {"post": "scanner"})
    planned = mine.qualifications.get()
    assert planned.to_do
    assert client.post(f"/people/rows/qualification/{planned.pk}/edit/", {
        "post": "scanner", "qualified_on": "2025-01-10", "qualified_by": "cadre",
    }).status_code == 302
    planned.refresh_from_db()
    assert planned.qualified_on == date(2025, 1, 10)
    assert AuditEntry.objects.filter(object_type="qualification", action="update").exists()
    assert client.get(f"/people/{theirs.pk}/certificate/add/").status_code == 404
    assert client.get(f"/people/rows/qualification/{planned.pk}/edit/").status_code == 200
    assert client.get("/people/rows/nothing/1/edit/").status_code == 404


def test_assessment_doses_from_the_median_dap_and_a_stated_coefficient(login, units):
    from kerma.web.dose.models import Device, Exam

    cath = Device.objects.create(identity_key="cath", model="Azurion", unit=units["main"])
    for i, dap in enumerate((10.0, 30.0, 20.0)):
        Exam.objects.create(study_uid=f"8.{i}", study_date=date(2025, 3, 1 + i), modality="XA",
                            device=cath, patient_key=f"{i:064d}", procedure="TAVI",
                            dap_total_gycm2=dap)
    client = login(PHYSICIST)
    fields = {
        "unit": units["main"].pk, "title": "TAVI diffusé", "procedure": "TAVI",
        "position": "op", "dose_extremities_usv": 5,
        "reference_distance_cm": 100, "working_distance_cm": 50,
        "dose_source": "PDS médian × coefficient", "volume": 100, "volume_source": "entered",
        "device": cath.pk, "act": "TAVI", "period_from": "2025-01-01",
        "period_to": "2025-12-31", "scatter_lines": "whole_body=2, lens=1",
    }
    refused = client.post("/people/staff/new/", fields)
    assert refused.status_code == 200 and not StaffAssessment.objects.exists()  # no source
    fields["scatter_source"] = "mesure du service au fantôme, 2024"
    assert client.post("/people/staff/new/", fields).status_code == 302
    row = StaffAssessment.objects.get()
    assert row.dap_gycm2 == 20.0  # the median of 10, 30, 20
    assert row.dose_whole_body_usv == 40.0 and row.dose_lens_usv == 20.0
    # 40 µSv at 1 m → 160 µSv at 50 cm × 100 = 16 mSv: category A
    assert row.result["whole_body_msv"] == 16.0 and row.result["category"] == "A"
    missing = dict(fields, title="sans dose", scatter_lines="", dose_extremities_usv="")
    assert client.post("/people/staff/new/", missing).status_code == 200


def test_pages_in_english(login, person, units):
    from django.conf import settings

    someone = person("Ann English", "nurse", ("interventional",), certificate=date(2010, 1, 1))
    client = login(PHYSICIST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/people/").content.decode()
    assert "People and training" in page and "expired" in page
    detail = client.get(f"/people/{someone.pk}/").content.decode()
    assert "training expired on" in detail and "interventional practices" in detail
    staff = client.get("/people/staff/").content.decode()
    assert "Predictive assessment of staff exposure" in staff
