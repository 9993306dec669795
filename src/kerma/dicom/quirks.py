"""Vendor quirks: every known deviation of real modalities from the standard, in one place.

Each entry says what was seen and where; the readers consult these tables instead of carrying
special cases of their own. A new quirk goes here, with a test that reproduces it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kerma.dicom.srtree import ContentItem

# Multi-valued numeric values (Eurocolumbus: one kVp per pulse) are read as their median, in
# kerma.dicom.srtree._number, since a content item has one value by definition.

# Non-UCUM unit codes written by real modalities, mapped to the UCUM code they mean.
# Seen in: Siemens AXIOM-Artis and GE RDSRs (``Gym2``), GE LightSpeed VCT Enhanced SR (``mGycm``).
UNIT_ALIASES: dict[str, str] = {
    "Gym2": "Gy.m2",
    "Gy m2": "Gy.m2",
    "Gy*m2": "Gy.m2",
    "mGycm": "mGy.cm",
    "mGy cm": "mGy.cm",
    "mGy*cm": "mGy.cm",
    "dGycm2": "dGy.cm2",
    "cGycm2": "cGy.cm2",
    "mGycm2": "mGy.cm2",
    "uGym2": "uGy.m2",
    "µGy.m2": "uGy.m2",
    "X-ray sources": "{X-Ray sources}",
    "X-Ray sources": "{X-Ray sources}",
    "ratio": "{ratio}",
    "events": "{events}",
    "pulse/s": "{pulse}/s",
    "pulses/s": "{pulse}/s",
    "sec": "s",
    "mSec": "ms",
    "msec": "ms",
}


def ucum(unit: str | None) -> str | None:
    """Return the UCUM code a unit as written means (vendor spellings mapped, others as is)."""
    if unit is None:
        return None
    return UNIT_ALIASES.get(unit, unit)


# A patient weight of exactly 0 means "not entered" on several modalities (Philips Allura
# Clarity writes 0.0): it is unknown, not zero.
ZERO_WEIGHT_IS_UNKNOWN = True

# Person names that are placeholders, not persons (compared in lower case): left out of the
# staff an exam names. Seen: "Nobody" in the TID 1020 participants of the GE and Toshiba
# PixelMed CT dose reports; the others are the usual fillers of a required name.
NOT_A_PERSON = frozenset({"nobody", "unknown", "anonymous", "none", "n/a", "na", "-", "?"})

# Ages beyond this come from birth dates blanked or shifted by anonymisation (seen: 162 years in
# an anonymised Siemens AXIOM-Artis report): unknown, not a centenarian.
MAX_AGE_YEARS = 125

# Private tags that carry dose values some modalities put nowhere else, keyed by
# (private creator, group, element offset) → (quantity, unit the value is in).
# Philips (ELSCINT1) CT dose-info secondary capture: DLP of each exposure, in mGy·cm.
PRIVATE_DOSE_TAGS: dict[tuple[str, int, int], tuple[str, str]] = {
    ("ELSCINT1", 0x00E1, 0x21): ("dlp", "mGy.cm"),
}

# Irradiation events a CT report lists without CT Dose (GE LightSpeed VCT localizers) are kept
# as events with no dose; they add nothing to the totals.

# Device categories guessed from the model name where the report does not say; a user corrects
# the category in the inventory. Patterns are matched case-insensitively on "manufacturer model".
MOBILE_CARM_MODELS = re.compile(
    r"OEC|Ziehm|Veradius|Cios|Arcadis|BV ?Pulsera|BV ?Endura|Fluorostar|Vision RFD|"
    r"ESP .*FPD|Brivo OEC|Fly4|Siremobil",
    re.IGNORECASE,
)
MOBILE_RADIOGRAPHY_MODELS = re.compile(
    r"DRX-Revolution|Mobilett|AMX|XR220|Optima XR2\d\d|MobileDiagnost|Carestream DRX-Rev|"
    r"Nexus DRF|Mobile",
    re.IGNORECASE,
)


def guess_projection_category(manufacturer: str, model: str, modality: str) -> str:
    """Return the device category guessed for a projection X-ray device (see Device.CATEGORY)."""
    name = f"{manufacturer} {model}"
    if modality == "MG":
        return "mammography"
    if modality in ("RF", "XA"):
        return "mobile_carm" if MOBILE_CARM_MODELS.search(name) else "fluoroscopy"
    return "radiography_mobile" if MOBILE_RADIOGRAPHY_MODELS.search(name) else "radiography"


def event_items(container: ContentItem) -> Iterator[ContentItem]:
    """Yield the items of an irradiation event container, un-nesting misplaced ones.

    Eurocolumbus (Fly4) nests most of an event's items, without a relationship type, under its
    Reference Point Definition TEXT item; they belong to the event itself.
    """
    for item in container.children:
        yield item
        if item.value_type != "CONTAINER" and item.children:
            for child in item.children:
                if not child.relationship:
                    yield child
                    yield from event_items(child)


# --- private radiation summaries ------------------------------------------------------------
# Siemens fluoroscopy tables older than their RDSR option (seen: AXIOM Iconos/Luminos) send a
# Comprehensive SR titled (C-10, 99SMS_RADSUM, "Radiation Summary Report") holding the study's
# totals only, no irradiation event: NUM (C-200) total number of exposures, (C-202) cumulative
# fluoroscopy time in s, (C-204) cumulative dose area product with the unit written ``Gy.cm^2``,
# DATETIME (C-206) start and (C-208) end of the examination, which may be empty. Read by
# kerma.dicom.private.read_siemens_radsum.
SIEMENS_RADSUM_TITLE = ("C-10", "99SMS_RADSUM")
SIEMENS_RADSUM_EXPOSURES = ("C-200", "99SMS_RADSUM")
SIEMENS_RADSUM_FLUORO_TIME = ("C-202", "99SMS_RADSUM")
SIEMENS_RADSUM_DAP = ("C-204", "99SMS_RADSUM")
SIEMENS_RADSUM_START = ("C-206", "99SMS_RADSUM")
SIEMENS_RADSUM_END = ("C-208", "99SMS_RADSUM")
UNIT_ALIASES.update({"Gy.cm^2": "Gy.cm2", "Gy*cm^2": "Gy.cm2", "Gy.m^2": "Gy.m2"})

# Dental image headers (modality PX panoramic, IO intra-oral) carry their dose as Image and
# Fluoroscopy Area Dose Product (0018,115E) like radiography: read as radiography (DX) exams.
# Dental cone-beam CT headers say CT but carry no CTDIvol, only that DAP: read as a projection
# event of a CT exam.
DENTAL_MODALITIES = {"PX": "DX", "IO": "DX"}

# Radiography headers that give the added filter as text in Filter Type (0018,1160), e.g.
# ``CU_0.2_MM`` or ``AL_1.0_MM`` (several joined by ``+``/``\``), with Filter Material and Filter
# Thickness absent (seen on DX headers of several vendors). Material symbol, thickness, unit.
FILTER_TYPE_TEXT = re.compile(
    r"(?P<material>AL|CU|MO|RH|AG|NB|W|SN|ZN)[_ ]?(?P<mm>\d+(?:[.,]\d+)?)[_ ]?(?P<unit>MM|UM)?",
    re.IGNORECASE,
)


def filters_from_type_text(value: str) -> list[tuple[str, float]]:
    """Return the filters a Filter Type text names, as (material symbol, thickness in mm)."""
    found: list[tuple[str, float]] = []
    for match in FILTER_TYPE_TEXT.finditer(value or ""):
        mm = float(match["mm"].replace(",", "."))
        if (match["unit"] or "MM").upper() == "UM":
            mm /= 1000.0
        found.append((match["material"].capitalize(), mm))
    return found


# --- Philips Allura / Azurion private geometry -----------------------------------------------
# Philips interventional reports (Allura Xper, Allura Clarity, Azurion) leave the table height,
# often the source-to-detector distance and always the collimated field out of TID 10003, and
# write them in each irradiation event under the private scheme 99PHI-IXR-XPER (seen in every
# Philips report of ../shared/rdsr): (020) Final Table Height Position, mm, the same
# floor-referenced height as the room's Table Height Position (see kerma.skindose room
# defaults); (018) Final Distance Source to Detector, mm; the shutter blades (006 Bottom,
# 007 Left, 008 Right, 009 Top Shutter, mm from the central ray) and the detector's field
# (024 X side, 025 Y side, mm). The shutter positions are read at the isocentre plane and the
# field they open is clipped by the detector: on the 54 events of the three files seen, the
# area so obtained matches DAP / Ka,r projected to the detector within 10 % (median), where
# the shutters taken at the detector plane give 25 % less.
PHILIPS_XPER_SCHEME = "99PHI-IXR-XPER"
PHILIPS_TABLE_HEIGHT = "020"
PHILIPS_SOURCE_DETECTOR = "018"
PHILIPS_SHUTTERS = {"bottom": "006", "left": "007", "right": "008", "top": "009"}
PHILIPS_DETECTOR_SIDES = ("024", "025")


def philips_geometry(event: object, private: dict[str, float]) -> None:
    """Complete ``event`` (a kerma.dose.Event) from its Philips private values (code value →
    value in mm): table height and source-to-detector distance where the standard items are
    absent, the collimated field width and height at the detector plane where no field size
    is given."""
    if getattr(event, "table_height_mm", None) is None and PHILIPS_TABLE_HEIGHT in private:
        event.table_height_mm = private[PHILIPS_TABLE_HEIGHT]  # type: ignore[attr-defined]
    if getattr(event, "source_detector_mm", None) is None and PHILIPS_SOURCE_DETECTOR in private:
        event.source_detector_mm = private[PHILIPS_SOURCE_DETECTOR]  # type: ignore[attr-defined]
    shutters = {side: private.get(code) for side, code in PHILIPS_SHUTTERS.items()}
    sdd = getattr(event, "source_detector_mm", None)
    sid = getattr(event, "source_isocentre_mm", None)
    if (
        getattr(event, "field_area_cm2", None) is not None
        or None in shutters.values()
        or not sdd
        or not sid
    ):
        return
    scale = sdd / sid
    width = (shutters["left"] + shutters["right"]) * scale  # type: ignore[operator]
    height = (shutters["top"] + shutters["bottom"]) * scale  # type: ignore[operator]
    x_side, y_side = (private.get(code) for code in PHILIPS_DETECTOR_SIDES)
    if x_side:
        width = min(width, x_side)
    if y_side:
        height = min(height, y_side)
    if width > 0 and height > 0:
        event.field_width_mm, event.field_height_mm = width, height  # type: ignore[attr-defined]
        event.field_area_cm2 = width * height / 100.0  # type: ignore[attr-defined]
