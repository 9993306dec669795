"""The imaging unit the browser tests work on, built through the ORM in the default unit.

A radiography room with 30 adult chest exams this year (DAP 0.100…0.245 Gy·cm², so the median
of an NRD evaluation, 172.5 mGy·cm², lies between the 2019 VGD of 150 and the NRD of 200),
a CT scanner with 12 exams (DLP 200…750 mGy·cm, one a phantom) and one user per role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import create_user
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.nrd.services import add_mapping

PASSWORD = "pw-123456"
CHEST_EXAMS = 30
CT_EXAMS = 12
ROLES = ("physicist", "ran", "radiographer", "quality_manager", "inspector")


@dataclass
class UnitData:
    """What :func:`build_unit` made: the devices, exams by device, users by role."""

    room: Device
    ct: Device
    chest: list[Exam] = field(default_factory=list)
    ct_exams: list[Exam] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    year: int = 0


def _start(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 30)))


def build_unit(roles: tuple[str, ...] = ROLES) -> UnitData:
    """Create the devices, exams, the chest mapping and users of ``roles`` (named by role)."""
    unit = Unit.default()
    year = timezone.localdate().year
    start = date(year, 1, 5)
    room = Device.objects.create(
        identity_key="browser-rx",
        manufacturer="Siemens",
        model="Ysio Max",
        serial_number="RX-001",
        display_name="Salle 1 (Ysio)",
        category=Device.Category.RADIOGRAPHY,
        unit=unit,
        last_report_at=timezone.now(),
    )
    ct = Device.objects.create(
        identity_key="browser-ct",
        manufacturer="GE",
        model="Revolution",
        serial_number="CT-001",
        display_name="Scanner A (Revolution)",
        category=Device.Category.CT,
        unit=unit,
        last_report_at=timezone.now(),
    )
    add_mapping(by="phys", pattern="THORAX", act_code="RX-THORAX-PA", device=room)
    data = UnitData(room=room, ct=ct, year=year)
    for k in range(CHEST_EXAMS):
        day = start + timedelta(days=k)
        dap = (100.0 + 5 * k) / 1000  # Gy·cm²
        exam = Exam.objects.create(
            study_uid=f"1.2.250.1.rx.{k}",
            accession_number=f"RX{k:04d}",
            study_date=day,
            study_time="093000",
            modality="DX",
            device=room,
            procedure="THORAX FACE",
            event_count=1,
            age_years=30.0 + k,
            sex="F" if k % 2 else "M",
            weight_kg=60.0 + k % 15,
            height_m=1.70,
            dap_total_gycm2=dap,
        )
        Event.objects.create(
            exam=exam,
            uid=f"ev.rx.{k}",
            kind="projection",
            event_type="stationary",
            started=_start(day, 9),
            protocol="Thorax PA",
            target_region="Chest",
            dap_gycm2=dap,
            kvp_kv=125.0,
            exposure_mas=2.5,
        )
        data.chest.append(exam)
    for k in range(CT_EXAMS):
        day = start + timedelta(days=2 * k)
        dlp, ctdi = 200.0 + 50 * k, 5.0 + k
        exam = Exam.objects.create(
            study_uid=f"1.2.250.1.ct.{k}",
            accession_number=f"CT{k:04d}",
            study_date=day,
            study_time="141500",
            modality="CT",
            device=ct,
            procedure="TDM THORAX" if k % 2 else "ABDOMEN-PELVIS INJ",
            event_count=1,
            age_years=40.0 + k,
            sex="M" if k % 2 else "F",
            weight_kg=75.0,
            height_m=1.75,
            dlp_total_mgycm=dlp,
            ctdivol_max_mgy=ctdi,
            is_test=k == CT_EXAMS - 1,  # a phantom: kept out of the list unless asked for
        )
        Event.objects.create(
            exam=exam,
            uid=f"ev.ct.{k}",
            kind="ct",
            started=_start(day, 14),
            protocol="Thorax" if k % 2 else "Abdomen",
            target_region="Chest",
            acquisition_type="spiral",
            ctdivol_mgy=ctdi,
            dlp_mgycm=dlp,
            phantom_cm=32,
            kvp_kv=120.0,
        )
        data.ct_exams.append(exam)
    for role in roles:
        data.users[role] = create_user(role, PASSWORD, role, [unit])
    return data
