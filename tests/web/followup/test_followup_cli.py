"""``kerma followup recompute`` and ``kerma followup list`` in process on the test database."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from kerma.cli.followup import followup_app
from kerma.web.followup.models import Alert, SkinDoseMap

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(followup_app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_recompute_then_list(room, procedure):
    device = room()
    procedure(device, date(2025, 1, 10), kar=6000.0)
    procedure(device, date(2024, 12, 1), kar=100.0, patient="q")
    code, out = run("recompute", "--since", "2025-01-01")
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["exams"] == 1
    assert Alert.objects.filter(quantity="kar").count() == 1
    assert SkinDoseMap.objects.count() == 1  # the 2024 exam was not in the period
    code, _ = run("recompute")
    assert code == 0 and Alert.objects.filter(quantity="kar").count() == 1  # no duplicate

    code, out = run("list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 1
    assert rows[0]["state"] == "open" and float(rows[0]["max_kar_mgy"]) == 6000.0
    code, out = run("list", "--state", "closed", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, _ = run("list", "--format", "xml")
    assert code == 2
