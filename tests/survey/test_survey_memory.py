"""DuckDB's memory cap: the command's ``--memory-limit``, the setting
``KERMA_SURVEY_MEMORY_LIMIT`` or a default from the machine, read back from DuckDB itself; and a
run under a small cap spills to its temporary folder and still rejects every planted error."""

from __future__ import annotations

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kerma.survey.engines import (
    MEMORY_CAP_BYTES,
    MEMORY_FLOOR_BYTES,
    MEMORY_LIMIT_SETTING,
    DuckDBEngine,
    cpu_count,
    default_memory_limit,
    memory_limit,
    physical_memory_bytes,
)
from kerma.survey.generate import generate
from kerma.survey.run import run_survey


def duckdb_reads(limit: str) -> str:
    """Return DuckDB's own reading of the memory cap ``limit`` (it shows ``244.1 MiB``)."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{limit}'")
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_the_cap_and_threads_reach_duckdb(tmp_path, monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_SETTING, raising=False)
    engine = DuckDBEngine(tmp_path, "256MB")
    try:
        assert engine.settings() == {"memory_limit": duckdb_reads("256MB"),
                                     "threads": str(cpu_count())}  # fmt: skip
    finally:
        engine.close()
    monkeypatch.setenv(MEMORY_LIMIT_SETTING, "300MB")
    engine = DuckDBEngine(tmp_path)
    try:
        assert engine.settings()["memory_limit"] == duckdb_reads("300MB")
    finally:
        engine.close()
    assert memory_limit("1GB") == "1GB"  # the option wins over the setting


def test_the_default_is_half_the_memory_within_bounds(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_SETTING, raising=False)
    memory = physical_memory_bytes()
    assert memory is not None and memory > 0
    expected = max(MEMORY_FLOOR_BYTES, min(MEMORY_CAP_BYTES, memory // 2)) // 2**20
    assert default_memory_limit() == memory_limit() == f"{expected}MB"
    assert int(default_memory_limit().removesuffix("MB")) * 2**20 <= MEMORY_CAP_BYTES


@pytest.mark.parametrize("text", ["lots", "12", "2 parsecs", "-1GB", "1GB; SELECT 1"])
def test_a_cap_that_is_not_a_size_is_refused(text, monkeypatch):
    with pytest.raises(ValueError):
        memory_limit(text)
    monkeypatch.setenv(MEMORY_LIMIT_SETTING, text)
    with pytest.raises(ValueError):
        memory_limit()


def test_the_command_option_reaches_duckdb(generated, tmp_path):
    from kerma.cli.main import app

    out = tmp_path / "r"
    done = CliRunner().invoke(
        app, ["survey", "run", str(generated), "--out", str(out), "--memory-limit", "256MB",
              "--json", "--language", "en"],  # fmt: skip
    )
    assert done.exit_code == 0, done.output
    summary = load_workbook(out / "survey.xlsx", read_only=True)["Summary"]
    found = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if len(r) > 1}
    assert found["duckdb.memory_limit"] == duckdb_reads("256MB")
    assert found["duckdb.threads"] == str(cpu_count())
    refused = CliRunner().invoke(
        app, ["survey", "run", str(generated), "--out", str(out), "--memory-limit", "lots"]
    )
    assert refused.exit_code != 0 and "memory size" in refused.output


def test_a_small_cap_spills_and_the_run_completes(tmp_path):
    data = generate(tmp_path / "g.parquet", 500_000, facilities=20, seed=4)
    planted = dict(duckdb.sql(f"SELECT planted, COUNT(*) FROM '{data}' GROUP BY 1").fetchall())
    spill = tmp_path / "spill"
    engine = DuckDBEngine(spill, "128MB")
    try:
        found = run_survey([data], engine=engine, bootstrap=False)
        spilled = engine.con.execute(
            "SELECT COALESCE(SUM(size), 0) FROM duckdb_temporary_files()"
        ).fetchone()[0]
    finally:
        engine.close()
    assert found.settings["memory_limit"] == duckdb_reads("128MB")
    assert spilled > 0  # what did not fit went to the temporary folder
    assert found.rejected == dict(sorted((k, v) for k, v in planted.items() if k != "clean"))
    assert found.after["procedures"] == planted["clean"]
