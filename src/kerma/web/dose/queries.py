"""Selecting exams and turning them into plain rows (CLI listing, exports, JSON), and the web
list's filters and keyset pages."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import ExpressionWrapper, F, FloatField, IntegerField, Q, QuerySet, Value
from django.db.models.functions import NullIf

from kerma.dose import TOTAL_KEYS
from kerma.web.dose.models import Device, Event, Exam
from kerma.web.params import as_int

EVENT_FIELDS = [
    f.name
    for f in Event._meta.get_fields()
    if f.concrete and f.name not in ("id", "exam", "report")
]


def select_exams(
    *,
    modalities: Iterable[str] = (),
    since: date | None = None,
    until: date | None = None,
    device: str | None = None,
    include_tests: bool = False,
) -> QuerySet[Exam]:
    """Return the exams matching the filters, newest first (test exams left out by default)."""
    queryset = Exam.objects.select_related("device").order_by("-study_date", "-study_time", "-id")
    modalities = [m for m in modalities if m]
    if modalities:
        queryset = queryset.filter(modality__in=modalities)
    if since is not None:
        queryset = queryset.filter(study_date__gte=since)
    if until is not None:
        queryset = queryset.filter(study_date__lte=until)
    if device:
        match = (
            Q(device__serial_number__iexact=device)
            | Q(device__station_name__iexact=device)
            | Q(device__model__icontains=device)
            | Q(device__display_name__iexact=device)
        )
        if (device_id := as_int(device)) is not None:
            match |= Q(device_id=device_id)
        queryset = queryset.filter(match)
    if not include_tests:
        queryset = queryset.filter(is_test=False)
    return queryset


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def exam_totals(exam: Exam) -> dict[str, Any]:
    """Return the exam's totals that are known, keyed as in ``kerma exams --format json``."""
    totals: dict[str, Any] = {}
    for key in TOTAL_KEYS:
        value = getattr(exam, key)
        if value not in (None, ""):
            totals[key] = _rounded(value)
    return totals


def main_dose(exam: Exam) -> str:
    """Return the exam's headline dose as text with its unit."""
    if exam.dlp_total_mgycm is not None:
        return f"{exam.dlp_total_mgycm:.1f} mGy·cm"
    if exam.agd_left_mgy is not None or exam.agd_right_mgy is not None:
        sides = [
            f"{side} {value:.2f}"
            for side, value in (("L", exam.agd_left_mgy), ("R", exam.agd_right_mgy))
            if value is not None
        ]
        return f"AGD {' / '.join(sides)} mGy"
    if exam.dap_total_gycm2 is not None:
        return f"{exam.dap_total_gycm2:.4g} Gy·cm²"
    if exam.activity_mbq is not None:
        return f"{exam.activity_mbq:.0f} MBq"
    return ""


def exam_row(exam: Exam, events: list[Event] | None = None) -> dict[str, Any]:
    """Return an exam as the plain dict of ``kerma exams --format json``."""
    device = exam.device
    bmi = exam.bmi
    row: dict[str, Any] = {
        "id": exam.pk,
        "study_uid": exam.study_uid,
        "accession_number": exam.accession_number,
        "study_date": exam.study_date.isoformat() if exam.study_date else None,
        "study_time": exam.study_time or None,
        "modality": exam.modality,
        "device": {
            "id": device.pk,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "serial_number": device.serial_number,
            "station_name": device.station_name,
            "category": device.category,
            "label": str(device),
        },
        "patient": {
            "key": exam.patient_key,
            "age_years": None if exam.age_years is None else round(exam.age_years, 2),
            "sex": exam.sex or None,
            "weight_kg": exam.weight_kg,
            "height_m": exam.height_m,
            "bmi": None if bmi is None else round(bmi, 1),
        },
        "procedure": exam.procedure,
        "is_test": exam.is_test,
        "events": exam.event_count,
        "totals": exam_totals(exam),
        "main_dose": main_dose(exam),
    }
    if events is not None:
        row["event_list"] = [
            {k: _rounded(getattr(e, k)) for k in EVENT_FIELDS if getattr(e, k) not in (None, "")}
            for e in events
        ]
    return row


def exam_rows(queryset: QuerySet[Exam], *, with_events: bool = False) -> list[dict[str, Any]]:
    """Return the rows of the selected exams, with their events when asked."""
    exams = list(queryset)
    by_exam: dict[int, list[Event]] = {}
    if with_events:
        for event in Event.objects.filter(exam__in=[e.pk for e in exams]).order_by(
            "exam_id", "started", "id"
        ):
            by_exam.setdefault(event.exam_id, []).append(event)
    return [exam_row(e, by_exam.get(e.pk, []) if with_events else None) for e in exams]


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """Return an exam row flattened for CSV (nested keys joined with a dot; events counted)."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key == "event_list":
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


# --- the web list: filters and keyset pages ---------------------------------------------

#: Range filters on exam columns: name → column (inclusive bounds, in the column's unit).
#: ``bmi`` is computed from weight and height; ``agd_mgy`` matches either breast.
RANGE_COLUMNS = {
    "age_years": "age_years",
    "weight_kg": "weight_kg",
    "height_m": "height_m",
    "bmi": "bmi",
    "dap_total_gycm2": "dap_total_gycm2",
    "dlp_total_mgycm": "dlp_total_mgycm",
    "ctdivol_max_mgy": "ctdivol_max_mgy",
    "kar_total_mgy": "kar_total_mgy",
    "agd_mgy": "agd_mgy",
    "activity_mbq": "activity_mbq",
}


@dataclass(frozen=True)
class ExamFilters:
    """What the exams list is narrowed to (every criterion optional; bounds inclusive).

    ``ranges`` maps a key of :data:`RANGE_COLUMNS` to ``(low, high)``, either None; ``act`` is
    an NRD act code, matched through the protocol mappings exactly as the NRD evaluations map
    procedure names; ``protocol`` is text the procedure name contains (case-insensitive).
    """

    modality: str = ""
    device_id: int | None = None
    since: date | None = None
    until: date | None = None
    act: str = ""
    protocol: str = ""
    sex: str = ""
    include_tests: bool = False
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


def _range(column: str, low: float | None, high: float | None) -> Q:
    bounds: dict[str, float] = {}
    if low is not None:
        bounds[f"{column}__gte"] = low
    if high is not None:
        bounds[f"{column}__lte"] = high
    return Q(**bounds)


def distinct_procedures(device_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Return each device's distinct procedure names (all devices when ``device_ids`` is None).

    One recursive query that hops from name to name along the (device, procedure) index: a few
    index look-ups per name instead of reading every exam (a million exams hold a few hundred
    names).
    """
    table = Exam._meta.db_table
    devices = Device._meta.db_table
    where, params = "", []
    if device_ids is not None:
        ids = [int(i) for i in device_ids]
        if not ids:
            return {}
        where = f"WHERE d.id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    sql = (
        "WITH RECURSIVE names(device_id, name) AS ("
        f' SELECT d.id, (SELECT MIN(e."procedure") FROM {table} e WHERE e.device_id = d.id)'
        f" FROM {devices} d {where}"
        " UNION ALL"
        ' SELECT n.device_id, (SELECT MIN(e."procedure") FROM '
        f'{table} e WHERE e.device_id = n.device_id AND e."procedure" > n.name)'
        " FROM names n WHERE n.name IS NOT NULL"
        ") SELECT device_id, name FROM names WHERE name IS NOT NULL"
    )
    result: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for device_id, name in cursor.fetchall():
            result.setdefault(device_id, []).append(name)
    return result


def distinct_modalities() -> list[str]:
    """Return the modality codes stored, sorted (a hop per code along the modality index)."""
    table = Exam._meta.db_table
    sql = (
        "WITH RECURSIVE codes(code) AS ("
        f" SELECT MIN(modality) FROM {table}"
        f" UNION ALL SELECT (SELECT MIN(modality) FROM {table} WHERE modality > c.code)"
        " FROM codes c WHERE c.code IS NOT NULL"
        ") SELECT code FROM codes WHERE code IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [code for (code,) in cursor.fetchall() if code]


def act_filter(act_code: str, device_ids: Iterable[int] | None = None) -> Q:
    """Return the condition keeping the exams whose procedure name maps to ``act_code``.

    The names are mapped by the NRD's own :class:`~kerma.nrd.ProtocolMapper` with the stored
    rules (``kerma.web.nrd.services.protocol_mapper``), device by device, as an evaluation maps
    them; the condition lists the matching names of each device. It reads the device through
    the ``list_device`` alias (see :func:`with_list_device`), which no index serves: the
    database then walks the list's order and checks each exam, instead of collecting every exam
    of the act through the (device, procedure) index and sorting them all.
    """
    # An allowed dose → nrd import (issue 10): the list filters by NRD act, which the NRD maps.
    from kerma.web.nrd.services import protocol_mapper

    mapper = protocol_mapper()  # every rule: the mapper keeps a device's own rules to it
    match = Q(pk__in=[])
    for device_id, names in distinct_procedures(device_ids).items():
        mapped = [n for n in names if mapper.act_for(str(device_id), n) == act_code]
        if mapped:
            match |= Q(list_device=device_id, procedure__in=mapped)
    return match


def with_list_device(queryset: QuerySet[Exam]) -> QuerySet[Exam]:
    """Return ``queryset`` with the alias ``list_device``: the device id as an expression.

    A condition on it is not served by an index, so that a page keeps reading the list's order
    (date, time, id) rather than gathering the rows of a device list and sorting them.
    """
    if "list_device" in queryset.query.annotations:
        return queryset
    return queryset.alias(
        list_device=ExpressionWrapper(F("device_id") + 0, output_field=IntegerField())
    )


def filter_exams(
    queryset: QuerySet[Exam], filters: ExamFilters, *, device_ids: Iterable[int] | None = None
) -> QuerySet[Exam]:
    """Return ``queryset`` narrowed by ``filters`` (``device_ids``: the devices the user sees,
    used to limit the act's name look-up; None for every device)."""
    if filters.modality:
        queryset = queryset.filter(modality=filters.modality)
    if filters.device_id is not None:
        queryset = queryset.filter(device_id=filters.device_id)
    if filters.since is not None:
        queryset = queryset.filter(study_date__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(study_date__lte=filters.until)
    if filters.protocol:
        queryset = queryset.filter(procedure__icontains=filters.protocol)
    if filters.sex:
        queryset = queryset.filter(sex=filters.sex)
    if not filters.include_tests:
        queryset = queryset.filter(is_test=False)
    if filters.act:
        scope = [filters.device_id] if filters.device_id is not None else device_ids
        queryset = with_list_device(queryset).filter(act_filter(filters.act, scope))
    for key, (low, high) in filters.ranges.items():
        if low is None and high is None:
            continue
        if key == "bmi":
            # As kerma.units.bmi: unknown unless weight and height are positive.
            queryset = queryset.filter(weight_kg__gt=0, height_m__gt=0).alias(
                bmi_value=ExpressionWrapper(
                    F("weight_kg") / NullIf(F("height_m") * F("height_m"), Value(0.0)),
                    output_field=FloatField(),
                )
            )
            queryset = queryset.filter(_range("bmi_value", low, high))
        elif key == "agd_mgy":
            queryset = queryset.filter(
                _range("agd_left_mgy", low, high) | _range("agd_right_mgy", low, high)
            )
        elif key == "age_years" and high is not None:
            # Ages in whole years: "up to 17" keeps a child of 17 years and 11 months.
            queryset = queryset.filter(_range("age_years", low, None), age_years__lt=high + 1)
        else:
            queryset = queryset.filter(_range(RANGE_COLUMNS[key], low, high))
    return queryset


# Keyset pages: exams in (study date, study time, id) order, newest first; exams without a date
# come after the dated ones. A page is read from a cursor (the first or last exam of the page
# next to it) with an index range, so that page 1000 costs what page 1 does (OFFSET would read
# every exam before it).

_DATED_KEYS = ("study_date", "study_time", "id")
_UNDATED_KEYS = ("study_time", "id")


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the sort key of one exam."""

    study_date: date | None
    study_time: str
    id: int

    @classmethod
    def of(cls, exam: Exam) -> Cursor:
        """Return the cursor of ``exam``."""
        return cls(exam.study_date, exam.study_time or "", exam.pk)

    def encode(self) -> str:
        """Return the cursor as URL text: ``date~time~id`` (date empty when unknown)."""
        day = self.study_date.isoformat() if self.study_date else ""
        return f"{day}~{self.study_time}~{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """Return the cursor of URL text made by :meth:`encode`, or None when malformed."""
        if not text or text.count("~") < 2:
            return None
        day, rest = text.split("~", 1)
        time_text, _sep, pk = rest.rpartition("~")
        try:
            return cls(date.fromisoformat(day) if day else None, time_text, int(pk))
        except ValueError:
            return None


def _beyond(keys: tuple[str, ...], values: tuple[Any, ...], newer: bool) -> Q:
    """Rows strictly after ``values`` in newest-first order (``newer`` False), or before it.

    The first key also gets a plain bound so that the database reads an index range.
    """
    op = "gt" if newer else "lt"
    match = Q(pk__in=[])
    for i, key in enumerate(keys):
        equal = {k: v for k, v in zip(keys[:i], values[:i], strict=True)}
        match |= Q(**equal, **{f"{key}__{op}": values[i]})
    return Q(**{f"{keys[0]}__{op}e": values[0]}) & match


def _segment(
    queryset: QuerySet[Exam], dated: bool, cursor: Cursor | None, newer: bool, limit: int
) -> list[Exam]:
    keys = _DATED_KEYS if dated else _UNDATED_KEYS
    rows = queryset.filter(study_date__isnull=not dated)
    if cursor is not None:
        values = (cursor.study_date, cursor.study_time, cursor.id)
        rows = rows.filter(_beyond(keys, values if dated else values[1:], newer))
    order = keys if newer else tuple(f"-{k}" for k in keys)
    return list(rows.order_by(*order)[:limit])


@dataclass
class KeysetPage:
    """One page of exams, newest first, with what the links to its neighbours need."""

    exams: list[Exam]
    has_next: bool
    has_previous: bool
    size: int

    @property
    def next_cursor(self) -> str:
        """The ``after`` parameter of the next page ("" when there is none)."""
        return Cursor.of(self.exams[-1]).encode() if self.has_next and self.exams else ""

    @property
    def previous_cursor(self) -> str:
        """The ``before`` parameter of the previous page ("" when there is none)."""
        return Cursor.of(self.exams[0]).encode() if self.has_previous and self.exams else ""


def keyset_page(
    queryset: QuerySet[Exam],
    *,
    size: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
    last: bool = False,
) -> KeysetPage:
    """Return the page of ``size`` exams after the cursor ``after`` (older exams), before the
    cursor ``before`` (newer exams), the last page (``last``), or else the first page.

    One query per page (two on the page where dated exams end and undated ones begin).
    """
    want = size + 1  # one more than shown tells whether there is a further page
    if before is not None or last:
        # Walk backwards (oldest first: undated exams, then dated ones), then turn the page.
        if before is None or before.study_date is None:
            rows = _segment(queryset, False, before, True, want)
            if len(rows) < want:
                rows += _segment(queryset, True, None, True, want - len(rows))
        else:
            rows = _segment(queryset, True, before, True, want)
        more = len(rows) > size
        rows = rows[:size]
        rows.reverse()
        return KeysetPage(rows, has_next=not last, has_previous=more, size=size)
    if after is None or after.study_date is not None:
        rows = _segment(queryset, True, after, False, want)
        if len(rows) < want:
            rows += _segment(queryset, False, None, False, want - len(rows))
    else:
        rows = _segment(queryset, False, after, False, want)
    more = len(rows) > size
    return KeysetPage(rows[:size], has_next=more, has_previous=after is not None, size=size)


def capped_count(queryset: QuerySet[Exam], cap: int | None) -> int:
    """Return the number of rows of ``queryset``, counting no further than ``cap + 1``.

    A count of a million rows reads them all; the list only needs to say "more than 10 000".
    """
    queryset = queryset.order_by()
    return (queryset[: cap + 1] if cap is not None else queryset).count()


def bounded_count(queryset: QuerySet[Exam], cap: int, budget_s: float) -> int | None:
    """Return :func:`capped_count`, or None when counting takes longer than ``budget_s``.

    A selective filter that no index serves (a dose range, say) makes the database read every
    candidate row to count the matches: page 1 is found after a few hundred rows, the count
    may need the whole table. The count is then given up (SQLite: a progress handler
    interrupts it; PostgreSQL: a statement timeout), and the page says "more than one page".
    """
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + budget_s
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 2000)
        try:
            return capped_count(queryset, cap)
        except OperationalError:
            return None
        finally:
            raw.set_progress_handler(None, 0)
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SET LOCAL statement_timeout = %s", [max(1, int(budget_s * 1000))]
                    )
                return capped_count(queryset, cap)
        except OperationalError:
            return None
    return capped_count(queryset, cap)
