"""Dose quantities and their units.

Every value that enters Kerma is converted once, here, from the unit coded in its source (an
RDSR's UCUM code, or the unit a DICOM attribute is defined in) to Kerma's canonical unit for its
dimension. A unit that is not known for the dimension is an error: a dose is never guessed.

Canonical units (the suffix of every stored column):

======================  ==========  =========================================
dimension               canonical   examples accepted
======================  ==========  =========================================
dose area product       Gy·cm²      Gy.m2, dGy.cm2, cGy.cm2, mGy.cm2, uGy.m2
air kerma / dose        mGy         Gy, dGy, cGy, mGy, uGy
dose length product     mGy·cm      mGy.cm, Gy.cm, mGy.mm
length                  mm          mm, cm, m, um
time                    s           s, ms, min, h, us
activity                MBq         Bq, kBq, MBq, GBq, mCi, uCi
mass                    kg          kg, g
potential               kV          kV
current                 mA          mA, A, uA
charge (exposure)       mAs         mAs, uAs, As
angle                   deg         deg
area                    cm²         m2, cm2, mm2
ratio and counts        1           1, {ratio}, {events}, %, /s ...
======================  ==========  =========================================
"""

from __future__ import annotations

import math
from enum import StrEnum

from kerma.notices import Notice, declare, notice


class Dimension(StrEnum):
    """The physical dimension of a quantity, named after Kerma's canonical unit."""

    DAP = "Gy.cm2"
    DOSE = "mGy"
    DLP = "mGy.cm"
    LENGTH = "mm"
    TIME = "s"
    ACTIVITY = "MBq"
    MASS = "kg"
    VOLTAGE = "kV"
    CURRENT = "mA"
    CHARGE = "mAs"
    ANGLE = "deg"
    AREA = "cm2"
    RATE = "/s"
    RATIO = "1"


declare(
    "units.missing",
    en="missing unit (expected one of {expected})",
    fr="unité absente (attendue : {expected})",
)
declare(
    "units.wrong_dimension",
    en="unit {unit!r} is not a unit of {dimension} (expected one of {expected})",
    fr="l'unité {unit!r} n'est pas une unité de {dimension} (attendue : {expected})",
)


class UnitError(ValueError):
    """A unit code that is missing or not valid for the quantity's dimension; :attr:`notice`
    says which (``units.missing`` or ``units.wrong_dimension``)."""

    def __init__(self, notice: Notice):
        self.notice = notice
        super().__init__(notice.text("en"))


# Factor that turns one unit into the canonical unit of its dimension, keyed by UCUM code as
# found in RDSRs. Non-UCUM spellings that vendors write are in kerma.dicom.quirks.UNIT_ALIASES,
# the one place that knows about vendor quirks.
_FACTORS: dict[Dimension, dict[str, float]] = {
    Dimension.DAP: {
        "Gy.cm2": 1.0,
        "Gy.m2": 1e4,
        "dGy.cm2": 0.1,
        "cGy.cm2": 0.01,
        "mGy.cm2": 1e-3,
        "uGy.cm2": 1e-6,
        "uGy.m2": 1e-2,
        "mGy.m2": 10.0,
        "uGy.dm2": 1e-4,
    },
    Dimension.DOSE: {"mGy": 1.0, "Gy": 1e3, "dGy": 100.0, "cGy": 10.0, "uGy": 1e-3, "nGy": 1e-6},
    Dimension.DLP: {"mGy.cm": 1.0, "Gy.cm": 1e3, "mGy.mm": 0.1, "cGy.cm": 10.0},
    Dimension.LENGTH: {"mm": 1.0, "cm": 10.0, "m": 1e3, "um": 1e-3, "dm": 100.0},
    Dimension.TIME: {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0, "h": 3600.0},
    Dimension.ACTIVITY: {
        "MBq": 1.0,
        "Bq": 1e-6,
        "kBq": 1e-3,
        "GBq": 1e3,
        "mCi": 37.0,
        "uCi": 0.037,
        "Ci": 37000.0,
    },
    Dimension.MASS: {"kg": 1.0, "g": 1e-3, "[lb_av]": 0.45359237},
    Dimension.VOLTAGE: {"kV": 1.0, "V": 1e-3},
    Dimension.CURRENT: {"mA": 1.0, "A": 1e3, "uA": 1e-3},
    Dimension.CHARGE: {"mA.s": 1.0, "mAs": 1.0, "uA.s": 1e-3, "uAs": 1e-3, "A.s": 1e3},
    Dimension.ANGLE: {"deg": 1.0, "rad": 180.0 / math.pi},
    Dimension.AREA: {"cm2": 1.0, "m2": 1e4, "mm2": 1e-2, "dm2": 100.0},
    Dimension.RATE: {"/s": 1.0, "{pulse}/s": 1.0, "{pulses}/s": 1.0, "Hz": 1.0, "{frames}/s": 1.0},
    Dimension.RATIO: {
        "1": 1.0,
        "{ratio}": 1.0,
        "%": 0.01,
        "{events}": 1.0,
        "{X-Ray sources}": 1.0,
        "{pulses}": 1.0,
        "{pulse}": 1.0,
        "{frames}": 1.0,
        "{frame}": 1.0,
    },
}


def canonical_unit(dimension: Dimension) -> str:
    """Return the canonical unit code of ``dimension`` (for example ``"Gy.cm2"``)."""
    return dimension.value


def known_units(dimension: Dimension) -> tuple[str, ...]:
    """Return the unit codes accepted for ``dimension``."""
    return tuple(_FACTORS[dimension])


def conversion_factor(unit: str | None, dimension: Dimension) -> float:
    """Return the factor that turns a value in ``unit`` into the canonical unit of ``dimension``.

    Raises :class:`UnitError` when ``unit`` is missing or not a unit of that dimension.
    """
    if not unit:
        raise UnitError(notice("units.missing", expected=list(known_units(dimension))))
    factor = _FACTORS[dimension].get(unit)
    if factor is None:
        raise UnitError(
            notice(
                "units.wrong_dimension",
                unit=unit,
                dimension=dimension.name.lower().replace("_", " "),
                expected=list(known_units(dimension)),
            )
        )
    return factor


def to_canonical(value: float, unit: str | None, dimension: Dimension) -> float:
    """Return ``value`` expressed in ``unit`` converted to the canonical unit of ``dimension``.

    The result keeps 12 significant digits, far beyond any dose measurement, so that a decimal
    value read in another unit comes back as written (1.5e-4 Gy·m² is 1.5 Gy·cm², not
    1.4999999999999998).
    """
    converted = value * conversion_factor(unit, dimension)
    return float(f"{converted:.12g}")


def convert(value: float, unit_from: str, unit_to: str, dimension: Dimension) -> float:
    """Return ``value`` converted from ``unit_from`` to ``unit_to`` (both of ``dimension``)."""
    return value * conversion_factor(unit_from, dimension) / conversion_factor(unit_to, dimension)


def dap_gycm2_to_mgycm2(dap_gycm2: float) -> float:
    """Return a dose-area product in mGy·cm² (the NRD unit of conventional radiology)."""
    return dap_gycm2 * 1e3


def bmi(weight_kg: float | None, height_m: float | None) -> float | None:
    """Return the body-mass index in kg/m², or None when weight or height is unknown."""
    if not weight_kg or not height_m or weight_kg <= 0 or height_m <= 0:
        return None
    return weight_kg / (height_m * height_m)
