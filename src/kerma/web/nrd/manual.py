"""Manual entry of an NRD evaluation: typed, pasted or spreadsheet rows → a stored evaluation.

A unit without a dose archive types (or pastes, or imports from a CSV/XLSX file) one row per
patient. :func:`parse_rows` reads them — a header naming the columns, ``,`` or ``;`` (or tab)
separated, decimal comma accepted — into typed :class:`~kerma.nrd.records.ExamRecord` objects;
:func:`run_manual_evaluation` runs the same rules as the ORM-based evaluations (eligibility,
consecutive sample, medians, comparison) and :func:`save_manual_evaluation` stores the snapshot
through the same audited save, marked as manually entered.

Columns (header names, English or French, case and accents ignored; the unit in brackets):

- ``date`` (YYYY-MM-DD or DD/MM/YYYY), optional ``time`` (HH:MM[:SS]);
- ``age`` (years), ``sex`` (optional: M, F, O), ``weight`` (kg);
- ``height``: ``(cm)`` or ``(m)``; without a unit, metres when every value is ≤ 3, centimetres
  when every value is ≥ 50, otherwise an error;
- the quantities of the act's family, in the decision's unit when the header has none: CT
  ``CTDIvol (mGy)``, ``DLP (mGy·cm)``; radiography/dental ``DAP (mGy·cm²)`` (or ``Gy·cm²``,
  ``cGy·cm²``, ``µGy·m²`` named in the header); mammography ``AGD (mGy)``; interventional
  ``DAP (Gy·cm²)`` and ``fluoro time (min)`` (or ``s``); nuclear medicine ``activity (MBq)``.

An unknown unit or column is an error, never a guess; every error names its row (the line of
the text, the header being row 1) and its column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from kerma.nrd import Acquisition, Administration, ExamRecord, evaluate
from kerma.nrd.rules import EVALUATED_QUANTITIES
from kerma.reference.tables import Act
from kerma.reference.vocabulary import PER_ACQUISITION, PER_PROCEDURE, Family, Population
from kerma.units import bmi
from kerma.web.audit.log import jsonable
from kerma.web.dose.models import Device
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.references import reference_for_act
from kerma.web.nrd.services import EvaluationRun, StreamStats, _content, device_family

SOURCE = "manual entry"

#: column key → accepted header names (normalised: lower case, no accents, single spaces)
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "study date", "date examen", "date de l'examen", "jour"),
    "time": ("time", "heure", "study time"),
    "age": ("age", "age (ans)", "age years"),
    "sex": ("sex", "sexe", "gender"),
    "weight": ("weight", "poids", "masse"),
    "height": ("height", "taille", "size"),
    "ctdivol": ("ctdivol", "ctdi vol", "ctdi"),
    "dlp": ("dlp", "pdl"),
    "dap": ("dap", "pds", "pka", "kap", "dap total", "pds total"),
    "agd": ("agd", "dgm", "mgd"),
    "fluoro_time": (
        "fluoro time",
        "fluoroscopy time",
        "fluoro",
        "temps de scopie",
        "temps scopie",
        "scopie",
        "temps",
    ),
    "activity": ("activity", "activite", "activite administree", "administered activity"),
}

#: quantity columns each family needs (the decision's quantities)
FAMILY_COLUMNS: dict[Family, tuple[str, ...]] = {
    Family.CT: ("ctdivol", "dlp"),
    Family.RADIOGRAPHY: ("dap",),
    Family.DENTAL: ("dap",),
    Family.MAMMOGRAPHY: ("agd",),
    Family.INTERVENTIONAL: ("dap", "fluoro_time"),
    Family.NUCLEAR_MEDICINE: ("activity",),
}

#: accepted units per column: normalised unit → factor to the record's unit
_DAP_TO_GYCM2 = {"gy.cm2": 1.0, "mgy.cm2": 1e-3, "cgy.cm2": 1e-2, "dgy.cm2": 0.1, "ugy.m2": 1e-2}
UNITS: dict[str, dict[str, float]] = {
    "age": {"years": 1.0, "year": 1.0, "y": 1.0, "ans": 1.0, "an": 1.0, "a": 1.0},
    "weight": {"kg": 1.0},
    "height": {"m": 1.0, "cm": 0.01},
    "ctdivol": {"mgy": 1.0},
    "dlp": {"mgy.cm": 1.0, "gy.cm": 1000.0},
    "dap": _DAP_TO_GYCM2,
    "agd": {"mgy": 1.0},
    "fluoro_time": {"min": 60.0, "mn": 60.0, "s": 1.0, "sec": 1.0},
    "activity": {"mbq": 1.0, "gbq": 1000.0},
}
#: the unit a column has when its header names none (the decision's units)
DEFAULT_UNITS: dict[str, str] = {
    "age": "years",
    "weight": "kg",
    "ctdivol": "mgy",
    "dlp": "mgy.cm",
    "agd": "mgy",
    "fluoro_time": "min",
    "activity": "mbq",
}
_UNIT_LABELS = {
    "ctdivol": "CTDIvol (mGy)",
    "dlp": "DLP (mGy·cm)",
    "agd": "AGD (mGy)",
    "fluoro_time": "fluoro time (min)",
    "activity": "activity (MBq)",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of the typed rows: its row (1 = header; 0 = the whole entry) and column."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ManualEntryError(ValueError):
    """The rows cannot be read: :attr:`errors` lists every problem found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass
class ParsedRows:
    """The typed records (in entry order), the raw rows as typed and the header."""

    records: list[ExamRecord]
    raw: list[dict[str, Any]]
    header: list[str]
    units: dict[str, str] = field(default_factory=dict)


def expected_header(family: Family) -> str:
    """Return a header line a user can copy for ``family`` (``;``-separated)."""
    quantities = []
    for key in FAMILY_COLUMNS[family]:
        if key == "dap":
            unit = "Gy·cm²" if family is Family.INTERVENTIONAL else "mGy·cm²"
            quantities.append(f"DAP ({unit})")
        else:
            quantities.append(_UNIT_LABELS[key])
    return ";".join(["date", "age (years)", "sex", "weight (kg)", "height (cm)", *quantities])


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.replace("_", " ")).strip().lower()


def _norm_unit(text: str) -> str:
    text = text.replace("µ", "u").replace("μ", "u").replace("²", "2")
    text = text.replace("·", ".").replace("*", ".").replace("×", ".").replace(" ", "")
    text = text.replace("^", "")
    return text.lower()


_HEADER = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^\)\]]*)[\)\]]\s*$")


def _column(cell: str) -> tuple[str | None, str | None]:
    """Return (column key, unit as typed) of a header cell; key None when unknown."""
    text = cell.strip()
    unit = None
    match = _HEADER.match(text)
    if match:
        text, unit = match["name"], match["unit"].strip()
    name = _norm(text)
    for key, names in COLUMNS.items():
        if name in names:
            return key, unit
    return None, unit


def _number(text: str) -> float:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    return float(cleaned)


def _day(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _clock(text: str) -> time:
    text = text.strip()
    for fmt in ("%H:%M:%S", "%H:%M", "%Hh%M", "%H%M%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a time (HH:MM)")


def split_text(text: str) -> list[list[str]]:
    """Return the cells of pasted or CSV text: ``;``, tab or ``,`` separated (from the header)."""
    lines = text.lstrip("\ufeff").splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    return [list(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]


def read_xlsx(content: bytes) -> list[list[str]]:
    """Return the cells of the first sheet of an XLSX file, as text (dates as ISO dates)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a non-XLSX file
        raise ManualEntryError([RowError(0, "", f"not a readable XLSX file ({exc})")]) from None
    sheet = book.worksheets[0]
    rows: list[list[str]] = []
    for values in sheet.iter_rows(values_only=True):
        cells = []
        for value in values:
            if value is None:
                cells.append("")
            elif isinstance(value, datetime):
                cells.append(
                    value.date().isoformat() if value.time() == time.min else value.isoformat(" ")
                )
            elif isinstance(value, date | time):
                cells.append(value.isoformat())
            else:
                cells.append(str(value))
        rows.append(cells)
    book.close()
    return rows


def read_upload(name: str, content: bytes) -> list[list[str]]:
    """Return the cells of an uploaded ``.csv`` (UTF-8 or Latin-1) or ``.xlsx`` file."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(content)
    if lower.endswith((".csv", ".txt", ".tsv")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
        return split_text(text)
    raise ManualEntryError([RowError(0, "", f"{name}: expected a .csv or .xlsx file")])


def parse_rows(
    cells: Iterable[Sequence[str]],
    act: Act,
    *,
    device_id: str = "",
    period_from: date | None = None,
    period_to: date | None = None,
) -> ParsedRows:
    """Read the rows (header first) into exam records for ``act``; raise ManualEntryError."""
    family = act.family
    rows = [[str(c).strip() for c in row] for row in cells]
    numbered = [(i, row) for i, row in enumerate(rows, start=1) if any(row)]
    if not numbered:
        raise ManualEntryError([RowError(0, "", "no rows: paste a header and one row a patient")])
    header_line, header = numbered[0]
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    typed_units: dict[str, str | None] = {}
    wanted = FAMILY_COLUMNS[family]
    for index, cell in enumerate(header):
        if not cell:
            continue
        key, unit = _column(cell)
        if key is None:
            errors.append(RowError(header_line, cell, "unknown column"))
            continue
        if key in columns:
            errors.append(RowError(header_line, cell, "column given twice"))
            continue
        if key in ("ctdivol", "dlp", "dap", "agd", "fluoro_time", "activity") and key not in wanted:
            errors.append(
                RowError(header_line, cell, f"not a quantity of a {family.value} evaluation")
            )
            continue
        columns[key] = index
        typed_units[key] = unit
    for key in ("date", "age", "weight", *wanted):  # no height: adults are excluded by rule
        if key not in columns and key not in ("fluoro_time", "height"):
            errors.append(
                RowError(header_line, key, f"missing column (expected: {expected_header(family)})")
            )
    factors: dict[str, float] = {}
    units: dict[str, str] = {}
    for key, unit in typed_units.items():
        if key not in UNITS:
            continue
        if not unit:
            if key == "dap":
                unit = "gy.cm2" if family is Family.INTERVENTIONAL else "mgy.cm2"
            elif key == "height":
                continue  # decided from the values below
            else:
                unit = DEFAULT_UNITS[key]
        normal = _norm_unit(unit)
        if normal not in UNITS[key]:
            known = ", ".join(UNITS[key])
            errors.append(
                RowError(header_line, header[columns[key]], f"unknown unit {unit!r} ({known})")
            )
            continue
        factors[key] = UNITS[key][normal]
        units[key] = unit
    if errors:
        raise ManualEntryError(errors)
    body = numbered[1:]
    if not body:
        raise ManualEntryError([RowError(0, "", "a header but no rows")])
    if "height" in columns and "height" not in factors:
        factor = _height_factor(body, columns["height"], header_line, header)
        factors["height"] = factor
        units["height"] = "m" if factor == 1.0 else "cm"
    records: list[ExamRecord] = []
    raw: list[dict[str, Any]] = []
    for line, row in body:
        values: dict[str, Any] = {}
        row_errors = []
        for key, index in columns.items():
            text = row[index] if index < len(row) else ""
            name = header[index]
            if not text:
                if key in ("date", *wanted) and key != "fluoro_time":
                    row_errors.append(RowError(line, name, "empty"))
                values[key] = None
                continue
            try:
                if key == "date":
                    values[key] = _day(text)
                elif key == "time":
                    values[key] = _clock(text)
                elif key == "sex":
                    sex = text.strip().upper()[:1]
                    if sex not in ("M", "F", "O", "H"):
                        raise ValueError(f"{text!r} is not a sex (M, F, O)")
                    values[key] = "M" if sex == "H" else sex
                else:
                    number = _number(text)
                    if number < 0:
                        raise ValueError(f"{text!r} is negative")
                    values[key] = number * factors[key]
            except ValueError as exc:
                message = str(exc)
                if message.startswith("could not convert"):
                    message = f"{text!r} is not a number"
                row_errors.append(RowError(line, name, message))
        day = values.get("date")
        if isinstance(day, date) and (
            (period_from and day < period_from) or (period_to and day > period_to)
        ):
            row_errors.append(
                RowError(line, header[columns["date"]], f"{day} is outside the period")
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        n = len(records) + 1
        records.append(_record(act, n, values, device_id))
        raw.append(
            {
                "row": line,
                "cells": dict(zip([h for h in header if h], row, strict=False)),
                "study_uid": records[-1].study_uid,
            }
        )
    if errors:
        raise ManualEntryError(errors)
    return ParsedRows(records, raw, [h for h in header if h], units)


def _height_factor(
    body: list[tuple[int, list[str]]], index: int, header_line: int, header: list[str]
) -> float:
    numbers = []
    for line, row in body:
        text = row[index] if index < len(row) else ""
        if not text:
            continue
        try:
            numbers.append(_number(text))
        except ValueError:
            raise ManualEntryError(
                [RowError(line, header[index], f"{text!r} is not a number")]
            ) from None
    if numbers and all(v <= 3 for v in numbers):
        return 1.0
    if numbers and all(v >= 50 for v in numbers):
        return 0.01
    return _ambiguous(header_line, header[index])


def _ambiguous(line: int, name: str) -> float:
    raise ManualEntryError(
        [RowError(line, name, "height unit unclear: write 'height (cm)' or 'height (m)'")]
    )


def _record(act: Act, n: int, values: dict[str, Any], device_id: str) -> ExamRecord:
    uid = f"manual-{n:04d}"
    common: dict[str, Any] = {
        "study_uid": uid,
        "study_date": values["date"],
        "study_time": values.get("time"),
        "device_id": device_id,
        "act_code": act.code,
        "procedure": act.code,
        "age_years": values.get("age"),
        "weight_kg": values.get("weight"),
        "height_m": values.get("height"),
    }
    if act.per == PER_ACQUISITION:
        kind = "spiral" if act.family is Family.CT else "stationary"
        acquisition = Acquisition(
            event_uid=f"{uid}-1",
            acquisition_type=kind,
            protocol=act.code,
            ctdivol_mgy=values.get("ctdivol"),
            dlp_mgycm=values.get("dlp"),
            dap_gycm2=values.get("dap"),
            agd_mgy=values.get("agd"),
            act_code=act.code,
        )
        return ExamRecord(**common, acquisitions=(acquisition,))
    if act.per == PER_PROCEDURE:
        return ExamRecord(
            **common, dap_total_gycm2=values.get("dap"), fluoro_time_s=values.get("fluoro_time")
        )
    activity = values.get("activity")
    return ExamRecord(
        **common,
        activity_mbq=activity,
        administrations=(Administration(uid=f"{uid}-1", activity_mbq=activity),),
    )


@dataclass
class ManualRun(EvaluationRun):
    """An evaluation of typed rows: the run, plus the rows as typed."""

    parsed: ParsedRows | None = None
    filename: str = ""


def run_manual_evaluation(
    device: Device,
    act_code: str,
    cells: Iterable[Sequence[str]],
    *,
    population: Population | str = Population.ADULT,
    category: str | None = None,
    period_from: date,
    period_to: date,
    reference_name: str | None = None,
    filename: str = "",
) -> ManualRun:
    """Evaluate typed rows of ``act_code`` on ``device`` with the decision's rules.

    Raises ManualEntryError for unreadable rows, ValueError for an unknown act or weight
    category or a period that ends before it starts.
    """
    if period_to < period_from:
        raise ValueError(f"the period ends ({period_to}) before it starts ({period_from})")
    reference, act = reference_for_act(act_code.strip(), reference_name)
    if act is None:
        raise ValueError(f"act {act_code!r} is in no reference set: check the code")
    if act.family not in FAMILY_COLUMNS or act.family not in EVALUATED_QUANTITIES:
        raise ValueError(f"{act.family.value} acts cannot be entered by hand")
    parsed = parse_rows(
        cells, act, device_id=str(device.pk), period_from=period_from, period_to=period_to
    )
    result = evaluate(
        parsed.records,
        act=act,
        reference_set=reference.reference_set,
        population=population,
        category=category,
        device_id=str(device.pk),
        period_from=period_from,
        period_to=period_to,
    )
    notes = [f"Source: {SOURCE} ({len(parsed.records)} rows typed or imported)"]
    family = device_family(device)
    if family is not None and family != act.family:
        notes.append(
            f"device {device} performs {family.value} acts; {act.code} is a {act.family.value} "
            "act: check the device and the act"
        )
    by_uid = {r.study_uid: r for r in parsed.records}
    rows_by_uid = {r["study_uid"]: r for r in parsed.raw}
    selected = []
    for item in result.selected:
        record = by_uid[item.study_uid]
        raw = rows_by_uid[item.study_uid]
        value = bmi(record.weight_kg, record.height_m)
        data = item.to_dict()
        data["patient"] = {
            "age_years": record.age_years,
            "sex": _cell(raw, "sex"),
            "weight_kg": record.weight_kg,
            "height_m": record.height_m,
            "bmi": None if value is None else round(value, 1),
        }
        data["procedure"] = SOURCE
        data["radionuclide"] = ""
        data["radiopharmaceutical"] = ""
        data["acquisition"] = None
        data["manual_row"] = raw["row"]
        selected.append(jsonable(data))
    return ManualRun(
        evaluation=result,
        device=device,
        reference=reference,
        rules=[],
        selected=selected,
        overrides={},
        excluded_by_user=[],
        stats=StreamStats(rows=len(parsed.records), yielded=len(parsed.records)),
        notes=notes,
        parsed=parsed,
        filename=filename,
    )


def _cell(raw: dict[str, Any], key: str) -> str:
    for name, value in raw["cells"].items():
        if _column(name)[0] == key:
            return str(value).strip().upper()[:1]
    return ""


def manual_record(run: ManualRun, *, by: str, at: datetime | None = None) -> dict[str, Any]:
    """Return what is kept of the entry: source, who, when, file, units and the raw rows."""
    parsed = run.parsed
    assert parsed is not None
    return jsonable(
        {
            "source": SOURCE,
            "entered_by": by,
            "entered_at": at or timezone.now(),
            "filename": run.filename,
            "header": parsed.header,
            "units": parsed.units,
            "rows": parsed.raw,
        }
    )


def save_manual_evaluation(run: ManualRun, *, by: str) -> Evaluation:
    """Store the run as a new draft evaluation (audited, like the others), marked as manual.

    The entry (who, when, file, header, units, raw rows) is kept in ``manual_entry`` and the
    evaluation's ``source`` is ``manual``: it is never re-run from the dose archive.
    """
    content = _content(run)
    excluded = list(content["excluded"])
    rows = {r["study_uid"]: r["row"] for r in run.parsed.raw} if run.parsed else {}
    content["excluded"] = [{**e, "manual_row": rows.get(e.get("study_uid"))} for e in excluded]
    content["source"] = "manual"
    content["manual_entry"] = manual_record(run, by=by)
    evaluation = Evaluation(**content, created_by=by)
    with transaction.atomic():
        evaluation.save(actor=by)
    return evaluation


def is_manual(evaluation: Evaluation) -> bool:
    """True when ``evaluation`` was entered by hand (see :func:`save_manual_evaluation`)."""
    return evaluation.source == "manual"
