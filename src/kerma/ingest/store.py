"""Storing a read dose report: device, exam, events, archived source — all or nothing.

Each report is stored in one database transaction: an exam is never half-written. The SOP
Instance UID identifies a report: the same bytes again are a duplicate, other bytes under the
same UID replace it. The exam of a study is rebuilt from all its reports each time one arrives
(see :func:`kerma.exams.combine_reports`).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import logging
import os
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from kerma import config
from kerma.dicom import quirks
from kerma.dicom.reader import read_dose_object
from kerma.dose import NUMERIC_TOTAL_KEYS, DeviceIdentity, DoseObjectError, DoseReport
from kerma.exams import combine_reports
from kerma.privacy import is_test_patient, pseudonymise
from kerma.web.dose.models import Device, Event, Exam, Report

IMPORTED, REPLACED, DUPLICATE = "imported", "replaced", "duplicate"

# Sent with ``exam_id`` once an exam's transaction has committed, for the apps built on the dose
# data (follow-up: skin-dose map and alerts). A receiver's failure never undoes the import.
exam_stored = Signal()


def _event_columns() -> list[str]:
    from kerma.dose import Event as CoreEvent

    model_fields = {f.name for f in Event._meta.get_fields()}
    return [f.name for f in dataclasses.fields(CoreEvent) if f.name in model_fields]


EVENT_COLUMNS = _event_columns()

_CATEGORY_BY_MODALITY = {"CT": "ct", "NM": "nuclear_medicine", "PT": "pet"}
# When one device sends several kinds of object, the more specific category wins.
_CATEGORY_RANK = {
    "radiography": 1,
    "radiography_mobile": 1,
    "ct": 1,
    "fluoroscopy": 2,
    "mobile_carm": 2,
    "pet": 3,
    "nuclear_medicine": 3,
}
# The modality an exam is listed under when its study holds several (a PET/CT study: PT).
_MODALITY_RANK = {"DX": 1, "CT": 2, "MG": 3, "RF": 4, "XA": 4, "NM": 5, "PT": 5}


def _aware(value: datetime | None) -> datetime | None:
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def archive_report(data: bytes, report: DoseReport, digest: str) -> str:
    """Write the source bytes, gzip-compressed, under KERMA_HOME/archive; return the path
    relative to KERMA_HOME. The file is flushed to disk before this returns."""
    day = report.study_date
    folder = config.archive_dir() / (f"{day:%Y/%m}" if day else "undated")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.dcm.gz"
    if not target.exists():
        temporary = target.with_suffix(".tmp")
        with open(temporary, "wb") as out:
            out.write(gzip.compress(data, compresslevel=5, mtime=0))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    return str(target.relative_to(config.kerma_home()))


def read_archived(relative_path: str) -> bytes:
    """Return the original bytes of an archived report."""
    return gzip.decompress((config.kerma_home() / relative_path).read_bytes())


# How often a device's "last report received" is written: not on every report of a busy import.
_DEVICE_SEEN_EVERY = timedelta(seconds=30)


_DEVICE_FIELDS = (
    "observer_uid",
    "manufacturer",
    "model",
    "serial_number",
    "station_name",
    "institution",
    "department",
    "location",
)


def _changed(device: Device) -> bool:
    """True when ``device`` differs from its row (identity fields filled by this report)."""
    loaded = getattr(device, "_loaded_values", None)
    if loaded is None:
        return True
    return any(getattr(device, name) != value for name, value in loaded.items())


def _same_names(identity: DeviceIdentity) -> Device | None:
    """Return the device already known under the same manufacturer, model, serial number and
    station name, when one side of the match has no device observer UID (image headers carry
    none; an RDSR of the same device does)."""
    if not (identity.manufacturer and (identity.serial_number or identity.station_name)):
        return None
    candidates = Device.objects.filter(
        manufacturer__iexact=identity.manufacturer,
        model__iexact=identity.model,
        serial_number__iexact=identity.serial_number,
        station_name__iexact=identity.station_name,
    )
    if identity.observer_uid:
        candidates = candidates.filter(observer_uid="")
    device = candidates.first()
    if device is not None and identity.observer_uid and not device.observer_uid:
        device.observer_uid = identity.observer_uid
        device.identity_key = identity.key()
    return device


def _device_for(report: DoseReport) -> Device:
    identity = report.device
    key = identity.key()
    device = Device.objects.filter(identity_key=key).first() or _same_names(identity)
    if device is not None:
        device._loaded_values = {  # noqa: SLF001 - remembered to skip needless saves
            name: getattr(device, name) for name in _DEVICE_FIELDS + ("identity_key", "category")
        }
    category = _CATEGORY_BY_MODALITY.get(report.modality) or quirks.guess_projection_category(
        identity.manufacturer, identity.model, report.modality
    )
    if device is None:
        device = Device(identity_key=key, category=category)
    elif not device.category_confirmed and (
        _CATEGORY_RANK.get(category, 0) > _CATEGORY_RANK.get(device.category, 0)
    ):
        # A device first seen sending radiography is a fluoroscopy device once it sends runs;
        # a scanner that sends PET images is a PET/CT.
        device.category = category
    for field in _DEVICE_FIELDS:
        value = getattr(identity, field)
        if value and not getattr(device, field):
            setattr(device, field, value)
    now = timezone.now()
    stale = device.last_report_at is None or now - device.last_report_at > _DEVICE_SEEN_EVERY
    if device.pk is None or stale or _changed(device):
        device.last_report_at = now
        device.save()
    return device


# Reports parsed recently, by digest: the other reports of a study were usually read moments ago
# by the same import, so rebuilding the exam need not read them again.
_RECENT: OrderedDict[str, DoseReport] = OrderedDict()
_RECENT_SIZE = 256


def _remember(digest: str, report: DoseReport) -> None:
    _RECENT[digest] = report
    _RECENT.move_to_end(digest)
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)


def _report_from_archive(row: Report) -> DoseReport | None:
    cached = _RECENT.get(row.sha256)
    if cached is not None:
        return cached
    try:
        report = read_dose_object(read_archived(row.archive_path))
    except (OSError, DoseObjectError):
        return None
    _remember(row.sha256, report)
    return report


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _reports_of(
    exam: Exam, newest: DoseReport, newest_row: Report
) -> list[tuple[Report, DoseReport]]:
    """Return the exam's reports with their parsed content, oldest first by content date; the
    report being stored comes last among reports of the same date."""
    others = []
    if exam.pk is not None:
        others = list(exam.reports.exclude(pk=newest_row.pk).order_by("received_at", "id"))
    parsed = [(row, report) for row in others if (report := _report_from_archive(row))]
    parsed.append((newest_row, newest))
    parsed.sort(key=lambda pair: pair[0].content_datetime or _EARLIEST)
    return parsed


def _rebuild_exam(exam: Exam, parsed: list[tuple[Report, DoseReport]], *, fresh: bool) -> None:
    """Recompute an exam's events and totals from its reports and save them.

    ``fresh``: the exam has no event rows yet (a new study), so there is nothing to delete.
    """
    reports = [report for _, report in parsed]
    events, totals, notes = combine_reports(reports)
    exam.event_count = len(events)
    for key in NUMERIC_TOTAL_KEYS:
        value = totals.get(key)
        setattr(exam, key, float(value) if value is not None else None)
    exam.radionuclide = str(totals.get("radionuclide", ""))
    exam.radiopharmaceutical = str(totals.get("radiopharmaceutical", ""))
    warnings = [w for r in reports for w in r.warnings]
    exam.notes = "\n".join(dict.fromkeys(notes + warnings))
    exam.save()
    owner = {id(event): row for row, report in parsed for event in report.events}
    if not fresh:
        Event.objects.filter(exam=exam).delete()
    Event.objects.bulk_create(
        [
            Event(
                exam=exam,
                report=owner.get(id(event)),
                started=_aware(event.started),
                **{name: getattr(event, name) for name in EVENT_COLUMNS if name != "started"},
            )
            for event in _unique_uids(events)
        ]
    )


def _unique_uids(events: list) -> list:
    """Give events without an Irradiation Event UID a stable key within the exam."""
    seen: set[str] = set()
    for index, event in enumerate(events):
        if not event.uid or event.uid in seen:
            event.uid = f"{event.uid or 'event'}#{index}"
        seen.add(event.uid)
    return events


def _apply_patient(exam: Exam, report: DoseReport) -> None:
    patient = report.patient
    exam.is_test = is_test_patient(patient.name, patient.patient_id, config.test_patient_pattern())
    exam.patient_key = pseudonymise(
        patient.patient_id, patient.issuer, config.secret("patient_hash_key")
    )
    if config.keep_clear_identifiers():
        exam.patient_id, exam.patient_name = patient.patient_id, patient.name
    else:
        exam.patient_id = exam.patient_name = ""
    for field in ("age_years", "weight_kg", "height_m"):
        value = getattr(patient, field)
        if value is not None:
            setattr(exam, field, value)
    if patient.sex:
        exam.sex = patient.sex


def store_report(report: DoseReport, data: bytes, original_name: str = "") -> str:
    """Store a read report and its source bytes; return "imported", "replaced" or "duplicate"."""
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        existing = Report.objects.filter(sop_instance_uid=report.sop_instance_uid).first()
        if existing is not None and existing.sha256 == digest:
            return DUPLICATE
        archive_path = archive_report(data, report, digest)
        device = _device_for(report)
        exam = Exam.objects.filter(study_uid=report.study_uid).first()
        fresh = exam is None
        if exam is None:
            exam = Exam(study_uid=report.study_uid)
        previous_exam_id = existing.exam_id if existing is not None else None
        if fresh or _MODALITY_RANK.get(report.modality, 0) >= _MODALITY_RANK.get(exam.modality, 0):
            exam.device = device
            exam.modality = report.modality
        exam.accession_number = report.accession_number or exam.accession_number
        exam.study_date = report.study_date or exam.study_date
        exam.study_time = report.study_time or exam.study_time
        exam.procedure = report.procedure or exam.procedure
        _apply_patient(exam, report)
        row = existing or Report(sop_instance_uid=report.sop_instance_uid)
        row.sop_class_uid = report.sop_class_uid
        row.source = report.source
        row.modality = report.modality
        row.content_datetime = _aware(report.content_datetime)
        row.sha256 = digest
        row.archive_path = archive_path
        row.original_name = original_name
        row.event_count = len(report.events)
        row.warnings = "\n".join(report.warnings)
        parsed = _reports_of(exam, report, row)
        if fresh:
            exam.save()
        row.exam = exam
        row.save()
        _rebuild_exam(exam, parsed, fresh=fresh)
        _remember(digest, report)
        if previous_exam_id is not None and previous_exam_id != exam.pk:
            _rebuild_or_delete(previous_exam_id)
    _announce(exam.pk)
    return REPLACED if existing is not None else IMPORTED


def _announce(exam_id: int) -> None:
    """Send :data:`exam_stored`; a receiver that raises is logged, the exam stays stored."""
    for receiver, error in exam_stored.send_robust(sender=Exam, exam_id=exam_id):
        if isinstance(error, Exception):
            logging.getLogger(__name__).error(
                "after storing exam %s, %r failed: %s", exam_id, receiver, error
            )


def _rebuild_or_delete(exam_id: int) -> None:
    """Rebuild an exam that lost a report to another study, or delete it if it has none left."""
    exam = Exam.objects.filter(pk=exam_id).first()
    if exam is None:
        return
    rows = list(exam.reports.order_by("received_at", "id"))
    if not rows:
        exam.delete()
        return
    newest = _report_from_archive(rows[-1])
    if newest is not None:
        _rebuild_exam(exam, _reports_of(exam, newest, rows[-1]), fresh=False)
