"""Every vendor family's room defaults, checked on reports written here in the family's layout:
PA, LAO 90, RAO 90, cranial and caudal beams must enter the human phantom on the back, the right
side, the left side, foot-ward and head-ward; the inverse square must follow the table height as
the vendor reports it."""

from __future__ import annotations

import numpy as np
import pytest
from tests.vendor_layouts import ROOMS, room_report

from kerma.dicom.reader import read_dose_object
from kerma.dose import Event
from kerma.skindose import compute_skin_dose, room_defaults
from kerma.skindose.settings import VENDOR_FAMILIES, vendor_family

FAMILIES = sorted(ROOMS)


def _entrance(tmp_path, family: str, angles: tuple[float, float], **layout):
    """Return (outward normal, position) in the patient frame of the peak cell of one beam, and
    the result."""
    path = room_report(tmp_path / "r.dcm", family, [angles], **layout)
    report = read_dose_object(path)
    room = room_defaults(report.device.manufacturer, report.device.model)
    assert room.source == f"{family} defaults"
    result = compute_skin_dose(report.events, patient=report.patient, room=room, cell_mm=10.0)
    assert result.method == "map", result.events_skipped
    peak = int(np.argmax(result.dose_map_mgy))
    normal = result.surface.normals.reshape(-1, 3)[peak]
    point = result.surface.points.reshape(-1, 3)[peak]
    return normal, point, result


def test_every_family_is_declared_with_its_sources():
    assert {f.name for f in VENDOR_FAMILIES} == set(ROOMS)
    for family in VENDOR_FAMILIES:
        assert "DICOM" in family.conventions or "PySkinDose" in family.conventions
    assert vendor_family("ACME", "C-arm") is None


@pytest.mark.parametrize("family", FAMILIES)
def test_pa_lao_rao_cranial_caudal_enter_on_the_expected_side(tmp_path, family):
    back, pa_point, _ = _entrance(tmp_path, family, (0.0, 0.0))
    assert back[1] < -0.7  # posterior: the back
    right, _, _ = _entrance(tmp_path, family, (90.0, 0.0))  # LAO: detector left, source right
    assert right[0] < -0.7
    left, _, _ = _entrance(tmp_path, family, (-90.0, 0.0))  # RAO
    assert left[0] > 0.7
    _, cranial, _ = _entrance(tmp_path, family, (0.0, 30.0))  # source toward the feet
    _, caudal, _ = _entrance(tmp_path, family, (0.0, -30.0))
    assert cranial[2] < pa_point[2] - 30.0 < caudal[2] - 60.0
    # The isocentre 450 mm from the head end of the table: the PA spot is on the trunk.
    assert -600.0 < pa_point[2] < -300.0


@pytest.mark.parametrize("family", FAMILIES)
def test_inverse_square_follows_the_table_height_as_reported(tmp_path, family):
    _, _, high = _entrance(tmp_path, family, (0.0, 0.0), below_iso_mm=150.0)
    _, _, low = _entrance(tmp_path, family, (0.0, 0.0), below_iso_mm=250.0)
    # PA from below: the back (on the 40 mm mattress) is 810 − 150 + 40 and 810 − 250 + 40 mm
    # from the focal spot; lowering the table brings it 100 mm closer.
    expected = ((810.0 - 150.0 + 40.0) / (810.0 - 250.0 + 40.0)) ** 2
    assert low.psd_mgy / high.psd_mgy == pytest.approx(expected, rel=0.03)


def test_philips_private_geometry_is_read_and_used(tmp_path):
    standard = _entrance(tmp_path, "Philips Allura", (0.0, 0.0))[2]
    private = _entrance(tmp_path, "Philips Allura", (0.0, 0.0), private_philips=True)[2]
    events = read_dose_object(
        room_report(tmp_path / "p.dcm", "Philips Allura", [(0.0, 0.0)], private_philips=True)
    ).events
    assert events[0].table_height_mm == pytest.approx(1055.0 - 150.0)
    assert events[0].source_detector_mm == pytest.approx(1200.0)
    assert events[0].field_width_mm == pytest.approx(250.0)
    assert private.psd_mgy == pytest.approx(standard.psd_mgy, rel=1e-6)
    assert private.provenance["field_size"]["derived_from_dap_over_kar"] == 0


def test_a_rotational_run_from_a_report_is_spread_over_its_arc():
    static = Event(kind="projection", uid="s", kar_mgy=100.0, primary_angle_deg=-60.0,
                   secondary_angle_deg=0.0, source_isocentre_mm=810.0, source_detector_mm=1200.0,
                   table_longitudinal_mm=0.0, table_lateral_mm=450.0, table_height_mm=150.0,
                   field_width_mm=250.0, field_height_mm=250.0, kvp_kv=80.0)
    arc = Event(**{**static.as_dict(), "uid": "r", "event_type": "rotational",
                   "primary_angle_end_deg": 60.0})
    room = room_defaults("Siemens", "ARTIS icono")
    one_spot = compute_skin_dose([static], room=room)
    spread = compute_skin_dose([arc], room=room)
    assert spread.provenance["rotational"]["events"] == 1
    assert spread.psd_mgy < 0.5 * one_spot.psd_mgy


def test_the_3d_view_gets_the_beams_of_the_top_events_and_the_room(tmp_path):
    normal, point, result = _entrance(tmp_path, "Siemens Artis zee/Q/icono", (0.0, 0.0))
    mesh = result.surface_mesh()
    assert mesh["room"] == "Siemens Artis zee/Q/icono defaults"
    (beam,) = mesh["beams"]
    source = np.array(beam["source"])
    # PA: the focal spot under the table, 810 mm below the isocentre (table top 150 mm under
    # it); the field edges go up past the patient, around the entrance spot.
    assert source[1] == pytest.approx(-810.0 + 150.0, abs=1.0)
    corners = np.array(beam["corners"])
    assert (corners[:, 1] > 300.0).all()
    assert corners[:, 2].min() < point[2] < corners[:, 2].max()
