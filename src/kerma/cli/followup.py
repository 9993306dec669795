"""``kerma followup …``: skin-dose maps and alerts of interventional patients from the command line.

- ``kerma followup recompute [--since DATE] [--exam ID]``: recompute the skin-dose maps and
  alerts of stored projection exams (after a room's geometry changed, or a new Kerma version);
  alerts are updated, never duplicated, and their follow-up kept; no e-mail is sent again;
- ``kerma followup list [--state open|acknowledged|closed|all] [--format table|csv|json]``: the
  patients to follow up;
- ``kerma followup notify``: send the e-mails of open alerts not sent yet (after configuring
  ``KERMA_SMTP_HOST``, or after a failed attempt).

Data goes to standard output, messages to standard error.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import FormatOption, SinceOption, check_choice, console, parse_day, setup
from kerma.spreadsheet import csv_writer

followup_app = typer.Typer(
    help="Patient follow-up: skin-dose maps, dose alerts, the patients to follow up.",
    no_args_is_help=True,
    add_completion=False,
)


@followup_app.command()
def recompute(
    since: SinceOption = None,
    exam: Annotated[int | None, typer.Option(help="Only this exam (id)")] = None,
) -> None:
    """Recompute skin-dose maps and alerts of stored projection exams (oldest first)."""
    first = parse_day(since, "--since")
    setup()
    from kerma.web.dose.models import Exam
    from kerma.web.followup.alerts import projection_q
    from kerma.web.followup.hooks import process_exam
    from kerma.web.followup.models import SkinDoseMap

    queryset = (
        Exam.objects.filter(projection_q(), kar_total_mgy__isnull=False, is_test=False)
        .select_related("device")
        .order_by("study_date", "study_time", "id")
    )
    if first is not None:
        queryset = queryset.filter(study_date__gte=first)
    if exam is not None:
        queryset = queryset.filter(pk=exam)
    done = failed = new_alerts = 0
    for item in queryset.iterator(chunk_size=200):
        new_alerts += len(process_exam(item, send=False))
        row = SkinDoseMap.objects.filter(exam=item).only("status").first()
        if row is not None and row.status == "failed":
            failed += 1
        done += 1
    console.print(f"Recomputed {done} exams: {failed} maps failed, {new_alerts} new alerts.")
    typer.echo(json.dumps({"exams": done, "failed": failed, "new_alerts": new_alerts}))


@followup_app.command("list")
def list_patients(
    state: Annotated[str, typer.Option(help="open, acknowledged, closed or all")] = "all",
    output_format: FormatOption = "table",
) -> None:
    """List the patients to follow up (one row per patient with alerts)."""
    check_choice(output_format, ("table", "csv", "json"), "--format")
    check_choice(state, ("open", "acknowledged", "closed", "all"), "--state")
    setup()
    from kerma.web.followup.exports import PATIENT_COLUMNS, patient_rows
    from kerma.web.followup.models import Alert

    alerts = list(Alert.objects.select_related("exam__device").order_by("id"))
    rows = patient_rows(alerts)
    if state != "all":
        rows = [r for r in rows if r["state"] == state]
    if output_format == "json":
        typer.echo(json.dumps([{c: _plain(r[c]) for c in PATIENT_COLUMNS} for r in rows], indent=2))
        return
    if output_format == "csv":
        writer = csv_writer(sys.stdout)
        writer.writerow(PATIENT_COLUMNS)
        for row in rows:
            writer.writerow([_plain(row[c]) if row[c] is not None else "" for c in PATIENT_COLUMNS])
        return
    table = Table(title="Patients to follow up")
    for column in PATIENT_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(_plain(row[c]) if row[c] is not None else "") for c in PATIENT_COLUMNS])
    Console().print(table)


@followup_app.command()
def notify() -> None:
    """Send the e-mails of open alerts that were not sent yet."""
    setup()
    from kerma.web.followup.notify import email_configured, notify_pending

    if not email_configured():
        console.print("No SMTP server configured (KERMA_SMTP_HOST): nothing sent.")
        raise typer.Exit(1)
    sent = notify_pending()
    console.print(f"{sent} e-mails sent.")


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 1)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
