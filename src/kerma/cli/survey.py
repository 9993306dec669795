"""``kerma survey``: multi-centre reference-level surveys (issue 16).

- ``contribute``: this site's procedures (mobile C-arms and fluoroscopy) in the survey template,
  anonymised (no patient key, months only, the facility code ``--facility`` or
  ``KERMA_FACILITY_CODE``), CSV or XLSX by the extension of ``--out``;
- ``run``: validate, filter with a reason per rejected record, compute the reference levels
  (DuckDB, or Spark with ``kerma[spark]``), write the report; ``--json`` prints ``before``,
  ``after``, ``rejected`` and ``acts`` (a contract); ``--memory-limit`` (or
  ``KERMA_SURVEY_MEMORY_LIMIT``) caps DuckDB's memory, beyond which it spills to disk;
- ``demo``: a survey of three facilities, the demo unit's C-arm and two generated ones.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from kerma.cli.common import (
    JsonOption,
    PeriodFromOption,
    PeriodToOption,
    check_choice,
    console,
    fail,
    parse_day,
    print_json,
    setup,
)

survey_app = typer.Typer(
    help="Multi-centre reference-level surveys: contribute, run, demo.",
    no_args_is_help=True,
    add_completion=False,
)

FacilityOption = Annotated[
    str | None,
    typer.Option("--facility", help="Facility code (default: KERMA_FACILITY_CODE)"),
]
LanguageOption = Annotated[str, typer.Option("--language", help="Report language: fr or en")]


@survey_app.callback()
def survey() -> None:
    """Multi-centre reference-level surveys: contribute, run, demo."""


def _facility(code: str | None) -> str:
    facility = code or os.environ.get("KERMA_FACILITY_CODE", "").strip()
    if not facility:
        raise fail("a facility code is needed: --facility CODE or KERMA_FACILITY_CODE")
    return facility


def contribution_rows(
    facility: str,
    period_from: date,
    period_to: date,
    acts: list[str] | None = None,
    categories: tuple[str, ...] = ("mobile_carm", "fluoroscopy"),
) -> list[dict[str, Any]]:
    """Return this site's procedures of mobile C-arms and fluoroscopy rooms (``categories`` of
    devices) between the two dates (test exams left out) in the template's columns: the act
    from the NRD mapping if a rule maps the procedure name, else the name; ``acts`` keeps only
    those acts (any case)."""
    from django.db.models import Count, Q

    from kerma.survey.specialties import specialty_of
    from kerma.survey.template import procedure_row
    from kerma.web.dose.models import Exam
    from kerma.web.nrd.services import protocol_mapper
    from kerma.web.quality.models import ControlRecord, EquipmentRecord, Periodicity

    exams = (
        Exam.objects.filter(
            is_test=False,
            device__category__in=categories,
            study_date__gte=period_from,
            study_date__lte=period_to,
        )
        .select_related("device")
        .annotate(images=Count("events", filter=~Q(events__event_type="fluoroscopy")))
        .order_by("study_date", "pk")
    )
    wanted = {a.casefold() for a in acts or []}
    commissioned = dict(
        EquipmentRecord.objects.filter(commissioned_on__isnull=False).values_list(
            "device_id", "commissioned_on"
        )
    )
    controls: dict[int, list[date]] = {}
    for device_id, done_on in ControlRecord.objects.filter(
        kind=Periodicity.Kind.EXTERNAL_QC
    ).values_list("device_id", "done_on").order_by("done_on"):
        controls.setdefault(device_id, []).append(done_on)
    mappers: dict[int, Any] = {}
    rows = []
    for exam in exams:
        device = exam.device
        mapper = mappers.get(device.pk) or mappers.setdefault(
            device.pk, protocol_mapper(device.pk)
        )
        name = exam.procedure or ""
        act = mapper.act_for(str(device.pk), name) or name.strip()
        if wanted and act.casefold() not in wanted:
            continue
        since = commissioned.get(device.pk) or device.commissioned_on
        last_qc = [d for d in controls.get(device.pk, []) if d <= exam.study_date]
        rows.append(
            procedure_row(
                facility=facility,
                act=act,
                specialty=specialty_of(name or act),
                study_date=exam.study_date,
                dap_gycm2=exam.dap_total_gycm2,
                fluoro_time_s=exam.fluoro_time_s,
                kar_mgy=exam.kar_total_mgy,
                images=exam.images,
                weight_kg=exam.weight_kg,
                height_m=exam.height_m,
                device={
                    "manufacturer": device.manufacturer,
                    "model": device.model,
                    "year": since.year if since else None,
                },
                act_details=name if name != act else "",
                last_external_qc=last_qc[-1] if last_qc else None,
            )
        )
    return rows


def _output(path: Path) -> Path:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise typer.BadParameter("the file must end in .csv or .xlsx", param_hint="--out")
    return path


@survey_app.command()
def contribute(
    period_from: PeriodFromOption,
    period_to: PeriodToOption,
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv or .xlsx")],
    act: Annotated[list[str] | None, typer.Option("--act", help="Only this act (repeat)")] = None,
    facility: FacilityOption = None,
) -> None:
    """Export this site's procedures in the survey template, anonymised."""
    _output(out)
    code = _facility(facility)
    start, end = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    assert start is not None and end is not None
    setup()
    from kerma.survey.template import write

    rows = contribution_rows(code, start, end, act)
    write(rows, out)
    console.print(f"{len(rows)} procedures written to {out}")


def _print_counts(result: Any, language: str = "en") -> None:
    from rich.console import Console
    from rich.table import Table

    from kerma.survey.report import counts_rows, reason_text, word

    table = Table(title=word("counts", language))
    for column in ("", word("before", language), word("after", language)):
        table.add_column(column)
    for row in counts_rows(result, language):
        table.add_row(*(str(v) for v in row))
    output = Console()
    output.print(table)
    for code, count in result.rejected.items():
        output.print(f"rejected {count}: {reason_text(code, language)} [{code}]")


def run_and_report(
    paths: list[Path],
    out: Path,
    engine: str,
    language: str,
    as_json: bool,
    memory_limit: str | None = None,
) -> None:
    """Run the survey of ``paths`` (DuckDB's memory capped at ``memory_limit``, see
    :func:`kerma.survey.engines.memory_limit`), write its report to ``out`` and print the
    table (or the JSON)."""
    from kerma.survey.engines import memory_limit as checked_limit
    from kerma.survey.report import write_report
    from kerma.survey.run import run_survey
    from kerma.survey.wording import SurveyInputError

    try:
        limit = checked_limit(memory_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--memory-limit") from None
    out.mkdir(parents=True, exist_ok=True)
    try:
        result = run_survey(paths, engine=engine, out_dir=out, memory_limit=limit)
    except SurveyInputError as exc:
        raise fail(exc.notice.text("en")) from None
    except ImportError as exc:
        raise fail(f"the {engine} engine is not installed ({exc}): install kerma[spark]") from None
    files = write_report(result, out, language)
    if as_json:
        print_json(result.as_json())
    else:
        _print_counts(result)
    console.print(f"report: {files['html']}, workbook: {files['xlsx']}")


@survey_app.command()
def run(
    data: Annotated[list[Path], typer.Argument(help="Contributions: CSV, XLSX, Parquet")],
    out: Annotated[Path, typer.Option("--out", help="Folder of the report")],
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
    language: LanguageOption = "fr",
    as_json: JsonOption = False,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help="DuckDB's memory cap, e.g. 2GB; beyond it DuckDB spills to disk (default: "
            "KERMA_SURVEY_MEMORY_LIMIT, else half of the machine's memory, at most 8GB)",
        ),
    ] = None,
) -> None:
    """Validate, filter and pool contributions into reference levels per act; write a report."""
    check_choice(engine, ("duckdb", "spark"), "--engine")
    check_choice(language, ("fr", "en"), "--language")
    missing = [str(p) for p in data if not p.is_file()]
    if missing:
        raise fail(f"No such file: {', '.join(missing)}")
    run_and_report(data, out, engine, language, as_json, memory_limit)


@survey_app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder of the contributions and report")],
    language: LanguageOption = "fr",
    as_json: JsonOption = False,
) -> None:
    """A survey of three facilities: the demo unit's C-arm and two generated ones."""
    check_choice(language, ("fr", "en"), "--language")
    setup()
    from kerma.survey.demo import other_facilities
    from kerma.survey.template import write
    from kerma.web.dose.models import Device, Exam

    carm = Exam.objects.filter(device__category=Device.Category.MOBILE_CARM, is_test=False)
    if not carm.exists():
        from kerma.ingest.demo import seed_demo

        console.print("Preparing the demo unit (kerma demo)…")
        seed_demo()
    days = [d for d in carm.values_list("study_date", flat=True) if d]
    rows = contribution_rows("DEMO", min(days), max(days), categories=("mobile_carm",))
    out.mkdir(parents=True, exist_ok=True)
    ours = write(rows, out / "contribution-DEMO.csv")
    others = write(other_facilities(rows), out / "contributions-others.xlsx")
    run_and_report([ours, others], out, "duckdb", language, as_json)
