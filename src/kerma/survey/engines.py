"""The engines that run the survey's SQL (:mod:`kerma.survey.sql`): DuckDB on one machine (the
default, in bounded memory, spilling to disk) and Apache Spark beyond one machine (the optional
extra ``kerma[spark]``, here in local mode). An engine registers the staged contributions as
``raw``, runs each statement as a view or a materialised table, and returns rows; it computes
nothing of its own."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kerma.survey.sql import RECORD_ID_BLOCK, source_select

ENGINES = ("duckdb", "spark")


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

    def grouped_values(
        self, relation: str, keys: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, dict[str, np.ndarray]]]:
        """Return each of ``columns`` of ``relation`` (NaN for null) grouped by each of
        ``keys``: by key, then value of the key (rows where it is null left out), then column
        name; the values of a group in no particular order."""

    def close(self) -> None:
        """Release the engine."""


class DuckDBEngine:
    """DuckDB in-process: ``memory_limit`` bounds its memory, the rest spills to ``temp_dir``."""

    def __init__(self, temp_dir: Path, memory_limit: str = "4GB") -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
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

    def grouped_values(
        self, relation: str, keys: Sequence[str], columns: Sequence[str]
    ) -> dict[str, dict[str, dict[str, np.ndarray]]]:
        # One read of the relation for every key: each key as its hash (a number, cheap to
        # fetch, where a text would cost a Python string a row), the rows grouped in NumPy.
        hashes = ", ".join(f"hash({k}) AS {k}" for k in keys)
        found = self.con.execute(
            f"SELECT {hashes}, {', '.join(columns)} FROM {relation}"
        ).fetchnumpy()
        values = {c: _floats(found.pop(c)) for c in columns}
        result = {}
        for key in keys:
            named = dict(self.con.execute(
                f"SELECT DISTINCT hash({key}), {key} FROM {relation} WHERE {key} IS NOT NULL"
            ).fetchall())
            if len(named) < len(set(named.values())):  # two values, one hash: read each
                result[key] = {
                    value: self._values_where(relation, key, value, columns)
                    for value in set(named.values())
                }
                continue
            result[key] = _grouped(np.asarray(found.pop(key)), named, values)
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


def make_engine(name: str, temp_dir: Path) -> Engine:
    """Return the engine ``name`` (``duckdb`` or ``spark``); ValueError otherwise."""
    if name == "duckdb":
        return DuckDBEngine(temp_dir)
    if name == "spark":
        return SparkEngine()
    raise ValueError(f"unknown engine {name!r}: choose duckdb or spark")


def _grouped(
    hashes: np.ndarray, named: dict[Any, str], values: dict[str, np.ndarray]
) -> dict[str, dict[str, np.ndarray]]:
    """Return ``values`` (columns of equal length) split by ``hashes`` (a key's hash a row,
    ``named`` maps a hash to the key's value); rows whose hash is not named (a null key) are
    left out."""
    known = np.array(sorted(named), dtype=hashes.dtype)
    slot = np.minimum(np.searchsorted(known, hashes), len(known) - 1)
    small = np.int16 if len(known) < np.iinfo(np.int16).max else np.int32
    group = np.where(known[slot] == hashes, slot, len(known)).astype(small)
    order = np.argsort(group, kind="stable")  # a radix sort for 16-bit numbers
    bounds = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=len(known) + 1))))
    result: dict[str, dict[str, np.ndarray]] = {}
    for index, h in enumerate(known.tolist()):
        rows = order[bounds[index] : bounds[index + 1]]
        result[named[h]] = {c: column[rows] for c, column in values.items()}
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
