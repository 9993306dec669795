"""How the patients package rounds what it shows (text, JSON, pages, PDF); computations keep
full precision and round only on the way out.

An effective dose is an estimate good to a few tens of per cent: two decimals of a mSv are
already more than it knows. Below 0.1 mSv (a chest radiograph, a dental film) two decimals
would round most of it away, so small doses keep two significant figures instead.
"""

from __future__ import annotations

import math

MSV_DECIMALS = 2
SMALL_MSV = 0.1  # below this, significant figures rather than decimals
SMALL_MSV_FIGURES = 2
MGY_DECIMALS = 2  # SSDE, CTDIvol
FACTOR_DECIMALS = 3  # dimensionless factors (SSDE f)
CM_DECIMALS = 1  # a water-equivalent diameter


def significant(value: float, figures: int) -> float:
    """Return ``value`` rounded to ``figures`` significant figures (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def msv(value: float | None) -> float | None:
    """Return an effective dose (mSv) as shown: 2 decimals, or 2 significant figures below
    0.1 mSv; ``None`` stays ``None``."""
    if value is None:
        return None
    if abs(value) < SMALL_MSV:
        return significant(float(value), SMALL_MSV_FIGURES)
    return round(float(value), MSV_DECIMALS)


def fixed(value: float | None, decimals: int) -> float | None:
    """Return ``value`` rounded to ``decimals`` decimals (``None`` kept)."""
    return None if value is None else round(float(value), decimals)


def msv_decimals(value: float) -> int:
    """Return how many decimals an effective dose shows once rounded by :func:`msv`."""
    if value == 0 or abs(value) >= SMALL_MSV:
        return MSV_DECIMALS
    return max(MSV_DECIMALS, SMALL_MSV_FIGURES - 1 - math.floor(math.log10(abs(value))))


def msv_text(value: float | None, language: str = "en") -> str:
    """Return an effective dose as text (``"—"`` when not estimated; decimal comma in French)."""
    shown = msv(value)
    if shown is None:
        return "—"
    text = f"{shown:.{msv_decimals(shown)}f}"
    return text.replace(".", ",") if language.lower().startswith("fr") else text
