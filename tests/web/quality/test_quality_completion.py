"""Every source of the one programme has its evidence of completion and its effectiveness
check: NRD corrective actions and follow-up decisions stay in their apps, their evidence and
check are kept here (one record per action), audited, scoped to the unit, shown in the
programme, its exports and ``kerma actions list --json``."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from tests.web.quality.test_quality_cli import _nrd_action

from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Exam
from kerma.web.quality.models import ActionCompletion
from kerma.web.quality.programme import programme_items

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def _alert(device):  # noqa: ANN001, ANN202
    from kerma.web.followup.models import Alert

    exam = Exam.objects.create(
        study_uid="1.2.250.1.fu.1", study_date=date(2025, 3, 1), modality="XA", device=device,
        patient_key="p" * 64, procedure="ANGIOPLASTIE", kar_total_mgy=6000.0,
    )
    alert = Alert(
        exam=exam, scope="procedure", quantity="kar", value=6000.0, threshold=5000.0,
        state="acknowledged", decision="consultation", acknowledged_by="physicien-main",
    )
    alert.save()
    return alert


def test_nrd_action_gets_its_evidence_and_effectiveness_check(user, device):
    from kerma.web.nrd.models import CorrectiveAction

    _nrd_action(device())
    action = CorrectiveAction.objects.get()
    manager = _client(user("quality_manager"))
    page = manager.get("/quality/programme/").content.decode()
    path = f"/quality/programme/nrd/{action.pk}/"
    assert path in page  # the programme links each NRD action to its evidence page
    response = manager.post(
        path,
        {
            "effectiveness_check": "Médiane revue sur 30 examens : sous le NRD",
            "effectiveness_checked_on": "2025-10-15",
            "upload": SimpleUploadedFile("protocole-v2.pdf", b"%PDF-1.4 v2", "application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ActionCompletion.objects.get()
    assert (record.source, record.ref, record.unit.code) == ("nrd", action.pk, "main")
    assert bytes(record.evidence.data) == b"%PDF-1.4 v2"
    entry = AuditEntry.objects.get(object_type="quality_action_completion")
    assert entry.actor == "quality_manager-main" and entry.action == "create"
    detail = manager.get(path).content.decode()
    assert "protocole-v2.pdf" in detail and "Médiane revue" in detail
    assert "quality_manager-main" in detail  # the trail on the page

    (item,) = [i for i in programme_items(None, timezone.localdate()) if i.source == "nrd"]
    row = item.as_dict(timezone.localdate())
    assert row["evidence"] and row["evidence_name"] == "protocole-v2.pdf"
    assert row["effectiveness_checked_on"] == "2025-10-15" and row["effectiveness_checked"]
    csv_text = manager.get("/quality/programme/?export=csv").content.decode("utf-8-sig")
    assert "protocole-v2.pdf" in csv_text and "Médiane revue" in csv_text
    assert "Évaluation NRD" in csv_text or "évaluation NRD" in csv_text  # the source in words
    assert ";nrd;" not in csv_text


def test_followup_decision_evidence_read_only_for_the_inspector_and_hidden_elsewhere(
    user, device
):
    alert = _alert(device("cath", category="fluoroscopy"))
    path = f"/quality/programme/followup/{alert.pk}/"
    ran = _client(user("ran"))
    assert ran.post(path, {"effectiveness_check": "Consultation faite, aucun érythème",
                           "effectiveness_checked_on": "2025-04-20"}).status_code == 302
    inspector = _client(user("inspector"))
    page = inspector.get(path)
    assert page.status_code == 200 and "aucun érythème" in page.content.decode()
    assert 'id="completion-form"' not in page.content.decode()
    refused = inspector.post(path, {"effectiveness_check": "rien"})
    assert refused.status_code == 403
    other = _client(user("quality_manager", unit="other"))
    assert other.get(path).status_code == 404
    assert other.post(path, {"effectiveness_check": "rien"}).status_code == 404
    assert "Consultation" not in other.get("/quality/programme/").content.decode()
    assert ActionCompletion.objects.get().effectiveness_check.startswith("Consultation faite")
    assert inspector.get("/quality/programme/nrd/999/").status_code == 404
    assert inspector.get("/quality/programme/risk/1/").status_code == 404
