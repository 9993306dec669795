"""What the writer tests share: a patient, a device, a study, CT acquisitions, fluoroscopy
events and an administration to write, and helpers that walk what pydicom reads back.

Only pydicom is used to read the files back: these tests check the writers, not Kerma's parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from kerma.dicom import write as writer
from kerma.dicom.write import (
    Administration,
    CtAcquisition,
    Device,
    Patient,
    ProjectionEvent,
    Study,
)

T0 = datetime(2024, 3, 4, 10, 0)
PATIENT = Patient("123456789", "DUPONT^Jeanne", date(1960, 5, 3), "F", 63.8, 64.5, 1.63)
CHILD = Patient("987654321", "PETIT^Lea", date(2023, 9, 1), "F", 0.5, 7.2, 0.66)
DEVICE = Device(
    manufacturer="SIEMENS",
    model="SOMATOM go.Top",
    serial_number="123456",
    station_name="SCANNER2",
    device_observer_uid="1.2.826.0.1.3680043.8.498.1001",
    institution="CH DE VALMONT-SUR-LOIRE",
    department="IMAGERIE MEDICALE",
)
STUDY = Study("1.2.826.0.1.3680043.8.498.2001", "240000042", "TAP INJ", T0)


# --------------------------------------------------------------------------------------------
# helpers (pydicom only)
# --------------------------------------------------------------------------------------------
def walk(items) -> Iterator[Dataset]:
    for item in items:
        yield item
        if "ContentSequence" in item:
            yield from walk(item.ContentSequence)


def concept(item: Dataset) -> tuple[str, str]:
    code = item.ConceptNameCodeSequence[0]
    return code.CodeValue, code.CodingSchemeDesignator


def find(items, value: str, scheme: str = "DCM") -> list[Dataset]:
    return [i for i in walk(items) if concept(i) == (value, scheme)]


def children(item: Dataset, value: str, scheme: str = "DCM") -> list[Dataset]:
    return [i for i in item.ContentSequence if concept(i) == (value, scheme)]


def one(items, value: str, scheme: str = "DCM") -> Dataset:
    found = find(items, value, scheme)
    assert len(found) == 1, f"{len(found)} items ({value}, {scheme})"
    return found[0]


def numeric(item: Dataset) -> tuple[float, str]:
    measured = item.MeasuredValueSequence[0]
    return float(measured.NumericValue), measured.MeasurementUnitsCodeSequence[0].CodeValue


def coded(item: Dataset) -> tuple[str, str]:
    code = item.ConceptCodeSequence[0]
    return code.CodeValue, code.CodingSchemeDesignator


def ct_acquisitions() -> list[CtAcquisition]:
    return [
        CtAcquisition(
            "Topogram",
            "chest_abdomen_pelvis",
            "constant_angle",
            T0,
            0.15,
            9.2,
            kvp=120,
            tube_current_ma=35,
            exposure_time_s=5.3,
            scan_length_mm=600,
            event_uid="1.2.826.0.1.3680043.8.498.3001",
        ),
        CtAcquisition(
            "THORAX ARTERIEL",
            "chest",
            "spiral",
            T0 + timedelta(minutes=1),
            9.87,
            345.6,
            kvp=120,
            tube_current_ma=210,
            max_tube_current_ma=330,
            exposure_time_s=3.1,
            rotation_time_s=0.5,
            pitch=1.0,
            scan_length_mm=320,
            single_collimation_mm=0.6,
            total_collimation_mm=38.4,
            contrast=True,
            event_uid="1.2.826.0.1.3680043.8.498.3002",
        ),
        CtAcquisition(
            "TAP PORTAL",
            "chest_abdomen_pelvis",
            "spiral",
            T0 + timedelta(minutes=2),
            11.23,
            789.01,
            kvp=120,
            tube_current_ma=250,
            exposure_time_s=6.2,
            rotation_time_s=0.5,
            pitch=1.0,
            scan_length_mm=650,
            contrast=True,
            ssde_mgy=13.4,
            water_equivalent_diameter_mm=281.5,
            event_uid="1.2.826.0.1.3680043.8.498.3003",
        ),
        CtAcquisition(
            "CRANE",
            "head",
            "sequenced",
            T0 + timedelta(minutes=4),
            42.0,
            672.0,
            phantom=16,
            kvp=120,
            event_uid="1.2.826.0.1.3680043.8.498.3004",
        ),
    ]


def fluoro_events() -> list[ProjectionEvent]:
    common = dict(
        source_isocenter_mm=765,
        source_detector_mm=1100,
        table_longitudinal_mm=-12.5,
        table_lateral_mm=3.0,
        table_height_mm=180.0,
        field_width_mm=200,
        field_height_mm=200,
        field_area_m2=0.04,
        target_region="heart",
    )
    return [
        ProjectionEvent(
            "fluoroscopy",
            T0,
            1.2345,
            9.87,
            "Fluoro Cardio 15 i/s",
            primary_angle_deg=-30,
            secondary_angle_deg=0,
            kvp=74.5,
            tube_current_ma=32.1,
            pulse_width_ms=5.0,
            pulse_rate_per_s=15,
            number_of_pulses=180,
            irradiation_duration_s=12.0,
            filter_material="copper",
            filter_thickness_mm=0.9,
            event_uid="1.2.826.0.1.3680043.8.498.4001",
            **common,
        ),
        ProjectionEvent(
            "stationary",
            T0 + timedelta(seconds=30),
            3.4567,
            27.65,
            "Coro 15 i/s",
            primary_angle_deg=45,
            secondary_angle_deg=25,
            kvp=84.0,
            tube_current_ma=650,
            pulse_width_ms=6.5,
            pulse_rate_per_s=15,
            number_of_pulses=75,
            irradiation_duration_s=5.0,
            filter_material="copper",
            filter_thickness_mm=0.1,
            event_uid="1.2.826.0.1.3680043.8.498.4002",
            **common,
        ),
        ProjectionEvent(
            "fluoroscopy",
            T0 + timedelta(seconds=60),
            0.4321,
            3.21,
            "Fluoro",
            plane="B",
            primary_angle_deg=90,
            secondary_angle_deg=0,
            kvp=80,
            irradiation_duration_s=4.5,
            event_uid="1.2.826.0.1.3680043.8.498.4003",
        ),
        ProjectionEvent(
            "stationary",
            T0 + timedelta(seconds=90),
            2.0,
            15.0,
            "Coro 15 i/s",
            plane="B",
            kvp=85,
            number_of_pulses=60,
            irradiation_duration_s=4.0,
            event_uid="1.2.826.0.1.3680043.8.498.4004",
        ),
    ]


def write_ct(tmp_path: Path, **kwargs) -> Dataset:
    path = writer.write_ct_rdsr(
        tmp_path / "ct.dcm", PATIENT, DEVICE, STUDY, ct_acquisitions(), **kwargs
    )
    return pydicom.dcmread(path)


def write_fluoro(tmp_path: Path, events=None, **kwargs) -> Dataset:
    path = writer.write_projection_rdsr(
        tmp_path / "rf.dcm",
        PATIENT,
        DEVICE,
        STUDY,
        events or fluoro_events(),
        kind="fluoroscopy",
        **kwargs,
    )
    return pydicom.dcmread(path)


ADMINISTRATION = Administration(
    radionuclide="Tc-99m",
    radiopharmaceutical="Technetium Tc99m medronate",
    activity_mbq=612.5,
    start=T0,
    stop=T0 + timedelta(seconds=20),
    pre_activity_mbq=640.0,
    post_activity_mbq=27.5,
    volume_ml=1.2,
    site_laterality="R",
    event_uid="1.2.826.0.1.3680043.8.498.6001",
)
