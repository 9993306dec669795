"""``kerma nrd`` and ``kerma reference``: in process on the test database (CliRunner), and once
as a real process with its own KERMA_HOME and SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kerma.cli.nrd import nrd_app
from kerma.cli.reference import reference_app
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.models import Evaluation

pytestmark = pytest.mark.django_db

ABOVE = [100.0 + 10 * k for k in range(30)]
runner = CliRunner()


def nrd(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(nrd_app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def reference(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(reference_app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def evaluate_args(device_id: int, *extra: str) -> list[str]:
    return [
        "evaluate", "--device", str(device_id), "--act", "RX-THORAX-PA", "--population", "adult",
        "--from", "2024-01-01", "--to", "2024-12-31", *extra,
    ]  # fmt: skip


def test_evaluate_json(rx_unit):
    unit = rx_unit(ABOVE)
    code, out, err = nrd(*evaluate_args(unit["device"].pk, "--json"))
    assert code == 0, err
    data = json.loads(out)
    assert data["device"]["id"] == unit["device"].pk
    assert (data["act"], data["population"], data["required_n"]) == ("RX-THORAX-PA", "adult", 30)
    assert [s["study_uid"] for s in data["selected"]] == unit["selected"]
    assert all(set(s) >= {"study_uid", "event_uid", "values"} for s in data["selected"])
    assert data["excluded"][0] == {**data["excluded"][0], "study_uid": "x.bmi39"}
    assert {"study_uid", "reason"} <= set(data["excluded"][0])
    (result,) = data["results"]
    assert {k: result[k] for k in ("quantity", "unit", "median", "vgd", "nrd", "status")} == {
        "quantity": "dap",
        "unit": "mGy.cm2",
        "median": 245.0,
        "vgd": 150.0,
        "nrd": 200.0,
        "status": "above_nrd",
    }
    assert not Evaluation.objects.exists()  # no --save: nothing stored
    code, out, _ = nrd(*evaluate_args(unit["device"].pk))
    assert code == 0 and "above_nrd" in out and "x.bmi39" in out


def test_workflow_save_analyse_act_sign_export(rx_unit, tmp_path):
    unit = rx_unit(ABOVE)
    code, out, err = nrd(*evaluate_args(unit["device"].pk, "--save", "--json", "--by", "phys"))
    assert code == 0, err
    evaluation_id = json.loads(out)["id"]
    code, _, err = nrd("sign", str(evaluation_id), "--by", "ran")
    assert code == 1 and "analysis is missing" in err
    assert nrd("analyse", str(evaluation_id), "--text", "Above the NRD", "--by", "phys")[0] == 0
    action = ["action", str(evaluation_id), "--description", "Revise the chart"]
    assert nrd(*action, "--owner", "Tech", "--due", "2025-03-31", "--by", "phys")[0] == 0
    code, _, err = nrd("sign", str(evaluation_id), "--by", "ran")
    assert code == 0, err
    code, _, err = nrd("analyse", str(evaluation_id), "--text", "changed", "--by", "phys")
    assert code == 1 and "cannot be changed" in err
    shown = json.loads(nrd("show", str(evaluation_id), "--json")[1])
    assert shown["signed_by"] == "ran" and shown["analysis"] == "Above the NRD"
    assert shown["actions"][0]["owner"] == "Tech"
    code, out, _ = nrd("supersede", str(evaluation_id), "--by", "phys")
    assert code == 0 and int(out.strip()) == evaluation_id + 1
    listed = json.loads(nrd("list", "--json")[1])
    assert [(i["id"], i["superseded_by"]) for i in listed][-1] == (evaluation_id, evaluation_id + 1)

    target = tmp_path / "irsn.xlsx"
    code, out, err = nrd("export", str(evaluation_id), "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    rows = list(load_workbook(target, read_only=True)["Patients"].iter_rows(values_only=True))
    assert len(rows) == 31 and rows[1][rows[0].index("Étude (UID)")] == "e00"
    csv_target = tmp_path / "irsn.csv"
    assert nrd("export", str(evaluation_id), "--format", "csv", "--output", str(csv_target))[0] == 0
    assert len(csv_target.read_text(encoding="utf-8-sig").splitlines()) == 31
    assert nrd("export", str(evaluation_id), "--format", "pdf")[0] == 2
    actors = set(
        AuditEntry.objects.filter(object_type="evaluation").values_list("actor", flat=True)
    )
    assert actors == {"phys", "ran"}


def test_plan_json(rx_unit):
    unit = rx_unit(ABOVE)
    nrd(*evaluate_args(unit["device"].pk, "--save", "--by", "phys"))
    code, out, err = nrd("plan", "--year", "2024", "--as-of", "2025-01-10", "--json")
    assert code == 0, err
    plan = json.loads(out)
    room = [i for i in plan["items"] if i["device"]["id"] == unit["device"].pk]
    assert [(i["requirement"], i["status"]) for i in room] == [
        ("unit_adult_acts", "done"),
        ("five_year", "done"),
    ]
    assert room[0]["act"]["code"] == "RX-THORAX-PA" and room[0]["evaluation_id"] is not None
    paediatric = [i for i in plan["items"] if i["population"] == "paediatric"]
    assert paediatric and all(i["status"] == "not_required" for i in paediatric)
    assert "not_signed" in {f["code"] for f in plan["flags"]}
    code, out, _ = nrd("plan", "--year", "2024", "--as-of", "2025-01-10")
    assert code == 0 and "not signed off" in out


def test_map_unmapped_and_mappings(rx_unit):
    unit = rx_unit(ABOVE, mapping=False)
    device = str(unit["device"].pk)
    code, out, _ = nrd("unmapped", "--device", device, "--json")
    names = json.loads(out)
    assert code == 0 and names[0]["name"] == "THORAX FACE" and names[0]["count"] == 40
    assert names[0]["suggestions"][0]["act"] == "RX-THORAX-PA"
    code, out, err = nrd("map", "--device", device, "--pattern", "THORAX", "--act", "RX-THORAX-PA",
                         "--json", "--by", "phys")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["act"] == "RX-THORAX-PA"
    remaining = json.loads(nrd("unmapped", "--device", device, "--json")[1])
    assert [n["name"] for n in remaining] == ["ASP", "GENOU FACE"]
    code, _, err = nrd("map", "--device", device, "--pattern", "(", "--act", "RX-ASP",
                       "--kind", "regex")  # fmt: skip
    assert code == 1 and "invalid regular expression" in err
    assert nrd("map", "--pattern", "ASP", "--act", "NOPE")[0] == 2
    rules = json.loads(nrd("mappings", "--json")[1])
    assert [(r["pattern"], r["act"]) for r in rules] == [("THORAX", "RX-THORAX-PA")]
    assert nrd("unmap", str(rules[0]["id"]), "--by", "phys")[0] == 0
    assert json.loads(nrd("mappings", "--json")[1]) == []
    assert nrd("unmapped", "--device", "999999")[0] == 2


def test_reference_import_list_use(tmp_path):
    good = tmp_path / "local-ct.csv"
    good.write_text(
        "act_code,act_label,modality,population,quantity,unit,nrd,vgd,source\n"
        "CT-TAP,Thorax-abdomen-pelvis,ct,adult,dlp,mGy.cm,800,600,test value only\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "act_code,act_label,modality,population,quantity,unit,nrd,vgd,source\n"
        "CT-TAP,Thorax-abdomen-pelvis,ct,adult,dlp,mGy.cm,600,800,test\n",
        encoding="utf-8",
    )
    code, _, err = reference("import", str(bad))
    assert code == 2 and "bad.csv, line 2, field 'vgd'" in err
    code, out, err = reference("import", str(good), "--citation", "test", "--json", "--by", "phys")
    assert code == 0, err
    assert json.loads(out)["version"] == 1
    assert reference("use", "local-ct", "--family", "ct", "--by", "ran")[0] == 0
    listed = {r["name"]: r for r in json.loads(reference("list", "--json")[1])}
    assert listed["local-ct"]["used_for"] == ["ct"]
    assert "radiography" in listed["fr-2019-DC-0667"]["used_for"]
    assert reference("use", "no-such-set")[0] == 2
    assert reference("use", "local-ct", "--family", "dentistry")[0] == 2


def test_unknown_device_and_bad_dates():
    assert nrd(*evaluate_args(999999))[0] == 2
    args = evaluate_args(1)
    args[args.index("2024-01-01")] = "01/01/2024"
    assert nrd(*args)[0] == 2


SEED = """
from datetime import date
from kerma.web.bootstrap import setup
setup()
from kerma.web.dose.models import Device, Event, Exam
room = Device.objects.create(identity_key="rx", category="radiography", display_name="Salle 1")
for k in range(31):
    exam = Exam.objects.create(study_uid=f"s{k:02d}", study_date=date(2024, 2, 1 + k % 28),
        study_time=f"{8 + k // 28:02d}0000", modality="DX", device=room, age_years=40.0,
        weight_kg=70.0, height_m=1.75, procedure="THORAX PA")
    Event.objects.create(exam=exam, uid=f"e{k}", kind="projection", event_type="stationary",
        protocol="Thorax PA", dap_gycm2=0.1 + k / 1000)
print(room.pk)
"""


def test_as_a_real_process_with_its_own_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env.update(KERMA_HOME=str(tmp_path / "home"), COLUMNS="200", KERMA_USER="physicist")

    def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip

    nrd_main = "from kerma.cli.nrd import nrd_app; nrd_app()"
    seeded = run(SEED)
    assert seeded.returncode == 0, seeded.stderr
    device = seeded.stdout.strip()
    mapped = run(nrd_main, "map", "--device", device, "--pattern", "THORAX", "--act",
                 "RX-THORAX-PA")  # fmt: skip
    assert mapped.returncode == 0, mapped.stderr
    result = run(nrd_main, *evaluate_args(int(device), "--save", "--json"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["selected"]) == 30 and data["created_by"] == "physicist"
    assert data["results"][0]["status"] == "below_vgd"  # median 114.5 mGy·cm² < 150
    listed = run("from kerma.cli.reference import reference_app; reference_app()", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["name"] for r in json.loads(listed.stdout)} >= {"fr-2019-DC-0667", "fr-2011-arrete"}
    assert Path(env["KERMA_HOME"], "kerma.sqlite3").is_file()
