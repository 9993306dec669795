"""The patients pages with Django's test client: each page renders, entries are audited with
who and when, every query keeps to the user's units, an inspector reads but never writes."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from tests.web.patients.conftest import KEY, OTHER_KEY, WOMAN

from kerma.web.audit.models import AuditEntry
from kerma.web.patients.models import PatientFlag, PregnancyCheck

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_record_page_and_flag_entered_with_who_and_when(login, exams):
    client = login("radiographer")
    page = client.get(reverse("patients_record", args=[KEY]))
    assert page.status_code == 200
    assert b"record-exams" in page.content and b"ct_dlp_k" in page.content
    answer = client.post(reverse("patients_flag_add", args=[KEY]),
                         {"kind": "radiosensitive", "note": "AT"})
    assert answer.status_code == 302
    flag = PatientFlag.objects.get(patient_key=KEY)
    assert flag.entered_by == "radiographer-main" and flag.entered_at is not None
    assert AuditEntry.objects.filter(object_type="patient_flag", action="create",
                                     actor="radiographer-main").exists()
    # The flag shows on every exam of the patient, and in the follow-up list.
    for name in ("ct", "xa", "pet"):
        page = client.get(reverse("exam_detail", args=[exams[name].pk]))
        assert b"patient-flags" in page.content and b"AT" in page.content
    assert KEY[:10].encode() in client.get(reverse("patients_watch")).content
    data = json.loads(client.get(reverse("patients_record", args=[KEY]) + "?format=json").content)
    assert data["flags"][0]["kind"] == "radiosensitive"
    assert client.post(reverse("patients_flag_add", args=[KEY]), {"kind": "x"}).status_code == 400


def test_scoping_by_unit(login, exams):
    client = login("physicist")
    assert client.get(reverse("patients_record", args=[OTHER_KEY])).status_code == 404
    assert client.post(reverse("patients_flag_add", args=[OTHER_KEY]),
                       {"kind": "other"}).status_code == 404
    assert client.get(reverse("patients_report", args=[exams["far"].pk])).status_code == 404
    rows = json.loads(client.get(reverse("patients_pregnancy") + "?format=json").content)
    assert [r["study_uid"] for r in rows["exams"]] == ["1.4"]
    other = login("physicist", "other")
    assert other.get(reverse("patients_record", args=[KEY])).status_code == 404


def test_inspector_reads_but_never_writes(login, exams):
    client = login("inspector")
    assert client.get(reverse("patients_record", args=[KEY])).status_code == 200
    assert client.get(reverse("patients_watch")).status_code == 200
    assert client.get(reverse("patients_pregnancy")).status_code == 200
    assert client.post(reverse("patients_flag_add", args=[KEY]),
                       {"kind": "other"}).status_code == 403
    assert client.post(reverse("patients_pregnancy_record", args=[exams["woman"].pk]),
                       {"status": "not_pregnant"}).status_code == 403
    assert not PatientFlag.objects.exists() and not PregnancyCheck.objects.exists()
    page = client.get(reverse("patients_record", args=[KEY]))
    assert b"flag-form" not in page.content


def test_pregnancy_check_recorded_on_the_exam(login, exams):
    client = login("radiographer")
    page = client.get(reverse("exam_detail", args=[exams["woman"].pk]))
    assert b"no check recorded" in page.content
    answer = client.post(reverse("patients_pregnancy_record", args=[exams["woman"].pk]),
                         {"status": "not_pregnant"})
    assert answer.status_code == 302
    check = PregnancyCheck.objects.get(exam=exams["woman"])
    assert check.recorded_by == "radiographer-main"
    assert AuditEntry.objects.filter(object_type="pregnancy_check").exists()
    page = client.get(reverse("patients_pregnancy"))
    assert WOMAN[:10].encode() not in page.content and b"1.4" not in page.content


def test_report_section_text_pdf_json(login, exams):
    client = login("radiographer")
    url = reverse("patients_report", args=[exams["ct"].pk])
    page = client.get(url)
    assert page.status_code == 200 and b"DLP (total): 500 mGy.cm" in page.content
    assert client.get(url + "?format=pdf").content.startswith(b"%PDF")
    section = json.loads(client.get(url + "?format=json").content)
    assert section["modality"] == "CT" and section["quantities"][1]["unit"] == "mGy.cm"


def test_breast_feeding_and_ssde_and_paediatric(login, exams):
    client = login("radiographer")
    page = client.get(reverse("patients_breast_feeding", args=[exams["pet"].pk]))
    assert page.status_code == 200 and b"ICRP Publication 106" in page.content
    assert client.get(reverse("patients_breast_feeding",
                              args=[exams["ct"].pk])).status_code == 404
    page = client.get(reverse("exam_detail", args=[exams["ct"].pk]))
    assert b"12.31" in page.content  # SSDE = 10 mGy x f(30 cm) = 12.31 mGy (TG-204/220)
    page = client.get(reverse("patients_paediatric"))
    assert page.status_code == 200 and b"33.3" in page.content  # 1 child of 3 CT exams
    assert b"above_threshold" not in page.content and b"&gt; 5 %" in page.content


def test_demo_seeding_is_idempotent(exams):
    from datetime import date

    from kerma.web.patients.demo import seed_patients_demo

    done = seed_patients_demo(date.today())
    assert done["flagged"] in (KEY, WOMAN, "d" * 64)  # the patient with the most CT exams
    assert PatientFlag.objects.get().kind == "radiosensitive"
    assert done["pregnancy_checks"] == 2 and done["children"] == 1  # both women checked
    again = seed_patients_demo(date.today())
    assert again["pregnancy_checks"] == 0 and PatientFlag.objects.count() == 1


def test_pages_in_french(login, exams, settings):
    settings.LANGUAGE_CODE = "fr"
    client = login("physicist")
    page = client.get(reverse("patients_record", args=[KEY]), HTTP_ACCEPT_LANGUAGE="fr")
    french = page.content.decode()
    assert "Relevé de doses du patient" in french
    # Methods in words (the code stays in an attribute for scripts), dates as the French
    # write them, the threshold's source cited after a French word.
    assert ">PDL × facteur k<" in french and ">PDS × coefficient E/PDS<" in french
    assert ">ct_dlp_k<" not in french and 'data-method="ct_dlp_k"' in french
    assert exams["ct"].study_date.strftime("%d/%m/%Y") in french
    assert "source : Dalah" in french and "Cumulative effective dose" not in french
    page = client.get(reverse("patients_report", args=[exams["ct"].pk]),
                      HTTP_ACCEPT_LANGUAGE="fr")
    assert "PDL (total) : 500 mGy.cm" in page.content.decode()
    for name in ("patients_watch", "patients_pregnancy", "patients_paediatric"):
        assert client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="fr").status_code == 200


def test_real_identifier_only_where_stored(login, exams):
    client = login("physicist")
    url = reverse("patients_record", args=[KEY])
    assert b'id="identity"' not in client.get(url).content
    exams["ct"].patient_id, exams["ct"].patient_name = "PID-1", "DOE^JOHN"
    exams["ct"].save()  # a site that opted in (KERMA_CLEAR_IDENTIFIERS)
    assert b"DOE^JOHN (PID-1)" in client.get(url).content
