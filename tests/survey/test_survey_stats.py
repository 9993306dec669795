"""Percentiles (type 7), the ICRP 135 facility-median method and the bootstrap intervals,
against hand computations; the SQL's percentile_cont gives the same."""

from __future__ import annotations

import duckdb
import pytest

from kerma.survey.stats import (
    EXPLICIT_LIMIT,
    bootstrap_interval,
    facility_medians,
    percentile,
    reference_level,
)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # n = 5: h = 4p falls on order statistics.
        ([10, 1, 7, 2, 4], 0.25, 2.0),
        ([10, 1, 7, 2, 4], 0.5, 4.0),
        ([10, 1, 7, 2, 4], 0.75, 7.0),
        # n = 4: h = 3·0.75 = 2.25 → x[2] + 0.25·(x[3] − x[2]) = 4 + 0.25·3 = 4.75
        ([1, 2, 4, 7], 0.75, 4.75),
        # h = 3·0.25 = 0.75 → 1 + 0.75·(2 − 1) = 1.75
        ([1, 2, 4, 7], 0.25, 1.75),
        # h = 1.5 → 2 + 0.5·(4 − 2) = 3
        ([1, 2, 4, 7], 0.5, 3.0),
        ([3.5], 0.75, 3.5),
    ],
)
def test_percentile_by_hand(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)
    # The SQL definition (percentile_cont, the engines' own) gives the same number.
    listed = ", ".join(f"({v})" for v in values)
    sql = f"SELECT percentile_cont({p}) WITHIN GROUP (ORDER BY x) FROM (VALUES {listed}) t(x)"
    assert duckdb.sql(sql).fetchall()[0][0] == pytest.approx(expected)


def test_percentile_of_nothing():
    assert percentile([], 0.75) is None
    assert percentile([float("nan")], 0.75) is None


def test_icrp_135_reference_level_is_p75_of_facility_medians():
    by_facility = {
        "A": [1, 2, 3],  # median 2
        "B": [10, 20],  # median 15
        "C": [5],  # median 5
        "D": [4, 6, 8, 100],  # median 7
    }
    assert facility_medians(by_facility) == {"A": 2, "B": 15, "C": 5, "D": 7}
    # medians sorted 2, 5, 7, 15: h = 3·0.75 = 2.25 → 7 + 0.25·(15 − 7) = 9
    assert reference_level(by_facility) == pytest.approx(9.0)
    # The per-procedure P75 differs (facility D's 100 weighs only through its median):
    # 1 2 3 4 5 6 8 10 20 100, h = 9·0.75 = 6.75 → 8 + 0.75·2 = 9.5
    assert percentile([v for vs in by_facility.values() for v in vs], 0.75) == pytest.approx(9.5)


@pytest.mark.parametrize("n", [50, EXPLICIT_LIMIT + 5000])
def test_bootstrap_interval_brackets_the_percentile_and_is_reproducible(n):
    values = [float(i % 97) + i / n for i in range(n)]
    estimate = percentile(values, 0.75)
    interval = bootstrap_interval(values, 0.75, key="act")
    assert interval is not None
    assert interval.low <= estimate <= interval.high
    assert interval.high - interval.low < 0.3 * estimate
    assert bootstrap_interval(values, 0.75, key="act") == interval
    assert bootstrap_interval([1.0], 0.75) is None
