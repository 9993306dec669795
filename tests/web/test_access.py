"""Roles, units and what each user may see and do: the dashboard, the device inventory and the
history. Two units share the database; each user sees only the units they belong to."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import ROLE_RULES, ensure_roles, role_of
from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.services import add_action, add_mapping, run_evaluation, save_evaluation
from users import role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]


def _room(unit: Unit, key: str, n: int = 25, dap: float = 0.2) -> Device:
    device = Device.objects.create(
        identity_key=key,
        manufacturer="ACME",
        model="RX",
        serial_number=key,
        display_name=f"Salle {key}",
        category=Device.Category.RADIOGRAPHY,
        unit=unit,
    )
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=device)
    start = date(timezone.localdate().year, 1, 2)
    for k in range(n):
        exam = Exam.objects.create(
            study_uid=f"{key}.{k}",
            study_date=start + timedelta(days=k % 20),
            modality="DX",
            device=device,
            procedure="THORAX FACE",
            event_count=1,
            age_years=50.0,
            sex="F",
            weight_kg=70.0,
            height_m=1.70,
            dap_total_gycm2=dap,
        )
        Event.objects.create(
            exam=exam, uid=f"ev.{key}.{k}", kind="projection", event_type="stationary",
            protocol="Thorax PA", dap_gycm2=dap,
        )
    return device


@pytest.fixture
def units() -> dict[str, object]:
    north = Unit.objects.create(code="north", name="Imagerie Nord")
    south = Unit.objects.create(code="south", name="Imagerie Sud")
    return {"north": north, "south": south, "n1": _room(north, "n1"), "s1": _room(south, "s1")}


def _login(client, username: str, role: str, unit: Unit):  # noqa: ANN202
    client.force_login(role_user(username, role, [unit]))
    return client


def test_every_role_is_a_group_with_rules_that_differ():
    ensure_roles()
    from django.contrib.auth.models import Group

    perms = {
        role: set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        for role in ROLE_RULES
    }
    assert "sign_evaluation" in perms["ran"] and "sign_evaluation" not in perms["physicist"]
    assert "add_evaluation" in perms["physicist"]
    assert all(p.startswith("view_") for p in perms["inspector"])
    assert "view_auditentry" in perms["inspector"]
    assert "view_exam" in perms["radiographer"] and "view_auditentry" not in perms["radiographer"]
    assert "change_correctiveaction" in perms["quality_manager"]
    assert "change_device" not in perms["quality_manager"]


def test_role_of_names_the_role(units):
    user = role_user("insp", "inspector", [units["north"]])
    assert role_of(user) == "inspector"
    with pytest.raises(ValueError, match="unknown role"):
        role_user("x", "janitor")


def test_dashboard_shows_only_the_users_unit(client, units):
    html = _login(client, "phys", "physicist", units["north"]).get(reverse("home")).content
    html = html.decode()
    assert "Salle n1" in html and "Salle s1" not in html
    assert "Imagerie Nord" in html and "Imagerie Sud" not in html


def test_dashboard_grid_colours_each_required_act(client, units):
    year = timezone.localdate().year
    run = run_evaluation(
        units["n1"], "RX-THORAX-PA", population="adult",
        period_from=date(year, 1, 1), period_to=date(year, 12, 31),
    )
    evaluation = save_evaluation(run, by="phys")
    add_action(evaluation, by="phys", description="Revoir le protocole", owner="RAN",
               due_date=timezone.localdate() + timedelta(days=30))
    client = _login(client, "phys", "physicist", units["north"])
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="nrd-grid"' in html
    # 25 chest PA exams at 0.2 Gy·cm² = 200 mGy·cm²: equal to the 2019 NRD (200), above the
    # VGD (150), so between the two (a median equal to the NRD is not above it)
    assert 'data-state="between"' in html
    assert "Revoir le protocole" in html


def test_radiographer_reads_but_cannot_edit_a_device(client, units):
    client = _login(client, "manip", "radiographer", units["north"])
    url = reverse("device_detail", args=[units["n1"].pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"display_name": "x"}).status_code == 403
    assert client.get(reverse("device_detail", args=[units["s1"].pk])).status_code == 404


def test_inspector_is_denied_an_edit_but_reads_the_history(client, units):
    client = _login(client, "insp", "inspector", units["north"])
    url = reverse("device_detail", args=[units["n1"].pk])
    assert client.post(url, {"display_name": "x"}).status_code == 403
    assert client.get(reverse("history")).status_code == 200


def test_radiographer_cannot_read_the_history(client, units):
    client = _login(client, "manip", "radiographer", units["north"])
    assert client.get(reverse("history")).status_code == 403


def test_device_edit_is_saved_and_audited(client, units):
    client = _login(client, "phys", "physicist", units["north"])
    device = units["n1"]
    url = reverse("device_detail", args=[device.pk])
    form = {
        "display_name": "Salle 1 (urgences)",
        "category": "radiography",
        "manufacturer": "ACME",
        "model": "RX",
        "serial_number": "n1",
        "location": "Bâtiment B, RDC",
        "commissioned_on": "2019-03-04",
        "unit": units["north"].pk,
        "in_perimeter": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.location == "Bâtiment B, RDC"
    assert device.commissioned_on == date(2019, 3, 4)
    entry = AuditEntry.objects.filter(object_type="device", object_id=str(device.pk)).last()
    assert entry.actor == "phys"
    assert entry.before["location"] == "" and entry.after["location"] == "Bâtiment B, RDC"
    assert entry.before["in_perimeter"] is True and entry.after["in_perimeter"] is False
    page = client.get(url).content.decode()
    assert "Bâtiment B, RDC" in page


def test_device_cannot_be_moved_to_a_unit_the_user_does_not_belong_to(client, units):
    client = _login(client, "phys", "physicist", units["north"])
    device = units["n1"]
    response = client.post(
        reverse("device_detail", args=[device.pk]),
        {"display_name": "x", "category": "radiography", "unit": units["south"].pk},
    )
    assert response.status_code == 400
    device.refresh_from_db()
    assert device.unit_id == units["north"].pk


def test_history_keeps_each_units_changes_to_its_users(client, units):
    for unit in ("north", "south"):
        device = units["n1" if unit == "north" else "s1"]
        AuditEntry.record(("device", device.pk), "update", actor="x", summary=f"edit {unit}")
    client = _login(client, "insp", "inspector", units["north"])
    html = client.get(reverse("history"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "edit north" in html and "edit south" not in html


def test_user_changes_are_audited(units):
    user = role_user("newcomer", "radiographer", [units["south"]])
    entries = AuditEntry.objects.filter(object_type="user", object_id=str(user.pk))
    actions = set(entries.values_list("action", flat=True))
    assert {"create", "roles", "join_unit"} <= actions
    user.is_active = False
    user.save()
    last = entries.order_by("-id").first()
    assert last.action == "update" and last.after == {"is_active": False}


def test_nrd_pages_are_scoped_to_the_unit(client, units):
    year = timezone.localdate().year
    period = {"period_from": date(year, 1, 1), "period_to": date(year, 12, 31)}
    south = save_evaluation(
        run_evaluation(units["s1"], "RX-THORAX-PA", population="adult", **period), by="x"
    )
    client = _login(client, "phys", "physicist", units["north"])
    assert client.get(reverse("nrd_evaluation", args=[south.pk])).status_code == 404
    plan = client.get(reverse("nrd_plan")).content.decode()
    assert "Salle n1" in plan and "Salle s1" not in plan
    listing = client.get(reverse("nrd_evaluation_list")).content.decode()
    assert reverse("nrd_evaluation", args=[south.pk]) not in listing
    response = client.post(
        reverse("nrd_evaluation_new"),
        {"device": units["s1"].pk, "act": "RX-THORAX-PA", "population": "adult",
         "period_from": f"{year}-01-01", "period_to": f"{year}-12-31"},
    )
    assert response.status_code == 200  # the form refuses a device of another unit
    assert "Salle s1" not in response.content.decode()


def test_dashboard_grid_shows_what_is_still_due(client, units):
    client = _login(client, "phys", "physicist", units["north"])
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    grid = html[html.index('id="nrd-grid"') :]
    assert 'data-state="due"' in grid or 'data-state="late"' in grid
    assert 'data-state="between"' not in grid  # nothing evaluated yet


def test_device_page_title_is_the_device_and_has_one_form(client, units):
    client = _login(client, "phys", "physicist", units["north"])
    html = client.get(reverse("device_detail", args=[units["n1"].pk])).content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "Salle n1" in title and "<form" not in title
    assert html.count('id="inventory-form"') == 1
