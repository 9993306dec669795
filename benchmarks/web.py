#!/usr/bin/env python
"""Web pages on a large database: server time of the dashboard, the exams list and a chart's
data among 1 000 000 exams, and the CSV export of all of them in bounded memory.

The script fills a SQLite database in a temporary ``KERMA_HOME`` (never yours) with ``--exams``
exams (default 1 000 000) of 20 devices in two units over three years (2023–2025): CT,
radiography, mammography, interventional, C-arms, nuclear medicine and PET, each exam with
its patient (age, sex, weight and height, sometimes unknown), procedure name and dose totals;
one exam in twenty also gets its irradiation events and the dose report it came from, a few
are test exams or have no date. It stores NRD mapping rules, then times each page with
Django's test client (the whole request inside Django: middleware, view, queries, template),
``--repeat`` times after a warm-up, and prints the median and the slowest query of one run.

Pages: the dashboard ``/``; the exams list, page 1 unfiltered and filtered (device and month;
modality, sex, age and DLP; NRD act; protocol text and BMI; DAP range), a deep page (the page
after an exam in the middle of the list, unfiltered and filtered) and the last page; a chart's
data endpoint (when ``kerma.web.charts`` is installed). Target: each under 300 ms. Then the CSV
export of every exam, streamed: wall time, size, and the peak memory of the process during
the export (peak RSS, reset just before) against the size of the CSV.

The database is filled with raw ``executemany`` (indexes dropped during the fill, rebuilt
after, as ``benchmarks/nrd.py`` does), not through the import pipeline: what is measured is the
web application, not the ingest.

Run: ``.venv/bin/python benchmarks/web.py [--exams N] [--repeat R] [--json] [--keep]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
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

from ingest import cpu_name
from nrd import columns_of

TARGET_S = 0.300
START, END = date(2023, 1, 1), date(2025, 12, 31)
UNDATED = 40  # exams without a study date (they come last in the list)

# (category, modality, manufacturer, model, share of the exams, unit code)
DEVICES = [
    ("ct", "CT", "GE", "Revolution CT", 9, "main"),
    ("ct", "CT", "SIEMENS", "SOMATOM go.Top", 8, "main"),
    ("ct", "CT", "CANON", "Aquilion Prime", 7, "main"),
    ("ct", "CT", "PHILIPS", "Incisive CT", 6, "site-b"),
    ("radiography", "DX", "SIEMENS", "Ysio Max", 9, "main"),
    ("radiography", "DX", "PHILIPS", "DigitalDiagnost C90", 8, "main"),
    ("radiography", "DX", "FUJIFILM", "FDR Smart X", 7, "main"),
    ("radiography", "DX", "CARESTREAM", "DRX-Evolution", 6, "main"),
    ("radiography", "DX", "AGFA", "DR 600", 6, "site-b"),
    ("radiography", "DX", "GE", "Definium 656", 5, "site-b"),
    ("radiography_mobile", "DX", "CARESTREAM", "DRX-Revolution", 4, "main"),
    ("radiography_mobile", "DX", "GE", "AMX Navigate", 3, "main"),
    ("mammography", "MG", "GE", "Senographe Pristina", 4, "main"),
    ("mammography", "MG", "HOLOGIC", "Selenia Dimensions", 3, "site-b"),
    ("fluoroscopy", "XA", "PHILIPS", "Azurion 7", 2, "main"),
    ("fluoroscopy", "XA", "SIEMENS", "Artis icono", 2, "main"),
    ("mobile_carm", "RF", "SIEMENS", "Cios Alpha", 1.5, "main"),
    ("mobile_carm", "RF", "GE", "OEC Elite", 1.5, "main"),
    ("nuclear_medicine", "NM", "SIEMENS", "Symbia Intevo", 2, "main"),
    ("pet", "PT", "PHILIPS", "Vereos", 1.5, "main"),
]
PROCEDURES = {
    "ct": [("TAP C+", 30), ("CRANE SANS IV", 25), ("ABDO PELVIS", 20), ("THORAX", 12),
           ("RACHIS LOMBAIRE", 5), ("SINUS", 8)],
    "radiography": [("THORAX FACE", 33), ("THORAX PROFIL", 10), ("BASSIN FACE", 8),
                    ("HANCHE", 7), ("RACHIS LOMBAIRE FACE", 7), ("GENOU", 15), ("MAIN", 20)],
    "mammography": [("MAMMOGRAPHIE DEPISTAGE", 80), ("MAMMO DIAG", 20)],
    "fluoroscopy": [("CORONAROGRAPHIE", 60), ("ANGIOPLASTIE CORONAIRE", 40)],
    "mobile_carm": [("OSTEOSYNTHESE HANCHE", 50), ("CHOLANGIOGRAPHIE", 50)],
    "nuclear_medicine": [("SCINTIGRAPHIE OSSEUSE", 60), ("SCINTIGRAPHIE MYOCARDIQUE", 40)],
    "pet": [("TEP FDG CORPS ENTIER", 100)],
}  # fmt: skip
PROCEDURES["radiography_mobile"] = PROCEDURES["radiography"][:3]
RULES = [
    ("THORAX FACE", "RX-THORAX-PA"),
    ("THORAX PROFIL", "RX-THORAX-PROFIL"),
    ("BASSIN", "RX-BASSIN-AP"),
    ("HANCHE", "RX-HANCHE"),
    ("RACHIS LOMBAIRE FACE", "RX-RACHIS-LOMBAIRE-FACE"),
    ("TAP", "CT-TAP"),
    ("CRANE", "CT-ENCEPHALE"),
    ("ABDO PELVIS", "CT-ABDOMEN-PELVIS"),
    ("MAMMO", "MG-NUMERIQUE"),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def weighted(rng: random.Random, table: list[tuple[Any, float]]) -> Any:
    x = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        x -= weight
        if x <= 0:
            return value
    return table[-1][0]


def patient(rng: random.Random, category: str) -> dict[str, Any]:
    """Age, sex, size and pseudonymised key of a patient (children 5 %, sizes often unknown)."""
    child = category not in ("mammography", "fluoroscopy") and rng.random() < 0.05
    age = rng.uniform(0.2, 17.9) if child else min(rng.gauss(58, 18), 99)
    age = max(age, 18.0) if not child else age
    sexes = "FMO" if rng.random() < 0.01 else "FM"
    sex = "F" if category == "mammography" else rng.choice(sexes)
    weight = rng.uniform(4, 60) if child else rng.gauss(74, 15)
    height = rng.uniform(0.55, 1.75) if child else rng.gauss(1.70 if sex == "M" else 1.62, 0.08)
    key = hashlib.sha256(str(rng.randrange(600_000)).encode()).hexdigest()
    return {
        "patient_key": key,
        "age_years": round(age, 2),
        "sex": sex,
        "weight_kg": None if rng.random() < 0.12 else round(max(weight, 2.5), 1),
        "height_m": None if rng.random() < 0.18 else round(max(height, 0.45), 2),
    }


def dose(rng: random.Random, category: str, procedure: str) -> dict[str, Any]:
    """Totals of an exam of ``category`` (lognormal spreads around typical values)."""
    ln = rng.lognormvariate
    if category == "ct":
        ctdi = ln(2.2, 0.35)
        return {"ctdivol_max_mgy": round(ctdi, 2), "dlp_total_mgycm": round(ctdi * ln(3.7, 0.3), 1),
                "event_count": rng.choice((2, 2, 3, 4))}  # fmt: skip
    if category in ("radiography", "radiography_mobile"):
        return {"dap_total_gycm2": round(ln(-2.0, 0.6), 5), "event_count": rng.choice((1, 1, 2))}
    if category == "mammography":
        both = rng.random() < 0.9
        return {"agd_left_mgy": round(ln(0.35, 0.25) * 2, 3),
                "agd_right_mgy": round(ln(0.35, 0.25) * 2, 3) if both else None,
                "event_count": 4 if both else 2}  # fmt: skip
    if category == "fluoroscopy":
        dap = ln(3.3, 0.8)
        return {"dap_total_gycm2": round(dap, 3), "dap_fluoro_gycm2": round(dap * 0.4, 3),
                "dap_acquisition_gycm2": round(dap * 0.6, 3), "kar_total_mgy": round(dap * 14, 1),
                "fluoro_time_s": round(ln(5.5, 0.7), 1),
                "event_count": rng.randrange(20, 200)}  # fmt: skip
    if category == "mobile_carm":
        dap = ln(0.8, 0.9)
        return {"dap_total_gycm2": round(dap, 3), "dap_fluoro_gycm2": round(dap, 3),
                "kar_total_mgy": round(dap * 9, 1), "fluoro_time_s": round(ln(3.8, 0.8), 1),
                "event_count": rng.randrange(1, 30)}  # fmt: skip
    if category == "nuclear_medicine":
        osseous = "OSSEUSE" in procedure
        return {"activity_mbq": round(rng.gauss(650 if osseous else 400, 60), 0),
                "radionuclide": "Tc-99m", "event_count": 1,
                "radiopharmaceutical": "HMDP" if osseous else "Tetrofosmin"}  # fmt: skip
    return {"activity_mbq": round(rng.gauss(250, 40), 0), "radionuclide": "F-18",
            "radiopharmaceutical": "Fluorodeoxyglucose", "event_count": 1}  # fmt: skip


def events_of(exam: dict[str, Any], category: str) -> list[dict[str, Any]]:
    """A few irradiation events consistent with the exam's totals (for one exam in twenty)."""
    uid = exam["study_uid"]
    if category == "ct":
        dlp, ctdi = exam["dlp_total_mgycm"], exam["ctdivol_max_mgy"]
        return [
            {"uid": f"{uid}.1", "kind": "ct", "acquisition_type": "constant_angle",
             "protocol": "Topogram", "ctdivol_mgy": 0.1, "dlp_mgycm": 4.0, "kvp_kv": 120.0},
            {"uid": f"{uid}.2", "kind": "ct", "acquisition_type": "spiral",
             "protocol": exam["procedure"].title(), "ctdivol_mgy": ctdi, "dlp_mgycm": dlp - 4.0,
             "phantom_cm": 32, "kvp_kv": 100.0, "exposure_mas": 180.0, "pitch": 0.98,
             "scan_length_mm": round(max(dlp - 4.0, 1.0) / ctdi * 10, 1)},
        ]  # fmt: skip
    if category == "nuclear_medicine" or category == "pet":
        return [{"uid": f"{uid}.1", "kind": "nm", "activity_mbq": exam["activity_mbq"],
                 "radionuclide": exam["radionuclide"],
                 "radiopharmaceutical": exam["radiopharmaceutical"]}]  # fmt: skip
    dap = exam.get("dap_total_gycm2")
    return [
        {"uid": f"{uid}.{i}", "kind": "projection", "event_type": "stationary",
         "protocol": exam["procedure"].title(), "dap_gycm2": None if dap is None else dap / 2,
         "agd_mgy": exam.get("agd_left_mgy"), "kvp_kv": 81.0, "exposure_mas": 4.0,
         "primary_angle_deg": 0.0, "source_detector_mm": 1800.0}
        for i in range(2)
    ]  # fmt: skip


def generate(n_exams: int, seed: int) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Yield (device index, category, exam) in date order; the undated ones at the end."""
    rng = random.Random(seed)
    shares = [(i, d[4]) for i, d in enumerate(DEVICES)]
    days = (END - START).days + 1
    dated = n_exams - UNDATED
    per_day = dated / days
    made = 0
    for d in range(days + 1):
        day = START + timedelta(days=d) if d < days else None
        if day is None:
            count = n_exams - made
        elif d == days - 1:
            count = dated - made
        else:
            count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
        for seconds in sorted(rng.randrange(7 * 3600, 21 * 3600) for _ in range(count)):
            made += 1
            index = weighted(rng, shares)
            category, modality = DEVICES[index][0], DEVICES[index][1]
            procedure = weighted(rng, PROCEDURES[category])
            exam = {
                "study_uid": f"1.2.826.0.1.3680043.9.7778.{made}",
                "accession_number": f"A{made:08d}",
                "study_date": day.isoformat() if day else None,
                "study_time": f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}",
                "modality": modality,
                "procedure": procedure,
                "is_test": rng.random() < 0.002,
                "updated_at": "2026-01-01 00:00:00",
                **patient(rng, category),
                **dose(rng, category, procedure),
            }
            yield index, category, exam


def fill(db_path: Path, n_exams: int, seed: int) -> dict[str, Any]:
    """Write units, devices, exams, some events and reports with raw executemany."""
    from kerma.web.dose.models import Event, Exam, Report

    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('dose_exam', 'dose_event', 'dose_report')"
    ).fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    with con:
        units = {}
        for code, name in (("main", "Imagerie centrale"), ("site-b", "Site B")):
            row = con.execute("SELECT id FROM accounts_unit WHERE code = ?", (code,)).fetchone()
            if row is None:
                cur = con.execute(
                    "INSERT INTO accounts_unit (code, name, site) VALUES (?, ?, '')", (code, name)
                )
                units[code] = cur.lastrowid
            else:
                units[code] = row[0]
        for i, (category, _mod, maker, model, _share, unit) in enumerate(DEVICES, start=1):
            con.execute(
                "INSERT INTO dose_device (id, identity_key, observer_uid, manufacturer, model, "
                "serial_number, station_name, institution, department, location, category, "
                "category_confirmed, display_name, first_seen, unit_id) "
                "VALUES (?, ?, '', ?, ?, ?, '', 'CH Bench', 'Imagerie', '', ?, 1, '', ?, ?)",
                (i, f"bench-{i}", maker, model, f"SN{i:04d}", category, "2023-01-01 00:00:00",
                 units[unit]),
            )  # fmt: skip
    exam_cols, exam_defaults = columns_of(Exam)
    event_cols, event_defaults = columns_of(Event)
    report_cols, report_defaults = columns_of(Report)

    def insert_sql(table: str, cols: list[str]) -> str:
        return f"INSERT INTO {table} (id, {', '.join(cols)}) VALUES (?{', ?' * len(cols)})"

    exam_sql = insert_sql("dose_exam", exam_cols)
    event_sql = insert_sql("dose_event", event_cols)
    report_sql = insert_sql("dose_report", report_cols)
    batches: dict[str, list[tuple]] = {"exam": [], "event": [], "report": []}
    counts = {"exam": 0, "event": 0, "report": 0}

    def row_of(cols: list[str], defaults: dict[str, Any], pk: int, values: dict[str, Any]):
        return (pk, *[values[c] if c in values else defaults[c] for c in cols])

    def flush() -> None:
        con.executemany(exam_sql, batches["exam"])
        con.executemany(event_sql, batches["event"])
        con.executemany(report_sql, batches["report"])
        for key in batches:
            counts[key] += len(batches[key])
            batches[key].clear()

    with con:
        for pk, (index, category, exam) in enumerate(generate(n_exams, seed), start=1):
            exam["device_id"] = index + 1
            events = events_of(exam, category) if pk % 20 == 0 else []
            if events:
                exam["event_count"] = len(events)
            batches["exam"].append(row_of(exam_cols, exam_defaults, pk, exam))
            if events:
                report_id = counts["report"] + len(batches["report"]) + 1
                batches["report"].append(
                    row_of(report_cols, report_defaults, report_id, {
                        "sop_instance_uid": f"{exam['study_uid']}.99",
                        "sop_class_uid": "1.2.840.10008.5.1.4.1.1.88.67",
                        "exam_id": pk, "source": "rdsr", "modality": exam["modality"],
                        "received_at": "2026-01-01 00:00:00", "sha256": "0" * 64,
                        "archive_path": f"archive/bench/{pk}.dcm.gz",
                        "original_name": f"{pk}.dcm", "event_count": len(events),
                    })
                )  # fmt: skip
                for event in events:
                    event_id = counts["event"] + len(batches["event"]) + 1
                    values = {**event, "exam_id": pk, "report_id": report_id}
                    batches["event"].append(row_of(event_cols, event_defaults, event_id, values))
            if len(batches["exam"]) >= 50_000:
                flush()
                if pk % 200_000 == 0:
                    log(f"  {pk:,} exams written ({time.perf_counter() - started:.0f} s)")
        flush()
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {
        "exams": counts["exam"],
        "events": counts["event"],
        "reports": counts["report"],
        "devices": len(DEVICES),
        "fill_s": round(time.perf_counter() - started, 1),
    }


class QueryLog:
    """Times every SQL query of a block (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - start, sql))


def rss_kib(field: str = "VmRSS") -> int:
    """Return this process's resident memory (``VmRSS``) or its peak (``VmHWM``) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset the process's peak resident memory (Linux ``clear_refs`` 5); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exams", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-export", action="store_true", help="Skip the full CSV export")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary KERMA_HOME")
    parser.add_argument("--home", help="Reuse a KERMA_HOME kept by --keep (no fill)")
    args = parser.parse_args()

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="kerma-bench-web-"))
    os.environ["KERMA_HOME"] = str(home)
    os.environ.pop("KERMA_DATABASE_URL", None)
    os.environ.pop("KERMA_DEBUG", None)
    try:
        return run(args, home)
    finally:
        if args.keep or args.home:
            log(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path) -> int:
    load_start = os.getloadavg()
    from kerma.web.bootstrap import setup

    setup()
    import django
    from django.db import connection

    if args.home:
        from kerma.web.dose.models import Event, Exam

        filled = {"exams": Exam.objects.count(), "events": Event.objects.count(), "fill_s": 0}
        filled["devices"] = len(DEVICES)
    else:
        connection.close()
        log(f"Filling {home / 'kerma.sqlite3'} with {args.exams:,} exams…")
        filled = fill(home / "kerma.sqlite3", args.exams, args.seed)
        log(f"  {filled['exams']:,} exams, {filled['events']:,} events in {filled['fill_s']} s")
        from kerma.web.nrd.references import use_reference
        from kerma.web.nrd.services import add_mapping

        use_reference("fr-2011-arrete", by="bench", family="ct")
        for pattern, act in RULES:
            add_mapping(by="bench", pattern=pattern, act_code=act, refresh=False)

    from django.test import Client

    from kerma.web.accounts.models import Unit
    from kerma.web.accounts.roles import ADMINISTRATOR, PHYSICIST, create_user
    from kerma.web.dose.models import Device, Exam

    main_unit = Unit.objects.get(code="main")
    physicist = create_user("bench-physicist", "bench-pass-123", PHYSICIST, [main_unit])
    admin = create_user("bench-admin", "bench-pass-123", ADMINISTRATOR, [main_unit])
    clients = {"physicist": Client(), "admin": Client()}
    clients["physicist"].force_login(physicist)
    clients["admin"].force_login(admin)

    ct = Device.objects.filter(unit=main_unit, category="ct").order_by("id").first()
    middle = Exam.objects.filter(study_date="2024-06-14").order_by("-study_time", "-id").first()
    cursor = f"{middle.study_date.isoformat()}~{middle.study_time}~{middle.pk}"
    filtered = {"modality": "CT", "sex": "F", "age_min": 18, "age_max": 65, "dlp_min": 500}
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("dashboard", "physicist", "/", {}),
        ("exams, page 1, unfiltered", "physicist", "/exams/", {}),
        ("exams, page 1, unfiltered (administrator: no unit filter)", "admin", "/exams/", {}),
        ("exams, page 1: device + one month", "physicist", "/exams/",
         {"device": ct.pk, "since": "2025-06-01", "until": "2025-06-30"}),
        ("exams, page 1: CT, women 18–65 y, DLP ≥ 500", "physicist", "/exams/", filtered),
        ("exams, page 1: NRD act CT-TAP", "physicist", "/exams/", {"act": "CT-TAP"}),
        ("exams, page 1: protocol contains 'thorax', BMI 18–35", "physicist", "/exams/",
         {"protocol": "thorax", "bmi_min": 18, "bmi_max": 35}),
        ("exams, page 1: DX, DAP 0.5–1 Gy·cm²", "physicist", "/exams/",
         {"modality": "DX", "dap_min": "0.5", "dap_max": 1}),
        ("exams, deep page (after mid-2024), unfiltered", "physicist", "/exams/",
         {"after": cursor}),
        ("exams, deep page (after mid-2024): CT, women 18–65 y, DLP ≥ 500", "physicist",
         "/exams/", {**filtered, "after": cursor}),
        ("exams, last page, unfiltered", "physicist", "/exams/", {"last": 1}),
        ("exam page (with events and report)", "physicist", f"/exams/{middle.pk - middle.pk % 20}/",
         {}),
    ]  # fmt: skip
    charts = chart_cases(ct)
    cases += [(label, "physicist", url, params) for label, url, params in charts]
    results = []
    for label, who, url, params in cases:
        client = clients[who]
        try:
            response = client.get(url, params)
            error = "" if response.status_code == 200 else f"HTTP {response.status_code}"
        except Exception as exc:  # another part of the application may be broken: go on
            error = f"{type(exc).__name__}: {exc}"
        if error:
            log(f"  {label}: {url} {params}: {error}")
            results.append({"case": label, "user": who, "url": url, "params": params,
                            "error": error[:300]})  # fmt: skip
            continue
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(url, params)
            times.append(time.perf_counter() - start)
        log_ = QueryLog()
        with connection.execute_wrapper(log_):
            response = client.get(url, params)
        slowest = max(log_.queries, default=(0.0, ""))
        shown = ""
        if url == "/exams/":
            # What the list says of its size: a count, "more than 10 000" or "more than 50".
            match = re.search(r'<div class="sub">(.*?)</div>', response.content.decode(), re.S)
            shown = " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split()) if match else ""
        results.append(
            {
                "case": label,
                "user": who,
                "url": url,
                "params": params,
                "median_ms": round(statistics.median(times) * 1000, 1),
                "best_ms": round(min(times) * 1000, 1),
                "queries": len(log_.queries),
                "slowest_query_ms": round(slowest[0] * 1000, 1),
                "slowest_query": slowest[1][:300],
                "list_says": shown,
            }
        )
        log(f"  {label}: median {results[-1]['median_ms']} ms ({len(log_.queries)} queries)")

    export: dict[str, Any] = {}
    if not args.no_export:
        export = measure_export(clients["admin"])
        export["heap"] = [
            measure_export_heap(clients["admin"], since) for since in ("2025-12-21", "2025-09-13")
        ]
        for heap in export["heap"]:
            log(f"  CSV export under tracemalloc: {heap['rows']:,} rows, Python heap peak "
                f"{heap['heap_peak_mb']} MB")  # fmt: skip
        log(
            f"  CSV export: {export['rows']:,} rows, {export['mb']} MB in {export['wall_s']} s, "
            f"peak RSS +{export['peak_rss_growth_mb']} MB"
        )

    summary = {
        "exams": filled["exams"],
        "events": filled["events"],
        "devices": filled["devices"],
        "fill_s": filled["fill_s"],
        "results": results,
        "chart": "timed" if charts else "kerma.web.charts has no data endpoint yet: skipped",
        "export": export,
        "target_ms": TARGET_S * 1000,
        "met": all(r.get("median_ms", 1e9) < TARGET_S * 1000 for r in results),
        "machine": machine(django.get_version(), load_start),
    }
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0 if summary["met"] else 1
    print_table(summary)
    return 0 if summary["met"] else 1


def chart_cases(device: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (label, url, params) of the charts' data endpoints for one device and act
    (the distribution and the monthly medians of 2025), or [] when the app is absent."""
    from django.apps import apps
    from django.urls import NoReverseMatch, reverse

    if not apps.is_installed("kerma.web.charts"):
        return []
    params = {"device": device.pk, "act": "CT-TAP", "from": "2025-01-01", "to": "2025-12-31"}
    cases = []
    for chart in ("distribution", "monthly"):
        try:
            url = reverse("charts_data", args=[chart])
        except NoReverseMatch:
            continue
        cases.append((f"chart data: {chart}, one CT scanner, CT-TAP, 2025", url, params))
    return cases


def measure_export(client: Any) -> dict[str, Any]:
    """Stream the CSV export of every exam; return rows, size, wall time and peak memory."""
    import gc

    gc.collect()
    before = rss_kib()
    reset = reset_peak_rss()
    start = time.perf_counter()
    response = client.get("/exams/", {"export": "csv", "include_tests": "on"})
    first_byte = None
    size = lines = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - start
        size += len(chunk)
        lines += chunk.count(b"\n")
    wall = time.perf_counter() - start
    peak = rss_kib("VmHWM")
    return {
        "rows": lines - 1,
        "mb": round(size / 1e6, 1),
        "wall_s": round(wall, 1),
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "rows_per_s": round((lines - 1) / wall),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "peak_rss_growth_mb": round((peak - before) / 1024, 1),
        "peak_reset": reset,
        "streaming": bool(getattr(response, "streaming", False)),
    }


def measure_export_heap(client: Any, since: str) -> dict[str, Any]:
    """Stream the CSV export of the exams since ``since`` under tracemalloc; return rows and
    the peak of Python allocations during the export (slower: run on part of the list)."""
    import tracemalloc

    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    response = client.get("/exams/", {"export": "csv", "include_tests": "on", "since": since})
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "since": since,
        "rows": lines - 1,
        "mb": round(size / 1e6, 1),
        "heap_peak_mb": round((peak - base) / 1e6, 2),
    }


def machine(django_version: str, load_start: tuple[float, ...]) -> dict[str, Any]:
    cpu = cpu_name()
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django_version,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def print_table(summary: dict[str, Any]) -> None:
    m = summary["machine"]
    print(
        f"\nWeb pages on {summary['exams']:,} exams / {summary['events']:,} events, "
        f"{summary['devices']} devices (filled in {summary['fill_s']} s)\n"
        f"{m['date']}; {m['cpu']}, {m['cpus']} CPUs; Python {m['python']}, Django "
        f"{m['django']}, SQLite {m['sqlite']}; load {m['load_start'][0]} → {m['load_end'][0]}\n"
    )
    print("| page | median ms | best ms | queries | slowest query ms | the list says |")
    print("|---|---:|---:|---:|---:|---|")
    for r in summary["results"]:
        if "error" in r:
            print(f"| {r['case']} | failed: {r['error'][:80]} | | | | |")
            continue
        print(
            f"| {r['case']} | {r['median_ms']:.1f} | {r['best_ms']:.1f} | {r['queries']} | "
            f"{r['slowest_query_ms']:.1f} | {r['list_says']} |"
        )
    if "kerma.web.charts" in summary["chart"]:
        print(f"\nchart: {summary['chart']}")
    e = summary["export"]
    if e:
        print(
            f"\nCSV export of every exam (streamed): {e['rows']:,} rows, {e['mb']} MB in "
            f"{e['wall_s']} s ({e['rows_per_s']:,} rows/s, first bytes after "
            f"{e['first_byte_ms']} ms); process memory {e['rss_before_mb']} MB before, peak "
            f"{e['peak_rss_mb']} MB (+{e['peak_rss_growth_mb']} MB for a {e['mb']} MB file)"
        )
        for h in e.get("heap", []):
            print(
                f"CSV export of the {h['rows']:,} exams since {h['since']} under tracemalloc: "
                f"{h['mb']} MB, Python allocations peak at {h['heap_peak_mb']} MB"
            )
    verdict = "met" if summary["met"] else "NOT met"
    print(f"\ntarget < {summary['target_ms']:.0f} ms per page: {verdict}")
    slow = [r for r in summary["results"] if r.get("median_ms", 0) >= summary["target_ms"]]
    for r in slow:
        print(f"  slow: {r['case']}: slowest query {r['slowest_query_ms']} ms:")
        print(f"    {r['slowest_query']}")


if __name__ == "__main__":
    sys.exit(main())
