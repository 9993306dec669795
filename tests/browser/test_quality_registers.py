"""Each register of the quality system in a real browser: the risk map, clinical audits,
written procedures, the action programme (an inspection follow-up letter's action entered by
hand, with its evidence) and the systemic analysis of an event.

For each one the quality manager creates a row through its page and edits it, the history
names the change, another unit's row stays out of the list and answers 404; then the inspector
reads the row without any edit link or form, and a POST carrying a valid CSRF token is refused
(403 from the permission, not from the CSRF check) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from browsing import PASSWORD, sign_in, sign_out

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]


@dataclass
class Registers:
    """The two units' devices and, for each register, the row of the other unit."""

    ct: Any
    other: dict[str, Any]


@pytest.fixture
def registers(transactional_db: None, fast_passwords: None) -> Registers:
    """The default unit with a CT scanner, its quality manager and an inspector; another unit
    with a row in each register (which must stay invisible)."""
    from kerma.web.accounts.models import Unit
    from kerma.web.accounts.roles import create_user
    from kerma.web.dose.models import Device
    from kerma.web.quality import models as m

    main = Unit.default()
    elsewhere = Unit.objects.create(code="other", name="Autre site")

    def device(key: str, unit: Any) -> Device:
        return Device.objects.create(
            identity_key=key, category="ct", station_name=key, display_name=key.upper(), unit=unit
        )

    ct, far = device("scanner-a", main), device("scanner-z", elsewhere)
    for role in ("quality_manager", "inspector"):
        create_user(role, PASSWORD, role, [main])
    event = m.SafetyEvent(
        unit=elsewhere, detected_on=date(2025, 1, 2), description="Événement de l'autre site",
        category="material", severity=3,
    )
    event.save()
    other = {
        "risks": m.Risk(
            unit=elsewhere, process="Risque de l'autre site", device=far,
            description="Risque caché", likelihood=2, severity=2,
        ),
        "audits": m.ClinicalAudit(
            unit=elsewhere, title="Audit de l'autre site", scope="Scanner", auditors="X",
            planned_on=date(2025, 2, 1),
        ),
        "procedures": m.Procedure(
            unit=elsewhere, kind="protocol", title="Protocole de l'autre site"
        ),
        "actions": m.QualityAction(
            unit=elsewhere, source="inspection", inspection_letter="LDS autre",
            title="Action de l'autre site", owner="x",
        ),
        "analysis": m.SystemicAnalysis(
            event=event, participants="X", chronology="Chronologie de l'autre site",
            method="alarm",
        ),
    }
    for row in other.values():
        row.save()
    return Registers(ct=ct, other=other)


def _save(page: Any) -> None:
    """Submit the page's register form and wait for the page it leads to."""
    with page.expect_navigation():
        page.click("form.q-form button[type=submit]")


def _history(page: Any) -> str:
    return page.locator("#history").inner_text()


def _refused(page: Any, path: str, data: dict[str, str]) -> None:
    """POST ``data`` to ``path`` with the session's CSRF token: the permission must refuse it."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(path, form=data, headers={"X-CSRFToken": token})
    assert response.status == 403, (path, response.status)
    assert "CSRF" not in response.text()  # refused by the role, not by the token check


def _hidden(page: Any, listing: str, detail: str, text: str) -> None:
    """Another unit's row: absent from ``listing``, 404 at ``detail``."""
    page.goto(listing)
    assert text not in page.locator("main").inner_text()
    response = page.goto(detail)
    assert response is not None and response.status == 404


def _read_only(page: Any, path: str, text: str) -> None:
    """The inspector reads ``path`` (showing ``text``) without edit links nor forms."""
    page.goto(path)
    assert text in page.locator("main").inner_text()
    assert page.locator("main a", has_text="Modifier").count() == 0
    assert page.locator("main form[method=post]").count() == 0


def test_risk_map(page: Any, registers: Registers) -> None:
    from kerma.web.quality.models import Risk

    sign_in(page, "quality_manager", next_path="/quality/risks/new/")
    page.fill("#id_process", "Scanner : acquisition")
    page.select_option("#id_device", str(registers.ct.pk))
    page.fill("#id_description", "Acquisition répétée par erreur de centrage")
    page.fill("#id_likelihood", "4")
    page.fill("#id_severity", "4")
    page.fill("#id_barriers", "Double vérification du centrage")
    _save(page)
    risk = Risk.objects.get(device=registers.ct)
    assert page.url.endswith(f"/quality/risks/{risk.pk}/")
    assert "16 (élevé)" in page.locator("main").inner_text()  # the level in words
    with page.expect_navigation():
        page.click("main a:has-text('Modifier')")
    page.fill("#id_residual_likelihood", "2")
    page.fill("#id_residual_severity", "3")
    _save(page)
    score = page.locator("main").inner_text()
    assert "Après barrières : 6 (moyen)" in score or "6 (moyen)" in score
    trail = _history(page)
    assert "créé" in trail and "modifié" in trail and "quality_manager" in trail
    page.goto("/quality/risks/")
    assert page.locator(".q-matrix td", has_text="1").count() == 2  # before and after
    other = registers.other["risks"]
    _hidden(page, "/quality/risks/", f"/quality/risks/{other.pk}/", "Risque de l'autre site")
    sign_out(page)

    sign_in(page, "inspector", next_path="/quality/risks/")
    _read_only(page, f"/quality/risks/{risk.pk}/", "Acquisition répétée")
    assert page.locator("text=Ajouter une action").count() == 0
    _refused(page, f"/quality/risks/{risk.pk}/edit/", {"process": "changé", "likelihood": "1"})
    _refused(page, "/quality/risks/new/", {"process": "nouveau"})
    risk.refresh_from_db()
    assert risk.process == "Scanner : acquisition" and Risk.objects.count() == 2


def test_clinical_audits(page: Any, registers: Registers) -> None:
    from kerma.web.quality.models import ClinicalAudit

    sign_in(page, "quality_manager", next_path="/quality/audits/new/")
    page.fill("#id_title", "Audit de la justification des scanners")
    page.fill("#id_scope", "Demandes de scanner thoracique, 1er trimestre")
    page.fill("#id_auditors", "Dr Martin (radiologue, site B)")
    page.fill("#id_planned_on", "2025-05-12")
    _save(page)
    audit = ClinicalAudit.objects.get(title__startswith="Audit de la justification")
    with page.expect_navigation():
        page.click("main a:has-text('Modifier')")
    page.fill("#id_done_on", "2025-05-14")
    page.fill("#id_findings", "Justification tracée dans 86 % des demandes")
    _save(page)
    assert "86 %" in page.locator("main").inner_text()
    trail = _history(page)
    assert "modifié" in trail and "86 %" in trail
    other = registers.other["audits"]
    _hidden(page, "/quality/audits/", f"/quality/audits/{other.pk}/", "Audit de l'autre site")
    sign_out(page)

    sign_in(page, "inspector", next_path="/quality/audits/")
    _read_only(page, f"/quality/audits/{audit.pk}/", "86 %")
    _refused(page, f"/quality/audits/{audit.pk}/edit/", {"title": "changé"})
    audit.refresh_from_db()
    assert audit.title == "Audit de la justification des scanners"


def test_written_procedures(page: Any, registers: Registers) -> None:
    from kerma.web.quality.models import Procedure

    sign_in(page, "quality_manager", next_path="/quality/procedures/new/")
    page.select_option("#id_kind", "protocol")
    page.fill("#id_title", "Scanner thoracique adulte")
    page.select_option("#id_device", str(registers.ct.pk))
    page.fill("#id_act", "TDM THORAX")
    _save(page)
    procedure = Procedure.objects.get(title="Scanner thoracique adulte")
    with page.expect_navigation():
        page.click("text=Nouvelle version")
    page.fill("#id_body", "Centrage au sternum ; 100 kV ; modulation de dose active")
    page.fill("#id_changes", "Première version")
    _save(page)
    assert "v1" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.click("main a:has-text('Modifier')")
    page.fill("#id_review_on", (date.today() + timedelta(days=365)).isoformat())
    _save(page)
    trail = _history(page)
    assert "créé" in trail and "modifié" in trail and "quality_manager" in trail
    other = registers.other["procedures"]
    _hidden(
        page, "/quality/procedures/", f"/quality/procedures/{other.pk}/",
        "Protocole de l'autre site",
    )
    sign_out(page)

    sign_in(page, "inspector", next_path="/quality/procedures/")
    _read_only(page, f"/quality/procedures/{procedure.pk}/", "Scanner thoracique adulte")
    assert page.locator("text=Nouvelle version").count() == 0
    version = procedure.versions.get()
    _refused(page, f"/quality/versions/{version.pk}/validate/", {})
    _refused(page, f"/quality/procedures/{procedure.pk}/versions/new/", {"number": "2"})
    version.refresh_from_db()
    assert version.validated_on is None and procedure.versions.count() == 1


def test_action_programme_by_hand(page: Any, registers: Registers, tmp_path: Path) -> None:
    from kerma.web.quality.models import QualityAction

    evidence = tmp_path / "courrier-reponse.pdf"
    evidence.write_bytes(b"%PDF-1.4 reponse a la lettre de suite")
    sign_in(page, "quality_manager", next_path="/quality/programme/")
    with page.expect_navigation():
        page.click("text=Nouvelle action")
    page.select_option("#id_source", "inspection")
    page.fill("#id_inspection_letter", "CODEP-XXX-2025-0042 du 3 mars 2025")
    page.fill("#id_title", "Formaliser le plan d'organisation de la physique médicale")
    page.fill("#id_owner", "quality_manager")
    page.fill("#id_due_on", (date.today() - timedelta(days=3)).isoformat())
    _save(page)
    action = QualityAction.objects.get(inspection_letter__startswith="CODEP")
    page.goto("/quality/programme/")
    row = page.locator("table.data tbody tr", has_text="Formaliser le plan")
    assert row.locator(".q-late").count() == 1
    page.goto(f"/quality/actions/{action.pk}/edit/")
    page.select_option("#id_status", "done")
    page.fill("#id_done_on", date.today().isoformat())
    page.set_input_files("#id_upload", str(evidence))
    page.fill("#id_effectiveness_check", "POPM signé et diffusé")
    page.fill("#id_effectiveness_checked_on", date.today().isoformat())
    _save(page)
    assert "courrier-reponse.pdf" in page.locator("main").inner_text()
    trail = _history(page)
    assert "modifié" in trail and "statut = fait" in trail
    assert "preuve = courrier-reponse.pdf" in trail  # the document by its name, not its id
    page.goto("/quality/programme/")
    row = page.locator("table.data tbody tr", has_text="Formaliser le plan")
    assert row.locator(".q-late").count() == 0
    assert "courrier-reponse.pdf" in row.locator(".q-evidence").inner_text()
    assert row.locator(".q-effectiveness").inner_text().strip() != "—"
    other = registers.other["actions"]
    _hidden(page, "/quality/programme/", f"/quality/actions/{other.pk}/", "Action de l'autre site")
    sign_out(page)

    sign_in(page, "inspector", next_path="/quality/programme/")
    assert page.locator("text=Nouvelle action").count() == 0
    _read_only(page, f"/quality/actions/{action.pk}/", "CODEP-XXX-2025-0042")
    _refused(page, f"/quality/actions/{action.pk}/edit/", {"title": "changé"})
    _refused(page, "/quality/actions/new/", {"title": "nouvelle"})
    action.refresh_from_db()
    assert action.title.startswith("Formaliser") and QualityAction.objects.count() == 2


def test_systemic_analysis(page: Any, registers: Registers) -> None:
    from kerma.web.accounts.models import Unit
    from kerma.web.quality.models import SafetyEvent, SystemicAnalysis

    event = SafetyEvent(
        unit=Unit.default(), detected_on=date(2025, 4, 1), device=registers.ct,
        description="Scanner acquis deux fois", category="human", severity=3,
    )
    event.save()
    sign_in(page, "quality_manager", next_path=f"/quality/events/{event.pk}/")
    with page.expect_navigation():
        page.click("text=Enregistrer l'analyse")
    page.fill("#id_participants", "MERM\nRadiologue\nPhysicien médical")
    page.fill("#id_chronology", "09:10 première acquisition ; 09:14 seconde acquisition")
    page.select_option("#id_method", "orion")
    page.fill("#id_causes", "immediate ; human ; centrage non vérifié\nroot ; organisational ; "
              "pas de check-list")
    page.fill("#id_failed_barriers", "Vérification du topogramme")
    _save(page)
    analysis = page.locator("#analysis").inner_text()
    assert "ORION" in analysis and "cause profonde" in analysis and "organisationnel" in analysis
    assert "root" not in analysis  # the cause levels in words
    with page.expect_navigation():
        page.click("text=Modifier l'analyse")
    page.select_option("#id_method", "cause_tree")
    _save(page)
    assert SystemicAnalysis.objects.get(event=event).method == "cause_tree"
    trail = _history(page)
    assert "analyse systémique" in trail and "modifié" in trail
    other = registers.other["analysis"]
    page.goto("/quality/events/")
    assert "autre site" not in page.locator("main").inner_text()
    response = page.goto(f"/quality/events/{other.event_id}/analysis/")
    assert response is not None and response.status == 404
    sign_out(page)

    sign_in(page, "inspector", next_path=f"/quality/events/{event.pk}/")
    assert "pas de check-list" in page.locator("#analysis").inner_text()
    assert page.locator("text=Modifier l'analyse").count() == 0
    assert page.locator("main form[method=post]").count() == 0
    _refused(page, f"/quality/events/{event.pk}/analysis/", {"method": "alarm"})
    row = SystemicAnalysis.objects.get(event=event)
    _refused(page, f"/quality/analyses/{row.pk}/validate/", {})
    row.refresh_from_db()
    assert row.method == "cause_tree" and row.validated_on is None
