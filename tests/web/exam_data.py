"""Exams of two units for the exams list and export tests: each value chosen to sit on a
filter's bound, so that a test can straddle it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device, Event, Exam, Report
from kerma.web.nrd.services import add_mapping


def _device(unit: Unit, key: str, category: str, model: str) -> Device:
    return Device.objects.create(
        identity_key=key,
        manufacturer="ACME",
        model=model,
        serial_number=key.upper(),
        display_name=f"{model} {key}",
        category=category,
        unit=unit,
    )


def _exam(key: str, device: Device, modality: str, day: date | None, **values) -> Exam:
    values.setdefault("study_time", "100000")
    return Exam.objects.create(
        study_uid=f"1.2.250.{key}",
        modality=modality,
        device=device,
        study_date=day,
        patient_key=f"{key:0>64}",
        patient_id=f"PID-{key}",  # stored by a site that opted in: never exported
        patient_name=f"DOE^{key.upper()}",
        **values,
    )


def build() -> dict[str, object]:
    """Two units; the user of the tests belongs to "north". Returns devices and exams by name."""
    north = Unit.objects.create(code="north", name="Imagerie Nord")
    south = Unit.objects.create(code="south", name="Imagerie Sud")
    ct = _device(north, "ct1", Device.Category.CT, "Scanner")
    dx = _device(north, "dx1", Device.Category.RADIOGRAPHY, "Salle")
    mg = _device(north, "mg1", Device.Category.MAMMOGRAPHY, "Mammo")
    rf = _device(north, "rf1", Device.Category.MOBILE_CARM, "Arceau")
    nm = _device(north, "nm1", Device.Category.NUCLEAR_MEDICINE, "Gamma")
    other = _device(south, "dx9", Device.Category.RADIOGRAPHY, "Salle Sud")
    exams = {
        # age 17.9 (a child), BMI 60 / 1.6² = 23.44
        "ct1": _exam("ct1", ct, "CT", date(2024, 3, 5), study_time="101500", sex="F",
                     age_years=17.9, weight_kg=60.0, height_m=1.60, procedure="TAP C+",
                     dlp_total_mgycm=500.0, ctdivol_max_mgy=10.0, event_count=2),
        # age 18.0 (an adult), BMI 90 / 1.8² = 27.78
        "ct2": _exam("ct2", ct, "CT", date(2024, 3, 6), sex="M", age_years=18.0,
                     weight_kg=90.0, height_m=1.80, procedure="CRANE SANS IV",
                     dlp_total_mgycm=1000.5, ctdivol_max_mgy=50.0),
        "dx1": _exam("dx1", dx, "DX", date(2024, 3, 4), sex="F", age_years=65.5,
                     procedure="Thorax face", dap_total_gycm2=0.1),
        # BMI 70 / 1.75² = 22.86
        "dx2": _exam("dx2", dx, "DX", date(2024, 4, 1), sex="M", age_years=66.0,
                     weight_kg=70.0, height_m=1.75, procedure="BASSIN FACE",
                     dap_total_gycm2=0.25),
        "mg": _exam("mg", mg, "MG", date(2024, 2, 1), sex="F", age_years=50.0,
                    procedure="MAMMOGRAPHIE", agd_left_mgy=1.2, agd_right_mgy=2.0),
        "rf": _exam("rf", rf, "RF", date(2024, 1, 15), sex="O", age_years=70.0,
                    procedure="CHOLANGIO", dap_total_gycm2=20.0, kar_total_mgy=100.0,
                    fluoro_time_s=125.0),
        "nm": _exam("nm", nm, "NM", date(2024, 1, 10), sex="F", age_years=40.0,
                    procedure="SCINTIGRAPHIE OSSEUSE", activity_mbq=500.0,
                    radionuclide="Tc-99m"),
        "test": _exam("test", dx, "DX", date(2024, 3, 10), procedure="QC THORAX",
                      dap_total_gycm2=0.1, is_test=True),
        "south_exam": _exam("south", other, "DX", date(2024, 3, 7), sex="F", age_years=50.0,
                       procedure="THORAX FACE", dap_total_gycm2=0.1),
    }  # fmt: skip
    report = Report.objects.create(
        sop_instance_uid="1.2.250.ct1.9",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        exam=exams["ct1"],
        source="rdsr",
        modality="CT",
        content_datetime=datetime(2024, 3, 5, 10, 30, tzinfo=UTC),
        sha256="0" * 64,
        archive_path="archive/2024/03/ct1.dcm.gz",
        original_name="CT_DOSE_REPORT_0001.dcm",
        event_count=2,
    )
    Event.objects.create(
        exam=exams["ct1"], report=report, uid="e1", kind="ct", protocol="Topogram",
        acquisition_type="constant_angle", kvp_kv=120,
    )  # fmt: skip
    Event.objects.create(
        exam=exams["ct1"], report=report, uid="e2", kind="ct", protocol="TAP portal",
        acquisition_type="spiral", ctdivol_mgy=10.0, dlp_mgycm=496.0, pitch=0.98,
        scan_length_mm=620,
    )  # fmt: skip
    # Acts: a rule for every device, and one of the radiography room only.
    add_mapping(by="test", pattern="TAP", act_code="CT-TAP", refresh=False)
    add_mapping(by="test", pattern="THORAX", act_code="RX-THORAX-PA", device=dx, refresh=False)
    return {"north": north, "south": south, "ct": ct, "dx": dx, "other": other, **exams}
