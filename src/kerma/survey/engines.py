"""The engines that run the survey's SQL (:mod:`kerma.survey.sql`): DuckDB on one machine (the
default, in bounded memory, spilling to disk) and Apache Spark beyond one machine (the optional
extra ``kerma[spark]``, here in local mode). An engine registers the staged contributions as
``raw``, runs each statement as a view or a materialised table, and returns rows; it computes
nothing of its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kerma.survey.sql import source_select

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

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """Yield the rows of ``sql`` as tuples, a batch at a time (bounded memory)."""

    def values(
        self, relation: str, key: str, value: str, columns: Sequence[str]
    ) -> dict[str, np.ndarray]:
        """Return each of ``columns`` of ``relation`` where ``key`` equals ``value`` (NaN for
        null), by column name."""

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
                f"read_parquet('{_quoted(str(s.path))}', file_row_number = true)", s.name
            )
            for s in sources
        ]
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS {' UNION ALL '.join(selects)}")

    def define(self, name: str, sql: str, materialise: bool) -> None:
        kind = "TABLE" if materialise else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.con.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch

    def values(
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
        self.spark.sql(" UNION ALL ".join(selects)).createOrReplaceTempView("raw")

    def define(self, name: str, sql: str, materialise: bool) -> None:
        frame = self.spark.sql(sql)
        if materialise:
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(sql).collect()]

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        for row in self.spark.sql(sql).toLocalIterator():
            yield tuple(row)

    def values(
        self, relation: str, key: str, value: str, columns: Sequence[str]
    ) -> dict[str, np.ndarray]:
        from pyspark.sql import functions as F

        rows = self.spark.table(relation).where(F.col(key) == value).select(*columns).collect()
        return {
            c: np.asarray([np.nan if r[i] is None else r[i] for r in rows], dtype=float)
            for i, c in enumerate(columns)
        }

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


def _floats(values: Any) -> np.ndarray:
    """Return a fetched column as floats, nulls (masked values) as NaN."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype(float).filled(np.nan)
    return np.asarray(values, dtype=float)


def _quoted(text: str) -> str:
    return text.replace("'", "''")
