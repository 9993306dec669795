"""Reports written with pydicom for each template and each vendor quirk, read back by Kerma."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydicom.uid import generate_uid

from kerma.dicom import write as w
from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError

START = datetime(2026, 3, 9, 10, 0, 0)
PATIENT = w.Patient("P001", "DUPONT^Jeanne", date(1970, 5, 1), "F", 55.0, 68.0, 1.65)
DEVICE = w.Device("GE MEDICAL SYSTEMS", "Revolution EVO", "SN-CT-1", "CT1",
                  "1.2.826.0.1.3680043.10.1.1", "CH Demo", "Radiologie")
CARDIO = w.Device("Philips", "Azurion 7 M20", "SN-XA-1", "CARDIO1",
                  "1.2.826.0.1.3680043.10.1.2", "CH Demo", "Cardiologie")


def _study(description: str = "TDM TAP INJ") -> w.Study:
    return w.Study(generate_uid(), "ACC1", description, START)


def _helix(**changes) -> w.CtAcquisition:
    values = dict(protocol="TAP", target_region="chest_abdomen_pelvis",
                  acquisition_type="spiral", start=START + timedelta(minutes=2),
                  ctdivol_mgy=9.8, dlp_mgycm=612.5, phantom=32, kvp=120, tube_current_ma=210,
                  rotation_time_s=0.5, pitch=0.984, scan_length_mm=610,
                  total_collimation_mm=40, ssde_mgy=11.7, water_equivalent_diameter_mm=286)
    values.update(changes)
    return w.CtAcquisition(**values)


def _localizer() -> w.CtAcquisition:
    return w.CtAcquisition("Scout", "chest_abdomen_pelvis", "constant_angle", START, 0.12, 6.1,
                           phantom=32, kvp=120)


def _fluoro(i: int, dap: float = 0.8, **changes) -> w.ProjectionEvent:
    values = dict(event_type="fluoroscopy", start=START + timedelta(seconds=30 * i),
                  dap_gycm2=dap, kar_mgy=6.5, protocol="Coro 15 i/s", primary_angle_deg=-30,
                  secondary_angle_deg=20, source_isocenter_mm=765, source_detector_mm=1050,
                  table_longitudinal_mm=-120, table_lateral_mm=10, table_height_mm=-180,
                  field_width_mm=200, field_height_mm=200, kvp=78, tube_current_ma=12,
                  pulse_width_ms=6.0, pulse_rate_per_s=15, irradiation_duration_s=12.0,
                  filter_material="copper", filter_thickness_mm=0.4)
    values.update(changes)
    return w.ProjectionEvent(**values)


def _cine(i: int) -> w.ProjectionEvent:
    return _fluoro(i, dap=3.1, event_type="stationary", kar_mgy=25.0, number_of_pulses=90,
                   irradiation_duration_s=None, filter_material="copper", filter_thickness_mm=0.1)


def test_ct_report_every_field(tmp_path):
    path = w.write_ct_rdsr(tmp_path / "ct.dcm", PATIENT, DEVICE, _study(),
                           [_localizer(), _helix()])
    report = read_dose_object(path)
    assert report.modality == "CT" and report.source == "rdsr"
    assert report.totals["dlp_total_mgycm"] == pytest.approx(618.6)
    assert report.totals["ctdivol_max_mgy"] == pytest.approx(9.8)
    scout, helix = report.events
    assert scout.acquisition_type == "constant_angle"
    assert helix.acquisition_type == "spiral"
    assert helix.phantom_cm == 32
    assert helix.ssde_mgy == pytest.approx(11.7)
    assert helix.water_equivalent_diameter_mm == pytest.approx(286)
    assert helix.pitch == pytest.approx(0.984)
    assert helix.scan_length_mm == pytest.approx(610)
    assert helix.exposure_mas == pytest.approx(105)
    assert report.device.observer_uid == DEVICE.device_observer_uid
    patient = report.patient
    assert (patient.sex, patient.weight_kg, patient.height_m) == ("F", 68.0, 1.65)
    assert patient.age_years == pytest.approx(55, abs=1)


def test_head_phantom_is_16_cm(tmp_path):
    path = w.write_ct_rdsr(tmp_path / "head.dcm", PATIENT, DEVICE, _study("CRANE"),
                           [_helix(phantom=16, target_region="head")])
    assert read_dose_object(path).events[0].phantom_cm == 16


@pytest.mark.parametrize("unit", ["Gy.m2", "dGy.cm2", "cGy.cm2", "mGy.cm2", "uGy.m2"])
def test_dap_unit_written_does_not_change_the_dose(tmp_path, unit):
    events = [_fluoro(0, dap=0.8123), _cine(1)]
    path = w.write_projection_rdsr(tmp_path / f"{unit}.dcm", PATIENT, CARDIO, _study("CORO"),
                                   events, kind="fluoroscopy", dap_unit=unit)
    report = read_dose_object(path)
    assert report.totals["dap_total_gycm2"] == pytest.approx(0.8123 + 3.1, rel=1e-6)
    assert report.events[0].dap_gycm2 == pytest.approx(0.8123, rel=1e-6)


def test_fluoroscopy_report_totals_and_geometry(tmp_path):
    events = [_fluoro(0), _fluoro(1), _cine(2)]
    path = w.write_projection_rdsr(tmp_path / "coro.dcm", PATIENT, CARDIO, _study("CORO"),
                                   events, kind="fluoroscopy")
    report = read_dose_object(path)
    assert report.modality == "RF"
    totals = report.totals
    assert totals["dap_total_gycm2"] == pytest.approx(0.8 + 0.8 + 3.1)
    assert totals["dap_fluoro_gycm2"] == pytest.approx(1.6)
    assert totals["dap_acquisition_gycm2"] == pytest.approx(3.1)
    assert totals["kar_total_mgy"] == pytest.approx(6.5 + 6.5 + 25.0)
    assert totals["fluoro_time_s"] == pytest.approx(24.0)
    first = report.events[0]
    assert first.event_type == "fluoroscopy"
    assert first.primary_angle_deg == pytest.approx(-30)
    assert first.secondary_angle_deg == pytest.approx(20)
    assert first.source_isocentre_mm == pytest.approx(765)
    assert first.source_detector_mm == pytest.approx(1050)
    assert (first.table_longitudinal_mm, first.table_lateral_mm, first.table_height_mm) == (
        pytest.approx(-120), pytest.approx(10), pytest.approx(-180))
    assert (first.field_width_mm, first.field_height_mm) == (pytest.approx(200),
                                                             pytest.approx(200))
    assert first.filter_material == "Cu" and first.filter_thickness_mm == pytest.approx(0.4)
    assert first.pulse_width_ms == pytest.approx(6.0)
    assert first.kvp_kv == pytest.approx(78)
    assert report.events[2].event_type == "stationary"
    assert report.events[2].frames == 90


def test_radiography_report_is_dx(tmp_path):
    events = [w.ProjectionEvent("stationary", START, 0.12, kar_mgy=0.3, kvp=125,
                                image_view="PA", target_region="chest"),
              w.ProjectionEvent("stationary", START + timedelta(minutes=1), 0.25, kar_mgy=0.5,
                                kvp=125, image_view="LL", target_region="chest")]
    path = w.write_projection_rdsr(tmp_path / "dx.dcm", PATIENT, DEVICE, _study("THORAX"),
                                   events, kind="radiography")
    report = read_dose_object(path)
    assert report.modality == "DX"
    assert report.totals["dap_total_gycm2"] == pytest.approx(0.37)
    assert "fluoro_time_s" not in report.totals


def test_mammography_report_per_breast(tmp_path):
    def view(side: str, agd: float, minute: int) -> w.ProjectionEvent:
        return w.ProjectionEvent("stationary", START + timedelta(minutes=minute), 0.01,
                                 agd_mgy=agd, laterality=side, compression_thickness_mm=52,
                                 entrance_exposure_mgy=5.0, kvp=29, image_view="CC",
                                 target_region="breast")
    events = [view("L", 1.3, 0), view("L", 1.4, 1), view("R", 1.2, 2)]
    path = w.write_projection_rdsr(tmp_path / "mg.dcm", PATIENT, DEVICE, _study("MAMMO"),
                                   events, kind="mammography")
    report = read_dose_object(path)
    assert report.modality == "MG"
    assert report.totals["agd_left_mgy"] == pytest.approx(2.7)
    assert report.totals["agd_right_mgy"] == pytest.approx(1.2)
    assert [e.laterality for e in report.events] == ["L", "L", "R"]
    assert report.events[0].compression_thickness_mm == pytest.approx(52)


@pytest.mark.parametrize("quirks", [frozenset(), frozenset({"srt_codes"})])
def test_radiopharmaceutical_report(tmp_path, quirks):
    administration = w.Administration("Tc-99m", "Technetium Tc99m medronate", 642.0,
                                      START + timedelta(minutes=5))
    path = w.write_radiopharmaceutical_rdsr(tmp_path / "nm.dcm", PATIENT, DEVICE,
                                            _study("SCINTIGRAPHIE OSSEUSE"), administration,
                                            quirks=quirks)
    report = read_dose_object(path)
    assert report.modality == "NM" and report.source == "rrdsr"
    assert report.totals["activity_mbq"] == pytest.approx(642.0)
    event = report.events[0]
    assert event.radionuclide == "Tc-99m"
    assert "medronate" in event.radiopharmaceutical.lower()
    assert event.started == START + timedelta(minutes=5)
    assert event.route


def test_nm_header_is_in_mbq_and_pet_header_in_bq(tmp_path):
    administration = w.Administration("F-18", "Fluorodeoxyglucose F^18^", 250.0, START)
    nm = w.write_nm_image(tmp_path / "nm.dcm", PATIENT, DEVICE, _study("TEP"), administration)
    pet = w.write_pet_image(tmp_path / "pt.dcm", PATIENT, DEVICE, _study("TEP"), administration)
    assert read_dose_object(nm).totals["activity_mbq"] == pytest.approx(250.0)
    pet_report = read_dose_object(pet)
    assert pet_report.modality == "PT"
    assert pet_report.totals["activity_mbq"] == pytest.approx(250.0)


def test_image_headers(tmp_path):
    study = _study("THORAX")
    dx = w.write_dx_image(tmp_path / "dx.dcm", PATIENT, DEVICE, study,
                          w.ProjectionEvent("stationary", START, 0.154, kvp=120))
    assert read_dose_object(dx).totals["dap_total_gycm2"] == pytest.approx(0.154)
    mg = w.write_mg_image(tmp_path / "mg.dcm", PATIENT, DEVICE, study,
                          w.ProjectionEvent("stationary", START, 0.01, agd_mgy=1.37,
                                            laterality="R", kvp=29))
    assert read_dose_object(mg).totals["agd_right_mgy"] == pytest.approx(1.37)
    ct = w.write_ct_image(tmp_path / "ct.dcm", PATIENT, DEVICE, study, _helix())
    assert read_dose_object(ct).totals["ctdivol_max_mgy"] == pytest.approx(9.8)


# --- quirks -----------------------------------------------------------------------------------


def test_non_ucum_units_are_understood(tmp_path):
    path = w.write_projection_rdsr(tmp_path / "q.dcm", PATIENT, CARDIO, _study(), [_fluoro(0)],
                                   quirks={"non_ucum_units"})
    assert read_dose_object(path).totals["dap_total_gycm2"] == pytest.approx(0.8)
    ct = w.write_ct_rdsr(tmp_path / "ct.dcm", PATIENT, DEVICE, _study(), [_helix()],
                         quirks={"non_ucum_units"})
    assert read_dose_object(ct).totals["dlp_total_mgycm"] == pytest.approx(612.5)


@pytest.mark.parametrize("quirk", ["empty_numeric", "empty_numeric_value"])
def test_empty_values_are_skipped_and_reported(tmp_path, quirk):
    path = w.write_ct_rdsr(tmp_path / "q.dcm", PATIENT, DEVICE, _study(), [_localizer(), _helix()],
                           quirks={quirk})
    report = read_dose_object(path)
    assert any("empty numeric value" in warning for warning in report.warnings)
    assert report.totals["dlp_total_mgycm"] == pytest.approx(618.6)


def test_unknown_unit_is_an_error_naming_the_concept(tmp_path):
    path = w.write_projection_rdsr(tmp_path / "q.dcm", PATIENT, CARDIO, _study(), [_fluoro(0)],
                                   quirks={"unknown_unit"})
    with pytest.raises(DoseObjectError, match=r"Dose Area Product.*'furlong'"):
        read_dose_object(path)


def test_missing_size_and_zero_weight_are_unknown(tmp_path):
    no_size = w.write_ct_rdsr(tmp_path / "a.dcm", PATIENT, DEVICE, _study(), [_helix()],
                             quirks={"no_patient_size"})
    zero = w.write_ct_rdsr(tmp_path / "b.dcm", PATIENT, DEVICE, _study(), [_helix()],
                           quirks={"weight_zero"})
    assert read_dose_object(no_size).patient.weight_kg is None
    assert read_dose_object(no_size).patient.height_m is None
    assert read_dose_object(zero).patient.weight_kg is None


@pytest.mark.parametrize(
    "quirk", ["enhanced_sr_carrier", "implicit_vr", "sct_codes", "text_reference_point",
              "legacy_exposure_time_code"])
def test_carrier_encoding_and_code_variants_give_the_same_report(tmp_path, quirk):
    study = _study("CORO")
    events = [_fluoro(0), _cine(1)]
    plain = read_dose_object(w.write_projection_rdsr(tmp_path / "plain.dcm", PATIENT, CARDIO,
                                                     study, events))
    other = read_dose_object(w.write_projection_rdsr(tmp_path / "other.dcm", PATIENT, CARDIO,
                                                     study, events, quirks={quirk}))
    assert other.modality == plain.modality == "RF"
    assert other.totals == pytest.approx(plain.totals)

    def without_uid(report):
        return [{k: v for k, v in e.as_dict().items() if k != "uid"} for e in report.events]

    assert without_uid(other) == without_uid(plain)


def test_nm_header_names_the_radionuclide(tmp_path):
    administration = w.Administration("Tc-99m", "Technetium Tc99m medronate", 600.0, START)
    nm = w.write_nm_image(tmp_path / "nm.dcm", PATIENT, DEVICE, _study("SCINTI"), administration)
    event = read_dose_object(nm).events[0]
    assert event.radionuclide == "Tc-99m"
    assert event.started == START
