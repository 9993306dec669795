"""A patient's at-risk flags where lists show patients: the interventional follow-up list (page,
CSV, XLSX) and the exam list, read through the lookup the patients app registers in the dose
app (the lists below it never import it); only flags the user may see, active ones only."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from tests.web.followup import conftest as followup_fixtures

from kerma.web.accounts.roles import INSPECTOR, PHYSICIST
from kerma.web.audit.log import acting_as
from kerma.web.dose.patient_flags import patient_flags
from kerma.web.followup.alerts import evaluate_exam
from kerma.web.patients.models import PatientFlag

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PASSWORD = followup_fixtures.PASSWORD
_django_ready = followup_fixtures._django_ready
_fast_passwords = followup_fixtures._fast_passwords
units = followup_fixtures.units
user = followup_fixtures.user
room = followup_fixtures.room
procedure = followup_fixtures.procedure
DAY = date(2025, 6, 2)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def flagged(room, procedure, units):
    """A PCI above the levels in the main unit (patient p1, flagged radiosensitive, and a
    closed flag), one in the other unit (patient z, flagged there)."""
    mine = procedure(room(), DAY, kar=6100.0)
    theirs = procedure(room("far", unit="other"), DAY, kar=7000.0, patient="z")
    evaluate_exam(mine)
    evaluate_exam(theirs)
    with acting_as("test"):
        PatientFlag.objects.create(patient_key=mine.patient_key, unit=units["main"],
                                   kind="radiosensitive", note="AT", entered_by="dr")
        PatientFlag.objects.create(patient_key=mine.patient_key, unit=units["main"],
                                   kind="pregnant", entered_by="dr", active=False)
        PatientFlag.objects.create(patient_key=theirs.patient_key, unit=units["other"],
                                   kind="other", entered_by="dr")
    return {"mine": mine, "theirs": theirs}


def test_the_lookup_gives_visible_active_flags_only(user, flagged):
    reader = user(PHYSICIST)
    keys = {flagged["mine"].patient_key, flagged["theirs"].patient_key, ""}
    assert patient_flags(reader, keys) == {
        flagged["mine"].patient_key: ["Individual radiosensitivity"]}
    assert patient_flags(reader, set()) == {}
    far = user(PHYSICIST, "other")
    assert patient_flags(far, keys) == {flagged["theirs"].patient_key: ["Other risk"]}


def test_follow_up_list_page_csv_and_xlsx_carry_the_flags(client, user, flagged):
    assert client.login(username=user(INSPECTOR).username, password=PASSWORD)
    page = client.get("/followup/patients/").content.decode()
    row = page[page.index('id="followup-patients"'):]
    assert "Individual radiosensitivity" in row and "Other risk" not in row
    assert "Pregnant" not in row  # the closed flag
    lines = client.get("/followup/patients/?format=csv").content.decode(
        "utf-8-sig").strip().splitlines()
    assert lines[0].endswith(";outcome;at_risk_flags")
    assert len(lines) == 2 and lines[1].endswith(";Individual radiosensitivity")
    book = load_workbook(io.BytesIO(client.get("/followup/patients/?format=xlsx").content))
    rows = list(book.active.values)
    assert rows[0][-1] == "at_risk_flags" and rows[1][-1] == "Individual radiosensitivity"
    assert rows[1][5] == pytest.approx(6100.0)  # the columns before it keep their places


def test_follow_up_list_in_french(client, user, flagged, settings):
    settings.LANGUAGE_CODE = "fr"
    assert client.login(username=user(INSPECTOR).username, password=PASSWORD)
    page = client.get("/followup/patients/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Signalements de risque" in page and "Radiosensibilité individuelle" in page


def test_exam_list_marks_the_flagged_patients_exams(client, user, flagged):
    assert client.login(username=user(PHYSICIST).username, password=PASSWORD)
    page = client.get("/exams/").content.decode()
    assert page.count('class="badge warn at-risk"') == 1
    assert "Individual radiosensitivity" in page
    other = flagged["mine"].__class__.objects.create(
        study_uid="9.9", device=flagged["mine"].device, modality="XA", study_date=DAY,
        patient_key=flagged["mine"].patient_key)
    page = client.get("/exams/").content.decode()
    assert page.count('class="badge warn at-risk"') == 2  # every exam of the patient
    assert client.get(f"/exams/{other.pk}/").content.decode().count(
        "Individual radiosensitivity") >= 1


def test_demo_flags_a_patient_of_the_follow_up_list(client, user, room, procedure):
    from kerma.web.patients.demo import seed_patients_demo

    first = procedure(room(), DAY, kar=6100.0, patient="r")
    evaluate_exam(first)
    done = seed_patients_demo(DAY)
    assert done["followed"] == first.patient_key
    flag = PatientFlag.objects.get(patient_key=first.patient_key)
    assert flag.kind == "iterative" and flag.entered_by == "demo (radiologue)"
    assert seed_patients_demo(DAY)["followed"] == first.patient_key
    assert PatientFlag.objects.filter(patient_key=first.patient_key).count() == 1  # idempotent
    assert client.login(username=user(INSPECTOR).username, password=PASSWORD)
    assert "Iterative exams" in client.get("/followup/patients/").content.decode()
