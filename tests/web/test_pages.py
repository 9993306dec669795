"""The web pages: login everywhere, dashboard, devices, exams (filters, pagination), exam detail,
French by default and English on request, the stylesheet served by WhiteNoise."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from kerma.web.dose.models import Device, Event, Exam, QuarantinedFile, Report
from kerma.web.dose.templatetags.kerma_ui import (
    age,
    format_number,
    headline_dose,
    localize_dose_text,
)
from users import role_user

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that STATIC_ROOT (in the throw-away KERMA_HOME) was never collected.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# No Accept-Language header: the test client would otherwise send none, but be explicit.
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.fixture
def data() -> dict[str, object]:
    """Two devices, a CT exam, a fluoroscopy exam, a mammography test exam, their events."""
    ct = Device.objects.create(
        identity_key="ct-1",
        manufacturer="SIEMENS",
        model="SOMATOM Force",
        serial_number="CT001",
        station_name="SCAN1",
        category=Device.Category.CT,
    )
    carm = Device.objects.create(
        identity_key="carm-1",
        manufacturer="GE",
        model="OEC Elite",
        serial_number="C42",
        category=Device.Category.MOBILE_CARM,
    )
    ct_exam = Exam.objects.create(
        study_uid="1.2.3.1",
        study_date=date(2024, 3, 5),
        study_time="101500",
        modality="CT",
        device=ct,
        patient_key="a" * 64,
        age_years=54.3,
        sex="F",
        weight_kg=70.0,
        height_m=1.65,
        procedure="THORAX ABDOMEN",
        event_count=2,
        dlp_total_mgycm=512.34,
        ctdivol_max_mgy=12.5,
        notes="Phantom size missing; assumed 32 cm",
    )
    report = Report.objects.create(
        sop_instance_uid="1.2.3.1.9",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        exam=ct_exam,
        source="rdsr",
        modality="CT",
        sha256="0" * 64,
        archive_path="archive/2024/03/x.dcm.gz",
        event_count=2,
        warnings="Tube current (113734, DCM): empty numeric value; skipped",
    )
    Event.objects.create(
        exam=ct_exam,
        report=report,
        uid="e1",
        kind="ct",
        protocol="Topogram",
        acquisition_type="constant_angle",
        kvp_kv=120,
    )
    Event.objects.create(
        exam=ct_exam,
        report=report,
        uid="e2",
        kind="ct",
        protocol="Thorax-Abdo",
        acquisition_type="spiral",
        ctdivol_mgy=12.5,
        dlp_mgycm=510.1,
        phantom_cm=32,
        kvp_kv=100,
        exposure_mas=180,
        pitch=0.9,
        scan_length_mm=480,
        ssde_mgy=15.2,
    )
    rf_exam = Exam.objects.create(
        study_uid="1.2.3.2",
        study_date=date(2024, 4, 1),
        modality="RF",
        device=carm,
        procedure="CHOLANGIO",
        event_count=1,
        dap_total_gycm2=2.5,
        dap_fluoro_gycm2=2.0,
        fluoro_time_s=125.0,
    )
    Event.objects.create(
        exam=rf_exam,
        uid="f1",
        kind="projection",
        event_type="fluoroscopy",
        protocol="Abdomen low",
        dap_gycm2=2.0,
        kar_mgy=35.5,
        primary_angle_deg=-12.5,
        source_isocentre_mm=600,
        pulse_width_ms=8,
        kvp_kv=78,
        filter_material="Cu",
        filter_thickness_mm=0.1,
    )
    test_exam = Exam.objects.create(
        study_uid="1.2.3.3",
        study_date=date(2024, 4, 2),
        modality="MG",
        device=carm,
        procedure="QC PHANTOM",
        is_test=True,
        agd_left_mgy=1.2,
    )
    QuarantinedFile.objects.create(original_path="/in/x.dcm", kept_at="q/x", reason="unreadable")
    return {"ct": ct, "carm": carm, "ct_exam": ct_exam, "rf_exam": rf_exam, "test": test_exam}


@pytest.fixture
def user_client(client, django_user_model):
    """A client logged in as an ordinary (non-staff) user: a radiographer of the unit."""
    client.force_login(role_user("merm", "radiographer"))
    return client


def page_urls(data: dict[str, object]) -> list[str]:
    return [
        reverse("home"),
        reverse("device_list"),
        reverse("device_detail", args=[data["ct"].pk]),
        reverse("exam_list"),
        reverse("exam_detail", args=[data["ct_exam"].pk]),
    ]


def test_anonymous_users_are_sent_to_login(client, data):
    for url in page_urls(data):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_login_page_renders_and_logs_in(client, django_user_model):
    django_user_model.objects.create_user(username="phys", password="s3cret-pass")
    response = client.get(reverse("login"), **FRENCH)
    assert response.status_code == 200
    assert "Connexion à Kerma" in response.content.decode()
    response = client.post(reverse("login"), {"username": "phys", "password": "s3cret-pass"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_is_a_post_form(user_client):
    html = user_client.get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in html
    response = user_client.post(reverse("logout"))
    assert response.status_code == 302
    assert user_client.get(reverse("home")).status_code == 302


def test_every_page_renders_for_a_user(user_client, data):
    for url in page_urls(data):
        assert user_client.get(url).status_code == 200, url


def test_home_counts(user_client, data):
    response = user_client.get(reverse("home"), **FRENCH)
    html = response.content.decode()
    assert response.context["exam_count"] == 2  # the test exam is set aside
    assert response.context["test_count"] == 1
    assert response.context["health"]["quarantine_recent"] == 1
    devices = {d.pk: d for d in response.context["devices"]}
    assert devices[data["ct"].pk].exam_count == 1
    assert devices[data["carm"].pk].test_count == 1
    assert "Tableau de bord" in html
    assert "Arceau mobile" in html  # category choice translated
    assert "Scanner" in html
    assert "Administration" not in html  # not staff


def test_home_shows_admin_link_to_staff(admin_client):
    assert "Administration" in admin_client.get(reverse("home")).content.decode()


def test_home_query_count_does_not_grow_with_devices(
    user_client, data, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert user_client.get(reverse("home")).status_code == 200
        return len(context.captured_queries)

    before = queries()
    for i in range(10):
        device = Device.objects.create(identity_key=f"more-{i}", model=f"M{i}")
        Exam.objects.create(study_uid=f"more.{i}", device=device, modality="CT")
    assert queries() == before
    with django_assert_max_num_queries(30):
        user_client.get(reverse("home"))


def test_exam_list_query_count_does_not_grow_with_exams(
    user_client, data, django_assert_max_num_queries
):
    Exam.objects.bulk_create(
        Exam(study_uid=f"8.{i}", modality="CT", device=data["ct"], dlp_total_mgycm=100.0)
        for i in range(40)
    )
    # session, user, permissions (2), units, devices, the filters' choices (3-5), the page
    with django_assert_max_num_queries(13):
        assert user_client.get(reverse("exam_list")).status_code == 200


def test_device_pages(user_client, data):
    html = user_client.get(reverse("device_list"), **FRENCH).content.decode()
    assert "SOMATOM Force" in html and "OEC Elite" in html
    response = user_client.get(reverse("device_detail", args=[data["carm"].pk]), **FRENCH)
    html = response.content.decode()
    assert "C42" in html
    assert "CHOLANGIO" in html
    rows = {row["modality"]: row for row in response.context["by_modality"]}
    assert rows["RF"]["count"] == 1 and rows["MG"]["tests"] == 1
    assert user_client.get(reverse("device_detail", args=[9999])).status_code == 404


def test_exam_list_hides_test_exams_by_default(user_client, data):
    response = user_client.get(reverse("exam_list"))
    listed = {e.pk for e in response.context["exams"]}
    assert listed == {data["ct_exam"].pk, data["rf_exam"].pk}
    response = user_client.get(reverse("exam_list"), {"include_tests": "on"})
    assert data["test"].pk in {e.pk for e in response.context["exams"]}


def test_exam_list_filters(user_client, data):
    response = user_client.get(reverse("exam_list"), {"modality": "CT"})
    html = response.content.decode()
    assert [e.pk for e in response.context["exams"]] == [data["ct_exam"].pk]
    assert "CHOLANGIO" not in html
    assert "THORAX ABDOMEN" in html

    response = user_client.get(reverse("exam_list"), {"device": data["carm"].pk})
    assert [e.pk for e in response.context["exams"]] == [data["rf_exam"].pk]

    response = user_client.get(reverse("exam_list"), {"since": "2024-03-10"})
    assert [e.pk for e in response.context["exams"]] == [data["rf_exam"].pk]
    response = user_client.get(reverse("exam_list"), {"until": "2024-03-10"})
    assert [e.pk for e in response.context["exams"]] == [data["ct_exam"].pk]


def test_exam_list_reports_bad_filters(user_client, data):
    response = user_client.get(
        reverse("exam_list"), {"since": "2024-05-01", "until": "2024-01-01"}, **FRENCH
    )
    assert response.status_code == 200
    assert "La date de fin précède la date de début." in response.content.decode()
    response = user_client.get(reverse("exam_list"), {"since": "not a date", "page": "x"})
    assert response.status_code == 200
    assert len(response.context["exams"]) == 2


def test_exam_list_shows_localized_headline_dose(user_client, data):
    html = user_client.get(reverse("exam_list"), **FRENCH).content.decode()
    assert "512,3 mGy·cm" in html  # main_dose, with a decimal comma
    assert "2,5 Gy·cm²" in html


def test_exam_list_paginates_by_50(user_client, data):
    Exam.objects.bulk_create(
        Exam(
            study_uid=f"9.{i}",
            study_date=date(2023, 1, 1),
            modality="DX",
            device=data["ct"],
            dap_total_gycm2=0.01,
        )
        for i in range(60)
    )
    response = user_client.get(reverse("exam_list"), {"modality": "DX"})
    page = response.context["page"]
    assert response.context["count"] == 60
    assert len(page.exams) == 50 and page.has_next
    html = response.content.decode()
    assert "after=" in html
    assert "modality=DX" in html  # the filters are kept in the page links
    response = user_client.get(
        reverse("exam_list"), {"modality": "DX", "after": page.next_cursor}
    )
    assert len(response.context["page"].exams) == 10


def test_exam_detail_ct(user_client, data):
    response = user_client.get(reverse("exam_detail", args=[data["ct_exam"].pk]), **FRENCH)
    html = response.content.decode()
    assert response.status_code == 200
    # identity: shortened pseudonymised key, BMI computed from weight and height
    assert "a" * 12 + "…" in html
    assert "a" * 64 + "<" not in html
    assert "25,7 kg/m²" in html
    # totals with units, French regulatory abbreviations
    assert "PDL total" in html and "IDSV max" in html
    assert "512,34" in html and "mGy·cm" in html
    # events table adapted to CT
    (table,) = response.context["tables"]
    assert table.kind == "ct"
    labels = [str(c.label) for c in table.columns]
    assert "IDSV" in labels and "PDL" in labels and "Fantôme" in labels and "SSDE" in labels
    assert "Hélicoïdal" in html and "Thorax-Abdo" in html
    assert "510,1" in html
    # notes of the import, the source documents
    assert "Phantom size missing" in html
    assert "Tube current (113734, DCM)" in html
    assert "1.2.3.1.9" in html
    assert "Rapport de dose structuré" in html


def test_exam_detail_projection(user_client, data):
    response = user_client.get(reverse("exam_detail", args=[data["rf_exam"].pk]), **FRENCH)
    html = response.content.decode()
    (table,) = response.context["tables"]
    assert table.kind == "projection"
    labels = [str(c.label) for c in table.columns]
    assert "PDS" in labels and "Ka,r" in labels and "Angle primaire" in labels
    assert "IDSV" not in labels  # no CT column for a projection exam
    assert "Gy·cm²" in html
    assert "Radioscopie" in html  # event type
    assert "Cu 0,1 mm" in html  # filter
    assert "-12,5" in html
    assert "2,0833 min" in html or "2,08 min" in html  # fluoroscopy time also in minutes


def test_exam_detail_unknown_is_404(user_client, data):
    assert user_client.get(reverse("exam_detail", args=[424242])).status_code == 404


def test_french_by_default_english_after_switch(user_client, data):
    html = user_client.get(reverse("exam_list")).content.decode()
    assert "Examens" in html and "Appareils" in html
    assert 'lang="fr"' in html
    response = user_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("exam_list")}
    )
    assert response.status_code == 302
    html = user_client.get(reverse("exam_list")).content.decode()
    assert 'lang="en"' in html
    assert "Devices" in html and "Exams" in html and "Dashboard" in html
    assert "512.3 mGy·cm" in html  # decimal point in English
    html = user_client.get(reverse("exam_detail", args=[data["ct_exam"].pk])).content.decode()
    assert "DLP total" in html and "CTDIvol" in html and "Spiral" in html


def test_language_switch_works_on_login_page(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert "Sign in to Kerma" in client.get(reverse("login")).content.decode()


def test_stylesheet_is_served(client):
    response = client.get("/static/kerma/kerma.css")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"--brand" in body
    # pages link it and nothing from outside
    html = client.get(reverse("login")).content.decode()
    assert "/static/kerma/kerma.css" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (None, 4, ""),
        (120.0, 4, "120"),
        (0.000109312, 4, "0,0001093"),
        (541.123, 4, "541,1"),
        (0.0, 4, "0"),
        (-12.54, 3, "-12,5"),
        (12345.6, 4, "12346"),
    ],
)
def test_format_number_french(value, digits, expected):
    from django.utils import translation

    with translation.override("fr"):
        assert format_number(value, digits) == expected


def test_dose_text_and_age_localized():
    from django.utils import translation

    with translation.override("fr"):
        assert localize_dose_text("0.1093 Gy·cm²") == "0,1093 Gy·cm²"
        one_side = Exam(agd_left_mgy=1.2, agd_right_mgy=None)
        assert headline_dose(one_side) == "DGM sein gauche 1,2 mGy"
        both = Exam(agd_left_mgy=1.3, agd_right_mgy=1.28)
        assert headline_dose(both) == "DGM sein gauche 1,3 / sein droit 1,28 mGy"
        assert age(54.3) == "54 ans"
        assert age(0.5) == "6 mois"
        assert age(0.01) == "4 j"
    with translation.override("en"):
        assert localize_dose_text("541.1 mGy·cm") == "541.1 mGy·cm"
        assert age(54.3) == "54 y"
