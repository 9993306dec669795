#!/usr/bin/env python
"""NRD evaluation latency on a large database: one device and act among 1 000 000 exams.

The script fills a SQLite database in a temporary ``KERMA_HOME`` (never yours) with ``--exams``
exams (default 1 000 000) of ``--devices`` devices over three years (2023–2025), with their
irradiation events, written in date order as an import would; then it stores the mapping rules,
chooses the reference sets, and times :func:`kerma.web.nrd.services.run_evaluation` — the whole
evaluation from the database: mapping, streaming the exams in study order, acquisition choice,
eligibility, medians, comparison, per-patient details — for:

- a common act on a radiography room (RX-THORAX-PA, about a third of the room's exams);
- a CT act (CT-TAP against the abrogated 2011 values, since the 2019 CT tables are missing);
- a rare act (RX-RACHIS-DORSAL-PROFIL, about 1 % of the room's exams: the evaluation has to read
  far into the year before 30 eligible exams are found);
- the same common evaluation stored as a snapshot (``save_evaluation``), and the yearly plan.

Each is run ``--repeat`` times; the best and the median are printed (target: < 1 s for one
device/act evaluation). The database is filled with raw ``executemany`` in one transaction per
table (about a minute on a 2-CPU machine), not through the import pipeline: what is measured is
the evaluation, not the ingest (see ``benchmarks/ingest.py`` for that).

Run: ``.venv/bin/python benchmarks/nrd.py [--exams N] [--devices D] [--repeat R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

TARGET_S = 1.0
YEARS = (2023, 2024, 2025)

# Procedure names per family, with their share of a device's exams.
PROCEDURES: dict[str, list[tuple[str, float]]] = {
    "radiography": [
        ("THORAX FACE", 0.33),
        ("THORAX PROFIL", 0.10),
        ("BASSIN FACE", 0.08),
        ("HANCHE", 0.07),
        ("RACHIS LOMBAIRE FACE", 0.07),
        ("RACHIS CERVICAL", 0.05),
        ("ASP", 0.05),
        ("RACHIS DORSAL PROFIL", 0.01),
        ("GENOU", 0.12),
        ("MAIN POIGNET", 0.12),
    ],
    "ct": [
        ("TAP C+", 0.30),
        ("CRANE SANS IV", 0.25),
        ("ABDO PELVIS", 0.20),
        ("RACHIS LOMBAIRE", 0.05),
        ("SINUS", 0.10),
        ("GENOU", 0.10),
    ],
    "mammography": [("MAMMOGRAPHIE DEPISTAGE", 0.8), ("MAMMO DIAG", 0.2)],
}
RULES = [
    ("THORAX FACE", "RX-THORAX-PA"),
    ("THORAX PROFIL", "RX-THORAX-PROFIL"),
    ("BASSIN", "RX-BASSIN-AP"),
    ("HANCHE", "RX-HANCHE"),
    ("RACHIS LOMBAIRE FACE", "RX-RACHIS-LOMBAIRE-FACE"),
    ("RACHIS CERVICAL", "RX-RACHIS-CERVICAL"),
    ("ASP", "RX-ASP"),
    ("RACHIS DORSAL PROFIL", "RX-RACHIS-DORSAL-PROFIL"),
    ("TAP", "CT-TAP"),
    ("CRANE", "CT-ENCEPHALE"),
    ("ABDO PELVIS", "CT-ABDOMEN-PELVIS"),
    ("RACHIS LOMBAIRE", "CT-RACHIS-LOMBAIRE"),
    ("MAMMO", "MG-NUMERIQUE"),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def device_plan(n: int) -> list[str]:
    """Return the category of each device: half radiography rooms, a third CT, mammography."""
    kinds = []
    for i in range(n):
        kinds.append("ct" if i % 3 == 1 else "mammography" if i % 6 == 5 else "radiography")
    return kinds


def pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in table)
    for name, weight in table:
        x -= weight
        if x <= 0:
            return name
    return table[-1][0]


def generate(
    n_exams: int, categories: list[str], seed: int
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Yield (exam, events) in date order, devices interleaved day by day."""
    rng = random.Random(seed)
    start, end = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    days = (end - start).days + 1
    per_day = n_exams / (days * len(categories))
    made = 0
    for d in range(days):
        day = start + timedelta(days=d)
        for device_index, category in enumerate(categories):
            count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
            times = sorted(rng.randrange(8 * 3600, 19 * 3600) for _ in range(count))
            for seconds in times:
                if made >= n_exams:
                    return
                made += 1
                yield make_exam(rng, made, day, seconds, device_index + 1, category)


def make_exam(
    rng: random.Random, n: int, day: date, seconds: int, device_id: int, category: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    procedure = pick(rng, PROCEDURES[category])
    child = rng.random() < 0.05
    age = rng.uniform(1, 17.9) if child else rng.uniform(18, 95)
    weight = rng.uniform(8, 45) if child else rng.gauss(74, 15)
    height = rng.uniform(0.7, 1.6) if child else rng.gauss(1.70, 0.09)
    exam = {
        "study_uid": f"1.2.826.0.1.3680043.9.7777.{n}",
        "study_date": day.isoformat(),
        "study_time": f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}",
        "modality": {"ct": "CT", "mammography": "MG"}.get(category, "DX"),
        "device_id": device_id,
        "age_years": round(age, 2),
        "sex": rng.choice("FM"),
        "weight_kg": None if rng.random() < 0.12 else round(max(weight, 3.0), 1),
        "height_m": None if rng.random() < 0.15 else round(max(height, 0.5), 2),
        "procedure": procedure,
        "is_test": rng.random() < 0.002,
    }
    uid = exam["study_uid"]
    events: list[dict[str, Any]] = []
    if category == "ct":
        events.append({"uid": f"{uid}.0", "kind": "ct", "acquisition_type": "constant_angle",
                       "protocol": "Topogram", "ctdivol_mgy": 0.1, "dlp_mgycm": 4.0})  # fmt: skip
        for h in range(1 + (rng.random() < 0.2)):
            ctdi = rng.lognormvariate(2.2, 0.3)
            events.append({"uid": f"{uid}.{h + 1}", "kind": "ct", "acquisition_type": "spiral",
                           "protocol": procedure.title(), "ctdivol_mgy": round(ctdi, 2),
                           "dlp_mgycm": round(ctdi * rng.uniform(30, 60), 1),
                           "phantom_cm": 32})  # fmt: skip
        exam["dlp_total_mgycm"] = sum(e["dlp_mgycm"] for e in events)
    elif category == "mammography":
        for v, view in enumerate(("R CC", "L CC", "R MLO", "L MLO")):
            events.append({"uid": f"{uid}.{v}", "kind": "projection", "event_type": "stationary",
                           "protocol": view, "agd_mgy": round(rng.uniform(0.8, 2.2), 2),
                           "dap_gycm2": None})  # fmt: skip
    else:
        for v in range(1 + (rng.random() < 0.3)):
            events.append({"uid": f"{uid}.{v}", "kind": "projection", "event_type": "stationary",
                           "protocol": procedure.title() + ("" if v == 0 else " bis"),
                           "dap_gycm2": round(rng.lognormvariate(-2.0, 0.5), 5),
                           "kvp_kv": 110.0, "exposure_mas": 2.0})  # fmt: skip
    exam["event_count"] = len(events)
    return exam, events


def columns_of(model: Any) -> tuple[list[str], dict[str, Any]]:
    """Return a table's columns (without id) and a default for each NOT NULL column."""
    from django.db import models

    names, defaults = [], {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(f.column)
        if f.null:
            defaults[f.column] = None
        elif isinstance(f, models.BooleanField | models.IntegerField | models.FloatField):
            defaults[f.column] = 0
        elif isinstance(f, models.DateTimeField):
            defaults[f.column] = "2026-01-01 00:00:00"
        else:
            defaults[f.column] = ""
    return names, defaults


def fill(db_path: Path, n_exams: int, n_devices: int, seed: int) -> dict[str, Any]:
    """Write devices, exams and events with raw executemany; return counts and timings."""
    from kerma.web.dose.models import Event, Exam

    categories = device_plan(n_devices)
    exam_cols, exam_defaults = columns_of(Exam)
    event_cols, event_defaults = columns_of(Event)
    con = sqlite3.connect(db_path)
    # A throw-away database: no journal, no fsync, a large cache; the secondary indexes are
    # dropped during the fill and rebuilt at the end (one sorted build is faster than a million
    # insertions into each).
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('dose_exam', 'dose_event')"
    ).fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    with con:
        for i, category in enumerate(categories, start=1):
            con.execute(
                "INSERT INTO dose_device (id, identity_key, observer_uid, manufacturer, model, "
                "serial_number, station_name, institution, department, location, category, "
                "category_confirmed, display_name, first_seen) "
                "VALUES (?, ?, '', 'ACME', ?, ?, '', 'CH Bench', 'Imagerie', '', ?, 1, ?, ?)",
                (i, f"bench-{i}", category.upper(), f"SN{i}", category,
                 f"{category} {i}", "2023-01-01 00:00:00"),
            )  # fmt: skip
    exam_sql = (
        f"INSERT INTO dose_exam (id, {', '.join(exam_cols)}) "
        f"VALUES (?, {', '.join('?' * len(exam_cols))})"
    )
    event_sql = (
        f"INSERT INTO dose_event ({', '.join(event_cols)}) "
        f"VALUES ({', '.join('?' * len(event_cols))})"
    )
    exam_template = [exam_defaults[c] for c in exam_cols]
    exam_index = {c: i for i, c in enumerate(exam_cols)}
    event_template = [event_defaults[c] for c in event_cols]
    event_index = {c: i for i, c in enumerate(event_cols)}
    batch_exams: list[tuple] = []
    batch_events: list[tuple] = []
    n_events = 0
    exam_id = 0
    with con:
        for exam, events in generate(n_exams, categories, seed):
            exam_id += 1
            row = exam_template.copy()
            for name, value in exam.items():
                row[exam_index[name]] = value
            batch_exams.append((exam_id, *row))
            for event in events:
                values = event_template.copy()
                values[event_index["exam_id"]] = exam_id
                for name, value in event.items():
                    values[event_index[name]] = value
                batch_events.append(tuple(values))
            if len(batch_exams) >= 50_000:
                con.executemany(exam_sql, batch_exams)
                con.executemany(event_sql, batch_events)
                n_events += len(batch_events)
                batch_exams.clear()
                batch_events.clear()
                if exam_id % 200_000 == 0:
                    log(f"  {exam_id:,} exams written ({time.perf_counter() - started:.0f} s)")
        con.executemany(exam_sql, batch_exams)
        con.executemany(event_sql, batch_events)
        n_events += len(batch_events)
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {
        "devices": len(categories),
        "exams": exam_id,
        "events": n_events,
        "fill_s": round(time.perf_counter() - started, 1),
        "categories": categories,
    }


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exams", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary KERMA_HOME")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="kerma-bench-nrd-"))
    os.environ["KERMA_HOME"] = str(home)
    os.environ.pop("KERMA_DATABASE_URL", None)
    try:
        return run(args, home)
    finally:
        if args.keep:
            log(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path) -> int:
    from kerma.web.bootstrap import setup

    setup()
    import django
    from django.db import connection

    connection.close()
    log(f"Filling {home / 'kerma.sqlite3'} with {args.exams:,} exams on {args.devices} devices…")
    filled = fill(home / "kerma.sqlite3", args.exams, args.devices, args.seed)
    log(f"  {filled['exams']:,} exams, {filled['events']:,} events in {filled['fill_s']} s")

    from kerma.web.dose.models import Device
    from kerma.web.nrd.references import use_reference
    from kerma.web.nrd.services import add_mapping, run_evaluation, save_evaluation, year_plan

    use_reference("fr-2011-arrete", by="bench", family="ct")
    for pattern, act in RULES:
        add_mapping(by="bench", pattern=pattern, act_code=act, refresh=False)
    room = Device.objects.filter(category="radiography").order_by("id").first()
    ct = Device.objects.filter(category="ct").order_by("id").first()
    year = {"period_from": date(2025, 1, 1), "period_to": date(2025, 12, 31)}
    cases = [
        ("common act: RX-THORAX-PA, radiography room", room, "RX-THORAX-PA"),
        ("CT act: CT-TAP (2011 values), CT scanner", ct, "CT-TAP"),
        ("rare act: RX-RACHIS-DORSAL-PROFIL (1 %)", room, "RX-RACHIS-DORSAL-PROFIL"),
    ]
    results: list[dict[str, Any]] = []
    for label, device, act in cases:
        times, run_ = timed(lambda d=device, a=act: run_evaluation(d, a, **year), args.repeat)
        data = run_.to_dict()
        results.append(
            {
                "case": label,
                "device": device.pk,
                "act": act,
                "best_s": round(min(times), 4),
                "median_s": round(statistics.median(times), 4),
                "first_s": round(times[0], 4),
                "selected": len(data["selected"]),
                "excluded": len(data["excluded"]),
                "exam_rows_read": run_.stats.rows,
                "queries_windows": run_.stats.windows,
                "status": [r["status"] for r in data["results"]],
            }
        )
        log(f"  {label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s")
    times, _ = timed(
        lambda: save_evaluation(run_evaluation(room, "RX-THORAX-PA", **year), by="bench"),
        args.repeat,
    )
    results.append(
        {
            "case": "common act, evaluated and stored as a snapshot",
            "device": room.pk,
            "act": "RX-THORAX-PA",
            "best_s": round(min(times), 4),
            "median_s": round(statistics.median(times), 4),
            "first_s": round(times[0], 4),
        }
    )
    plan_times, plan = timed(lambda: year_plan(2025, as_of=date(2026, 1, 15)), 1)
    summary = {
        "exams": filled["exams"],
        "events": filled["events"],
        "devices": filled["devices"],
        "fill_s": filled["fill_s"],
        "results": results,
        "plan_s": round(plan_times[0], 2),
        "plan_items": len(plan["items"]),
        "target_s": TARGET_S,
        "met": all(r["median_s"] < TARGET_S for r in results),
        "machine": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0 if summary["met"] else 1
    print(
        f"\nNRD evaluation on {filled['exams']:,} exams / {filled['events']:,} events, "
        f"{filled['devices']} devices (SQLite {sqlite3.sqlite_version}, filled in "
        f"{filled['fill_s']} s)\n"
    )
    print("| case | best s | median s | first s | selected | exam rows read |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['case']} | {r['best_s']:.3f} | {r['median_s']:.3f} | {r['first_s']:.3f} | "
            f"{r.get('selected', '')} | {r.get('exam_rows_read', '')} |"
        )
    print(f"\nyearly plan 2025 ({len(plan['items'])} items): {plan_times[0]:.2f} s")
    verdict = "met" if summary["met"] else "NOT met"
    print(f"target < {TARGET_S:g} s per device/act evaluation: {verdict}")
    return 0 if summary["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
