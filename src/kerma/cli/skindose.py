"""``kerma skindose FILE_OR_STUDY_UID``: the skin-dose map of one procedure, from a dose report
file or from an exam already in the database.

Data goes to standard output (a summary, or JSON with ``--json``); errors go to standard error.
Exit codes: 0 done, 2 bad input (unknown phantom, unreadable file, unknown study).

The command is parsed here with :mod:`argparse`, not typer: ``kerma skindose`` is dispatched
to :func:`main` by :mod:`kerma.cli` before typer, rich or pydicom are imported, so that the
whole command costs little more than importing numpy (see benchmarks/README.md, skin-dose
maps). ``kerma --help`` lists it through a typer command that forwards its arguments here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kerma.dose import Event, PatientInfo
    from kerma.skindose import RoomSettings, SkinDoseResult

HELP = "Compute the skin-dose map and peak skin dose of one interventional procedure."


class CommandError(Exception):
    """Bad input: the message goes to standard error and the command exits with status 2."""


def _from_file(path: Path) -> tuple[list[Event], PatientInfo, RoomSettings, str]:
    from kerma.dicom.reader import read_dose_object
    from kerma.dose import DoseObjectError
    from kerma.skindose import room_defaults

    try:
        report = read_dose_object(path)
    except DoseObjectError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    device = report.device
    label = " ".join(x for x in (device.manufacturer, device.model) if x)
    return (
        report.events,
        report.patient,
        room_defaults(device.manufacturer, device.model),
        f"{path.name} ({label})",
    )


def _from_database(study_uid: str) -> tuple[list[Event], PatientInfo, RoomSettings, str]:
    from kerma.web.bootstrap import setup

    setup()
    from kerma.skindose import RoomSettings, room_defaults
    from kerma.web.dose.models import Exam
    from kerma.web.dose.rows import core_events, patient_of

    exam = Exam.objects.select_related("device").filter(study_uid=study_uid).first()
    if exam is None:
        raise CommandError(
            f"no such file, and no exam with study UID {study_uid!r} in the database"
        )
    events = core_events(exam)
    patient = patient_of(exam)
    device = exam.device
    room = room_defaults(device.manufacturer, device.model)
    try:  # a room's measured settings, when the follow-up app stores them
        from kerma.web.followup.models import RoomGeometry

        stored = RoomGeometry.objects.filter(device=device).first()
        if stored is not None and stored.settings:
            room = RoomSettings.from_dict({**room.to_dict(), **stored.settings})
    except ImportError:
        pass
    label = " ".join(x for x in (device.manufacturer, device.model) if x)
    return events, patient, room, f"study {study_uid} ({label})"


def _print_summary(result: SkinDoseResult, label: str, png: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{label}[/bold] — {result.provenance['phantom']['type']} phantom, "
                  f"{result.cell_size_mm:g} mm cells")
    if result.method == "map":
        console.print(f"Peak skin dose: [bold]{result.psd_mgy:.1f} mGy[/bold]")
        areas = ", ".join(
            f"≥ {level / 1000:g} Gy: {area:.0f} cm²"
            for level, area in result.area_above_mgy.items()
            if area is not None
        )
        console.print(f"Areas {areas}")
    else:
        console.print(
            f"Peak skin dose: [bold]≤ {result.psd_mgy:.1f} mGy[/bold] "
            "(conservative estimate from Ka,r, no map)"
        )
    console.print(f"Events used: {result.events_used}, skipped: {len(result.events_skipped)}")
    summary = result.event_summary()
    console.print(
        f"Room settings: {summary['room']} — mapped {summary['mapped']} "
        f"(field from DAP/Ka,r: {summary['field_derived']}, rotational: "
        f"{summary['rotational']}), in the Ka,r estimate {summary['estimated']}, skipped "
        f"{len(result.events_skipped)}"
    )
    if result.top_events:
        table = Table(title="Events contributing most to the peak")
        for column in ("#", "type", "primary °", "secondary °", "Ka,r mGy", "dose mGy", "share"):
            table.add_column(column)
        for item in result.top_events:
            table.add_row(
                str(item["index"] + 1),
                item.get("event_type") or "",
                _number(item.get("primary_angle_deg")),
                _number(item.get("secondary_angle_deg")),
                _number(item.get("kar_mgy")),
                _number(item.get("dose_mgy")),
                f"{100 * item['share']:.0f} %",
            )
        console.print(table)
    reasons: dict[str, int] = {}
    for skipped in result.events_skipped:
        reasons[skipped["reason"]] = reasons.get(skipped["reason"], 0) + 1
    for reason, count in reasons.items():
        console.print(f"Skipped {count}: {reason}")
    for warning in result.warnings:
        console.print(f"[yellow]Warning:[/yellow] {warning}")
    if png is not None:
        console.print(f"Picture written to {png}")


def _number(value: Any) -> str:
    return "" if value is None else f"{value:g}"


def run(
    source: str,
    *,
    phantom: str = "human",
    png: Path | None = None,
    as_json: bool = False,
    cell_mm: float = 10.0,
) -> None:
    """Compute the map of ``source`` (a file, or a study UID in the database) and print it.

    Raises :class:`CommandError` on bad input.
    """
    from kerma.skindose import PHANTOMS, compute_skin_dose, render_png

    if phantom not in PHANTOMS:
        raise CommandError(f"unknown phantom {phantom!r}: choose one of {', '.join(PHANTOMS)}")
    if not 1.0 <= cell_mm <= 100.0:
        raise CommandError("--cell-mm must be between 1 and 100")
    path = Path(source)
    if path.is_file():
        events, patient, room, label = _from_file(path)
    elif path.suffix.lower() == ".dcm" or "/" in source:
        raise CommandError(f"no such file: {source}")
    else:
        events, patient, room, label = _from_database(source)
    result = compute_skin_dose(events, patient=patient, room=room, phantom=phantom,
                               cell_mm=cell_mm)
    if png is not None:
        png.write_bytes(render_png(result))
    if as_json:
        data = result.to_json()
        data["source"] = label
        if png is not None:
            data["png"] = str(png)
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return
    _print_summary(result, label, png)


def parser(prog: str = "kerma skindose") -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parse = argparse.ArgumentParser(prog=prog, description=HELP, allow_abbrev=False)
    parse.add_argument(
        "source",
        metavar="FILE_OR_STUDY_UID",
        help="A dose report file, or the study UID of an exam",
    )
    parse.add_argument(
        "--phantom",
        default="human",
        help="Phantom: plane, cylinder or human (scaled to the patient); default human",
    )
    parse.add_argument("--png", type=Path, metavar="PATH", help="Write the map as a PNG here")
    parse.add_argument("--json", dest="as_json", action="store_true",
                       help="Print the result as JSON")
    parse.add_argument("--cell-mm", type=float, default=10.0,
                       help="Skin cell side (mm); default 10")
    return parse


def main(argv: Sequence[str] | None = None, prog: str = "kerma skindose") -> int:
    """Run the command with ``argv`` (default: the process's arguments after the command name).

    Returns the exit status: 0 done, 2 bad input (argparse exits with 2 itself on bad usage).
    """
    # One BLAS thread, unless the user chose otherwise: the map's matrix products are N×3 by
    # 3×3, too thin for threads, and OpenBLAS starting its pool when numpy is imported costs
    # about 0.1 s of CPU (half the command's) on this 2-core machine. No effect if numpy is
    # already imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = parser(prog).parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        run(args.source, phantom=args.phantom, png=args.png, as_json=args.as_json,
            cell_mm=args.cell_mm)
    except CommandError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
