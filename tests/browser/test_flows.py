"""What users do, in a real browser against a live server: sign in, the dashboard, the language,
an NRD evaluation from creation to the RAN's sign-off, an inspector refused an edit, the exams
filtered and exported, the charts drawn."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from browsing import sign_in, sign_out

from kerma.web.dose.models import Device, Exam
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import run_evaluation, save_evaluation

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]


def test_wrong_password_is_refused_then_sign_in_opens_the_dashboard(page, unit):
    page.goto("/exams/")
    assert "/login/" in page.url  # every page is behind the login
    page.fill("input[name=username]", "physicist")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("form[action='/login/'] button[type=submit]")
    assert page.locator(".notice.error[role=alert]").is_visible()
    assert "/login/" in page.url
    sign_in(page, "physicist")
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator(".topbar .who").inner_text() == "physicist"
    # The NRD status panel of the year (its cells are checked once an evaluation exists).
    assert str(unit.year) in page.locator("#nrd-grid h2").inner_text()
    # The exam count links to the list: 30 chest + 11 CT exams (the phantom is set aside).
    stats = page.locator(".stats .stat").first
    assert stats.locator(".value").inner_text() == "41"
    with page.expect_navigation():
        stats.locator(".value a").click()
    assert page.url.endswith("/exams/")
    assert page.locator("table.data tbody tr").count() == 41


def test_language_switches_between_french_and_english(page, unit):
    sign_in(page, "radiographer", next_path="/devices/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("nav.nav a.active").inner_text() == "Appareils"
    with page.expect_navigation():
        page.click(".lang button[value=en]")
    # The same page, now in English, and the choice sticks across pages.
    assert page.url.endswith("/devices/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.nav a.active").inner_text() == "Devices"
    assert page.locator(".lang button[value=en]").get_attribute("aria-pressed") == "true"
    page.goto("/")
    assert page.locator("h1").inner_text() == "Dashboard"
    with page.expect_navigation():
        page.click(".lang button[value=fr]")
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator("html").get_attribute("lang") == "fr"


def test_an_evaluation_from_the_physicist_to_the_rans_sign_off(page, unit):
    sign_in(page, "physicist", next_path="/nrd/evaluations/new/")
    page.select_option("select[name=device]", str(unit.room.pk))
    page.fill("input[name=act]", "RX-THORAX-PA")
    page.select_option("select[name=population]", "adult")
    page.fill("input[name=period_from]", f"{unit.year}-01-01")
    page.fill("input[name=period_to]", f"{unit.year}-12-31")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    match = re.search(r"/nrd/evaluations/(\d+)/$", page.url)
    assert match, page.url
    evaluation = Evaluation.objects.get(pk=int(match.group(1)))
    assert evaluation.n_selected == 30 and evaluation.created_by == "physicist"
    # Median of 100, 105 … 245 mGy·cm²: 172.5, above the VGD (150), not above the NRD (200).
    results = page.locator("table.data").first.inner_text()
    assert "172" in results
    assert page.locator(".sub .badge.test").inner_text() == "brouillon"
    # The sample's histogram is drawn by Plotly, with the median, VGD and NRD lines.
    chart = page.locator("#evaluation-charts [data-chart=evaluation]").first
    page.wait_for_function("el => el.hasAttribute('data-rendered')", arg=chart.element_handle())
    assert chart.get_attribute("data-rendered") == "1"
    assert chart.locator("svg.main-svg").count() >= 1
    # A physicist does not sign off; the analysis is missing anyway.
    assert page.locator("input[name=step][value=sign]").count() == 0
    page.fill("textarea[name=analysis]", "Médiane entre VGD et NRD : protocole à surveiller.")
    with page.expect_navigation():
        page.click("form.nrd-form button[type=submit]")
    assert "protocole à surveiller" in Evaluation.objects.get(pk=evaluation.pk).analysis
    sign_out(page)

    sign_in(page, "ran", next_path=f"/nrd/evaluations/{evaluation.pk}/")
    sign_button = page.locator("form:has(input[name=step][value=sign]) button")
    assert sign_button.is_enabled()
    with page.expect_navigation():
        sign_button.click()
    signed = Evaluation.objects.get(pk=evaluation.pk)
    assert signed.is_signed and signed.signed_by == "ran"
    assert re.match(
        r"validée par ran le \d\d/\d\d/\d{4}",
        page.locator(".page-head .sub .badge").first.inner_text(),
    )
    # Signed: the analysis is no longer editable, and the dashboard's cell links to it.
    assert page.locator("textarea[name=analysis]").count() == 0
    page.goto("/")
    row = page.locator("#nrd-grid tr", has=page.locator("a", has_text="Salle 1 (Ysio)"))
    cells = row.locator("a.cell", has_text="RX-THORAX-PA")
    assert cells.count() >= 1
    for k in range(cells.count()):
        assert cells.nth(k).get_attribute("data-state") == "between"
        assert cells.nth(k).get_attribute("href") == f"/nrd/evaluations/{evaluation.pk}/"


def test_an_inspector_sees_no_form_and_a_forged_edit_is_refused(page, unit):
    sign_in(page, "inspector", next_path=f"/devices/{unit.room.pk}/")
    assert page.locator("h1").inner_text().startswith("Salle 1 (Ysio)")
    assert page.locator("input[name=display_name]").count() == 0
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    # The same POST a physicist's form sends, forged from the inspector's session.
    response = page.request.post(
        f"/devices/{unit.room.pk}/",
        form={
            "csrfmiddlewaretoken": token,
            "display_name": "Renamed",
            "category": "radiography",
            "unit": str(unit.room.unit_id),
        },
    )
    assert response.status == 403
    assert Device.objects.get(pk=unit.room.pk).display_name == "Salle 1 (Ysio)"
    # A draft evaluation: readable, but no analysis form and no sign-off; forged steps refused.
    run = run_evaluation(
        unit.room,
        "RX-THORAX-PA",
        population="adult",
        period_from=date(unit.year, 1, 1),
        period_to=date(unit.year, 12, 31),
    )
    draft = save_evaluation(run, by="physicist")
    page.goto(f"/nrd/evaluations/{draft.pk}/")
    assert page.locator("h1").inner_text().startswith("Évaluation NRD")
    assert page.locator("textarea[name=analysis]").count() == 0
    assert page.locator("input[name=step][value=sign]").count() == 0
    for step in ("analysis", "sign"):
        forged = page.request.post(
            f"/nrd/evaluations/{draft.pk}/",
            form={"csrfmiddlewaretoken": token, "step": step, "analysis": "forged"},
        )
        assert forged.status == 403, step
    draft.refresh_from_db()
    assert draft.analysis == "" and not draft.is_signed
    # The history is readable by an inspector (a read-only role).
    page.goto("/history/")
    assert page.locator("h1").is_visible()
    assert page.locator("nav.nav a.active").inner_text() == "Historique"

    # The same request from a physicist goes through: the refusal was the role's.
    page.context.clear_cookies()
    sign_in(page, "physicist", next_path=f"/devices/{unit.room.pk}/")
    assert page.locator("input[name=display_name]").count() == 1
    page.fill("input[name=display_name]", "Salle 1 (urgences)")
    with page.expect_navigation():
        page.locator("form:has(input[name=display_name]) button[type=submit]").click()
    assert Device.objects.get(pk=unit.room.pk).display_name == "Salle 1 (urgences)"


def _listed_pks(page) -> set[int]:  # noqa: ANN001
    links = page.locator("table.data tbody tr td:first-child a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return {int(re.search(r"/exams/(\d+)/", href).group(1)) for href in links}


def test_exams_filtered_then_exported_as_csv(page, unit):
    sign_in(page, "radiographer", next_path="/exams/")
    assert page.locator("table.data tbody tr").count() == 41
    page.select_option("select[name=modality]", "CT")
    page.locator("details.ranges summary").click()
    page.fill("input[name=dlp_min]", "400")
    with page.expect_navigation():
        page.click("form.exam-filters button[type=submit]")
    # DLP 200 + 50 k ≥ 400 for k = 4…10 (k = 11 is the phantom): 7 exams, bounds included.
    assert "modality=CT" in page.url and "dlp_min=400" in page.url
    listed = _listed_pks(page)
    expected = {e.pk for e in unit.ct_exams[4:11]}
    assert listed == expected
    assert "7 examens" in page.locator(".page-head .sub").inner_text()

    with page.expect_download() as info:
        page.click("a.btn[href*='export=csv']")
    download = info.value
    assert re.fullmatch(r"kerma-exams-\d{8}-\d{4}\.csv", download.suggested_filename)
    text = open(download.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    by_uid = {e.study_uid: e.pk for e in Exam.objects.all()}
    assert {by_uid[row["study_uid"]] for row in rows} == listed
    assert len(rows) == len(listed)
    # Newest first, like the list; every row a CT exam within the bound.
    assert [row["study_date"] for row in rows] == sorted(
        (row["study_date"] for row in rows), reverse=True
    )
    assert {row["modality"] for row in rows} == {"CT"}
    dlp = [float(row["totals.dlp_total_mgycm (mGy·cm)"]) for row in rows]
    assert min(dlp) == 400.0 and max(dlp) == 700.0

    # Including the test exams brings back the phantom (DLP 750), in the list and the export.
    page.check("input[name=include_tests]")
    with page.expect_navigation():
        page.click("form.exam-filters button[type=submit]")
    assert _listed_pks(page) == expected | {unit.ct_exams[11].pk}
    with page.expect_download() as info:
        page.click("a.btn[href*='export=xlsx']")
    from openpyxl import load_workbook

    assert info.value.suggested_filename.endswith(".xlsx")
    with open(info.value.path(), "rb") as handle:
        values = list(load_workbook(handle, read_only=True).active.iter_rows(values_only=True))
    uid_col = values[0].index("study_uid")
    assert {by_uid[row[uid_col]] for row in values[1:]} == expected | {unit.ct_exams[11].pk}


def test_the_charts_draw_offline(page, unit):
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    sign_in(
        page,
        "physicist",
        next_path=f"/charts/?device={unit.room.pk}&act=RX-THORAX-PA"
        f"&from={unit.year}-01-01&to={unit.year}-12-31",
    )
    charts = page.locator("[data-chart]")
    assert charts.count() >= 1
    for k in range(charts.count()):
        chart = charts.nth(k)
        # charts.js marks a container once Plotly has drawn it ("empty": no data, "error").
        page.wait_for_function("el => el.getAttribute('data-rendered')", arg=chart.element_handle())
    states = charts.evaluate_all("els => els.map(e => e.getAttribute('data-rendered'))")
    assert "error" not in states
    assert "1" in states
    distribution = page.locator("[data-chart=distribution]")
    assert distribution.get_attribute("data-rendered") == "1"
    # Plotly drew an SVG with the histogram's bars.
    assert distribution.locator("svg.main-svg").count() >= 1
    assert distribution.locator("g.trace.bars, g.barlayer g.trace").count() >= 1
    assert page.evaluate("typeof window.Plotly") == "object"
    assert failed == []
