#!/usr/bin/env python
"""Skin-dose maps: Kerma against PySkinDose 25.1.1, measured in one run on the same reports.

1. Side by side on the two Siemens AXIOM-Artis reports, the only ones PySkinDose maps, for the
   plane and the cylinder phantoms, with matched settings (same phantom sizes, table and pad,
   table-plus-pad transmission 0.8, 3.1 mm Al inherent filtration, water backscatter and
   water/air mu_en ratio): both peak skin doses and their difference; the in-process time of the
   calculation alone and from the file; the wall-clock time of the whole command, each as the
   median of several runs and as a ratio PySkinDose / Kerma.
2. A synthetic 500-event procedure (written with ``kerma.dicom.write`` from perturbed events
   of ``siemens_axiom_example_procedure.dcm``), mapped on the human phantom at 1 cm.
3. Every fluoroscopy/interventional report of the shared folder: Kerma's method, peak skin
   dose, events used and skipped (with their reasons), next to what PySkinDose does with it.

PySkinDose is a benchmark/test dependency only (the ``test`` dependency group), never a runtime
one. Run: ``.venv/bin/python benchmarks/skindose.py [--repeat R] [--whole-repeat W] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

DEFAULT_SHARED = Path("/work/shared/rdsr")
SIEMENS_FILES = ("siemens_axiom_artis.dcm", "siemens_axiom_example_procedure.dcm")
PHANTOMS = ("plane", "cylinder")
TOLERANCE = 0.10  # |Kerma / PySkinDose - 1| on the peak skin dose
# PySkinDose time / Kerma time of the calculation. The whole command's ratio is reported but
# has no target any more (issue 11): its floor is Python's start plus numpy's import.
SPEED_TARGET = 20.0
EVENTS_500 = 500
HUMAN_500_TARGET_S = 1.0

# The settings a PySkinDose user starts from (its settings_example.json), changed only where a
# dose map needs it: mode "calculate_dose", the phantom model, no notebook progress bar.
# estimate_k_tab is true there with k_tab_val 0.8, inherent filtration 3.1 mm Al, "sparse" grids
# (1 cm on the plane; 0.1 rad × 1 cm on the cylinder), plane 40 × 120 cm, elliptic cylinder
# 20 × 10 cm semi-axes, 150 cm long, table 45 × 281.5 × 5 cm, pad 45 × 281.5 × 4 cm.
PYSKINDOSE_TABLE_TRANSMISSION = 0.8
PYSKINDOSE_INHERENT_MMAL = 3.1

# The whole PySkinDose command. PySkinDose has no console script, `python -m pyskindose.main`
# fails (it hands sys.argv with the script name to argparse) and ignores --settings anyway, so
# a user runs it from Python: this is the shortest such command.
PYSKINDOSE_COMMAND = """
import json, pathlib, sys
import pyskindose
from pyskindose.main import main
from pyskindose.settings import PyskindoseSettings
s = json.loads((pathlib.Path(pyskindose.__file__).parent / "settings_example.json").read_text())
s["mode"] = "calculate_dose"
s["phantom"]["model"] = sys.argv[2]
s["plot"]["notebook_mode"] = False
s["corrections_db_path"] = sys.argv[3]
out = main(file_path=sys.argv[1], settings=PyskindoseSettings(s, output_format="dict"))
print(json.dumps({"psd_mgy": out["psd"]}))
"""


# --- PySkinDose -------------------------------------------------------------------------------


def pyskindose_settings(phantom: str, corrections_db: Path, resolution: str = "sparse") -> Any:
    """Return a PyskindoseSettings for a dose map (output as a dict) on ``phantom``."""
    import pyskindose
    from pyskindose.settings import PyskindoseSettings

    example = Path(pyskindose.__file__).parent / "settings_example.json"
    raw = json.loads(example.read_text())  # a fresh copy on each call
    raw["mode"] = "calculate_dose"
    raw["phantom"]["model"] = phantom
    raw["phantom"]["dimension"]["plane_resolution"] = resolution
    raw["phantom"]["dimension"]["cylinder_resolution"] = resolution
    raw["plot"]["notebook_mode"] = False
    raw["corrections_db_path"] = str(corrections_db)
    return PyskindoseSettings(raw, output_format="dict")


def pyskindose_psd(path: Path, phantom: str, corrections_db: Path) -> float:
    """Return PySkinDose's peak skin dose (mGy) for the report at ``path``, run as a user runs
    it from Python (``pyskindose.main.main``); its progress bars are silenced."""
    from pyskindose.main import main

    with contextlib.redirect_stderr(io.StringIO()):
        out = main(file_path=str(path), settings=pyskindose_settings(phantom, corrections_db))
    return float(out["psd"])


def pyskindose_outcome(path: Path, phantom: str, corrections_db: Path) -> str:
    """Return what PySkinDose gives for a report: its PSD in mGy, or the error it raises."""
    try:
        return f"{pyskindose_psd(path, phantom, corrections_db):.3f} mGy"
    except Exception as exc:  # noqa: BLE001 - the point is to show how it fails
        message = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {message[:70]}"


def _pyskindose_normalized(path: Path, phantom: str, corrections_db: Path) -> tuple[Any, Any]:
    """Return (normalised event table, settings): PySkinDose's input to its calculation."""
    from pyskindose.helpers.read_and_normalize_rdsr_data import read_and_normalise_rdsr_data

    settings = pyskindose_settings(phantom, corrections_db)
    return read_and_normalise_rdsr_data(rdsr_filepath=str(path), settings=settings), settings


def pyskindose_compute(normalized: Any, settings: Any) -> float:
    """Run PySkinDose's calculation alone (``analyze_data``) and return its PSD in mGy."""
    from pyskindose.analyze_data import analyze_data

    with contextlib.redirect_stderr(io.StringIO()):
        out = analyze_data(normalized_data=normalized.copy(), settings=settings)
    return float(out["psd"])


def ensure_corrections_db(folder: Path) -> Path:
    """Build PySkinDose's sqlite correction tables once (it does so on its first run) and
    return their path, so that no timed run pays it."""
    db = folder / "corrections.db"
    if not db.exists():
        from pyskindose.db_connect import db_connect

        conn, _ = db_connect(db_name=str(db))
        conn.close()
    return db


# --- Kerma ------------------------------------------------------------------------------------


def matched_room(report: Any) -> Any:
    """Return Kerma's room settings for a report, matched to PySkinDose's example settings:
    the vendor defaults (geometry conventions) with PySkinDose's table-plus-pad transmission
    (0.8), inherent filtration (3.1 mm Al), table, pad and phantom sizes."""
    from dataclasses import replace

    from kerma.skindose import room_defaults

    room = room_defaults(report.device.manufacturer, report.device.model)
    return replace(
        room,
        table_transmission=PYSKINDOSE_TABLE_TRANSMISSION,
        table_transmission_by_kvp=[],
        inherent_filtration_mmal=PYSKINDOSE_INHERENT_MMAL,
        table_length_mm=2815.0,
        table_width_mm=450.0,
        table_thickness_mm=50.0,
        pad_thickness_mm=40.0,
        plane_width_mm=400.0,
        plane_length_mm=1200.0,
        cylinder_semi_axis_lateral_mm=200.0,
        cylinder_semi_axis_ap_mm=100.0,
        cylinder_length_mm=1500.0,
        phantom_offset_mm=[0.0, 0.0, 0.0],
        patient_orientation="head_first_supine",
    )


def kerma_map(report: Any, phantom: str, room: Any | None = None, cell_mm: float = 10.0) -> Any:
    """Return Kerma's SkinDoseResult for a DoseReport on ``phantom``."""
    from kerma.skindose import compute_skin_dose

    return compute_skin_dose(
        report.events, patient=report.patient, room=room, phantom=phantom, cell_mm=cell_mm
    )


def _kerma_from_file(path: Path, phantom: str, room: Any) -> Any:
    """Return Kerma's result for the report at ``path``: read, then map."""
    from kerma.dicom.reader import read_dose_object

    return kerma_map(read_dose_object(path), phantom, room)


def _command_env(work: Path, bytecode_cache: bool) -> dict[str, str]:
    """Return the environment of the timed commands: a throw-away KERMA_HOME, no database URL
    of the user's, no progress bars. With ``bytecode_cache``, Python caches compiled modules
    in the work folder (as a pip installation does with its .pyc files); without it, the
    environment's own setting stands (this machine sets PYTHONDONTWRITEBYTECODE=1 and its
    virtual environment holds no .pyc files, so every command compiles all it imports)."""
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(work / "kerma-home")
    env["TQDM_DISABLE"] = "1"
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def kerma_command() -> list[str]:
    """Return the argv prefix of the ``kerma`` command of this environment."""
    script = Path(sys.executable).with_name("kerma")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kerma.cli"]


# --- timing -----------------------------------------------------------------------------------


def median_time(function: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """Return the median wall-clock time (s) of ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _children_cpu_s() -> float:
    """Return the CPU seconds (user + system) used so far by this process's waited children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run one command; return (wall-clock seconds, CPU seconds of the command, stdout). The
    CPU time depends less on what else the machine runs than the wall-clock time does."""
    cpu = _children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]}… exited {done.returncode}: {done.stderr[-400:]}")
    return elapsed, cpu, done.stdout


def interleaved_commands(
    commands: dict[str, list[str]], cwd: Path, env: dict[str, str], repeat: int
) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Run each command once untimed (file and bytecode caches), then ``repeat`` times, taking
    turns so that a change of machine load weighs on all alike; return (median wall-clock s,
    median CPU s, stdout of the last run), each by key."""
    wall: dict[str, list[float]] = {key: [] for key in commands}
    cpu: dict[str, list[float]] = {key: [] for key in commands}
    outputs: dict[str, str] = {}
    for argv in commands.values():
        run_command(argv, cwd, env)
    for _ in range(repeat):
        for key, argv in commands.items():
            elapsed, used, outputs[key] = run_command(argv, cwd, env)
            wall[key].append(elapsed)
            cpu[key].append(used)
    return (
        {key: statistics.median(values) for key, values in wall.items()},
        {key: statistics.median(values) for key, values in cpu.items()},
        outputs,
    )


def _json_from(stdout: str) -> dict[str, Any]:
    """Return the JSON object a command printed (the last line that parses, or the whole)."""
    with contextlib.suppress(ValueError):
        return json.loads(stdout)
    for line in reversed(stdout.strip().splitlines()):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    return {}


# --- 1. side by side --------------------------------------------------------------------------


def compare(
    shared: Path, work: Path, repeat: int, whole_repeat: int, bytecode_cache: bool
) -> list[dict[str, Any]]:
    """Return one row per Siemens file × phantom: both PSDs, difference, times and ratios."""
    from kerma.dicom.reader import read_dose_object

    db = ensure_corrections_db(work)
    env = _command_env(work, bytecode_cache)
    rows = []
    for name in SIEMENS_FILES:
        path = shared / name
        report = read_dose_object(path)
        room = matched_room(report)
        for phantom in PHANTOMS:
            normalized, settings = _pyskindose_normalized(path, phantom, db)
            psd_ref = pyskindose_compute(normalized, settings)
            result = kerma_map(report, phantom, room)
            t_ref = median_time(partial(pyskindose_compute, normalized, settings), repeat)
            t_kerma = median_time(partial(kerma_map, report, phantom, room), repeat)
            t_ref_file = median_time(partial(pyskindose_psd, path, phantom, db), repeat)
            t_kerma_file = median_time(partial(_kerma_from_file, path, phantom, room), repeat)
            whole, whole_cpu, outputs = interleaved_commands(
                {
                    "pyskindose": [
                        sys.executable,
                        "-c",
                        PYSKINDOSE_COMMAND,
                        str(path),
                        phantom,
                        str(db),
                    ],
                    "kerma": [
                        *kerma_command(),
                        "skindose",
                        str(path),
                        "--phantom",
                        phantom,
                        "--json",
                    ],
                },
                work,
                env,
                whole_repeat,
            )
            rows.append(
                {
                    "file": name,
                    "phantom": phantom,
                    "events": len(report.events),
                    "pyskindose_psd_mgy": psd_ref,
                    "kerma_psd_mgy": result.psd_mgy,
                    "difference": result.psd_mgy / psd_ref - 1.0 if psd_ref else float("nan"),
                    "kerma_method": result.method,
                    "kerma_events_used": result.events_used,
                    "kerma_events_skipped": len(result.events_skipped),
                    "pyskindose_command_psd_mgy": _json_from(outputs["pyskindose"]).get("psd_mgy"),
                    "kerma_command_psd_mgy": _json_from(outputs["kerma"]).get("psd_mgy"),
                    "compute_s": {"pyskindose": t_ref, "kerma": t_kerma},
                    "from_file_s": {"pyskindose": t_ref_file, "kerma": t_kerma_file},
                    "whole_command_s": whole,
                    "whole_command_cpu_s": whole_cpu,
                }
            )
    return rows


# --- 2. a 500-event procedure -----------------------------------------------------------------


def write_500(shared: Path, folder: Path, n: int, seed: int) -> Path:
    """Write an interventional RDSR of ``n`` events: the events of the Siemens example
    procedure, cycled, each with its angles, table position, field, kVp and copper perturbed
    as a long procedure moves around one region. Returns its path."""
    from kerma.dicom import write as w
    from kerma.dicom.reader import read_dose_object

    source = read_dose_object(shared / "siemens_axiom_example_procedure.dcm").events
    rng = random.Random(seed)
    start = dt.datetime(2025, 6, 2, 9, 0)
    events = []
    for index in range(n):
        ev = source[index % len(source)]
        start += dt.timedelta(seconds=rng.randint(5, 40))
        area_cm2 = (ev.field_area_cm2 or 600.0) * rng.uniform(0.5, 1.1)
        cu = rng.choice((0.1, 0.2, 0.3, 0.6, 0.9))
        events.append(
            w.ProjectionEvent(
                event_type="stationary" if ev.event_type == "stationary" else "fluoroscopy",
                start=start,
                dap_gycm2=(ev.dap_gycm2 or 0.05) * rng.uniform(0.5, 1.5),
                kar_mgy=max((ev.kar_mgy or 0.1) * rng.uniform(0.5, 1.5), 0.01),
                primary_angle_deg=round((ev.primary_angle_deg or 0.0) + rng.uniform(-25, 25)),
                secondary_angle_deg=round((ev.secondary_angle_deg or 0.0) + rng.uniform(-15, 15)),
                source_isocenter_mm=ev.source_isocentre_mm,
                source_detector_mm=(ev.source_detector_mm or 1100.0) + rng.uniform(-50, 50),
                table_longitudinal_mm=(ev.table_longitudinal_mm or 0.0) + rng.uniform(-40, 40),
                table_lateral_mm=(ev.table_lateral_mm or 1000.0) + rng.uniform(-60, 60),
                table_height_mm=(ev.table_height_mm or 150.0) + rng.uniform(-20, 20),
                field_area_m2=area_cm2 / 1e4,
                kvp=round((ev.kvp_kv or 75.0) + rng.uniform(-5, 5)),
                tube_current_ma=ev.tube_current_ma,
                pulse_width_ms=ev.pulse_width_ms,
                pulse_rate_per_s=ev.pulse_rate_per_s,
                filter_material="copper",
                filter_thickness_mm=cu,
                event_uid=f"2.25.{rng.getrandbits(120)}",
            )
        )
    device = w.Device(
        manufacturer="Siemens",
        model="AXIOM-Artis",
        serial_number="500",
        station_name="ANGIO500",
        device_observer_uid="1.2.826.0.1.3680043.10.1234.500",
        institution="Kerma General Hospital",
    )
    patient = w.Patient("SKIN500", "PROCEDURE^Long", None, "M", 64.0, 82.0, 1.78)
    study = w.Study(f"2.25.{rng.getrandbits(120)}", "ACC500", "Embolisation", events[0].start)
    path = folder / "procedure-500-events.dcm"
    w.write_projection_rdsr(path, patient, device, study, events, kind="fluoroscopy")
    return path


def procedure_500(
    shared: Path,
    work: Path,
    n: int,
    seed: int,
    repeat: int,
    whole_repeat: int,
    bytecode_cache: bool,
    with_pyskindose: bool,
) -> dict[str, Any]:
    """Return the times of Kerma (and PySkinDose, once) on a synthetic ``n``-event procedure."""
    from kerma.dicom.reader import read_dose_object

    path = write_500(shared, work, n, seed)
    report = read_dose_object(path)
    room = matched_room(report)
    result = kerma_map(report, "human", room)
    t_human = median_time(lambda: kerma_map(report, "human", room), repeat)
    t_read = median_time(lambda: read_dose_object(path), repeat)
    t_plane = median_time(lambda: kerma_map(report, "plane", room), repeat)
    out: dict[str, Any] = {
        "events": len(report.events),
        "human_method": result.method,
        "human_psd_mgy": result.psd_mgy,
        "human_events_used": result.events_used,
        "human_events_skipped": len(result.events_skipped),
        "human_compute_s": t_human,
        "plane_compute_s": t_plane,
        "read_s": t_read,
        "target_s": HUMAN_500_TARGET_S,
    }
    argv = [*kerma_command(), "skindose", str(path), "--phantom", "human", "--json"]
    env = _command_env(work, bytecode_cache)
    whole, whole_cpu, outputs = interleaved_commands({"kerma": argv}, work, env, whole_repeat)
    out["kerma_whole_command_s"] = whole["kerma"]
    out["kerma_whole_command_cpu_s"] = whole_cpu["kerma"]
    out["kerma_command_psd_mgy"] = _json_from(outputs["kerma"]).get("psd_mgy")
    if with_pyskindose:
        db = ensure_corrections_db(work)
        try:
            start = time.perf_counter()
            psd = pyskindose_psd(path, "plane", db)
            out["pyskindose_plane_s"] = time.perf_counter() - start
            out["pyskindose_plane_psd_mgy"] = psd
            out["kerma_plane_psd_mgy"] = kerma_map(report, "plane", room).psd_mgy
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            out["pyskindose_plane_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return out


# --- 3. every interventional report -----------------------------------------------------------


def interventional_files(shared: Path) -> list[Path]:
    """Return the shared fluoroscopy/interventional reports (kind RF in expected.csv)."""
    with (shared / "expected.csv").open(newline="", encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle) if row["kind"] == "RF"]
    return [shared / name for name in sorted(names)]


def all_reports(shared: Path, work: Path, phantom: str) -> list[dict[str, Any]]:
    """Return, per interventional report, Kerma's answer (default room settings for the
    device) and PySkinDose's (its example settings, plane phantom)."""
    from kerma.dicom.reader import read_dose_object
    from kerma.skindose import room_defaults

    db = ensure_corrections_db(work)
    rows = []
    for path in interventional_files(shared):
        report = read_dose_object(path)
        room = room_defaults(report.device.manufacturer, report.device.model)
        start = time.perf_counter()
        result = kerma_map(report, phantom, room)
        elapsed = time.perf_counter() - start
        reasons = Counter(item["reason"] for item in result.events_skipped)
        summary = result.event_summary()
        rows.append(
            {
                "file": path.name,
                "device": f"{report.device.manufacturer} {report.device.model}".strip(),
                "room": summary["room"],
                "field_derived": summary["field_derived"],
                "events": len(report.events),
                "method": result.method,
                "psd_mgy": result.psd_mgy,
                "events_used": result.events_used,
                "events_skipped": len(result.events_skipped),
                "skip_reasons": dict(reasons),
                "kerma_s": elapsed,
                "pyskindose": pyskindose_outcome(path, "plane", db),
            }
        )
    return rows


# --- output -----------------------------------------------------------------------------------


def _ratio(times: dict[str, float]) -> float:
    return times["pyskindose"] / times["kerma"] if times["kerma"] else float("inf")


def comparison_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| file | phantom | PySkinDose PSD mGy | Kerma PSD mGy | difference "
        "| compute s (PSD / Kerma) | × | from file s | × | whole command s | × "
        "| whole command CPU s | × |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        c, f, w = r["compute_s"], r["from_file_s"], r["whole_command_s"]
        u = r["whole_command_cpu_s"]
        lines.append(
            f"| {r['file']} | {r['phantom']} | {r['pyskindose_psd_mgy']:.3f} "
            f"| {r['kerma_psd_mgy']:.3f} | {100 * r['difference']:+.1f} % "
            f"| {c['pyskindose']:.3f} / {c['kerma']:.4f} | {_ratio(c):.0f} "
            f"| {f['pyskindose']:.3f} / {f['kerma']:.4f} | {_ratio(f):.0f} "
            f"| {w['pyskindose']:.2f} / {w['kerma']:.2f} | {_ratio(w):.1f} "
            f"| {u['pyskindose']:.2f} / {u['kerma']:.2f} | {_ratio(u):.1f} |"
        )
    return "\n".join(lines)


def reports_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| file | device | room settings | events | Kerma method | Kerma PSD mGy | used "
        "| field from DAP/Ka,r | skipped (reasons) | PySkinDose (plane) |",
        "|---|---|---|---:|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        reasons = "; ".join(f"{n}× {reason}" for reason, n in r["skip_reasons"].items())
        lines.append(
            f"| {r['file']} | {r['device']} | {r['room']} | {r['events']} | {r['method']} "
            f"| {r['psd_mgy']:.2f} | {r['events_used']} | {r['field_derived']} "
            f"| {r['events_skipped']}"
            f"{' (' + reasons + ')' if reasons else ''} | {r['pyskindose']} |"
        )
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]], big: dict[str, Any] | None) -> list[str]:
    out = []
    worst = max(abs(r["difference"]) for r in rows)
    verdict = "met" if worst <= TOLERANCE else "NOT met"
    out.append(f"PSD within ±10 %: worst {100 * worst:.1f} % → {verdict}")
    low = min(_ratio(r["compute_s"]) for r in rows)
    verdict = "met" if low >= SPEED_TARGET else "NOT met"
    out.append(f"compute ≥ ×{SPEED_TARGET:.0f}: lowest ×{low:.1f} → {verdict}")
    for key, label in (
        ("whole_command_s", "whole command"),
        ("whole_command_cpu_s", "whole command, CPU time"),
    ):
        low = min(_ratio(r[key]) for r in rows)
        out.append(f"{label}: lowest ×{low:.1f} (reported, no target)")
    if big:
        t = big["human_compute_s"]
        verdict = "met" if t < HUMAN_500_TARGET_S else "NOT met"
        out.append(f"{big['events']}-event procedure, human phantom, 1 cm: {t:.3f} s → {verdict}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeat", type=int, default=5, help="in-process runs (median)")
    parser.add_argument("--whole-repeat", type=int, default=3, help="command runs (median)")
    parser.add_argument("--events", type=int, default=EVENTS_500)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--phantom", default="human", help="phantom for the all-reports table")
    parser.add_argument("--no-pyskindose-500", action="store_true")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="time the commands without a bytecode cache (as this environment runs them)",
    )
    parser.add_argument("--skip", default="", help="sections to skip: any of c, p, a")
    parser.add_argument("--json", nargs="?", const="-", default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import machine_info  # benchmarks/ingest.py, next to this script

    out = sys.stderr if args.json == "-" else sys.stdout
    info = machine_info()
    from importlib.metadata import version

    import numpy
    import pyskindose  # noqa: F401 - fail early with a clear message if it is missing

    info["numpy"] = numpy.__version__
    info["pyskindose"] = version("pyskindose")
    print(
        f"{info['date']} — {info['cpu']}, {info['cpu_count']} CPUs, Python {info['python']}, "
        f"numpy {info['numpy']}, pydicom {info['pydicom']}, PySkinDose {info['pyskindose']}; "
        f"load average {info['load_average']}",
        file=out,
    )
    info["bytecode_cache"] = not args.no_bytecode_cache
    info["PYTHONDONTWRITEBYTECODE"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    print(
        "commands timed "
        + ("with a bytecode cache" if info["bytecode_cache"] else "without a bytecode cache")
        + f" (PYTHONDONTWRITEBYTECODE={info['PYTHONDONTWRITEBYTECODE'] or 'unset'} here)",
        file=out,
    )
    results: dict[str, Any] = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="kerma-skindose-bench-") as tmp:
        work = Path(tmp)
        (work / "kerma-home").mkdir()
        os.environ.setdefault("TQDM_DISABLE", "1")
        if "c" not in args.skip:
            rows = compare(
                args.shared, work, args.repeat, args.whole_repeat, not args.no_bytecode_cache
            )
            results["comparison"] = rows
            print("\n## Side by side (matched settings)\n", file=out)
            print(comparison_table(rows), file=out)
        if "p" not in args.skip:
            big = procedure_500(
                args.shared,
                work,
                args.events,
                args.seed,
                args.repeat,
                args.whole_repeat,
                not args.no_bytecode_cache,
                not args.no_pyskindose_500,
            )
            results["procedure_500"] = big
            print(f"\n## {big['events']}-event procedure\n", file=out)
            print(json.dumps(big, indent=1, default=str), file=out)
        if "a" not in args.skip:
            reports = all_reports(args.shared, work, args.phantom)
            results["all_reports"] = reports
            print(f"\n## Every interventional report ({args.phantom} phantom)\n", file=out)
            print(reports_table(reports), file=out)
    if "comparison" in results:
        print("\n## Targets\n", file=out)
        for line in targets(results["comparison"], results.get("procedure_500")):
            print(f"- {line}", file=out)
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nload average at the end: {info['load_average_end']}", file=out)
    if args.json:
        text = json.dumps(results, indent=1, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
