"""The demo unit's quality register: realistic, linked to the programme, idempotent."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.web.dose.models import Exam
from kerma.web.quality.demo import seed_quality_demo
from kerma.web.quality.equipment import device_dues
from kerma.web.quality.models import Periodicity, Procedure, SafetyEvent, SystemicAnalysis
from kerma.web.quality.panels import waiting_for_analysis
from kerma.web.quality.programme import programme_items

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def _exams(device, acts: dict[str, int]) -> None:  # noqa: ANN001
    for act, n in acts.items():
        for i in range(n):
            Exam.objects.create(
                study_uid=f"1.2.3.{device.pk}.{act}.{i}".replace(" ", ""),
                study_date=TODAY,
                modality="CT",
                device=device,
                procedure=act,
            )


def test_demo_register(device, user):
    ct = device("ct", model="SOMATOM go.Top", display_name="Scanner 2")
    mammo = device("mg", category="mammography", model="Senographe Essential")
    _exams(ct, {"THORAX": 5, "ABDOMEN-PELVIS": 3, "CRANE": 1})
    _exams(mammo, {"MAMMO DEPISTAGE": 4})
    ran = user("ran")
    result = seed_quality_demo(TODAY)
    assert result["events"] == 5 and result["devices"] == 2
    assert result["missing"] == 1  # CRANE on the CT: the list of acts without a protocol
    analysed = SystemicAnalysis.objects.get()
    assert analysed.validated_by == "ran"
    items = programme_items(None, TODAY)
    assert {"event", "risk", "audit", "inspection"} <= {i.source for i in items}
    assert len([i for i in items if i.source == "event"]) == 3
    assert [i.source for i in items if i.overdue(TODAY)] == ["inspection"]
    dues = device_dues([ct, mammo], TODAY)
    overdue = [(d.device.pk, due.kind) for d in dues for due in d.overdue]
    assert overdue == [(mammo.pk, "internal_qc")]
    assert all(p.source and "ANSM" not in p.source for p in Periodicity.objects.all())
    assert Procedure.objects.filter(kind="protocol").count() == 3
    assert {e.description[:20] for e in waiting_for_analysis(ran)} == {
        "Radiographie thoraci",
        "Grossesse de 6 SA dé",
    }
    assert seed_quality_demo(TODAY) == {"skipped": True}
    assert SafetyEvent.objects.count() == 5
