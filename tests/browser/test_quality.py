"""The quality registers in a real browser: a radiographer declares an event, the quality
manager edits it and records its systemic analysis, the trail names both, the inspector reads
without an edit button and is refused the form, another unit's event stays invisible."""

from __future__ import annotations

from datetime import date

import pytest
from browsing import sign_in, sign_out

from kerma.web.accounts.models import Unit
from kerma.web.quality.models import SafetyEvent, SystemicAnalysis

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]


def test_event_declared_edited_analysed_then_read_by_the_inspector(page, unit, tmp_path):
    other = Unit.objects.create(code="other", name="Autre site")
    SafetyEvent(
        unit=other, detected_on=date(2025, 1, 2), description="Événement d'un autre site",
        category="material",
    ).save()

    sign_in(page, "radiographer", next_path="/quality/events/new/")
    page.fill("#id_detected_on", "2025-04-01")
    page.fill("#id_description", "Radiographie réalisée sur le mauvais patient")
    page.fill("#id_person_informed", "Information orale par le radiologue")
    page.select_option("#id_category", "human")
    page.fill("#id_severity", "3")
    with page.expect_navigation():
        page.click("form.q-form button[type=submit]")
    event = SafetyEvent.objects.get(unit=Unit.default())
    assert page.url.endswith(f"/quality/events/{event.pk}/")
    assert page.locator("a", has_text="Modifier").count() == 0  # a radiographer declares only
    sign_out(page)

    sign_in(page, "quality_manager", next_path=f"/quality/events/{event.pk}/edit/")
    page.fill("#id_consequences", "Exposition injustifiée, sans effet attendu")
    with page.expect_navigation():
        page.click("form.q-form button[type=submit]")
    with page.expect_navigation():
        page.click("text=Enregistrer l'analyse")
    page.fill("#id_participants", "MERM\nRadiologue")
    page.fill("#id_chronology", "08:00 appel ; 08:05 examen")
    page.select_option("#id_method", "alarm")
    page.fill("#id_causes", "root ; organisational ; pas de double identification")
    with page.expect_navigation():
        page.click("form.q-form button[type=submit]")
    assert SystemicAnalysis.objects.get(event=event).method == "alarm"
    trail = page.locator("#history").inner_text()
    assert "radiographer" in trail and "quality_manager" in trail
    page.goto("/quality/events/")
    assert "autre site" not in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "quality-events.png"), full_page=True)
    sign_out(page)

    sign_in(page, "inspector", next_path=f"/quality/events/{event.pk}/")
    assert "pas de double identification" in page.locator("#analysis").inner_text()
    assert page.locator("a", has_text="Modifier").count() == 0
    response = page.goto(f"/quality/events/{event.pk}/edit/")
    assert response is not None and response.status == 403


def test_overdue_control_recorded_then_gone_and_inspector_reads_the_programme(page, unit):
    from datetime import timedelta

    from django.utils import timezone

    from kerma.web.dose.models import Device
    from kerma.web.quality.models import ControlRecord, Periodicity, QualityAction

    ct = Device.objects.get(category="ct")
    today = timezone.localdate()
    Periodicity(
        unit=Unit.default(), device_type="ct", kind="internal_qc", months=3, source="Plan de CQ"
    ).save()
    ControlRecord(device=ct, kind="internal_qc", done_on=today - timedelta(days=120)).save()
    QualityAction(
        unit=Unit.default(), source="inspection", inspection_letter="LDS 2025-03",
        title="Mettre à jour le POPM", owner="ran", due_on=today - timedelta(days=2),
    ).save()

    sign_in(page, "physicist", next_path="/quality/equipment/")
    assert page.locator("table.data .q-late").count() == 1
    with page.expect_navigation():
        page.click("text=Enregistrer un contrôle")
    page.select_option("#id_device", str(ct.pk))
    page.select_option("#id_kind", "internal_qc")
    page.fill("#id_done_on", today.isoformat())
    page.fill("#id_performed_by", "Physicien médical")
    with page.expect_navigation():
        page.click("form.q-form button[type=submit]")
    page.goto("/quality/equipment/")
    assert page.locator("table.data .q-late").count() == 0
    sign_out(page)

    sign_in(page, "inspector", next_path="/quality/programme/")
    row = page.locator("table.data tbody tr", has_text="Mettre à jour le POPM")
    assert row.locator(".q-late").count() == 1
    assert page.locator("text=Nouvelle action").count() == 0
    page.goto("/quality/equipment/")
    assert page.locator("text=Enregistrer un contrôle").count() == 0
