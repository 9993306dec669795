"""The statistics of a survey, defined once.

**Percentile.** Linear interpolation between order statistics, Hyndman and Fan's type 7 (the
default of R, NumPy and spreadsheets): for sorted values ``x[0] ≤ … ≤ x[n-1]`` and a fraction
``p``, ``h = (n - 1)·p`` and the percentile is ``x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋])``.
The SQL of :mod:`kerma.survey.sql` computes the same with ``percentile_cont`` (DuckDB and Spark
both define it so); the tests check both against a hand computation.

**ICRP 135 facility-median method.** A reference level is the 75th percentile of the
distribution of the *facility medians* (each facility's median for the act), so that a
facility with many procedures weighs as much as one with few. The per-procedure distribution's
percentiles are given beside it.

**Bootstrap confidence intervals** (percentile bootstrap, 95 %, ``B`` resamples with a seed
drawn from the act's name so that a run is reproducible). Up to :data:`EXPLICIT_LIMIT` values,
each resample draws ``n`` values with replacement and takes its type-7 percentile. Above, a
resample's percentile is drawn through its order-statistic representation: the ``k``-th
smallest of ``n`` uniform draws follows Beta(k, n + 1 - k), so the resample's value at rank
``h`` is the empirical quantile at a Beta-distributed fraction — the same bootstrap
distribution (up to interpolation) without drawing millions of values.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FRACTIONS = (0.25, 0.5, 0.75)
BOOTSTRAP_RESAMPLES = 400
CONFIDENCE = 0.95
EXPLICIT_LIMIT = 2000


def percentile(values: Sequence[float] | np.ndarray, p: float) -> float | None:
    """Return the type-7 percentile (``p`` in [0, 1]) of ``values`` (NaN left out), in their
    unit; ``None`` for no value."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None
    return _sorted_percentile(x, p)


def _sorted_percentile(x: np.ndarray, p: float) -> float:
    h = (x.size - 1) * p
    low = math.floor(h)
    high = min(low + 1, x.size - 1)
    return float(x[low] + (h - low) * (x[high] - x[low]))


def facility_medians(values_by_facility: dict[str, Sequence[float]]) -> dict[str, float]:
    """Return each facility's median (type 7) of its values, facilities without a value left
    out (the first step of the ICRP 135 method)."""
    result = {}
    for facility, values in values_by_facility.items():
        median = percentile(values, 0.5)
        if median is not None:
            result[facility] = median
    return result


def reference_level(
    values_by_facility: dict[str, Sequence[float]], p: float = 0.75
) -> float | None:
    """Return the ICRP 135 reference level: the ``p`` percentile (default the 75th) of the
    facility medians, in the values' unit; ``None`` without data."""
    return percentile(list(facility_medians(values_by_facility).values()), p)


@dataclass(frozen=True, slots=True)
class Interval:
    """A bootstrap confidence interval of one percentile, in the values' unit."""

    low: float
    high: float


def bootstrap_interval(
    values: Sequence[float] | np.ndarray,
    p: float,
    *,
    key: str = "",
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Interval | None:
    """Return the percentile-bootstrap interval of the type-7 ``p`` percentile of ``values``
    (NaN left out); ``key`` seeds the generator (same key, same interval). ``None`` for fewer
    than two values."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = x.size
    if n < 2:
        return None
    rng = np.random.default_rng(zlib.crc32(f"{key}|{p}".encode()))
    if n <= EXPLICIT_LIMIT:
        draws = np.sort(x[rng.integers(0, n, size=(resamples, n))], axis=1)
        h = (n - 1) * p
        low = math.floor(h)
        high = min(low + 1, n - 1)
        estimates = draws[:, low] + (h - low) * (draws[:, high] - draws[:, low])
    else:
        # The resample's order statistics at ranks ⌊h⌋ and ⌊h⌋+1 (1-based k) are the empirical
        # quantiles of Beta(k, n+1-k) fractions; interpolate between them as type 7 does.
        h = (n - 1) * p
        k = math.floor(h) + 1
        fraction = rng.beta(k, n + 1 - k, size=resamples)
        index = np.minimum((fraction * n).astype(int), n - 1)
        above = np.minimum(index + 1, n - 1)
        estimates = x[index] + (h - math.floor(h)) * (x[above] - x[index])
    tail = (1 - confidence) / 2
    return Interval(float(np.quantile(estimates, tail)), float(np.quantile(estimates, 1 - tail)))
