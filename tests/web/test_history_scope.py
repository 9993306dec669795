"""The history and every per-object audit trail are narrowed to the user's units and role: two
units write entries of every audited type; each role of one unit reads only its own unit's
entries (follow-up alerts with their pseudonyms, doses and outcomes included), and a
radiographer, who may not open /history/, sees no trail on device, evaluation or alert pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import (
    ADMINISTRATOR,
    INSPECTOR,
    PHYSICIST,
    QUALITY_MANAGER,
    RADIOGRAPHER,
    RAN,
)
from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.followup.models import Alert, AlertSettings, NotificationRule, RoomGeometry
from kerma.web.nrd.services import add_action, add_mapping, run_evaluation, save_evaluation
from users import role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

READERS = (PHYSICIST, RAN, QUALITY_MANAGER, INSPECTOR)
DAY = date(2025, 3, 3)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _unit_data(code: str) -> dict[str, object]:
    """A unit with a room, exams, an evaluation, an action, a mapping, an alert, room settings,
    thresholds, a routing rule and a member: every audited type, each marked with ``code``."""
    unit = Unit.objects.create(code=code, name=f"Imagerie {code}")
    device = Device.objects.create(
        identity_key=f"room-{code}", manufacturer="ACME", model="Azurion",
        serial_number=code, display_name=f"Salle {code}",
        category=Device.Category.FLUOROSCOPY, unit=unit,
    )
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=device,
                note=f"mapping-{code}")
    for k in range(3):
        exam = Exam.objects.create(
            study_uid=f"1.2.{code}.{k}", study_date=DAY + timedelta(days=k), modality="DX",
            device=device, procedure="THORAX FACE", age_years=50.0, sex="F", weight_kg=70.0,
            height_m=1.70, dap_total_gycm2=0.2, kar_total_mgy=6000.0,
            patient_key=(f"pseudo{code}" * 64)[:64],
        )
        Event.objects.create(exam=exam, uid=f"ev.{code}.{k}", kind="projection",
                             protocol="Thorax PA", dap_gycm2=0.2)
    run = run_evaluation(device, "RX-THORAX-PA", population="adult",
                         period_from=date(2025, 1, 1), period_to=date(2025, 12, 31))
    evaluation = save_evaluation(run, by="phys")
    AuditEntry.record(evaluation, "analyse", actor="phys", summary=f"analysis-{code}")
    add_action(evaluation, by="phys", description=f"action-{code}", owner="RAN",
               due_date=DAY + timedelta(days=30))
    AuditEntry.record(("device", device.pk), "update", actor="phys", summary=f"device-{code}")
    AuditEntry.record(("device_settings", device.pk), "update", actor="phys",
                      summary=f"perimeter-{code}")
    alert = Alert(exam=exam, patient_key=exam.patient_key, scope="procedure", quantity="kar",
                  value=6000.0 + len(code), threshold=5000.0, outcome=f"outcome-{code}")
    alert.save()
    RoomGeometry(device=device, measurement_notes=f"room-{code}").save()
    settings = AlertSettings.for_unit(unit)
    settings.source = f"thresholds-{code}"
    settings.save()
    NotificationRule(unit=unit, extra_addresses=f"rule-{code}@example.org").save()
    member = role_user(f"member-{code}", RADIOGRAPHER, [unit])
    return {"unit": unit, "device": device, "evaluation": evaluation, "alert": alert,
            "member": member, "pseudonym": exam.patient_key}


@pytest.fixture
def world() -> dict[str, dict[str, object]]:
    data = {code: _unit_data(code) for code in ("north", "south")}
    AuditEntry.record(("reference_set", 1), "import", actor="phys", summary="shared-reference")
    AuditEntry.record(("undeclared_type", 1), "update", actor="x", summary="undeclared-entry")
    return data


MARKS = ("analysis-", "action-", "device-", "perimeter-", "outcome-", "room-", "thresholds-",
         "rule-", "member-", "mapping-", "pseudo")


def _history(client, **params) -> str:
    """Every page of /history/ (filtered by ``params``), concatenated."""
    html, page = "", 1
    while True:
        response = client.get(reverse("history"), {**params, "page": page},
                              HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html += response.content.decode()
        if f"page={page + 1}" not in response.content.decode():
            return html
        page += 1


@pytest.mark.parametrize("role", READERS)
def test_history_shows_only_the_users_unit(client, world, role):
    client.force_login(role_user(f"{role}-n", role, [world["north"]["unit"]]))
    html = _history(client)
    for mark in MARKS:
        assert f"{mark}north" in html, mark
        assert f"{mark}south" not in html, mark
    assert world["south"]["pseudonym"][:20] not in html
    assert "shared-reference" in html
    assert "undeclared-entry" not in html  # a type without a declared scope: administrators only
    # The type filter cannot reach around the scope either.
    for object_type in ("followup_alert", "user", "device", "evaluation"):
        assert "south" not in _history(client, type=object_type).replace("Sud", "")


def test_administrator_sees_every_unit(client, world):
    client.force_login(role_user("admin", ADMINISTRATOR, [world["north"]["unit"]]))
    html = _history(client)
    for mark in MARKS:
        assert f"{mark}north" in html and f"{mark}south" in html, mark
    assert "undeclared-entry" in html


def test_radiographer_reads_no_history_anywhere(client, world):
    north = world["north"]
    client.force_login(role_user("manip", RADIOGRAPHER, [north["unit"]]))
    assert client.get(reverse("history")).status_code == 403
    pages = {
        "device": reverse("device_detail", args=[north["device"].pk]),
        "evaluation": reverse("nrd_evaluation", args=[north["evaluation"].pk]),
        "alert": reverse("followup_alert", args=[north["alert"].pk]),
    }
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, name
        html = response.content.decode()
        assert response.context["history" if name != "evaluation" else "trail"] is None, name
        for mark in ("analysis-north", "device-north", "perimeter-north", "outcome-north"):
            assert f"· {mark}" not in html and f"{mark}</div>" not in html, (name, mark)
        assert '<h2>History' not in html, name


@pytest.mark.parametrize("role", READERS + (ADMINISTRATOR,))
def test_per_object_trails_for_readers(client, world, role):
    north, south = world["north"], world["south"]
    client.force_login(role_user(f"{role}-t", role, [north["unit"]]))
    device = client.get(reverse("device_detail", args=[north["device"].pk]))
    summaries = {entry.summary for entry in device.context["history"]}
    assert {"device-north", "perimeter-north"} <= summaries
    evaluation = client.get(reverse("nrd_evaluation", args=[north["evaluation"].pk]))
    assert "analysis-north" in {entry.summary for entry in evaluation.context["trail"]}
    alert = client.get(reverse("followup_alert", args=[north["alert"].pk]))
    assert [entry.after["outcome"] for entry in alert.context["history"]] == ["outcome-north"]
    if client.get(reverse("followup_rooms")).status_code == 200:
        room = client.get(reverse("followup_room", args=[north["device"].pk]))
        assert room.context["history"][0].after["measurement_notes"] == "room-north"
    # Another unit's objects stay out of reach (administrators excepted).
    other = client.get(reverse("followup_alert", args=[south["alert"].pk]))
    assert other.status_code == (200 if role == ADMINISTRATOR else 404)
