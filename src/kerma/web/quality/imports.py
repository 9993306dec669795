"""Import of the event register from the spreadsheet units keep today (CSV, XLSX) or from the
JSON of ``kerma events list --json``.

The template (downloadable from the event register page, ``/quality/events/template.xlsx``)
has one row per event and these columns; headers may be the English key or the French label,
in any order, case ignored:

=====================  ==================================  ========================================
key                    French header                       value
=====================  ==================================  ========================================
``detected_on``        date de détection                   date (YYYY-MM-DD or DD/MM/YYYY), required
``recorded_on``        date d'enregistrement               date (default: the detection date)
``description``        description                         text, required
``circumstances``      circonstances                       text
``consequences``       conséquences                        text
``person_informed``    information de la personne exposée  text: how the exposed person was informed
``category``           catégorie                           material/matériel, human/humain,
                                                           organisational/organisationnel, required
``severity``           gravité                             1 to 5 (default 1)
``flags``              indicateurs                         comma-separated (patient_exposed, ...)
``device``             dispositif                          the device as Kerma names it, its station
                                                           name or serial number
``people_involved``    personnes impliquées                text
``unit``               unité                               unit code (default: the chosen unit)
=====================  ==================================  ========================================

JSON rows may also carry an ``analysis`` object (``participants``, ``chronology``, ``method``,
``causes``, ``failed_barriers``). A row already in the register (same unit, detection date and
description) is skipped; a row with an error is reported with its line and nothing of it is
stored; the other rows are.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from kerma.web.accounts.models import Unit
from kerma.web.dose.models import Device
from kerma.web.quality.models import SafetyEvent, SystemicAnalysis

COLUMNS: list[tuple[str, str]] = [
    ("detected_on", "date de détection"),
    ("recorded_on", "date d'enregistrement"),
    ("description", "description"),
    ("circumstances", "circonstances"),
    ("consequences", "conséquences"),
    ("person_informed", "information de la personne exposée"),
    ("category", "catégorie"),
    ("severity", "gravité"),
    ("flags", "indicateurs"),
    ("device", "dispositif"),
    ("people_involved", "personnes impliquées"),
    ("unit", "unité"),
]
_HEADERS = {k: k for k, _fr in COLUMNS} | {fr: k for k, fr in COLUMNS}
CATEGORIES = {
    "material": "material",
    "matériel": "material",
    "materiel": "material",
    "human": "human",
    "humain": "human",
    "organisational": "organisational",
    "organizational": "organisational",
    "organisationnel": "organisational",
}


@dataclass
class ImportResult:
    """What an import did: events created, rows skipped as already there, rows refused."""

    created: list[int] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return ``created`` (count), ``ids``, ``skipped``, ``errors``."""
        return {
            "created": len(self.created),
            "ids": self.created,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def table_lines(name: str, content: bytes) -> list[list[Any]]:
    """Return the rows of an XLSX sheet or a CSV text (``;``, tab or ``,`` separated: the first
    of them found in the header line)."""
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    text = content.decode("utf-8-sig")
    header = text.splitlines()[0] if text else ""
    delimiter = next((d for d in (";", "\t") if d in header), ",")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_rows(name: str, content: bytes) -> list[dict[str, Any]]:
    """Return the rows of a CSV, XLSX or JSON file, keyed by column key."""
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        data = json.loads(content.decode("utf-8"))
        return list(data if isinstance(data, list) else data.get("events", []))
    lines = table_lines(name, content)
    if not lines:
        return []
    keys = [_HEADERS.get(str(h or "").strip().lower()) for h in lines[0]]
    rows = []
    for line in lines[1:]:
        if not any(v not in (None, "") for v in line):
            continue
        rows.append({k: v for k, v in zip(keys, line, strict=False) if k})
    return rows


def _device(value: Any, unit: Unit) -> Device | None:
    text = str(value or "").strip()
    if not text:
        return None
    devices = Device.objects.filter(unit=unit)
    found = devices.filter(
        Q(display_name=text) | Q(station_name=text) | Q(serial_number=text) | Q(model=text)
    ).first()
    if found is None:
        found = next((d for d in devices if str(d) == text), None)
    if found is None:
        raise ValueError(f"no device {text!r} in unit {unit.code}")
    return found


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


def _event(row: dict[str, Any], unit: Unit) -> SafetyEvent:
    detected = _day(row.get("detected_on"))
    if detected is None:
        raise ValueError("detected_on is required")
    description = _text(row.get("description"))
    if not description:
        raise ValueError("description is required")
    category = CATEGORIES.get(_text(row.get("category")).lower())
    if category is None:
        given = row.get("category")
        raise ValueError(f"category {given!r} is not material, human or organisational")
    severity = int(row.get("severity") or 1)
    if not 1 <= severity <= 5:
        raise ValueError(f"severity {severity} is not between 1 and 5")
    flags = row.get("flags") or ""
    return SafetyEvent(
        unit=unit,
        detected_on=detected,
        recorded_on=_day(row.get("recorded_on")) or detected,
        description=description,
        circumstances=_text(row.get("circumstances")),
        consequences=_text(row.get("consequences")),
        person_informed=_text(row.get("person_informed")),
        category=category,
        severity=severity,
        flags=", ".join(flags) if isinstance(flags, list) else str(flags),
        device=_device(row.get("device"), unit),
        people_involved=_text(row.get("people_involved")),
    )


def _analysis(event: SafetyEvent, data: dict[str, Any]) -> None:
    causes = data.get("causes") or []
    if isinstance(causes, list):
        causes = "\n".join(
            f"{c.get('level', '')} ; {c.get('nature', '')} ; {c.get('text', '')}"
            if isinstance(c, dict)
            else str(c)
            for c in causes
        )
    method = _text(data.get("method")) or "other"
    if method not in SystemicAnalysis.Method.values:
        method = "other"
    SystemicAnalysis(
        event=event,
        analysed_on=_day(data.get("analysed_on")) or event.recorded_on,
        participants=_text(data.get("participants")),
        chronology=_text(data.get("chronology")),
        method=method,
        causes=causes,
        failed_barriers=_text(data.get("failed_barriers")),
    ).save()


def import_events(name: str, content: bytes, unit: Unit | None = None) -> ImportResult:
    """Import the events of a file (see the module docstring) into ``unit`` (or the unit each
    row names); return what was created, skipped and refused (with line numbers)."""
    result = ImportResult()
    try:
        rows = read_rows(name, content)
    except (ValueError, KeyError, OSError) as exc:
        result.errors.append(f"{name}: {exc}")
        return result
    for number, row in enumerate(rows, start=2):
        try:
            with transaction.atomic():
                code = _text(row.get("unit"))
                target = Unit.objects.filter(code=code).first() if code else unit
                if target is None:
                    raise ValueError(f"unknown unit {code!r}" if code else "no unit given")
                if unit is not None and target != unit:
                    raise ValueError(f"unit {code!r} is not the chosen unit {unit.code}")
                event = _event(row, target)
                if SafetyEvent.objects.filter(
                    unit=target, detected_on=event.detected_on, description=event.description
                ).exists():
                    result.skipped += 1
                    continue
                event.save()
                if isinstance(row.get("analysis"), dict):
                    _analysis(event, row["analysis"])
                result.created.append(event.pk)
        except (ValueError, TypeError) as exc:
            result.errors.append(f"line {number}: {exc}")
    return result


def template_rows() -> list[dict[str, Any]]:
    """Return one example row of the template."""
    return [
        {
            "detected_on": "2025-03-14",
            "recorded_on": "2025-03-14",
            "description": "Scanner thorax acquis deux fois (erreur de protocole)",
            "circumstances": "Changement de protocole en cours d'examen",
            "consequences": "Dose doublée pour le patient, sans effet attendu",
            "person_informed": "Information orale par le radiologue le jour même",
            "category": "humain",
            "severity": 2,
            "flags": "patient_exposed",
            "device": "",
            "people_involved": "MERM, radiologue",
            "unit": "",
        }
    ]


# ---- every other register: rows checked by the register's own form ------------------------


def _norm(text: Any) -> str:
    return " ".join(str(text or "").strip().casefold().split())


def form_columns(form_class: Any) -> list[tuple[str, str, str]]:
    """Return ``(field name, English label, French label)`` of a register form's fields (the
    template's columns; a header may be any of the three)."""
    from django.utils import translation

    columns = []
    for name, form_field in form_class.base_fields.items():
        if name == "upload":
            continue
        with translation.override("en"):
            english = str(form_field.label or name)
        with translation.override("fr"):
            french = str(form_field.label or name)
        columns.append((name, english, french))
    return columns


def _form_value(field: Any, value: Any) -> Any:
    """Return a cell as the form field expects it: choice codes from labels, rows from their
    names, dates as ISO text, yes/no as booleans."""
    from django import forms as django_forms
    from django.utils import translation

    if value is None:
        return ""
    if isinstance(field, django_forms.ModelMultipleChoiceField):
        names = {_norm(v) for v in str(value).split(";") if v.strip()}
        return [o.pk for o in field.queryset if _norm(o) in names or str(o.pk) in names]
    if isinstance(field, django_forms.ModelChoiceField):
        wanted = _norm(value)
        found = next((o for o in field.queryset if wanted in (_norm(o), str(o.pk))), None)
        return found.pk if found is not None else value
    if isinstance(field, django_forms.BooleanField):
        return _norm(value) in ("1", "true", "yes", "oui", "x", "vrai")
    if isinstance(field, django_forms.DateField):
        day = _day(value)
        return day.isoformat() if day else ""
    if isinstance(field, django_forms.ChoiceField):
        wanted = _norm(value)
        for code, label in field.choices:
            for language in ("en", "fr"):
                with translation.override(language):
                    if wanted in (_norm(code), _norm(label)):
                        return code
    return value


def import_register(
    form_class: Any, name: str, content: bytes, user: Any, unit: Unit | None, actor: str
) -> ImportResult:
    """Import the rows of a register's spreadsheet (CSV or XLSX, one row per entry, headers
    as in :func:`form_columns`), each checked by the register's form as if typed in its page;
    return what was created and the refused lines with the form's errors."""
    from kerma.web.quality.audit import acting_as

    result = ImportResult()
    headers: dict[str, str] = {}
    for field_name, english, french in form_columns(form_class):
        for text in (field_name, english, french):
            headers[_norm(text)] = field_name
    try:
        lines = table_lines(name, content)
    except (ValueError, OSError, csv.Error) as exc:
        result.errors.append(f"{name}: {exc}")
        return result
    if not lines:
        return result
    keys = [headers.get(_norm(h)) for h in lines[0]]
    for number, line in enumerate(lines[1:], start=2):
        if not any(v not in (None, "") for v in line):
            continue
        probe = form_class(user=user)
        data = {}
        for key, value in zip(keys, line, strict=False):
            if key:
                data[key] = _form_value(probe.fields[key], value)
        if "unit" in probe.fields and not data.get("unit") and unit is not None:
            data["unit"] = unit.pk
        form = form_class(data, user=user)
        if not form.is_valid():
            problems = "; ".join(
                f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()
            )
            result.errors.append(f"line {number}: {problems}")
            continue
        with transaction.atomic(), acting_as(actor):
            result.created.append(form.save_with(actor).pk)
    return result
