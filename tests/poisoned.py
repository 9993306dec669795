"""A real report that the reader accepts but that cannot be stored: a content date of 0001-01-01
(a modality whose clock was reset), which overflows when the database converts it to UTC."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

from kerma.dicom import write as w

DEVICE = w.Device("GE MEDICAL SYSTEMS", "Revolution CT", "SN-P", "CTP",
                  "1.2.826.0.1.3680043.10.9.1", "CH Test")
WHEN = datetime(2026, 5, 4, 10, 0)


def good_report(path: Path, i: int) -> Path:
    """Write a small CT dose report (its own study) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    patient = w.Patient(f"G{i}", f"GOOD^{i}", date(1970, 1, 1), "M", 56.0, 80.0, 1.8)
    study = w.Study(generate_uid(), f"G{i}", "TDM THORAX", WHEN)
    return w.write_ct_rdsr(path, patient, DEVICE, study, [
        w.CtAcquisition("THORAX", "chest", "spiral", WHEN, 6.0 + i, 200.0 + i)])


def poisoned_report(path: Path) -> Path:
    """Write a report the reader accepts (its doses are plausible) but whose storing raises:
    its content date and time are 0001-01-01 00:00, out of range once converted to UTC."""
    good_report(path, 999)
    ds = pydicom.dcmread(path)
    ds.ContentDate, ds.ContentTime = "00010101", "000000"
    ds.save_as(path)
    return path


def sop_uid(path: Path) -> str:
    """Return the SOP Instance UID of a written report."""
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
