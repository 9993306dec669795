"""A survey run: stage the contributions, run the one SQL definition on an engine, add the
bootstrap intervals, and return the result (``as_json`` gives the command's JSON contract)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kerma.survey import sql
from kerma.survey.engines import Engine, Source, make_engine
from kerma.survey.stats import FRACTIONS, bootstrap_intervals
from kerma.survey.template import REQUIRED, read_rows
from kerma.survey.wording import SurveyInputError

# The rejected records are all in rejected.csv; the workbook's sheet holds the first ones of
# each reason (a sheet of millions of rows would take minutes to write, and no one reads it).
REJECTED_SHEET_PER_REASON = 200


@dataclass
class SurveyResult:
    """What a survey found. Counts are dicts ``procedures``, ``facilities``, ``acts``,
    ``specialties``; ``acts`` and ``specialties`` are rows of the level tables (values in the
    template's units: Gy·cm², min, mGy) with ``ci`` (bootstrap intervals by column name)."""

    before: dict[str, int]
    after: dict[str, int]
    rejected: dict[str, int]
    acts: list[dict[str, Any]]
    specialties: list[dict[str, Any]]
    facility_medians: list[dict[str, Any]]
    limits: sql.Limits
    engine: str
    rejected_csv: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)
    rejected_sample: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the JSON of ``kerma survey run --json`` (its keys are a contract)."""
        return {
            "before": self.before,
            "after": self.after,
            "rejected": self.rejected,
            "acts": {
                row["act"]: {
                    "specialty": row["specialty"],
                    "n": row["n"],
                    "facilities": row["facilities"],
                    "dap_p50": row["dap_p50"],
                    "dap_p75": row["dap_p75"],
                    "fluoro_time_p75": row["fluoro_time_p75"],
                    "facility_median_dap_p75": row["facility_median_dap_p75"],
                }
                for row in self.acts
            },
        }


def stage(paths: Sequence[Path], work_dir: Path) -> list[Source]:
    """Return the contributions as Parquet sources: Parquet files as they are (their required
    columns checked), CSV and XLSX (template or NRD export) read and written to Parquet in
    ``work_dir``. Raises :class:`SurveyInputError` for an unreadable contribution."""
    import duckdb

    sources: list[Source] = []
    con = duckdb.connect()
    try:
        for index, path in enumerate(paths):
            if path.suffix.lower() == ".parquet":
                columns = {r[0] for r in con.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]
                ).fetchall()}
                missing = [c for c in REQUIRED if c not in columns]
                if missing:
                    raise SurveyInputError(
                        "survey.input.missing_columns", file=path.name, columns=missing
                    )
                sources.append(Source(path, path.name))
                continue
            flat = work_dir / f"{index}.csv"
            with flat.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["source_file", "source_row", *REQUIRED])
                for row_number, row in enumerate(read_rows(path), start=2):
                    values = ("" if row[c] is None else row[c] for c in REQUIRED)
                    writer.writerow([path.name, row_number, *values])
            staged = work_dir / f"{index}.parquet"
            con.execute(
                f"COPY (SELECT * FROM read_csv('{_quoted(flat)}', header = true, "
                "all_varchar = true)) TO "
                f"'{_quoted(staged)}' (FORMAT parquet)"
            )
            flat.unlink()
            sources.append(Source(staged, None))
    finally:
        con.close()
    return sources


def run_survey(
    paths: Sequence[Path],
    *,
    engine: str | Engine = "duckdb",
    limits: sql.Limits | None = None,
    out_dir: Path | None = None,
    bootstrap: bool = True,
    memory_limit: str | None = None,
) -> SurveyResult:
    """Run the survey of the contributions at ``paths`` on ``engine`` (a name or an engine
    already made) and return its result; with ``out_dir``, every rejected record goes to
    ``out_dir/rejected.csv`` with its reason. ``memory_limit`` caps DuckDB's memory (see
    :func:`kerma.survey.engines.memory_limit`)."""
    limits = limits or sql.Limits()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kerma-survey-") as work:
        work_dir = Path(work)
        sources = stage(paths, work_dir)
        runner = (
            make_engine(engine, work_dir, memory_limit) if isinstance(engine, str) else engine
        )
        name = engine if isinstance(engine, str) else type(engine).__name__
        try:
            runner.register_raw(sources)
            for step, text, materialise in sql.statements(limits):
                runner.define(step, text, materialise)
            result = SurveyResult(
                before=_counts(runner, sql.BEFORE),
                after=_counts(runner, sql.AFTER),
                rejected={r["reason"]: int(r["n"]) for r in runner.rows(sql.REJECTED)},
                acts=_plain(runner.rows(sql.ACT_TABLE)),
                specialties=_plain(runner.rows(sql.SPECIALTY_TABLE)),
                facility_medians=_plain(runner.rows(sql.FACILITY_MEDIANS)),
                limits=limits,
                engine=name,
                settings=runner.settings(),
            )
            result.rejected = dict(sorted(result.rejected.items()))
            if bootstrap:
                _add_intervals(runner, result)
            result.rejected_sample, result.rejected_csv = _rejected(runner, out_dir)
        finally:
            if isinstance(engine, str):
                runner.close()
    return result


def _counts(runner: Engine, query: str) -> dict[str, int]:
    row = runner.rows(query)[0]
    return {k: int(v) for k, v in row.items()}


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``rows`` with plain Python numbers (an engine's decimals as floats)."""
    return [
        {
            k: v if v is None or isinstance(v, (str, int, float)) else float(v)
            for k, v in row.items()
        }
        for row in rows
    ]


def _add_intervals(runner: Engine, result: SurveyResult) -> None:
    """Add ``ci`` to each act and specialty: bootstrap intervals of every percentile, of the
    per-procedure distribution and of the facility medians."""
    columns = [column for column, _ in sql.QUANTITIES]
    # One read of the procedures for both groupings, one of each table of facility medians.
    procedures_by = runner.grouped_values("kept", ("act", "specialty"), columns)
    empty = {c: np.empty(0) for c in columns}
    for rows, key, medians in (
        (result.acts, "act", "facility_medians"),
        (result.specialties, "specialty", "specialty_facility_medians"),
    ):
        facilities_by = runner.grouped_values(medians, (key,), columns)[key]
        for row in rows:
            ci: dict[str, list[float] | None] = {}
            procedures = procedures_by[key].get(row[key], empty)
            facilities = facilities_by.get(row[key], empty)
            for column, prefix in sql.QUANTITIES:
                pairs = ((procedures, prefix), (facilities, f"facility_median_{prefix}"))
                for found, name in pairs:
                    intervals = bootstrap_intervals(found[column], key=f"{row[key]}|{name}")
                    for p, interval in zip(FRACTIONS, intervals, strict=True):
                        ci[f"{name}_p{round(p * 100)}"] = (
                            None if interval is None else [interval.low, interval.high]
                        )
            row["ci"] = ci


def _rejected(runner: Engine, out_dir: Path | None) -> tuple[list[dict[str, Any]], Path | None]:
    """Write every rejected record to ``out_dir/rejected.csv`` (when given) and return the
    first :data:`REJECTED_SHEET_PER_REASON` of each reason (by file and row) as dicts, and
    the file's path."""
    sample = runner.rows(sql.rejected_sample(REJECTED_SHEET_PER_REASON))
    if out_dir is None:
        return sample, None
    path = out_dir / "rejected.csv"
    runner.write_csv(sql.REJECTED_RECORDS, path)
    return sample, path


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
