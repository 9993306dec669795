"""Dose objects written here in each vendor's layout, for tests (never copies of real files).

Built with kerma.dicom.writer's public functions, then edited with pydicom where a vendor's
layout differs from what the writer produces (dental modalities, filter text, private codes).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from kerma.dicom import writer as w

PATIENT = w.Patient("P1", "DOE^Jane", date(1960, 1, 1), "F", 65.0, 70.0, 1.65)
STUDY_START = datetime(2025, 3, 4, 9, 0)


def device(manufacturer: str, model: str) -> w.Device:
    """Return a device of ``manufacturer`` and ``model`` with fixed identifiers."""
    return w.Device(manufacturer, model, "SN1", "ROOM1", "1.2.826.0.1.3680043.2.1", "CHU")


def study() -> w.Study:
    """Return a new study starting at STUDY_START."""
    return w.Study(generate_uid(), "ACC1", "study", STUDY_START)


def dental_image(path: Path, modality: str, dap_gycm2: float) -> Path:
    """Write a dental image header (``PX`` panoramic, ``IO`` intra-oral, ``CT`` cone-beam
    without CTDIvol) carrying its DAP in (0018,115E), and return its path."""
    event = w.ProjectionEvent("stationary", STUDY_START, dap_gycm2, kvp=70.0)
    w.write_dx_image(path, PATIENT, device("PLANMECA", "ProMax"), study(), event)
    ds = pydicom.dcmread(path)
    ds.Modality = modality
    ds.save_as(path)
    return path


def radiography_with_filter_text(path: Path, filter_type: str) -> Path:
    """Write a DX header giving its filter as Filter Type text only (no material, no
    thickness) and return its path."""
    event = w.ProjectionEvent("stationary", STUDY_START, 0.1, kvp=81.0)
    w.write_dx_image(path, PATIENT, device("ACME", "DR"), study(), event)
    ds = pydicom.dcmread(path)
    for keyword in ("FilterMaterial", "FilterThicknessMinimum", "FilterThicknessMaximum"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.FilterType = filter_type
    ds.save_as(path)
    return path


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _num(code: str, meaning: str, value: float | None, unit: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "NUM"
    item.ConceptNameCodeSequence = Sequence([_code(code, "99SMS_RADSUM", meaning)])
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, "UCUM", unit)])
    if value is not None:
        measured.NumericValue = f"{value:g}"
    item.MeasuredValueSequence = Sequence([measured])
    return item


def _datetime(code: str, meaning: str, value: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "DATETIME"
    item.ConceptNameCodeSequence = Sequence([_code(code, "99SMS_RADSUM", meaning)])
    item.DateTime = value
    return item


def siemens_radsum(
    path: Path, *, dap_gycm2: float | None = 12.34, fluoro_s: float | None = 321.0,
    exposures: int = 17, start: str = "20250304090000", end: str = "",
) -> Path:
    """Write a Siemens Radiation Summary Report (Comprehensive SR, title (C-10, 99SMS_RADSUM))
    with its totals in the layout seen on older Siemens fluoroscopy tables; return its path."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = "SR", "SIEMENS", "AXIOM Iconos R200"
    ds.StudyDate, ds.StudyTime, ds.ContentDate, ds.ContentTime = (
        "20250304", "090000", "20250304", "093000")
    ds.PatientID, ds.PatientName, ds.PatientSex = "P1", "DOE^Jane", "F"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([_code("C-10", "99SMS_RADSUM",
                                                 "Radiation Summary Report")])
    ds.ContentSequence = Sequence([
        _num("C-200", "Total Number of Exposures", exposures, "1"),
        _num("C-202", "Cumulative Fluoro Time", fluoro_s, "s"),
        _num("C-204", "Cumulative Dose Area Product", dap_gycm2, "Gy.cm^2"),
        _datetime("C-206", "Start of Examination", start),
        _datetime("C-208", "End of Examination", end),
    ])
    ds.save_as(path, enforce_file_format=True)
    return path
