"""The risk map (cartographie des risques, CSP R.1333-70 4°): score = likelihood × severity,
before and after the barriers in place.

Both scales run from 1 to ``top`` (5 by default, the unit may choose 4); the bands that colour
the matrix are the unit's choice too (:class:`Bands`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerma.notices import Notice, notice
from kerma.quality import wording as w

LOW, MEDIUM, HIGH = "low", "medium", "high"


@dataclass(frozen=True, slots=True)
class Bands:
    """Score bands of the matrix: a score up to ``low_max`` is low, up to ``medium_max``
    medium, above it high (a presentation convention the unit sets, not a regulation)."""

    low_max: int = 4
    medium_max: int = 9

    def level(self, score: int) -> str:
        """Return ``low``, ``medium`` or ``high`` for ``score``."""
        if score <= self.low_max:
            return LOW
        return MEDIUM if score <= self.medium_max else HIGH


def scale_problems(likelihood: int, severity: int, top: int = 5) -> list[Notice]:
    """Return a notice for each of ``likelihood`` and ``severity`` outside 1..``top``."""
    found = []
    for what, value in (("likelihood", likelihood), ("severity", severity)):
        if not 1 <= value <= top:
            found.append(notice(w.RISK_OUT_OF_SCALE, what=what, value=value, top=top))
    return found


def score(likelihood: int, severity: int, top: int = 5) -> int:
    """Return likelihood × severity (both 1..``top``); ValueError outside the scale."""
    problems = scale_problems(likelihood, severity, top)
    if problems:
        raise ValueError(problems[0].text("en"))
    return likelihood * severity


@dataclass(frozen=True, slots=True)
class Assessment:
    """A risk before and after its barriers: the two scores, their levels and the reduction."""

    before: int
    after: int | None
    level_before: str
    level_after: str | None

    @property
    def reduction(self) -> int | None:
        """Return how much the barriers lower the score (None when not assessed after)."""
        return None if self.after is None else self.before - self.after


def assess(
    likelihood: int,
    severity: int,
    residual_likelihood: int | None = None,
    residual_severity: int | None = None,
    *,
    top: int = 5,
    bands: Bands = Bands(),  # noqa: B008 - frozen dataclass, safe as default
) -> Assessment:
    """Return the assessment of a risk; the residual pair is both given or both None."""
    before = score(likelihood, severity, top)
    if residual_likelihood is None or residual_severity is None:
        return Assessment(before, None, bands.level(before), None)
    after = score(residual_likelihood, residual_severity, top)
    return Assessment(before, after, bands.level(before), bands.level(after))


def matrix(cells: list[tuple[int, int]], top: int = 5) -> list[list[int]]:
    """Return the count of risks per cell: ``rows[severity-1][likelihood-1]`` for
    ``(likelihood, severity)`` pairs (the matrix picture of the map)."""
    rows = [[0] * top for _ in range(top)]
    for likelihood, severity in cells:
        if 1 <= likelihood <= top and 1 <= severity <= top:
            rows[severity - 1][likelihood - 1] += 1
    return rows
