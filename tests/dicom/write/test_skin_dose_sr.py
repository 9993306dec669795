"""The Patient Radiation Dose SR (TID 10030) of a skin-dose estimate, written from plain data
and read back with pydicom (and dcmtk's dsrdump where it is installed)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from kerma.dicom.write.skin_dose_sr import (
    PATIENT_RADIATION_DOSE_SR,
    SkinDoseEstimate,
    SourceReport,
    build_sr,
    describe,
    sr_bytes,
)

ESTIMATE = SkinDoseEstimate(
    study_uid="1.2.826.0.1.3680043.8.498.7001",
    study_date=date(2024, 3, 4),
    study_time="101500.123",
    accession_number="240000042",
    institution="CH DE VALMONT-SUR-LOIRE",
    patient_id="K-1a2b3c",
    patient_name="",
    sex="F",
    age_years=63.8,
    weight_kg=64.5,
    height_m=1.63,
    computed_at=datetime(2024, 3, 4, 12, 0),
    method="map",
    psd_mgy=3210.5,
    area_2gy_cm2=45.0,
    area_3gy_cm2=12.0,
    events_used=250,
    events_skipped=1,
    warnings=("event 3 has no geometry",),
    provenance={"phantom": {"type": "human", "height_cm": 163}, "room": {"table": "x"}},
    kerma_version="1.0",
    sources=(
        SourceReport("1.2.840.10008.5.1.4.1.1.88.67", "1.2.3.4", "1.2.3"),
        SourceReport("1.2.840.10008.5.1.4.1.1.88.67", "1.2.3.5"),
    ),
    used_event_uids=("1.2.3.4.1", "1.2.3.4.2"),
)


def _items(items, concept: str) -> list:
    found = []
    for item in items:
        if item.ConceptNameCodeSequence[0].CodeValue == concept:
            found.append(item)
        if "ContentSequence" in item:
            found.extend(_items(item.ContentSequence, concept))
    return found


def check_sr_file(path: Path, *, study_uid: str, patient_id: str, psd_mgy: float) -> Dataset:
    """Read the SR at ``path`` back with pydicom, check what every skin-dose SR states and
    return the dataset."""
    ds = pydicom.dcmread(path)
    assert ds.file_meta.MediaStorageSOPClassUID == PATIENT_RADIATION_DOSE_SR
    assert ds.SOPClassUID == PATIENT_RADIATION_DOSE_SR
    assert ds.ConceptNameCodeSequence[0].CodeValue == "128401"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10030"
    assert ds.StudyInstanceUID == study_uid
    assert ds.PatientID == patient_id
    found = describe(ds)
    assert found["representation"] == "Skin Dose Map"
    assert found["psd_mgy"] == pytest.approx(psd_mgy, rel=1e-5)
    return ds


def check_dsrdump_reads(path: Path) -> None:
    """Check that dcmtk's dsrdump reads the SR at ``path`` (skip the test without dsrdump)."""
    dsrdump = shutil.which("dsrdump")
    if dsrdump is None:
        pytest.skip("dcmtk's dsrdump is not installed")
    result = subprocess.run([dsrdump, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Patient Radiation Dose" in result.stdout
    assert "Skin Dose Map" in result.stdout


def test_read_back_with_pydicom(tmp_path):
    path = tmp_path / "prdsr.dcm"
    path.write_bytes(sr_bytes(ESTIMATE))
    ds = check_sr_file(
        path, study_uid=ESTIMATE.study_uid, patient_id="K-1a2b3c", psd_mgy=ESTIMATE.psd_mgy
    )
    assert (ds.StudyDate, ds.StudyTime) == ("20240304", "101500")
    assert (ds.PatientName, ds.PatientAge) == ("", "063Y")
    # Only the source whose series is known is evidence; both are SR instances used.
    evidence = ds.CurrentRequestedProcedureEvidenceSequence
    assert [e.ReferencedSeriesSequence[0].SeriesInstanceUID for e in evidence] == ["1.2.3"]
    used = _items(ds.ContentSequence, "128416")
    assert [u.ReferencedSOPSequence[0].ReferencedSOPInstanceUID for u in used] == [
        "1.2.3.4",
        "1.2.3.5",
    ]
    assert [i.UID for i in _items(used[0].ContentSequence, "128429")] == ["1.2.3.4.1", "1.2.3.4.2"]
    model = _items(ds.ContentSequence, "128417")[0]
    assert model.ConceptCodeSequence[0].CodeValue == "128404"  # the human phantom
    comment = _items(ds.ContentSequence, "121106")[-1].TextValue
    assert "2000 mGy: 45 cm²" in comment and "skipped: 1" in comment


def test_identifiers_are_deterministic_and_the_model_follows_the_phantom():
    first, again = build_sr(ESTIMATE), build_sr(ESTIMATE)
    assert first.SOPInstanceUID == again.SOPInstanceUID
    assert first.SeriesInstanceUID == again.SeriesInstanceUID
    plane = SkinDoseEstimate(**{**ESTIMATE.__dict__, "provenance": {"phantom": "plane"}})
    model = _items(build_sr(plane).ContentSequence, "128417")[0]
    assert model.ConceptCodeSequence[0].CodeMeaning == "Simple Object Model"


def test_dsrdump_reads_it(tmp_path):
    path = tmp_path / "prdsr.dcm"
    path.write_bytes(sr_bytes(ESTIMATE))
    check_dsrdump_reads(path)
