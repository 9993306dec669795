"""Every change to evaluations, mappings and reference choices is in the audit log."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from nrdweb_factories import PERIOD

from kerma.web.audit.log import acting_as
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.models import ProtocolMapping
from kerma.web.nrd.references import use_reference
from kerma.web.nrd.services import add_action, add_mapping, run_evaluation, save_evaluation

pytestmark = pytest.mark.django_db


def entries(object_type: str, object_id: object) -> list[tuple[str, str]]:
    return [
        (e.action, e.actor)
        for e in AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    ]


def test_evaluation_life_is_audited_with_before_and_after(rx_unit):
    unit = rx_unit([100.0 + 10 * k for k in range(30)])
    evaluation = save_evaluation(
        run_evaluation(unit["device"], "RX-THORAX-PA", **PERIOD), by="phys"
    )
    created = AuditEntry.objects.get(object_type="evaluation", action="create")
    assert created.before is None and created.after["act_code"] == "RX-THORAX-PA"
    assert len(created.after["selected"]) == 30 and created.actor == "phys"
    with acting_as("phys2"):
        evaluation.analysis = "Above the NRD"
        evaluation.save()
    update = AuditEntry.objects.filter(object_type="evaluation", action="update").get()
    assert update.actor == "phys2"
    assert update.before["analysis"] == "" and update.after["analysis"] == "Above the NRD"
    assert "selected" not in update.after  # an update records only what changed
    action = add_action(
        evaluation, by="phys", description="Chart", owner="Tech", due_date=date(2025, 1, 1)
    )
    evaluation.sign("ran")
    v2 = evaluation.supersede("phys")
    assert entries("evaluation", evaluation.pk) == [
        ("create", "phys"),
        ("update", "phys2"),
        ("sign", "ran"),
        ("superseded", "phys"),
    ]
    assert entries("evaluation", v2.pk) == [("supersede", "phys")]
    assert entries("corrective_action", action.pk) == [("create", "phys")]
    sign = AuditEntry.objects.get(object_type="evaluation", action="sign")
    assert sign.before["signed_at"] is None and sign.after["signed_by"] == "ran"
    assert sign.at is not None


def test_mapping_changes_are_audited(make_device):
    device = make_device()
    rule, _ = add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=device)
    rule.priority = 5
    rule.save(actor="phys2")
    ProtocolMapping.objects.filter(pk=rule.pk).update(pattern="THX")  # bulk: still audited
    ProtocolMapping.objects.get(pk=rule.pk).delete(actor="phys3")
    assert entries("mapping", rule.pk) == [
        ("create", "phys"),
        ("update", "phys2"),
        ("update", "system"),
        ("delete", "phys3"),
    ]
    last = AuditEntry.objects.filter(object_type="mapping").last()
    assert last.before["pattern"] == "THX" and last.after is None
    change = AuditEntry.objects.filter(object_type="mapping", action="update").first()
    assert (change.before, change.after) == (
        {"priority": 100, "updated_at": change.before["updated_at"]},
        {"priority": 5, "updated_at": change.after["updated_at"]},
    )


def test_reference_choice_is_audited():
    use_reference("fr-2011-arrete", by="ran", family="ct")
    use_reference("fr-2019-DC-0667", by="ran2", family="ct")
    rows = AuditEntry.objects.filter(object_type="reference_choice")
    assert [(e.action, e.actor) for e in rows] == [("use", "ran"), ("use", "ran2")]
    assert rows[0].after["set_name"] == "fr-2011-arrete"
    assert rows[1].before["set_name"] == "fr-2011-arrete"
    assert rows[1].after["set_name"] == "fr-2019-DC-0667"


def test_the_audit_log_itself_cannot_be_changed(make_device):
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=make_device())
    entry = AuditEntry.objects.get()
    entry.actor = "someone else"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.update(actor="x")
    assert AuditEntry.objects.get().actor == "phys"
