"""The typer application of the ``kerma`` command: import, list, reprocess, serve, the demo.

The console script enters through :data:`kerma.cli.app`, which hands every command to this
application except ``kerma skindose``, dispatched straight to :mod:`kerma.skindose_cli`.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kerma import __version__, config
from kerma.accounts_cli import user_app
from kerma.cli_quality import actions_app, equipment_app, events_app
from kerma.followup_cli import followup_app
from kerma.nrd_cli import nrd_app, reference_app
from kerma.skindose_cli import HELP as SKINDOSE_HELP

app = typer.Typer(
    help="Kerma: collect patient doses, evaluate them against reference levels, follow up.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and not sys.stderr.isatty(),
    )


@app.command()
def version() -> None:
    """Print Kerma's version."""
    typer.echo(__version__)


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (recursive) or zip archives")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Import dose reports and image headers; unreadable files are quarantined with a reason."""
    from kerma.web.bootstrap import setup

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]No such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    setup()
    from kerma.ingest.pipeline import count_sources, import_paths

    total = count_sources(paths)
    with _progress() as progress:
        task = progress.add_task("Importing", total=total)
        summary = import_paths(paths, progress=lambda _label: progress.advance(task))
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
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


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@app.command()
def exams(
    modality: Annotated[list[str] | None, typer.Option(help="CT, DX, MG, RF, XA, NM, PT")] = None,
    since: Annotated[str | None, typer.Option(help="First study date, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="Last study date, YYYY-MM-DD")] = None,
    device: Annotated[str | None, typer.Option(help="Device id, serial, station or model")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    events: Annotated[
        bool, typer.Option("--events", help="Include each irradiation event")
    ] = False,
    include_tests: Annotated[
        bool, typer.Option("--include-tests", help="Include phantom / QC / test exams")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many exams")] = None,
) -> None:
    """List stored exams with their totals (canonical units in the key names)."""
    if output_format not in ("table", "csv", "json"):
        raise typer.BadParameter("choose table, csv or json", param_hint="--format")
    from kerma.web.bootstrap import setup

    setup()
    from kerma.web.dose.queries import exam_rows, flat_row, select_exams

    queryset = select_exams(
        modalities=[m.upper() for m in modality or []],
        since=_parse_day(since, "--since"),
        until=_parse_day(until, "--until"),
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
        writer.writerows(flat)
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
    from kerma.web.bootstrap import setup

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
    from kerma.web.bootstrap import setup

    setup()
    from kerma.ingest.reprocess import reprocess_all

    with _progress() as progress:
        task = progress.add_task("Reprocessing", total=None)
        result = reprocess_all(
            progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    Console().print(
        f"re-read {result.reread} reports, rebuilt {result.exams} exams, "
        f"{len(result.failed)} failed"
    )
    for sop_uid, reason in result.failed:
        Console().print(f"[yellow]{sop_uid}[/]: {reason}")


DicomOption = Annotated[
    bool, typer.Option("--dicom/--no-dicom", help="Run the DICOM node too (KERMA_DICOM_*)")
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
    dicom_node: DicomOption = True,
) -> None:
    """Serve the web application (waitress) and the DICOM node."""
    from kerma.web.bootstrap import setup

    setup()
    _serve(host, port, threads, dicom_node)


def _serve(host: str, port: int, threads: int, dicom_node: bool = True) -> None:
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
        waitress_serve(application, host=host, port=port, threads=threads, ident="kerma")
    finally:
        if node is not None and worker is not None:
            node.stop()
            worker.stop()


dicom_app = typer.Typer(help="The DICOM node: receive, check peers, back-fill from a PACS.")
app.add_typer(dicom_app, name="dicom")
app.add_typer(nrd_app, name="nrd")
app.add_typer(reference_app, name="reference")
app.add_typer(followup_app, name="followup")
app.add_typer(user_app, name="user")
app.add_typer(events_app, name="events")
app.add_typer(actions_app, name="actions")
app.add_typer(equipment_app, name="equipment")


@app.command(
    "skindose",
    help=SKINDOSE_HELP,
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def skindose(ctx: typer.Context) -> None:
    """Forward to the argparse command of :mod:`kerma.skindose_cli` (one parser, one help)."""
    from kerma.skindose_cli import main

    status = main(ctx.args)
    if status:
        raise typer.Exit(status)


@dicom_app.command("listen")
def dicom_listen(
    port: Annotated[int | None, typer.Option(help="Port (KERMA_DICOM_PORT, 11112)")] = None,
    aet: Annotated[str | None, typer.Option(help="AE title (KERMA_DICOM_AET, KERMA)")] = None,
    host: Annotated[str | None, typer.Option(help="Address (KERMA_DICOM_HOST, 0.0.0.0)")] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            help="Calling AE allowed to send, AET or AET@ADDRESS (repeat; "
            "KERMA_DICOM_ALLOW); none: anyone"
        ),
    ] = None,
) -> None:
    """Receive dose reports and images (C-STORE, C-ECHO), importing them as they arrive."""
    from kerma.web.bootstrap import setup

    setup()
    from kerma.dicom.node import AllowRule
    from kerma.ingest.worker import dicom_settings, start_node_service

    settings = dicom_settings()
    settings.update({k: v for k, v in {"port": port, "aet": aet, "host": host}.items() if v})
    if allow:
        settings["allow"] = allow
    try:
        for rule in settings["allow"]:
            AllowRule.parse(rule)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--allow") from None
    console.print(
        f"DICOM node [bold]{settings['aet']}[/] listening on {settings['host']}:"
        f"{settings['port']}"
        + (
            f", accepting {', '.join(settings['allow'])}"
            if settings["allow"]
            else ", accepting any caller"
        )
    )
    try:
        start_node_service(**settings, block=True)
    except OSError as exc:
        console.print(f"[red]Cannot listen on port {settings['port']}: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


@dicom_app.command("echo")
def dicom_echo(
    peer: Annotated[str, typer.Argument(help="AET@HOST:PORT")],
    aet: Annotated[str, typer.Option(help="Our calling AE title")] = "KERMA",
) -> None:
    """Check that a DICOM peer answers (C-ECHO)."""
    from kerma.dicom.retrieve import echo, parse_peer

    try:
        target = parse_peer(peer)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="PEER") from None
    if echo(target, calling_aet=aet):
        Console().print(f"[green]{peer} answered the C-ECHO")
        return
    Console().print(f"[red]{peer} did not answer the C-ECHO")
    raise typer.Exit(1)


@dicom_app.command("retrieve")
def dicom_retrieve(
    source: Annotated[str, typer.Option("--from", help="The PACS, AET@HOST:PORT")],
    since: Annotated[str, typer.Option(help="First study date, YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option(help="Last study date, YYYY-MM-DD")] = None,
    modality: Annotated[list[str] | None, typer.Option(help="Only studies with it")] = None,
    method: Annotated[str, typer.Option(help="get (default) or move (to --move-aet)")] = "get",
    move_aet: Annotated[
        str | None, typer.Option(help="C-MOVE destination: our node's AE title")
    ] = None,
    aet: Annotated[str, typer.Option(help="Our calling AE title")] = "KERMA",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Back-fill history from a PACS: the dose reports of each study (or the first image of
    each series where a study has none). A second run fetches only what is new."""
    from kerma.dicom.retrieve import RetrieveState, parse_peer, retrieve_history

    try:
        peer = parse_peer(source)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None
    first, last = _parse_day(since, "--since"), _parse_day(until, "--until")
    if method not in ("get", "move"):
        raise typer.BadParameter("choose get or move", param_hint="--method")
    if method == "move" and not move_aet:
        raise typer.BadParameter("C-MOVE needs --move-aet (the node's AE title)")
    from kerma.web.bootstrap import setup

    setup()
    from kerma.dicom.node import NodeState, inbox_dir
    from kerma.ingest.inbox import Inbox
    from kerma.ingest.worker import ImportWorker

    # What arrives goes through the inbox and the importer, as from any modality: on disk
    # first, then into the database.
    inbox = Inbox(inbox_dir())
    worker = ImportWorker(inbox, NodeState(), aet=aet, host="", port=0, keep_status=False)
    worker.start()
    state_file = config.kerma_home() / "retrieve" / f"{peer.aet}@{peer.host}_{peer.port}.json"
    state_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _progress() as progress:
            task = progress.add_task(f"Retrieving from {peer}", total=None)
            summary = retrieve_history(
                peer,
                since=first,
                until=last,
                modalities=[m.upper() for m in modality or []],
                deliver=lambda data: inbox.put(data, origin=peer.aet),
                state=RetrieveState(state_file),
                calling_aet=aet,
                method=method,  # type: ignore[arg-type]
                move_destination=move_aet,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
            import_task = progress.add_task("Importing", total=None)
            while inbox.backlog():
                progress.update(import_task, completed=worker.summary.imported)
                time.sleep(0.2)
    finally:
        worker.stop()
    result = {
        "studies_found": summary.studies_found,
        "studies_done": summary.studies_done,
        "skipped_already_done": summary.skipped_already_done,
        "series_selected": summary.series_selected,
        "objects_received": summary.objects_received,
        "imported": worker.summary.imported,
        "replaced": worker.summary.replaced,
        "duplicates": worker.summary.duplicates,
        "quarantined": worker.summary.quarantined,
        "failures": summary.failures,
    }
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        table = Table(title=f"Retrieved from {peer}", show_header=False)
        for key, value in result.items():
            if key not in ("failures", "quarantined"):
                table.add_row(key.replace("_", " "), str(value))
        table.add_row("quarantined", str(len(worker.summary.quarantined)))
        Console().print(table)
        for failure in summary.failures:
            Console().print(f"[yellow]failed[/] {failure}")
    if summary.failures:
        raise typer.Exit(1)


@dicom_app.command("log")
def dicom_log(
    limit: Annotated[int, typer.Option(help="How many associations, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
) -> None:
    """List the associations the node received: who, when, objects, outcome, reason."""
    from kerma.web.bootstrap import setup

    setup()
    from kerma.web.node.models import Association

    rows = [
        {
            "started_at": a.started_at.isoformat(timespec="seconds"),
            "calling_aet": a.calling_aet,
            "address": a.address,
            "objects_received": a.objects_received,
            "objects_refused": a.objects_refused,
            "outcome": a.outcome,
            "reason": a.reason,
        }
        for a in Association.objects.all()[:limit]
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="DICOM associations")
    for column in ("started_at", "calling_aet", "address", "objects_received", "outcome", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                str(row[c])
                for c in (
                    "started_at",
                    "calling_aet",
                    "address",
                    "objects_received",
                    "outcome",
                    "reason",
                )
            )
        )
    Console().print(table)


@dicom_app.command("status")
def dicom_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """Show the DICOM node's status: listening, received today, inbox backlog, last error."""
    from kerma.dicom.node import read_status

    status = read_status()
    if as_json:
        typer.echo(json.dumps(status or {"running": False}, indent=2))
        return
    if status is None:
        Console().print("No DICOM node has run with this KERMA_HOME.")
        raise typer.Exit(1)
    table = Table(title="DICOM node", show_header=False)
    table.add_row("running", "yes" if status["running"] else "no")
    table.add_row("AE title", f"{status['aet']} on port {status['port']}")
    table.add_row("received today", str(status["received_today"]))
    table.add_row("inbox backlog", str(status["backlog"]))
    table.add_row(
        "imported / duplicates / quarantined",
        f"{status['imported']} / {status['duplicates']} / {status['quarantined']}",
    )
    table.add_row("database", "reachable" if status["database_ok"] else "UNREACHABLE")
    table.add_row("last error", status["last_error"] or "none")
    table.add_row("updated", status["updated_at"])
    Console().print(table)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the web application")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after preparing")
    ] = True,
    days: Annotated[int, typer.Option(help="Days of activity to generate")] = 365,
    scale: Annotated[
        float, typer.Option(help="Activity scale (1.0 ≈ a year of a real unit)")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the generator")] = 2026,
    dicom_node: DicomOption = True,
) -> None:
    """Create a demo imaging unit: generate a year of exams as real DICOM, import, serve."""
    from kerma.web.bootstrap import demo_login, setup

    setup()
    from kerma.demo import generate_demo
    from kerma.ingest.pipeline import import_paths
    from kerma.web.dose.models import Exam

    marker = config.kerma_home() / "demo.json"
    wanted = {"seed": seed, "days": days, "scale": scale}
    done = json.loads(marker.read_text()) if marker.exists() else {}
    if {k: done.get(k) for k in wanted} == wanted and Exam.objects.exists():
        console.print(f"Demo data already imported on {done.get('imported_on')}; reusing it.")
        summary = None
    else:
        out_dir = config.kerma_home() / "demo-input"
        shutil.rmtree(out_dir, ignore_errors=True)
        start = datetime.now().date() - timedelta(days=days)
        with _progress() as progress:
            task = progress.add_task("Generating demo DICOM files", total=None)
            generate_demo(
                out_dir,
                start=start,
                days=days,
                seed=seed,
                scale=scale,
                progress=lambda n, total: progress.update(task, completed=n, total=total),
            )
        from kerma.ingest.pipeline import count_sources

        with _progress() as progress:
            task = progress.add_task("Importing demo data", total=count_sources([out_dir]))
            summary = import_paths([out_dir], progress=lambda _label: progress.advance(task))
        # Every imported file is kept, compressed, in the archive: the generated copies go.
        shutil.rmtree(out_dir, ignore_errors=True)
        marker.write_text(
            json.dumps(
                {
                    **wanted,
                    "imported_on": datetime.now().isoformat(timespec="seconds"),
                    **summary.as_dict(),
                    "quarantined": len(summary.quarantined),
                }
            )
        )
    from kerma.web.nrd.demo_plan import prepare_demo_plan

    # The NRD workflow of the demo unit: mappings, evaluations signed, one above its NRD with
    # corrective actions, one due (idempotent: a second run changes nothing).
    prepare_demo_plan(datetime.now().date())
    from kerma.web.followup.demo import prepare_demo_followup

    # The follow-up of the cath lab's alerts: some decided and closed, recent ones open.
    prepare_demo_followup(datetime.now().date())
    from kerma.web.quality.demo import seed_quality_demo  # the quality register (REX, QC...)

    seed_quality_demo(datetime.now().date())
    username, password = demo_login()
    if summary is not None:
        console.print(
            f"Imported {summary.imported} dose objects ({summary.duplicates} already there, "
            f"{len(summary.quarantined)} quarantined)."
        )
    console.print(f"Demo unit ready: {Exam.objects.count()} exams in {config.kerma_home()}")
    console.print(f"Demo login: [bold]{username}[/] / [bold]{password}[/]")
    from kerma.web.bootstrap import DEMO_ROLE_USERS

    console.print(
        "Other demo users, one per role, same password: "
        + ", ".join(f"{name} ({role})" for name, role in DEMO_ROLE_USERS.items())
    )
    if serve_app:
        _serve(host, port, 8, dicom_node)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (createsuperuser, changepassword, ...)."""
    from kerma.web.bootstrap import setup

    setup(migrate=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kerma manage", *ctx.args])


if __name__ == "__main__":
    app()
