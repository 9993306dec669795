"""The typer application of the ``kerma`` command: its own commands (version, import, exams,
devices, reprocess, serve, manage) and the command groups of the other modules of
:mod:`kerma.cli` (dicom, nrd, reference, followup, user, skindose, demo, people,
training, qualification, staff, patient, report, pregnancy, survey).

The console script enters through :data:`kerma.cli.app`, which hands every command to this
application except ``kerma skindose``, dispatched straight to :mod:`kerma.cli.skindose`.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kerma import __version__, config
from kerma.cli.common import (
    DicomOption,
    FormatOption,
    HostOption,
    SinceOption,
    SummaryJsonOption,
    UntilOption,
    check_choice,
    console,
    fail,
    parse_day,
    print_json,
    progress,
    setup,
)
from kerma.cli.demo import demo
from kerma.cli.dicom import dicom_app
from kerma.cli.followup import followup_app
from kerma.cli.nrd import nrd_app
from kerma.cli.patients import patient_app, pregnancy_app
from kerma.cli.patients import report as report_command
from kerma.cli.people import people_app, qualification_app, training_app
from kerma.cli.quality import actions_app, equipment_app, events_app
from kerma.cli.reference import reference_app
from kerma.cli.skindose import HELP as SKINDOSE_HELP
from kerma.cli.staff import staff_app
from kerma.cli.survey import survey_app
from kerma.cli.users import user_app
from kerma.spreadsheet import csv_cell

app = typer.Typer(
    help="Kerma: collect patient doses, evaluate them against reference levels, follow up.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def version() -> None:
    """Print Kerma's version."""
    typer.echo(__version__)


# `kerma import`'s exit code when some files were quarantined (the others were imported).
QUARANTINED_EXIT = 3


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (recursive) or zip archives")],
    as_json: SummaryJsonOption = False,
) -> None:
    """Import dose reports and image headers; unreadable files are quarantined with a reason.

    Exit code: 0 every file imported (or already there), 3 some files quarantined (named in
    the summary), 1 the import stopped (database unreachable, disk full), 2 bad arguments."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise fail(f"No such file or folder: {', '.join(missing)}")
    setup()
    from django.utils import timezone

    from kerma.ingest.pipeline import OUTAGES, count_sources, import_paths
    from kerma.web.followup.skin import family_tallies

    started = timezone.now()
    total = count_sources(paths)
    try:
        with progress() as bar:
            task = bar.add_task("Importing", total=total)
            summary = import_paths(paths, progress=lambda _label: bar.advance(task))
    except OUTAGES as exc:
        # Nothing can be stored: stop, saying why; what was stored stays (run it again later:
        # the import is idempotent).
        raise fail(f"Import stopped, nothing more can be stored: {exc}", 1) from None
    skin = family_tallies(started)
    if as_json:
        print_json({**summary.as_dict(), "skin_dose": skin})
        if summary.quarantined:
            raise typer.Exit(QUARANTINED_EXIT)
        return
    table = Table(title="Import summary", show_header=False)
    table.add_row("imported", str(summary.imported))
    table.add_row("replaced", str(summary.replaced))
    table.add_row("duplicates skipped", str(summary.duplicates))
    table.add_row("quarantined", str(len(summary.quarantined)))
    Console().print(table)
    for item in summary.quarantined:
        Console().print(f"[yellow]quarantined[/] {item['path']}: {item['reason']}")
    if summary.quarantined:
        Console().print(f"Quarantined files are kept in {config.quarantine_dir()}")
    if skin:
        _print_skin_tallies(skin)
    if summary.quarantined:
        raise typer.Exit(QUARANTINED_EXIT)


def _print_skin_tallies(skin: dict[str, dict[str, Any]]) -> None:
    """Print, per vendor family, how the events of the new skin-dose maps fared."""
    table = Table(title="Skin-dose maps by vendor family")
    for column in ("family", "procedures", "events mapped", "field from DAP/Ka,r",
                   "rotational", "estimated from Ka,r", "skipped"):
        table.add_column(column, justify="left" if column == "family" else "right")
    for family, t in skin.items():
        skipped = sum(item["count"] for item in t["skipped"].values())
        table.add_row(family, *(str(t[k]) for k in ("procedures", "mapped", "field_derived",
                                                    "rotational", "estimated")), str(skipped))
    Console().print(table)
    for family, t in skin.items():
        for item in t["skipped"].values():
            Console().print(f"  {family}: {item['count']} event(s) skipped: {item['reason']}")


@app.command()
def exams(
    modality: Annotated[list[str] | None, typer.Option(help="CT, DX, MG, RF, XA, NM, PT")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    device: Annotated[str | None, typer.Option(help="Device id, serial, station or model")] = None,
    output_format: FormatOption = "table",
    events: Annotated[
        bool, typer.Option("--events", help="Include each irradiation event")
    ] = False,
    include_tests: Annotated[
        bool, typer.Option("--include-tests", help="Include phantom / QC / test exams")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many exams")] = None,
) -> None:
    """List stored exams with their totals (canonical units in the key names)."""
    check_choice(output_format, ("table", "csv", "json"), "--format")
    setup()
    from kerma.web.dose.queries import exam_rows, flat_row, select_exams

    queryset = select_exams(
        modalities=[m.upper() for m in modality or []],
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        device=device,
        include_tests=include_tests,
    )
    if limit is not None:
        queryset = queryset[:limit]
    rows = exam_rows(queryset, with_events=events)
    out = sys.stdout
    if output_format == "json":
        json.dump(rows, out, indent=2, ensure_ascii=False, default=str)
        out.write("\n")
        return
    if output_format == "csv":
        flat = [flat_row(r) for r in rows]
        if events:
            # One line per event, each with its exam's columns first.
            flat = [
                {**exam, **{f"event.{k}": v for k, v in event.items()}}
                for exam, row in zip(flat, rows, strict=True)
                for event in row["event_list"]
            ]
        columns = list(dict.fromkeys(k for r in flat for k in r))
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in flat)
        return
    _print_exam_table(rows, with_events=events)


_EVENT_COLUMNS = {
    "ct": [
        "protocol",
        "acquisition_type",
        "ctdivol_mgy",
        "dlp_mgycm",
        "phantom_cm",
        "kvp_kv",
        "exposure_mas",
        "pitch",
        "scan_length_mm",
        "ssde_mgy",
    ],
    "projection": [
        "event_type",
        "protocol",
        "dap_gycm2",
        "kar_mgy",
        "primary_angle_deg",
        "secondary_angle_deg",
        "source_detector_mm",
        "source_isocentre_mm",
        "table_longitudinal_mm",
        "table_lateral_mm",
        "table_height_mm",
        "field_area_cm2",
        "kvp_kv",
        "tube_current_ma",
        "pulse_width_ms",
        "filter_material",
        "filter_thickness_mm",
        "frames",
        "agd_mgy",
    ],
    "nm": ["radionuclide", "radiopharmaceutical", "activity_mbq", "started", "route"],
}


def _print_exam_table(rows: list[dict], *, with_events: bool) -> None:
    output = Console()
    table = Table(title=f"{len(rows)} exams")
    for column in (
        "study_date",
        "modality",
        "device",
        "procedure",
        "events",
        "age",
        "sex",
        "main dose",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["study_date"] or ""),
            row["modality"],
            row["device"]["label"],
            (row["procedure"] or "")[:40],
            str(row["events"]),
            "" if row["patient"]["age_years"] is None else f"{row['patient']['age_years']:.0f}",
            row["patient"]["sex"] or "",
            row["main_dose"],
        )
    output.print(table)
    if not with_events:
        return
    for row in rows:
        events = row["event_list"]
        if not events:
            continue
        kind = events[0].get("kind", "projection")
        columns = _EVENT_COLUMNS.get(kind, _EVENT_COLUMNS["projection"])
        detail = Table(title=f"{row['study_date']} {row['modality']} {row['procedure'] or ''}")
        for column in columns:
            detail.add_column(column)
        for event in events:
            detail.add_row(*("" if event.get(c) is None else str(event.get(c)) for c in columns))
        output.print(detail)


@app.command()
def devices() -> None:
    """List the devices that sent dose data."""
    setup()
    from kerma.web.dose.models import Device

    table = Table(title="Devices")
    for column in ("id", "category", "manufacturer", "model", "serial", "station", "exams"):
        table.add_column(column)
    for d in Device.objects.all():
        table.add_row(
            str(d.pk),
            d.get_category_display(),
            d.manufacturer,
            d.model,
            d.serial_number,
            d.station_name,
            str(d.exams.count()),
        )
    Console().print(table)


@app.command()
def reprocess() -> None:
    """Re-read every archived report with the current parser and rebuild every exam."""
    setup()
    from kerma.ingest.reprocess import reprocess_all

    with progress() as bar:
        task = bar.add_task("Reprocessing", total=None)
        result = reprocess_all(
            progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    Console().print(
        f"re-read {result.reread} reports, rebuilt {result.exams} exams, "
        f"{len(result.failed)} failed"
    )
    for sop_uid, reason in result.failed:
        Console().print(f"[yellow]{sop_uid}[/]: {reason}")


@app.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
    dicom_node: DicomOption = True,
) -> None:
    """Serve the web application (waitress) and the DICOM node."""
    setup()
    serve_web(host, port, threads, dicom_node)


def serve_web(host: str, port: int, threads: int, dicom_node: bool = True) -> None:
    """Serve the web application until stopped (Ctrl+C), with the DICOM node beside it when
    ``dicom_node`` (a node that cannot start is reported, the web application still served)."""
    from waitress import serve as waitress_serve

    from kerma.web.wsgi import application

    node = worker = None
    if dicom_node:
        from kerma.ingest.worker import dicom_settings, start_node_service

        settings = dicom_settings()
        try:
            node, worker = start_node_service(**settings)
        except OSError as exc:
            # The web application is still worth serving; say plainly what is missing.
            console.print(
                f"[yellow]DICOM node not started (port {settings['port']}: {exc}); "
                "set KERMA_DICOM_PORT or use --no-dicom[/]"
            )
        else:
            aet, dicom_port = settings["aet"], settings["port"]
            console.print(f"DICOM node [bold]{aet}[/] listening on port {dicom_port}")
    console.print(f"Kerma is served at [bold]http://{host}:{port}/[/] (Ctrl+C to stop)")
    try:
        waitress_serve(
            application, host=host, port=port, threads=threads, ident="kerma",
            **config.trusted_proxy_options(),
        )
    finally:
        if node is not None and worker is not None:
            node.stop()
            worker.stop()


app.add_typer(dicom_app, name="dicom")
app.add_typer(nrd_app, name="nrd")
app.add_typer(reference_app, name="reference")
app.add_typer(followup_app, name="followup")
app.add_typer(user_app, name="user")
app.add_typer(events_app, name="events")
app.add_typer(actions_app, name="actions")
app.add_typer(equipment_app, name="equipment")
app.add_typer(people_app, name="people")
app.add_typer(training_app, name="training")
app.add_typer(qualification_app, name="qualification")
app.add_typer(staff_app, name="staff")
app.add_typer(patient_app, name="patient")
app.add_typer(pregnancy_app, name="pregnancy")
app.command("report")(report_command)
app.add_typer(survey_app, name="survey")


@app.command(
    "skindose",
    help=SKINDOSE_HELP,
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def skindose(ctx: typer.Context) -> None:
    """Forward to the argparse command of :mod:`kerma.cli.skindose` (one parser, one help)."""
    from kerma.cli.skindose import main

    status = main(ctx.args)
    if status:
        raise typer.Exit(status)


app.command()(demo)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (createsuperuser, changepassword, ...)."""
    setup(migrate=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kerma manage", *ctx.args])
