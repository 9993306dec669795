"""CSV and XLSX exports of the quality registers (the rows a page shows, nothing more).

Spreadsheets never carry live formulas: a text that starts like one (``=``, ``+``, ``-``,
``@``) is stored as text in XLSX and prefixed with a quote in CSV, so opening an export never
runs what a user typed.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Any]  # (key, header label)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value


def csv_bytes(rows: Iterable[dict[str, Any]], columns: Sequence[Column]) -> bytes:
    """Return the rows as CSV (``;``-separated, UTF-8 with BOM for spreadsheet programs)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(label) for _key, label in columns])
    for row in rows:
        cells = []
        for key, _label in columns:
            value = _plain(row.get(key))
            if value is None:
                value = ""
            if isinstance(value, (date, datetime)):
                value = value.isoformat()
            text = str(value)
            cells.append("'" + text if text.startswith(FORMULA_START) else text)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[dict[str, Any]], columns: Sequence[Column], title: str) -> bytes:
    """Return the rows as an XLSX workbook of one sheet (dates as dates, text never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    header = []
    for _key, label in columns:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for key, _label in columns:
            value = _plain(row.get(key))
            if isinstance(value, str) and len(value) == 10 and value.count("-") == 2:
                with contextlib.suppress(ValueError):
                    value = date.fromisoformat(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never "f": what a user typed is not run
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(
    rows: list[dict[str, Any]], columns: Sequence[Column], export_format: str, name: str
) -> HttpResponse:
    """Return the rows as a CSV or XLSX attachment named ``name``."""
    stamp = date.today().isoformat()
    if export_format == "xlsx":
        response = HttpResponse(xlsx_bytes(rows, columns, name), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="kerma-{name}-{stamp}.xlsx"'
        return response
    response = HttpResponse(csv_bytes(rows, columns), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kerma-{name}-{stamp}.csv"'
    return response
