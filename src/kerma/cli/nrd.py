"""``kerma nrd …``: NRD evaluations, the yearly plan, exports and protocol mappings, from the
command line (the reference sets are ``kerma reference``, :mod:`kerma.cli.reference`).

Data goes to standard output (tables, or JSON with ``--json``); messages and progress go to
standard error. Commands that change something record who did it (``--by``, default
``KERMA_USER`` or the login name) in the audit log. Exit codes: 0 done, 1 refused (a rule of
the decision or of the audit trail), 2 bad input (unknown device, act, file, invalid values).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import (
    ActOption,
    ByOption,
    DeviceOption,
    JsonOption,
    OnlyDeviceOption,
    PeriodFromOption,
    PeriodToOption,
    acting,
    check_choice,
    check_family,
    console,
    fail,
    find_device,
    parse_day,
    print_json,
    progress,
    refusals,
    setup,
)

nrd_app = typer.Typer(
    help="NRD evaluations (decision 2019-DC-0667): evaluate, plan the year, export for IRSN, "
    "map protocols to acts.",
    no_args_is_help=True,
    add_completion=False,
)

PopulationOption = Annotated[str, typer.Option(help="adult or paediatric")]
WeightClassOption = Annotated[
    str | None,
    typer.Option("--weight-class", help="Paediatric weight category of the reference set"),
]
ReferenceOption = Annotated[
    str | None, typer.Option(help="Use this reference set instead of the one chosen")
]
SaveOption = Annotated[bool, typer.Option("--save", help="Store the evaluation (a draft)")]


# ---- helpers ----------------------------------------------------------------------------------


def _evaluation(evaluation_id: int) -> Any:
    from kerma.web.nrd.models import Evaluation

    evaluation = Evaluation.objects.select_related("device").filter(pk=evaluation_id).first()
    if evaluation is None:
        raise fail(f"no evaluation with id {evaluation_id} (see `kerma nrd list`)")
    return evaluation


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


STATUS_STYLE = {
    "below_vgd": "green",
    "between": "yellow",
    "below_nrd": "green",
    "above_nrd": "bold red",
    "no_reference": "magenta",
    "no_data": "dim",
    "done": "green",
    "due": "yellow",
    "late": "bold red",
    "not_required": "dim",
}


def _styled(status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def _print_evaluation(data: dict[str, Any]) -> None:
    out = Console()
    device = data["device"]
    who = data["population"] + (f" {data['category']['code']}" if data.get("category") else "")
    out.print(
        f"[bold]{data['act']}[/] {data.get('act_label', '')} — {who} — device {device['id']} "
        f"{device['name']} — {data['from']} to {data['to']}",
        highlight=False,
    )
    out.print(
        f"reference: {data['reference_set']} ({data.get('reference_status') or 'no status'}), "
        f"{data.get('reference_version', '')}",
        highlight=False,
    )
    n = len(data["selected"])
    state = "complete" if n >= data["required_n"] else "[red]incomplete[/]"
    out.print(
        f"sample: {n} of {data['required_n']} required ({state}); {len(data['excluded'])} "
        f"excluded, {len(data.get('unmapped', []))} unmapped"
    )
    table = Table(title="Results")
    for column in ("quantity", "unit", "n", "median", "VGD", "NRD", "status"):
        table.add_column(column)
    for r in data["results"]:
        table.add_row(
            r["quantity"] + (" (indicative)" if r.get("indicative") else ""),
            r["unit"],
            str(r.get("n", "")),
            _number(r["median"]),
            _number(r["vgd"]),
            _number(r["nrd"]),
            _styled(r["status"]),
        )
    out.print(table)
    if data["excluded"]:
        excluded = Table(title="Excluded exams")
        excluded.add_column("study UID")
        excluded.add_column("reason")
        for item in data["excluded"][:20]:
            excluded.add_row(item["study_uid"], item["reason"])
        out.print(excluded)
        if len(data["excluded"]) > 20:
            out.print(f"… and {len(data['excluded']) - 20} more (--json lists them all)")
    for message in data.get("messages", []):
        out.print(f"[yellow]•[/] {message}", highlight=False)


# ---- kerma nrd ----------------------------------------------------------------------------------


@nrd_app.command("evaluate")
def evaluate_command(
    device_id: DeviceOption,
    act: ActOption,
    period_from: PeriodFromOption,
    period_to: PeriodToOption,
    population: PopulationOption = "adult",
    weight_class: WeightClassOption = None,
    reference: ReferenceOption = None,
    override: Annotated[
        list[str] | None,
        typer.Option(help="STUDY_UID=EVENT_UID: the acquisition to use for an exam (repeat)"),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="STUDY_UID the physicist leaves out (repeat)")
    ] = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    by: ByOption = None,
) -> None:
    """Evaluate an act on a device over a period: consecutive eligible exams, medians, NRD."""
    check_choice(population, ("adult", "paediatric"), "--population")
    first, last = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    overrides: dict[str, str] = {}
    for item in override or []:
        study, sep, event = item.partition("=")
        if not sep or not study or not event:
            raise typer.BadParameter(
                f"{item!r} is not STUDY_UID=EVENT_UID", param_hint="--override"
            )
        overrides[study] = event
    setup()
    from kerma.web.nrd.services import evaluation_to_dict, run_evaluation, save_evaluation

    device = find_device(device_id)
    assert first is not None and last is not None
    with console.status("Evaluating…"):
        try:
            run = run_evaluation(
                device,
                act,
                population=population,
                category=weight_class,
                period_from=first,
                period_to=last,
                overrides=overrides,
                excluded_by_user=list(exclude or []),
                reference_name=reference,
            )
        except (ValueError, LookupError) as exc:
            raise fail(str(exc).strip("'\"")) from None
    data = run.to_dict()
    if save:
        with acting(by) as name, refusals():
            stored = save_evaluation(run, by=name)
        data = evaluation_to_dict(stored)
        console.print(f"Saved as evaluation #{stored.pk} (draft: analyse, then sign off)")
    if as_json:
        print_json(data)
    else:
        _print_evaluation(data)


@nrd_app.command("list")
def list_command(
    year: Annotated[int | None, typer.Option(help="Only periods starting in this year")] = None,
    device_id: OnlyDeviceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List stored evaluations (latest first), with their state."""
    setup()
    from kerma.web.nrd.models import Evaluation

    rows = Evaluation.objects.select_related("device")
    if year is not None:
        rows = rows.filter(period_from__year=year)
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    items = [
        {
            "id": e.pk,
            "version": e.version,
            "device": e.device_id,
            "device_name": e.device_label,
            "act": e.act_code,
            "population": e.population,
            "from": e.period_from.isoformat(),
            "to": e.period_to.isoformat(),
            "n": e.n_selected,
            "required_n": e.required_n,
            "statuses": [r["status"] for r in e.results],
            "signed_by": e.signed_by or None,
            "signed_at": e.signed_at.isoformat(timespec="seconds") if e.signed_at else None,
            "superseded_by": e.superseded_by.pk if e.superseded_by else None,
        }
        for e in rows
    ]
    if as_json:
        print_json(items)
        return
    table = Table(title=f"{len(items)} evaluations")
    for column in ("id", "v", "device", "act", "population", "period", "n", "status", "signed"):
        table.add_column(column)
    for i in items:
        table.add_row(
            str(i["id"]),
            str(i["version"]) + (f"→#{i['superseded_by']}" if i["superseded_by"] else ""),
            i["device_name"],
            i["act"],
            i["population"],
            f"{i['from']}…{i['to']}",
            f"{i['n']}/{i['required_n']}",
            ", ".join(_styled(s) for s in i["statuses"]),
            f"{i['signed_by']} {i['signed_at'][:10]}" if i["signed_by"] else "draft",
        )
    Console().print(table)


@nrd_app.command("show")
def show_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id")],
    as_json: JsonOption = False,
) -> None:
    """Show a stored evaluation: sample, results, analysis, actions, sign-off, history."""
    setup()
    from kerma.web.nrd.services import evaluation_to_dict

    data = evaluation_to_dict(_evaluation(evaluation_id))
    if as_json:
        print_json(data)
        return
    _print_evaluation(data)
    out = Console()
    out.print(f"[bold]analysis:[/] {data['analysis'] or '—'}", highlight=False)
    if data["justification"]:
        out.print(f"[bold]justification:[/] {data['justification']}", highlight=False)
    for a in data["actions"]:
        state = "done" if a["done"] else ("[red]overdue[/]" if a["overdue"] else "open")
        out.print(
            f"action #{a['id']}: {a['description']} — {a['owner']}, due {a['due_date']} ({state})",
            highlight=False,
        )
    if data["signed_by"]:
        out.print(
            f"signed off by {data['signed_by']} on {data['signed_at']}; kept until "
            f"{data['retained_until']}",
            highlight=False,
        )
    else:
        for problem in data["sign_off_problems"]:
            out.print(f"[yellow]before sign-off:[/] {problem}", highlight=False)
    if data["previous"] or data["superseded_by"]:
        out.print(
            f"version {data['version']}; previous #{data['previous'] or '—'}; superseded "
            f"by #{data['superseded_by'] or '—'}"
        )


@nrd_app.command("analyse")
def analyse_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id (a draft)")],
    text: Annotated[str | None, typer.Option("--text", help="The physicist's analysis")] = None,
    justification: Annotated[
        str | None, typer.Option(help="Why an exceedance is justified")
    ] = None,
    by: ByOption = None,
) -> None:
    """Write the analysis (and the justification of an exceedance) of a draft evaluation."""
    setup()
    evaluation = _evaluation(evaluation_id)
    if text is not None:
        evaluation.analysis = text
    if justification is not None:
        evaluation.justification = justification
    with acting(by), refusals():
        evaluation.save()
    console.print(f"Evaluation #{evaluation.pk} updated")


@nrd_app.command("action")
def action_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id (a draft)")],
    description: Annotated[str, typer.Option(help="What will be done")],
    owner: Annotated[str, typer.Option(help="Who is responsible")],
    due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD")],
    by: ByOption = None,
) -> None:
    """Add a corrective action (owner, due date) to a draft evaluation."""
    due_date = parse_day(due, "--due")
    setup()
    from kerma.web.nrd.services import add_action

    evaluation = _evaluation(evaluation_id)
    assert due_date is not None
    with acting(by) as name, refusals():
        action = add_action(
            evaluation, by=name, description=description, owner=owner, due_date=due_date
        )
    console.print(f"Action #{action.pk} added to evaluation #{evaluation.pk}")


@nrd_app.command("done")
def done_command(
    action_id: Annotated[int, typer.Argument(help="Corrective action id")],
    undo: Annotated[bool, typer.Option("--undo", help="Mark it not done")] = False,
    by: ByOption = None,
) -> None:
    """Record that a corrective action is done (allowed after sign-off)."""
    setup()
    from kerma.web.nrd.models import CorrectiveAction

    action = CorrectiveAction.objects.filter(pk=action_id).first()
    if action is None:
        raise fail(f"no corrective action with id {action_id}")
    with acting(by) as name, refusals():
        action.mark_done(name, done=not undo)
    console.print(f"Action #{action.pk} {'not ' if undo else ''}done")


@nrd_app.command("sign")
def sign_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id (a draft)")],
    by: ByOption = None,
) -> None:
    """Sign an evaluation off as the RAN: afterwards it is frozen for 5 years."""
    setup()
    evaluation = _evaluation(evaluation_id)
    with acting(by) as name, refusals():
        evaluation.sign(name)
    console.print(
        f"Evaluation #{evaluation.pk} signed off by {evaluation.signed_by}; kept unchanged until "
        f"{evaluation.retained_until:%Y-%m-%d}"
    )


@nrd_app.command("supersede")
def supersede_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id (signed)")],
    reason: Annotated[str, typer.Option(help="Why a new version is needed")] = "",
    rerun_sample: Annotated[
        bool, typer.Option("--rerun/--copy", help="Recompute the sample now, or copy it")
    ] = False,
    by: ByOption = None,
) -> None:
    """Start a new version of a signed evaluation (the signed one is kept as it is)."""
    setup()
    from kerma.web.nrd.services import rerun

    evaluation = _evaluation(evaluation_id)
    with acting(by) as name, refusals():
        new = evaluation.supersede(name, reason=reason)
        if rerun_sample:
            rerun(new, by=name)
    console.print(f"Evaluation #{new.pk} (version {new.version}) supersedes #{evaluation.pk}")
    typer.echo(new.pk)


@nrd_app.command("plan")
def plan_command(
    year: Annotated[int, typer.Option(help="The year, YYYY")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Look at the plan as of this date (default today)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The yearly plan: what is required per device or unit, done, due or late, and flags.

    The flags are what an inspector would note (nonconformities and warnings).
    """
    when = parse_day(as_of, "--as-of")
    setup()
    from kerma.web.nrd.services import year_plan

    with progress(transient=True) as bar:
        task = bar.add_task(f"Activity {year} per device", total=None)
        data = year_plan(
            year,
            as_of=when,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(data)
        return
    out = Console()
    table = Table(title=f"NRD plan {year} (as of {data['as_of']})")
    for column in ("device / unit", "requirement", "population", "act", "status", "evaluation",
                   "note"):  # fmt: skip
        table.add_column(column)
    for item in data["items"]:
        device = item["device"]
        where = device.get("name") or f"unit {device.get('unit') or '—'} ({device.get('group')})"
        act = (
            item["act"]["code"]
            if item["act"]
            else ", ".join(c["code"] for c in item["candidate_acts"][:3])
        )
        table.add_row(
            where,
            item["requirement"].replace("_", " "),
            item["population"],
            act,
            _styled(item["status"]),
            f"#{item['evaluation_id']}" if item["evaluation_id"] else "",
            item["note"],
        )
    out.print(table)
    for flag in data["flags"]:
        colour = "red" if flag["severity"] == "nonconformity" else "yellow"
        out.print(f"[{colour}]{flag['severity']}[/] {flag['message']}", highlight=False)
    if not data["flags"]:
        out.print("[green]Nothing an inspector would flag.")


@nrd_app.command("export")
def export_command(
    evaluation_id: Annotated[int, typer.Argument(help="Evaluation id")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option("--output", help="File to write (default: a name in .)")
    ] = None,
) -> None:
    """Export an evaluation's per-patient data for IRSN (XLSX: also summary and exclusions)."""
    check_choice(fmt, ("xlsx", "csv"), "--format")
    setup()
    from kerma.web.nrd.exports import default_name, export

    evaluation = _evaluation(evaluation_id)
    path = output or Path.cwd() / default_name(evaluation, fmt)
    try:
        export(evaluation, fmt, path)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc}") from None
    console.print(f"Wrote {len(evaluation.selected)} patients to {path}")
    typer.echo(str(path))


@nrd_app.command("map")
def map_command(
    pattern: Annotated[str, typer.Option(help="Protocol or procedure name, or part of it")],
    act: Annotated[str, typer.Option("--act", help="Act code it means")],
    device_id: Annotated[
        int | None, typer.Option("--device", help="Device id (omit: every device)")
    ] = None,
    kind: Annotated[str, typer.Option(help="exact, contains or regex")] = "contains",
    priority: Annotated[int, typer.Option(help="Smaller is tried first")] = 100,
    case_sensitive: Annotated[bool, typer.Option("--case-sensitive")] = False,
    as_json: JsonOption = False,
    by: ByOption = None,
) -> None:
    """Map protocol/procedure names to an act (drafts of the device are re-evaluated)."""
    check_choice(kind, ("exact", "contains", "regex"), "--kind")
    setup()
    from kerma.web.nrd.services import add_mapping

    device = find_device(device_id)
    with acting(by) as name, refusals():
        try:
            rule, refreshed = add_mapping(
                by=name,
                pattern=pattern,
                act_code=act,
                device=device,
                kind=kind,
                priority=priority,
                case_sensitive=case_sensitive,
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
    data = {
        "id": rule.pk,
        "device": device_id,
        "kind": rule.kind,
        "pattern": rule.pattern,
        "act": rule.act_code,
        "priority": rule.priority,
        "drafts_reevaluated": refreshed,
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"Rule #{rule.pk}: {kind} {pattern!r} → {act} on "
        f"{'device ' + str(device_id) if device_id else 'every device'}"
        + (f"; {refreshed} draft evaluation(s) re-evaluated" if refreshed else ""),
        highlight=False,
    )


@nrd_app.command("mappings")
def mappings_command(
    device_id: OnlyDeviceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the mapping rules in the order they are tried."""
    setup()
    from kerma.web.nrd.models import ProtocolMapping

    rows = ProtocolMapping.objects.select_related("device").order_by("priority", "id")
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    items = [
        {
            "id": r.pk,
            "device": r.device_id,
            "kind": r.kind,
            "pattern": r.pattern,
            "act": r.act_code,
            "priority": r.priority,
            "created_by": r.created_by,
        }
        for r in rows
    ]
    if as_json:
        print_json(items)
        return
    table = Table(title="Mapping rules")
    for column in ("id", "device", "kind", "pattern", "act", "priority"):
        table.add_column(column)
    for i in items:
        table.add_row(
            str(i["id"]),
            str(i["device"] or "all"),
            i["kind"],
            i["pattern"],
            i["act"],
            str(i["priority"]),
        )
    Console().print(table)


@nrd_app.command("unmap")
def unmap_command(
    rule_id: Annotated[int, typer.Argument(help="Mapping rule id")],
    by: ByOption = None,
) -> None:
    """Delete a mapping rule (audited; drafts of the device are re-evaluated)."""
    setup()
    from kerma.web.nrd.models import ProtocolMapping
    from kerma.web.nrd.services import remove_mapping

    rule = ProtocolMapping.objects.filter(pk=rule_id).first()
    if rule is None:
        raise fail(f"no mapping rule with id {rule_id}")
    with acting(by) as name, refusals():
        # A rule for every device: refused when --by names an account that is no administrator.
        refreshed = remove_mapping(rule, by=name)
    console.print(f"Rule #{rule_id} deleted; {refreshed} draft evaluation(s) re-evaluated")


@nrd_app.command("unmapped")
def unmapped_command(
    device_id: OnlyDeviceOption = None,
    period_from: Annotated[str | None, typer.Option("--from", help="First study date")] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="Last study date")] = None,
    as_json: JsonOption = False,
) -> None:
    """List procedure names no rule maps, with their exam counts and the likely acts."""
    first, last = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    setup()
    from kerma.web.nrd.services import unmapped_listing

    device = find_device(device_id)
    with console.status("Counting names…"):
        items = unmapped_listing(device=device, period_from=first, period_to=last)
    if as_json:
        print_json(items)
        return
    table = Table(title=f"{len(items)} unmapped names")
    for column in ("device", "name", "exams", "suggested acts"):
        table.add_column(column)
    for i in items:
        table.add_row(
            f"{i['device']['id']} {i['device']['name']}",
            i["name"] or "(empty)",
            str(i["count"]),
            ", ".join(f"{s['act']} ({s['score']:.2f})" for s in i["suggestions"]) or "—",
        )
    Console().print(table)
    if items:
        console.print("Map a name with: kerma nrd map --device ID --pattern NAME --act CODE")


@nrd_app.command("device")
def device_command(
    device_id: Annotated[int, typer.Argument(help="Device id")],
    perimeter: Annotated[
        bool | None, typer.Option("--in/--out", help="In or outside the RAN's perimeter")
    ] = None,
    family: Annotated[
        str | None, typer.Option(help="Family of acts (ct, radiography, dental, …)")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Imaging unit the device belongs to")] = None,
    first_year: Annotated[
        int | None, typer.Option("--first-year", help="Year it entered the perimeter")
    ] = None,
    as_json: JsonOption = False,
    by: ByOption = None,
) -> None:
    """Show or set a device's NRD settings: perimeter, family of acts, unit."""
    setup()
    from kerma.web.nrd.services import device_info, set_device_settings

    device = find_device(device_id)
    check_family(family)
    if any(v is not None for v in (perimeter, family, unit, first_year)):
        with acting(by) as name, refusals():
            set_device_settings(
                device,
                by=name,
                in_perimeter=perimeter,
                family=family,
                unit=unit,
                first_year=first_year,
            )
    data = device_info(device)
    if as_json:
        print_json(data)
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


@nrd_app.command("audit")
def audit_command(
    object_type: Annotated[
        str | None,
        typer.Option("--type", help="evaluation, mapping, reference_choice, reference_set, …"),
    ] = None,
    object_id: Annotated[str | None, typer.Option("--id", help="Object id")] = None,
    limit: Annotated[int, typer.Option(help="Latest entries shown")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log: who changed what, when, before and after."""
    setup()
    from kerma.web.audit.models import AuditEntry

    rows = AuditEntry.objects.order_by("-at", "-id")
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    items = [
        {
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "type": e.object_type,
            "id": e.object_id,
            "summary": e.summary,
            "before": e.before,
            "after": e.after,
        }
        for e in rows[:limit]
    ]
    if as_json:
        print_json(items)
        return
    table = Table(title="Audit log")
    for column in ("at", "actor", "action", "object", "changed"):
        table.add_column(column)
    for i in items:
        keys = sorted(set(i["after"] or {}) | set(i["before"] or {}))
        table.add_row(
            i["at"], i["actor"], i["action"], f"{i['type']} #{i['id']}", ", ".join(keys)[:60]
        )
    Console().print(table)


@nrd_app.command("enter")
def enter_command(
    device_id: DeviceOption,
    act: ActOption,
    period_from: PeriodFromOption,
    period_to: PeriodToOption,
    file: Annotated[
        Path,
        typer.Option(
            "--file", help="The typed rows: CSV (',' or ';', decimal comma) or XLSX, header first"
        ),
    ],
    population: PopulationOption = "adult",
    weight_class: WeightClassOption = None,
    reference: ReferenceOption = None,
    save: SaveOption = False,
    as_json: JsonOption = False,
    by: ByOption = None,
) -> None:
    """Evaluate typed rows (a unit without dose archive): same rules, stored as manual entry.

    Columns: date, age (years), sex, weight (kg), height (cm) or (m), then the act's quantities
    with their unit in the header — CTDIvol (mGy), DLP (mGy·cm); DAP (mGy·cm²); interventional
    DAP (Gy·cm²), fluoro time (min); activity (MBq). Errors name the row and the column.
    """
    check_choice(population, ("adult", "paediatric"), "--population")
    first, last = parse_day(period_from, "--from"), parse_day(period_to, "--to")
    if not file.is_file():
        raise fail(f"no file {file}")
    setup()
    from kerma.web.nrd.manual import (
        ManualEntryError,
        read_upload,
        run_manual_evaluation,
        save_manual_evaluation,
    )
    from kerma.web.nrd.services import evaluation_to_dict

    device = find_device(device_id)
    assert first is not None and last is not None
    try:
        cells = read_upload(file.name, file.read_bytes())
        run = run_manual_evaluation(
            device,
            act,
            cells,
            population=population,
            category=weight_class,
            period_from=first,
            period_to=last,
            reference_name=reference,
            filename=file.name,
        )
    except ManualEntryError as exc:
        for error in exc.errors:
            console.print(f"[red]{error}", highlight=False)
        raise typer.Exit(2) from None
    except (ValueError, LookupError) as exc:
        raise fail(str(exc).strip("'\"")) from None
    data = run.to_dict()
    if save:
        with acting(by) as name, refusals():
            stored = save_manual_evaluation(run, by=name)
        data = evaluation_to_dict(stored)
        console.print(f"Saved as evaluation #{stored.pk} (manual entry, draft)")
    if as_json:
        print_json(data)
    else:
        _print_evaluation(data)

