"""Fixtures of the patients tests: two units, users of each role, CT/XA/NM exams of a patient
in the main unit and one in the other unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from tests.web.followup import conftest as followup_fixtures

from kerma.web.accounts.roles import create_user
from kerma.web.dose.models import Device, Event, Exam

PASSWORD = followup_fixtures.PASSWORD
_django_ready = followup_fixtures._django_ready
_fast_passwords = followup_fixtures._fast_passwords
units = followup_fixtures.units

KEY = "a" * 64
OTHER_KEY = "b" * 64
# Dates relative to today: the pages look back 12 months, the record 5 years.
TODAY = date.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


WOMAN = "c" * 64


@pytest.fixture
def login(client, units) -> Callable[..., Any]:
    """``login(role, unit="main")`` → the test client signed in as a user of that role."""

    def make(role: str, unit: str = "main") -> Any:
        client.force_login(create_user(f"{role}-{unit}", PASSWORD, role, [units[unit]]))
        return client

    return make


def _device(units: dict, key: str, unit: str, category: str, model: str) -> Device:
    return Device.objects.create(identity_key=key, manufacturer="ACME", model=model,
                                 serial_number=key.upper(), station_name=key, category=category,
                                 unit=units[unit])


@pytest.fixture
def exams(units) -> dict[str, Exam]:
    """A patient (KEY) with a chest CT (500 mGy.cm, 40 y), a coronary angiography (20 Gy.cm²)
    and an FDG PET (250 MBq); a woman of 30 with an unchecked CT; a child of 4; an exam of
    another unit (OTHER_KEY)."""
    ct = _device(units, "ct1", "main", Device.Category.CT, "Scan")
    cath = _device(units, "cath1", "main", Device.Category.FLUOROSCOPY, "Cath")
    pet = _device(units, "pet1", "main", Device.Category.PET, "Pet")
    far = _device(units, "ct9", "other", Device.Category.CT, "Far")

    def exam(uid: str, device: Device, modality: str, day: date, key: str, **values) -> Exam:
        return Exam.objects.create(study_uid=uid, device=device, modality=modality,
                                   study_date=day, patient_key=key, **values)

    made = {
        "ct": exam("1.1", ct, "CT", ago(120), KEY, age_years=40, sex="M",
                   procedure="CT THORAX", dlp_total_mgycm=500.0, ctdivol_max_mgy=10.0,
                   weight_kg=70.0, height_m=1.75),
        "xa": exam("1.2", cath, "XA", ago(90), KEY, age_years=40, sex="M",
                   procedure="Coronarographie", dap_total_gycm2=20.0, kar_total_mgy=300.0,
                   fluoro_time_s=240.0),
        "pet": exam("1.3", pet, "PT", ago(60), KEY, age_years=40, sex="M",
                    procedure="TEP FDG", activity_mbq=250.0, radionuclide="^18^Fluorine",
                    radiopharmaceutical="Fluorodeoxyglucose F^18^"),
        "woman": exam("1.4", ct, "CT", ago(20), WOMAN, age_years=30, sex="F",
                      procedure="CT ABDOMEN", dlp_total_mgycm=400.0),
        "child": exam("1.5", ct, "CT", ago(10), "d" * 64, age_years=4, sex="F",
                      weight_kg=16.0, procedure="CT CRANE", dlp_total_mgycm=300.0),
        "far": exam("1.9", far, "CT", ago(30), OTHER_KEY, age_years=35, sex="F",
                    procedure="CT THORAX", dlp_total_mgycm=300.0),
    }
    Event.objects.create(exam=made["ct"], uid="e1", kind="ct", target_region="Chest",
                         dlp_mgycm=500.0, ctdivol_mgy=10.0, phantom_cm=32,
                         water_equivalent_diameter_mm=300.0, kvp_kv=120.0)
    Event.objects.create(exam=made["pet"], uid="e2", kind="nm", activity_mbq=250.0,
                         route="Intravenous route")
    return made
