"""Every real vendor file of ../shared/rdsr reproduces expected.csv, each value in its unit."""

from __future__ import annotations

from decimal import Decimal
from itertools import permutations

import pytest
from tests.conftest import SHARED_RDSR, expected_rows, needs_shared

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError
from kerma.exams import combine_reports

ROWS = expected_rows()

TOTAL_COLUMNS = ["dlp_total_mgycm", "dap_total_gycm2", "fluoro_time_s", "kar_total_mgy",
                 "agd_left_mgy", "agd_right_mgy"]
HEADER_COLUMNS = {
    "header_dap_gycm2": "dap_gycm2",
    "header_ctdivol_mgy": "ctdivol_mgy",
    "header_organ_dose_mgy": "agd_mgy",
    "header_entrance_dose_mgy": "entrance_dose_mgy",
}


def _tolerance(expected: str) -> float:
    """Half a unit of the last decimal the expected value is written with."""
    exponent = Decimal(expected).as_tuple().exponent
    return 0.5 * 10.0 ** exponent + 1e-12


def _check(name: str, actual: float | None, expected: str) -> None:
    if expected == "":
        assert actual is None, f"{name}: expected absent, got {actual}"
        return
    assert actual is not None, f"{name}: expected {expected}, got nothing"
    assert abs(actual - float(expected)) <= _tolerance(expected), (
        f"{name}: {actual} != {expected}"
    )


@needs_shared
@pytest.mark.parametrize("name", sorted(ROWS))
def test_vendor_file_reproduces_expected_values(name):
    row = ROWS[name]
    path = SHARED_RDSR / name
    if row["kind"] == "not a dose report":
        with pytest.raises(DoseObjectError, match="not a dose report"):
            read_dose_object(path)
        return
    report = read_dose_object(path)
    assert report.modality == row["kind"]
    assert report.device.manufacturer == row["manufacturer"]
    if row["model"]:
        assert report.device.model == row["model"]
    # Where the header names no model, Kerma takes it from the device observer context.
    if row["events"]:
        assert len(report.events) == int(row["events"])
    if report.source in ("rdsr", "dose-screen"):
        for column in TOTAL_COLUMNS:
            _check(column, report.totals.get(column), row[column])
    for column, field in HEADER_COLUMNS.items():
        if row[column]:
            _check(column, getattr(report.events[0], field), row[column])
    weight = row["weight_kg"]
    if weight in ("", "0.0", "0"):
        # 0.0 in a report means "not entered": unknown, never zero.
        assert report.patient.weight_kg is None
    else:
        _check("weight_kg", report.patient.weight_kg, weight)
    _check("height_m", report.patient.height_m, row["height_m"])


@needs_shared
@pytest.mark.parametrize(
    ("stem", "count", "events", "dlp"),
    [("CT-RDSR-Siemens-Multi", 3, 3, 236.09), ("CT-RDSR-Siemens-Continued", 2, 4, 116.61)],
)
def test_reports_of_one_study_combine_whatever_their_order(stem, count, events, dlp):
    reports = [read_dose_object(SHARED_RDSR / f"{stem}-{i}.dcm") for i in range(1, count + 1)]
    assert len({r.study_uid for r in reports}) == 1
    for order in permutations(reports):
        # The caller passes the reports oldest first by content date, whatever the arrival order.
        ordered = sorted(order, key=lambda r: r.content_datetime)
        combined_events, totals, _ = combine_reports(ordered)
        assert len(combined_events) == events
        assert totals["dlp_total_mgycm"] == pytest.approx(dlp, abs=0.005)


@needs_shared
def test_philips_dose_screen_sums_its_exposures():
    report = read_dose_object(SHARED_RDSR / "CT-SC-Philips_Brilliance16P.dcm")
    assert report.source == "dose-screen"
    assert len(report.events) == 4
    assert report.totals["dlp_total_mgycm"] == pytest.approx(1102.45, abs=0.005)
    assert report.totals["ctdivol_max_mgy"] == pytest.approx(11.33, abs=0.005)


@needs_shared
def test_empty_numeric_values_are_skipped_and_said():
    report = read_dose_object(SHARED_RDSR / "RF-RDSR-GE.dcm")
    assert any("empty numeric value" in w and "112011" in w for w in report.warnings)
    assert report.totals["dap_total_gycm2"] == pytest.approx(2.4126, abs=5e-5)


@needs_shared
def test_skipped_values_are_notices_worded_in_french_too():
    report = read_dose_object(SHARED_RDSR / "RF-RDSR-GE.dcm")
    assert report.warning_notices
    assert [n.text("en") for n in report.warning_notices] == report.warnings
    french = [n.text("fr") for n in report.warning_notices]
    assert any("valeur numérique vide ; ignorée" in t and "112011" in t for t in french)
    assert not any("skipped" in t for t in french)


@needs_shared
def test_eurocolumbus_nested_event_items_are_read():
    report = read_dose_object(SHARED_RDSR / "RF-RDSR-Eurocolumbus.dcm")
    first = report.events[0]
    # Dose (RP), field size and angles sit under a TEXT item in this vendor's report.
    assert first.kar_mgy == pytest.approx(0.136008)
    assert first.field_area_cm2 == pytest.approx(900.0)
    assert first.primary_angle_deg == pytest.approx(6.0)
    assert first.kvp_kv is not None and first.kvp_kv > 0


@needs_shared
def test_ct_event_detail():
    report = read_dose_object(SHARED_RDSR / "CT-RDSR-Siemens-Multi-2.dcm")
    localizer, helix = report.events
    assert localizer.acquisition_type == "constant_angle"
    assert localizer.protocol == "Topogram"
    assert helix.acquisition_type == "spiral"
    assert helix.ctdivol_mgy == pytest.approx(8.13)
    assert helix.dlp_mgycm == pytest.approx(69.81)
    assert helix.phantom_cm == 32
    assert helix.kvp_kv == pytest.approx(120)
    assert helix.pitch == pytest.approx(0.09)
    assert helix.scan_length_mm == pytest.approx(92)
    assert helix.exposure_mas == pytest.approx(22 * 0.5)


@needs_shared
def test_projection_event_geometry():
    report = read_dose_object(SHARED_RDSR / "RF-RDSR-Siemens-Zee.dcm")
    event = report.events[0]
    assert event.event_type == "fluoroscopy"
    assert event.dap_gycm2 == pytest.approx(0.01)
    assert event.kar_mgy == pytest.approx(0.14)
    assert event.source_detector_mm == pytest.approx(1200)
    assert event.source_isocentre_mm == pytest.approx(785)
    assert event.table_height_mm == pytest.approx(151.8)
    assert event.filter_material == "Cu"
    assert event.filter_thickness_mm == pytest.approx(0.6)
    assert event.pulse_width_ms == pytest.approx(4.2)
    assert event.exposure_mas == pytest.approx(9.586)


@needs_shared
def test_implausible_age_from_an_anonymised_birth_date_is_unknown():
    report = read_dose_object(SHARED_RDSR / "siemens_axiom_artis.dcm")
    assert report.patient.age_years is None
