"""The quality pages with Django's test client: create, edit, audit trail, roles, unit scope,
exports without live formulas, the dashboard panel."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kerma.web.quality.models import (
    ControlRecord,
    EquipmentRecord,
    EventCriterion,
    Periodicity,
    Procedure,
    ProcedureVersion,
    QualityAction,
    SafetyEvent,
    SystemicAnalysis,
)

pytestmark = pytest.mark.django_db


def _event_post(unit, **extra):  # noqa: ANN001, ANN202
    data = {
        "unit": unit.pk,
        "detected_on": "2025-04-01",
        "recorded_on": "2025-04-02",
        "description": "Acquisition répétée sur le mauvais patient",
        "circumstances": "Deux patients homonymes",
        "consequences": "Exposition injustifiée",
        "person_informed": "Information orale par le radiologue",
        "category": "human",
        "severity": "3",
    }
    data.update(extra)
    return data


def test_radiographer_declares_an_event_then_quality_manager_edits_it(login, units):
    client = login("radiographer")
    response = client.post("/quality/events/new/", _event_post(units["main"]))
    assert response.status_code == 302
    event = SafetyEvent.objects.get()
    assert event.description.startswith("Acquisition")
    assert client.get(f"/quality/events/{event.pk}/edit/").status_code == 403
    client = login("quality_manager")
    response = client.post(
        f"/quality/events/{event.pk}/edit/",
        _event_post(units["main"], consequences="Aucune conséquence clinique attendue"),
    )
    assert response.status_code == 302
    page = client.get(f"/quality/events/{event.pk}/").content.decode()
    assert "Aucune conséquence clinique attendue" in page
    assert "radiographer-main" in page and "quality_manager-main" in page  # the trail


def test_event_page_shows_the_criteria_findings_and_the_analysis(login, event, units):
    row = event(severity=4)
    EventCriterion(
        unit=units["main"],
        purpose="analysis",
        label="gravité 4 ou plus",
        min_severity=4,
        source="procédure REX de l'unité, v3",
    ).save()
    client = login("quality_manager")
    page = client.get(f"/quality/events/{row.pk}/").content.decode()
    assert "Analyse systémique requise" in page and "procédure REX de l&#x27;unité, v3" in page
    assert client.get("/quality/events/?waiting=1").content.decode().count(f"/events/{row.pk}/")
    response = client.post(
        f"/quality/events/{row.pk}/analysis/",
        {
            "analysed_on": "2025-04-10",
            "participants": "MERM\nRadiologue\nPhysicien",
            "chronology": "08:00 ; 08:15",
            "method": "alarm",
            "causes": "root ; organisational ; pas de double identification",
            "failed_barriers": "vérification de l'identité",
        },
    )
    assert response.status_code == 302
    assert SystemicAnalysis.objects.get(event=row).method == "alarm"
    page = client.get(f"/quality/events/{row.pk}/").content.decode()
    assert "Analyse systémique requise" not in page and "pas de double identification" in page
    # The RAN validates, the quality manager may not.
    analysis = SystemicAnalysis.objects.get(event=row)
    assert client.post(f"/quality/analyses/{analysis.pk}/validate/").status_code == 403
    ran = login("ran")
    assert ran.post(f"/quality/analyses/{analysis.pk}/validate/").status_code == 302
    assert SystemicAnalysis.objects.get(event=row).validated_by == "ran-main"


def test_inspector_reads_everything_and_changes_nothing(login, event, units):
    row = event()
    client = login("inspector")
    for url in (
        "/quality/",
        "/quality/programme/",
        "/quality/equipment/",
        f"/quality/events/{row.pk}/",
        "/quality/risks/",
        "/quality/procedures/missing/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/quality/events/new/").status_code == 403
    assert client.post("/quality/events/new/", _event_post(units["main"])).status_code == 403
    assert client.get(f"/quality/events/{row.pk}/edit/").status_code == 403
    assert client.post(f"/quality/events/{row.pk}/analysis/", {}).status_code == 403
    assert SafetyEvent.objects.count() == 1


def test_another_units_entries_are_invisible(login, event, units):
    mine = event(description="Événement de mon unité")
    theirs = event(unit="other", description="Événement de l'autre unité")
    client = login("quality_manager")
    listing = client.get("/quality/events/").content.decode()
    assert "mon unité" in listing and "autre unité" not in listing
    assert client.get(f"/quality/events/{theirs.pk}/").status_code == 404
    assert client.get(f"/quality/events/{theirs.pk}/edit/").status_code == 404
    csv_text = client.get("/quality/events/?export=csv").content.decode("utf-8-sig")
    assert "mon unité" in csv_text and "autre unité" not in csv_text
    assert client.get(f"/quality/events/{mine.pk}/").status_code == 200
    # Nor may a form attach a row to another unit.
    response = client.post("/quality/events/new/", _event_post(units["other"]))
    assert response.status_code == 200 and SafetyEvent.objects.count() == 2


def test_exports_carry_no_live_formula(login, event):
    from openpyxl import load_workbook

    event(description="=HYPERLINK(\"http://x\",\"clic\")")
    client = login("quality_manager")
    response = client.get("/quality/events/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(str(c.value).startswith("=HYPERLINK") for c in cells)
    text = client.get("/quality/events/?export=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    programme = client.get("/quality/programme/?export=xlsx")
    assert programme.status_code == 200


def test_programme_page_lists_overdue_actions_and_the_dashboard_panel(login, event, units):
    row = event()
    QualityAction(
        unit=units["main"],
        source="event",
        event=row,
        title="Mettre en place la double identification",
        owner="qualite",
        due_on=timezone.localdate() - timedelta(days=3),
    ).save()
    client = login("quality_manager")
    page = client.get("/quality/programme/?overdue=1").content.decode()
    assert "Mettre en place la double identification" in page
    home = client.get("/").content.decode()
    assert "quality-panel" in home and "1 action en retard" in home
    other = login("quality_manager", "other")
    assert "double identification" not in other.get("/quality/programme/").content.decode()


def test_action_with_evidence_document(login, event, units):
    row = event()
    client = login("quality_manager")
    response = client.post(
        "/quality/actions/new/",
        {
            "unit": units["main"].pk,
            "source": "event",
            "event": row.pk,
            "title": "Former l'équipe",
            "owner": "qualite",
            "due_on": "2025-06-01",
            "status": "done",
            "done_on": "2025-05-20",
            "upload": SimpleUploadedFile("emargement.pdf", b"%PDF-1.4 test", "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    action = QualityAction.objects.get()
    assert action.evidence is not None and bytes(action.evidence.data) == b"%PDF-1.4 test"
    download = client.get(f"/quality/documents/{action.evidence_id}/")
    assert download.content == b"%PDF-1.4 test"
    other = login("quality_manager", "other")
    assert other.get(f"/quality/documents/{action.evidence_id}/").status_code == 404


def test_device_cannot_be_in_clinical_use_without_acceptance_test(login, device):
    ct = device()
    client = login("physicist")
    response = client.post(
        "/quality/equipment-records/new/", {"device": ct.pk, "in_clinical_use": "on"}
    )
    assert response.status_code == 200
    assert "aucun essai de réception" in response.content.decode()
    assert not EquipmentRecord.objects.exists()
    response = client.post(
        "/quality/equipment-records/new/",
        {
            "device": ct.pk,
            "in_clinical_use": "on",
            "acceptance_test_on": "2024-01-10",
            "acceptance_conforming": "on",
            "commissioned_on": "2024-01-15",
        },
    )
    assert response.status_code == 302
    with pytest.raises(Exception, match="acceptance test"):
        EquipmentRecord(device=device("ct2"), in_clinical_use=True).save()


def test_equipment_page_flags_the_overdue_control(login, device, units):
    ct = device()
    Periodicity(
        unit=units["main"], device_type="ct", kind="internal_qc", months=3, source="décision ANSM"
    ).save()
    ControlRecord(
        device=ct, kind="internal_qc", done_on=timezone.localdate() - timedelta(days=200)
    ).save()
    client = login("quality_manager")
    page = client.get("/quality/equipment/").content.decode()
    assert "CT1" in page and "q-late" in page
    assert client.get(f"/quality/equipment/device/{ct.pk}/").status_code == 200
    other = device("ct-other", unit="other")
    assert client.get(f"/quality/equipment/device/{other.pk}/").status_code == 404


def test_procedure_versions_validated_by_the_ran_and_missing_protocols(login, device, units):
    ct = device()
    client = login("quality_manager")
    response = client.post(
        "/quality/procedures/new/",
        {"unit": units["main"].pk, "kind": "protocol", "title": "Thorax", "device": ct.pk,
         "act": "Thorax"},
    )
    assert response.status_code == 302
    procedure = Procedure.objects.get()
    response = client.post(
        f"/quality/procedures/{procedure.pk}/versions/new/",
        {"number": 1, "body": "Protocole thorax : 100 kV, modulation.", "written_by": "qualite"},
    )
    assert response.status_code == 302
    version = ProcedureVersion.objects.get()
    again = client.post(
        f"/quality/procedures/{procedure.pk}/versions/new/", {"number": 1, "body": "bis"}
    )
    assert again.status_code == 200 and ProcedureVersion.objects.count() == 1
    assert client.post(f"/quality/versions/{version.pk}/validate/").status_code == 403
    ran = login("ran")
    assert ran.post(f"/quality/versions/{version.pk}/validate/").status_code == 302
    printed = ran.get(f"/quality/procedures/{procedure.pk}/print/").content.decode()
    assert "Protocole thorax" in printed and "ran-main" in printed


def test_event_import_page_and_template(login, units):
    client = login("quality_manager")
    template = client.get("/quality/events/template.xlsx")
    assert template.status_code == 200
    upload = SimpleUploadedFile(
        "registre.csv",
        "date de détection;description;catégorie\n2025-02-03;Oubli;humain\n".encode(),
        "text/csv",
    )
    response = client.post(
        "/quality/events/import/", {"file": upload, "unit": units["main"].pk}
    )
    assert response.status_code == 200
    assert SafetyEvent.objects.get().detected_on == date(2025, 2, 3)


def test_menu_entry_only_for_those_who_may_open_it(client, user, login):
    page = login("inspector").get("/").content.decode()
    assert "/quality/" in page
    client.force_login(user("radiographer"))
    assert client.get("/quality/").status_code == 200
    assert client.get("/quality/programme/").status_code == 403


def test_review_report_and_register_review_reminder(login, event, units):
    from kerma.web.quality.models import QualitySettings, RegisterReview

    event(category="material", detected_on=date(2024, 1, 5), recorded_on=date(2024, 1, 5))
    QualitySettings(unit=units["main"], review_months=6, review_source="PR-QUA-012").save()
    client = login("quality_manager")
    report = client.get("/quality/reviews/report/").content.decode()
    assert "matériel: 1" in report or "matériel : 1" in report or "matériel" in report
    home = client.get("/quality/").content.decode()
    assert "jamais été revu" in home
    RegisterReview(unit=units["main"], reviewed_on=timezone.localdate()).save()
    assert "jamais été revu" not in client.get("/quality/").content.decode()


def test_radiographer_reads_written_procedures(login, units):
    procedure = Procedure(unit=units["main"], kind="protocol", title="Thorax", act="Thorax")
    procedure.save()
    client = login("radiographer")
    assert client.get(f"/quality/procedures/{procedure.pk}/print/").status_code == 200
    assert client.get(f"/quality/procedures/{procedure.pk}/edit/").status_code == 403


def test_event_links_exams_of_the_unit_only(login, units, device):
    from kerma.web.dose.models import Exam

    mine = Exam.objects.create(
        study_uid="1.2.3.1", device=device(), modality="CT", accession_number="ACC-1"
    )
    Exam.objects.create(
        study_uid="1.2.3.2", device=device("x", unit="other"), modality="CT",
        accession_number="ACC-2",
    )
    client = login("quality_manager")
    refused = client.post("/quality/events/new/", _event_post(units["main"], exam_refs="ACC-2"))
    assert refused.status_code == 200 and not SafetyEvent.objects.exists()
    client.post("/quality/events/new/", _event_post(units["main"], exam_refs="ACC-1"))
    assert list(SafetyEvent.objects.get().exams.all()) == [mine]
    exam_page = client.get(f"/exams/{mine.pk}/").content.decode()
    assert "quality-events" in exam_page and "mauvais patient" in exam_page


def test_history_page_keeps_other_units_quality_entries_out(login, event):
    event(description="Visible ici")
    event(unit="other", description="Caché ailleurs")
    page = login("inspector").get("/history/?type=quality_event").content.decode()
    assert "Visible ici" in page and "Caché ailleurs" not in page


def test_register_import_from_its_template_checked_by_its_form(login, units, device):
    from openpyxl import load_workbook

    from kerma.web.quality.models import Risk

    device("ct1")
    client = login("quality_manager")
    template = client.get("/quality/risks/template.xlsx")
    headers = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.rows)]
    assert "Processus" in headers and "Vraisemblance (1-5)" in headers
    upload = SimpleUploadedFile(
        "risques.csv",
        (
            "processus;appareil;risque;vraisemblance (1-5);gravité (1-5)\n"
            "Scanographie;CT1;Protocole adulte chez l'enfant;3;4\n"
            "Bloc;;Opérateur non formé;9;2\n"
        ).encode(),
        "text/csv",
    )
    page = client.post("/quality/risks/import/", {"file": upload}).content.decode()
    risk = Risk.objects.get()
    assert (risk.device.station_name, risk.likelihood, risk.unit) == ("ct1", 3, units["main"])
    assert "line 3" in page
    actions = SimpleUploadedFile(
        "lds.csv",
        (
            "Source;Lettre de suite (référence, date);Action;Responsable (identifiant);Statut\n"
            "lettre de suite d'inspection;LDS 2025-07;Mettre à jour le POPM;ran;en cours\n"
        ).encode(),
        "text/csv",
    )
    client.post("/quality/actions/import/", {"file": actions})
    action = QualityAction.objects.get()
    assert (action.source, action.status) == ("inspection", "in_progress")
    assert login("inspector").post("/quality/risks/import/").status_code == 403
