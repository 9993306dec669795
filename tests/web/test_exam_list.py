"""The exams list: every filter on both sides of its bound, errors on the form (never a 500),
keyset pages (forwards and backwards, no exam twice or missing), the capped count, the units a
user sees and the permission it needs; the exam page with its events, source documents and
the panels other apps add."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.template import engines
from django.template.loaders import locmem
from django.urls import reverse
from exam_data import build

from kerma.web.accounts.roles import RADIOGRAPHER
from kerma.web.dose import panels, views
from kerma.web.dose.models import Device, Exam
from kerma.web.dose.queries import Cursor, keyset_page
from users import perms_user, role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]

NORTH_LISTED = {"ct1", "ct2", "dx1", "dx2", "mg", "rf", "nm"}  # test exams hidden, south unseen


@pytest.fixture
def data() -> dict[str, object]:
    return build()


@pytest.fixture
def north_client(client, data):
    client.force_login(role_user("north-rad", RADIOGRAPHER, [data["north"]]))
    return client


def listed(client, data, params: dict | None = None, **headers) -> set[str]:
    response = client.get(reverse("exam_list"), params or {}, **headers)
    assert response.status_code == 200
    names = {e.pk: name for name, e in data.items() if isinstance(e, Exam)}
    return {names[e.pk] for e in response.context["exams"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, NORTH_LISTED),
        ({"since": "2024-03-05"}, {"ct1", "ct2", "dx2"}),
        ({"since": "2024-03-06"}, {"ct2", "dx2"}),
        ({"until": "2024-03-05"}, {"ct1", "dx1", "mg", "rf", "nm"}),
        ({"until": "2024-03-04"}, {"dx1", "mg", "rf", "nm"}),
        ({"modality": "CT"}, {"ct1", "ct2"}),
        ({"protocol": "thorax"}, {"dx1"}),  # case-insensitive; the QC exam is a test exam
        ({"protocol": "thorax", "include_tests": "on"}, {"dx1", "test"}),
        ({"sex": "F"}, {"ct1", "dx1", "mg", "nm"}),
        ({"sex": "O"}, {"rf"}),
        ({"act": "CT-TAP"}, {"ct1"}),
        ({"act": "RX-THORAX-PA"}, {"dx1"}),  # the room's own rule; south's exam is unseen
        ({"age_max": "17"}, {"ct1"}),  # 17.9 years is 17 in whole years
        ({"age_min": "18", "age_max": "18"}, {"ct2"}),
        ({"age_min": "66"}, {"dx2", "rf"}),
        ({"age_max": "65", "age_min": "60"}, {"dx1"}),  # 65.5 years: 65
        ({"weight_min": "90"}, {"ct2"}),
        ({"weight_min": "90.1"}, set()),
        ({"weight_max": "60"}, {"ct1"}),
        ({"height_min": "1.75", "height_max": "1.75"}, {"dx2"}),
        ({"bmi_max": "23.4"}, {"dx2"}),  # ct1's BMI is 23.44
        ({"bmi_max": "23.5"}, {"ct1", "dx2"}),
        ({"bmi_min": "27.7"}, {"ct2"}),
        ({"bmi_min": "27.8"}, set()),  # 27.78
        ({"dlp_min": "500"}, {"ct1", "ct2"}),
        ({"dlp_min": "500.1"}, {"ct2"}),
        ({"dlp_max": "500"}, {"ct1"}),
        ({"ctdivol_max": "10"}, {"ct1"}),
        ({"ctdivol_max": "9.99"}, set()),
        ({"dap_min": "0.25"}, {"dx2", "rf"}),
        ({"dap_max": "0.1"}, {"dx1"}),
        ({"dap_min": "0.11", "dap_max": "0.25"}, {"dx2"}),
        ({"kar_min": "100"}, {"rf"}),
        ({"kar_min": "100.1"}, set()),
        ({"agd_min": "2"}, {"mg"}),  # the right breast
        ({"agd_min": "2.01"}, set()),
        ({"agd_min": "1.3", "agd_max": "1.9"}, set()),  # neither breast in between
        ({"agd_max": "1.2"}, {"mg"}),  # the left breast
        ({"activity_min": "500"}, {"nm"}),
        ({"activity_max": "499.9"}, set()),
        ({"modality": "CT", "sex": "M", "dlp_min": "1000"}, {"ct2"}),
    ],
)
def test_each_filter_straddles_its_bound(north_client, data, params, expected):
    assert listed(north_client, data, params) == expected


def test_device_filter_and_decimal_comma(north_client, data):
    assert listed(north_client, data, {"device": data["dx"].pk}) == {"dx1", "dx2"}
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    assert listed(north_client, data, {"dap_min": "0,25"}, **french) == {"dx2", "rf"}


def test_filtered_page_can_be_bookmarked(north_client, data):
    params = {"modality": "DX", "dap_min": "0.2"}
    html = north_client.get(reverse("exam_list"), params).content.decode()
    assert re.search(r'name="dap_min"[^>]* value="0.2"', html)  # the form shows the filter
    assert "export=csv" in html and "modality=DX" in html and "dap_min=0.2" in html


@pytest.mark.parametrize(
    ("params", "field", "still"),
    [
        ({"age_min": "abc", "modality": "CT"}, "age_min", {"ct1", "ct2"}),
        ({"dlp_min": "-1", "sex": "M"}, "dlp_min", {"ct2", "dx2"}),
        ({"bmi_min": "30", "bmi_max": "20"}, "bmi_max", set()),  # the lower bound applies
        ({"since": "2024-05-01", "until": "2024-01-01"}, "until", set()),
        ({"device": "999999"}, "device", NORTH_LISTED),
        ({"modality": "ZZ"}, "modality", NORTH_LISTED),
        ({"act": "NO-SUCH-ACT"}, "act", NORTH_LISTED),
        ({"age_max": "1000"}, "age_max", NORTH_LISTED),
        ({"protocol": "x" * 201}, "protocol", NORTH_LISTED),
    ],
)
def test_invalid_input_is_reported_on_the_form(north_client, data, params, field, still):
    response = north_client.get(reverse("exam_list"), params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    # the valid filters still apply; the export is not offered for a form in error
    assert listed(north_client, data, params) == still
    assert "export=csv" not in response.content.decode()


def test_malformed_cursors_open_the_first_page(north_client, data):
    for params in ({"after": "garbage"}, {"before": "2024-13-01~1~x"}, {"page": "x"}):
        assert listed(north_client, data, params) == NORTH_LISTED


def test_another_units_device_is_refused_and_its_exam_is_404(north_client, data):
    response = north_client.get(reverse("exam_list"), {"device": data["other"].pk})
    assert "device" in response.context["form"].errors
    assert data["other"] not in response.context["form"].fields["device"].queryset
    url = reverse("exam_detail", args=[data["south_exam"].pk])
    assert north_client.get(url).status_code == 404
    assert north_client.get(reverse("exam_detail", args=[data["ct1"].pk])).status_code == 200


def test_south_user_sees_only_south(client, data):
    client.force_login(role_user("south-rad", RADIOGRAPHER, [data["south"]]))
    assert listed(client, data) == {"south_exam"}
    assert client.get(reverse("exam_detail", args=[data["ct1"].pk])).status_code == 404


def test_administrator_sees_every_unit(admin_client, data):
    assert listed(admin_client, data) == NORTH_LISTED | {"south_exam"}


def test_without_view_exam_permission_403(client, data):
    client.force_login(perms_user("nobody", ["dose.view_device"], [data["north"]]))
    assert client.get(reverse("exam_list")).status_code == 403
    assert client.get(reverse("exam_detail", args=[data["ct1"].pk])).status_code == 403
    client.force_login(perms_user("viewer", ["dose.view_exam"], [data["north"]]))
    assert client.get(reverse("exam_list")).status_code == 200
    assert client.get(reverse("exam_detail", args=[data["ct1"].pk])).status_code == 200


# --- pages ---------------------------------------------------------------------------------


def _many(device: Device, n_dated: int, n_undated: int) -> list[int]:
    """Exams with ties on date and time (the id decides) and some without a date; returns
    their ids in the list's order (newest first, undated last)."""
    rows = []
    for i in range(n_dated):
        day = date(2023, 1, 1) + timedelta(days=i // 4)  # four exams a day
        time_ = ["080000", "080000", "093000", ""][i % 4]  # two at the same time, one unknown
        rows.append(Exam(study_uid=f"9.{i}", modality="DX", device=device, study_date=day,
                         study_time=time_, dap_total_gycm2=0.1))  # fmt: skip
    for i in range(n_undated):
        rows.append(Exam(study_uid=f"9.u{i}", modality="DX", device=device, study_date=None,
                         study_time="120000" if i % 2 else "", dap_total_gycm2=0.1))  # fmt: skip
    Exam.objects.bulk_create(rows)
    exams = list(Exam.objects.filter(study_uid__startswith="9."))
    dated = sorted((e for e in exams if e.study_date), reverse=True,
                   key=lambda e: (e.study_date, e.study_time, e.pk))  # fmt: skip
    undated = sorted((e for e in exams if not e.study_date), reverse=True,
                     key=lambda e: (e.study_time, e.pk))  # fmt: skip
    return [e.pk for e in dated + undated]


@pytest.mark.parametrize("size", [1, 7, 23, 50, 200])
def test_keyset_pages_forwards_and_backwards(data, size):
    expected = _many(data["dx"], 97, 8)
    queryset = Exam.objects.filter(study_uid__startswith="9.")
    seen, pages, page = [], 0, keyset_page(queryset, size=size)
    assert not page.has_previous
    while True:
        seen += [e.pk for e in page.exams]
        pages += 1
        assert len(page.exams) == min(size, len(expected) - len(seen) + len(page.exams))
        if not page.has_next:
            break
        page = keyset_page(queryset, size=size, after=Cursor.decode(page.next_cursor))
        assert page.has_previous
    assert seen == expected  # every exam once, in order
    assert pages == -(-len(expected) // size)
    # backwards from the last page with "before" cursors
    back, page = [], keyset_page(queryset, size=size, last=True)
    assert not page.has_next
    while True:
        back = [e.pk for e in page.exams] + back
        if not page.has_previous:
            break
        page = keyset_page(queryset, size=size, before=Cursor.decode(page.previous_cursor))
        assert page.has_next
    assert back == expected


def test_previous_page_is_the_page_before(data):
    _many(data["dx"], 40, 3)
    queryset = Exam.objects.filter(study_uid__startswith="9.")
    first = keyset_page(queryset, size=10)
    second = keyset_page(queryset, size=10, after=Cursor.decode(first.next_cursor))
    third = keyset_page(queryset, size=10, after=Cursor.decode(second.next_cursor))
    again = keyset_page(queryset, size=10, before=Cursor.decode(third.previous_cursor))
    assert [e.pk for e in again.exams] == [e.pk for e in second.exams]
    assert again.has_previous and again.has_next


def test_list_pages_through_links(north_client, data):
    expected = _many(data["dx"], 97, 8)
    params = {"device": data["dx"].pk, "protocol": "", "dap_max": "0.1"}
    seen = []
    response = north_client.get(reverse("exam_list"), params)
    assert response.context["count"] == 106  # 105 and dx1 (dap 0.1), not dx2 (0.25)
    while True:
        page = response.context["page"]
        seen += [e.pk for e in page.exams]
        html = response.content.decode()
        if not page.has_next:
            assert 'rel="next"' not in html
            break
        assert 'rel="next"' in html and f"device={data['dx'].pk}" in html
        response = north_client.get(reverse("exam_list"), {**params, "after": page.next_cursor})
    assert seen == [data["dx1"].pk, *expected]  # dx1 (2024) is newer than the 2023 exams
    assert len(set(seen)) == len(seen)
    last = north_client.get(reverse("exam_list"), {**params, "last": "1"}).context["page"]
    assert [e.pk for e in last.exams] == seen[-50:]  # the 50 oldest
    assert last.has_previous and not last.has_next


def test_count_is_capped(north_client, data, monkeypatch):
    _many(data["dx"], 60, 0)
    monkeypatch.setattr(views, "COUNT_CAP", 55)
    response = north_client.get(reverse("exam_list"), {"device": data["dx"].pk})
    assert response.context["count_more"] and response.context["count"] == 55
    assert "55" in response.content.decode()
    monkeypatch.setattr(views, "COUNT_CAP", 62)  # 60 + dx1 + dx2 = 62: exact
    response = north_client.get(reverse("exam_list"), {"device": data["dx"].pk})
    assert not response.context["count_more"] and response.context["count"] == 62


def test_list_query_count_does_not_grow_with_exams(
    north_client, data, django_assert_max_num_queries
):
    _many(data["dx"], 120, 0)
    # 17: one of them reads the at-risk flags of the page's patients (all at once)
    with django_assert_max_num_queries(17):
        assert north_client.get(reverse("exam_list"), {"act": "CT-TAP"}).status_code == 200


# --- the exam page -------------------------------------------------------------------------


def test_exam_page_shows_totals_events_documents(north_client, data):
    response = north_client.get(reverse("exam_detail", args=[data["ct1"].pk]))
    html = response.content.decode()
    totals = {(t.value, t.unit) for t in response.context["totals"]}
    assert {("500", "mGy·cm"), ("10", "mGy")} <= totals
    tables = response.context["tables"]
    assert [t.kind for t in tables] == ["ct"]
    assert len(tables[0].rows) == 2
    assert "TAP portal" in html and "Topogram" in html
    # the source document: SOP class by name, instance UID, file, how and when it came
    assert "X-Ray Radiation Dose SR Storage" in html
    assert "1.2.250.ct1.9" in html
    assert "CT_DOSE_REPORT_0001.dcm" in html and "archive/2024/03/ct1.dcm.gz" in html


def test_exam_page_renders_panels_of_other_apps(north_client, data):
    def factory(request, exam):
        if exam.modality != "CT":
            return None
        return panels.Panel("dose/_test_panel.html", {"message": f"panel for {exam.pk}"})

    engine = engines["django"].engine
    panels.register_exam_panel(factory)
    try:
        # The panel's template, given inline ahead of the application's loaders.
        engine.template_loaders.insert(
            0, locmem.Loader(engine, {"dose/_test_panel.html": "<p id=p>{{ message }}</p>"})
        )
        try:
            html = north_client.get(reverse("exam_detail", args=[data["ct1"].pk])).content
            assert f"<p id=p>panel for {data['ct1'].pk}</p>" in html.decode()
            html = north_client.get(reverse("exam_detail", args=[data["dx1"].pk])).content
            assert b"<p id=p>" not in html
        finally:
            engine.template_loaders.pop(0)
    finally:
        panels._exam_panels.remove(factory)
