"""Dose objects once refused or read short: dental headers, Siemens radiation summaries,
filters given as text, beams with two filters."""

from __future__ import annotations

import pydicom
import pytest
from tests.vendor_layouts import dental_image, radiography_with_filter_text, siemens_radsum

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError, Event, beam_filters, set_filters


@pytest.mark.parametrize("modality", ["PX", "IO"])
def test_dental_headers_are_radiography_with_their_dap(tmp_path, modality):
    report = read_dose_object(dental_image(tmp_path / "d.dcm", modality, 0.0123))
    assert report.modality == "DX"
    assert report.totals["dap_total_gycm2"] == pytest.approx(0.0123)


def test_dental_cone_beam_header_without_ctdivol_keeps_its_dap(tmp_path):
    report = read_dose_object(dental_image(tmp_path / "cbct.dcm", "CT", 0.35))
    assert report.modality == "CT"
    assert report.totals["dap_total_gycm2"] == pytest.approx(0.35)


def test_siemens_radiation_summary_gives_dap_and_fluoro_time(tmp_path):
    report = read_dose_object(siemens_radsum(tmp_path / "s.dcm"))
    assert report.modality == "RF"
    assert report.totals["dap_total_gycm2"] == pytest.approx(12.34)
    assert report.totals["fluoro_time_s"] == pytest.approx(321.0)
    assert report.events == []


def test_siemens_radiation_summary_with_empty_dates_and_dap(tmp_path):
    report = read_dose_object(siemens_radsum(tmp_path / "s.dcm", dap_gycm2=None, start=""))
    assert "dap_total_gycm2" not in report.totals
    assert report.totals["fluoro_time_s"] == pytest.approx(321.0)
    assert any("empty numeric value" in w for w in report.warnings)


def test_siemens_radiation_summary_without_values_is_refused_with_reason(tmp_path):
    path = siemens_radsum(tmp_path / "s.dcm", dap_gycm2=None, fluoro_s=None)
    with pytest.raises(DoseObjectError, match="C-204"):
        read_dose_object(path)


def test_another_private_title_is_still_not_a_dose_report(tmp_path):
    path = siemens_radsum(tmp_path / "s.dcm")
    ds = pydicom.dcmread(path)
    ds.ConceptNameCodeSequence[0].CodeValue = "C-11"
    ds.save_as(path)
    with pytest.raises(DoseObjectError, match="not a dose report"):
        read_dose_object(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("CU_0.2_MM", [("Cu", 0.2)]), ("AL_2.5_MM", [("Al", 2.5)]),
     ("CU_0.1_MM\\AL_1_MM", [("Cu", 0.1), ("Al", 1.0)])],
)
def test_filter_type_text_gives_the_filters(tmp_path, text, expected):
    report = read_dose_object(radiography_with_filter_text(tmp_path / "f.dcm", text))
    event = report.events[0]
    assert beam_filters(event) == expected
    assert event.filter_material == max(expected, key=lambda f: f[1])[0]


def test_two_filters_both_kept_thickest_is_the_event_filter():
    event = Event(kind="projection")
    set_filters(event, [("Cu", 0.4), ("Al", 1.0)])
    assert (event.filter_material, event.filter_thickness_mm) == ("Al", 1.0)
    assert beam_filters(event) == [("Cu", 0.4), ("Al", 1.0)]
