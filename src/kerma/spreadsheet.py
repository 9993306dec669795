"""Cells of every CSV and XLSX file Kerma writes, never read by a spreadsheet as a formula.

A device name, a protocol or an analysis text comes from a modality or a user; a spreadsheet
opening the export would run a text starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return before one) as a formula ("CSV injection"). Every export writes its cells
through this module:

- CSV: such a text gets a leading single quote (OWASP's advice), which spreadsheets show as
  text; the rest of the text is unchanged.
- XLSX: such a text is written as a text cell (openpyxl would otherwise store any string that
  starts with ``=`` as a formula); the cell shows the text as it is.

Numbers stay numbers: a number (``-1.5``, or its text as the chart CSV writes it, ``-1.5e-05``)
is not a formula and is written unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# What a spreadsheet reads as the start of a formula (OWASP "CSV Injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

# A plain number written as text (a sign, digits, a decimal point or comma, an exponent).
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def is_formula_like(value: Any) -> bool:
    """Return True when ``value`` is a text a spreadsheet would read as a formula."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_LEADS)
        and _NUMBER.fullmatch(value) is None
    )


def csv_cell(value: Any) -> Any:
    """Return ``value`` for a CSV cell: a formula-like text prefixed with ``'``, else as is."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """Return the cells of one CSV row, each through :func:`csv_cell`."""
    return [csv_cell(value) for value in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows go through :func:`csv_row` (same arguments, same returns)."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row; return what the handle's ``write`` returned (text for a stream)."""
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


def csv_writer(handle: Any, **options: Any) -> SafeCsvWriter:
    """Return a CSV writer on ``handle`` that neutralises formula-like cells."""
    return SafeCsvWriter(handle, **options)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Return the cells of one row for ``sheet.append`` (normal or write-only openpyxl sheet):
    formula-like texts as openpyxl text cells, other values (and cells) unchanged."""
    from openpyxl.cell import Cell

    row = []
    for value in values:
        if is_formula_like(value):
            cell = Cell(sheet, row=1, column=1, value=value)  # placed by append
            cell.data_type = "s"  # text, not the formula openpyxl infers from a leading "="
            value = cell
        row.append(value)
    return row


def csv_cell_sql(expression: str) -> str:
    """Return the DuckDB SQL of the text ``expression`` as :func:`csv_cell` writes it (for a
    CSV written by the database itself): a formula-like text prefixed with ``'``."""
    leads = ", ".join(f"chr({ord(lead)})" for lead in FORMULA_LEADS)
    number = _NUMBER.pattern.replace("'", "''")
    return (
        f"CASE WHEN left({expression}, 1) IN ({leads}) "
        f"AND NOT regexp_full_match({expression}, '{number}') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
