"""Hand-computed checks of what issue 11 added to the engine: a rotational arc on a circular
cylinder, a field derived from DAP / Ka,r, and the HVL of a beam with two filters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kerma.dose import Event
from kerma.skindose import RoomSettings, compute_skin_dose, physics
from kerma.skindose.engine import ARC_STEP_DEG, _beam, beam_filtration

DSI, DSD, R, PAD = 800.0, 1200.0, 150.0, 40.0


def _room(**changes) -> RoomSettings:
    # A circular cylinder of radius R whose axis is at the isocentre; no table attenuation.
    base = dict(
        cylinder_semi_axis_lateral_mm=R, cylinder_semi_axis_ap_mm=R, cylinder_length_mm=800.0,
        pad_thickness_mm=PAD, table_transmission=1.0, inherent_filtration_mmal=2.5,
    )
    base.update(changes)
    return RoomSettings(**base)


def _event(**changes) -> Event:
    values = dict(
        kind="projection", uid="e", kar_mgy=100.0, primary_angle_deg=0.0,
        secondary_angle_deg=0.0, source_isocentre_mm=DSI, source_detector_mm=DSD,
        table_longitudinal_mm=0.0, table_lateral_mm=400.0, table_height_mm=PAD + R,
        field_width_mm=200.0, field_height_mm=200.0, kvp_kv=80.0, filter_material="Cu",
        filter_thickness_mm=0.3,
    )
    values.update(changes)
    return Event(**values)


@pytest.mark.parametrize("arc_deg", [120.0, 180.0])
def test_rotational_arc_spreads_the_dose_over_the_arc(arc_deg):
    room = _room()
    static = compute_skin_dose([_event()], room=room, phantom="cylinder", cell_mm=5.0)
    rotational = compute_skin_dose(
        [_event(event_type="rotational", primary_angle_deg=-arc_deg / 2,
                primary_angle_end_deg=arc_deg / 2)],
        room=room, phantom="cylinder", cell_mm=5.0,
    )
    # Source-to-skin distance is DSI − R for every step; a skin point is in the field while the
    # central ray is within ± (field width at the skin / 2) / R of it, so it gets the fraction
    # (field width at the skin) / (arc length on the skin) of the static peak
    # (Ka,r × inverse square × BSF × mu_en ratio, same at every step).
    width_at_skin = 200.0 * (DSI - R) / DSD
    fraction = width_at_skin / (R * math.radians(arc_deg))
    assert rotational.psd_mgy == pytest.approx(static.psd_mgy * fraction, rel=0.08)
    steps = math.ceil(arc_deg / ARC_STEP_DEG) + 1
    assert any(f"spread over their arc in steps of at most {ARC_STEP_DEG:g}" in w
               for w in rotational.warnings)
    assert rotational.events_used == 1 and steps > 50
    # The dose is on an arc of the skin, not on one spot.
    assert (rotational.dose_map_mgy > 0).sum() > 3 * (static.dose_map_mgy > 0).sum()


def test_field_derived_from_dap_over_kar_equals_the_stated_field():
    # Ka,r 100 mGy, DAP 10 Gy·cm²: 100 cm² at the reference point, a 100 mm square there.
    derived = _event(field_width_mm=None, field_height_mm=None, dap_gycm2=10.0)
    stated = _event(field_width_mm=100.0, field_height_mm=100.0)
    at_reference = _room(field_size_mode="reference_point")
    a = compute_skin_dose([derived], room=_room(), phantom="cylinder")
    b = compute_skin_dose([stated], room=at_reference, phantom="cylinder")
    assert a.psd_mgy == pytest.approx(b.psd_mgy, rel=1e-9)
    assert np.array_equal(a.dose_map_mgy > 0, b.dose_map_mgy > 0)
    assert a.provenance["field_size"] == {
        "stated": 0,
        "derived_from_dap_over_kar": 1,
        "derivation": "area at the reference point = DAP / Ka,r of the event, square field",
    }
    beam = _beam(derived, 0, _room(), {})
    assert beam.derived_field
    assert beam.side_mm == pytest.approx(100.0)
    assert beam.field_distance_mm == pytest.approx(DSI - 150.0)


def test_two_filter_hvl_counts_both_filters():
    event = _event(filter_material="Al", filter_thickness_mm=1.0, filters="Cu 0.4 mm + Al 1 mm")
    assert beam_filtration(event) == (1.0, 0.4)
    beam = _beam(event, 0, _room(), {})
    hvl, _ = physics.beam_quality(80.0, 2.5 + 1.0, 0.4)
    assert beam.hvl_mmal == pytest.approx(hvl)
    # By hand: the air kerma of the filtered Kramers spectrum behind HVL mm Al is one half.
    energy, psi = physics._spectrum(80.0, 3.5, 0.4)
    kerma = psi * physics._loglog(physics._MUEN_AIR, energy)
    mu_al = physics._loglog(physics._MU_AL, energy) * physics._DENSITY_AL / 10.0
    assert (kerma * np.exp(-mu_al * hvl)).sum() / kerma.sum() == pytest.approx(0.5, abs=1e-6)
    # Keeping only the thicker (1 mm Al) filter would lower the HVL by half and the backscatter
    # factor by about 10 %.
    hvl_al_only, _ = physics.beam_quality(80.0, 3.5, 0.0)
    assert hvl_al_only < 0.6 * hvl
    bsf_both = float(physics.backscatter(80.0, hvl, 20.0))
    bsf_al = float(physics.backscatter(80.0, hvl_al_only, 20.0))
    assert bsf_both / bsf_al == pytest.approx(1.10, abs=0.02)
