"""The demo's interventional room produces a few alerts (long procedures above 5 Gy Ka,r, a
patient whose two procedures add up within 60 days) and follow-ups decided by the physicist."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kerma.demo import generate_demo
from kerma.ingest.pipeline import import_paths
from kerma.web.audit.models import AuditEntry
from kerma.web.followup.demo import prepare_demo_followup
from kerma.web.followup.models import Alert, RoomGeometry, SkinDoseMap
from kerma.web.nrd.demo_plan import PHYSICIST

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 16)


def test_demo_cath_lab_alerts_and_follow_ups(kerma_home, tmp_path, units):
    generate_demo(tmp_path, start=TODAY - timedelta(days=120), days=120, seed=0, scale=0.05)
    import_paths([tmp_path / "cath_lab"], workers=1)
    maps = SkinDoseMap.objects.filter(status="ok")
    assert maps.count() >= 10 and not SkinDoseMap.objects.filter(status="failed").exists()

    procedure_kar = Alert.objects.filter(scope="procedure", quantity="kar")
    assert procedure_kar.count() >= 3
    assert all(a.value >= 5000 for a in procedure_kar)
    cumulative = Alert.objects.filter(scope="cumulative", quantity="kar")
    assert cumulative.count() == 1
    assert len(cumulative.get().exam_ids) == 2
    assert all(
        v < 5000
        for v in cumulative.get()
        .exam.__class__.objects.filter(pk__in=cumulative.get().exam_ids)
        .values_list("kar_total_mgy", flat=True)
    )

    first = prepare_demo_followup(TODAY)
    assert first["room"] and first["rule"] and first["closed"] >= 1
    assert Alert.objects.filter(state="closed").exclude(outcome="").exists()
    assert Alert.objects.filter(state="acknowledged", decision="letter").exists()
    assert Alert.objects.filter(state="open").exists()  # the recent ones
    assert AuditEntry.objects.filter(object_type="followup_alert", actor=PHYSICIST).exists()
    flagged = SkinDoseMap.objects.filter(exam__followup_alerts__isnull=False).distinct()
    assert all(m.provenance["room_source"] == "device settings" for m in flagged)
    assert RoomGeometry.objects.get().settings["table_transmission"] == 0.74

    state = sorted(Alert.objects.values_list("id", "state", "decision", "value"))
    audit = AuditEntry.objects.count()
    again = prepare_demo_followup(TODAY)
    assert again == {"room": False, "rule": False, "acknowledged": 0, "closed": 0}
    assert sorted(Alert.objects.values_list("id", "state", "decision", "value")) == state
    assert AuditEntry.objects.count() == audit
