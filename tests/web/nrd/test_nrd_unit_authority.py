"""A physicist of one unit cannot change another unit's results: mapping rules "for every
device" and the reference set in use are an administrator's (pages, services, command line);
re-running drafts touches only the drafts the actor may see, in the actor's name. The quality
manager records and closes the corrective actions its role grants, in its own unit only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from typer.testing import CliRunner

from kerma.cli.nrd import nrd_app
from kerma.cli.reference import reference_app
from kerma.web.accounts import roles
from kerma.web.accounts.models import Unit
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.models import CorrectiveAction, Evaluation, ProtocolMapping, ReferenceChoice
from kerma.web.nrd.references import use_reference
from kerma.web.nrd.services import add_mapping, refresh_drafts, run_evaluation, save_evaluation

pytestmark = pytest.mark.django_db

ABOVE = [100.0 + 10 * k for k in range(30)]
PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}
PASSWORD = "pw-123456"


@pytest.fixture
def units(rx_unit) -> dict[str, Any]:
    """Unit A holds room 1, unit B room 2; a draft evaluation on each room; a user of each role
    in unit A, a physicist and a quality manager in unit B, an administrator."""
    built = rx_unit(ABOVE)
    unit_a = Unit.objects.create(code="a", name="Unit A")
    unit_b = Unit.objects.create(code="b", name="Unit B")
    room_a, room_b = built["device"], built["other"]
    room_a.unit, room_b.unit = unit_a, unit_b
    room_a.save()
    room_b.save()
    add_mapping(by="setup", pattern="THORAX", act_code="RX-THORAX-PA", device=room_b)
    drafts = {
        "a": save_evaluation(run_evaluation(room_a, "RX-THORAX-PA", **PERIOD), by="setup"),
        "b": save_evaluation(run_evaluation(room_b, "RX-THORAX-PA", **PERIOD), by="setup"),
    }
    users = {role: roles.create_user(f"{role}-a", PASSWORD, role, [unit_a]) for role in (
        roles.PHYSICIST, roles.RAN, roles.QUALITY_MANAGER, roles.RADIOGRAPHER, roles.INSPECTOR)}
    users["physicist-b"] = roles.create_user("physicist-b", PASSWORD, roles.PHYSICIST, [unit_b])
    users["qm-b"] = roles.create_user("qm-b", PASSWORD, roles.QUALITY_MANAGER, [unit_b])
    users[roles.ADMINISTRATOR] = roles.create_user("admin", PASSWORD, roles.ADMINISTRATOR, [])
    return {"rooms": {"a": room_a, "b": room_b}, "drafts": drafts, "users": users}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reruns_by(name: str) -> set[int]:
    """The evaluations re-run in ``name``'s name (audit)."""
    return {
        int(e.object_id)
        for e in AuditEntry.objects.filter(actor=name, object_type__icontains="evaluation")
    }


def test_a_physicist_cannot_add_or_remove_a_rule_for_every_device(units):
    physicist = units["users"][roles.PHYSICIST]
    client = _client(physicist)
    page = client.get("/nrd/mappings/").content.decode()
    assert 'name="device"' in page and '<option value="" selected>' not in page
    before = ProtocolMapping.objects.count()
    response = client.post(
        "/nrd/mappings/", {"device": "", "kind": "contains", "pattern": "CHEST",
                           "act_code": "RX-THORAX-PA", "priority": 1})  # fmt: skip
    assert response.status_code == 200  # the form refuses: a device is required
    assert ProtocolMapping.objects.count() == before
    with pytest.raises(PermissionDenied):
        add_mapping(by=physicist.username, pattern="CHEST", act_code="RX-THORAX-PA")
    rule, _ = add_mapping(by="admin", pattern="CHEST", act_code="RX-THORAX-PA")
    assert f'value="{rule.pk}"' not in client.get("/nrd/mappings/").content.decode()
    assert client.post("/nrd/mappings/", {"step": "remove", "rule": rule.pk}).status_code == 403
    assert ProtocolMapping.objects.filter(pk=rule.pk).exists()
    # Their own device's rule: re-runs the drafts of their unit only, in their name.
    count = _client(physicist).post(
        "/nrd/mappings/", {"device": units["rooms"]["a"].pk, "kind": "contains",
                           "pattern": "CHEST", "act_code": "RX-THORAX-PA", "priority": 1})
    assert count.status_code == 302
    assert _reruns_by(physicist.username) >= {units["drafts"]["a"].pk}
    assert units["drafts"]["b"].pk not in _reruns_by(physicist.username)


def test_an_administrator_changes_every_device_and_reruns_every_draft(units):
    admin = _client(units["users"][roles.ADMINISTRATOR])
    response = admin.post(
        "/nrd/mappings/", {"device": "", "kind": "contains", "pattern": "CHEST",
                           "act_code": "RX-THORAX-PA", "priority": 1})  # fmt: skip
    assert response.status_code == 302
    assert ProtocolMapping.objects.filter(device=None, pattern="CHEST").exists()
    assert _reruns_by("admin") >= {units["drafts"]["a"].pk, units["drafts"]["b"].pk}
    use = {"step": "use", "family": "ct", "set_name": "fr-2011-arrete", "supplements": []}
    assert admin.post("/nrd/references/", use).status_code == 302
    assert ReferenceChoice.objects.get(family="ct").set_name == "fr-2011-arrete"


def test_refreshing_drafts_touches_only_what_the_actor_sees(units):
    physicist_b = units["users"]["physicist-b"]
    assert refresh_drafts(by=physicist_b.username) == 1
    assert _reruns_by(physicist_b.username) == {units["drafts"]["b"].pk}


def test_a_physicist_cannot_switch_the_reference_set(units):
    physicist = units["users"][roles.PHYSICIST]
    use = {"step": "use", "family": "ct", "set_name": "fr-2011-arrete", "supplements": []}
    assert _client(physicist).post("/nrd/references/", use).status_code == 403
    with pytest.raises(PermissionDenied):
        use_reference("fr-2011-arrete", by=physicist.username, family="ct")
    assert not ReferenceChoice.objects.filter(family="ct").exists()


def test_the_command_line_refuses_a_named_non_administrator(units):
    runner = CliRunner()
    rule, _ = add_mapping(by="admin", pattern="CHEST", act_code="RX-THORAX-PA")
    physicist = units["users"][roles.PHYSICIST].username
    refused = runner.invoke(nrd_app, ["unmap", str(rule.pk), "--by", physicist])
    assert refused.exit_code == 1 and "administrator" in refused.output
    refused = runner.invoke(
        reference_app, ["use", "fr-2011-arrete", "--family", "ct", "--by", physicist]
    )
    assert refused.exit_code == 1 and "administrator" in refused.output
    assert ProtocolMapping.objects.filter(pk=rule.pk).exists()
    # The operator of the installation (a login name that is no Kerma account) may.
    done = runner.invoke(nrd_app, ["unmap", str(rule.pk), "--by", "root"])
    assert done.exit_code == 0, done.output
    assert not ProtocolMapping.objects.filter(pk=rule.pk).exists()


ACTION = {"step": "action", "description": "Revise the chart", "owner": "M. Dupont",
          "due_date": "2025-03-31"}  # fmt: skip


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(roles.QUALITY_MANAGER, True), (roles.RAN, True), (roles.PHYSICIST, True),
     (roles.RADIOGRAPHER, False), (roles.INSPECTOR, False)],
)  # fmt: skip
def test_corrective_actions_follow_the_role(units, role, allowed):
    draft = units["drafts"]["a"]
    client = _client(units["users"][role])
    url = f"/nrd/evaluations/{draft.pk}/"
    page = client.get(url).content.decode()
    assert ('value="action"' in page) == allowed
    response = client.post(url, ACTION)
    assert response.status_code == (302 if allowed else 403)
    if not allowed:
        assert not CorrectiveAction.objects.exists()
        return
    action = CorrectiveAction.objects.get(evaluation=draft)
    assert 'value="done"' in client.get(url).content.decode()
    assert client.post(url, {"step": "done", "action": action.pk}).status_code == 302
    action.refresh_from_db()
    assert action.done


def test_a_quality_manager_of_another_unit_cannot_act(units):
    draft = units["drafts"]["a"]
    client = _client(units["users"]["qm-b"])
    assert client.post(f"/nrd/evaluations/{draft.pk}/", ACTION).status_code == 404
    assert not CorrectiveAction.objects.exists()
    assert Evaluation.objects.get(pk=draft.pk).actions.count() == 0
