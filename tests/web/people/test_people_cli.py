"""``kerma people``, ``kerma training`` and ``kerma staff`` in process on the test database:
the JSON keys are the contract."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from kerma.cli.main import app
from kerma.web.people.audit import AuditEntry
from kerma.web.people.models import Person, StaffAssessment, TrainingNotice

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_people_and_training(units):
    code, _ = run("people", "add", "Dr Cœur", "--profession", "cardiologist",
                  "--domain", "interventional", "--by", "rh")
    assert code == 0
    code, _ = run("people", "add", "Dr Image", "--profession", "radiologist",
                  "--domain", "interventional", "--domain", "ct")
    code, _ = run("people", "add", "Sans", "--profession", "nurse")
    assert code == 0
    code, out = run("people", "list", "--json")
    rows = json.loads(out)
    assert {"id", "name", "profession", "domains", "units"} <= set(rows[0])
    assert [r["name"] for r in rows] == ["Dr Cœur", "Dr Image", "Sans"]
    assert AuditEntry.objects.filter(object_type="person", actor="rh").exists()
    assert run("people", "add", "X", "--profession", "astronaut")[0] == 2
    assert run("people", "add", "X", "--profession", "nurse", "--domain", "space")[0] == 2

    assert run("training", "add", "Dr Cœur", "--on", "2019-03-01")[0] == 0
    assert run("training", "add", "Dr Image", "--on", "2019-03-01",
               "--organisation", "G4")[0] == 0
    assert run("training", "add", "Personne", "--on", "2019-03-01")[0] == 2
    code, out = run("training", "status", "--on", "2026-03-02", "--json")
    status = {r["name"]: r for r in json.loads(out)}
    assert {"valid_until", "status"} <= set(status["Dr Cœur"])
    assert status["Dr Cœur"]["valid_until"] == "2026-03-01"  # 7 years (PIR)
    assert status["Dr Cœur"]["status"] == "expired"
    assert status["Dr Image"]["valid_until"] == "2029-03-01"  # radiologist in PIR: 10 years
    assert status["Dr Image"]["status"] == "valid"
    assert status["Sans"]["status"] == "missing" and status["Sans"]["valid_until"] is None
    _, out = run("training", "status", "--on", "2026-03-01", "--json")
    assert {r["name"]: r["status"] for r in json.loads(out)}["Dr Cœur"] == "expiring"


def test_staff_assess_from_a_saved_assessment(units):
    row = StaffAssessment(
        unit=units["main"], title="TAVI", procedure="TAVI", position="opérateur",
        dose_whole_body_usv=3600 / 0.03 / 470, dose_extremities_usv=104500 / 470,
        dose_lens_usv=44250 / 470, reference_distance_cm=40, working_distance_cm=40,
        volume=470, dose_source="seed", protections=[
            {"name": "protection", "kind": "collective", "attenuation": {"whole_body": 0.97}}
        ],
    )
    row.save()
    code, out = run("staff", "assess", "--assessment", str(row.pk), "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["whole_body_msv"], data["extremities_msv"], data["lens_msv"]) == (
        3.6, 104.5, 44.25,
    )
    # The same with another volume: options override the saved inputs.
    _, out = run("staff", "assess", "--assessment", str(row.pk), "--volume", "235", "--json")
    assert json.loads(out)["lens_msv"] == 22.125
    assert Person.objects.count() == 0


def test_training_expiry_mailed_once(smtp, units, person):
    from kerma.web.accounts.roles import INSPECTOR, QUALITY_MANAGER, create_user

    create_user("qm", "pw", QUALITY_MANAGER, [units["main"]], email="qualite@example.org")
    create_user("insp", "pw", INSPECTOR, [units["main"]], email="asn@example.org")
    create_user("qm2", "pw", QUALITY_MANAGER, [units["other"]], email="ailleurs@example.org")
    person("Expirée", "nurse", ("interventional",), certificate=date(2015, 1, 1),
           email="expiree@example.org")
    person("Valide", certificate=date(2024, 1, 1), email="valide@example.org")
    code, out = run("training", "notify", "--on", "2025-06-01")
    assert code == 0 and json.loads(out) == {"sent": 2}
    received = sorted(r for m in smtp.messages for r in m["to"])
    assert received == ["expiree@example.org", "qualite@example.org"]
    assert "Expirée" in smtp.messages[0]["data"]
    _, out = run("training", "notify", "--on", "2025-06-02")
    assert json.loads(out) == {"sent": 0}
    assert TrainingNotice.objects.filter(sent_at__isnull=False).count() == 2


def test_staff_assess_with_the_volume_of_the_database(units):
    from datetime import timedelta

    from kerma.web.dose.models import Device, Exam

    cath = Device.objects.create(identity_key="cath", model="Azurion", unit=units["main"])
    first = date(2025, 1, 1)
    for i in range(40):
        Exam.objects.create(
            study_uid=f"1.2.9.{i}", study_date=first + timedelta(days=9 * i), modality="XA",
            device=cath, patient_key=f"{i:064d}",
            procedure="TAVI" if i % 2 else "CORONAROGRAPHIE", dap_total_gycm2=float(i),
        )
    code, out = run(
        "staff", "assess", "--device", str(cath.pk), "--act", "tavi", "--from", "2025-01-01",
        "--to", "2025-12-31", "--distance-cm", "50", "--reference-distance-cm", "100",
        "--scatter", "whole_body=2,lens=1", "--scatter-source", "mesure du service", "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert data["activity"]["exams"] == 20 and data["activity"]["yearly_volume"] == 20.0
    # median DAP of the TAVI (odd i: 1, 3 … 39) = 20 Gy·cm²; ×2 µSv/Gy·cm² at 1 m → 40 µSv,
    # ×4 at 50 cm = 160 µSv, ×20 a year = 3.2 mSv whole body; lens 1.6 mSv.
    assert data["activity"]["median_dap_gycm2"] == 20.0
    assert data["whole_body_msv"] == 3.2 and data["lens_msv"] == 1.6
    assert data["category"] == "B"
    assert run("staff", "assess", "--device", str(cath.pk), "--json")[0] == 2
