"""Manual entry of NRD rows: typed, pasted or spreadsheet cells → :class:`ExamRecord` objects.

A unit without a dose archive types (or pastes, or imports from a CSV/XLSX file) one row per
patient. :func:`parse_rows` reads them — a header naming the columns, ``,`` or ``;`` (or tab)
separated, decimal comma accepted — into typed :class:`~kerma.nrd.records.ExamRecord` objects that
:func:`kerma.nrd.evaluate` takes like any other; :func:`split_text` and :func:`read_upload` turn
pasted text and uploaded files into cells. The shell (``kerma.web.nrd.manual``) runs and stores
the evaluation.

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
the text, the header being row 1) and its column. Nothing here imports Django.
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

from kerma.notices import Notice, notice
from kerma.nrd.records import Acquisition, Administration, ExamRecord
from kerma.nrd.wording import NoticeError, family_word
from kerma.reference.tables import Act
from kerma.reference.vocabulary import PER_ACQUISITION, PER_PROCEDURE, Family

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
    notice: Notice | None = None  # ``message`` as a code, for the shell to word

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _error(row: int, column: str, code: str, **params: Any) -> RowError:
    """Return the problem ``code`` (declared in :mod:`kerma.nrd.wording`) at ``row``/``column``."""
    why = notice(f"nrd.manual.{code}", **params)
    return RowError(row, column, why.text("en"), why)


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
    raise NoticeError("nrd.manual.not_a_date", text=text)


def _clock(text: str) -> time:
    text = text.strip()
    for fmt in ("%H:%M:%S", "%H:%M", "%Hh%M", "%H%M%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise NoticeError("nrd.manual.not_a_time", text=text)


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
        raise ManualEntryError([_error(0, "", "unreadable_xlsx", error=str(exc))]) from None
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
    raise ManualEntryError([_error(0, "", "not_csv_or_xlsx", name=name)])


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
        raise ManualEntryError([_error(0, "", "no_rows")])
    header_line, header = numbered[0]
    columns, typed_units, errors = _header_columns(header, header_line, family)
    factors, units, unit_errors = _unit_factors(typed_units, columns, header, header_line, family)
    errors += unit_errors
    if errors:
        raise ManualEntryError(errors)
    body = numbered[1:]
    if not body:
        raise ManualEntryError([_error(0, "", "header_no_rows")])
    if "height" in columns and "height" not in factors:
        factor = _height_factor(body, columns["height"], header_line, header)
        factors["height"] = factor
        units["height"] = "m" if factor == 1.0 else "cm"
    required = [k for k in ("date", *FAMILY_COLUMNS[family]) if k != "fluoro_time"]
    records: list[ExamRecord] = []
    raw: list[dict[str, Any]] = []
    for line, row in body:
        values: dict[str, Any] = {}
        row_errors = []
        for key, index in columns.items():
            text = row[index] if index < len(row) else ""
            name = header[index]
            values[key] = None
            if not text:
                if key in required:
                    row_errors.append(_error(line, name, "empty"))
                continue
            try:
                values[key] = _cell_value(key, text, factors)
            except NoticeError as exc:
                row_errors.append(RowError(line, name, str(exc), exc.notice))
            except ValueError:  # float() of a cell that is not a number
                row_errors.append(_error(line, name, "not_a_number", text=text))
        day = values.get("date")
        if isinstance(day, date) and (
            (period_from and day < period_from) or (period_to and day > period_to)
        ):
            row_errors.append(
                _error(line, header[columns["date"]], "outside_period", day=day.isoformat())
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        records.append(_record(act, len(records) + 1, values, device_id))
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


def _header_columns(
    header: list[str], header_line: int, family: Family
) -> tuple[dict[str, int], dict[str, str | None], list[RowError]]:
    """Return the header's columns (key → index), the unit typed in each, and its problems."""
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    typed_units: dict[str, str | None] = {}
    wanted = FAMILY_COLUMNS[family]
    for index, cell in enumerate(header):
        if not cell:
            continue
        key, unit = _column(cell)
        if key is None:
            errors.append(_error(header_line, cell, "unknown_column"))
            continue
        if key in columns:
            errors.append(_error(header_line, cell, "column_twice"))
            continue
        if key in ("ctdivol", "dlp", "dap", "agd", "fluoro_time", "activity") and key not in wanted:
            errors.append(
                _error(header_line, cell, "not_a_quantity", family=family_word(family))
            )
            continue
        columns[key] = index
        typed_units[key] = unit
    for key in ("date", "age", "weight", *wanted):  # no height: adults are excluded by rule
        if key not in columns and key not in ("fluoro_time", "height"):
            errors.append(
                _error(header_line, key, "missing_column", expected=expected_header(family))
            )
    return columns, typed_units, errors


def _unit_factors(
    typed_units: dict[str, str | None],
    columns: dict[str, int],
    header: list[str],
    header_line: int,
    family: Family,
) -> tuple[dict[str, float], dict[str, str], list[RowError]]:
    """Return each column's factor to the record's unit, the unit (as typed, or the default),
    and the units no table knows. A height without a unit is decided later, from its values."""
    factors: dict[str, float] = {}
    units: dict[str, str] = {}
    errors: list[RowError] = []
    for key, unit in typed_units.items():
        if key not in UNITS:
            continue
        if not unit:
            if key == "dap":
                unit = "gy.cm2" if family is Family.INTERVENTIONAL else "mgy.cm2"
            elif key == "height":
                continue  # decided from the values
            else:
                unit = DEFAULT_UNITS[key]
        normal = _norm_unit(unit)
        if normal not in UNITS[key]:
            known = ", ".join(UNITS[key])
            errors.append(
                _error(header_line, header[columns[key]], "unknown_unit", unit=unit, known=known)
            )
            continue
        factors[key] = UNITS[key][normal]
        units[key] = unit
    return factors, units, errors


def _cell_value(key: str, text: str, factors: dict[str, float]) -> Any:
    """Return the value of a non-empty cell of column ``key``: a date, a time, a sex letter, or
    a number in the record's unit. Raises NoticeError, or ValueError for a non-number."""
    if key == "date":
        return _day(text)
    if key == "time":
        return _clock(text)
    if key == "sex":
        sex = text.strip().upper()[:1]
        if sex not in ("M", "F", "O", "H"):
            raise NoticeError("nrd.manual.not_a_sex", text=text)
        return "M" if sex == "H" else sex
    number = _number(text)
    if number < 0:
        raise NoticeError("nrd.manual.negative", text=text)
    return number * factors[key]


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
            problem = _error(line, header[index], "not_a_number", text=text)
            raise ManualEntryError([problem]) from None
    if numbers and all(v <= 3 for v in numbers):
        return 1.0
    if numbers and all(v >= 50 for v in numbers):
        return 0.01
    return _ambiguous(header_line, header[index])


def _ambiguous(line: int, name: str) -> float:
    raise ManualEntryError(
        [_error(line, name, "height_unclear")]
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


def cell_of(raw: dict[str, Any], key: str) -> str:
    """Return the first letter (upper case) of the cell of column ``key`` in a raw row, or ``""``.

    ``raw`` is one of :attr:`ParsedRows.raw`; used for the sex, which the records do not carry.
    """
    for name, value in raw["cells"].items():
        if _column(name)[0] == key:
            return str(value).strip().upper()[:1]
    return ""
