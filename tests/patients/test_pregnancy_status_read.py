"""DICOM Pregnancy Status (0010,21C0) is read from the patient module when present."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from kerma.dicom.common import patient_from_header
from kerma.dicom.rawfile import read_part10


def _header(**patient: object) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientSex, ds.PatientAge = "P1", "F", "030Y"
    for keyword, value in patient.items():
        setattr(ds, keyword, value)
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


@pytest.mark.parametrize(("value", "word"), [(1, "not_pregnant"), (2, "possibly_pregnant"),
                                             (3, "pregnant"), (4, "unknown")])
def test_pregnancy_status_is_read(value, word):
    _meta, ds = read_part10(_header(PregnancyStatus=value))
    assert patient_from_header(ds, date(2026, 1, 1)).pregnancy_status == word


def test_no_pregnancy_status_reads_empty():
    _meta, ds = read_part10(_header())
    patient = patient_from_header(ds, date(2026, 1, 1))
    assert patient.pregnancy_status == "" and patient.age_years == 30
