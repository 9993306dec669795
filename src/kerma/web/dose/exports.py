"""The exams list as CSV or XLSX: every exam of the filtered list, in the list's order.

Both stream in bounded memory: exams are read from the database in chunks
(``QuerySet.iterator``), each flattened as ``kerma exams --format csv`` flattens it
(:func:`~kerma.web.dose.queries.exam_row`, :func:`~kerma.web.dose.queries.flat_row`). CSV goes
out line by line as it is produced (``StreamingHttpResponse``); XLSX is written by openpyxl's
write-only workbook (rows go to a temporary file, never kept) into an anonymous temporary file
that is then sent (``FileResponse``) and deleted when closed. Patients appear only by their
pseudonymised key, never by name or ID.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import F, QuerySet
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone

from kerma.dose import TOTAL_KEYS
from kerma.spreadsheet import csv_writer, xlsx_row
from kerma.web.dose.models import Device, Exam
from kerma.web.dose.queries import exam_row, flat_row

EXPORT_FORMATS = ("csv", "xlsx")
#: Exams read from the database at a time.
CHUNK_SIZE = 2000
#: CSV lines sent together (one write to the client per batch rather than per line).
LINES_PER_BATCH = 500
#: Excel's limit is 1 048 576 rows per sheet (one is the header): a longer list continues on
#: further sheets.
XLSX_ROWS_PER_SHEET = 1_048_575
#: Exam columns no export shows: import notes, and the patient's name and ID that a site may
#: have chosen to store (the export names patients by their pseudonymised key only).
UNREAD_COLUMNS = ("notes", "updated_at", "patient_id", "patient_name")

# Units of the columns, from the end of their names (kerma.units naming).
_SUFFIX_UNITS = (
    ("_mgycm", "mGy·cm"),
    ("_gycm2", "Gy·cm²"),
    ("_mgy", "mGy"),
    ("_mbq", "MBq"),
    ("_kg", "kg"),
    ("_years", "years"),
    ("_m", "m"),
    ("_s", "s"),
)


def unit_of(key: str) -> str:
    """Return the unit of an export column from its key ("" for a column without unit)."""
    if key == "patient.bmi":
        return "kg/m²"
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return ""


def export_columns() -> list[str]:
    """Return the keys of the export's columns: the flattened exam row, every total included.

    Taken from :func:`exam_row` itself (of an empty exam), so that the export follows the CLI's
    row when a key is added; totals, which a row holds only when known, are all listed.
    """
    keys = list(flat_row(exam_row(Exam(device=Device()))))
    at = keys.index("main_dose") if "main_dose" in keys else len(keys)
    keys[at:at] = [f"totals.{k}" for k in TOTAL_KEYS if f"totals.{k}" not in keys]
    return keys


def export_headers(keys: list[str]) -> list[str]:
    """Return the column headings: the key, and its unit in brackets where it has one."""
    return [f"{k} ({unit_of(k)})" if unit_of(k) else k for k in keys]


def export_order(queryset: QuerySet[Exam]) -> QuerySet[Exam]:
    """Return ``queryset`` in the list's order: newest first, exams without a date last."""
    return queryset.order_by(F("study_date").desc(nulls_last=True), "-study_time", "-id")


def iter_rows(queryset: QuerySet[Exam], keys: list[str]) -> Iterator[list[Any]]:
    """Yield one list of cell values per exam, aligned with ``keys`` (None when unknown).

    Devices are read once (a unit has tens of them) rather than joined to every exam, and the
    columns a row does not show (notes, the identity a site may store) are not read.
    """
    devices = {d.pk: d for d in Device.objects.all()}
    cache_device = Exam.device.field.set_cached_value
    rows = export_order(queryset.select_related(None)).defer(*UNREAD_COLUMNS)
    for exam in rows.iterator(chunk_size=CHUNK_SIZE):
        cache_device(exam, devices[exam.device_id])
        flat = flat_row(exam_row(exam))
        yield [flat.get(k) for k in keys]


class _Line:
    """A file-like object whose ``write`` returns what it is given (csv.writer → text)."""

    def write(self, text: str) -> str:
        return text


def iter_csv(queryset: QuerySet[Exam]) -> Iterator[bytes]:
    """Yield the CSV export in UTF-8 (BOM first, for spreadsheets), a batch of lines at a time.

    Semicolon-separated like Kerma's other CSV files; numbers keep a decimal point.
    """
    keys = export_columns()
    writer = csv_writer(_Line(), delimiter=";")
    yield ("\ufeff" + writer.writerow(export_headers(keys))).encode()
    booleans = [i for i, k in enumerate(keys) if k == "is_test"]
    batch: list[str] = []
    for row in iter_rows(queryset, keys):
        for i in booleans:
            row[i] = int(row[i])  # 1 / 0 rather than True / False
        batch.append(writer.writerow(row))  # None is written as an empty cell
        if len(batch) >= LINES_PER_BATCH:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def write_xlsx(queryset: QuerySet[Exam], handle: Any) -> int:
    """Write the XLSX export to the binary file ``handle``; return the number of exams.

    openpyxl's write-only workbook keeps no row in memory; dates are real dates.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    keys = export_columns()
    date_columns = {i for i, k in enumerate(keys) if k == "study_date"}
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = None
    rows_in_sheet = count = 0
    for row in iter_rows(queryset, keys):
        if sheet is None or rows_in_sheet >= XLSX_ROWS_PER_SHEET:
            title = "Exams" if sheet is None else f"Exams {len(workbook.worksheets) + 1}"
            sheet = _new_sheet(workbook, title, keys, bold, WriteOnlyCell)
            rows_in_sheet = 0
        for i in date_columns:
            if row[i]:
                row[i] = date.fromisoformat(row[i])
        sheet.append(xlsx_row(sheet, row))
        rows_in_sheet += 1
        count += 1
    if sheet is None:
        _new_sheet(workbook, "Exams", keys, bold, WriteOnlyCell)
    workbook.save(handle)
    return count


def _new_sheet(workbook: Any, title: str, keys: list[str], bold: Any, cell_type: Any) -> Any:
    sheet = workbook.create_sheet(title)
    header = []
    for text in export_headers(keys):
        cell = cell_type(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def export_name(extension: str) -> str:
    """Return the download's file name: ``kerma-exams-<local date and time>.<extension>``."""
    return f"kerma-exams-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


def export_exams(queryset: QuerySet[Exam], export_format: str) -> HttpResponseBase:
    """Return the download of every exam of ``queryset`` as ``csv`` or ``xlsx``.

    CSV streams while it is read; XLSX is complete before its first byte is sent (a ZIP file
    ends with its directory), so it is built in a temporary file, not in memory.
    """
    if export_format == "csv":
        response = StreamingHttpResponse(iter_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_name("csv")}"'
        return response
    if export_format != "xlsx":
        raise ValueError(f"unknown export format {export_format!r}")
    # Deleted when FileResponse closes it, once sent: no context manager can hold it that long.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        write_xlsx(queryset, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_name("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
