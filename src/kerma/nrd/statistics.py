"""The median of a sample and its comparison with the VGD and the NRD.

Decision 2019-DC-0667 compares the **median** of the collected values with the NRD (and the VGD),
never the mean (the 2011 arrêté used the mean; that is no longer the rule).

Comparison (:func:`compare`), with the median, VGD and NRD in the same unit:

- ``above_nrd``: median > NRD (strictly: a median equal to the NRD does not exceed it);
- ``below_vgd``: median < VGD (strictly: at the VGD the target is reached, not bettered);
- ``between``: VGD ≤ median ≤ NRD;
- ``below_nrd``: median ≤ NRD when the set gives no VGD for this quantity (2011 set, nuclear
  medicine): "between" would name a guide value that does not exist;
- ``no_reference``: the set lists no NRD value for the act, population and quantity;
- ``no_data``: no value to take the median of.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Status(StrEnum):
    """Where a median stands against the reference values."""

    BELOW_VGD = "below_vgd"
    BETWEEN = "between"
    BELOW_NRD = "below_nrd"
    ABOVE_NRD = "above_nrd"
    NO_REFERENCE = "no_reference"
    NO_DATA = "no_data"


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``: the middle value, or the mean of the two middle values.

    Raises ValueError for an empty sequence.
    """
    if not values:
        raise ValueError("median of an empty sample")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def compare(value: float | None, vgd: float | None, nrd: float | None) -> Status:
    """Return where ``value`` (a median) stands against ``vgd`` and ``nrd`` (same unit)."""
    if nrd is None:
        return Status.NO_REFERENCE
    if value is None:
        return Status.NO_DATA
    if value > nrd:
        return Status.ABOVE_NRD
    if vgd is None:
        return Status.BELOW_NRD
    if value < vgd:
        return Status.BELOW_VGD
    return Status.BETWEEN
