"""``kerma people …`` and ``kerma training …``: the people register from the command line.

- ``kerma people add NAME --profession P [--domain D]... [--unit CODE]... [--post TEXT]``:
  add a person (or update the person of that name);
- ``kerma people list [--json]``: the people with profession, domains and units;
- ``kerma training add NAME --on DATE [--organisation O] [--guide G]``: record a patient
  radiation-protection training certificate;
- ``kerma training status [--on DATE] [--json]``: each person's ``valid_until`` and ``status``
  (``valid``, ``expiring``, ``expired``, ``missing``) on a day (default today);
- ``kerma training notify [--on DATE]``: e-mail the training expiring or expired (once per
  certificate and address; nothing without ``KERMA_SMTP_HOST``);
- ``kerma qualification unrecorded [--device ID] [--from DATE] [--to DATE] [--json]``: the
  operators the exams name on each device (last 365 days by default) who have no workstation
  qualification or training recorded on it, or are not in the register — per operator
  ``device``, ``device_id``, ``operator``, ``spellings``, ``roles``, ``exams``, ``first_seen``,
  ``last_seen``, ``person_id``, ``person`` and ``missing`` (``register``, ``qualification``,
  ``device_training``).

Professions and domains are the codes of :mod:`kerma.people`. Changes are audited under
``--by`` (default ``KERMA_USER`` or the login name). Data on standard output, messages on
standard error; exit 2 on bad input.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import (
    ByOption,
    JsonOption,
    OnlyDeviceOption,
    acting,
    check_choice,
    fail,
    find_device,
    parse_day,
    print_json,
    setup,
)
from kerma.people import Domain, Profession

people_app = typer.Typer(
    help="People register: professionals, their profession, domains and units.",
    no_args_is_help=True,
    add_completion=False,
)
training_app = typer.Typer(
    help="Patient radiation-protection training: certificates and their validity.",
    no_args_is_help=True,
    add_completion=False,
)

qualification_app = typer.Typer(
    help="Workstation qualification (2019-DC-0660): operators seen in the exams.",
    no_args_is_help=True,
    add_completion=False,
)


@qualification_app.callback()
def qualification() -> None:
    """Workstation qualification (2019-DC-0660): operators seen in the exams."""


PROFESSIONS = [p.value for p in Profession]
DOMAINS = [d.value for d in Domain]


@people_app.command("add")
def add_person(
    name: Annotated[str, typer.Argument(help="Full name")],
    profession: Annotated[str, typer.Option(help=", ".join(PROFESSIONS))],
    domain: Annotated[list[str] | None, typer.Option(help=", ".join(DOMAINS))] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Unit code (default: main unit)")] = None,
    post: Annotated[str, typer.Option(help="Workstation")] = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a person to the register (a person of the same name is updated)."""
    check_choice(profession, PROFESSIONS, "--profession")
    for item in domain or []:
        check_choice(item, DOMAINS, "--domain")
    setup()
    from kerma.web.accounts.models import Unit
    from kerma.web.people.models import Person

    units = [Unit.objects.filter(code=c).first() for c in unit or []] or [Unit.default()]
    if None in units:
        raise fail(f"unknown unit among {', '.join(unit or [])}")
    with acting(by):
        person = Person.objects.filter(name=name).first() or Person(name=name)
        person.profession = profession
        person.domains = list(dict.fromkeys(domain or []))
        if post:
            person.post = post
        person.save()
        person.set_units(units)
    data = _person_dict(person)
    if as_json:
        print_json(data)
    else:
        typer.echo(f"person #{person.pk}: {person.name} ({profession})")


def _person_dict(person) -> dict:  # noqa: ANN001 - a Person
    return {
        "id": person.pk,
        "name": person.name,
        "profession": person.profession,
        "domains": list(person.domains),
        "units": sorted(u.code for u in person.units.all()),
        "post": person.post,
        "active": person.active,
    }


@people_app.command("list")
def list_people(as_json: JsonOption = False) -> None:
    """List the people of the register."""
    setup()
    from kerma.web.people.models import Person

    rows = [_person_dict(p) for p in Person.objects.prefetch_related("units").order_by("name")]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} people")
    for column in ("id", "name", "profession", "domains", "units"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]), r["name"], r["profession"], ", ".join(r["domains"]), ", ".join(r["units"])
        )
    Console().print(table)


@training_app.command("add")
def add_training(
    name: Annotated[str, typer.Argument(help="The person's name, as in `kerma people list`")],
    on: Annotated[str, typer.Option("--on", help="Date of the certificate, YYYY-MM-DD")],
    organisation: Annotated[str, typer.Option(help="Training organisation")] = "",
    guide: Annotated[str, typer.Option(help="Professional guide followed")] = "",
    by: ByOption = None,
) -> None:
    """Record a patient radiation-protection training certificate."""
    day = parse_day(on, "--on")
    setup()
    from kerma.web.people.models import Certificate, Person

    person = Person.objects.filter(name=name).first()
    if person is None:
        raise fail(f"no person named {name!r} (see `kerma people list`)")
    with acting(by):
        certificate = Certificate(
            person=person, obtained_on=day, organisation=organisation, guide=guide
        )
        certificate.save()
    typer.echo(f"certificate #{certificate.pk}: {person.name} {day}")


@training_app.command("status")
def training_status(
    on: Annotated[str | None, typer.Option("--on", help="Day, YYYY-MM-DD (default today)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each active person's training: validity, last valid day, status."""
    day = parse_day(on, "--on") or date.today()
    setup()
    from kerma.web.people.models import Person
    from kerma.web.people.services import people_with_rows, training_of

    rows = [r.as_dict() for r in training_of(people_with_rows(Person.objects.all()), day)]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Training on {day}")
    for column in ("name", "profession", "certificate", "years", "valid_until", "status"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["name"],
            r["profession"],
            r["certificate_on"] or "",
            str(r["validity_years"]),
            r["valid_until"] or "",
            r["status"],
        )
    Console().print(table)


@training_app.command("notify")
def notify(
    on: Annotated[str | None, typer.Option("--on", help="Day, YYYY-MM-DD (default today)")] = None,
) -> None:
    """E-mail the training expiring or expired, once per certificate and address."""
    day = parse_day(on, "--on")
    setup()
    from kerma.web.people.notify import notify_training

    sent = notify_training(day)
    typer.echo(json.dumps({"sent": sent}))


@qualification_app.command("unrecorded")
def unrecorded(
    device: OnlyDeviceOption = None,
    first: Annotated[
        str | None,
        typer.Option("--from", help="First study date, YYYY-MM-DD (default: --to - 365 days)"),
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last study date, YYYY-MM-DD (default today)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Operators named by the exams without a qualification or training recorded on the
    device, or not in the register, with their exams and when they were seen."""
    period_to = parse_day(last, "--to") or date.today()
    period_from = parse_day(first, "--from") or period_to - timedelta(days=365)
    if period_from > period_to:
        raise fail("--from is after --to")
    setup()
    from kerma.web.dose.models import Device
    from kerma.web.people.services import operators_without_qualification

    devices = Device.objects.all()
    if device is not None:
        find_device(device)
        devices = devices.filter(pk=device)
    names = {str(d.pk): str(d) for d in devices}
    rows = [
        {**r.as_dict(), "device": names.get(r.device, r.device), "device_id": int(r.device)}
        for r in operators_without_qualification(devices, period_from, period_to)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Operators without a recorded qualification, {period_from} to {period_to}")
    for column in ("device", "operator", "roles", "exams", "last_seen", "person", "missing"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["device"],
            r["operator"],
            ", ".join(r["roles"]),
            str(r["exams"]),
            r["last_seen"] or "",
            r["person"] or "",
            ", ".join(r["missing"]),
        )
    Console().print(table)
