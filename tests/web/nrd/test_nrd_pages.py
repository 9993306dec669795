"""The NRD pages: the yearly plan, the evaluations (list, new, detail, sign-off, exports) and the
protocol mappings; read-only for an inspector; French by default, English on request."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.models import Evaluation, ReferenceChoice
from kerma.web.nrd.services import add_action, add_mapping, run_evaluation, save_evaluation
from users import perms_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("nrd_test_urls"),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}
PHYSICIST_PERMS = [
    "add_evaluation",
    "change_evaluation",
    "sign_evaluation",
    "add_protocolmapping",
    "delete_protocolmapping",
    "add_storedreferenceset",
    "change_referencechoice",
    # As the physicist role (kerma.web.accounts.roles): corrective actions are permissions
    # of their own.
    "add_correctiveaction",
    "change_correctiveaction",
]


@pytest.fixture
def room() -> Device:
    """A radiography room with 30 adult chest exams in January 2024 (DAP 100…390 mGy·cm²),
    one child excluded and one knee mapped to no act."""
    device = Device.objects.create(
        identity_key="rx-1",
        manufacturer="ACME",
        model="RX",
        serial_number="rx-1",
        display_name="Salle 1",
        category=Device.Category.RADIOGRAPHY,
    )
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=device)

    def exam(uid: str, day: date, procedure: str = "THORAX FACE", **fields: object) -> Exam:
        values = {"age_years": 50.0, "sex": "F", "weight_kg": 70.0, "height_m": 1.70}
        values.update(fields)
        dap = values.pop("dap", 0.2)
        row = Exam.objects.create(
            study_uid=uid,
            study_date=day,
            study_time="090000",
            modality="DX",
            device=device,
            procedure=procedure,
            event_count=1,
            **values,
        )
        Event.objects.create(
            exam=row,
            uid=f"ev.{uid}",
            kind="projection",
            event_type="stationary",
            protocol="Thorax PA",
            dap_gycm2=dap,
        )
        return row

    exam("x.child", date(2024, 1, 2), age_years=12.0, weight_kg=40.0)
    exam("x.knee", date(2024, 1, 2), procedure="GENOU FACE")
    for k in range(30):
        exam(f"e{k:02d}", date(2024, 1, 3) + timedelta(days=k), dap=(100.0 + 10 * k) / 1000)
    return device


@pytest.fixture
def draft(room: Device) -> Evaluation:
    """A draft evaluation above its NRD (median 245 mGy·cm² > 200)."""
    return save_evaluation(run_evaluation(room, "RX-THORAX-PA", **PERIOD), by="phys")


def _user(username: str, perms: list[str]) -> User:
    views = ["view_evaluation", "view_protocolmapping", "view_storedreferenceset"]
    return perms_user(username, [*perms, *views])


@pytest.fixture
def physicist(client):
    client.force_login(_user("phys", PHYSICIST_PERMS))
    return client


@pytest.fixture
def inspector(client):
    client.force_login(_user("inspector", ["view_evaluation", "view_protocolmapping"]))
    return client


def test_every_page_renders_for_a_physicist(physicist, draft):
    pages = [
        "/nrd/?year=2024",
        "/nrd/evaluations/",
        "/nrd/evaluations/new/",
        f"/nrd/evaluations/{draft.pk}/",
        "/nrd/mappings/",
        "/nrd/references/",
        "/nrd/references/?set=fr-2011-arrete",
    ]
    for url in pages:
        response = physicist.get(url, **FRENCH)
        assert response.status_code == 200, url
    detail = physicist.get(f"/nrd/evaluations/{draft.pk}/", **FRENCH).content.decode()
    assert "RX-THORAX-PA" in detail and "e00" in detail and "x.child" in detail
    assert "st-above_nrd" in detail and 'value="sign"' in detail
    mappings = physicist.get("/nrd/mappings/", **FRENCH).content.decode()
    assert "GENOU FACE" in mappings


def test_the_plan_links_to_the_evaluation(physicist, draft):
    page = physicist.get("/nrd/?year=2024", **FRENCH).content.decode()
    assert "Salle 1" in page
    assert f"/nrd/evaluations/{draft.pk}/" in page
    assert "Plan NRD 2024" in page


def test_new_evaluation_form_runs_the_service(physicist, room):
    response = physicist.post(
        "/nrd/evaluations/new/",
        {
            "device": room.pk,
            "act": "RX-THORAX-PA",
            "population": "adult",
            "weight_class": "",
            "period_from": "2024-01-01",
            "period_to": "2024-12-31",
        },
    )
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/nrd/evaluations/{evaluation.pk}/"
    assert evaluation.n_selected == 30 and evaluation.created_by == "phys"
    unknown = physicist.post(
        "/nrd/evaluations/new/",
        {
            "device": room.pk,
            "act": "NO-SUCH-ACT",
            "population": "adult",
            "period_from": "2024-01-01",
            "period_to": "2024-12-31",
        },
    )
    assert unknown.status_code == 200 and "NO-SUCH-ACT" in unknown.content.decode()
    # The refusal in the page's language (French by default).
    assert "n'est dans aucun jeu de référence" in unescape(unknown.content.decode())


def test_analysis_action_sign_off_and_supersede(physicist, draft):
    url = f"/nrd/evaluations/{draft.pk}/"
    physicist.post(url, {"step": "sign"})
    assert not Evaluation.objects.get(pk=draft.pk).is_signed  # analysis missing: refused
    physicist.post(
        url, {"step": "analysis", "analysis": "Chart too generous.", "justification": ""}
    )
    physicist.post(
        url,
        {
            "step": "action",
            "description": "Revise the chart",
            "owner": "M. Dupont",
            "due_date": "2025-03-31",
        },
    )
    response = physicist.post(url, {"step": "sign"})
    assert response.status_code == 302
    signed = Evaluation.objects.get(pk=draft.pk)
    assert signed.is_signed and signed.signed_by == "phys"
    action = signed.actions.get()
    physicist.post(url, {"step": "done", "action": action.pk})
    assert signed.actions.get().done
    response = physicist.post(url, {"step": "supersede", "reason": "new chart"})
    new = Evaluation.objects.get(previous=signed)
    assert response["Location"] == f"/nrd/evaluations/{new.pk}/"
    page = physicist.get(f"/nrd/evaluations/{new.pk}/", **FRENCH).content.decode()
    assert f"/nrd/evaluations/{signed.pk}/" in page


def test_an_inspector_reads_but_cannot_change(inspector, draft):
    draft.analysis = "Above the NRD."
    draft.save()
    add_action(draft, by="phys", description="Revise", owner="M. D", due_date=date(2025, 1, 1))
    url = f"/nrd/evaluations/{draft.pk}/"
    page = inspector.get(url, **FRENCH)
    assert page.status_code == 200
    assert 'value="sign"' not in page.content.decode()
    for step in ("sign", "analysis", "supersede"):
        assert inspector.post(url, {"step": step, "analysis": "x"}).status_code == 403
    assert (
        inspector.post("/nrd/mappings/", {"pattern": "X", "act_code": "RX-ASP"}).status_code == 403
    )
    assert not Evaluation.objects.get(pk=draft.pk).is_signed
    new = {"device": draft.device_id, "act": "RX-THORAX-PA", "population": "adult"}
    assert inspector.post("/nrd/evaluations/new/", new).status_code == 403
    assert Evaluation.objects.count() == 1


def test_exports(physicist, draft):
    csv = physicist.get(f"/nrd/evaluations/{draft.pk}/export.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"]
    xlsx = physicist.get(f"/nrd/evaluations/{draft.pk}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert physicist.get(f"/nrd/evaluations/{draft.pk}/export.pdf").status_code == 404


def test_mapping_rules_are_added_and_removed(physicist, room):
    response = physicist.post(
        "/nrd/mappings/",
        {
            "step": "add",
            "device": room.pk,
            "kind": "contains",
            "pattern": "GENOU",
            "act_code": "RX-ASP",
            "priority": 100,
        },
    )
    assert response.status_code == 302
    from kerma.web.nrd.models import ProtocolMapping

    rule = ProtocolMapping.objects.get(pattern="GENOU")
    physicist.post("/nrd/mappings/", {"step": "remove", "rule": rule.pk})
    assert not ProtocolMapping.objects.filter(pattern="GENOU").exists()


def test_french_by_default_english_on_request(physicist, draft):
    url = f"/nrd/evaluations/{draft.pk}/"
    french = physicist.get(url, **FRENCH).content.decode()
    assert "Évaluation NRD" in french and "supérieure au NRD" in french
    physicist.post("/i18n/setlang/", {"language": "en", "next": url})
    english = physicist.get(url).content.decode()
    assert "NRD evaluation" in english and "above the NRD" in english


HEADER = "act_code,act_label,modality,population,category,quantity,unit,nrd,vgd,phantom_cm,source\n"


def test_reference_sets_show_labels_gaps_and_load_a_file(physicist):
    page = physicist.get("/nrd/references/?set=fr-2011-arrete", **FRENCH).content.decode()
    assert "abrogé" in page and "RX-THORAX-PA" in page
    page = physicist.get("/nrd/references/", **FRENCH).content.decode()
    assert "fr-2019-DC-0667" in page and "Lacunes" in page
    bad = HEADER + "CT-TAP,TAP,ct,adult,,dlp,mGy.cm,600,800,32,test\n"
    response = physicist.post(
        "/nrd/references/",
        {"file": SimpleUploadedFile("bad.csv", bad.encode()), "citation": "test"},
        **FRENCH,
    )
    assert response.status_code == 200 and "bad.csv" in response.content.decode()
    good = HEADER + "CT-TAP,TAP,ct,adult,,dlp,mGy.cm,800,600,32,local test value\n"
    response = physicist.post(
        "/nrd/references/",
        {"file": SimpleUploadedFile("local-ct.csv", good.encode()), "citation": "test"},
    )
    assert response.status_code == 302 and "set=local-ct" in response["Location"]
    use = {"step": "use", "family": "ct", "set_name": "fr-2011-arrete", "supplements": []}
    # The set in use applies to every unit: an administrator chooses it, not a physicist.
    assert 'value="use"' not in physicist.get("/nrd/references/").content.decode()
    assert physicist.post("/nrd/references/", use).status_code == 403
    assert not ReferenceChoice.objects.filter(family="ct").exists()
    admin = Client()
    admin.force_login(User.objects.create_superuser("admin", password="pw-123456"))
    admin.post("/nrd/references/", use)
    assert ReferenceChoice.objects.get(family="ct").set_name == "fr-2011-arrete"


def test_an_inspector_cannot_load_a_reference_file(inspector):
    assert inspector.get("/nrd/references/").status_code == 200
    upload = SimpleUploadedFile("x.csv", HEADER.encode())
    assert inspector.post("/nrd/references/", {"file": upload, "citation": "x"}).status_code == 403
    use = {"step": "use", "family": "ct", "set_name": "fr-2011-arrete"}
    assert inspector.post("/nrd/references/", use).status_code == 403


# ---- what the core found, worded in the page's language -------------------------------------

# English sentences of the core (plan notes, flags, evaluation messages, acquisition choices,
# sign-off problems) and their French wording (kerma/nrd/wording.py).
PLAN_WORDS = [
    ("outside the perimeter defined by the RAN", "hors du périmètre défini par le RAN"),
    ("performed none of the listed acts in 2024", "aucun des actes listés réalisé en 2024"),
    ("evaluated on 2024-01-01", "évalué le 2024-01-01"),
    ("paediatric activity ≤ 5%", "activité pédiatrique ≤ 5%"),
    ("is not signed off", "n'est pas validée"),
    ("the physicist's analysis is missing", "l'analyse du physicien médical manque"),
    ("the median is above the NRD (dap)", "la médiane dépasse le NRD (dap)"),
]
EVALUATION_WORDS = [
    ("are mapped to no act", "ne sont associés à aucun acte"),
    ("not the regulation in force", "pas la réglementation en vigueur"),
    ("the only candidate", "la seule candidate"),
    ("the physicist's analysis is missing", "l'analyse du physicien médical manque"),
]


def test_core_notices_are_worded_in_french_and_in_english(physicist, room, draft):
    from kerma.web.nrd.services import set_device_settings

    outside = Device.objects.create(
        identity_key="rx-2", serial_number="rx-2", category=Device.Category.RADIOGRAPHY
    )
    set_device_settings(outside, by="phys", in_perimeter=False)
    Device.objects.create(identity_key="ct-1", serial_number="ct-1", category=Device.Category.CT)
    old = save_evaluation(
        run_evaluation(room, "RX-THORAX-PA", reference_name="fr-2011-arrete", **PERIOD), by="phys"
    )
    assert old.notices and all("code" in n for n in old.notices)
    pages = [("/nrd/?year=2024", PLAN_WORDS), (f"/nrd/evaluations/{old.pk}/", EVALUATION_WORDS)]
    for url, words in pages:
        french = unescape(physicist.get(url, **FRENCH).content.decode())
        english = unescape(physicist.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
        for en, fr in words:
            assert en not in french and fr in french, (url, en)
            assert en in english, (url, en)


def test_an_evaluation_stored_before_notices_shows_its_messages(physicist, draft):
    Evaluation.objects.filter(pk=draft.pk).update(notices=[], messages=["an old message"])
    page = physicist.get(f"/nrd/evaluations/{draft.pk}/", **FRENCH).content.decode()
    assert "an old message" in page
