"""The same SQL on Spark (pyspark local mode) gives the tables DuckDB gives on the same data.

One Spark session for the module (starting one takes seconds); skipped, with the reason, when
pyspark (the ``spark`` extra) or a Java runtime is absent."""

from __future__ import annotations

import shutil

import pytest

from kerma.survey.run import run_survey

pytestmark = [
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="no Java runtime (apt-get install default-jre-headless)",
    ),
]


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark absent: uv sync --extra spark")
    from kerma.survey.engines import spark_session

    session = spark_session("local[1]")
    yield session
    session.stop()


def _close(a, b, key):
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), key
    else:
        assert a == b, key


def test_duckdb_and_spark_give_identical_tables(generated, spark, tmp_path):
    from kerma.survey.engines import SparkEngine

    on_duckdb = run_survey([generated], engine="duckdb", out_dir=tmp_path / "duckdb")
    engine = SparkEngine(spark)
    try:
        on_spark = run_survey([generated], engine=engine, out_dir=tmp_path / "spark")
    finally:
        engine.close()
    assert on_spark.before == on_duckdb.before
    assert on_spark.after == on_duckdb.after
    assert on_spark.rejected == on_duckdb.rejected
    for mine, theirs in (
        (on_spark.acts, on_duckdb.acts),
        (on_spark.specialties, on_duckdb.specialties),
        (on_spark.facility_medians, on_duckdb.facility_medians),
    ):
        assert len(mine) == len(theirs)
        for row_spark, row_duckdb in zip(mine, theirs, strict=True):
            assert set(row_spark) == set(row_duckdb)
            for key, value in row_duckdb.items():
                if key == "ci":
                    for name, bounds in value.items():
                        other = row_spark["ci"][name]
                        if bounds is None:
                            assert other is None
                        else:
                            assert other == pytest.approx(bounds, rel=1e-9), name
                else:
                    _close(row_spark[key], value, key)
    assert on_spark.rejected_csv.read_text() == on_duckdb.rejected_csv.read_text()
