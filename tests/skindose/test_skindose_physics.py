"""Skin-dose engine on cases computed by hand: one perpendicular beam on a flat phantom, two
beams overlapping or not, an oblique beam through the table, a beam from above, a beam that
misses, and the Ka,r-based fallback when the geometry is missing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kerma.dose import Event, PatientInfo
from kerma.skindose import RoomSettings, compute_skin_dose, physics, room_defaults

DSI, DSD, HEIGHT, PAD = 800.0, 1200.0, 200.0, 40.0
REF = DSI - 150.0  # source to interventional reference point
SKIN_Y = -HEIGHT + PAD  # the back of a patient on the mattress, table lowered by HEIGHT


def room(**changes) -> RoomSettings:
    """A room whose 410 mm wide plane has a cell centred on x = 0."""
    base = {
        "plane_width_mm": 410.0,
        "plane_length_mm": 1200.0,
        "pad_thickness_mm": PAD,
        "table_transmission": 0.8,
        "inherent_filtration_mmal": 2.5,
    }
    base.update(changes)
    return RoomSettings(**base)


def beam(**changes) -> Event:
    """A PA beam, 100 mm square field at the detector, isocentre 595 mm from the head end."""
    values = {
        "kind": "projection",
        "uid": "1.2.3",
        "event_type": "stationary",
        "kar_mgy": 100.0,
        "primary_angle_deg": 0.0,
        "secondary_angle_deg": 0.0,
        "source_isocentre_mm": DSI,
        "source_detector_mm": DSD,
        "table_longitudinal_mm": 0.0,  # sideways travel (axes swapped, as Siemens reports)
        "table_lateral_mm": 595.0,  # travel along the table
        "table_height_mm": HEIGHT,
        "field_width_mm": 100.0,
        "field_height_mm": 100.0,
        "kvp_kv": 80.0,
        "filter_material": "Cu",
        "filter_thickness_mm": 0.3,
    }
    values.update(changes)
    return Event(**values)


def factors(kvp: float = 80.0, cu: float = 0.3, al: float = 2.5) -> tuple[float, float]:
    hvl, medium = physics.beam_quality(kvp, al, cu)
    return hvl, medium


def test_backscatter_fit_matches_a_hand_evaluation_of_the_published_formula():
    # Benmakhlouf 2013 eq. 8, 10 cm column, 80 kV, HVL 3 mm Al, evaluated by hand:
    # (0.929969 + 0.00408549·80 − 1.66271e-5·6400) + (0.153605 − 0.00145187·80
    # + 5.05312e-6·6400)·3 + (−0.00932427 + 9.40568e-5·80 − 3.28449e-7·6400)·9 = 1.3247
    assert physics.backscatter(80.0, 3.0, 10.0) == pytest.approx(1.3247, abs=2e-4)
    # Larger fields and harder beams scatter more back.
    assert physics.backscatter(80.0, 3.0, 20.0) > physics.backscatter(80.0, 3.0, 10.0)
    assert physics.backscatter(80.0, 6.0, 10.0) > physics.backscatter(80.0, 3.0, 10.0)
    # Between tabulated sides: linear interpolation; beyond them: held constant.
    mid = physics.backscatter(80.0, 3.0, 7.5)
    ends = physics.backscatter_by_side(80.0, 3.0)[:2]
    assert mid == pytest.approx(ends.mean())
    assert physics.backscatter(80.0, 3.0, 50.0) == pytest.approx(
        physics.backscatter(80.0, 3.0, 35.0)
    )


def test_beam_quality_is_plausible():
    # IEC 61267 RQR 6: 80 kV, HVL 3.01 mm Al behind about 2.5 mm Al.
    hvl, medium = physics.beam_quality(80.0, 2.5, 0.0)
    assert 2.7 < hvl < 3.3
    assert 1.01 < medium < 1.04
    harder, medium_cu = physics.beam_quality(80.0, 2.5, 0.9)
    assert 7.0 < harder < 9.5  # 0.9 mm Cu roughly triples the HVL
    assert medium_cu > medium  # water absorbs relatively more at higher energy
    assert physics.filtration("Cu", 0.6) == (0.0, 0.6)
    assert physics.filtration("Al", 1.0) == (1.0, 0.0)
    assert physics.filtration("Mo", 0.03) == (0.0, 0.0)


def test_single_perpendicular_beam_on_flat_phantom():
    result = compute_skin_dose([beam()], room=room(), phantom="plane")
    assert result.method == "map"
    assert result.events_used == 1 and result.events_skipped == []
    distance = DSI + SKIN_Y  # 640 mm from the focal spot to the back
    side_cm = 10.0 * distance / DSD  # 100 mm at 1200 mm → 5.33 cm at the skin
    hvl, medium = factors()
    expected = (
        100.0 * (REF / distance) ** 2 * 0.8 * physics.backscatter(80.0, hvl, side_cm) * medium
    )
    # By hand: 100 × (650/640)² × 0.8 × BSF × mu_en ratio.
    assert (REF / distance) ** 2 == pytest.approx(1.031494, abs=1e-6)
    assert result.psd_mgy == pytest.approx(expected, rel=1e-9)
    # The peak is at the isocentre's foot-print: row 59 (595 mm from the head end), column 20.
    row, col = np.unravel_index(np.argmax(result.dose_map_mgy), result.map_shape)
    assert (row, col) == (59, 20)
    # The field at the skin is 53 mm square: about 5 × 5 cells of 1 cm² are hit.
    hit = int((result.dose_map_mgy > 0).sum())
    assert 25 <= hit <= 36
    assert result.area_above_mgy == {2000: 0.0, 3000: 0.0, 5000: 0.0}
    assert result.top_events[0]["dose_mgy"] == pytest.approx(result.psd_mgy, rel=1e-3)
    assert result.top_events[0]["share"] == pytest.approx(1.0, abs=1e-3)


def test_area_above_thresholds_counts_cell_areas():
    result = compute_skin_dose([beam(kar_mgy=3000.0)], room=room(), phantom="plane")
    hit = result.dose_map_mgy > 0
    assert result.psd_mgy > 3000.0  # 3 Gy Ka,r, more on the skin (closer, backscatter)
    assert result.area_above_mgy[2000] == pytest.approx(hit.sum() * 1.0)  # 1 cm² cells
    assert result.area_above_mgy[3000] == pytest.approx((result.dose_map_mgy >= 3000).sum())
    assert result.area_above_mgy[5000] == 0.0


def test_two_overlapping_beams_add_up():
    one = compute_skin_dose([beam(kar_mgy=100.0)], room=room(), phantom="plane").psd_mgy
    two = compute_skin_dose(
        [beam(kar_mgy=100.0), beam(uid="1.2.4", kar_mgy=200.0)], room=room(), phantom="plane"
    )
    assert two.psd_mgy == pytest.approx(3.0 * one, rel=1e-9)
    assert [e["uid"] for e in two.top_events] == ["1.2.4", "1.2.3"]
    assert two.top_events[0]["dose_mgy"] == pytest.approx(2.0 * one, rel=1e-3)


def test_two_separate_beams_give_the_larger_single_dose():
    one = compute_skin_dose([beam(kar_mgy=100.0)], room=room(), phantom="plane")
    other = beam(uid="1.2.4", kar_mgy=60.0, table_lateral_mm=295.0)  # 300 mm further up
    both = compute_skin_dose([beam(kar_mgy=100.0), other], room=room(), phantom="plane")
    assert both.psd_mgy == pytest.approx(one.psd_mgy, rel=1e-9)
    assert both.events_used == 2
    # Two separate spots on the map: the sum of the map is the sum of the two beams' maps.
    alone = compute_skin_dose([other], room=room(), phantom="plane")
    assert both.dose_map_mgy.sum() == pytest.approx(
        one.dose_map_mgy.sum() + alone.dose_map_mgy.sum()
    )
    assert alone.psd_mgy < one.psd_mgy


def test_oblique_beam_through_the_table_is_attenuated_along_its_path():
    result = compute_skin_dose([beam(primary_angle_deg=30.0)], room=room(), phantom="plane")
    # LAO 30°: focal spot at the patient's right, below the table.
    alpha = math.radians(30.0)
    source = np.array([-DSI * math.sin(alpha), -DSI * math.cos(alpha), 0.0])
    # The central ray meets the back at x = -400 + 0.5 × (800·cos30 − 160)/cos30 = −92.4 mm:
    # take the cell centred at x = −90 mm (column 11), row 59 (z = −595 in the patient frame,
    # the isocentre plane z = 0 in the room frame).
    cell = np.array([-90.0, SKIN_Y, 0.0])
    ray = cell - source
    distance = float(np.linalg.norm(ray))
    cos_theta = abs(ray[1]) / distance
    depth = float(ray @ np.array([math.sin(alpha), math.cos(alpha), 0.0]))
    hvl, medium = factors()
    expected = (
        100.0
        * (REF / distance) ** 2
        * 0.8 ** (1.0 / cos_theta)
        * physics.backscatter(80.0, hvl, 10.0 * depth / DSD)
        * medium
    )
    assert 0.8 ** (1.0 / cos_theta) < 0.78  # longer path than the perpendicular 0.8
    assert result.dose_map_mgy[59, 11] == pytest.approx(expected, rel=1e-9)
    # A room with a measured, lighter table gives proportionally more dose.
    lighter = compute_skin_dose(
        [beam(primary_angle_deg=30.0)], room=room(table_transmission=0.9), phantom="plane"
    )
    ratio = (0.9 / 0.8) ** (1.0 / cos_theta)
    assert lighter.dose_map_mgy[59, 11] == pytest.approx(expected * ratio, rel=1e-9)


def test_beam_from_above_does_not_cross_the_table():
    # Source over the table (primary 180°), cylinder phantom: only inverse square, BSF, medium.
    settings = room(cylinder_semi_axis_lateral_mm=200.0, cylinder_semi_axis_ap_mm=100.0)
    result = compute_skin_dose(
        [beam(primary_angle_deg=180.0)], room=settings, phantom="cylinder"
    )
    top_y = SKIN_Y + 200.0  # the cylinder's front, 200 mm above its back
    distance = DSI - top_y
    hvl, medium = factors()
    expected_centre = (
        100.0 * (REF / distance) ** 2 * physics.backscatter(80.0, hvl, 10.0 * distance / DSD)
        * medium
    )
    # The cells nearest the central ray are within half a cell of it: within 0.5 %.
    assert result.psd_mgy == pytest.approx(expected_centre, rel=5e-3)
    # The dose is on the front of the phantom (columns at angles 0..pi).
    angles = result.surface.angles
    col = int(np.argmax(result.dose_map_mgy.max(axis=0)))
    assert math.sin(angles[col]) > 0.95


def test_cranial_angle_follows_dicom_sense_and_room_sign():
    def peak_row(angle: float, sign: float = 1.0) -> int:
        result = compute_skin_dose(
            [beam(secondary_angle_deg=angle)], room=room(secondary_angle_sign=sign),
            phantom="plane",
        )
        return int(np.unravel_index(np.argmax(result.dose_map_mgy), result.map_shape)[0])

    straight = peak_row(0.0)
    # Cranial (+): detector towards the head, focal spot towards the feet, so below the
    # isocentre the beam crosses the back on the feet side (larger row index).
    assert peak_row(25.0) > straight
    assert peak_row(-25.0) < straight
    # A device reporting the opposite sense is corrected by its room setting.
    assert peak_row(25.0, sign=-1.0) < straight


def test_beam_missing_the_phantom_gives_no_map_and_the_reason():
    # Isocentre a metre beyond the head end of the plane. A map is a map: with no event on the
    # phantom the answer is the conservative estimate, never a peak skin dose of 0.
    result = compute_skin_dose(
        [beam(table_lateral_mm=-1000.0)], room=room(), phantom="plane"
    )
    assert result.method == "kar_estimate"
    assert result.psd_mgy > 100.0
    assert result.map_shape == (0, 0)
    assert [(s["uid"], s["reason"], s["code"]) for s in result.events_skipped] == [
        (
            "1.2.3",
            "beam misses the phantom (no skin cell inside the field on the entrance side)",
            "skindose.skip.misses_phantom",
        )
    ]
    assert result.warnings[0] == (
        "1 beam(s) miss the plane phantom (100.0 mGy Ka,r not in the map): check the phantom "
        "and the room's table settings if this is unexpected"
    )
    assert any("conservative estimate" in w for w in result.warnings)


def test_missing_geometry_everywhere_falls_back_to_a_conservative_kar_estimate():
    events = [
        beam(uid="a", primary_angle_deg=None, secondary_angle_deg=None, kar_mgy=10.0),
        beam(uid="b", table_height_mm=None, field_width_mm=None, field_height_mm=None,
             kar_mgy=30.0),
    ]
    result = compute_skin_dose(events, room=room(), phantom="human")
    assert result.method == "kar_estimate"
    assert result.map_shape == (0, 0)
    reasons = {s["uid"]: s["reason"] for s in result.events_skipped}
    assert reasons["a"] == "missing positioner primary angle, positioner secondary angle"
    assert reasons["b"] == "missing table height position, collimated field size"
    hvl, medium = factors()
    bsf_35 = float(physics.backscatter(80.0, hvl, 35.0))
    assert result.psd_mgy == pytest.approx(40.0 * bsf_35 * medium, rel=1e-9)
    assert result.psd_mgy > 40.0  # never below the summed Ka,r
    assert any("conservative estimate" in w for w in result.warnings)
    assert result.events_used == 2
    assert result.area_above_mgy == {2000: None, 3000: None, 5000: None}
    assert result.top_events[0]["uid"] == "b"


def test_partly_missing_geometry_maps_what_it_can_and_says_what_is_left_out():
    events = [beam(uid="ok"), beam(uid="bad", source_isocentre_mm=None, kar_mgy=50.0)]
    result = compute_skin_dose(events, room=room(), phantom="plane")
    assert result.method == "map"
    assert result.events_used == 1
    assert [(s["uid"], s["reason"]) for s in result.events_skipped] == [
        ("bad", "missing source-to-isocentre distance")
    ]
    assert result.events_skipped[0]["code"] == "skindose.skip.missing"
    assert result.events_skipped[0]["params"]["fields"] == ["source_isocentre_mm"]
    assert any("geometry missing for 1 of 2 events (50.0 of 150.0 mGy" in w
               for w in result.warnings)


def test_room_assumed_values_fill_gaps_and_are_stated():
    settings = room(assumed={"table_height_mm": HEIGHT})
    result = compute_skin_dose([beam(table_height_mm=None)], room=settings, phantom="plane")
    reference = compute_skin_dose([beam()], room=room(), phantom="plane")
    assert result.psd_mgy == pytest.approx(reference.psd_mgy)
    assert any("table_height_mm missing in 1 event(s)" in w for w in result.warnings)


def test_warnings_are_notices_worded_in_french_too():
    settings = room(assumed={"table_height_mm": HEIGHT})
    result = compute_skin_dose(
        [beam(table_height_mm=None, kvp_kv=None)], room=settings, phantom="plane"
    )
    assert [n.text("en") for n in result.warning_notices] == result.warnings
    assert result.to_json()["warning_notices"] == [n.to_dict() for n in result.warning_notices]
    french = [n.text("fr") for n in result.warning_notices]
    assert any("table_height_mm absent dans 1 événement(s)" in t for t in french)
    assert any("kV supposés" in t for t in french)


def test_field_area_only_and_field_stated_at_the_isocentre():
    square = compute_skin_dose([beam()], room=room(), phantom="plane")
    area = compute_skin_dose(
        [beam(field_width_mm=None, field_height_mm=None, field_area_cm2=100.0)],
        room=room(), phantom="plane",
    )
    assert area.psd_mgy == pytest.approx(square.psd_mgy)
    # The same 100 mm stated at the isocentre (800 mm) is a larger field at the skin.
    at_iso = compute_skin_dose([beam()], room=room(field_size_mode="isocentre"), phantom="plane")
    assert (at_iso.dose_map_mgy > 0).sum() > (square.dose_map_mgy > 0).sum()
    assert at_iso.psd_mgy > square.psd_mgy  # more backscatter from the larger field


def test_non_projection_events_are_skipped_with_their_kind():
    ct = Event(kind="ct", uid="ct1", ctdivol_mgy=10.0)
    result = compute_skin_dose([beam(), ct], room=room(), phantom="plane")
    assert result.events_used == 1
    assert [(s["uid"], s["reason"]) for s in result.events_skipped] == [
        ("ct1", "not a projection event (ct)")
    ]


def test_feet_first_patient_is_mapped_at_the_other_end():
    head_first = compute_skin_dose([beam(table_lateral_mm=195.0)], room=room(), phantom="plane")
    feet_first = compute_skin_dose(
        [beam(table_lateral_mm=195.0)],
        room=room(patient_orientation="feet_first_supine"),
        phantom="plane",
    )
    rows = head_first.map_shape[0]
    row_head = np.unravel_index(np.argmax(head_first.dose_map_mgy), head_first.map_shape)[0]
    row_feet = np.unravel_index(np.argmax(feet_first.dose_map_mgy), feet_first.map_shape)[0]
    assert row_head == 19
    assert row_feet == rows - 1 - 19
    assert feet_first.psd_mgy == pytest.approx(head_first.psd_mgy)


def test_human_phantom_scales_with_the_patient():
    small = compute_skin_dose(
        [beam()], room=room(), phantom="human", patient=PatientInfo(height_m=1.55, weight_kg=50)
    )
    large = compute_skin_dose(
        [beam()], room=room(), phantom="human", patient=PatientInfo(height_m=1.90, weight_kg=110)
    )
    assert small.map_shape[0] == 155 and large.map_shape[0] == 190
    assert small.provenance["phantom"]["height_mm"] == 1550.0
    assert large.provenance["phantom"]["weight_kg"] == 110.0
    assert large.surface.areas.sum() > 1.3 * small.surface.areas.sum()
    odd = compute_skin_dose(
        [beam()], room=room(), phantom="human", patient=PatientInfo(height_m=17.5)
    )
    assert odd.provenance["phantom"]["height_mm"] == 1750.0
    assert any("implausible" in w for w in odd.warnings)


def test_same_beam_on_every_phantom_gives_a_dose_on_the_back():
    for name in ("plane", "cylinder", "human"):
        result = compute_skin_dose([beam()], room=room(), phantom=name)
        assert result.psd_mgy > 100.0, name  # Ka,r × ISQ (>1) × T (0.8) × BSF (>1.2)
        assert result.provenance["phantom"]["type"] == name


def test_unknown_phantom_and_bad_cell_size_are_refused():
    with pytest.raises(ValueError, match="unknown phantom 'robot'"):
        compute_skin_dose([beam()], phantom="robot")
    with pytest.raises(ValueError, match="cell_mm"):
        compute_skin_dose([beam()], cell_mm=0.1)


def test_room_settings_round_trip_and_vendor_defaults():
    settings = room_defaults("Siemens", "AXIOM-Artis")
    assert settings.secondary_angle_sign == -1.0
    assert settings.reference_point_mm == 150.0
    data = settings.to_dict()
    data["unknown_key"] = 1
    assert RoomSettings.from_dict(data) == settings
    philips = room_defaults("Philips Medical Systems", "Allura Clarity")
    assert philips.table_height_sign == -1.0 and philips.table_height_origin_mm == 1055.0
    assert room_defaults("ACME", "C-arm").source.startswith("generic")
    with pytest.raises(ValueError, match="field_size_mode"):
        RoomSettings(field_size_mode="somewhere")
    measured = RoomSettings(table_transmission_by_kvp=[[60, 0.7], [100, 0.8]])
    assert measured.transmission(80.0) == pytest.approx(0.75)
    assert measured.transmission(50.0) == 0.7 and measured.transmission(None) == 0.8
    by_filter = RoomSettings(
        table_transmission_by_kvp=[[70, 0.1, 0.69], [80, 0.1, 0.71], [70, 0.9, 0.74],
                                   [80, 0.9, 0.76]]
    )
    assert by_filter.transmission(75.0, 0.9) == pytest.approx(0.75)
    assert by_filter.transmission(75.0, 0.2) == pytest.approx(0.70)


def test_tracing_only_the_rows_a_beam_reaches_loses_no_cell():
    import random

    from kerma.skindose import engine, phantoms

    rng = random.Random(3)
    settings = room_defaults("Siemens", "AXIOM-Artis")
    events = [
        beam(
            uid=f"r{i}",
            primary_angle_deg=rng.uniform(-120.0, 120.0),
            secondary_angle_deg=rng.uniform(-45.0, 45.0),
            table_lateral_mm=rng.uniform(-100.0, 1700.0),
            table_longitudinal_mm=rng.uniform(-150.0, 150.0),
            table_height_mm=rng.uniform(50.0, 300.0),
            field_width_mm=rng.uniform(30.0, 400.0),
            field_height_mm=rng.uniform(30.0, 400.0),
        )
        for i in range(60)
    ]
    for surface in (
        phantoms.plane(400.0, 1200.0, 10.0, 40.0),
        phantoms.cylinder(200.0, 100.0, 1500.0, 10.0, 40.0),
        phantoms.human(1750.0, 75.0, 10.0, 40.0),
    ):
        body = engine._Phantom(surface, settings)
        beams = [engine._beam(e, i, settings, {}) for i, e in enumerate(events)]
        every = np.arange(body.points.shape[0])
        hits = 0
        for one, rows in zip(beams, body.rows_reached(beams), strict=True):
            full_index, full_dose = body.dose(one, cells=every)
            index, dose = body.dose(one, rows=rows)
            assert np.array_equal(index, full_index), surface.kind
            assert np.allclose(dose, full_dose)
            hits += bool(index.size)
        assert hits > 20, surface.kind  # most random beams do meet the phantom
