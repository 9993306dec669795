"""Corrupted bytes give a DoseObjectError or a report, never another exception."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.uid import generate_uid

from kerma.dicom import write as w
from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError

START = datetime(2026, 1, 5, 8, 0)


@pytest.fixture(scope="module")
def valid_reports(tmp_path_factory) -> list[bytes]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    patient = w.Patient("F1", "FUZZ^Test", date(1980, 1, 1), "F", 46.0, 60.0, 1.6)
    device = w.Device("ACME", "X1", "S1", "ST1", "1.2.826.0.1.3680043.10.8.1", "CH")
    study = w.Study(generate_uid(), "A1", "EXAM", START)
    ct = w.write_ct_rdsr(
        folder / "ct.dcm",
        patient,
        device,
        study,
        [w.CtAcquisition("TAP", "chest", "spiral", START, 9.0, 500.0, pitch=1.0)],
    )
    rf = w.write_projection_rdsr(
        folder / "rf.dcm",
        patient,
        device,
        study,
        [
            w.ProjectionEvent("fluoroscopy", START + timedelta(seconds=i), 0.5, kar_mgy=3.0)
            for i in range(5)
        ],
        quirks={"implicit_vr"},
    )
    return [ct.read_bytes(), rf.read_bytes()]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corruption_never_escapes_as_another_exception(valid_reports, data):
    original = data.draw(st.sampled_from(valid_reports))
    buffer = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(buffer) - 1))
        buffer[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(buffer)))
    try:
        report = read_dose_object(bytes(buffer[:cut]))
    except DoseObjectError as exc:
        assert str(exc)
    else:
        assert report.sop_instance_uid and report.study_uid
