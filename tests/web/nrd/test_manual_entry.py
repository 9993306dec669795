"""Manual entry: typed, pasted or imported rows → the same rules → a stored evaluation."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from typer.testing import CliRunner

from kerma.cli.nrd import nrd_app
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.manual import (
    is_manual,
    parse_rows,
    read_upload,
    run_manual_evaluation,
    save_manual_evaluation,
    split_text,
)
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.references import reference_for_act
from users import perms_user

pytestmark = pytest.mark.django_db  # the reference set in use is read from the database

PERIOD = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}


def act(code: str):
    return reference_for_act(code)[1]


def parse(text: str, code: str = "RX-THORAX-PA"):
    return parse_rows(split_text(text), act(code), **PERIOD)


def thirty_two_rows(sep: str = ";") -> str:
    """32 adults, height 2 m: BMI 17.9 (excluded), 18, 35.1 (excluded), 35, then 28 at 20;
    the 30 kept have DAP 100…129 mGy·cm² (median 114.5)."""
    weights = [71.6, 72.0, 140.4, 140.0] + [80.0] * 28
    dap = [999.0, 100.0, 999.0, 129.0] + [101.0 + i for i in range(28)]
    lines = [
        sep.join(["date", "age (years)", "sex", "weight (kg)", "height (cm)", "DAP (mGy·cm²)"])
    ]
    for i, (w, d) in enumerate(zip(weights, dap, strict=True)):
        day = date(2024, 3, 1) + timedelta(days=i)
        cells = [
            day.isoformat(),
            "52",
            "F",
            f"{w}".replace(".", ","),
            "200",
            f"{d}".replace(".", ","),
        ]
        lines.append(sep.join(cells))
    return "\n".join(lines)


# ---- evaluation -----------------------------------------------------------------------------


def test_thirty_pasted_rows_straddling_the_bmi_bounds(make_device):
    device = make_device()
    run = run_manual_evaluation(device, "RX-THORAX-PA", split_text(thirty_two_rows()), **PERIOD)
    data = run.to_dict()
    assert data["required_n"] == 30 and len(data["selected"]) == 30
    excluded = {e["study_uid"]: e["code"] for e in data["excluded"]}
    assert excluded == {"manual-0001": "bmi_below", "manual-0003": "bmi_above"}
    bmis = [s["patient"]["bmi"] for s in data["selected"]]
    assert bmis[:2] == [18.0, 35.0]
    (result,) = data["results"]
    assert (result["unit"], result["median"]) == ("mGy.cm2", 114.5)
    assert result["status"] == "below_vgd"

    stored = save_manual_evaluation(run, by="phys")
    assert is_manual(stored) and stored.created_by == "phys"
    assert stored.source == "manual" and stored.mapping_rules == []
    entry = stored.manual_entry
    assert entry["source"] == "manual entry" and entry["entered_by"] == "phys"
    assert len(entry["rows"]) == 32 and entry["rows"][0]["cells"]["weight (kg)"] == "71,6"
    assert any("manual entry" in m for m in stored.messages)
    assert AuditEntry.objects.filter(object_type="evaluation", object_id=str(stored.pk)).exists()


def xlsx_bytes(text: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for i, row in enumerate(split_text(text)):
        values: list = list(row)
        if i:
            values[0] = date.fromisoformat(values[0])
            values[1:] = [float(v.replace(",", ".")) if v not in ("F",) else v for v in values[1:]]
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_upload(make_device):
    cells = read_upload("doses.xlsx", xlsx_bytes(thirty_two_rows()))
    run = run_manual_evaluation(make_device(), "RX-THORAX-PA", cells, **PERIOD)
    assert len(run.evaluation.selected) == 30
    assert run.to_dict()["results"][0]["median"] == 114.5


# ---- the page and the CLI -------------------------------------------------------------------


@pytest.mark.urls("manual_test_urls")
def test_the_page_shows_errors_then_redirects_to_the_evaluation(
    client, django_user_model, make_device
):
    device = make_device()
    client.force_login(perms_user("phys", ["add_evaluation", "view_evaluation"]))
    url = reverse("nrd_manual_entry")
    assert client.get(url).status_code == 200
    form = {
        "device": device.pk,
        "act": "RX-THORAX-PA",
        "population": "adult",
        "weight_class": "",
        "period_from": "2024-01-01",
        "period_to": "2024-12-31",
    }
    bad = client.post(
        url, {**form, "rows": "date;age;weight;height (cm);DAP\n2024-03-01;52;x;170;1"}
    )
    assert bad.status_code == 400
    assert "« weight »" in bad.content.decode()  # row 2, column « weight » (ligne, colonne)
    ok = client.post(url, {**form, "rows": thirty_two_rows()})
    evaluation = Evaluation.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse(
        "nrd_evaluation", args=[evaluation.pk]
    )
    assert is_manual(evaluation) and evaluation.n_selected == 30
    page = client.get(ok["Location"])
    # The source note, worded in the page's language (French by default).
    assert page.status_code == 200
    assert "Source : saisie manuelle (32 lignes" in page.content.decode()
    upload = SimpleUploadedFile("doses.xlsx", xlsx_bytes(thirty_two_rows()))
    assert client.post(url, {**form, "file": upload}).status_code == 302
    assert Evaluation.objects.count() == 2


def test_cli_enter(make_device, tmp_path):
    device = make_device()
    rows = tmp_path / "rows.csv"
    rows.write_text(thirty_two_rows(), encoding="utf-8")
    args = [
        "enter",
        "--device",
        str(device.pk),
        "--act",
        "RX-THORAX-PA",
        "--population",
        "adult",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--file",
        str(rows),
    ]
    result = CliRunner().invoke(nrd_app, [*args, "--json", "--save", "--by", "phys"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["required_n"] == 30 and len(data["selected"]) == 30
    assert data["results"][0]["median"] == 114.5
    assert is_manual(Evaluation.objects.get(pk=data["id"]))
    bad = tmp_path / "bad.csv"
    bad.write_text("date;age;weight;height (cm);DAP (furlong)\n2024-03-01;52;70;170;1\n")
    refused = CliRunner().invoke(nrd_app, [*args[:-1], str(bad)])
    assert refused.exit_code == 2
    assert "unknown unit" in refused.output


def test_a_manual_evaluation_is_never_re_run_from_the_archive(make_device):
    from kerma.web.nrd.services import ManualEvaluationError, refresh_drafts, rerun

    run = run_manual_evaluation(
        make_device(), "RX-THORAX-PA", split_text(thirty_two_rows()), **PERIOD
    )
    stored = save_manual_evaluation(run, by="phys")
    before = (stored.n_selected, stored.results)
    assert refresh_drafts(by="phys") == 0
    stored.refresh_from_db()
    assert (stored.n_selected, stored.results) == before
    with pytest.raises(ManualEvaluationError):
        rerun(stored, by="phys")
