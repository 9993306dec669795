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
