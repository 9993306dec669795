"""Water-equivalent diameter Dw of a patient from a CT image (AAPM Report 220, 2014).

TG-220 defines the water-equivalent area of an axial CT image as the sum over the patient's
pixels of (CT number / 1000 + 1) × pixel area, and Dw as the diameter of the circle of that
area: ``Aw = Σ (HU/1000 + 1)·A_pixel``, ``Dw = 2·√(Aw/π)``. A pixel of water counts fully, a
pixel of air (−1000 HU) not at all. Dw then gives TG-204's SSDE factor (:mod:`.ssde`).

The patient's pixels are those above :data:`PATIENT_THRESHOLD_HU`, halfway between air and
water: Kerma's choice to leave the noise of the surrounding air out, not a TG-220 value (the
report leaves the contouring method open). A table top inside the field counts as patient; a
scanner's own Dw in its dose report, when there is one, is preferred (:func:`.ssde.ssde`).

Only axial images are read: Dw from a projection localizer needs a per-scanner calibration of
its pixel values, which Kerma does not have.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

PATIENT_THRESHOLD_HU = -500.0
AXIAL_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image Storage
}


def dw_mm_from_hu(hu: np.ndarray, pixel_spacing_mm: tuple[float, float]) -> float:
    """Return the water-equivalent diameter (mm) of an axial image given in Hounsfield units
    with its pixel spacing (row, column) in mm."""
    values = np.asarray(hu, dtype=np.float64)
    patient = values[values > PATIENT_THRESHOLD_HU]
    pixel_area_mm2 = float(pixel_spacing_mm[0]) * float(pixel_spacing_mm[1])
    area_mm2 = float(np.sum(patient / 1000.0 + 1.0)) * pixel_area_mm2
    return 2.0 * math.sqrt(max(area_mm2, 0.0) / math.pi)


def dw_mm_from_file(path: Path) -> float:
    """Return the water-equivalent diameter (mm) of the axial CT image in ``path``.

    Raises ``ValueError`` naming what is missing when the file is not an axial CT image with
    pixel data, pixel spacing and a rescale to Hounsfield units.
    """
    import pydicom

    return dw_mm_from_dataset(pydicom.dcmread(path), path.name)


def dw_mm_from_bytes(data: bytes, name: str = "image") -> float:
    """Return the water-equivalent diameter (mm) of an axial CT image given as DICOM Part 10
    bytes (as received from a PACS: read in memory, never written to disk). ``name`` prefixes
    the errors, as in :func:`dw_mm_from_dataset`."""
    from io import BytesIO

    import pydicom

    return dw_mm_from_dataset(pydicom.dcmread(BytesIO(data)), name)


def dw_mm_from_dataset(ds: Dataset, name: str = "image") -> float:
    """Return the water-equivalent diameter (mm) of the axial CT image ``ds`` (a pydicom
    dataset); ``name`` (a file name, a SOP Instance UID) prefixes the errors.

    Raises ``ValueError`` naming the tag at fault when ``ds`` is not an axial CT image with
    pixel data, pixel spacing and a rescale to Hounsfield units, or when its pixel data
    cannot be decoded (a compression no installed decoder handles).
    """
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in AXIAL_SOP_CLASSES:
        raise ValueError(f"{name}: SOP Class UID (0008,0016) {sop_class or '?'} is not "
                         "an axial CT image")
    image_type = [str(v).upper() for v in ds.get("ImageType", [])]
    if "LOCALIZER" in image_type:
        raise ValueError(f"{name}: Image Type (0008,0008) LOCALIZER: Dw is read on axial "
                         "images only")
    for keyword, tag in (("PixelData", "(7FE0,0010)"), ("PixelSpacing", "(0028,0030)"),
                         ("RescaleSlope", "(0028,1053)"), ("RescaleIntercept", "(0028,1052)")):
        if keyword not in ds:
            raise ValueError(f"{name}: no {keyword} {tag}")
    try:
        stored = ds.pixel_array
    except Exception as exc:  # pydicom raises several types for undecodable pixel data
        raise ValueError(f"{name}: Pixel Data (7FE0,0010) cannot be decoded "
                         f"({type(exc).__name__}: {exc})") from None
    hu = stored.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    row, column = (float(v) for v in ds.PixelSpacing)
    return dw_mm_from_hu(hu, (row, column))
