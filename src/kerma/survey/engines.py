"""The engines that run the survey's SQL (:mod:`kerma.survey.sql`): DuckDB on one machine (the
default, in bounded memory, spilling to disk) and Apache Spark beyond one machine (the optional
extra ``kerma[spark]``, here in local mode). An engine registers the staged contributions as
``raw``, runs each statement as a view or a materialised table, and returns rows; it computes
nothing of its own."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kerma.survey.sql import RECORD_ID_BLOCK, source_select

ENGINES = ("duckdb", "spark")

# DuckDB's memory cap: the command's --memory-limit, else this setting, else half of the
# machine's memory (or of the container's), at most MEMORY_CAP_BYTES.
MEMORY_LIMIT_SETTING = "KERMA_SURVEY_MEMORY_LIMIT"
MEMORY_CAP_BYTES = 8 * 2**30
MEMORY_FLOOR_BYTES = 256 * 2**20
_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def physical_memory_bytes() -> int | None:
    """Return the memory this process may use in bytes: the machine's, or its container's
    (cgroup ``memory.max``) when lower; None if unknown."""
    try:
        found = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    try:
        cap = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        cap = "max"
    return min(found, int(cap)) if cap.isdigit() else found


def default_memory_limit() -> str:
    """Return DuckDB's memory cap when none is set, as DuckDB reads it (``"2048MB"``): half of
    :func:`physical_memory_bytes`, between MEMORY_FLOOR_BYTES and MEMORY_CAP_BYTES."""
    memory = physical_memory_bytes() or 2 * MEMORY_CAP_BYTES
    bounded = max(MEMORY_FLOOR_BYTES, min(MEMORY_CAP_BYTES, memory // 2))
    return f"{bounded // 2**20}MB"


def memory_limit(value: str | None = None) -> str:
    """Return the memory cap to give DuckDB: ``value``, else the setting
    :data:`MEMORY_LIMIT_SETTING`, else :func:`default_memory_limit`. ValueError for a text
    that is not a size (``512MB``, ``2GB``, ``1.5GiB``)."""
    text = (value or os.environ.get(MEMORY_LIMIT_SETTING) or "").strip()
    if not text:
        return default_memory_limit()
    if _MEMORY_SIZE.fullmatch(text) is None:
        raise ValueError(f"not a memory size: {text!r} (e.g. 512MB, 2GB)")
    return text


def cpu_count() -> int:
    """Return the number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Source:
    """A contribution as a Parquet file: ``name`` is the file's name for the rejected records'
    sheet, ``None`` when the file is staged and carries ``source_file``/``source_row``."""

    path: Path
    name: str | None


class Engine(Protocol):
    """What :func:`kerma.survey.run.run_survey` needs of an engine."""

    def register_raw(self, sources: Sequence[Source]) -> None:
        """Make the contributions (Parquet files) the relation ``raw``."""

    def define(self, name: str, sql: str, materialise: bool) -> None:
        """Make ``sql`` the relation ``name`` (computed once when ``materialise``)."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Return the rows of ``sql`` as dicts."""

    def write_csv(self, sql: str, path: Path) -> None:
        """Write the rows of ``sql`` to ``path`` as :func:`copy_csv` does (the same file for
        the same rows, whatever the engine)."""

    def settings(self) -> dict[str, str]:
        """Return the engine's settings a run is read with (memory, threads...), by name."""

    def grouped_values(
        self, relation: str, keys: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, dict[str, np.ndarray]]]:
        """Return each of ``columns`` of ``relation`` (NaN for null) grouped by each of
        ``keys``: by key, then value of the key (rows where it is null left out), then column
        name; the values of a group in no particular order."""

    def close(self) -> None:
        """Release the engine."""


class DuckDBEngine:
    """DuckDB in-process: ``limit`` (see :func:`memory_limit`) bounds its memory, the rest
    spills to ``temp_dir``; ``threads`` defaults to the CPUs of the process."""

    def __init__(
        self, temp_dir: Path, limit: str | None = None, threads: int | None = None
    ) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = '{memory_limit(limit)}'")
        self.con.execute(f"SET threads = {int(threads or cpu_count())}")
        self.con.execute(f"SET temp_directory = '{_quoted(str(temp_dir))}'")
        # Order of rows is never relied on; not keeping it lets aggregates stream.
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")

    def register_raw(self, sources: Sequence[Source]) -> None:
        selects = [
            source_select(
                f"read_parquet('{_quoted(str(s.path))}', file_row_number = true)",
                s.name,
                record_id=f"{index * RECORD_ID_BLOCK} + file_row_number",
            )
            for index, s in enumerate(sources)
        ]
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS {' UNION ALL '.join(selects)}")

    def define(self, name: str, sql: str, materialise: bool) -> None:
        kind = "TABLE" if materialise else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def write_csv(self, sql: str, path: Path) -> None:
        copy_csv(self.con, sql, path)

    def settings(self) -> dict[str, str]:
        names = ("memory_limit", "threads")
        row = self.con.execute(
            f"SELECT {', '.join(f'current_setting({n!r})' for n in names)}"
        ).fetchone()
        return {n: str(v) for n, v in zip(names, row or (), strict=True)}

    def grouped_values(
        self, relation: str, keys: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, dict[str, np.ndarray]]]:
        # One read of the relation for every key: the keys as one hash (a number, cheap to
        # fetch, where a text would cost a Python string a row), the rows grouped by it in
        # NumPy, then each key's groups joined from those.
        together = ", ".join(keys)
        found = self.con.execute(
            f"SELECT hash({together}) AS group_hash, {', '.join(columns)} FROM {relation}"
        ).fetchnumpy()
        distinct = self.con.execute(
            f"SELECT DISTINCT hash({together}), {together} FROM {relation}"
        ).fetchall()
        named = {h: tuple(rest) for h, *rest in distinct}
        if len(named) < len(distinct):  # two groups, one hash: read each value on its own
            return {
                key: {
                    value: self._values_where(relation, key, value, columns)
                    for value in {row[i + 1] for row in distinct if row[i + 1] is not None}
                }
                for i, key in enumerate(keys)
            }
        groups = _grouped(
            np.asarray(found.pop("group_hash")),
            named,
            {c: _floats(found.pop(c)) for c in columns},
        )
        result: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for i, key in enumerate(keys):
            parts: dict[str, list[dict[str, np.ndarray]]] = {}
            for group, values in groups.items():
                if group[i] is not None:
                    parts.setdefault(group[i], []).append(values)
            result[key] = {
                value: found_in[0] if len(found_in) == 1 else {
                    c: np.concatenate([g[c] for g in found_in]) for c in columns
                }
                for value, found_in in parts.items()
            }  # fmt: skip
        return result

    def _values_where(
        self, relation: str, key: str, value: str, columns: Sequence[str]
    ) -> dict[str, np.ndarray]:
        found = self.con.execute(
            f"SELECT {', '.join(columns)} FROM {relation} WHERE {key} = ?", [value]
        ).fetchnumpy()
        return {c: _floats(found[c]) for c in columns}

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """Apache Spark through pyspark (``kerma[spark]`` and a Java runtime); ``session`` reuses a
    running session (tests), else a local one is started with ``master``."""

    def __init__(self, session: Any = None, master: str = "local[2]") -> None:
        if session is None:
            session = spark_session(master)
        self.spark = session
        self._cached: list[Any] = []

    def register_raw(self, sources: Sequence[Source]) -> None:
        from pyspark.sql import functions as F

        selects = []
        for index, source in enumerate(sources):
            # Increasing within a file in its order: the rank of a row, as DuckDB numbers them.
            frame = self.spark.read.parquet(str(source.path)).withColumn(
                "file_row_number", F.monotonically_increasing_id()
            )
            frame.createOrReplaceTempView(f"source_{index}")
            selects.append(source_select(f"source_{index}", source.name))
        # A number unique over the union (its bits: partition and row within the partition).
        self.spark.sql(" UNION ALL ".join(selects)).withColumn(
            "record_id", F.monotonically_increasing_id()
        ).createOrReplaceTempView("raw")

    def define(self, name: str, sql: str, materialise: bool) -> None:
        frame = self.spark.sql(sql)
        if materialise:
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(sql).collect()]

    def write_csv(self, sql: str, path: Path) -> None:
        import csv

        import duckdb

        # The rows, a batch at a time, to a plain CSV (Python writes a float's shortest text,
        # read back to the same number), then written by DuckDB as the DuckDB engine does.
        frame = self.spark.sql(sql)
        types = {f.name: _DUCKDB_TYPES.get(f.dataType.simpleString(), "VARCHAR")
                 for f in frame.schema.fields}  # fmt: skip
        plain = path.with_name(path.name + ".rows")
        with plain.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(types)
            writer.writerows(tuple(row) for row in frame.toLocalIterator())
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            copy_csv(
                con,
                f"SELECT * FROM read_csv('{_quoted(str(plain))}', header = true, "
                f"columns = {{{columns}}})",
                path,
            )
        finally:
            con.close()
            plain.unlink()

    def grouped_values(
        self, relation: str, keys: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, dict[str, np.ndarray]]]:
        from pyspark.sql import functions as F

        table = self.spark.table(relation)
        result: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for key in keys:
            named = table.where(F.col(key).isNotNull()).select(key).distinct().collect()
            result[key] = {}
            for (value,) in named:
                rows = table.where(F.col(key) == value).select(*columns).collect()
                result[key][value] = {
                    c: np.asarray([np.nan if r[i] is None else r[i] for r in rows], dtype=float)
                    for i, c in enumerate(columns)
                }
        return result

    def settings(self) -> dict[str, str]:
        conf = self.spark.sparkContext.getConf()
        return {"master": str(conf.get("spark.master"))}

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()


def spark_session(master: str = "local[2]") -> Any:
    """Return a Spark session in local mode (a small one: the UI off, few shuffle partitions)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("kerma-survey")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def make_engine(name: str, temp_dir: Path, limit: str | None = None) -> Engine:
    """Return the engine ``name`` (``duckdb`` or ``spark``), DuckDB's memory capped at
    ``limit`` (see :func:`memory_limit`); ValueError otherwise."""
    if name == "duckdb":
        return DuckDBEngine(temp_dir, limit)
    if name == "spark":
        return SparkEngine()
    raise ValueError(f"unknown engine {name!r}: choose duckdb or spark")


def _grouped(
    hashes: np.ndarray, named: dict[Any, Any], values: dict[str, np.ndarray]
) -> dict[Any, dict[str, np.ndarray]]:
    """Return ``values`` (columns of equal length) split by ``hashes`` (a group's hash a
    row; ``named`` maps a hash to the group's name), by name; rows of a hash not named are
    left out."""
    known = np.array(sorted(named), dtype=hashes.dtype)
    slot = np.minimum(np.searchsorted(known, hashes), len(known) - 1)
    small = np.int16 if len(known) < np.iinfo(np.int16).max else np.int32
    group = np.where(known[slot] == hashes, slot, len(known)).astype(small)
    order = np.argsort(group, kind="stable")  # a radix sort for 16-bit numbers
    bounds = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=len(known) + 1))))
    ordered = {c: column[order] for c, column in values.items()}
    result: dict[Any, dict[str, np.ndarray]] = {}
    for index, h in enumerate(known.tolist()):
        rows = slice(bounds[index], bounds[index + 1])
        result[named[h]] = {c: column[rows] for c, column in ordered.items()}
    return result


# Spark's names of the types a survey's rows carry, as DuckDB's.
_DUCKDB_TYPES = {"string": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT", "int": "INTEGER"}


def copy_csv(con: Any, sql: str, path: Path) -> None:
    """Write the rows of ``sql`` (run on the DuckDB connection ``con``) to ``path``: UTF-8 with
    a byte-order mark (spreadsheets then read the accents), a header, CRLF line ends, an empty
    cell for a null or empty text, formula-like texts neutralised as every export of Kerma
    does (:func:`kerma.spreadsheet.csv_cell_sql`). DuckDB writes the file, in parallel: a
    Python writer costs seconds for a few hundred thousand rows."""
    from kerma.spreadsheet import csv_cell_sql

    described = con.execute(f"DESCRIBE {sql}").fetchall()
    cells = ", ".join(
        f"{csv_cell_sql(f'NULLIF({_name(n)}, {chr(39) * 2})')} AS {_name(n)}"
        if kind == "VARCHAR" else _name(n)
        for n, kind, *_ in described
    )  # fmt: skip
    body = path.with_name(path.name + ".body")
    con.execute(
        f"COPY (SELECT {cells} FROM ({sql}) q) TO '{_quoted(str(body))}' "
        "(FORMAT csv, HEADER true, NEW_LINE '\r\n')"
    )
    with path.open("wb") as target, body.open("rb") as source:
        target.write("\ufeff".encode())
        shutil.copyfileobj(source, target, 1 << 20)
    body.unlink()


def _name(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _floats(values: Any) -> np.ndarray:
    """Return a fetched column as floats, nulls (masked values) as NaN."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype(float).filled(np.nan)
    return np.asarray(values, dtype=float)


def _quoted(text: str) -> str:
    return text.replace("'", "''")
