#!/usr/bin/env python
"""Survey throughput: ``kerma survey run`` on 10 000 000 generated procedure records.

The script writes ``--records`` records (default 10 000 000) over ``--facilities`` facilities
(default 55, as the SFPM survey) to a Parquet file with :func:`kerma.survey.generate.generate`
(DuckDB over ``range(n)``, hash-seeded, planted errors: missing DAP and act, implausible
weights, DAP 100× too small, duplicates, a facility and an act below the minimum counts), then
times the real command ``kerma survey run FILE --out DIR --json`` in a subprocess (start-up,
staging, the SQL on DuckDB, bootstrap intervals, the rejected records to CSV and the first
50 000 to the workbook, the HTML report): best of ``--repeat`` runs (default 1), wall time and
the peak memory of the process (``VmHWM`` polled from ``/proc``). It checks that every planted
error is rejected with its reason and counted, and prints the load average before and after —
the machine may be shared. Target: under 30 s.

Run: ``.venv/bin/python benchmarks/survey.py [--records N] [--repeat R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0


def peak_memory_mb(pid: int) -> float | None:
    """Return the process's peak resident memory (VmHWM) in MB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed_run(data: Path, out: Path) -> tuple[float, float, dict]:
    """Run ``kerma survey run`` once; return the wall time (s), peak memory (MB) and its JSON."""
    env = {**os.environ, "KERMA_HOME": str(out.parent / "home")}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kerma.cli", "survey", "run", str(data), "--out", str(out),
         "--json"],  # fmt: skip
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, peak_memory_mb(process.pid) or 0.0)
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"kerma survey run failed:\n{stderr}")
    return elapsed, peak, json.loads(stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--facilities", type=int, default=55)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="Print the measures as JSON")
    args = parser.parse_args(argv)

    import duckdb

    from kerma.survey.generate import generate

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kerma-survey-bench-") as work:
        folder = Path(work)
        data = folder / "procedures.parquet"
        start = time.perf_counter()
        generate(data, args.records, facilities=args.facilities)
        generated_s = time.perf_counter() - start
        planted = dict(
            duckdb.sql(f"SELECT planted, COUNT(*) FROM '{data}' GROUP BY planted").fetchall()
        )
        runs = []
        for index in range(args.repeat):
            runs.append(timed_run(data, folder / f"out{index}"))
        best = min(runs, key=lambda r: r[0])
        elapsed, peak, result = best
        expected = {k: v for k, v in planted.items() if k != "clean"}
        correct = result["rejected"] == expected
        measures = {
            "records": args.records,
            "facilities": args.facilities,
            "generated_s": round(generated_s, 1),
            "parquet_mb": round(data.stat().st_size / 1e6, 1),
            "run_s": round(elapsed, 1),
            "runs_s": [round(r[0], 1) for r in runs],
            "peak_memory_mb": round(peak),
            "before": result["before"],
            "after": result["after"],
            "rejected": result["rejected"],
            "planted": expected,
            "planted_counted_exactly": correct,
            "target_s": TARGET_S,
            "within_target": elapsed < TARGET_S,
            "cpus": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
    if args.json:
        print(json.dumps(measures, indent=2))
    else:
        for key, value in measures.items():
            print(f"{key:>24}: {value}")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
