"""The controlled vocabulary of reference files: families, populations, quantities, units.

Every code below is what a reference CSV file writes in its ``modality``, ``population``,
``quantity``, ``unit`` and ``per`` columns (see ``README.md`` in this package).

Quantities and the units a reference file may state them in:

=====================  =======================================  ============================
code                   quantity (French name)                   units accepted
=====================  =======================================  ============================
``dap``                dose-area product (PDS)                  mGy.cm2, cGy.cm2, dGy.cm2,
                                                                Gy.cm2, uGy.m2
``esd``                entrance surface dose (De)               mGy
``agd``                average glandular dose (DMG)             mGy
``ctdivol``            CTDIvol (IDSV)                           mGy
``dlp``                dose-length product (PDL)                mGy.cm
``fluoro_time``        fluoroscopy time (durée de scopie)       min, s
``activity``           administered activity                    MBq
``activity_per_mass``  activity per body mass (act. massique)   MBq/kg
=====================  =======================================  ============================

A value is never converted when it is read: it stays in the unit the source printed (the 2011
arrêté's PDS in cGy·cm², the 2019 decision's in mGy·cm²), and :func:`convert_value` converts it
when it is compared with a median in another unit.
"""

from __future__ import annotations

import re
from enum import StrEnum

from kerma.notices import notice
from kerma.units import Dimension, UnitError, convert


class Family(StrEnum):
    """The modality family of an act, as the decision's annexes group them."""

    CT = "ct"
    RADIOGRAPHY = "radiography"
    DENTAL = "dental"
    MAMMOGRAPHY = "mammography"
    INTERVENTIONAL = "interventional"
    NUCLEAR_MEDICINE = "nuclear_medicine"


class Population(StrEnum):
    """Adults, or children (< 18 years and < 50 kg, decision 2019-DC-0667) in a weight category."""

    ADULT = "adult"
    PAEDIATRIC = "paediatric"


# Spellings accepted in a user's file for a population (normalised on load).
POPULATION_ALIASES: dict[str, Population] = {
    "adult": Population.ADULT,
    "adulte": Population.ADULT,
    "paediatric": Population.PAEDIATRIC,
    "pediatric": Population.PAEDIATRIC,
    "pédiatrie": Population.PAEDIATRIC,
    "pediatrie": Population.PAEDIATRIC,
    "pédiatrique": Population.PAEDIATRIC,
}


class Quantity(StrEnum):
    """A dosimetric quantity a reference level is stated in."""

    DAP = "dap"
    ESD = "esd"
    AGD = "agd"
    CTDIVOL = "ctdivol"
    DLP = "dlp"
    FLUORO_TIME = "fluoro_time"
    ACTIVITY = "activity"
    ACTIVITY_PER_MASS = "activity_per_mass"


# English and French names of each quantity, for pages and reports.
QUANTITY_NAMES: dict[Quantity, tuple[str, str]] = {
    Quantity.DAP: ("dose-area product", "produit dose·surface (PDS)"),
    Quantity.ESD: ("entrance surface dose", "dose à la surface d'entrée (De)"),
    Quantity.AGD: ("average glandular dose", "dose moyenne à la glande (DMG)"),
    Quantity.CTDIVOL: ("CTDIvol", "indice de dose scanographique volumique (IDSV)"),
    Quantity.DLP: ("dose-length product", "produit dose·longueur (PDL)"),
    Quantity.FLUORO_TIME: ("fluoroscopy time", "durée de scopie"),
    Quantity.ACTIVITY: ("administered activity", "activité administrée"),
    Quantity.ACTIVITY_PER_MASS: ("activity per body mass", "activité massique"),
}

# The units a reference file may use for each quantity, and the kerma.units dimension that converts
# between them (None: a single unit, no conversion needed).
UNITS: dict[Quantity, tuple[tuple[str, ...], Dimension | None]] = {
    Quantity.DAP: (("mGy.cm2", "cGy.cm2", "dGy.cm2", "Gy.cm2", "uGy.m2"), Dimension.DAP),
    Quantity.ESD: (("mGy",), Dimension.DOSE),
    Quantity.AGD: (("mGy",), Dimension.DOSE),
    Quantity.CTDIVOL: (("mGy",), Dimension.DOSE),
    Quantity.DLP: (("mGy.cm",), Dimension.DLP),
    Quantity.FLUORO_TIME: (("min", "s"), Dimension.TIME),
    Quantity.ACTIVITY: (("MBq",), Dimension.ACTIVITY),
    Quantity.ACTIVITY_PER_MASS: (("MBq/kg",), None),
}

# How a unit is printed for people.
UNIT_DISPLAY: dict[str, str] = {
    "mGy.cm2": "mGy·cm²",
    "cGy.cm2": "cGy·cm²",
    "dGy.cm2": "dGy·cm²",
    "Gy.cm2": "Gy·cm²",
    "uGy.m2": "µGy·m²",
    "mGy.cm": "mGy·cm",
    "MBq/kg": "MBq/kg",
}


def display_unit(unit: str) -> str:
    """Return ``unit`` as printed for people (``"mGy.cm2"`` → ``"mGy·cm²"``)."""
    return UNIT_DISPLAY.get(unit, unit)


def units_for(quantity: Quantity) -> tuple[str, ...]:
    """Return the units a reference file may state ``quantity`` in."""
    return UNITS[quantity][0]


def convert_value(value: float, unit_from: str, unit_to: str, quantity: Quantity) -> float:
    """Return ``value`` of ``quantity`` converted from ``unit_from`` to ``unit_to``.

    12 significant digits are kept, so 25 cGy·cm² comes back as 250 mGy·cm², not 250.00000000000003.
    Raises :class:`kerma.units.UnitError` when either unit is not a unit of ``quantity``.
    """
    allowed, dimension = UNITS[quantity]
    for unit in (unit_from, unit_to):
        if unit not in allowed:
            raise UnitError(
                notice(
                    "units.wrong_dimension",
                    unit=unit,
                    dimension=quantity.value,
                    expected=list(allowed),
                )
            )
    if unit_from == unit_to or dimension is None:
        return value
    return float(f"{convert(value, unit_from, unit_to, dimension):.12g}")


# The unit of evaluation of an act: what one sample item is.
PER_ACQUISITION = "acquisition"  # one CT helix with its phantom, one radiographic projection
PER_PROCEDURE = "procedure"  # totals of an interventional procedure
PER_EXAM = "exam"  # total administered activity of a nuclear-medicine exam
PER_ADMINISTRATION_PREFIX = "administration-"  # the n-th administration of a multi-injection exam
_PER_ADMINISTRATION = re.compile(r"^administration-([1-9][0-9]*)$")

DEFAULT_PER: dict[Family, str] = {
    Family.CT: PER_ACQUISITION,
    Family.RADIOGRAPHY: PER_ACQUISITION,
    Family.DENTAL: PER_ACQUISITION,
    Family.MAMMOGRAPHY: PER_ACQUISITION,
    Family.INTERVENTIONAL: PER_PROCEDURE,
    Family.NUCLEAR_MEDICINE: PER_EXAM,
}


def is_valid_per(per: str) -> bool:
    """True when ``per`` is a unit of evaluation a reference file may state."""
    return per in (PER_ACQUISITION, PER_PROCEDURE, PER_EXAM) or bool(_PER_ADMINISTRATION.match(per))


def administration_rank(per: str) -> int | None:
    """Return n for ``"administration-n"`` (1 for the first injection), None otherwise."""
    match = _PER_ADMINISTRATION.match(per)
    return int(match.group(1)) if match else None
