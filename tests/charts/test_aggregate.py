"""The aggregates the charts draw: histogram bins, quartiles and whiskers, monthly medians,
sampled points, medians per band of patient size (pure numpy, no database)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kerma.charts import aggregate


def test_nice_width_is_the_smallest_round_width_not_below_the_raw_width() -> None:
    assert aggregate.nice_width(100, 40) == 2.5  # raw 2.5
    assert aggregate.nice_width(101, 40) == 5.0  # raw 2.525: 2.5 is too small
    assert aggregate.nice_width(0.8, 40) == 0.02
    assert aggregate.nice_width(0, 40) == 1.0  # all values equal


def test_histogram_bins_are_half_open_and_count_every_value() -> None:
    values = np.array([0.0, 0.5, 1.0, 1.0, 1.99, 2.0, 3.0])
    bins = aggregate.histogram(values, bins=3)
    assert [(b.start, b.end, b.count) for b in bins] == [
        (0.0, 1.0, 2),  # 0, 0.5
        (1.0, 2.0, 3),  # 1, 1, 1.99
        (2.0, 3.0, 1),  # 2
        (3.0, 4.0, 1),  # 3: the maximum gets a bin of its own
    ]
    assert sum(b.count for b in bins) == values.size
    assert aggregate.histogram(np.array([])) == []


def test_histogram_puts_outliers_in_one_overflow_bin_but_keeps_reference_lines_visible() -> None:
    bulk = np.linspace(100, 200, 300)
    values = np.concatenate([bulk, [5000.0, 9000.0]])
    bins = aggregate.histogram(values)
    # Values above the 99th percentile (the two outliers and the top of the bulk) overflow.
    assert bins[-1].end is None and 2 <= bins[-1].count <= 4
    assert bins[-1].start <= 200 and bins[-2].end <= 300  # the bulk keeps the regular bins
    assert len(bins) <= aggregate.TARGET_BINS + 2
    assert sum(b.count for b in bins) == values.size
    # A reference level above the bulk stays on the regular bins.
    kept = aggregate.histogram(values, keep_visible=(1000.0, None))
    assert kept[-1].end is None and kept[-1].start >= 1000.0
    assert sum(b.count for b in kept) == values.size


def test_small_samples_have_no_overflow_bin() -> None:
    values = np.array([10.0] * 29 + [100.0])  # an NRD sample of 30 with one outlier
    bins = aggregate.histogram(values, bins=12)
    assert all(b.end is not None for b in bins)
    assert bins[-1].count == 1 and bins[-1].start <= 100.0 < bins[-1].end


def test_summary_gives_quartiles_median_and_tukey_whiskers() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0])
    s = aggregate.summary(values)
    assert s is not None
    assert (s.n, s.q1, s.median, s.q3) == (9, 3.0, 5.0, 7.0)
    assert (s.minimum, s.maximum) == (1.0, 100.0)
    assert s.lower_whisker == 1.0
    assert s.upper_whisker == 8.0  # 100 is beyond q3 + 1.5 IQR = 13
    assert s.mean == pytest.approx(136 / 9)
    assert aggregate.summary(np.array([])) is None
    assert aggregate.median(np.array([1.0, 2.0, 3.0, 10.0])) == 2.5


def test_monthly_keeps_empty_months_and_gives_each_month_its_median() -> None:
    months = np.array([aggregate.month_index(date(2024, m, 10)) for m in (1, 1, 1, 3, 3)])
    values = np.array([1.0, 5.0, 3.0, 10.0, 20.0])
    rows = aggregate.monthly(months, values, date(2023, 12, 15), date(2024, 4, 2))
    assert [r.month for r in rows] == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
    assert [r.n for r in rows] == [0, 3, 0, 2, 0]
    assert [r.median for r in rows] == [None, 3.0, None, 15.0, None]
    assert (rows[1].q1, rows[1].q3) == (2.0, 4.0)


def test_sample_indices_are_bounded_distinct_and_reproducible() -> None:
    assert list(aggregate.sample_indices(5, limit=10)) == [0, 1, 2, 3, 4]
    picked = aggregate.sample_indices(100_000, limit=2000)
    assert picked.size == 2000 == np.unique(picked).size
    assert picked.max() < 100_000
    assert np.array_equal(picked, aggregate.sample_indices(100_000, limit=2000))


def test_banded_medians_cover_every_band_from_the_lowest_to_the_highest_size() -> None:
    sizes = np.array([18.5, 19.9, 20.0, 25.0, 25.5])
    values = np.array([1.0, 3.0, 10.0, 7.0, 9.0])
    bands = aggregate.banded_medians(sizes, values, 2.0)
    assert [(b.start, b.end, b.n, b.median) for b in bands] == [
        (18.0, 20.0, 2, 2.0),
        (20.0, 22.0, 1, 10.0),
        (22.0, 24.0, 0, None),
        (24.0, 26.0, 2, 8.0),
    ]
