"""Every fluoroscopy/interventional report of ../shared/rdsr gets a skin-dose answer from Kerma:
a map, or a precise reason for every event left out and an overall explanation.

PySkinDose maps only the two Siemens AXIOM-Artis reports; on the Philips Allura Clarity ones
it crashes or reports 0.0 mGy, and it refuses the other devices. Kerma must answer on each of
them, with the room settings it picks for the device by default.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from tests.conftest import SHARED_RDSR, needs_shared

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseReport
from kerma.skindose import compute_skin_dose, room_defaults

pytestmark = needs_shared

PHANTOMS = ("plane", "cylinder", "human")
# Words that name what an event lacks, or why its beam is not on the phantom: a skip reason
# must contain at least one, so that it says precisely why.
REASON_WORDS = (
    "air kerma",
    "angle",
    "distance",
    "table",
    "field size",
    "misses the phantom",
    "not a projection event",
)
# Reports that carry every geometry item a map needs, standard or private (checked against the
# files with pydicom when this list was written): they must be mapped, not estimated. The
# Philips ones keep table height, source-to-detector distance and shutters under 99PHI-IXR-XPER;
# the AXIOM-Artis "Zee" ones give no field size (derived from DAP / Ka,r).
MAPPED = ("siemens_axiom_artis.dcm", "siemens_axiom_example_procedure.dcm")
GEOMETRY = (
    *MAPPED,
    "RF-RDSR-Philips_Allura.dcm",
    "philips_allura_clarity_u104.dcm",
    "philips_allura_clarity_u601.dcm",
    "RF-RDSR-Siemens-Zee.dcm",
    "RF-RDSR-Siemens-Zee_adjusted.dcm",
)
PHILIPS = ("philips_allura_clarity_u104.dcm", "philips_allura_clarity_u601.dcm")


def _interventional() -> list[str]:
    path = SHARED_RDSR / "expected.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return sorted(row["file"] for row in csv.DictReader(handle) if row["kind"] == "RF")


FILES = _interventional()


@cache
def _report(name: str) -> DoseReport:
    return read_dose_object(SHARED_RDSR / name)


def _result(name: str, phantom: str = "human", **room_changes: object) -> object:
    report = _report(name)
    room = room_defaults(report.device.manufacturer, report.device.model)
    if room_changes:
        room = replace(room, **room_changes)
    return compute_skin_dose(report.events, patient=report.patient, room=room, phantom=phantom)


def test_the_shared_folder_holds_the_interventional_reports() -> None:
    assert len(FILES) == 10
    assert set(MAPPED) | set(PHILIPS) <= set(FILES)
    assert "Dual-RDSR-RF.dcm" in FILES


@pytest.mark.parametrize("phantom", PHANTOMS)
@pytest.mark.parametrize("name", FILES)
def test_every_report_gets_an_explained_answer(name: str, phantom: str) -> None:
    report = _report(name)
    result = _result(name, phantom)
    total_kar = sum(e.kar_mgy or 0.0 for e in report.events if e.kind == "projection")
    assert total_kar > 0.0
    assert result.method in ("map", "kar_estimate")
    assert result.psd_mgy > 0.0  # never a silent 0 for a report with air kerma
    uids = {e.uid or f"event #{i + 1}" for i, e in enumerate(report.events)}
    for skipped in result.events_skipped:
        assert skipped["uid"] in uids
        assert any(word in skipped["reason"] for word in REASON_WORDS), skipped["reason"]
    if result.method == "map":
        # Each event is either in the map or listed with its reason, never both or neither.
        assert result.events_used + len(result.events_skipped) == len(report.events)
        assert result.dose_map_mgy.size > 0
        assert float(result.dose_map_mgy.max()) == pytest.approx(result.psd_mgy)
        assert result.events_used > 0
    else:
        # No event could be placed: each one says why, and the estimate says what it is.
        assert len(result.events_skipped) == len(report.events)
        assert all(
            s["reason"].startswith("missing ") or "misses the phantom" in s["reason"]
            for s in result.events_skipped
        )
        assert result.dose_map_mgy.size == 0
        assert any("conservative estimate" in w for w in result.warnings)
        # Conservative: Ka,r itself times backscatter (> 1) and the water/air ratio (> 1).
        assert result.psd_mgy > total_kar


@pytest.mark.parametrize("name", MAPPED)
def test_complete_reports_are_mapped(name: str) -> None:
    result = _result(name)
    assert result.method == "map"
    assert result.events_skipped == []
    assert result.events_used == len(_report(name).events)


@pytest.mark.parametrize("name", GEOMETRY)
def test_every_report_with_geometry_gets_a_map(name: str) -> None:
    result = _result(name)
    assert result.method == "map"
    assert result.events_used >= 0.9 * len(_report(name).events)
    assert result.psd_mgy > 0.0


def test_field_derived_from_dap_over_kar_is_stated() -> None:
    result = _result("RF-RDSR-Siemens-Zee.dcm")
    assert result.provenance["field_size"]["derived_from_dap_over_kar"] == 8
    assert any("derived from DAP / Ka,r" in w for w in result.warnings)


@pytest.mark.parametrize("name", PHILIPS)
def test_philips_allura_reports_get_kermas_own_answer(name: str) -> None:
    # PySkinDose gives 0.0 mGy (u104) or crashes (u601) on these. Kerma either maps them or
    # names, for every event, the geometry item the report does not give it.
    report = _report(name)
    result = _result(name)
    total_kar = sum(e.kar_mgy or 0.0 for e in report.events)
    assert result.psd_mgy > 0.1 * total_kar
    if result.method == "kar_estimate":
        reasons = {s["reason"] for s in result.events_skipped}
        assert all("table height position" in r for r in reasons)
        assert all("collimated field size" in r for r in reasons)


def test_a_missing_geometry_item_is_named_and_an_assumed_value_restores_the_map() -> None:
    name = "siemens_axiom_example_procedure.dcm"
    report = _report(name)
    events = [replace(e, table_height_mm=None) for e in report.events]
    room = room_defaults(report.device.manufacturer, report.device.model)
    estimate = compute_skin_dose(events, patient=report.patient, room=room, phantom="plane")
    assert estimate.method == "kar_estimate"
    assert {s["reason"] for s in estimate.events_skipped} == {"missing table height position"}
    # The room says what its table height is when the report does not: a map again, and the
    # assumption is stated.
    assumed = replace(room, assumed={"table_height_mm": 200.0})
    mapped = compute_skin_dose(events, patient=report.patient, room=assumed, phantom="plane")
    assert mapped.method == "map"
    assert any("table_height_mm" in w and "assumed" in w for w in mapped.warnings)


def test_kar_estimate_is_above_the_map_it_replaces() -> None:
    # The estimate of a report without geometry must not be below what a map of the same
    # events gives: checked on the Siemens example with its geometry removed.
    name = "siemens_axiom_example_procedure.dcm"
    report = _report(name)
    mapped = _result(name, "cylinder")
    stripped = [replace(e, primary_angle_deg=None) for e in report.events]
    room = room_defaults(report.device.manufacturer, report.device.model)
    estimate = compute_skin_dose(stripped, patient=report.patient, room=room, phantom="cylinder")
    assert estimate.method == "kar_estimate"
    assert estimate.psd_mgy >= mapped.psd_mgy
    assert np.isfinite(estimate.psd_mgy)


def test_event_summary_counts_the_estimate_and_the_skip_reasons() -> None:
    summary = _result("RF-RDSR-GE.dcm").event_summary()
    assert summary["room"] == "GE Innova/IGS/OEC defaults"
    assert summary["method"] == "kar_estimate" and summary["mapped"] == 0
    assert summary["estimated"] == 8
    assert summary["skipped"]["skindose.skip.missing"]["count"] == 8
