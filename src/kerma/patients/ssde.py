"""Size-specific dose estimate (SSDE) of a CT acquisition: SSDE = f(Dw) × CTDIvol.

The conversion factor ``f`` is AAPM Report 204 (2011, "Size-Specific Dose Estimates (SSDE) in
Pediatric and Adult Body CT Examinations")'s exponential fit f = a·exp(-b·D), D in cm, with
a = 3.704369, b = 0.03671937 for CTDIvol on the 32 cm phantom and a = 1.874799,
b = 0.03871313 on the 16 cm phantom (TG-204 tables 1 and 2, the equation under them). AAPM
Report 220 (2014) keeps these factors and replaces TG-204's effective diameter by the
water-equivalent diameter Dw measured on the localizer or axial images.

Dw comes, in this order of preference, from the dose report (the device measured it), from
the exam's axial images retrieved from the PACS (:mod:`.water_equivalent`, the mean over the
images read), else it is *estimated* from weight and height by treating the body as a water
cylinder of the patient's mass and height (area = mass / (ρ_water × height)): a coarse
geometric estimate, not a TG-204/220 method. The result says which (``method``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kerma.patients import rounding

TG204_FIT = {32: (3.704369, 0.03671937), 16: (1.874799, 0.03871313)}
SOURCE = (
    "AAPM Report 204 (2011) conversion factors f = a·exp(-b·D); AAPM Report 220 (2014): D is "
    "the water-equivalent diameter Dw"
)
FROM_IMAGE = "tg220_dw_from_image"  # the Dw the device wrote in its dose report
FROM_AXIAL_IMAGES = "tg220_dw_from_axial_images"  # Kerma's Dw on the exam's axial images
FROM_WEIGHT_HEIGHT = "dw_estimated_from_weight_height"
FROM_REPORT = "reported"


def conversion_factor(dw_cm: float, phantom_cm: int = 32) -> float:
    """Return TG-204's conversion factor (dimensionless) for a diameter ``dw_cm`` in cm."""
    a, b = TG204_FIT[phantom_cm]
    return a * math.exp(-b * dw_cm)


def dw_from_weight_height(weight_kg: float, height_m: float) -> float:
    """Return an estimated water-equivalent diameter in cm: the diameter of a water cylinder
    (1 g/cm³) of the patient's mass and height."""
    area_cm2 = (weight_kg * 1000.0) / (height_m * 100.0)
    return 2.0 * math.sqrt(area_cm2 / math.pi)


@dataclass(frozen=True, slots=True)
class Ssde:
    """``ssde_mgy`` (mGy), the ``dw_cm`` used (cm), the factor, and how Dw was obtained."""

    ssde_mgy: float
    dw_cm: float | None
    factor: float | None
    method: str
    source: str

    def as_dict(self) -> dict[str, object]:
        """Return the values as JSON-ready (units in the key names), rounded as shown."""
        return {"ssde_mgy": rounding.fixed(self.ssde_mgy, rounding.MGY_DECIMALS),
                "dw_cm": rounding.fixed(self.dw_cm, rounding.CM_DECIMALS),
                "factor": rounding.fixed(self.factor, rounding.FACTOR_DECIMALS),
                "method": self.method, "source": self.source}


def ssde(
    ctdivol_mgy: float | None, *, phantom_cm: int | None = 32, reported_mgy: float | None = None,
    dw_mm: float | None = None, dw_images_mm: float | None = None,
    weight_kg: float | None = None, height_m: float | None = None,
) -> Ssde | None:
    """Return the SSDE: the reported one if any, else from the Dw of the dose report
    (``dw_mm``), else from the Dw Kerma measured on the axial images (``dw_images_mm``), else
    from weight and height; ``None`` when none of these is known or the phantom is neither 16
    nor 32 cm."""
    if reported_mgy is not None:
        return Ssde(reported_mgy, None if dw_mm is None else dw_mm / 10.0, None, FROM_REPORT,
                    "the CT dose report")
    if ctdivol_mgy is None or (phantom_cm or 32) not in TG204_FIT:
        return None
    phantom = phantom_cm or 32
    if dw_mm is not None:
        dw, method = dw_mm / 10.0, FROM_IMAGE
    elif dw_images_mm is not None:
        dw, method = dw_images_mm / 10.0, FROM_AXIAL_IMAGES
    elif weight_kg and height_m:
        dw, method = dw_from_weight_height(weight_kg, height_m), FROM_WEIGHT_HEIGHT
    else:
        return None
    factor = conversion_factor(dw, phantom)
    return Ssde(ctdivol_mgy * factor, dw, factor, method, SOURCE)
