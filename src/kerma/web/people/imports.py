"""Imports of the people register: the HR spreadsheet and the dosimetry provider's CSV.

**HR spreadsheet** (XLSX or CSV, first row = headers, one person per row; header names are
case-insensitive, French or English):

==================  ===========================  =========================================
column              also accepted                content
==================  ===========================  =========================================
name                nom                          full name (required; the key: an existing
                                                 person of that name is updated)
profession          profession                   a profession code (radiologist, nurse…)
domains             domaines                     domain codes separated by ``,`` or ``;``
units               unites, unités               unit codes separated by ``,`` or ``;``
post                poste                        workstation
email               e-mail, courriel             address for expiry e-mails
arrived_on          arrivee, arrivée             YYYY-MM-DD (or a date cell)
certificate_on      attestation, formation       date of the last training certificate
organisation        organisme                    training organisation
==================  ===========================  =========================================

**Dosimetry CSV** (comma or semicolon separated; decimal point or comma): ``name`` (or
``nom``), ``period_start``, ``period_end`` (or ``debut``/``fin``), ``hp10``, ``hp007``,
``hp3`` in mSv (``Hp(10)``, ``Hp(0,07)``, ``Hp(3)`` headers accepted); an empty cell is "not
measured". A reading for the same person and period replaces the earlier one.

Each row is checked; a bad row is reported with its number and reason and the others are
imported (nothing is dropped silently).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kerma.people import Domain, Profession, is_new_activity
from kerma.web.accounts.models import Unit
from kerma.web.people.models import Certificate, DosimeterReading, Person

HR_ALIASES = {
    "name": ("name", "nom"),
    "profession": ("profession",),
    "domains": ("domains", "domaines"),
    "units": ("units", "unites"),
    "post": ("post", "poste"),
    "email": ("email", "e-mail", "courriel"),
    "arrived_on": ("arrived_on", "arrivee"),
    "certificate_on": ("certificate_on", "attestation", "formation"),
    "organisation": ("organisation", "organisme"),
}
# The template offered for download: the columns and an example row.
HR_TEMPLATE: tuple[tuple[str, ...], ...] = (
    ("name", "profession", "domains", "units", "post", "email", "arrived_on", "certificate_on",
     "organisation"),
    ("Dupont Marie", "radiographer", "ct, radiology", "main", "scanner",
     "marie.dupont@example.org", "2025-09-01", "2023-02-01", "AFPPE"),
)
DOSIMETRY_ALIASES = {
    "name": ("name", "nom"),
    "period_start": ("period_start", "debut", "start"),
    "period_end": ("period_end", "fin", "end"),
    "hp10": ("hp10", "hp(10)"),
    "hp007": ("hp007", "hp(0.07)", "hp(0,07)", "hp0.07", "hp0,07"),
    "hp3": ("hp3", "hp(3)"),
}


@dataclass
class ImportReport:
    """What an import did: rows created, updated, and refused (row number, reason)."""

    created: int = 0
    updated: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "refused": [{"row": n, "reason": r} for n, r in self.refused],
        }


def _key(text: Any) -> str:
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return plain.strip().lower().replace(" ", "_")


def _columns(header: list[Any], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [_key(h) for h in header]
    found = {}
    for name, names in aliases.items():
        for alias in names:
            if alias in keys:
                found[name] = keys.index(alias)
                break
    return found


def read_table(data: bytes, filename: str) -> list[list[Any]]:
    """Return the rows of an XLSX (first sheet) or CSV file (comma or semicolon separated)."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    text = data.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;") if text else csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _codes(value: Any) -> list[str]:
    return [c.strip() for c in str(value or "").replace(";", ",").split(",") if c.strip()]


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    number = float(str(value).strip().replace(",", "."))
    if number < 0:
        raise ValueError(f"negative dose {number}")
    return number


def import_hr(data: bytes, filename: str, allowed_units: list[Unit]) -> ImportReport:
    """Create or update people (and their last certificate) from the HR spreadsheet; units
    outside ``allowed_units`` are refused."""
    rows = read_table(data, filename)
    report = ImportReport()
    if not rows:
        return report
    cols = _columns(rows[0], HR_ALIASES)
    if "name" not in cols:
        report.refused.append((1, "no 'name' column"))
        return report
    by_code = {u.code: u for u in allowed_units}

    def get(row: list[Any], name: str) -> Any:
        return row[cols[name]] if name in cols and cols[name] < len(row) else None

    for number, row in enumerate(rows[1:], start=2):
        name = str(get(row, "name") or "").strip()
        if not name:
            continue
        try:
            profession = str(get(row, "profession") or "other").strip()
            if profession not in set(Profession):
                raise ValueError(f"unknown profession {profession!r}")
            domains = _codes(get(row, "domains"))
            unknown = [d for d in domains if d not in set(Domain)]
            if unknown:
                raise ValueError(f"unknown domain {unknown[0]!r}")
            units = _codes(get(row, "units")) or [u.code for u in allowed_units[:1]]
            foreign = [u for u in units if u not in by_code]
            if foreign:
                raise ValueError(f"unit not yours: {', '.join(foreign)}")
            arrived = _day(get(row, "arrived_on"))
            certificate_on = _day(get(row, "certificate_on"))
        except ValueError as exc:
            report.refused.append((number, str(exc)))
            continue
        person = Person.objects.filter(name=name).first()
        created = person is None
        person = person or Person(name=name)
        if not created and is_new_activity(person.domains, domains):
            person.activity_changed_on = date.today()  # a change of activity: renewal due
        person.profession = profession
        person.domains = domains
        for attr in ("post", "email"):
            if get(row, attr) not in (None, ""):
                setattr(person, attr, str(get(row, attr)).strip())
        if arrived:
            person.arrived_on = arrived
        person.save()
        person.set_units([by_code[u] for u in units])
        if certificate_on and not person.certificates.filter(obtained_on=certificate_on).exists():
            Certificate(
                person=person,
                obtained_on=certificate_on,
                organisation=str(get(row, "organisation") or ""),
            ).save()
        report.created += created
        report.updated += not created
    return report


def import_dosimetry(data: bytes, filename: str, people: Any, source: str) -> ImportReport:
    """Store the readings of the dosimetry provider's CSV for the people of ``people`` (a
    queryset: those the importing user sees); a reading of the same period is replaced."""
    rows = read_table(data, filename)
    report = ImportReport()
    if not rows:
        return report
    cols = _columns(rows[0], DOSIMETRY_ALIASES)
    missing = [c for c in ("name", "period_start", "period_end") if c not in cols]
    if missing:
        report.refused.append((1, f"missing column(s): {', '.join(missing)}"))
        return report
    by_name = {p.name.lower(): p for p in people}

    def get(row: list[Any], name: str) -> Any:
        return row[cols[name]] if name in cols and cols[name] < len(row) else None

    for number, row in enumerate(rows[1:], start=2):
        name = str(get(row, "name") or "").strip()
        if not name:
            continue
        person = by_name.get(name.lower())
        if person is None:
            report.refused.append((number, f"unknown person {name!r}"))
            continue
        try:
            start, end = _day(get(row, "period_start")), _day(get(row, "period_end"))
            if start is None or end is None or end < start:
                raise ValueError("period start and end required, end not before start")
            values = {k: _number(get(row, k)) for k in ("hp10", "hp007", "hp3")}
        except ValueError as exc:
            report.refused.append((number, str(exc)))
            continue
        reading = DosimeterReading.objects.filter(
            person=person, period_start=start, period_end=end
        ).first()
        created = reading is None
        reading = reading or DosimeterReading(person=person, period_start=start, period_end=end)
        reading.hp10_msv, reading.hp007_msv, reading.hp3_msv = (
            values["hp10"], values["hp007"], values["hp3"]
        )
        reading.source = source
        reading.save()
        report.created += created
        report.updated += not created
    return report
