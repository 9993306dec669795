"""The printable NRD yearly report, and the physicist's choices on a draft evaluation: another
acquisition in an exam, an exam excluded by hand with its reason — re-run and audited; refused on
a signed evaluation and for an inspector."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders

from kerma.web.audit.models import AuditEntry
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import add_action, add_mapping, run_evaluation, save_evaluation
from users import perms_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}
PHYSICIST_PERMS = [
    "add_evaluation",
    "change_evaluation",
    "sign_evaluation",
    "add_correctiveaction",
    "change_correctiveaction",
]


@pytest.fixture
def room() -> Device:
    """A radiography room: 30 adult chest exams in 2024 (DAP 100…390 mGy·cm²); the first exam
    has a second projection (DAP 5000 mGy·cm²)."""
    device = Device.objects.create(
        identity_key="rx-1",
        manufacturer="ACME",
        model="RX",
        serial_number="rx-1",
        display_name="Salle 1",
        category=Device.Category.RADIOGRAPHY,
    )
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=device)
    for k in range(30):
        row = Exam.objects.create(
            study_uid=f"e{k:02d}",
            study_date=date(2024, 1, 3) + timedelta(days=k),
            study_time="090000",
            modality="DX",
            device=device,
            procedure="THORAX FACE",
            event_count=1,
            age_years=50.0,
            sex="F",
            weight_kg=70.0,
            height_m=1.70,
        )
        Event.objects.create(
            exam=row,
            uid=f"ev.e{k:02d}",
            kind="projection",
            event_type="stationary",
            protocol="Thorax PA",
            dap_gycm2=(100.0 + 10 * k) / 1000,
        )
        if k == 0:
            Event.objects.create(
                exam=row,
                uid="ev.e00.bis",
                kind="projection",
                event_type="stationary",
                protocol="Thorax PA",
                dap_gycm2=5.0,
            )
    return device


@pytest.fixture
def draft(room: Device) -> Evaluation:
    """A draft evaluation above its NRD."""
    return save_evaluation(run_evaluation(room, "RX-THORAX-PA", **PERIOD), by="phys")


def _signed(evaluation: Evaluation) -> Evaluation:
    evaluation.analysis = "Médiane au-dessus du NRD."
    evaluation.save(actor="phys")
    add_action(
        evaluation,
        by="phys",
        description="Revoir le protocole thorax",
        owner="Dr Martin",
        due_date=date(2024, 6, 30),
    )
    evaluation.refresh_from_db()
    evaluation.sign("ran")
    return evaluation


def _user(username: str, perms: list[str]) -> User:
    views = ["view_evaluation", "view_protocolmapping", "view_storedreferenceset"]
    return perms_user(username, [*perms, *views])


@pytest.fixture
def physicist(client):
    client.force_login(_user("phys", PHYSICIST_PERMS))
    return client


@pytest.fixture
def inspector(client):
    client.force_login(_user("inspector", ["view_evaluation"]))
    return client


def _dap(evaluation: Evaluation) -> dict:
    return next(r for r in evaluation.results if r["quantity"] == "dap")


def _chosen(evaluation: Evaluation, study_uid: str) -> str | None:
    return next(s["event_uid"] for s in evaluation.selected if s["study_uid"] == study_uid)


def test_report_shows_plan_evaluations_actions_and_abrogated_set(physicist, room, draft):
    signed = _signed(draft)
    old = save_evaluation(
        run_evaluation(room, "RX-THORAX-PA", reference_name="fr-2011-arrete", **PERIOD),
        by="phys",
    )
    assert old.reference_status == "abrogated"
    plan = physicist.get("/nrd/?year=2024", **FRENCH).content.decode()
    assert "/nrd/report/2024/" in plan
    page = physicist.get("/nrd/report/2024/", **FRENCH).content.decode()
    assert "Salle 1" in page and "RX-THORAX-PA" in page
    assert f"#{signed.pk} v1" in page and f"#{old.pk} v1" in page
    assert "st-above_nrd" in page and "Revoir le protocole thorax" in page and "Dr Martin" in page
    assert "Médiane au-dessus du NRD." in page and "ran" in page
    assert "jeu abrogé (arrêté de 2011)" in page and "Bilan NRD 2024" in page
    assert "Ce qui manque" in page and "Imprimer" in page
    # The print button prints through kerma/actions.js (the CSP forbids inline handlers).
    assert "kerma/print.css" in page and "data-print" in page and "kerma/actions.js" in page
    assert "window.print()" in Path(finders.find("kerma/actions.js")).read_text()
    english = physicist.get("/nrd/report/2024/", **ENGLISH).content.decode()
    assert "abrogated set (arrêté of 2011)" in english
    assert "What is missing" in english and "Print" in english
    csv = physicist.get("/nrd/report/2024/summary.csv").content.decode("utf-8-sig")
    assert "RX-THORAX-PA" in csv and "above_nrd" in csv and "Dr Martin" in csv
    assert physicist.get("/nrd/report/1999/").status_code == 404


def test_report_is_readable_by_an_inspector(inspector, draft):
    response = inspector.get("/nrd/report/2024/", **FRENCH)
    assert response.status_code == 200
    assert "RX-THORAX-PA" in response.content.decode()


def test_override_changes_the_chosen_event_and_the_median(physicist, draft):
    first = _chosen(draft, "e00")
    other = "ev.e00" if first == "ev.e00.bis" else "ev.e00.bis"
    before = _dap(draft)["median"]
    page = physicist.get(f"/nrd/evaluations/{draft.pk}/", **FRENCH).content.decode()
    assert 'value="choose"' in page and "ev.e00.bis" in page and 'value="exclude"' in page
    response = physicist.post(
        f"/nrd/evaluations/{draft.pk}/",
        {"step": "choose", "study_uid": "e00", "event_uid": other},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.overrides == {"e00": other}
    assert _chosen(draft, "e00") == other
    assert _dap(draft)["median"] != before
    entry = AuditEntry.objects.get(
        object_type="evaluation", object_id=str(draft.pk), action="override"
    )
    assert entry.actor == "phys"
    assert entry.before["event_uid"] == first and entry.after["event_uid"] == other
    assert AuditEntry.objects.filter(object_id=str(draft.pk), action="rerun").exists()
    # an acquisition of another exam is refused
    physicist.post(
        f"/nrd/evaluations/{draft.pk}/",
        {"step": "choose", "study_uid": "e01", "event_uid": "ev.e00.bis"},
    )
    draft.refresh_from_db()
    assert draft.overrides == {"e00": other}


def test_manual_exclusion_removes_the_exam_with_its_reason(physicist, draft):
    assert draft.n_selected == 30
    response = physicist.post(
        f"/nrd/evaluations/{draft.pk}/",
        {"step": "exclude", "study_uid": "e05", "reason": "Patient non coopérant"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.excluded_by_user == ["e05"]
    assert "e05" not in {s["study_uid"] for s in draft.selected}
    assert "e05" in {e["study_uid"] for e in draft.excluded}
    assert draft.n_selected == 29 and not draft.complete
    entry = AuditEntry.objects.get(object_id=str(draft.pk), action="exclude")
    assert entry.summary == "Patient non coopérant"
    page = physicist.get(f"/nrd/evaluations/{draft.pk}/", **FRENCH).content.decode()
    assert "Patient non coopérant" in page and 'value="include"' in page
    # a reason is required
    physicist.post(f"/nrd/evaluations/{draft.pk}/", {"step": "exclude", "study_uid": "e06"})
    draft.refresh_from_db()
    assert draft.excluded_by_user == ["e05"]
    # and the exam can be put back
    physicist.post(f"/nrd/evaluations/{draft.pk}/", {"step": "include", "study_uid": "e05"})
    draft.refresh_from_db()
    assert draft.excluded_by_user == [] and draft.n_selected == 30


def test_no_change_on_a_signed_evaluation(physicist, draft):
    first = _chosen(draft, "e00")
    signed = _signed(draft)
    page = physicist.get(f"/nrd/evaluations/{signed.pk}/", **FRENCH).content.decode()
    assert 'value="choose"' not in page and 'value="exclude"' not in page
    for data in (
        {"step": "choose", "study_uid": "e00", "event_uid": "ev.e00"},
        {"step": "choose", "study_uid": "e00", "event_uid": "ev.e00.bis"},
        {"step": "exclude", "study_uid": "e05", "reason": "x"},
    ):
        physicist.post(f"/nrd/evaluations/{signed.pk}/", data)
    signed.refresh_from_db()
    assert signed.overrides == {} and signed.excluded_by_user == []
    assert signed.n_selected == 30 and _chosen(signed, "e00") == first
    assert not AuditEntry.objects.filter(
        object_id=str(signed.pk), action__in=("override", "exclude", "rerun")
    ).exists()


def test_inspector_gets_403(inspector, draft):
    page = inspector.get(f"/nrd/evaluations/{draft.pk}/", **FRENCH).content.decode()
    assert 'value="choose"' not in page and 'value="exclude"' not in page
    for data in (
        {"step": "choose", "study_uid": "e00", "event_uid": "ev.e00.bis"},
        {"step": "exclude", "study_uid": "e05", "reason": "x"},
        {"step": "include", "study_uid": "e05"},
    ):
        assert inspector.post(f"/nrd/evaluations/{draft.pk}/", data).status_code == 403
    draft.refresh_from_db()
    assert draft.overrides == {} and draft.excluded_by_user == []
