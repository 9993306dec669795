"""Imports store reports in batches, and a study's later reports combine with the rows already
stored, never by reading the archive of the earlier ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import permutations
from pathlib import Path

import pytest
from pydicom.uid import generate_uid
from tests.conftest import SHARED_RDSR, needs_shared
from tests.ingest.test_report_series import CARDIO, PATIENT, START, _event

from kerma.dicom import write as w
from kerma.dicom.reader import read_dose_object
from kerma.dose import NUMERIC_TOTAL_KEYS, DeviceIdentity, DoseReport
from kerma.dose import Event as CoreEvent
from kerma.exams import combine_reports
from kerma.ingest import pipeline, store
from kerma.ingest.pipeline import ImportSummary, import_paths
from kerma.ingest.reprocess import reprocess_all
from kerma.web.dose.models import Event, Exam, QuarantinedFile, Report
from kerma.web.dose.signals import exam_stored

pytestmark = pytest.mark.django_db

def _report(folder: Path, name: str, study: w.Study, events: list, hours: int, **kw) -> Path:
    return w.write_projection_rdsr(
        folder / name,
        PATIENT,
        CARDIO,
        study,
        events,
        report_datetime=START + timedelta(hours=hours),
        **kw,
    )


def _reports(tmp_path: Path, count: int) -> list[Path]:
    """``count`` one-study reports, one per study (two events each)."""
    tmp_path.mkdir(exist_ok=True)
    return [
        _report(
            tmp_path,
            f"r{i}.dcm",
            w.Study(generate_uid(), f"ACC{i}", "CORONAROGRAPHIE", START),
            [_event(2 * i, 1.0), _event(2 * i + 1, 2.0)],
            1,
        )
        for i in range(count)
    ]


@pytest.fixture
def no_archive_reads(monkeypatch):
    """Fail the test if storing reads an archived report."""

    def refuse(path: str) -> bytes:
        raise AssertionError(f"the archive was read: {path}")

    monkeypatch.setattr(store, "read_archived", refuse)


def test_a_poisoned_report_is_quarantined_and_the_rest_of_its_batch_stored(
    kerma_home, tmp_path, monkeypatch
):
    files = _reports(tmp_path / "in", 6)
    poisoned = read_dose_object(files[3]).study_uid
    original = store._apply_patient
    batches: list[int] = []

    def apply_patient(exam, report):
        if report.study_uid == poisoned:
            raise ValueError("poisoned for the test")
        original(exam, report)

    real_store_reports = store.store_reports

    def counting_store_reports(items):
        batches.append(len(items))
        return real_store_reports(items)

    monkeypatch.setattr(store, "_apply_patient", apply_patient)
    monkeypatch.setattr(pipeline, "store_reports", counting_store_reports)
    stored: list[int] = []

    def receiver(sender, exam_id, **kwargs):
        stored.append(exam_id)

    exam_stored.connect(receiver, dispatch_uid="test-batches")
    try:
        summary = import_paths([tmp_path / "in"])
    finally:
        exam_stored.disconnect(dispatch_uid="test-batches")
    assert batches == [6]  # tried as one batch, then stored one by one
    assert summary.imported == 5
    assert [Path(q["path"]).name for q in summary.quarantined] == ["r3.dcm"]
    assert "poisoned for the test" in summary.quarantined[0]["reason"]
    assert QuarantinedFile.objects.count() == 1
    assert not Exam.objects.filter(study_uid=poisoned).exists()
    assert Exam.objects.count() == Report.objects.count() == 5
    assert Event.objects.count() == 10
    assert sorted(stored) == sorted(Exam.objects.values_list("pk", flat=True))
    quarantined = list((kerma_home / "quarantine").rglob("*.reason.txt"))
    assert len(quarantined) == 1


def test_a_batch_is_one_transaction_and_announces_each_exam_once(kerma_home, tmp_path):
    study = w.Study(generate_uid(), "ACC1", "ANGIOPLASTIE", START)
    events = [_event(i, 1.0 + i) for i in range(4)]
    files = [
        _report(tmp_path, "a.dcm", study, events[:2], 1),
        _report(tmp_path, "b.dcm", study, events[2:], 2),
        _report(tmp_path, "c.dcm", study, events, 3),
    ]
    stored: list[int] = []

    def receiver(sender, exam_id, **kwargs):
        stored.append(exam_id)

    exam_stored.connect(receiver, dispatch_uid="test-batches")
    try:
        summary = import_paths(files)
    finally:
        exam_stored.disconnect(dispatch_uid="test-batches")
    assert summary.imported == 3
    exam = Exam.objects.get()
    assert stored == [exam.pk]
    assert exam.event_count == 4 and exam.dap_total_gycm2 == pytest.approx(10.0)
    # Every archived copy is in place under its final name, nothing left half-written.
    archive = kerma_home / "archive"
    assert len(list(archive.rglob("*.dcm.gz"))) == 3
    assert not list(archive.rglob("*.tmp"))


def test_a_cumulative_report_after_its_study_combines_without_the_archive(
    kerma_home, tmp_path, no_archive_reads
):
    study = w.Study(generate_uid(), "ACC8", "ANGIOPLASTIE", START)
    events = [_event(i, 1.0 + i) for i in range(4)]
    part1 = _report(tmp_path, "p1.dcm", study, events[:2], 1)
    part2 = _report(tmp_path, "p2.dcm", study, events[2:], 2)
    cumulative = _report(tmp_path, "all.dcm", study, events, 3)
    import_paths([part2])
    import_paths([part1])
    for archived in (kerma_home / "archive").rglob("*.dcm.gz"):
        archived.unlink()  # the earlier reports can only come from their rows now
    import_paths([cumulative])
    exam = Exam.objects.get()
    assert exam.reports.count() == 3
    assert exam.event_count == 4 == exam.events.count()
    assert exam.dap_total_gycm2 == pytest.approx(10.0)
    assert exam.fluoro_time_s == pytest.approx(120.0)


def _expected(paths: list[Path]) -> tuple:
    """What combine_reports makes of these reports (the exam's truth, any import order)."""
    reports = sorted(
        (read_dose_object(p) for p in paths),
        key=lambda r: (r.content_datetime is None, r.content_datetime or datetime.min),
    )
    events, totals, _ = combine_reports(reports)
    return _digest(len(events), totals, [e.dap_gycm2 or e.dlp_mgycm for e in events])


def _digest(count: int, totals: dict, values: list) -> tuple:
    rounded = {k: round(float(totals[k]), 6) for k in NUMERIC_TOTAL_KEYS if totals.get(k)}
    return count, rounded, sorted(round(v, 6) for v in values if v is not None)


def _stored() -> tuple:
    exam = Exam.objects.get()
    totals = {k: getattr(exam, k) for k in NUMERIC_TOTAL_KEYS}
    values = [e.dap_gycm2 or e.dlp_mgycm for e in exam.events.all()]
    return _digest(exam.event_count, totals, values)


def _partial_overlap(folder: Path) -> list[Path]:
    study = w.Study(generate_uid(), "ACC9", "CORONAROGRAPHIE", START)
    events = [_event(i, 1.0 + i) for i in range(3)]
    return [
        _report(folder, "first.dcm", study, events[:2], 1),
        _report(folder, "second.dcm", study, events[1:], 2),
        _report(folder, "third.dcm", study, [_event(9, 4.0)], 3),
    ]


@pytest.mark.parametrize("group", ["Siemens-Multi", "Siemens-Continued", "partial", "MG"])
def test_each_report_one_at_a_time_in_any_order_gives_what_combine_reports_gives(
    kerma_home, tmp_path, no_archive_reads, group
):
    if group == "partial":
        files = _partial_overlap(tmp_path)
    elif group == "MG":
        files = [SHARED_RDSR / f"MG-Im-GE_Seno_1_For{x}.dcm" for x in ("Processing",
                                                                     "Presentation")]
    else:
        files = sorted(SHARED_RDSR.glob(f"CT-RDSR-{group}-*.dcm"))
    if not all(path.exists() for path in files):
        pytest.skip("../shared/rdsr (real vendor files) is not present")
    expected = _expected(files)
    for order in permutations(files):
        Exam.objects.all().delete()
        for path in order:
            import_paths([path])
        assert _stored() == expected, [p.name for p in order]


def test_a_replacement_that_drops_a_shared_event_reads_the_others_again(kerma_home, tmp_path):
    study = w.Study(generate_uid(), "ACC10", "CORONAROGRAPHIE", START)
    uid = generate_uid()
    first = _report(tmp_path, "first.dcm", study, [_event(0, 1.0), _event(1, 2.0)], 1)
    second = _report(
        tmp_path, "second.dcm", study, [_event(1, 5.0), _event(2, 3.0)], 2, sop_instance_uid=uid
    )
    corrected = _report(
        tmp_path, "second-corrected.dcm", study, [_event(2, 3.0)], 2, sop_instance_uid=uid
    )
    import_paths([first, second])
    # The shared event is the newer report's version: 5 Gy·cm², not 1 + 2 + 5 + 3.
    assert sorted(Exam.objects.get().events.values_list("dap_gycm2", flat=True)) == [1.0, 3.0, 5.0]
    assert import_paths([corrected]).replaced == 1
    exam = Exam.objects.get()
    # Without the newer version, the first report's own value of that event comes back.
    assert sorted(exam.events.values_list("dap_gycm2", flat=True)) == [1.0, 2.0, 3.0]
    assert exam.dap_total_gycm2 == pytest.approx(6.0)


def _core_report(study: str, sop: str, daps: list[float], hour: int) -> DoseReport:
    """A fluoroscopy report whose events carry no Irradiation Event UID (some modalities)."""
    events = [
        CoreEvent(
            "projection",
            started=START + timedelta(hours=hour, minutes=i),
            event_type="fluoroscopy",
            dap_gycm2=dap,
        )
        for i, dap in enumerate(daps)
    ]
    return DoseReport(
        sop_instance_uid=sop,
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        source="rdsr",
        modality="RF",
        study_uid=study,
        study_date=START.date(),
        content_datetime=START + timedelta(hours=hour + 1),
        device=DeviceIdentity(manufacturer="Kerma", model="Test RF", station_name="RF9"),
        events=events,
        totals={"dap_total_gycm2": sum(daps)},
    )


def test_events_without_uid_survive_a_failed_batch_and_later_reports(kerma_home, monkeypatch):
    study = generate_uid()
    first = _core_report(study, generate_uid(), [1.0, 2.0], 0)
    second = _core_report(study, generate_uid(), [4.0], 2)
    poisoned = _core_report(generate_uid(), generate_uid(), [8.0], 0)
    original = store._apply_patient

    def apply_patient(exam, report):
        if report is poisoned:
            raise ValueError("poisoned for the test")
        original(exam, report)

    monkeypatch.setattr(store, "_apply_patient", apply_patient)
    summary = ImportSummary()
    batch = [(first, b"first", "first"), (second, b"second", "second"), (poisoned, b"p", "p")]
    assert pipeline.store_batch(batch, summary) == ["imported", "imported", "quarantined"]
    exam = Exam.objects.get()
    assert exam.event_count == 3 == exam.events.count()
    assert exam.dap_total_gycm2 == pytest.approx(7.0)
    # A continued report later: the earlier ones come from their rows, archives unread.
    monkeypatch.setattr(store, "read_archived", lambda path: pytest.fail(f"read {path}"))
    third = _core_report(study, generate_uid(), [16.0], 4)
    assert store.store_report(third, b"third", "third") == "imported"
    exam = Exam.objects.get()
    assert exam.event_count == 4 == exam.events.count()
    assert exam.dap_total_gycm2 == pytest.approx(23.0)


@needs_shared
def test_rows_stored_before_the_migration_are_read_from_the_archive(kerma_home):
    import_paths([SHARED_RDSR / "CT-RDSR-Siemens-Continued-1.dcm"])
    Report.objects.update(event_uids=None, totals=None)  # as a report stored before 0004
    import_paths([SHARED_RDSR / "CT-RDSR-Siemens-Continued-2.dcm"])
    exam = Exam.objects.get()
    assert exam.event_count == 4 == exam.events.count()
    assert exam.dlp_total_mgycm == pytest.approx(116.61, abs=0.005)


@needs_shared
def test_reprocess_rebuilds_a_study_of_several_reports_from_the_archives(kerma_home):
    import_paths(sorted(SHARED_RDSR.glob("CT-RDSR-Siemens-Multi-*.dcm")))
    before = _stored()
    Event.objects.all().delete()
    Exam.objects.update(dlp_total_mgycm=None, event_count=0)
    result = reprocess_all()
    assert result.reread == 3 and not result.failed
    assert _stored() == before
    assert Exam.objects.get().dlp_total_mgycm == pytest.approx(236.09, abs=0.005)
