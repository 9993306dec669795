"""Exams to records: one device's exams of a period streamed to the core as ExamRecords."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from kerma.nrd import Acquisition, Administration, ExamRecord, ProtocolMapper
from kerma.reference.vocabulary import Family
from kerma.web.dose.models import Event, Exam

# The kind of event rows an act's family reads (None: per-procedure totals, no event needed).
EVENT_KIND: dict[Family, str | None] = {
    Family.CT: "ct",
    Family.RADIOGRAPHY: "projection",
    Family.DENTAL: "projection",
    Family.MAMMOGRAPHY: "projection",
    Family.INTERVENTIONAL: None,
    Family.NUCLEAR_MEDICINE: "nm",
}

EXAM_COLUMNS = (
    "id",
    "study_uid",
    "study_date",
    "study_time",
    "procedure",
    "age_years",
    "weight_kg",
    "height_m",
    "dap_total_gycm2",
    "fluoro_time_s",
    "activity_mbq",
)
ACQUISITION_COLUMNS = (
    "exam_id",
    "uid",
    "acquisition_type",
    "event_type",
    "protocol",
    "started",
    "ctdivol_mgy",
    "dlp_mgycm",
    "phantom_cm",
    "dap_gycm2",
    "agd_mgy",
)
ADMINISTRATION_COLUMNS = ("exam_id", "uid", "activity_mbq", "radiopharmaceutical", "started")
FIRST_WINDOW_DAYS = 16
MAX_WINDOW_DAYS = 512
_TIME = re.compile(r"^(\d{2}):?(\d{2})?:?(\d{2})?(?:[.,](\d{1,6}))?$")


def parse_study_time(text: str | None) -> time | None:
    """Return the time of a DICOM TM (``HHMMSS.ffffff``, ``HHMM``, ``HH:MM:SS``), or None."""
    if not text:
        return None
    match = _TIME.match(text.strip())
    if not match:
        return None
    hh, mm, ss, frac = match.groups()
    try:
        return time(
            int(hh), int(mm or 0), min(int(ss or 0), 59), int((frac or "0").ljust(6, "0")[:6])
        )
    except ValueError:
        return None


@dataclass
class StreamStats:
    """What :func:`iter_exam_records` read: windows (queries), exam rows, records yielded."""

    windows: int = 0
    rows: int = 0
    yielded: int = 0
    exam_ids: dict[str, int] = field(default_factory=dict)


def iter_exam_records(
    device_id: int,
    act_code: str,
    family: Family,
    mapper: ProtocolMapper,
    period_from: date,
    period_to: date,
    *,
    stats: StreamStats | None = None,
    first_window_days: int = FIRST_WINDOW_DAYS,
) -> Iterator[ExamRecord]:
    """Yield the device's exams of [period_from, period_to] for an evaluation of ``act_code``.

    Exams come in the core's chronological order (date, time — unknown first —, study UID),
    read window by window (16 days, then doubling) with only the columns the rules need; test
    exams are left out by the query. Only exams mapped to the act (with their acquisitions or
    administrations) and exams mapped to no act (which the core lists apart) are yielded; names
    are mapped once per name. The caller stops reading by not asking for more.
    """
    stats = stats if stats is not None else StreamStats()
    device_key = str(device_id)
    names: dict[str, str | None] = {}

    def act_of(name: str) -> str | None:
        if name not in names:
            names[name] = mapper.act_for(device_key, name)
        return names[name]

    kind = EVENT_KIND.get(family)
    base = Exam.objects.filter(device_id=device_id, is_test=False)
    start, span = period_from, max(1, first_window_days)
    while start <= period_to:
        end = min(period_to, start + timedelta(days=span - 1))
        rows = list(
            base.filter(study_date__gte=start, study_date__lte=end).values_list(*EXAM_COLUMNS)
        )
        stats.windows += 1
        stats.rows += len(rows)
        start, span = end + timedelta(days=1), min(span * 2, MAX_WINDOW_DAYS)
        keep = [(row, act_of(row[4] or "")) for row in rows]
        keep = [(row, code) for row, code in keep if code is None or code == act_code]
        if not keep:
            continue
        ids = [row[0] for row, code in keep if code == act_code]
        events = _events(ids, kind, act_of) if kind and ids else {}
        records = []
        for row, code in keep:
            (pk, uid, day, tm, procedure, age, weight, height, dap, fluoro, activity) = row
            acquisitions: tuple[Acquisition, ...] = ()
            administrations: tuple[Administration, ...] = ()
            if code is not None and kind == "nm":
                administrations = tuple(events.get(pk, ()))
            elif code is not None and kind:
                acquisitions = tuple(events.get(pk, ()))
            records.append(
                ExamRecord(
                    study_uid=uid,
                    study_date=day,
                    study_time=parse_study_time(tm),
                    device_id=device_key,
                    act_code=code,
                    procedure=procedure or "",
                    age_years=age,
                    weight_kg=weight,
                    height_m=height,
                    acquisitions=acquisitions,
                    dap_total_gycm2=dap,
                    fluoro_time_s=fluoro,
                    activity_mbq=activity,
                    administrations=administrations,
                )
            )
            stats.exam_ids[uid] = pk
        records.sort(key=lambda r: r.sort_key)
        for record in records:
            stats.yielded += 1
            yield record


def _events(
    exam_ids: list[int], kind: str, act_of: Callable[[str], str | None]
) -> dict[int, list[Any]]:
    """Return the acquisitions (or administrations) of the exams, keyed by exam id, in order."""
    result: dict[int, list[Any]] = defaultdict(list)
    columns = ADMINISTRATION_COLUMNS if kind == "nm" else ACQUISITION_COLUMNS
    for chunk_start in range(0, len(exam_ids), 500):
        chunk = exam_ids[chunk_start : chunk_start + 500]
        rows = (
            Event.objects.filter(exam_id__in=chunk, kind=kind)
            .order_by("exam_id", "started", "id")
            .values_list(*columns)
        )
        for row in rows:
            if kind == "nm":
                exam_id, uid, activity, pharmaceutical, started = row
                result[exam_id].append(Administration(uid, activity, pharmaceutical or "", started))
                continue
            (
                exam_id,
                uid,
                acq_type,
                event_type,
                protocol,
                started,
                ctdi,
                dlp,
                phantom,
                dap,
                agd,
            ) = row
            result[exam_id].append(
                Acquisition(
                    event_uid=uid,
                    acquisition_type=(acq_type if kind == "ct" else event_type) or "",
                    protocol=protocol or "",
                    started=started,
                    ctdivol_mgy=ctdi,
                    dlp_mgycm=dlp,
                    phantom_cm=phantom,
                    dap_gycm2=dap,
                    agd_mgy=agd,
                    act_code=act_of(protocol) if protocol else None,
                )
            )
    return result
