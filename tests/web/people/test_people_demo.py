"""The demo's people: statuses of the team, qualifications to do, the seeds' TAVI assessment,
the cath lab's volume taken from the database; idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device, Exam
from kerma.web.people.demo import seed_people_demo
from kerma.web.people.models import Person, StaffAssessment
from kerma.web.people.services import qualifications_to_do_of, training_of

pytestmark = pytest.mark.django_db
TODAY = date(2026, 5, 15)


def test_demo_team_and_assessments():
    cath = Device.objects.create(
        identity_key="cath", model="Azurion 7 M12", category=Device.Category.FLUOROSCOPY,
        unit=Unit.default(),
    )
    for i in range(73):
        Exam.objects.create(
            study_uid=f"1.2.3.{i}", study_date=TODAY - timedelta(days=5 * i), modality="XA",
            device=cath, patient_key=f"{i:064d}", procedure="ANGIOPLASTIE CORONAIRE",
            dap_total_gycm2=60.0 + i,
        )
    done = seed_people_demo(TODAY)
    assert done == {"people": 9, "assessments": 2}
    rows = training_of(Person.objects.all(), TODAY)
    status = {r.person.name: r.status.status.value for r in rows}
    assert status["Sophie Martin"] == "expired"
    assert status["Dr Anne Leroy"] == "expiring" and status["Dr Claire Fabre"] == "expiring"
    assert status["Dr Hugo Lambert"] == "missing"
    assert status["Dr Paul Mercier"] == "valid"  # radiologist in PIR: 10 years
    assert list(status.values()).count("valid") == 5
    newcomer = Person.objects.get(name="Laura Girard")
    assert [n.code for n in qualifications_to_do_of(newcomer)] == ["people.qualification.newcomer"]
    tavi = StaffAssessment.objects.get(title__startswith="TAVI")
    assert (tavi.result["whole_body_msv"], tavi.result["extremities_msv"],
            tavi.result["lens_msv"]) == (3.6, 104.5, 44.25)
    assert tavi.result["category"] == "A" and tavi.result["over_limit"] == ["lens"]
    # Lead glasses at both ends of the published range (Fetterly et al. 2017): 62 % brings the
    # lens under 20 mSv (55 % needed), 27 % does not.
    fixes = [f["protection"] for f in tavi.result["fixes"]]
    assert len(fixes) == 1 and fixes[0].startswith("lunettes plombées — 62 %")
    assert "Fetterly" in fixes[0] and "Fetterly" in tavi.notes
    assert {c["attenuation"]["lens"] for c in tavi.candidates} == {0.27, 0.62}
    assert tavi.result["required_attenuation"]["lens"] == pytest.approx(1 - 20 / 44.25, abs=1e-4)
    coronary = StaffAssessment.objects.get(volume_source="database")
    assert coronary.volume == pytest.approx(73 * 365 / 366)
    assert seed_people_demo(TODAY) == {"people": 0, "assessments": 0}
