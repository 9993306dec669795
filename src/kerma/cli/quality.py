"""``kerma events …``, ``kerma actions …``, ``kerma equipment …``: the quality system
(decision 2019-DC-0660) from the command line.

- ``kerma events list [--unit CODE] [--json]``: the event register; in JSON each event has
  ``id``, ``detected_on``, ``recorded_on``, ``description``, ``circumstances``,
  ``consequences``, ``person_informed``, ``category``, ``device``, ``analysis`` (null or
  ``participants``, ``chronology``, ``method``, ``causes``, ``failed_barriers``, ``actions``);
- ``kerma events import FILE [--unit CODE]``: events from the spreadsheet template (CSV, XLSX)
  or from the JSON of ``events list`` (see :mod:`kerma.web.quality.imports`);
- ``kerma actions list [--json]``: the one action programme, every source (``nrd``, ``event``,
  ``followup``, ``risk``, ``audit``, ``inspection``) with ``title``, ``owner``, ``due_on``,
  ``status``, ``done_on`` (and ``evidence``, ``evidence_name``, ``effectiveness_checked``,
  ``effectiveness_check``, ``effectiveness_checked_on``...); ``kerma actions notify``: e-mail
  each overdue action to its owner (once; needs ``KERMA_SMTP_HOST``; the DICOM node does it
  daily by itself, see :mod:`kerma.ingest.reminders`);
- ``kerma equipment due [--on DATE] [--json]``: per device, each control or maintenance with
  ``kind``, ``last_done``, ``next_due``, ``overdue``; ``kerma equipment notify``: e-mail each
  overdue control to the quality managers of its unit (once; the node does it daily too).

Data goes to standard output, messages to standard error.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

events_app = typer.Typer(
    help="The event register (REX) and its systemic analyses.",
    no_args_is_help=True,
    add_completion=False,
)
actions_app = typer.Typer(
    help="The one action programme (NRD, events, follow-up, risks, audits, inspections).",
    no_args_is_help=True,
    add_completion=False,
)
equipment_app = typer.Typer(
    help="Equipment: quality controls and maintenance due.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
UnitOption = Annotated[str | None, typer.Option("--unit", help="Unit code")]


def _setup() -> None:
    from kerma.web.bootstrap import setup

    setup()


def _unit(code: str | None):  # noqa: ANN202 - a Unit or None
    from kerma.web.accounts.models import Unit

    if code is None:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise typer.BadParameter(f"no unit {code!r}", param_hint="--unit")
    return unit


def _print_table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console().print(table)


@events_app.command("list")
def events_list(unit: UnitOption = None, as_json: JsonOption = False) -> None:
    """List the events of the register, newest first."""
    _setup()
    from kerma.web.quality.models import SafetyEvent

    rows = SafetyEvent.objects.select_related("device", "unit").order_by("-detected_on", "-id")
    chosen = _unit(unit)
    if chosen is not None:
        rows = rows.filter(unit=chosen)
    events = [e.as_dict() for e in rows]
    if as_json:
        typer.echo(json.dumps(events, indent=2, ensure_ascii=False))
        return
    _print_table(
        "Events",
        ["id", "detected", "category", "severity", "device", "description", "analysis"],
        [
            [
                e["id"],
                e["detected_on"],
                e["category"],
                e["severity"],
                e["device"] or "",
                e["description"][:60],
                "yes" if e["analysis"] else "no",
            ]
            for e in events
        ],
    )


@events_app.command("import")
def events_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or JSON")],
    unit: UnitOption = None,
) -> None:
    """Import events from the spreadsheet template (or the JSON of ``events list``)."""
    _setup()
    from kerma.web.accounts.models import Unit
    from kerma.web.quality.audit import acting_as
    from kerma.web.quality.imports import import_events

    chosen = _unit(unit)
    if chosen is None and Unit.objects.count() <= 1:
        chosen = Unit.default()
    with acting_as("cli"):
        result = import_events(file.name, file.read_bytes(), chosen)
    for error in result.errors:
        console.print(f"[red]{error}[/]")
    console.print(
        f"Imported {len(result.created)} events ({result.skipped} already there, "
        f"{len(result.errors)} refused)."
    )
    typer.echo(json.dumps(result.as_dict()))
    if result.errors:
        raise typer.Exit(1)


@actions_app.command("list")
def actions_list(
    as_json: JsonOption = False,
    overdue: Annotated[bool, typer.Option(help="Only the overdue actions")] = False,
) -> None:
    """List every action of the programme: overdue first, then open by due date, then closed."""
    _setup()
    from django.utils import timezone

    from kerma.web.quality.programme import programme_items

    today = timezone.localdate()
    items = programme_items(None, today)
    if overdue:
        items = [i for i in items if i.overdue(today)]
    rows = [i.as_dict(today) for i in items]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _print_table(
        "Action programme",
        ["source", "title", "owner", "due_on", "status", "done_on", "overdue"],
        [
            [
                r["source"],
                str(r["title"])[:60],
                r["owner"],
                r["due_on"],
                r["status"],
                r["done_on"],
                "OVERDUE" if r["overdue"] else "",
            ]
            for r in rows
        ],
    )


@actions_app.command("notify")
def actions_notify() -> None:
    """E-mail each overdue action to its owner, once (needs KERMA_SMTP_HOST)."""
    _setup()
    from kerma.web.quality.notify import email_configured, notify_overdue

    if not email_configured():
        console.print("No SMTP server configured (KERMA_SMTP_HOST): nothing sent.")
    sent = notify_overdue()
    typer.echo(json.dumps({"sent": sent}))


@equipment_app.command("due")
def equipment_due(
    on: Annotated[str | None, typer.Option("--on", help="Day to look from, YYYY-MM-DD")] = None,
    as_json: JsonOption = False,
) -> None:
    """List, per device, each control or maintenance with its last date and next due date."""
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise typer.BadParameter(f"{on!r} is not a date (YYYY-MM-DD)", param_hint="--on") from None
    _setup()
    from django.utils import timezone

    from kerma.web.dose.models import Device
    from kerma.web.quality.equipment import device_dues

    today = day or timezone.localdate()
    dues = device_dues(Device.objects.select_related("unit").order_by("id"), today)
    rows = [d.as_dict() for d in dues]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _print_table(
        f"Controls and maintenance due ({today.isoformat()})",
        ["device", "kind", "last_done", "next_due", "overdue"],
        [
            [r["device"], c["kind"], c["last_done"], c["next_due"], "LATE" * bool(c["overdue"])]
            for r in rows
            for c in r["controls"]
        ],
    )


@equipment_app.command("notify")
def equipment_notify() -> None:
    """E-mail each overdue control to its unit's quality managers, once (KERMA_SMTP_HOST)."""
    _setup()
    from kerma.web.quality.notify import email_configured, notify_overdue_controls

    if not email_configured():
        console.print("No SMTP server configured (KERMA_SMTP_HOST): nothing sent.")
    typer.echo(json.dumps({"sent": notify_overdue_controls()}))
