"""The Projection X-Ray Radiation Dose SR writer (TID 10001), read back with pydicom."""

from __future__ import annotations

import math
from datetime import timedelta

import pydicom
import pytest
from tests.dicom.write.samples import (
    DEVICE,
    PATIENT,
    STUDY,
    T0,
    children,
    coded,
    concept,
    ct_acquisitions,
    find,
    numeric,
    one,
    write_fluoro,
)

from kerma.dicom import write as writer
from kerma.dicom.write import ProjectionEvent


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
