"""Aggregates the charts draw: histograms, quartiles, monthly medians, sampled scatter points.

Pure numpy over arrays of values (no Django, no database), so that the data endpoints send a
bounded amount of data whatever the number of exams. Values stay in the unit they are given in.

- median: the middle value, or the mean of the two middle values (as the NRD evaluations);
- quartiles: linear interpolation between order statistics (numpy's default, Hyndman & Fan
  type 7, also Excel's ``QUARTILE.INC``);
- whiskers of a box: the furthest values within 1.5 interquartile ranges of the box (Tukey).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

# A histogram has about this many bins over the bulk of the values.
TARGET_BINS = 40
# Values above this quantile (and above the reference levels) go to one overflow bin, so that a
# few outliers do not squeeze the histogram into its first bins.
OVERFLOW_QUANTILE = 0.99
# Below this many values (an NRD sample of 30), every value keeps its own bin.
OVERFLOW_MIN_N = 200
# The most points a scatter chart gets (sampled when there are more).
MAX_POINTS = 2000


def _sig(value: float, digits: int = 12) -> float:
    """Return ``value`` rounded to ``digits`` significant digits (0.30000000000000004 → 0.3)."""
    return float(f"{value:.{digits}g}")


def median(values: np.ndarray) -> float | None:
    """Return the median of ``values`` (None when empty)."""
    return float(np.median(values)) if values.size else None


def nice_width(span: float, bins: int) -> float:
    """Return a bin width of 1, 2, 2.5 or 5 × 10^k, the smallest not below ``span / bins``."""
    raw = span / max(bins, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= raw * (1 - 1e-12):
            return _sig(step * power)
    return _sig(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Bin:
    """Values in [start, end); ``end`` None for the overflow bin (values ≥ start)."""

    start: float
    end: float | None
    count: int


def histogram(
    values: np.ndarray,
    *,
    bins: int = TARGET_BINS,
    keep_visible: tuple[float | None, ...] = (),
    overflow_quantile: float = OVERFLOW_QUANTILE,
) -> list[Bin]:
    """Return the histogram of ``values`` in bins of a round width, lowest bin first.

    Bins are [start, end) of equal width starting at a multiple of the width. With at least
    :data:`OVERFLOW_MIN_N` values, values above the ``overflow_quantile`` and above every value of
    ``keep_visible`` (the reference levels, so that their lines stay on the regular bins) are
    counted in one last bin with ``end`` None, when there are any. Counts add up to
    ``values.size``; an empty input gives no bin.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return []
    low, high = float(values.min()), float(values.max())
    upper = high
    if values.size >= OVERFLOW_MIN_N:
        visible = [v for v in keep_visible if v is not None]
        upper = min(high, max([float(np.quantile(values, overflow_quantile)), *visible]))
    width = nice_width(upper - low, bins)
    start = math.floor(low / width) * width
    # Bins up to the one that holds ``upper``; values beyond go to the overflow bin.
    count = int(math.floor((upper - start) / width)) + 1
    index = np.floor((values - start) / width).astype(np.int64)
    index = np.clip(index, 0, count)  # ``count`` is the overflow bin
    counts = np.bincount(index, minlength=count + 1)
    result = [
        Bin(_sig(start + i * width), _sig(start + (i + 1) * width), int(counts[i]))
        for i in range(count)
    ]
    if counts[count]:
        result.append(Bin(_sig(start + count * width), None, int(counts[count])))
    return result


@dataclass(frozen=True)
class Summary:
    """Five numbers of a sample and its whiskers (Tukey): the data of one box of a box plot."""

    n: int
    minimum: float
    q1: float
    median: float
    q3: float
    maximum: float
    lower_whisker: float
    upper_whisker: float
    mean: float


def summary(values: np.ndarray) -> Summary | None:
    """Return the quartiles, extremes, whiskers and mean of ``values`` (None when empty)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return None
    q1, med, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    return Summary(
        n=int(values.size),
        minimum=float(values.min()),
        q1=q1,
        median=med,
        q3=q3,
        maximum=float(values.max()),
        lower_whisker=float(inside.min()),
        upper_whisker=float(inside.max()),
        mean=float(values.mean()),
    )


@dataclass(frozen=True)
class Month:
    """One calendar month: number of values, median and quartiles (None when no value)."""

    month: str  # YYYY-MM
    n: int
    median: float | None
    q1: float | None
    q3: float | None


def month_index(day: date) -> int:
    """Return the month number of ``day`` counted from year 0 (year × 12 + month − 1)."""
    return day.year * 12 + day.month - 1


def monthly(months: np.ndarray, values: np.ndarray, first: date, last: date) -> list[Month]:
    """Return every month from ``first`` to ``last`` with the median and quartiles of its values.

    ``months`` holds each value's month as :func:`month_index`. Months without a value are kept
    (n 0, median None) so that a gap shows as a gap.
    """
    months = np.asarray(months, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    start, end = month_index(first), month_index(last)
    order = np.argsort(months, kind="stable")
    months, values = months[order], values[order]
    result = []
    for m in range(start, end + 1):
        lo, hi = np.searchsorted(months, m, "left"), np.searchsorted(months, m, "right")
        chunk = values[lo:hi]
        label = f"{m // 12:04d}-{m % 12 + 1:02d}"
        if chunk.size:
            q1, med, q3 = (float(q) for q in np.percentile(chunk, [25, 50, 75]))
            result.append(Month(label, int(chunk.size), med, q1, q3))
        else:
            result.append(Month(label, 0, None, None, None))
    return result


def sample_indices(n: int, limit: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    """Return the sorted indices of at most ``limit`` of ``n`` items, drawn without replacement
    with a fixed seed (the same data give the same points on every load)."""
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=limit, replace=False))


@dataclass(frozen=True)
class Band:
    """Values whose size (BMI or weight) is in [start, end): their number and median."""

    start: float
    end: float
    n: int
    median: float | None


def banded_medians(sizes: np.ndarray, values: np.ndarray, width: float) -> list[Band]:
    """Return the median value per band of ``width`` of ``sizes``, every band from the lowest to
    the highest size (empty bands have n 0, median None)."""
    sizes = np.asarray(sizes, dtype=float)
    values = np.asarray(values, dtype=float)
    if sizes.size == 0:
        return []
    first = math.floor(float(sizes.min()) / width)
    index = np.floor(sizes / width).astype(np.int64) - first
    bands = []
    for i in range(int(index.max()) + 1):
        chunk = values[index == i]
        bands.append(
            Band(
                _sig((first + i) * width),
                _sig((first + i + 1) * width),
                int(chunk.size),
                float(np.median(chunk)) if chunk.size else None,
            )
        )
    return bands
