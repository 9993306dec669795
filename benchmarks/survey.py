#!/usr/bin/env python
"""Survey throughput: ``kerma survey run`` on 10 000 000 generated procedure records.

The script writes ``--records`` records (default 10 000 000) over ``--facilities`` facilities
(default 55, as the SFPM survey) to a Parquet file with :func:`kerma.survey.generate.generate`
(DuckDB over ``range(n)``, hash-seeded, planted errors: missing DAP and act, implausible
weights, DAP 100× too small, duplicates, a facility and an act below the minimum counts), then
times, one after the other, in subprocesses:

- **the baseline**: one DuckDB query over the same file, in a new Python process — every
  record's act and DAP read and the DAP's 75th percentile per act computed (the least any
  survey of the file does). It calibrates the machine: the ratio run / baseline changes
  little when other jobs slow both;
- **the command**: ``kerma survey run FILE --out DIR --json`` (start-up, staging, the SQL on
  DuckDB, bootstrap intervals, every rejected record to CSV, the workbook and the HTML
  report);
- with ``--compare-src DIR``, the same command from another source tree (``DIR/src``, e.g. an
  earlier commit: ``git worktree add /tmp/before <commit>``), on the same file.

Each is measured ``--repeat`` times (default 1), alternating, and the best kept: wall time,
CPU time (user + system, of the process and its children: what other jobs on the machine
cannot take away), and the command's peak memory (``VmHWM`` polled from ``/proc``). It checks
that every planted error is rejected with its reason and counted, and prints the CPUs and the
load average before and after — the machine may be shared. Target: under 30 s of wall time.

Run: ``.venv/bin/python benchmarks/survey.py [--records N] [--repeat R] [--memory-limit 2GB]
[--compare-src DIR] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGET_S = 30.0

BASELINE = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(
    "SELECT act, quantile_cont(dap_gycm2, 0.75) FROM read_parquet(?) GROUP BY act", [sys.argv[1]]
).fetchall()
"""


@dataclass
class Timed:
    """One measured process: wall and CPU seconds, peak memory (MB), its standard output."""

    wall_s: float
    cpu_s: float
    peak_mb: float
    stdout: str


def peak_memory_mb(pid: int) -> float | None:
    """Return the process's peak resident memory (VmHWM) in MB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children_cpu_s() -> float:
    """Return the CPU seconds (user + system) of the finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> Timed:
    """Run ``command`` once and measure it; SystemExit with its errors if it fails."""
    cpu = children_cpu_s()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, peak_memory_mb(process.pid) or 0.0)
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])}… failed:\n{stderr}")
    return Timed(elapsed, children_cpu_s() - cpu, peak, stdout)


def survey_command(data: Path, out: Path, memory_limit: str | None) -> list[str]:
    """Return the command line of ``kerma survey run`` on ``data``."""
    command = [sys.executable, "-m", "kerma.cli", "survey", "run", str(data), "--out", str(out),
               "--json"]  # fmt: skip
    return command + (["--memory-limit", memory_limit] if memory_limit else [])


def environment(home: Path, src: Path | None = None) -> dict[str, str]:
    """Return the environment of a measured process (its own ``KERMA_HOME``; ``src`` first on
    the path, to run another source tree)."""
    env = {**os.environ, "KERMA_HOME": str(home)}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    return env


def best(runs: list[Timed]) -> Timed:
    return min(runs, key=lambda r: r.wall_s)


def figures(runs: list[Timed], baseline: Timed) -> dict[str, object]:
    """Return the figures of a measured command: best wall and CPU, ratios to the baseline."""
    top = best(runs)
    return {
        "wall_s": round(top.wall_s, 1),
        "cpu_s": round(top.cpu_s, 1),
        "walls_s": [round(r.wall_s, 1) for r in runs],
        "peak_memory_mb": round(top.peak_mb),
        "wall_over_baseline": round(top.wall_s / baseline.wall_s, 2),
        "cpu_over_baseline": round(top.cpu_s / baseline.cpu_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--facilities", type=int, default=55)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--memory-limit", help="kerma survey run --memory-limit")
    parser.add_argument("--compare-src", type=Path,
                        help="A source tree to time too (its src/ folder comes first)")  # fmt: skip
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
        baseline_runs, runs, compared = [], [], []
        for index in range(args.repeat):
            baseline_runs.append(
                timed([sys.executable, "-c", BASELINE, str(data)], environment(folder / "home"))
            )
            out = folder / f"out{index}"
            runs.append(timed(survey_command(data, out, args.memory_limit),
                              environment(folder / "home")))  # fmt: skip
            if args.compare_src is not None:
                compared.append(timed(
                    survey_command(data, folder / f"before{index}", args.memory_limit),
                    environment(folder / "home", args.compare_src / "src"),
                ))  # fmt: skip
        baseline = best(baseline_runs)
        result = json.loads(best(runs).stdout)
        expected = {k: v for k, v in planted.items() if k != "clean"}
        correct = result["rejected"] == expected
        elapsed = best(runs).wall_s
        measures: dict[str, object] = {
            "records": args.records,
            "facilities": args.facilities,
            "generated_s": round(generated_s, 1),
            "parquet_mb": round(data.stat().st_size / 1e6, 1),
            "baseline_wall_s": round(baseline.wall_s, 2),
            "baseline_cpu_s": round(baseline.cpu_s, 2),
            "survey": figures(runs, baseline),
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
        if compared:
            measures["compared"] = {"src": str(args.compare_src), **figures(compared, baseline)}
            other = json.loads(best(compared).stdout)
            measures["compared_gives_the_same_counts"] = all(
                other[k] == result[k] for k in ("before", "after", "rejected")
            )
    if args.json:
        print(json.dumps(measures, indent=2))
    else:
        for key, value in measures.items():
            print(f"{key:>32}: {value}")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
