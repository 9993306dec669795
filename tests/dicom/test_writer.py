"""The DICOM writers produce objects that pydicom reads back with the expected content.

Only pydicom is used to read the files back: these tests check the writer, not Kerma's parser.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from kerma.demo import DEMO_DEVICES, generate_demo
from kerma.dicom import codes
from kerma.dicom import write as writer
from kerma.dicom.write import (
    Administration,
    CtAcquisition,
    Device,
    Patient,
    ProjectionEvent,
    Study,
)
from kerma.dicom.write.encoder import Encoder, code_dataset

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


# --------------------------------------------------------------------------------------------
# CT
# --------------------------------------------------------------------------------------------
def test_ct_report_is_an_xray_radiation_dose_sr(tmp_path):
    ds = write_ct(tmp_path, sop_instance_uid="1.2.826.0.1.3680043.8.498.5001")
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.SOPClassUID == writer.XRAY_RDSR_SOP_CLASS == "1.2.840.10008.5.1.4.1.1.88.67"
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert ds.SOPInstanceUID == "1.2.826.0.1.3680043.8.498.5001"
    assert ds.Modality == "SR"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10011"
    assert ds.ContentTemplateSequence[0].MappingResource == "DCMR"
    assert ds.ConceptNameCodeSequence[0].CodeValue == "113701"
    assert (ds.CompletionFlag, ds.VerificationFlag) == ("COMPLETE", "UNVERIFIED")
    assert ds.ValueType == "CONTAINER"
    assert ds.ContentDate and ds.ContentTime
    procedure = one(ds.ContentSequence, "121058")
    assert procedure.RelationshipType == "HAS CONCEPT MOD"
    assert coded(procedure) == ("P5-08000", "SRT")
    assert coded(one(ds.ContentSequence, "G-C0E8", "SRT")) == ("R-408C3", "SRT")
    scope = one(ds.ContentSequence, "113705")
    assert coded(scope) == ("113014", "DCM")
    assert STUDY.study_instance_uid == one(scope.ContentSequence, "110180").UID


def test_ct_header_modules(tmp_path):
    ds = write_ct(tmp_path)
    assert (ds.PatientID, str(ds.PatientName), ds.PatientBirthDate, ds.PatientSex) == (
        "123456789",
        "DUPONT^Jeanne",
        "19600503",
        "F",
    )
    assert ds.PatientAge == "063Y"
    assert float(ds.PatientWeight) == 64.5 and float(ds.PatientSize) == 1.63
    assert ds.StudyInstanceUID == STUDY.study_instance_uid
    assert (ds.StudyDate, ds.StudyTime) == ("20240304", "100000")
    assert (ds.AccessionNumber, ds.StudyDescription) == ("240000042", "TAP INJ")
    assert (ds.Manufacturer, ds.ManufacturerModelName, ds.DeviceSerialNumber) == (
        "SIEMENS",
        "SOMATOM go.Top",
        "123456",
    )
    assert (ds.StationName, ds.InstitutionName) == ("SCANNER2", "CH DE VALMONT-SUR-LOIRE")
    assert ds.SoftwareVersions
    assert ds.SpecificCharacterSet == "ISO_IR 192"


def test_ct_observer_context_names_the_device(tmp_path):
    ds = write_ct(tmp_path)
    observer = {
        concept(i)[0]: i for i in ds.ContentSequence if i.RelationshipType == "HAS OBS CONTEXT"
    }
    assert coded(observer["121005"]) == ("121007", "DCM")
    assert DEVICE.device_observer_uid == observer["121012"].UID
    assert observer["121013"].TextValue == "SCANNER2"
    assert observer["121014"].TextValue == "SIEMENS"
    assert observer["121015"].TextValue == "SOMATOM go.Top"
    assert observer["121016"].TextValue == "123456"
    assert observer["121017"].TextValue == "IMAGERIE MEDICALE"
    assert observer["113809"].DateTime == "20240304100000"


def test_ct_accumulated_dose_equals_the_sum_of_events(tmp_path):
    ds = write_ct(tmp_path)
    accumulated = one(ds.ContentSequence, "113811")
    assert numeric(one(accumulated.ContentSequence, "113812")) == (4.0, "{events}")
    total, unit = numeric(one(accumulated.ContentSequence, "113813"))
    assert unit == "mGy.cm"
    dlps = [numeric(i) for i in find(ds.ContentSequence, "113838")]
    assert {u for _, u in dlps} == {"mGy.cm"}
    assert total == pytest.approx(math.fsum(v for v, _ in dlps), rel=1e-12)
    assert total == pytest.approx(9.2 + 345.6 + 789.01 + 672.0)


def test_ct_acquisition_content(tmp_path):
    ds = write_ct(tmp_path)
    acquisitions = find(ds.ContentSequence, "113819")
    assert len(acquisitions) == 4
    portal = acquisitions[2]
    assert one(portal.ContentSequence, "125203").TextValue == "TAP PORTAL"
    assert coded(one(portal.ContentSequence, "123014")) == ("R-FAB56", "SRT")
    assert coded(one(portal.ContentSequence, "113820")) == ("P5-08001", "SRT")
    assert coded(one(portal.ContentSequence, "G-C32C", "SRT")) == ("P5-00100", "SRT")
    assert one(portal.ContentSequence, "113769").UID == "1.2.826.0.1.3680043.8.498.3003"
    assert numeric(one(portal.ContentSequence, "113830")) == (11.23, "mGy")
    assert coded(one(portal.ContentSequence, "113835")) == ("113691", "DCM")
    assert numeric(one(portal.ContentSequence, "113733")) == (120.0, "kV")
    assert numeric(one(portal.ContentSequence, "113824")) == (6.2, "s")
    assert numeric(one(portal.ContentSequence, "113828")) == (1.0, "{ratio}")
    assert coded(one(acquisitions[0].ContentSequence, "113820")) == ("113805", "DCM")
    assert coded(one(acquisitions[3].ContentSequence, "113820")) == ("113804", "DCM")
    assert coded(one(acquisitions[3].ContentSequence, "113835")) == ("113690", "DCM")
    assert find(acquisitions[3].ContentSequence, "113828") == []  # no pitch when sequenced


def test_ct_ssde_and_water_equivalent_diameter(tmp_path):
    ds = write_ct(tmp_path)
    ssde = one(ds.ContentSequence, "113930")
    assert numeric(ssde) == (13.4, "mGy")
    method = children(ssde, "G-C036", "SRT")[0]
    assert method.RelationshipType == "HAS CONCEPT MOD"
    assert coded(method) == ("113988", "DCM")
    wed = children(ssde, "113980")[0]
    assert wed.RelationshipType == "INFERRED FROM"
    assert numeric(wed) == (281.5, "mm")
    assert coded(children(wed, "G-C036", "SRT")[0]) == ("113984", "DCM")


def test_patient_characteristics_container(tmp_path):
    ds = write_ct(tmp_path)
    characteristics = one(ds.ContentSequence, "121118")
    assert characteristics.ValueType == "CONTAINER"
    assert numeric(one(characteristics.ContentSequence, "121033")) == (63.0, "a")
    assert coded(one(characteristics.ContentSequence, "121032")) == ("F", "DCM")
    assert numeric(one(characteristics.ContentSequence, "8302-2", "LN")) == (163.0, "cm")
    assert numeric(one(characteristics.ContentSequence, "29463-7", "LN")) == (64.5, "kg")


def test_infant_age_in_months(tmp_path):
    path = writer.write_ct_rdsr(tmp_path / "child.dcm", CHILD, DEVICE, STUDY, ct_acquisitions()[3:])
    ds = pydicom.dcmread(path)
    assert ds.PatientAge == "006M"
    assert numeric(one(ds.ContentSequence, "121033")) == (6.0, "mo")


# --------------------------------------------------------------------------------------------
# Projection
# --------------------------------------------------------------------------------------------
def test_fluoroscopy_totals_per_plane_equal_the_sums_of_events(tmp_path):
    ds = write_fluoro(tmp_path)
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10001"
    assert coded(one(ds.ContentSequence, "121058")) == ("113704", "DCM")
    events = find(ds.ContentSequence, "113706")
    assert len(events) == 4
    for plane_code, selected in (("113622", events[:2]), ("113621", events[2:])):
        accumulated = [
            a
            for a in find(ds.ContentSequence, "113702")
            if coded(children(a, "113764")[0])[0] == plane_code
        ]
        assert len(accumulated) == 1
        totals = {
            concept(i)[0]: numeric(i)
            for i in accumulated[0].ContentSequence
            if i.ValueType == "NUM"
        }

        def event_sum(code, event_type=None, items=selected):
            chosen = [
                e
                for e in items
                if event_type is None or coded(children(e, "113721")[0])[0] == event_type
            ]
            return math.fsum(numeric(children(e, code)[0])[0] for e in chosen if children(e, code))

        assert totals["113722"][1] == "Gy.m2" and totals["113725"][1] == "Gy"
        assert totals["113722"][0] == pytest.approx(event_sum("122130"), rel=1e-12)
        assert totals["113725"][0] == pytest.approx(event_sum("113738"), rel=1e-12)
        assert totals["113726"][0] == pytest.approx(event_sum("122130", "P5-06000"), rel=1e-12)
        assert totals["113728"][0] == pytest.approx(event_sum("113738", "P5-06000"), rel=1e-12)
        assert totals["113727"][0] == pytest.approx(event_sum("122130", "113611"), rel=1e-12)
        assert totals["113729"][0] == pytest.approx(event_sum("113738", "113611"), rel=1e-12)
        assert totals["113730"][0] == pytest.approx(event_sum("113742", "P5-06000"))
        assert totals["113855"][0] == pytest.approx(event_sum("113742", "113611"))
        assert totals["113731"][0] == event_sum("113768", "113611")
    single = [
        a
        for a in find(ds.ContentSequence, "113702")
        if coded(children(a, "113764")[0])[0] == "113622"
    ][0]
    totals = {concept(i)[0]: numeric(i)[0] for i in single.ContentSequence if i.ValueType == "NUM"}
    assert totals["113722"] == pytest.approx((1.2345 + 3.4567) * 1e-4)
    assert totals["113725"] == pytest.approx((9.87 + 27.65) / 1000)
    assert totals["113730"] == 12.0


def test_fluoroscopy_event_geometry_and_technique(tmp_path):
    ds = write_fluoro(tmp_path)
    event = find(ds.ContentSequence, "113706")[0]
    items = event.ContentSequence
    assert coded(one(items, "113721")) == ("P5-06000", "SRT")
    assert one(items, "111526").DateTime == "20240304100000"
    assert one(items, "113769").UID == "1.2.826.0.1.3680043.8.498.4001"
    assert numeric(one(items, "122130")) == (1.2345e-4, "Gy.m2")
    assert numeric(one(items, "113738")) == (0.00987, "Gy")
    assert coded(one(items, "113780")) == ("113860", "DCM")
    assert numeric(one(items, "112011")) == (-30.0, "deg")
    assert numeric(one(items, "112012")) == (0.0, "deg")
    assert numeric(one(items, "113748")) == (765.0, "mm")
    assert numeric(one(items, "113750")) == (1100.0, "mm")
    assert numeric(one(items, "113751")) == (-12.5, "mm")
    assert numeric(one(items, "113752")) == (3.0, "mm")
    assert numeric(one(items, "113753")) == (180.0, "mm")
    assert numeric(one(items, "113788")) == (200.0, "mm")
    assert numeric(one(items, "113789")) == (200.0, "mm")
    assert numeric(one(items, "113790")) == (0.04, "m2")
    assert numeric(one(items, "113733")) == (74.5, "kV")
    assert numeric(one(items, "113734")) == (32.1, "mA")
    assert numeric(one(items, "113793")) == (5.0, "ms")
    assert numeric(one(items, "113791")) == (15.0, "{pulse}/s")
    assert numeric(one(items, "113768")) == (180.0, "1")
    assert numeric(one(items, "113742")) == (12.0, "s")
    assert coded(one(items, "113732")) == ("113631", "DCM")
    filters = one(items, "113771")
    assert coded(one(filters.ContentSequence, "113757")) == ("C-127F9", "SRT")
    assert numeric(one(filters.ContentSequence, "113758")) == (0.9, "mm")
    assert numeric(one(filters.ContentSequence, "113773")) == (0.9, "mm")
    assert coded(one(items, "123014")) == ("T-32000", "SRT")


@pytest.mark.parametrize(
    ("unit", "factor"),
    [("Gy.m2", 1e-4), ("dGy.cm2", 10), ("cGy.cm2", 100), ("mGy.cm2", 1000), ("uGy.m2", 100)],
)
def test_dap_unit_choice_keeps_the_physical_quantity(tmp_path, unit, factor):
    ds = write_fluoro(tmp_path, dap_unit=unit)
    value, written = numeric(find(ds.ContentSequence, "122130")[0])
    assert written == unit
    assert value == pytest.approx(1.2345 * factor)
    total, total_unit = numeric(find(ds.ContentSequence, "113722")[0])
    assert total_unit == unit
    assert total == pytest.approx((1.2345 + 3.4567) * factor)


def test_dap_unit_as_a_quirk(tmp_path):
    ds = write_fluoro(tmp_path, quirks={"dap_unit=mGy.cm2"})
    assert numeric(find(ds.ContentSequence, "122130")[0]) == (pytest.approx(1234.5), "mGy.cm2")


def test_radiography_report_uses_the_radiography_totals(tmp_path):
    events = [
        ProjectionEvent(
            "stationary",
            T0,
            0.085,
            protocol="THORAX FACE",
            image_view="PA",
            target_region="chest",
            kvp=125,
            exposure_uas=1800,
            number_of_pulses=1,
            exposure_time_ms=6.3,
            source_detector_mm=1800,
        ),
        ProjectionEvent(
            "stationary",
            T0 + timedelta(minutes=1),
            0.27,
            protocol="THORAX PROFIL",
            image_view="LAT",
            target_region="chest",
            kvp=125,
            number_of_pulses=1,
        ),
    ]
    path = writer.write_projection_rdsr(
        tmp_path / "dx.dcm", PATIENT, DEVICE, STUDY, events, kind="radiography"
    )
    ds = pydicom.dcmread(path)
    accumulated = one(ds.ContentSequence, "113702")
    codes = {concept(i)[0] for i in accumulated.ContentSequence}
    assert {"113722", "113731", "113780", "113764"} <= codes
    assert not codes & {"113726", "113730", "113727"}
    assert numeric(one(accumulated.ContentSequence, "113722"))[0] == pytest.approx(0.355e-4)
    assert numeric(one(accumulated.ContentSequence, "113731")) == (2.0, "1")
    event = find(ds.ContentSequence, "113706")[0]
    assert coded(one(event.ContentSequence, "111031")) == ("R-10214", "SRT")
    assert numeric(one(event.ContentSequence, "113736")) == (1800.0, "uA.s")
    assert numeric(one(event.ContentSequence, "113824")) == (6.3, "ms")
    assert coded(one(ds.ContentSequence, "113945")) == ("R-0038D", "SRT")


def test_mammography_report(tmp_path):
    events = [
        ProjectionEvent(
            "stationary",
            T0 + timedelta(minutes=i),
            0.0,
            protocol=f"{side}{view}",
            agd_mgy=agd,
            laterality=side,
            image_view=view,
            kvp=29,
            compression_thickness_mm=52,
            entrance_exposure_mgy=agd * 4.5,
            anode_target="rhodium",
            filter_material="rhodium",
            filter_thickness_mm=0.025,
            half_value_layer_mm=0.55,
            target_region="breast",
        )
        for i, (side, view, agd) in enumerate(
            [("R", "CC", 1.21), ("L", "CC", 1.34), ("R", "MLO", 1.52), ("L", "MLO", 1.47)]
        )
    ]
    path = writer.write_projection_rdsr(
        tmp_path / "mg.dcm", PATIENT, DEVICE, STUDY, events, kind="mammography"
    )
    ds = pydicom.dcmread(path)
    assert coded(one(ds.ContentSequence, "121058")) == ("P5-40010", "SRT")
    per_breast = {}
    for item in find(ds.ContentSequence, "111637"):
        side = coded(children(item, "G-C171", "SRT")[0])[0]
        per_breast[side] = numeric(item)
    assert per_breast["T-04030"] == (pytest.approx(1.34 + 1.47), "mGy")
    assert per_breast["T-04020"] == (pytest.approx(1.21 + 1.52), "mGy")
    event = find(ds.ContentSequence, "113706")[0].ContentSequence
    assert numeric(one(event, "111631")) == (1.21, "mGy")
    assert numeric(one(event, "111633")) == (52.0, "mm")
    assert numeric(one(event, "111636"))[1] == "mGy"
    assert coded(one(event, "111632")) == ("C-167F9", "SRT")
    assert coded(one(event, "111031")) == ("R-10242", "SRT")
    region = one(event, "123014")
    assert coded(region) == ("T-04000", "SRT")
    assert coded(children(region, "G-C171", "SRT")[0]) == ("G-A100", "SRT")
    assert coded(one(event, "113780")) == ("113865", "DCM")


def test_cumulative_reports_repeat_event_uids(tmp_path):
    acquisitions = ct_acquisitions()
    first = writer.write_ct_rdsr(tmp_path / "1.dcm", PATIENT, DEVICE, STUDY, acquisitions[:2])
    second = writer.write_ct_rdsr(tmp_path / "2.dcm", PATIENT, DEVICE, STUDY, acquisitions)
    ds1, ds2 = pydicom.dcmread(first), pydicom.dcmread(second)
    assert ds1.StudyInstanceUID == ds2.StudyInstanceUID
    assert ds1.SOPInstanceUID != ds2.SOPInstanceUID
    uids1 = [i.UID for i in find(ds1.ContentSequence, "113769")]
    uids2 = [i.UID for i in find(ds2.ContentSequence, "113769")]
    assert uids2[:2] == uids1 and len(uids2) == 4
    total1 = numeric(one(ds1.ContentSequence, "113813"))[0]
    assert total1 == pytest.approx(9.2 + 345.6)
    assert numeric(one(ds1.ContentSequence, "113812"))[0] == 2


def test_generated_event_uids_are_unique(tmp_path):
    events = [ProjectionEvent("fluoroscopy", T0, 0.1) for _ in range(5)]
    ds = write_fluoro(tmp_path, events=events)
    uids = [i.UID for i in find(ds.ContentSequence, "113769")]
    assert len(set(uids)) == 5


# --------------------------------------------------------------------------------------------
# Radiopharmaceutical
# --------------------------------------------------------------------------------------------
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


def test_radiopharmaceutical_report(tmp_path):
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION
    )
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.68"
    assert ds.Modality == "SR"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10021"
    assert ds.ConceptNameCodeSequence[0].CodeValue == "113500"
    procedure = one(ds.ContentSequence, "363589002", "SCT")
    assert coded(procedure) == ("68796002", "SCT")
    assert coded(children(procedure, "363703001", "SCT")[0]) == ("261004008", "SCT")
    administration = one(ds.ContentSequence, "113502")
    items = administration.ContentSequence
    agent = one(items, "349358000", "SCT")
    assert coded(agent) == ("96390006", "SCT")
    nuclide = children(agent, "89457008", "SCT")[0]
    assert nuclide.RelationshipType == "HAS PROPERTIES"
    assert coded(nuclide) == ("72454006", "SCT")
    assert numeric(children(agent, "304283002", "SCT")[0]) == (pytest.approx(21624.12), "s")
    assert one(items, "113503").UID == "1.2.826.0.1.3680043.8.498.6001"
    assert one(items, "123003").DateTime == "20240304100000"
    assert one(items, "123004").DateTime == "20240304100020"
    assert numeric(one(items, "113507")) == (612.5, "MBq")
    assert numeric(one(items, "113508")) == (640.0, "MBq")
    assert numeric(one(items, "113509")) == (27.5, "MBq")
    assert numeric(one(items, "123005")) == (1.2, "cm3")
    route = one(items, "410675002", "SCT")
    assert coded(route) == ("47625008", "SCT")
    site = children(route, "272737002", "SCT")[0]
    assert coded(children(site, "272741003", "SCT")[0]) == ("24028007", "SCT")
    characteristics = one(ds.ContentSequence, "121118")
    assert numeric(one(characteristics.ContentSequence, "29463-7", "LN")) == (64.5, "kg")


def test_radiopharmaceutical_report_with_legacy_srt_codes(tmp_path):
    adm = Administration("F-18", "FDG", 245.0, T0)
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "pet.dcm", PATIENT, DEVICE, STUDY, adm, quirks={"srt_codes"}
    )
    ds = pydicom.dcmread(path)
    agent = one(ds.ContentSequence, "F-61FDB", "SRT")
    assert coded(agent) == ("C-B1031", "SRT")
    assert coded(children(agent, "C-10072", "SRT")[0]) == ("C-111A1", "SRT")
    assert coded(one(ds.ContentSequence, "G-C2D0", "SRT"))[1] == "SRT"


def test_unknown_radiopharmaceutical_is_refused(tmp_path):
    adm = Administration("Tc-99m", "unobtainium", 100.0, T0)
    with pytest.raises(ValueError, match="unobtainium"):
        writer.write_radiopharmaceutical_rdsr(tmp_path / "x.dcm", PATIENT, DEVICE, STUDY, adm)


# --------------------------------------------------------------------------------------------
# Quirks
# --------------------------------------------------------------------------------------------
def test_non_ucum_units(tmp_path):
    ct = write_ct(tmp_path, quirks={"non_ucum_units"})
    assert numeric(one(ct.ContentSequence, "113813"))[1] == "mGycm"
    assert {numeric(i)[1] for i in find(ct.ContentSequence, "113838")} == {"mGycm"}
    rf = write_fluoro(tmp_path, quirks={"non_ucum_units"})
    units = {
        numeric(i)[1]
        for code in ("122130", "113722", "113726", "113727")
        for i in find(rf.ContentSequence, code)
    }
    assert units == {"Gym2"}


def test_unknown_unit(tmp_path):
    ds = write_fluoro(tmp_path, quirks={"unknown_unit"})
    assert {numeric(i)[1] for i in find(ds.ContentSequence, "122130")} == {"furlong"}
    assert numeric(find(ds.ContentSequence, "113722")[0])[1] == "furlong"


def test_empty_numeric(tmp_path):
    ds = write_ct(tmp_path, quirks={"empty_numeric"})
    ctdis = find(ds.ContentSequence, "113830")
    assert len(ctdis[0].MeasuredValueSequence) == 0
    assert all(len(i.MeasuredValueSequence) == 1 for i in ctdis[1:])
    rf = write_fluoro(tmp_path, quirks={"empty_numeric"})
    kvps = find(rf.ContentSequence, "113733")
    assert len(kvps[0].MeasuredValueSequence) == 0 and len(kvps) == 4


def test_empty_numeric_value(tmp_path):
    ds = write_ct(tmp_path, quirks={"empty_numeric_value"})
    measured = find(ds.ContentSequence, "113830")[0].MeasuredValueSequence
    assert len(measured) == 1 and measured[0].NumericValue in ("", None)
    assert measured[0].MeasurementUnitsCodeSequence[0].CodeValue == "mGy"


def test_no_patient_size(tmp_path):
    ds = write_ct(tmp_path, quirks={"no_patient_size"})
    assert "PatientWeight" not in ds and "PatientSize" not in ds
    assert find(ds.ContentSequence, "8302-2", "LN") == []
    assert find(ds.ContentSequence, "29463-7", "LN") == []


def test_weight_zero(tmp_path):
    ds = write_ct(tmp_path, quirks={"weight_zero"})
    assert float(ds.PatientWeight) == 0.0
    assert numeric(one(ds.ContentSequence, "29463-7", "LN"))[0] == 0.0


def test_enhanced_sr_carrier(tmp_path):
    ds = write_ct(tmp_path, quirks={"enhanced_sr_carrier"})
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22"
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert find(ds.ContentSequence, "113811")


def test_implicit_vr(tmp_path):
    explicit = write_ct(tmp_path / "e")
    implicit = write_ct(tmp_path / "i", quirks={"implicit_vr"})
    assert implicit.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert [numeric(i) for i in find(implicit.ContentSequence, "113838")] == [
        numeric(i) for i in find(explicit.ContentSequence, "113838")
    ]
    rf = write_fluoro(tmp_path, quirks={"implicit_vr"})
    assert len(find(rf.ContentSequence, "113706")) == 4
    image = pydicom.dcmread(
        writer.write_dx_image(
            tmp_path / "dx.dcm", PATIENT, DEVICE, STUDY, fluoro_events()[1], quirks={"implicit_vr"}
        )
    )
    assert image.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert image.pixel_array.shape == (8, 8)


def test_sct_codes(tmp_path):
    ds = write_ct(tmp_path, quirks={"sct_codes"})
    assert coded(one(ds.ContentSequence, "121058")) == ("77477000", "SCT")
    assert coded(one(ds.ContentSequence, "363703001", "SCT")) == ("261004008", "SCT")
    assert not [i for i in walk(ds.ContentSequence) if concept(i)[1] == "SRT"]


def test_text_reference_point_and_legacy_exposure_time(tmp_path):
    ds = write_fluoro(
        tmp_path,
        events=[replace_exposure(e) for e in fluoro_events()],
        quirks={"text_reference_point", "legacy_exposure_time_code"},
    )
    point = find(ds.ContentSequence, "113780")[0]
    assert point.ValueType == "TEXT" and "Isocenter" in point.TextValue
    assert numeric(find(ds.ContentSequence, "113735")[0]) == (50.0, "ms")
    assert find(ds.ContentSequence, "113824") == []


def replace_exposure(event: ProjectionEvent) -> ProjectionEvent:
    return replace(event, exposure_time_ms=50.0)


def test_unknown_quirk_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown quirk"):
        write_ct(tmp_path, quirks={"frobnicate"})


# --------------------------------------------------------------------------------------------
# Encoder: the raw content bytes are what pydicom itself would write
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("implicit", [False, True])
def test_raw_encoding_matches_pydicom(implicit):
    enc = Encoder(implicit=implicit)
    ours = enc.num(
        "CONTAINS",
        codes.MEAN_CTDIVOL,
        12.5,
        codes.U_MGY,
        [enc.code("HAS CONCEPT MOD", codes.MEASUREMENT_METHOD, codes.SSDE_FROM_WED)],
    )
    modifier = Dataset()
    modifier.RelationshipType = "HAS CONCEPT MOD"
    modifier.ValueType = "CODE"
    modifier.ConceptNameCodeSequence = [code_dataset(codes.MEASUREMENT_METHOD)]
    modifier.ConceptCodeSequence = [code_dataset(codes.SSDE_FROM_WED)]
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = [code_dataset(codes.U_MGY)]
    measured.NumericValue = "12.5"
    item = Dataset()
    item.RelationshipType = "CONTAINS"
    item.ValueType = "NUM"
    item.ConceptNameCodeSequence = [code_dataset(codes.MEAN_CTDIVOL)]
    item.MeasuredValueSequence = [measured]
    item.ContentSequence = [modifier]
    for sequence in ("ConceptNameCodeSequence", "MeasuredValueSequence", "ContentSequence"):
        item[sequence].is_undefined_length = False
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, implicit
    write_dataset(fp, item)
    assert ours[8:] == fp.getvalue()  # after the item tag and length


# --------------------------------------------------------------------------------------------
# Image headers
# --------------------------------------------------------------------------------------------
def test_dx_image_header(tmp_path):
    event = ProjectionEvent(
        "stationary",
        T0,
        0.123,
        kvp=100,
        tube_current_ma=250,
        exposure_time_ms=10,
        exposure_uas=2500,
        entrance_exposure_mgy=0.21,
        source_detector_mm=1100,
        image_view="AP",
        target_region="chest",
        protocol="THORAX AP LIT",
    )
    ds = pydicom.dcmread(writer.write_dx_image(tmp_path / "dx.dcm", PATIENT, DEVICE, STUDY, event))
    assert ds.SOPClassUID == writer.DX_IMAGE_SOP_CLASS and ds.Modality == "DX"
    assert float(ds.ImageAndFluoroscopyAreaDoseProduct) == pytest.approx(1.23)  # dGy.cm2
    assert float(ds.EntranceDoseInmGy) == 0.21
    assert float(ds.KVP) == 100 and ds.ExposureTime == 10 and ds.XRayTubeCurrent == 250
    assert ds.Exposure == 2 and ds.ExposureInuAs == 2500
    assert (ds.ViewPosition, ds.BodyPartExamined) == ("AP", "CHEST")
    assert ds.pixel_array.shape == (8, 8)


def test_mg_image_header(tmp_path):
    event = ProjectionEvent(
        "stationary",
        T0,
        0.0,
        agd_mgy=1.37,
        laterality="L",
        image_view="MLO",
        compression_thickness_mm=54,
        entrance_exposure_mgy=6.1,
        kvp=29,
        anode_target="rhodium",
        filter_material="rhodium",
    )
    ds = pydicom.dcmread(writer.write_mg_image(tmp_path / "mg.dcm", PATIENT, DEVICE, STUDY, event))
    assert ds.SOPClassUID == writer.MG_IMAGE_SOP_CLASS and ds.Modality == "MG"
    assert float(ds.OrganDose) == pytest.approx(0.0137)  # dGy
    assert ds.OrganExposed == "BREAST"
    assert float(ds.EntranceDoseInmGy) == 6.1
    assert (ds.ImageLaterality, ds.ViewPosition) == ("L", "MLO")
    assert ds.ViewCodeSequence[0].CodeValue == "R-10226"
    assert float(ds.BodyPartThickness) == 54
    assert (ds.AnodeTargetMaterial, ds.FilterMaterial) == ("RHODIUM", "RHODIUM")


def test_ct_image_header(tmp_path):
    acquisition = ct_acquisitions()[1]
    ds = pydicom.dcmread(
        writer.write_ct_image(tmp_path / "ct.dcm", PATIENT, DEVICE, STUDY, acquisition)
    )
    assert ds.SOPClassUID == writer.CT_IMAGE_SOP_CLASS and ds.Modality == "CT"
    assert ds.CTDIvol == pytest.approx(9.87)
    assert ds.CTDIPhantomTypeCodeSequence[0].CodeValue == "113691"
    assert float(ds.KVP) == 120 and ds.SpiralPitchFactor == 1.0
    assert ds.pixel_array.shape == (8, 8)


def test_nm_image_dose_in_mbq_and_pet_image_dose_in_bq(tmp_path):
    nm = pydicom.dcmread(
        writer.write_nm_image(tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION)
    )
    assert nm.SOPClassUID == writer.NM_IMAGE_SOP_CLASS and nm.Modality == "NM"
    info = nm.RadiopharmaceuticalInformationSequence[0]
    assert float(info.RadionuclideTotalDose) == 612.5  # MBq
    assert info.RadionuclideCodeSequence[0].CodeValue == "C-163A8"
    assert info.RadiopharmaceuticalStartDateTime == "20240304100000"
    assert info.RadiopharmaceuticalAdministrationEventUID == ADMINISTRATION.event_uid
    assert nm.pixel_array.shape == (8, 8)
    fdg = Administration("F-18", "Fluorodeoxyglucose F^18^", 245.0, T0)
    pet = pydicom.dcmread(writer.write_pet_image(tmp_path / "pet.dcm", PATIENT, DEVICE, STUDY, fdg))
    assert pet.SOPClassUID == writer.PET_IMAGE_SOP_CLASS and pet.Modality == "PT"
    info = pet.RadiopharmaceuticalInformationSequence[0]
    assert float(info.RadionuclideTotalDose) == 245.0e6  # Bq
    assert float(info.RadionuclideHalfLife) == pytest.approx(6586.2)
    assert info.RadionuclideCodeSequence[0].CodeValue == "C-111A1"
    assert pet.Units == "BQML"


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------
def digest(files: list[Path], root: Path) -> dict[str, str]:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[Path], list[tuple[int, int]]]:
    """One small demo run (a week, 5 % of the activity), shared by the demo tests."""
    root = tmp_path_factory.mktemp("demo")
    calls: list[tuple[int, int]] = []
    files = generate_demo(
        root / "a",
        start=DEMO_START,
        days=7,
        seed=3,
        scale=0.05,
        progress=lambda done, total: calls.append((done, total)),
    )
    return root, files, calls


DEMO_START = date(2024, 1, 1)


def test_generate_demo_writes_every_kind(demo):
    root, files, calls = demo
    assert calls and calls[-1][0] == calls[-1][1] == len(calls)
    assert {f.parent.name for f in files} == {d.key for d in DEMO_DEVICES}
    sop_classes = set()
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        sop_classes.add(ds.SOPClassUID)
        assert ds.StudyInstanceUID and ds.PatientID
        day = datetime.strptime(ds.StudyDate, "%Y%m%d").date()
        assert DEMO_START <= day < DEMO_START + timedelta(days=7)
    assert sop_classes == {
        writer.XRAY_RDSR_SOP_CLASS,
        writer.RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
        writer.DX_IMAGE_SOP_CLASS,
        writer.MG_IMAGE_SOP_CLASS,
        writer.CT_IMAGE_SOP_CLASS,
        writer.PET_IMAGE_SOP_CLASS,
    }


def test_generate_demo_is_deterministic(demo):
    root, files, _ = demo
    again = generate_demo(root / "b", start=DEMO_START, days=7, seed=3, scale=0.05)
    assert digest(files, root / "a") == digest(again, root / "b")
    other = generate_demo(root / "c", start=DEMO_START, days=7, seed=4, scale=0.05)
    assert digest(files, root / "a") != digest(other, root / "c")


def test_generate_demo_cardiology_reports_are_complete(demo):
    _, files, _ = demo
    cath = [f for f in files if f.parent.name == "cath_lab"]
    ds = pydicom.dcmread(cath[0])
    events = [i for i in ds.ContentSequence if concept(i)[0] == "113706"]
    assert 100 <= len(events) <= 400
    accumulated = [i for i in ds.ContentSequence if concept(i)[0] == "113702"][0]
    total = numeric(children(accumulated, "113722")[0])[0]
    counts: Counter[str] = Counter()
    daps = []
    for event in events:
        for item in event.ContentSequence:
            code = concept(item)[0]
            counts[code] += 1
            if code == "122130":
                daps.append(numeric(item)[0])
    assert total == pytest.approx(math.fsum(daps), rel=1e-9)
    for code in (
        "112011",
        "112012",
        "113748",
        "113750",
        "113751",
        "113752",
        "113753",
        "113733",
        "113771",
        "113738",
        "113769",
    ):
        assert counts[code] == len(events), code
    assert 1 <= total * 1e4 <= 2000  # Gy.cm2


def test_radiopharmaceutical_empty_numeric(tmp_path):
    path = writer.write_radiopharmaceutical_rdsr(
        tmp_path / "nm.dcm", PATIENT, DEVICE, STUDY, ADMINISTRATION, quirks={"empty_numeric"}
    )
    ds = pydicom.dcmread(path)
    assert len(one(ds.ContentSequence, "304283002", "SCT").MeasuredValueSequence) == 0
    assert numeric(one(ds.ContentSequence, "113507")) == (612.5, "MBq")
