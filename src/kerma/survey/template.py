"""The survey template (``docs/survey-template.md``): its columns, and the reading of
contributions — the template as CSV, XLSX or Parquet, and Kerma's NRD evaluation exports — into
rows of the template's columns.

A contribution is anonymised by construction: no patient key, no date finer than the month
(``YYYY-MM``), a facility code instead of names.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kerma.survey.wording import SurveyInputError

# Required columns (a contribution without one of them is refused), in the template's order.
REQUIRED = (
    "facility",
    "specialty",
    "act",
    "dap_gycm2",
    "fluoro_time_min",
    "kar_mgy",
    "images",
    "weight_kg",
    "height_cm",
    "device_manufacturer",
    "device_model",
    "device_year",
    "month",
)
# Optional columns: the rest of the SFPM working group's list (carried, not used by the levels).
OPTIONAL = (
    "act_details",
    "field_size_cm",
    "fluoro_mode",
    "fluoro_rate_per_s",
    "receptor_type",
    "dap_deviation_small_field_pct",
    "dap_deviation_large_field_pct",
    "kar_deviation_last_qc_pct",
    "last_external_qc_month",
    "dose_archive",
    "facility_type",
    "radiographer_present",
)
COLUMNS = REQUIRED + OPTIONAL
NUMERIC = {
    "dap_gycm2",
    "fluoro_time_min",
    "kar_mgy",
    "images",
    "weight_kg",
    "height_cm",
    "device_year",
    "field_size_cm",
    "fluoro_rate_per_s",
    "dap_deviation_small_field_pct",
    "dap_deviation_large_field_pct",
    "kar_deviation_last_qc_pct",
}

# DAP units of an NRD export's header ("PDS (mGy·cm²)"), as factors to Gy·cm².
_DAP_TO_GYCM2 = {"mGy·cm²": 1e-3, "cGy·cm²": 1e-2, "dGy·cm²": 1e-1, "Gy·cm²": 1.0, "µGy·m²": 1e-2}
_TIME_TO_MIN = {"min": 1.0, "s": 1 / 60}
_HEADER_UNIT = re.compile(r"^(?P<name>[^(]+?)\s*\((?P<unit>[^)]+)\)")
_NRD_NAME = re.compile(r"^nrd-\d+-v\d+-(?P<act>.+)-(adult|paediatric)-\d{4}$")


def month_of(value: Any) -> str | None:
    """Return ``YYYY-MM`` of a date, datetime or ISO/French date text; ``None`` otherwise."""
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value or "").strip()
    if m := re.match(r"^(\d{4})-(\d{2})", text):
        return f"{m[1]}-{m[2]}"
    if m := re.match(r"^\d{1,2}/(\d{1,2})/(\d{4})", text):
        return f"{m[2]}-{int(m[1]):02d}"
    return None


def number(value: Any) -> float | None:
    """Return ``value`` as a float (a decimal comma accepted); ``None`` for empty or not a
    number (the survey then says the value is missing or rejects the record)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the rows of the contribution at ``path`` (CSV or XLSX, template or NRD export) as
    dicts of the template's columns. Raises :class:`SurveyInputError` for a file that is
    neither, or a template without its required columns."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        headers, rows = _csv_table(path)
        if "N°" in headers and "Date de l'examen" in headers:
            match = _NRD_NAME.match(path.stem)
            context = {"act": match["act"] if match else None, "facility": path.parent.name}
            yield from _nrd_rows(path, headers, rows, context)
            return
        yield from _template_rows(path, headers, rows)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            if "Patients" in book.sheetnames and "Évaluation" in book.sheetnames:
                context = _nrd_context(book["Évaluation"].iter_rows(values_only=True))
                table = book["Patients"].iter_rows(values_only=True)
                headers = [str(h or "") for h in next(table, ())]
                yield from _nrd_rows(path, headers, table, context)
            else:
                table = book.worksheets[0].iter_rows(values_only=True)
                headers = [str(h or "").strip() for h in next(table, ())]
                yield from _template_rows(path, headers, table)
        finally:
            book.close()
    else:
        raise SurveyInputError("survey.input.unknown_format", file=path.name)


def _csv_table(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    handle = path.open(encoding="utf-8-sig", newline="")
    sample = handle.read(4096)
    handle.seek(0)
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(handle, delimiter=delimiter)
    headers = [h.strip() for h in next(reader, [])]

    def rows() -> Iterator[list[str]]:
        with handle:
            yield from reader

    return headers, rows()


def _template_rows(path: Path, headers: list[str], rows: Any) -> Iterator[dict[str, Any]]:
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise SurveyInputError("survey.input.missing_columns", file=path.name, columns=missing)
    for row in rows:
        if not any(v not in (None, "") for v in row):
            continue
        record = dict(zip(headers, row, strict=False))
        yield {c: _clean(c, record.get(c)) for c in COLUMNS}


def _clean(column: str, value: Any) -> Any:
    if column in NUMERIC:
        return number(value)
    if column in ("month", "last_external_qc_month"):
        return month_of(value)
    text = "" if value is None else str(value).strip()
    return text or None


def _nrd_context(summary: Any) -> dict[str, Any]:
    """Return the facility, act and device of an NRD export's ``Évaluation`` sheet."""
    context: dict[str, Any] = {}
    for row in summary:
        if not row or row[0] is None or len(row) < 2:
            continue
        label, value = str(row[0]), row[1]
        if label == "Unité":
            context["facility"] = str(value or "")
        elif label == "Acte":
            context["act"] = str(value or "").split(" — ")[0].strip()
        elif label.startswith("Fabricant"):
            parts = [p.strip() for p in str(value or "").split(" / ")]
            context["device_manufacturer"] = parts[0] if parts else None
            context["device_model"] = parts[1] if len(parts) > 1 else None
    return context


def _nrd_rows(
    path: Path, headers: list[str], rows: Any, context: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Yield an NRD export's per-patient rows in the template's columns (DAP converted to
    Gy·cm², fluoroscopy time to minutes from the unit in the header)."""
    index = {h: i for i, h in enumerate(headers)}
    dap_column = time_column = None
    dap_factor = time_factor = 1.0
    for header in headers:
        m = _HEADER_UNIT.match(header)
        if m is None:
            continue
        name, unit = m["name"].strip(), m["unit"].strip()
        if name == "PDS / DLP" or name.startswith("PDS"):
            if unit not in _DAP_TO_GYCM2:
                raise SurveyInputError("survey.input.unknown_unit", file=path.name, column=header)
            dap_column, dap_factor = header, _DAP_TO_GYCM2[unit]
        elif name.startswith("Durée de scopie"):
            if unit not in _TIME_TO_MIN:
                raise SurveyInputError("survey.input.unknown_unit", file=path.name, column=header)
            time_column, time_factor = header, _TIME_TO_MIN[unit]

    def cell(row: Any, header: str | None) -> Any:
        if header is None or header not in index or index[header] >= len(row):
            return None
        return row[index[header]]

    from kerma.survey.specialties import specialty_of

    act = context.get("act")
    for row in rows:
        if not row or all(v in (None, "") for v in row):
            continue
        dap = number(cell(row, dap_column))
        time = number(cell(row, time_column))
        record: dict[str, Any] = dict.fromkeys(COLUMNS)
        record.update(
            facility=context.get("facility") or None,
            specialty=specialty_of(cell(row, "Procédure") or act or ""),
            act=act or None,
            act_details=cell(row, "Procédure") or None,
            dap_gycm2=None if dap is None else dap * dap_factor,
            fluoro_time_min=None if time is None else time * time_factor,
            weight_kg=number(cell(row, "Poids (kg)")),
            height_cm=number(cell(row, "Taille (cm)")),
            device_manufacturer=context.get("device_manufacturer"),
            device_model=context.get("device_model"),
            month=month_of(cell(row, "Date de l'examen")),
        )
        yield record


def write(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write ``rows`` (dicts of the template's columns) to ``path`` as CSV (UTF-8 with BOM,
    comma, dot decimals) or XLSX by its extension; return the path. No live formula."""
    from kerma.spreadsheet import csv_writer, xlsx_row

    suffix = path.suffix.lower()
    values = [[row.get(c) for c in COLUMNS] for row in rows]
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows([["" if v is None else v for v in row] for row in values])
        return path
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("survey")
        sheet.append(list(COLUMNS))
        for row in values:
            sheet.append(xlsx_row(sheet, row))
        book.save(path)
        return path
    raise SurveyInputError("survey.input.unknown_format", file=path.name)


def procedure_row(
    *,
    facility: str,
    act: str,
    specialty: str,
    study_date: date | None,
    dap_gycm2: float | None,
    fluoro_time_s: float | None,
    kar_mgy: float | None,
    images: int | None,
    weight_kg: float | None,
    height_m: float | None,
    device: dict[str, Any],
    act_details: str = "",
    last_external_qc: date | None = None,
) -> dict[str, Any]:
    """Return one procedure in the template's columns, anonymised: the month of ``study_date``
    only, the fluoroscopy time in minutes, the height in cm; ``device`` holds ``manufacturer``,
    ``model`` and ``year``."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        facility=facility,
        specialty=specialty,
        act=act,
        act_details=act_details or None,
        dap_gycm2=dap_gycm2,
        fluoro_time_min=None if fluoro_time_s is None else round(fluoro_time_s / 60, 4),
        kar_mgy=kar_mgy,
        images=images,
        weight_kg=weight_kg,
        height_cm=None if height_m is None else round(height_m * 100, 1),
        device_manufacturer=device.get("manufacturer") or None,
        device_model=device.get("model") or None,
        device_year=device.get("year"),
        month=month_of(study_date),
        last_external_qc_month=month_of(last_external_qc),
        dose_archive="yes",
    )
    return row
