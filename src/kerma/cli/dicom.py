"""``kerma dicom …``: the DICOM node (listen, its log and status), checking a peer (echo), and
back-filling history from a PACS (retrieve, which :mod:`kerma.ingest.backfill` carries out).

Data goes to standard output (tables, or JSON with ``--json``); messages and progress go to
standard error.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import (
    CallingAetOption,
    SummaryJsonOption,
    UntilOption,
    check_choice,
    console,
    parse_day,
    print_json,
    progress,
    setup,
)

dicom_app = typer.Typer(help="The DICOM node: receive, check peers, back-fill from a PACS.")


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
    aet: CallingAetOption = "KERMA",
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
    until: UntilOption = None,
    modality: Annotated[list[str] | None, typer.Option(help="Only studies with it")] = None,
    method: Annotated[str, typer.Option(help="get (default) or move (to --move-aet)")] = "get",
    move_aet: Annotated[
        str | None, typer.Option(help="C-MOVE destination: our node's AE title")
    ] = None,
    aet: CallingAetOption = "KERMA",
    ssde_images: Annotated[bool, typer.Option(
        "--ssde-images", help="Then measure Dw (AAPM 220) on a few axial images of the CT "
        "events lacking SSDE and Dw (C-GET)")] = False,
    as_json: SummaryJsonOption = False,
) -> None:
    """Back-fill history from a PACS: the dose reports of each study (or the first image of
    each series where a study has none). A second run fetches only what is new. With
    --ssde-images, the CT events whose report has neither SSDE nor Dw get Dw from the images."""
    from kerma.dicom.retrieve import parse_peer

    try:
        peer = parse_peer(source)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    check_choice(method, ("get", "move"), "--method")
    if method == "move" and not move_aet:
        raise typer.BadParameter("C-MOVE needs --move-aet (the node's AE title)")
    setup()
    from kerma.ingest.backfill import backfill

    assert first is not None
    with progress() as bar:
        task = bar.add_task(f"Retrieving from {peer}", total=None)
        import_task = None

        def importing(imported: int) -> None:
            nonlocal import_task
            if import_task is None:
                import_task = bar.add_task("Importing", total=None)
            bar.update(import_task, completed=imported)

        done = backfill(
            peer,
            since=first,
            until=last,
            modalities=[m.upper() for m in modality or []],
            calling_aet=aet,
            method=method,  # type: ignore[arg-type]
            move_destination=move_aet,
            retrieving=lambda n, total: bar.update(task, completed=n, total=total),
            importing=importing,
            ssde_images=ssde_images,
        )
    result = done.as_dict()
    if as_json:
        print_json(result)
    else:
        table = Table(title=f"Retrieved from {peer}", show_header=False)
        for key, value in result.items():
            if key not in ("failures", "quarantined", "ssde_images"):
                table.add_row(key.replace("_", " "), str(value))
        table.add_row("quarantined", str(len(done.imported.quarantined)))
        if done.ssde_images is not None:
            table.add_row("Dw from axial images", str(done.ssde_images["events_measured"]))
        Console().print(table)
        for failure in done.failures:
            Console().print(f"[yellow]failed[/] {failure}")
    if done.failures:
        raise typer.Exit(1)


@dicom_app.command("log")
def dicom_log(
    limit: Annotated[int, typer.Option(help="How many associations, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON")] = False,
) -> None:
    """List the associations the node received: who, when, objects, outcome, reason."""
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
    columns = ("started_at", "calling_aet", "address", "objects_received", "outcome", "reason")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
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
    backlog = status["backlog"]
    table.add_row("inbox backlog", "unreadable" if backlog is None else str(backlog))
    table.add_row(
        "imported / duplicates / quarantined",
        f"{status['imported']} / {status['duplicates']} / {status['quarantined']}",
    )
    table.add_row("database", "reachable" if status["database_ok"] else "UNREACHABLE")
    if not status.get("disk_ok", True):
        table.add_row("disk", "ARCHIVE OR QUARANTINE CANNOT BE WRITTEN: waiting")
    table.add_row("last error", status["last_error"] or "none")
    if status.get("last_quarantined"):
        table.add_row("last quarantined", status["last_quarantined"])
    table.add_row("updated", status["updated_at"])
    Console().print(table)
