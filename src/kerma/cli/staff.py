"""``kerma staff assess``: the predictive assessment of a staff position's exposure.

The doses per procedure at a reference distance come from ``--dose-usv`` (µSv, measured) or
from a DAP times scatter coefficients (``--scatter`` in µSv per Gy·cm² with ``--scatter-source``,
and ``--dap-gycm2`` or the median DAP of the database's exams); the yearly volume from
``--volume`` or from the database (``--device``, ``--act``, ``--from``, ``--to``); or everything
from a saved assessment (``--assessment ID``). Output (``--json``): ``whole_body_msv``,
``extremities_msv``, ``lens_msv``, ``category`` (``A``, ``B`` or ``none``), ``over_limit``, and
the details (limits, attenuation still needed, protections that fix an organ, notices).

Without ``--device`` or ``--assessment`` the command does not touch the database.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kerma.cli.common import JsonOption, fail, parse_day, print_json
from kerma.staff import ORGANS

staff_app = typer.Typer(
    help="Staff exposure: predictive assessment against the limits and classification.",
    no_args_is_help=True,
    add_completion=False,
)


@staff_app.callback()
def staff() -> None:
    """Staff exposure: predictive assessment against the limits and classification."""


def parse_organs(text: str | None, option: str, *, fraction: bool = False) -> dict[str, float]:
    """Return ``organ=value,…`` as a dict (organs: whole_body, extremities, lens); a usage error
    naming ``option`` otherwise. ``fraction``: values in [0, 1) (a percentage with ``%``)."""
    result: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in (text or "").split(","))):
        organ, sep, raw = item.partition("=")
        organ = organ.strip()
        try:
            value = float(raw.strip().rstrip("%"))
        except ValueError:
            raise typer.BadParameter(f"{item!r} is not organ=number", param_hint=option) from None
        if raw.strip().endswith("%"):
            value /= 100
        if not sep or organ not in ORGANS:
            raise typer.BadParameter(
                f"{item!r}: organs are {', '.join(ORGANS)}", param_hint=option
            ) from None
        if value < 0 or (fraction and value >= 1):
            bound = "in [0, 1)" if fraction else "positive or zero"
            raise typer.BadParameter(f"{item!r}: the value must be {bound}", param_hint=option)
        result[organ] = value
    return result


def _candidate(text: str) -> Any:
    from kerma.staff import Protection

    name, sep, values = text.partition(":")
    if not sep or not name.strip():
        raise typer.BadParameter(
            f"{text!r} is not NAME:organ=attenuation,…", param_hint="--candidate"
        )
    return Protection(name.strip(), parse_organs(values, "--candidate", fraction=True))


@staff_app.command()
def assess(
    volume: Annotated[float | None, typer.Option(help="Procedures a year")] = None,
    distance_cm: Annotated[
        float | None, typer.Option("--distance-cm", help="Working distance (cm)")
    ] = None,
    reference_distance_cm: Annotated[
        float | None,
        typer.Option("--reference-distance-cm", help="Distance the doses are given at (cm)"),
    ] = None,
    dose_usv: Annotated[
        str | None,
        typer.Option("--dose-usv", help="Per procedure, µSv: whole_body=X,extremities=Y,lens=Z"),
    ] = None,
    attenuation: Annotated[
        str | None,
        typer.Option(help="Protections in use, fraction stopped: whole_body=0.97,lens=0.5"),
    ] = None,
    candidate: Annotated[
        list[str] | None,
        typer.Option(help="A protection that could be added: NAME:lens=0.6 (repeat)"),
    ] = None,
    scatter: Annotated[
        str | None,
        typer.Option(help="Scatter coefficients, µSv per Gy·cm² at the reference distance"),
    ] = None,
    scatter_source: Annotated[
        str | None, typer.Option(help="Where the scatter coefficients come from (required)")
    ] = None,
    dap_gycm2: Annotated[
        float | None, typer.Option("--dap-gycm2", help="DAP per procedure (default: median)")
    ] = None,
    device: Annotated[int | None, typer.Option(help="Device id: volume from the database")] = None,
    act: Annotated[str | None, typer.Option(help="Act code or procedure name")] = None,
    period_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    assessment: Annotated[int | None, typer.Option(help="A saved assessment's id")] = None,
    as_json: JsonOption = False,
) -> None:
    """Yearly whole-body, extremity and lens doses against the limits; worker category."""
    from kerma.staff import AssessmentInput, InputError, Protection, assess, dose_from_dap

    inputs: dict[str, Any] = {}
    details: dict[str, Any] = {}
    if assessment is not None:
        from kerma.cli.common import setup

        setup()
        from kerma.web.people.models import StaffAssessment

        saved = StaffAssessment.objects.filter(pk=assessment).first()
        if saved is None:
            raise fail(f"no assessment with id {assessment}")
        core = saved.core_input()
        inputs = {
            "dose_usv": dict(core.dose_usv),
            "reference_distance_cm": core.reference_distance_cm,
            "working_distance_cm": core.working_distance_cm,
            "volume": core.volume,
            "protections": list(core.protections),
            "candidates": list(core.candidates),
        }
        details["assessment"] = {"id": saved.pk, "title": saved.title}
    median_dap = None
    if device is not None:
        if not (act and period_from and period_to):
            raise fail("--device needs --act, --from and --to")
        first, last = parse_day(period_from, "--from"), parse_day(period_to, "--to")
        from kerma.cli.common import find_device, setup

        setup()
        find_device(device)
        from kerma.web.people.services import activity

        found = activity(device, act, first, last)
        details["activity"] = {"device": device, "act": act, **found.as_dict()}
        median_dap = found.median_dap_gycm2
        if volume is None:
            volume = found.yearly_volume
    if volume is not None:
        inputs["volume"] = volume
    if distance_cm is not None:
        inputs["working_distance_cm"] = distance_cm
    if reference_distance_cm is not None:
        inputs["reference_distance_cm"] = reference_distance_cm
    if dose_usv is not None:
        inputs["dose_usv"] = parse_organs(dose_usv, "--dose-usv")
    if scatter is not None:
        if not scatter_source:
            raise fail("--scatter needs --scatter-source (the coefficients' source)")
        dap = dap_gycm2 if dap_gycm2 is not None else median_dap
        if dap is None:
            raise fail("--scatter needs --dap-gycm2 or exams with a DAP (--device/--act)")
        coefficients = parse_organs(scatter, "--scatter")
        inputs["dose_usv"] = {o: dose_from_dap(dap, c) for o, c in coefficients.items()}
        details["scatter"] = {"dap_gycm2": dap, "coefficients": coefficients,
                              "source": scatter_source}
    if attenuation is not None:
        inputs["protections"] = [
            Protection("--attenuation", parse_organs(attenuation, "--attenuation", fraction=True))
        ]
    if candidate:
        inputs["candidates"] = [_candidate(c) for c in candidate]
    missing = [
        option
        for key, option in (
            ("volume", "--volume"),
            ("working_distance_cm", "--distance-cm"),
            ("reference_distance_cm", "--reference-distance-cm"),
            ("dose_usv", "--dose-usv"),
        )
        if key not in inputs
    ]
    if missing:
        raise fail(f"missing {', '.join(missing)} (or --assessment ID)")
    try:
        result = assess(AssessmentInput(**inputs))
    except InputError as exc:
        raise fail(str(exc)) from None
    data = {**result.as_dict(), **details}
    if as_json:
        print_json(data)
        return
    for organ in ORGANS:
        flag = "  OVER LIMIT" if organ in data["over_limit"] else ""
        typer.echo(f"{organ:12} {data[f'{organ}_msv']:>10} mSv/yr{flag}")
    typer.echo(f"category: {data['category']}")
    for item in data["notices"]:
        typer.echo(f"- {item['text']}")
