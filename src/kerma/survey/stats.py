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
    (interval,) = bootstrap_intervals(
        values, (p,), key=key, resamples=resamples, confidence=confidence
    )
    return interval


def bootstrap_intervals(
    values: Sequence[float] | np.ndarray,
    fractions: Sequence[float] = FRACTIONS,
    *,
    key: str = "",
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> list[Interval | None]:
    """Return :func:`bootstrap_interval` of each of ``fractions`` (same key, same intervals),
    the values read once: above :data:`EXPLICIT_LIMIT` one partition of them gives every
    order statistic the resamples need, in linear time (a full sort of a million values
    would cost more than the rest of the bootstrap)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 2:
        return [None for _ in fractions]
    generators = [np.random.default_rng(zlib.crc32(f"{key}|{p}".encode())) for p in fractions]
    if n <= EXPLICIT_LIMIT:
        x = np.sort(x)
        found = [
            _explicit_estimates(x, p, rng, resamples)
            for p, rng in zip(fractions, generators, strict=True)
        ]
    else:
        found = _order_statistic_estimates(x, fractions, generators, resamples)
    tail = (1 - confidence) / 2
    return [
        Interval(float(np.quantile(e, tail)), float(np.quantile(e, 1 - tail))) for e in found
    ]


def _explicit_estimates(
    x: np.ndarray, p: float, rng: np.random.Generator, resamples: int
) -> np.ndarray:
    """Return the type-7 ``p`` percentile of ``resamples`` resamples of the sorted ``x``."""
    n = x.size
    h = (n - 1) * p
    draws = np.sort(x[rng.integers(0, n, size=(resamples, n))], axis=1)
    low = math.floor(h)
    high = min(low + 1, n - 1)
    return draws[:, low] + (h - low) * (draws[:, high] - draws[:, low])


def _order_statistic_estimates(
    x: np.ndarray,
    fractions: Sequence[float],
    generators: Sequence[np.random.Generator],
    resamples: int,
) -> list[np.ndarray]:
    """Return, for each fraction ``p``, the type-7 ``p`` percentile of ``resamples``
    resamples of ``x`` drawn through their order statistics.

    The resample's order statistics at ranks ⌊h⌋ and ⌊h⌋+1 (1-based k) are the empirical
    quantiles of Beta(k, n+1-k) fractions; interpolate between them as type 7 does. Only a
    narrow band of ranks around each percentile is drawn: one partition of ``x`` at the ends
    of every band, then a sort of each band, gives exactly what a sort of ``x`` would."""
    n = x.size
    ranks = []
    for p, rng in zip(fractions, generators, strict=True):
        h = (n - 1) * p
        k = math.floor(h) + 1
        fraction = rng.beta(k, n + 1 - k, size=resamples)
        index = np.minimum((fraction * n).astype(int), n - 1)
        ranks.append((h - math.floor(h), index, np.minimum(index + 1, n - 1)))
    edges = sorted({int(e) for _, index, above in ranks for e in (index.min(), above.max())})
    parted = np.partition(x, edges)
    estimates = []
    for share, index, above in ranks:
        first = int(index.min())
        band = np.sort(parted[first : int(above.max()) + 1])
        low, high = band[index - first], band[above - first]
        estimates.append(low + share * (high - low))
    return estimates
