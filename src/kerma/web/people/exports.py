"""CSV and XLSX downloads of the registers. No live formula ever: a text cell starting with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is written as text — prefixed with
an apostrophe in CSV, typed as a string in XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Return ``value`` as a CSV cell: None empty, dates ISO, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> HttpResponse:
    """Return a semicolon-separated UTF-8 CSV download (BOM first, for spreadsheets)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file(name, "csv")}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return response


def xlsx_response(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> HttpResponse:
    """Return an XLSX download; every text cell is typed as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in row]
        sheet.append(["" if v is None else v for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "="
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_file(name, "xlsx")}"'
    return response


def download(
    export_format: str, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> HttpResponse:
    """Return the CSV or XLSX download of ``rows``."""
    if export_format == "xlsx":
        return xlsx_response(name, header, rows)
    return csv_response(name, header, rows)


def _file(name: str, extension: str) -> str:
    return f"kerma-{name}-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


TRAINING_HEADER = (
    "name",
    "profession",
    "domains",
    "units",
    "post",
    "certificate_on",
    "validity_years",
    "valid_until",
    "status",
    "organisation",
    "guide",
)


def training_rows(rows: Sequence[Any]) -> list[list[Any]]:
    """Return the training register's rows (one per person) for :data:`TRAINING_HEADER`."""
    out = []
    for row in rows:
        person, status = row.person, row.status
        latest = next(iter(person.certificates.all()), None)  # newest first (Meta.ordering)
        out.append(
            [
                person.name,
                person.profession,
                list(person.domains),
                [u.code for u in person.units.all()],
                person.post,
                status.certificate_on,
                status.years,
                status.valid_until,
                status.status.value,
                latest.organisation if latest else "",
                latest.guide if latest else "",
            ]
        )
    return out


ASSESSMENT_HEADER = (
    "title",
    "unit",
    "procedure",
    "position",
    "volume",
    "volume_source",
    "working_distance_cm",
    "whole_body_msv",
    "extremities_msv",
    "lens_msv",
    "category",
    "over_limit",
    "dose_source",
)


def assessment_rows(assessments: Sequence[Any]) -> list[list[Any]]:
    """Return the assessments' rows for :data:`ASSESSMENT_HEADER`."""
    out = []
    for a in assessments:
        r = a.result or {}
        out.append(
            [
                a.title,
                a.unit.code,
                a.procedure,
                a.position,
                a.volume,
                a.volume_source,
                a.working_distance_cm,
                r.get("whole_body_msv"),
                r.get("extremities_msv"),
                r.get("lens_msv"),
                r.get("category"),
                r.get("over_limit", []),
                a.dose_source,
            ]
        )
    return out


OPERATOR_HEADER = (
    "device",
    "device_id",
    "operator",
    "spellings",
    "roles",
    "exams",
    "first_seen",
    "last_seen",
    "person",
    "missing",
)


def operator_rows(rows: Sequence[Any], devices: dict[str, Any]) -> list[list[Any]]:
    """Return the operators without qualification (:class:`kerma.people.UnrecordedOperator`,
    ``device`` the device id as text) for :data:`OPERATOR_HEADER`; ``devices`` by id text."""
    return [
        [
            str(devices.get(r.device, r.device)),
            int(r.device),
            r.operator,
            list(r.spellings),
            list(r.roles),
            r.exams,
            r.first_seen,
            r.last_seen,
            r.person_name,
            list(r.missing),
        ]
        for r in rows
    ]
