"""Storing read dose reports: device, exam, events, archived source — all or nothing.

Reports are stored one transaction at a time, a single one (:func:`store_report`) or a batch
(:func:`store_reports`): an exam is never half-written, and the archived sources are on disk
before the transaction that refers to them commits (one flush per batch). The SOP Instance UID
identifies a report: the same bytes again are a duplicate, other bytes under the same UID
replace it. The exam of a study is rebuilt from all its reports each time one arrives (see
:func:`kerma.exams.combine_reports`): the reports already stored are taken from their rows
(their events, the UIDs and totals each stated), not read again from the archive.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kerma import config
from kerma.archive import ArchiveWriter, read_archived
from kerma.dicom import quirks
from kerma.dicom.deidentify import pseudonymise_object
from kerma.dicom.reader import read_dose_object
from kerma.dose import (
    NUMERIC_TOTAL_KEYS,
    DeviceIdentity,
    DoseObjectError,
    DoseReport,
    distinct_notices,
    stored_notices,
)
from kerma.dose import Event as CoreEvent
from kerma.exams import combine_reports
from kerma.privacy import is_test_patient, pseudonymise
from kerma.web.dose.models import Device, Event, Exam, Participant, Report
from kerma.web.dose.rows import EVENT_COLUMNS, insert_events
from kerma.web.dose.signals import exam_stored

IMPORTED, REPLACED, DUPLICATE = "imported", "replaced", "duplicate"

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


class _Known:
    """What a transaction already read or wrote, so that each report of a batch costs few
    queries: the rows of the batch's SOP Instance UIDs and studies (read at once), and the
    devices seen. One instance per row, so that a row changed twice is saved as it stands."""

    def __init__(self, reports: Sequence[DoseReport]) -> None:
        sops = [report.sop_instance_uid for report in reports]
        studies = list({report.study_uid for report in reports})
        rows = Report.objects.filter(sop_instance_uid__in=sops)
        self.reports: dict[str, Report] = {row.sop_instance_uid: row for row in rows}
        exams = Exam.objects.filter(study_uid__in=studies)
        self.exams: dict[str, Exam] = {exam.study_uid: exam for exam in exams}
        self.devices: dict[str, Device] = {}  # by identity key
        self.devices_by_pk: dict[int, Device] = {}

    def exam_by_pk(self, pk: int) -> Exam | None:
        """Return the exam ``pk`` (the instance known here, if any)."""
        for exam in self.exams.values():
            if exam.pk == pk:
                return exam
        return Exam.objects.filter(pk=pk).first()

    def forget_exam(self, exam: Exam) -> None:
        self.exams.pop(exam.study_uid, None)


def _remember_values(device: Device) -> None:
    device._loaded_values = {  # noqa: SLF001 - remembered to skip needless saves
        name: getattr(device, name) for name in _DEVICE_FIELDS + ("identity_key", "category")
    }


def _known_device(identity: DeviceIdentity, known: _Known) -> Device | None:
    key = identity.key()
    device = known.devices.get(key)
    if device is None:
        device = Device.objects.filter(identity_key=key).first() or _same_names(identity)
        if device is not None:
            if device.pk in known.devices_by_pk:
                device = known.devices_by_pk[device.pk]  # the same row met under another key
            else:
                _remember_values(device)
    return device


def _device_for(report: DoseReport, known: _Known) -> Device:
    identity = report.device
    key = identity.key()
    device = _known_device(identity, known)
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
        _remember_values(device)
    known.devices[key] = device
    known.devices_by_pk[device.pk] = device
    return device


def _report_from_archive(row: Report) -> DoseReport | None:
    try:
        return read_dose_object(read_archived(row.archive_path))
    except (OSError, DoseObjectError):
        return None


def _from_archives(rows: Sequence[Report]) -> list[tuple[Report, DoseReport]]:
    return [(row, report) for row in rows if (report := _report_from_archive(row))]


def _made_up(uid: str) -> bool:
    """True for the key an event without Irradiation Event UID was stored under ("event#3"):
    a DICOM UID holds only digits and dots."""
    return "#" in uid


def _from_rows(
    exam: Exam, rows: Sequence[Report], dropped: int | None
) -> list[tuple[Report, DoseReport]] | None:
    """Return the stored reports ``rows`` of ``exam`` as they were combined: each with its
    events (the stored version of each, taken from the newest report that held it), the totals
    it stated, its modality and warnings; None when the rows cannot tell (stored before they
    kept this, or events missing), or when the report ``dropped`` (replaced or moved away) held
    the stored version of an event another report still holds: then the archive must say.
    """
    if any(row.event_uids is None or row.totals is None for row in rows):
        return None
    by_uid: dict[str, tuple[int | None, CoreEvent]] = {}
    made_up: dict[int | None, list[CoreEvent]] = defaultdict(list)
    stored = Event.objects.filter(exam=exam).order_by("started", "id")
    for values in stored.values("report_id", *EVENT_COLUMNS):
        owner = values.pop("report_id")
        if values["started"] is not None:
            # As the reader gives it: naive, in the installation's time zone.
            values["started"] = timezone.make_naive(values["started"])
        event = CoreEvent(**values)
        if _made_up(event.uid):
            event.uid = ""
            made_up[owner].append(event)
        else:
            by_uid[event.uid] = (owner, event)
    wanted = {uid for row in rows for uid in row.event_uids if uid}
    if dropped is not None and any(
        owner == dropped and uid in wanted for uid, (owner, _) in by_uid.items()
    ):
        return None
    rebuilt = []
    for row in rows:
        own = made_up.get(row.pk, [])
        if any(uid not in by_uid for uid in row.event_uids if uid) or len(own) != sum(
            1 for uid in row.event_uids if not uid
        ):
            return None
        unnamed = iter(own)
        events = [by_uid[uid][1] if uid else next(unnamed) for uid in row.event_uids]
        report = DoseReport(
            sop_instance_uid=row.sop_instance_uid,
            sop_class_uid=row.sop_class_uid,
            source=row.source,
            modality=row.modality,
            study_uid=exam.study_uid,
            events=events,
            totals=dict(row.totals),
            warnings=[w for w in row.warnings.split("\n") if w],
            warning_notices=stored_notices(row.warning_notices, row.warnings.split("\n")),
        )
        rebuilt.append((row, report))
    return rebuilt


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _reports_of(
    exam: Exam,
    newest: DoseReport | None,
    newest_row: Report | None,
    *,
    dropped: int | None = None,
    from_archive: bool = False,
) -> list[tuple[Report, DoseReport]]:
    """Return the exam's reports with their content, oldest first by content date; the report
    being stored (``newest``, when given) comes last among reports of the same date.

    The other reports come from their stored rows (see :func:`_from_rows`), or from their
    archived files when the rows cannot tell or ``from_archive`` is asked (reprocessing).
    """
    others: list[Report] = []
    if exam.pk is not None:
        query = exam.reports.order_by("received_at", "id")
        if newest_row is not None and newest_row.pk is not None:
            query = query.exclude(pk=newest_row.pk)
        others = list(query)
    parsed = None if from_archive or not others else _from_rows(exam, others, dropped)
    if parsed is None:
        parsed = _from_archives(others)
    if newest is not None and newest_row is not None:
        parsed.append((newest_row, newest))
    parsed.sort(key=lambda pair: pair[0].content_datetime or _EARLIEST)
    return parsed


def _rebuild_exam(
    exam: Exam,
    parsed: list[tuple[Report, DoseReport]],
    *,
    fresh: bool,
    row: Report | None = None,
) -> None:
    """Recompute an exam's events and totals from its reports and save them (and ``row``, the
    report being stored, once the exam has its id).

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
    exam.notes = "\n".join(dict.fromkeys([n.text("en") for n in notes] + warnings))
    exam.notices = distinct_notices(
        notes + [n for r in reports for n in stored_notices(r.warning_notices, r.warnings)]
    )
    exam.save()
    if row is not None:
        row.exam = exam
        row.save()
    owner = {id(event): row for row, report in parsed for event in report.events}
    if not fresh:
        Event.objects.filter(exam=exam).delete()
    insert_events(exam, _unique_uids([(owner.get(id(event)), event) for event in events]))


def _unique_uids(
    rows: list[tuple[Report | None, CoreEvent]],
) -> list[tuple[Report | None, CoreEvent]]:
    """Return the rows to store, events without an Irradiation Event UID given a stable key
    within the exam ("event#3"); those are copies: the reports' own events stay as read (a
    batch stored again one by one must combine them as the first time)."""
    seen: set[str] = set()
    unique = []
    for index, (row, event) in enumerate(rows):
        if not event.uid or event.uid in seen:
            event = dataclasses.replace(event, uid=f"{event.uid or 'event'}#{index}")
        seen.add(event.uid)
        unique.append((row, event))
    return unique


def _patient_key(report: DoseReport) -> str:
    """Return the report's keyed patient pseudonym (the Patient ID itself in a copy Kerma
    already pseudonymised)."""
    patient = report.patient
    if patient.pseudonymised:
        return patient.patient_id
    return pseudonymise(patient.patient_id, patient.issuer, config.secret("patient_hash_key"))


def _is_test(report: DoseReport) -> bool:
    patient = report.patient
    return is_test_patient(patient.name, patient.patient_id, config.test_patient_pattern())


def _archived_form(data: bytes, report: DoseReport) -> bytes:
    """Return the bytes to archive: ``data`` pseudonymised (see :mod:`kerma.dicom.deidentify`),
    unless the installation keeps identifiers in clear or the exam is a phantom or test exam
    (no person: its name is what marks it as a test when read again). Bytes pydicom cannot
    rewrite are archived as received (they were read by Kerma's own reader)."""
    if config.keep_clear_identifiers() or report.patient.pseudonymised or _is_test(report):
        return data
    try:
        return pseudonymise_object(data, _patient_key(report), report.patient.age_years)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds; the report is kept
        logging.getLogger(__name__).warning(
            "report %s archived with its identifiers: %s", report.sop_instance_uid, exc
        )
        return data


def _apply_patient(exam: Exam, report: DoseReport) -> None:
    patient = report.patient
    exam.is_test = _is_test(report)
    exam.patient_key = _patient_key(report)
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
    if patient.pregnancy_status:
        exam.pregnancy_status = patient.pregnancy_status


def _store_participants(row: Report, exam: Exam, report: DoseReport, *, replacing: bool) -> None:
    """Write the staff ``report`` names as its row's participants in ``exam`` (those of the
    version it replaces deleted first: a corrected report may name other people)."""
    if replacing:
        Participant.objects.filter(report=row).delete()
    if report.participants:
        Participant.objects.bulk_create(
            Participant(
                exam=exam,
                report=row,
                name=p.name,
                role=p.role,
                source=p.source,
                person_id=p.person_id,
                organization=p.organization,
            )
            for p in report.participants
        )


def _store(
    report: DoseReport,
    data: bytes,
    original_name: str,
    archive: ArchiveWriter,
    known: _Known,
    *,
    from_archive: bool = False,
    digest: str = "",
) -> tuple[str, int | None]:
    """Store one report inside the caller's transaction; return its outcome and the id of the
    exam it changed (None for a duplicate). Its archived copy is written, not yet synced.
    ``digest``: the SHA-256 of the bytes as received, when ``data`` is their archived copy."""
    digest = digest or hashlib.sha256(data).hexdigest()
    existing = known.reports.get(report.sop_instance_uid)
    if existing is not None and existing.sha256 == digest:
        return DUPLICATE, None
    archive_path = archive.put(_archived_form(data, report), report.study_date, digest)
    device = _device_for(report, known)
    exam = known.exams.get(report.study_uid)
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
    row.warning_notices = [n.to_dict() for n in report.warning_notices]
    row.event_uids = [event.uid for event in report.events]
    row.totals = dict(report.totals)
    if fresh:
        parsed = [(row, report)]
    else:
        dropped = existing.pk if existing is not None and previous_exam_id == exam.pk else None
        parsed = _reports_of(exam, report, row, dropped=dropped, from_archive=from_archive)
    _rebuild_exam(exam, parsed, fresh=fresh, row=row)
    _store_participants(row, exam, report, replacing=existing is not None)
    known.reports[row.sop_instance_uid] = row
    known.exams[exam.study_uid] = exam
    if previous_exam_id is not None and previous_exam_id != exam.pk:
        _rebuild_or_delete(previous_exam_id, known, dropped=row.pk, from_archive=from_archive)
    return (REPLACED if existing is not None else IMPORTED), exam.pk


def store_report(
    report: DoseReport,
    data: bytes,
    original_name: str = "",
    *,
    from_archive: bool = False,
    digest: str = "",
) -> str:
    """Store a read report and its source bytes in one transaction; return "imported",
    "replaced" or "duplicate". ``from_archive``: rebuild the exam from the archived files of
    its other reports, not from their rows (reprocessing after a parser change). ``digest``:
    the SHA-256 of the bytes as received when ``data`` is their archived (pseudonymised) copy,
    so that the report keeps its archived file and is still known when sent again."""
    return store_reports(
        [(report, data, original_name)], from_archive=from_archive, digests=[digest]
    )[0]


def store_reports(
    items: Sequence[tuple[DoseReport, bytes, str]],
    *,
    from_archive: bool = False,
    digests: Sequence[str] = (),
) -> list[str]:
    """Store a batch of read reports (report, source bytes, original name) in one transaction,
    their archived copies flushed once before it commits; return each one's outcome, in order.

    Any error rolls the whole batch back and is raised (the caller then stores the reports one
    by one, so that only the faulty one is set aside). :data:`exam_stored` is sent once per
    stored exam, after the commit. ``digests``: for each item, the digest of its bytes as
    received when they are an archived copy (see :func:`store_report`).
    """
    archive = ArchiveWriter()
    outcomes: list[str] = []
    changed: dict[int, None] = {}
    try:
        with transaction.atomic():
            known = _Known([report for report, _, _ in items])
            for index, (report, data, original_name) in enumerate(items):
                outcome, exam_id = _store(
                    report,
                    data,
                    original_name,
                    archive,
                    known,
                    from_archive=from_archive,
                    digest=digests[index] if index < len(digests) else "",
                )
                outcomes.append(outcome)
                if exam_id is not None:
                    changed[exam_id] = None
            archive.sync()
    finally:
        archive.discard()
    for exam_id in changed:
        _announce(exam_id)
    return outcomes


def _announce(exam_id: int) -> None:
    """Send :data:`exam_stored`; a receiver that raises is logged, the exam stays stored."""
    for receiver, error in exam_stored.send_robust(sender=Exam, exam_id=exam_id):
        if isinstance(error, Exception):
            logging.getLogger(__name__).error(
                "after storing exam %s, %r failed: %s", exam_id, receiver, error
            )


def _rebuild_or_delete(
    exam_id: int, known: _Known, *, dropped: int, from_archive: bool = False
) -> None:
    """Rebuild an exam that lost report ``dropped`` to another study, or delete it if it has
    none left."""
    exam = known.exam_by_pk(exam_id)
    if exam is None:
        return
    if not exam.reports.exists():
        known.forget_exam(exam)
        exam.delete()
        return
    parsed = _reports_of(exam, None, None, dropped=dropped, from_archive=from_archive)
    if parsed:
        _rebuild_exam(exam, parsed, fresh=False)
