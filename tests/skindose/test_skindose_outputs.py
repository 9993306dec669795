"""What the skin-dose engine hands out: JSON, the PNG, the 3-D mesh, the `kerma skindose`
command (a real process) and the speed of a 500-event procedure."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import SHARED_RDSR, needs_shared

from kerma.dose import Event
from kerma.skindose import compute_skin_dose, render_png, room_defaults

KERMA = [sys.executable, "-m", "kerma.cli"]
JSON_KEYS = {
    "psd_mgy", "map_shape", "cell_size_mm", "area_above_mgy", "events_used", "events_skipped",
    "method", "provenance", "top_events", "warnings",
}


def run_kerma(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(home)
    env["COLUMNS"] = "200"
    return subprocess.run([*KERMA, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def beam(**changes) -> Event:
    values = {
        "kind": "projection", "uid": "u1", "event_type": "fluoroscopy", "kar_mgy": 2500.0,
        "primary_angle_deg": 0.0, "secondary_angle_deg": 0.0, "source_isocentre_mm": 785.0,
        "source_detector_mm": 1200.0, "table_longitudinal_mm": 0.0, "table_lateral_mm": 500.0,
        "table_height_mm": 200.0, "field_area_cm2": 400.0, "kvp_kv": 75.0,
        "filter_material": "Cu", "filter_thickness_mm": 0.3,
    }
    values.update(changes)
    return Event(**values)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_json_has_the_documented_keys_and_is_serialisable():
    result = compute_skin_dose([beam()], phantom="cylinder")
    data = result.to_json()
    assert set(data) >= JSON_KEYS
    assert "dose_map_mgy" not in data
    text = json.dumps(data)
    back = json.loads(text)
    assert back["map_shape"] == list(result.map_shape)
    assert set(back["area_above_mgy"]) == {"2000", "3000", "5000"}
    assert back["provenance"]["phantom"]["type"] == "cylinder"
    assert back["provenance"]["kerma_version"]
    corrections = back["provenance"]["corrections"]
    assert corrections["table_and_mattress"]["transmission_perpendicular"] == 0.8
    assert "Benmakhlouf" in corrections["backscatter"]["source"]
    assert back["provenance"]["room"]["reference_point_mm"] == 150.0
    full = result.to_json(include_map=True)
    assert np.array(full["dose_map_mgy"]).shape == result.map_shape


def test_png_of_a_map_and_of_an_estimate():
    hot = compute_skin_dose([beam(), beam(uid="u2")], phantom="human")
    assert hot.psd_mgy > 3000.0  # the 3 Gy contour is drawn
    assert png_size(render_png(hot)) == (1000, 700)
    plane = compute_skin_dose([beam()], phantom="plane")
    assert png_size(render_png(plane)) == (1000, 700)
    estimate = compute_skin_dose([beam(primary_angle_deg=None)], phantom="human")
    assert estimate.method == "kar_estimate"
    assert png_size(render_png(estimate)) == (1000, 700)


def test_surface_mesh_matches_the_map():
    result = compute_skin_dose([beam()], phantom="human")
    mesh = result.surface_mesh()
    cells = result.map_shape[0] * result.map_shape[1]
    assert len(mesh["x"]) == len(mesh["y"]) == len(mesh["z"]) == len(mesh["dose_mgy"]) == cells
    assert len(mesh["i"]) == len(mesh["j"]) == len(mesh["k"]) > cells  # wraps around
    assert max(mesh["i"] + mesh["j"] + mesh["k"]) < cells
    assert max(mesh["dose_mgy"]) == pytest.approx(result.psd_mgy, rel=1e-3)
    # The peak is on the back: the lowest part of the body (small y).
    peak = int(np.argmax(mesh["dose_mgy"]))
    assert mesh["y"][peak] < np.median(mesh["y"])
    empty = compute_skin_dose([beam(primary_angle_deg=None)]).surface_mesh()
    assert empty["x"] == [] and empty["i"] == []


def test_500_events_on_the_human_phantom_in_under_a_second():
    rng = random.Random(6)
    events = [
        dataclasses.replace(
            beam(uid=f"u{i}", kar_mgy=rng.uniform(0.1, 20.0)),
            primary_angle_deg=rng.uniform(-60.0, 60.0),
            secondary_angle_deg=rng.uniform(-30.0, 30.0),
            table_lateral_mm=rng.uniform(300.0, 900.0),
            table_longitudinal_mm=rng.uniform(-50.0, 50.0),
            kvp_kv=rng.choice([65.0, 70.0, 75.0, 80.0, 90.0]),
            filter_thickness_mm=rng.choice([0.1, 0.2, 0.3, 0.6, 0.9]),
        )
        for i in range(500)
    ]
    room = room_defaults("Siemens", "AXIOM-Artis")
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        result = compute_skin_dose(events, room=room, phantom="human", cell_mm=10.0)
        best = min(best, time.perf_counter() - start)
    assert result.events_used == 500
    assert best < 1.0, f"{best:.2f} s"


@needs_shared
def test_cli_maps_a_siemens_report(tmp_path):
    out = tmp_path / "map.png"
    report = SHARED_RDSR / "siemens_axiom_example_procedure.dcm"
    done = run_kerma(tmp_path, "skindose", str(report), "--phantom", "cylinder", "--json",
                     "--png", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= JSON_KEYS
    assert data["method"] == "map"
    assert data["events_used"] == 24 and data["events_skipped"] == []
    assert 5.0 < data["psd_mgy"] < 30.0  # 14 mGy Ka,r in all
    assert data["provenance"]["room"]["source"] == "Siemens AXIOM-Artis defaults"
    assert png_size(out.read_bytes()) == (1000, 700)
    text = run_kerma(tmp_path, "skindose", str(report))
    assert text.returncode == 0, text.stderr
    assert "Peak skin dose" in text.stdout and "human phantom" in text.stdout
    assert "Events contributing most to the peak" in text.stdout


@needs_shared
def test_cli_derives_the_field_when_the_report_has_no_field_size(tmp_path):
    done = run_kerma(tmp_path, "skindose", str(SHARED_RDSR / "RF-RDSR-Siemens-Zee.dcm"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # The field area at the reference point follows from DAP / Ka,r: a map, stated as such.
    assert data["method"] == "map"
    assert data["events_used"] == 8 and data["events_skipped"] == []
    assert data["provenance"]["field_size"]["derived_from_dap_over_kar"] == 8
    assert data["psd_mgy"] > 0.0
    assert any("derived from DAP / Ka,r" in w for w in data["warnings"])
    assert data["event_summary"] == {
        "room": "Siemens AXIOM-Artis defaults", "method": "map", "mapped": 8,
        "field_derived": 8, "rotational": 0, "estimated": 0, "skipped": {},
    }


def test_cli_refuses_unknown_phantom_and_missing_input(tmp_path):
    bad = run_kerma(tmp_path, "skindose", "whatever.dcm", "--phantom", "robot")
    assert bad.returncode == 2
    assert "unknown phantom 'robot'" in bad.stderr
    missing = run_kerma(tmp_path, "skindose", str(tmp_path / "none.dcm"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr


@needs_shared
def test_cli_maps_an_exam_from_the_database_by_study_uid(tmp_path):
    from kerma.dicom.reader import read_dose_object

    report = SHARED_RDSR / "siemens_axiom_artis.dcm"
    study_uid = read_dose_object(report).study_uid
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / report.name).write_bytes(report.read_bytes())
    home = tmp_path / "home"
    imported = run_kerma(home, "import", str(inbox), "--json")
    assert imported.returncode == 0, imported.stderr
    from_db = run_kerma(home, "skindose", study_uid, "--phantom", "plane", "--json")
    assert from_db.returncode == 0, from_db.stderr
    from_file = run_kerma(home, "skindose", str(report), "--phantom", "plane", "--json")
    db, file = json.loads(from_db.stdout), json.loads(from_file.stdout)
    assert db["psd_mgy"] == pytest.approx(file["psd_mgy"])
    assert db["events_used"] == file["events_used"] > 0
    unknown = run_kerma(home, "skindose", "1.2.3.4.5", "--json")
    assert unknown.returncode == 2
    assert "no exam with study UID '1.2.3.4.5'" in unknown.stderr
