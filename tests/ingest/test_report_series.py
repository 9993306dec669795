"""Several reports of one study, written with pydicom: cumulative, continued, corrected."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydicom.uid import generate_uid

from kerma.dicom import write as w
from kerma.ingest.pipeline import import_paths
from kerma.web.dose.models import Exam

pytestmark = pytest.mark.django_db

START = datetime(2026, 2, 2, 9, 0)
PATIENT = w.Patient("P42", "MARTIN^Paul", date(1960, 1, 1), "M", 66.0, 80.0, 1.78)
CARDIO = w.Device(
    "Philips", "Azurion 7 M20", "SN-7", "CARDIO1", "1.2.826.0.1.3680043.10.9.1", "CH Demo"
)


def _event(i: int, dap: float) -> w.ProjectionEvent:
    return w.ProjectionEvent(
        "fluoroscopy",
        START + timedelta(minutes=i),
        dap,
        kar_mgy=dap * 8,
        irradiation_duration_s=30.0,
        event_uid=f"2.25.{1000 + i}",
    )


def test_corrected_report_replaces_the_values_of_the_same_events(kerma_home, tmp_path):
    study = w.Study(generate_uid(), "ACC7", "CORONAROGRAPHIE", START)
    first = w.write_projection_rdsr(
        tmp_path / "first.dcm",
        PATIENT,
        CARDIO,
        study,
        [_event(0, 1.0), _event(1, 2.0)],
        report_datetime=START + timedelta(hours=1),
    )
    corrected = w.write_projection_rdsr(
        tmp_path / "corrected.dcm",
        PATIENT,
        CARDIO,
        study,
        [_event(0, 1.5), _event(1, 2.5)],
        report_datetime=START + timedelta(hours=2),
    )
    for order in ([first, corrected], [corrected, first]):
        Exam.objects.all().delete()
        for path in order:
            import_paths([path])
        exam = Exam.objects.get()
        assert exam.event_count == 2
        assert exam.dap_total_gycm2 == pytest.approx(4.0)  # the correction's, counted once
        assert sorted(exam.events.values_list("dap_gycm2", flat=True)) == [1.5, 2.5]


def test_continued_and_cumulative_reports_written_here(kerma_home, tmp_path):
    study = w.Study(generate_uid(), "ACC8", "ANGIOPLASTIE", START)
    events = [_event(i, 1.0 + i) for i in range(4)]
    part1 = w.write_projection_rdsr(
        tmp_path / "p1.dcm",
        PATIENT,
        CARDIO,
        study,
        events[:2],
        report_datetime=START + timedelta(hours=1),
    )
    part2 = w.write_projection_rdsr(
        tmp_path / "p2.dcm",
        PATIENT,
        CARDIO,
        study,
        events[2:],
        report_datetime=START + timedelta(hours=2),
    )
    cumulative = w.write_projection_rdsr(
        tmp_path / "all.dcm",
        PATIENT,
        CARDIO,
        study,
        events,
        report_datetime=START + timedelta(hours=3),
    )
    import_paths([part2, part1])
    exam = Exam.objects.get()
    assert exam.event_count == 4 and exam.dap_total_gycm2 == pytest.approx(10.0)
    assert exam.fluoro_time_s == pytest.approx(120.0)
    import_paths([cumulative])
    exam = Exam.objects.get()
    assert exam.event_count == 4 and exam.dap_total_gycm2 == pytest.approx(10.0)
    assert exam.reports.count() == 3


def test_clear_identifiers_only_when_the_site_opts_in(kerma_home, tmp_path, monkeypatch):
    study = w.Study(generate_uid(), "ACC9", "CORONAROGRAPHIE", START)
    path = w.write_projection_rdsr(tmp_path / "r.dcm", PATIENT, CARDIO, study, [_event(0, 1.0)])
    import_paths([path])
    exam = Exam.objects.get()
    assert (exam.patient_id, exam.patient_name) == ("", "")
    monkeypatch.setenv("KERMA_CLEAR_IDENTIFIERS", "1")
    Exam.objects.all().delete()
    import_paths([path])
    exam = Exam.objects.get()
    assert (exam.patient_id, exam.patient_name) == ("P42", "MARTIN^Paul")
