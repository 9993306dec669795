"""Archived reports are pseudonymised like the database: no name, ID or birth date on disk,
and reprocessing the archive gives the same exam."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from tests.conftest import SHARED_RDSR, needs_shared

from kerma.ingest.pipeline import import_paths
from kerma.ingest.reprocess import reprocess_all
from kerma.web.dose.models import Exam, Report

pytestmark = [pytest.mark.django_db(transaction=False), needs_shared]

NAME, PATIENT_ID, BIRTH, ISSUER = "Dupontel^Marguerite", "PID-77341", "19610523", "HOSP-X"


def _code(value: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
    return code


def _subject_item(value: str, meaning: str, value_type: str, **values: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "HAS OBS CONTEXT", value_type
    item.ConceptNameCodeSequence = [_code(value, meaning)]
    for keyword, text in values.items():
        setattr(item, keyword, text)
    return item


def _identified_copy(tmp_path: Path, name: str = "RF-RDSR-GE.dcm") -> Path:
    """Return a copy of a vendor report naming a known patient, in the header and in a TID 1007
    subject context, without Patient Age (the age then comes from the birth date)."""
    ds = pydicom.dcmread(SHARED_RDSR / name)
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = NAME, PATIENT_ID, BIRTH
    ds.IssuerOfPatientID, ds.OtherPatientIDs = ISSUER, "OTHER-99812"
    if "PatientAge" in ds:
        del ds.PatientAge
    ds.ContentSequence = [
        _subject_item("121029", "Subject Name", "PNAME", PersonName=NAME),
        _subject_item("121030", "Subject ID", "TEXT", TextValue=PATIENT_ID),
        _subject_item("121031", "Subject Birth Date", "DATE", Date=BIRTH),
        *ds.ContentSequence,
    ]
    path = tmp_path / name
    ds.save_as(path)
    return path


def _archived(home: Path) -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in (home / "archive").rglob("*.dcm.gz")]


def _exam_state() -> tuple:
    exam = Exam.objects.get()
    return (
        exam.patient_key,
        exam.is_test,
        exam.age_years,
        exam.sex,
        exam.weight_kg,
        exam.height_m,
        exam.event_count,
        exam.dap_total_gycm2,
        sorted(exam.events.values_list("uid", "dap_gycm2")),
    )


def test_no_archived_file_holds_the_patient_identity(kerma_home, tmp_path):
    path = _identified_copy(tmp_path)
    summary = import_paths([path])
    assert summary.imported == 1
    archived = _archived(kerma_home)
    assert len(archived) == 1
    for secret in (NAME, "Dupontel", PATIENT_ID, BIRTH, ISSUER, "OTHER-99812"):
        assert secret.encode() not in archived[0], secret
    kept = pydicom.dcmread(pydicom.filebase.DicomBytesIO(archived[0]))
    original = pydicom.dcmread(path)
    exam = Exam.objects.get()
    assert kept.PatientID == exam.patient_key and len(exam.patient_key) == 64
    assert kept.SOPInstanceUID == original.SOPInstanceUID
    assert kept.PatientSex == original.PatientSex
    assert kept.PatientIdentityRemoved == "YES"
    # The dose content is unchanged, only the subject context is gone.
    assert kept.ContentSequence[0].ConceptNameCodeSequence[0].CodeValue == "121030"
    assert kept.ContentSequence[0].TextValue == exam.patient_key
    assert kept.ContentSequence[1:] == original.ContentSequence[3:]


def test_reprocess_from_the_pseudonymised_archive_gives_the_same_exam(kerma_home, tmp_path):
    import_paths([_identified_copy(tmp_path)])
    before = _exam_state()
    assert before[2] is not None  # the age, read from the birth date
    report = Report.objects.get()
    digest, archive_path = report.sha256, report.archive_path
    result = reprocess_all()
    assert result.reread == 1 and not result.failed
    after = _exam_state()
    assert after[:2] == before[:2] and after[3:] == before[3:]
    # The birth date is gone: the age is kept as a Patient Age, to the month for an adult
    # (to the day under 999 days, to the week under 999 weeks).
    assert after[2] == pytest.approx(before[2], abs=1 / 12)
    report.refresh_from_db()
    assert (report.sha256, report.archive_path) == (digest, archive_path)
    assert len(_archived(kerma_home)) == 1
    # The same report sent again is still a duplicate.
    assert import_paths([_identified_copy(tmp_path)]).duplicates == 1


def test_clear_identifiers_keep_the_bytes_as_received(kerma_home, tmp_path, monkeypatch):
    monkeypatch.setenv("KERMA_CLEAR_IDENTIFIERS", "1")
    path = _identified_copy(tmp_path)
    import_paths([path])
    assert _archived(kerma_home) == [path.read_bytes()]


@needs_shared
def test_without_subject_context_only_the_header_is_rewritten():
    """The common case: the patient's modules rewritten, the dose content kept byte for byte
    (a few milliseconds instead of reading and writing the whole object)."""
    from kerma.dicom.deidentify import _header_only, pseudonymise_object

    data = (SHARED_RDSR / "RF-RDSR-Philips_Allura.dcm").read_bytes()
    out = pseudonymise_object(data, "KEY-1", 61.0)
    assert out == _header_only(data, "KEY-1", 61.0)
    ds = pydicom.dcmread(io.BytesIO(out))
    assert (str(ds.PatientID), str(ds.PatientName)) == ("KEY-1", "")
    assert "PatientBirthDate" not in ds
    original = pydicom.dcmread(io.BytesIO(data))
    assert ds.ContentSequence == original.ContentSequence
    tail = data[-4096:]
    assert out.endswith(tail)
    assert pseudonymise_object(out, "KEY-1", 61.0) == out  # already done: unchanged
