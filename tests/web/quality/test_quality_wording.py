"""No stored code is shown raw on the quality pages nor in their exports: kinds of control,
statuses, sources, categories, methods, levels and natures of causes, risk levels, audit
actions are worded in French (and in English)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from tests.web.quality.test_quality_demo import _exams

from kerma.web.quality.demo import seed_quality_demo
from kerma.web.quality.models import Risk, SafetyEvent

pytestmark = pytest.mark.django_db

# Codes the registers store; none may reach a reader.
CODES = (
    "internal_qc", "external_qc", "in_progress", "cause_tree", "persons_at_risk", "device_use",
    "quality_event", "quality_analysis", "quality_risk", "quality_action", "unit_id",
    "device_id", "evidence_id",
)


# Codes that are also English words: raw only in a French page.
ENGLISH_CODES = ("root", "immediate", "organisational", "technical", "high", "medium", "low")


def _raw(html: str, language: str) -> list[str]:
    """Return the codes found in the text a reader sees (tags and attributes left out)."""
    visible = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    cells = [c.strip() for c in re.split(r"<[^>]*>", visible)]
    found = [c for c in CODES if any(c in cell for cell in cells)]
    if language == "fr":
        found += [c for c in cells if c in ENGLISH_CODES]
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_quality_pages_and_exports_show_words_not_codes(device, user, language):
    ct = device("ct", model="SOMATOM go.Top", display_name="Scanner 2")
    _exams(ct, {"THORAX": 5})
    user("ran")
    seed_quality_demo(timezone.localdate())
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user("quality_manager"))
    client.cookies["django_language"] = language
    analysed = SafetyEvent.objects.filter(analysis__isnull=False).first()
    paths = [
        "/quality/",
        "/quality/equipment/",
        f"/quality/equipment/device/{ct.pk}/",
        "/quality/programme/",
        f"/quality/events/{analysed.pk}/",
        f"/quality/risks/{Risk.objects.first().pk}/",
        "/quality/risks/",
        "/quality/procedures/",
        "/quality/controls/",
        "/quality/criteria/",
        "/",
    ]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        assert _raw(page.content.decode(), language) == [], path
    for export in ("/quality/programme/?export=csv", "/quality/equipment/?export=csv",
                   "/quality/controls/?export=csv", "/quality/procedures/?export=csv"):
        text = client.get(export).content.decode("utf-8-sig")
        assert [c for c in CODES if c in text] == [], export
        if language == "fr":  # in English some words are their codes ("planned", "done")
            codes = r";(?:planned|in_progress|done|cancelled|event|risk|audit|inspection|nrd);"
            assert not re.search(codes, text), export
    kinds = client.get("/quality/equipment/?export=csv").content.decode("utf-8-sig")
    expected = "contrôle qualité interne" if language == "fr" else "internal quality control"
    assert expected in kinds
