"""The follow-up pages: alerts per unit, acknowledgement (audited), letter, patients to follow up
(page, CSV, XLSX), thresholds and room settings; access: another unit's rows answer 404, an
inspector reads and gets 403 on every POST, a radiographer does not see maps."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from tests.web.followup.conftest import PASSWORD

from kerma.web.accounts.roles import INSPECTOR, PHYSICIST, RADIOGRAPHER
from kerma.web.audit.models import AuditEntry
from kerma.web.followup.alerts import evaluate_exam
from kerma.web.followup.models import Alert, AlertSettings, RoomGeometry, SkinDoseMap
from kerma.web.followup.panels import dashboard_panel, exam_panel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

DAY = date(2025, 6, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


@pytest.fixture
def alerts(room, procedure):
    """An alert in the main unit (with a map) and one in the other unit."""
    mine = procedure(room(), DAY, kar=6100.0)
    SkinDoseMap.objects.create(exam=mine, status="ok", method="map", psd_mgy=3500.0, png=PNG)
    theirs = procedure(room("far", unit="other"), DAY, kar=7000.0, patient="z")
    SkinDoseMap.objects.create(exam=theirs, status="ok", method="map", psd_mgy=100.0, png=PNG)
    evaluate_exam(mine)
    evaluate_exam(theirs)
    return {
        "mine": Alert.objects.get(exam=mine, quantity="kar"),
        "theirs": Alert.objects.get(exam=theirs),
        "exam": mine,
        "other_exam": theirs,
    }


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_alert_list_is_scoped_to_the_users_units(client, user, alerts):
    login(client, user(INSPECTOR))
    page = client.get("/followup/").content.decode()
    assert f"/followup/alerts/{alerts['mine'].pk}/" in page
    assert f"/followup/alerts/{alerts['theirs'].pk}/" not in page
    assert client.get(f"/followup/alerts/{alerts['theirs'].pk}/").status_code == 404
    assert client.get(f"/followup/alerts/{alerts['theirs'].pk}/letter/").status_code == 404
    other = alerts["other_exam"].pk
    for suffix in ("skin-dose.png", "skin-dose.json", "skin-dose.dcm"):
        assert client.get(f"/followup/exams/{other}/{suffix}").status_code == 404
    assert client.get(f"/followup/exams/{alerts['exam'].pk}/skin-dose.png").content == PNG
    assert client.get("/followup/?state=closed").content.decode().count("/followup/alerts/") == 0


def test_physicist_acknowledges_and_closes_audited(client, user, alerts):
    physicist = user(PHYSICIST)
    login(client, physicist)
    url = f"/followup/alerts/{alerts['mine'].pk}/"
    # "No follow-up" needs a reason.
    response = client.post(url, {"decision": "none"})
    assert response.status_code == 200
    assert Alert.objects.get(pk=alerts["mine"].pk).state == "open"
    response = client.post(url, {"decision": "consultation_letter", "outcome": ""})
    assert response.status_code == 302
    alert = Alert.objects.get(pk=alerts["mine"].pk)
    assert (alert.state, alert.decision, alert.acknowledged_by) == (
        "acknowledged",
        "consultation_letter",
        physicist.username,
    )
    entry = AuditEntry.objects.filter(object_type="followup_alert", object_id=str(alert.pk)).last()
    assert entry.actor == physicist.username and entry.after["state"] == "acknowledged"
    # Closing needs the outcome.
    assert client.post(url, {"decision": "consultation_letter", "close": "on"}).status_code == 200
    client.post(
        url,
        {
            "decision": "consultation_letter",
            "close": "on",
            "outcome": "Erythème grade 1 à J21, régressif.",
        },
    )
    alert.refresh_from_db()
    assert alert.state == "closed" and alert.closed_by == physicist.username
    assert "Erythème" in client.get(url).content.decode()


def test_inspector_reads_but_cannot_post(client, user, alerts, units):
    login(client, user(INSPECTOR))
    alert = alerts["mine"]
    assert client.get(f"/followup/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/followup/alerts/{alert.pk}/", {"decision": "letter"}).status_code == 403
    assert client.get("/followup/thresholds/").status_code == 200
    # Kerma's default source of the levels reads in French; the stored text stays English.
    french = client.get("/followup/thresholds/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "niveau de dose substantiel (SRDL)" in french
    assert "substantial radiation dose level" not in french
    alert_page = client.get(f"/followup/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "aucun seuil numérique officiel français" in alert_page.content.decode()
    response = client.post("/followup/thresholds/", {"unit": units["main"].pk, "kar_mgy": "1"})
    assert response.status_code == 403
    device = alerts["exam"].device
    assert client.get(f"/followup/rooms/{device.pk}/").status_code == 200
    assert client.post(f"/followup/rooms/{device.pk}/", {}).status_code == 403
    exam = alerts["exam"].pk
    assert client.post(f"/followup/exams/{exam}/recompute/").status_code == 403
    alert.refresh_from_db()
    assert alert.state == "open"


def test_radiographer_sees_alerts_not_maps(client, user, alerts, rf):
    radiographer = user(RADIOGRAPHER)
    login(client, radiographer)
    assert client.get("/followup/").status_code == 200
    assert client.get(f"/followup/exams/{alerts['exam'].pk}/skin-dose.png").status_code == 403
    request = rf.get("/")
    request.user = radiographer
    assert exam_panel(request, alerts["exam"]) is None
    assert dashboard_panel(request).context["followup_open_count"] == 2  # kar and psd, mine


def test_panels_of_exam_page_and_dashboard(user, alerts, rf):
    request = rf.get("/")
    request.user = user(PHYSICIST)
    panel = exam_panel(request, alerts["exam"])
    assert panel.template == "followup/_exam_skin.html"
    assert panel.context["skin"].psd_mgy == 3500.0
    assert panel.context["kar_notice_mgy"] == 3000.0  # 6.1 Gy is past the first notification
    assert {a.quantity for a in panel.context["skin_alerts"]} == {"kar", "psd"}
    dashboard = dashboard_panel(request)
    assert dashboard.context["followup_open_count"] == 2
    assert all(
        a.exam.device.unit_id == alerts["exam"].device.unit_id
        for a in dashboard.context["followup_latest"]
    )


def test_patients_page_and_exports(client, user, alerts):
    login(client, user(INSPECTOR))
    page = client.get("/followup/patients/").content.decode()
    assert alerts["exam"].patient_key[:12] in page
    assert alerts["other_exam"].patient_key[:12] not in page
    csv_text = client.get("/followup/patients/?format=csv").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("patient;last_procedure")
    assert len(lines) == 2 and "2025-06-16" in lines[1]  # skin check from day + 14
    book = load_workbook(io.BytesIO(client.get("/followup/patients/?format=xlsx").content))
    rows = list(book.active.values)
    assert rows[0][0] == "patient" and len(rows) == 2
    assert rows[1][5] == pytest.approx(6100.0)


def test_letter_embeds_the_map(client, user, alerts):
    login(client, user(PHYSICIST))
    page = client.get(f"/followup/alerts/{alerts['mine'].pk}/letter/").content.decode()
    assert "data:image/png;base64," in page
    assert alerts["exam"].patient_key[:12] in page  # pseudonymised by default


def test_physicist_changes_thresholds_audited(client, user, units):
    physicist = user(PHYSICIST)
    login(client, physicist)
    data = {
        "unit": units["main"].pk, "kar_mgy": "4000", "dap_gycm2": "", "fluoro_time_s": "3600",
        "psd_mgy": "3000", "cumulative_kar_mgy": "5000", "cumulative_dap_gycm2": "500",
        "cumulative_fluoro_time_s": "", "cumulative_psd_mgy": "3000", "window_days": "90",
        "kar_notice_mgy": "3000", "source": "Choix local du physicien",
    }  # fmt: skip
    assert client.post("/followup/thresholds/", data).status_code == 302
    settings = AlertSettings.objects.get(unit=units["main"])
    assert (settings.kar_mgy, settings.dap_gycm2, settings.window_days) == (4000.0, None, 90)
    entry = AuditEntry.objects.filter(object_type="alert_settings").last()
    assert entry.actor == physicist.username and entry.after["kar_mgy"] == 4000.0
    # Another unit's thresholds are not reachable.
    other = {**data, "unit": units["other"].pk}
    assert client.post("/followup/thresholds/", other).status_code == 404


def test_room_geometry_saved_audited_and_validated(client, user, room):
    device = room()
    physicist = user(PHYSICIST)
    login(client, physicist)
    url = f"/followup/rooms/{device.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data.update(
        {
            "table_transmission": "0.72",
            "measured_on": "2025-01-15",
            "measurement_notes": "Chambre 6 cm3 sur table, matelas 4 cm, 80 kV",
        }
    )
    assert client.post(url, data).status_code == 302
    row = RoomGeometry.objects.get(device=device)
    assert row.settings["table_transmission"] == pytest.approx(0.72)
    assert AuditEntry.objects.filter(object_type="room_geometry", actor=physicist.username)
    bad = {**data, "table_transmission": "1.7"}  # RoomSettings refuses it
    assert client.post(url, bad).status_code == 200
    row.refresh_from_db()
    assert row.settings["table_transmission"] == pytest.approx(0.72)
    # The page words each setting in French, its key beside it; the history too.
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Transmission table et matelas (0-1)" in french and ">table_transmission<" in french
    assert "table transmission" not in french
    assert "table_transmission:" not in french.split("class=\"data audit\"", 1)[1]
    assert client.get(f"/followup/rooms/{room('far', unit='other').pk}/").status_code == 404


def test_exam_page_and_dashboard_show_the_panels(client, user, alerts):
    login(client, user(PHYSICIST))
    page = client.get(f"/exams/{alerts['exam'].pk}/").content.decode()
    assert 'id="skin-dose"' in page and f"/followup/exams/{alerts['exam'].pk}/skin-dose.png" in page
    assert "kerma/vendor/plotly.min.js" in page  # a map: the 3-D view is offered
    SkinDoseMap.objects.filter(exam=alerts["exam"]).update(method="kar_estimate")
    page = client.get(f"/exams/{alerts['exam'].pk}/").content.decode()
    assert "kerma/vendor/plotly.min.js" not in page  # an estimate has no surface to show
    home = client.get("/").content.decode()
    assert f"/followup/alerts/{alerts['mine'].pk}/" in home
    assert f"/followup/alerts/{alerts['theirs'].pk}/" not in home
