"""SSDE from a written CT image of known size: Kerma reads the water-equivalent diameter of a
water cylinder (and of a lung-density one) from a real DICOM file written by pydicom, and the
SSDE follows TG-204's published factors (Table 1, 32 cm phantom) for that diameter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from kerma.patients.ssde import FROM_IMAGE, ssde
from kerma.patients.water_equivalent import dw_mm_from_file, dw_mm_from_hu

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SPACING_MM = 1.0


def cylinder_hu(diameter_mm: float, inside_hu: float, size: int = 512) -> np.ndarray:
    """An axial slice: a centred disc of ``inside_hu`` in air (-1000 HU)."""
    centre = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size]
    inside = (x - centre) ** 2 + (y - centre) ** 2 <= (diameter_mm / 2.0 / SPACING_MM) ** 2
    return np.where(inside, inside_hu, -1000.0)


def write_ct_image(path, hu: np.ndarray, *, image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
                   **attributes):
    """Write ``hu`` as a CT Image Storage file (stored = HU + 1024, unsigned 16 bits);
    ``attributes`` (pydicom keywords: StudyInstanceUID, PatientID...) override the defaults."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CT_IMAGE, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.ImageType = "CT", list(image_type)
    ds.Rows, ds.Columns = hu.shape
    ds.PixelSpacing = [SPACING_MM, SPACING_MM]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.PixelData = (hu + 1024).astype(np.uint16).tobytes()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.save_as(path, enforce_file_format=True)
    return path


def test_dw_of_a_written_water_cylinder_and_its_ssde(tmp_path):
    path = write_ct_image(tmp_path / "water30.dcm", cylinder_hu(300.0, 0.0))
    dw_mm = dw_mm_from_file(path)
    assert dw_mm == pytest.approx(300.0, abs=1.0)  # water counts fully: Dw = the diameter
    found = ssde(10.0, dw_mm=dw_mm)
    # TG-204 Table 1 (32 cm phantom): f = 1.23 at 30 cm
    assert found.method == FROM_IMAGE and found.factor == pytest.approx(1.23, abs=0.005)
    assert found.ssde_mgy == pytest.approx(12.3, abs=0.05)


def test_dw_weighs_each_pixel_by_its_attenuation(tmp_path):
    # A 20 cm disc at -200 HU: Aw = 0.8 x area, so Dw = 200 mm x sqrt(0.8) = 178.9 mm.
    path = write_ct_image(tmp_path / "lung.dcm", cylinder_hu(200.0, -200.0))
    assert dw_mm_from_file(path) == pytest.approx(200.0 * math.sqrt(0.8), abs=1.0)
    # 16 cm phantom, Dw 17.9 cm: f between TG-204 Table 2's 0.86 (20 cm) and 1.0 (16 cm)
    factor = ssde(10.0, dw_mm=dw_mm_from_file(path), phantom_cm=16).factor
    assert 0.86 < factor < 1.0
    # just above the threshold counts, just below does not
    assert dw_mm_from_hu(np.full((10, 10), -499.0), (1.0, 1.0)) > 0
    assert dw_mm_from_hu(np.full((10, 10), -501.0), (1.0, 1.0)) == 0


def test_localizers_and_other_objects_are_refused_with_the_tag(tmp_path):
    path = write_ct_image(tmp_path / "scout.dcm", cylinder_hu(300.0, 0.0),
                          image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"))
    with pytest.raises(ValueError, match=r"\(0008,0008\) LOCALIZER"):
        dw_mm_from_file(path)
