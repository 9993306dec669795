"""The quality commands' JSON contract, in process on the test database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from kerma.cli.main import app
from kerma.web.quality.models import (
    ControlRecord,
    EquipmentRecord,
    Periodicity,
    QualityAction,
    SystemicAnalysis,
)

pytestmark = pytest.mark.django_db
runner = CliRunner()

EVENT_KEYS = {
    "id",
    "detected_on",
    "recorded_on",
    "description",
    "circumstances",
    "consequences",
    "person_informed",
    "category",
    "device",
    "analysis",
}
ANALYSIS_KEYS = {"participants", "chronology", "method", "causes", "failed_barriers", "actions"}
ACTION_KEYS = {"source", "title", "owner", "due_on", "status", "done_on"}


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def _nrd_action(device) -> None:  # noqa: ANN001
    from kerma.web.nrd.models import CorrectiveAction, Evaluation

    evaluation = Evaluation(
        device=device,
        act_code="CT-THORAX",
        population="adult",
        family="ct",
        reference_set="2019-DC-0667",
        required_n=30,
        period_from=date(2025, 1, 1),
        period_to=date(2025, 6, 30),
        created_by="physicien",
    )
    evaluation.save()
    CorrectiveAction(
        evaluation=evaluation,
        description="Réduire le mAs de référence",
        owner="physicien",
        due_date=date(2025, 9, 1),
        created_by="physicien",
    ).save()


def test_events_list_json_keys_with_and_without_analysis(event, device):
    ct = device()
    plain = event(device=ct)
    analysed = event(description="Erreur de patient", severity=4)
    SystemicAnalysis(
        event=analysed,
        participants="MERM\nRadiologue",
        chronology="08:10 appel ; 08:20 examen",
        method="alarm",
        causes="immediate ; human ; identitovigilance non faite",
        failed_barriers="double vérification de l'identité",
    ).save()
    QualityAction(
        unit=analysed.unit, source="event", event=analysed, title="Former", owner="qualite-main"
    ).save()
    code, out = run("events", "list", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows[plain.pk]) >= EVENT_KEYS and rows[plain.pk]["analysis"] is None
    assert rows[plain.pk]["device"] == "CT1"
    analysis = rows[analysed.pk]["analysis"]
    assert set(analysis) >= ANALYSIS_KEYS
    assert analysis["participants"] == ["MERM", "Radiologue"]
    assert analysis["causes"][0] == {
        "level": "immediate",
        "nature": "human",
        "text": "identitovigilance non faite",
    }
    assert analysis["actions"][0]["title"] == "Former"


def test_events_import_round_trips_the_json(event, tmp_path, units):
    first = event(description="Double acquisition")
    SystemicAnalysis(
        event=first, participants="A", chronology="c", method="orion", causes=""
    ).save()
    _code, out = run("events", "list", "--json")
    path = tmp_path / "events.json"
    path.write_text(out)
    first.analysis.delete()
    first.delete()
    code, out = run("events", "import", str(path), "--unit", "main")
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["created"] == 1
    _code, again = run("events", "list", "--json")
    row = json.loads(again)[0]
    assert row["description"] == "Double acquisition" and row["analysis"]["method"] == "orion"
    code, out = run("events", "import", str(path), "--unit", "main")
    assert json.loads(out.strip().splitlines()[-1])["skipped"] == 1


def test_events_import_csv_template_reports_bad_lines(tmp_path, units):
    path = tmp_path / "registre.csv"
    path.write_text(
        "date de détection;description;catégorie;gravité\n"
        "14/03/2025;Scanner répété;humain;2\n"
        "2025-03-15;Sans catégorie;inconnue;2\n",
        encoding="utf-8",
    )
    code, out = run("events", "import", str(path))
    assert code == 1 and "no unit given" in out  # two units: the file or --unit says which
    code, out = run("events", "import", str(path), "--unit", "main")
    assert code == 1
    result = json.loads(out.strip().splitlines()[-1])
    assert result["created"] == 1 and "line 3" in result["errors"][0]


def test_actions_list_every_source_in_one_list(event, device, units):
    ct = device()
    _nrd_action(ct)
    analysed = event()
    today = timezone.localdate()
    QualityAction(
        unit=units["main"],
        source="event",
        event=analysed,
        title="Revoir la check-list",
        owner="qualite-main",
        due_on=today - timedelta(days=1),
    ).save()
    QualityAction(
        unit=units["main"],
        source="inspection",
        inspection_letter="CODEP-XXX-2025-001",
        title="Transmettre le plan d'organisation de la physique médicale",
        owner="ran-main",
        due_on=today + timedelta(days=30),
        status="done",
        done_on=today,
    ).save()
    code, out = run("actions", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {r["source"] for r in rows} == {"nrd", "event", "inspection"}
    for row in rows:
        assert set(row) >= ACTION_KEYS
    assert rows[0]["source"] in ("event", "nrd") and rows[0]["overdue"]
    done = next(r for r in rows if r["source"] == "inspection")
    assert done["status"] == "done" and done["done_on"] == today.isoformat()


def test_equipment_due_per_device(device, units):
    ct = device()
    Periodicity(
        unit=units["main"], device_type="ct", kind="external_qc", months=12, source="décision ANSM"
    ).save()
    EquipmentRecord(device=ct, acceptance_test_on=date(2024, 1, 10), in_clinical_use=True).save()
    ControlRecord(device=ct, kind="external_qc", done_on=date(2025, 2, 1)).save()
    code, out = run("equipment", "due", "--on", "2026-02-01", "--json")
    assert code == 0
    row = json.loads(out)[0]
    control = row["controls"][0]
    assert {"kind", "last_done", "next_due", "overdue"} <= set(control)
    assert control == control | {
        "kind": "external_qc",
        "last_done": "2025-02-01",
        "next_due": "2026-02-01",
        "overdue": False,
    }
    _code, out = run("equipment", "due", "--on", "2026-02-02", "--json")
    assert json.loads(out)[0]["controls"][0]["overdue"] is True
