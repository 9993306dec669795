"""``kerma patient …``, ``kerma report …``, ``kerma pregnancy …``: persons at risk and each
patient's dose record from the command line.

- ``kerma patient show KEY [--window YEARS] [--json]``: every exam of the patient
  (pseudonymised key) with its estimated effective dose (``effective_dose_msv``) and its
  ``method``, and ``cumulative_effective_dose_msv`` over the window (default 5 years);
- ``kerma patient coefficients [--json]`` and ``kerma patient load-coefficients FILE --by NAME``:
  the E/DAP coefficients in use with their sources; the installation's own (e.g. projection
  radiography from a publication the unit holds), every row cited, checked and audited;
- ``kerma patient ssde-from-images --peer AET@HOST:PORT [--from D] [--to D] [--images N]
  [--again] [--json]``: the water-equivalent diameter (AAPM Report 220) of the CT events whose
  dose report carries neither SSDE nor Dw, measured on a few axial images retrieved from the PACS
  (C-GET, read in memory, never kept), so that their SSDE no longer rests on weight and height;
- ``kerma report STUDY_UID [--format text|pdf|json] [--language fr|en] [--output FILE]``: the
  dose section of the exam report (arrêté of 22 September 2006);
- ``kerma pregnancy unchecked [--device D] [--from D] [--to D] [--json]``: exams of women of
  child-bearing age without a pregnancy check.

Effective doses are estimates (reference-person coefficients, each with its source), never a
measurement. Data goes to standard output, messages to standard error.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import (
    ByOption,
    CallingAetOption,
    JsonOption,
    actor,
    check_choice,
    console,
    fail,
    parse_day,
    print_json,
    setup,
)

patient_app = typer.Typer(
    help="A patient's dose record: estimated effective doses, cumulated, at-risk flags.",
    no_args_is_help=True,
    add_completion=False,
)
pregnancy_app = typer.Typer(
    help="Pregnancy checks: exams of women of child-bearing age without one.",
    no_args_is_help=True,
    add_completion=False,
)


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@patient_app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="Pseudonymised patient key (kerma exams)")],
    window: Annotated[int, typer.Option(help="Cumulate over this many years")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Show a patient's exams with estimated effective doses and the cumulative dose."""
    setup()
    from kerma.patients.rounding import msv_text
    from kerma.web.dose.models import Exam
    from kerma.web.patients.services import flags_of, patient_record

    exams = Exam.objects.filter(patient_key=key, is_test=False).select_related("device")
    if not exams.exists():
        raise fail(f"No exam for patient key {key}")
    record = patient_record(exams.order_by("-study_date", "-id"), key, date.today(),
                            window_years=window, flags=flags_of(key))
    if as_json:
        print_json(record)
        return
    table = Table(title=f"Patient {key[:12]}… — estimated effective doses (mSv)")
    for column in ("date", "modality", "device", "procedure", "E (mSv)", "method"):
        table.add_column(column)
    for exam in record["exams"]:
        table.add_row(exam["study_date"] or "", exam["modality"], exam["device"],
                      (exam["procedure"] or "")[:40], msv_text(exam["effective_dose_msv"]),
                      exam["method"])
    out = Console()
    out.print(table)
    out.print(f"Cumulative estimate over {window} year(s): "
              f"{msv_text(record['cumulative_effective_dose_msv'])} mSv "
              f"({record['not_estimated']} exam(s) not estimated)")
    if record["recurrent_alert"]:
        out.print(f"[red]{record['recurrent_alert']['text']}[/]")
    for flag in record["flags"]:
        out.print(f"[yellow]{flag['kind']}[/] {flag['note']} ({flag['entered_by']})")


@patient_app.command("coefficients")
def coefficients(as_json: JsonOption = False) -> None:
    """List the E/DAP coefficients estimates use, each with its source (the installation's
    loaded table first: its rows win on a match)."""
    setup()
    from kerma.patients import coefficients as co
    from kerma.web.patients.services import dap_coefficients_in_use

    own = set(co.DAP_COEFFICIENTS)
    rows = [
        {"procedure": c.name, "words": list(c.words), "msv_per_gycm2": c.msv_per_gycm2,
         "tissue_weighting": c.tissue_weighting, "source": c.source,
         "origin": "kerma" if c in own else "installation"}
        for c in dap_coefficients_in_use()
    ]
    if as_json:
        print_json({"dap_coefficients": rows})
        return
    table = Table(title="E/DAP coefficients (mSv per Gy·cm²)")
    for column in ("procedure", "mSv/Gy·cm²", "origin", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["procedure"], f"{row['msv_per_gycm2']:g}", row["origin"],
                      row["source"][:80])
    Console().print(table)


@patient_app.command("load-coefficients")
def load_coefficients(
    path: Annotated[Path, typer.Argument(help="CSV: procedure, words (|-separated), "
                                             "msv_per_gycm2, citation[, tissue_weighting, "
                                             "where, url]")],
    by: ByOption,
) -> None:
    """Load the installation's E/DAP coefficients (e.g. for projection radiography, from a
    publication the unit holds): every row with its citation; checked, audited, used before
    Kerma's own rows."""
    setup()
    from kerma.patients.coefficients import CoefficientError
    from kerma.web.patients.services import load_dap_coefficients

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot be read ({exc})") from None
    try:
        table = load_dap_coefficients(text, path.name, actor(by))
    except CoefficientError as exc:
        raise fail(str(exc)) from None
    console.print(f"Loaded {table.rows} E/DAP coefficient(s) from {path.name}; "
                  "they are used before Kerma's own rows.")


@patient_app.command("ssde-from-images")
def ssde_from_images(
    peer: Annotated[str, typer.Option(help="The PACS, AET@HOST:PORT")],
    since: Annotated[str | None, typer.Option("--from", help="First study date, YYYY-MM-DD")] =
    None,
    until: Annotated[str | None, typer.Option("--to", help="Last study date, YYYY-MM-DD")] = None,
    images: Annotated[int, typer.Option(
        min=1, max=20, help="Axial images per series, evenly spaced (1: the middle one)")] = 3,
    again: Annotated[bool, typer.Option(help="Measure events measured before again")] = False,
    aet: CallingAetOption = "KERMA",
    as_json: JsonOption = False,
) -> None:
    """Measure the water-equivalent diameter (AAPM 220) on a few axial images from the PACS for
    the CT events whose report has neither SSDE nor Dw; their SSDE then uses it."""
    from kerma.dicom.retrieve import parse_peer

    try:
        target = parse_peer(peer)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--peer") from None
    first, last = parse_day(since, "--from"), parse_day(until, "--to")
    setup()
    from kerma.web.patients.images import ct_exams
    from kerma.web.patients.images import ssde_from_images as measure

    result = measure(target, ct_exams(first, last), per_series=images, again=again,
                     calling_aet=aet)
    if as_json:
        print_json(result)
    else:
        table = Table(title=f"Dw from axial images (AAPM 220), {target}")
        for column in ("study", "event", "Dw (cm)", "images", "SSDE (mGy)"):
            table.add_column(column)
        for row in result["measured"]:
            found = row["ssde"] or {}
            table.add_row(row["study_uid"][-16:], row["event_uid"][-16:], _num(row["dw_cm"], 1),
                          str(row["images"]), _num(found.get("ssde_mgy")))
        Console().print(table)
        console.print(f"{result['events_measured']} event(s) measured in "
                      f"{result['studies_asked']} stud(y/ies) lacking SSDE and Dw; "
                      f"{len(result['studies_without_axial_images'])} without axial images "
                      "on the PACS")
    for failure in result["failures"]:
        console.print(f"[yellow]failed[/] {failure}")
    if not result["reached"]:
        console.print(f"[red]The PACS {target} could not be reached: nothing was changed "
                      "for the studies not measured.[/]")
    if result["failures"]:
        raise typer.Exit(1)


def report(
    study_uid: Annotated[str, typer.Argument(help="Study Instance UID of the exam")],
    output_format: Annotated[str, typer.Option("--format", help="text, pdf or json")] = "text",
    language: Annotated[str, typer.Option(help="fr or en")] = "fr",
    output: Annotated[Path | None, typer.Option(help="Write to this file (PDF: default "
                                                     "standard output)")] = None,
) -> None:
    """Print the dose section of an exam's report (arrêté of 22 September 2006)."""
    check_choice(output_format, ("text", "pdf", "json"), "--format")
    check_choice(language, ("fr", "en"), "--language")
    setup()
    from kerma.web.dose.models import Exam
    from kerma.web.patients.services import section_of, section_pdf

    exam = Exam.objects.filter(study_uid=study_uid).select_related("device").first()
    if exam is None:
        raise fail(f"No exam with Study Instance UID {study_uid}")
    section = section_of(exam)
    if output_format == "json":
        print_json(section.as_dict())
        return
    data = section_pdf(section, language) if output_format == "pdf" else (
        section.text(language) + "\n").encode("utf-8")
    if output is not None:
        output.write_bytes(data)
        return
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


@pregnancy_app.command("unchecked")
def unchecked(
    device: Annotated[str | None, typer.Option(help="Device id, serial, station or model")] = None,
    since: Annotated[str | None, typer.Option("--from", help="First study date, YYYY-MM-DD")] =
    None,
    until: Annotated[str | None, typer.Option("--to", help="Last study date, YYYY-MM-DD")] = None,
    as_json: JsonOption = False,
) -> None:
    """List exams of women of child-bearing age without a recorded pregnancy check."""
    first, last = parse_day(since, "--from"), parse_day(until, "--to")
    setup()
    from kerma.patients.risk import DEFAULTS
    from kerma.web.dose.models import Exam
    from kerma.web.patients.services import by_device_and_month, unchecked_pregnancies

    rows = unchecked_pregnancies(Exam.objects.filter(is_test=False).select_related("device"),
                                 device=device, since=first, until=last)
    if as_json:
        print_json({
            "child_bearing_age_years": [DEFAULTS.child_bearing_low_years,
                                        DEFAULTS.child_bearing_high_years],
            "source": DEFAULTS.child_bearing_source,
            "by_device_month": [{"device": d, "month": m, "exams": n}
                                for d, m, n in by_device_and_month(rows)],
            "exams": rows,
        })
        return
    table = Table(title=f"{len(rows)} exam(s) without a pregnancy check")
    for column in ("date", "device", "modality", "procedure", "age", "patient key"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["study_date"] or "", row["device"], row["modality"],
                      (row["procedure"] or "")[:40], _num(row["age_years"], 0),
                      row["patient"]["key"][:12])
    Console().print(table)
