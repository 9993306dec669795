"""`kerma user …`: units and users with their role, from the command line.

Administrators usually manage users in the web administration; these commands let an install
script create the first ones (and let a site with several units set them up in one go).
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import setup

# Unlike the other groups, messages go to standard output: install scripts read them there.
console = Console()
user_app = typer.Typer(help="Users, their role and their units.")

ROLE_HELP = "administrator, physicist, ran, radiographer, quality_manager or inspector"


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    unit: Annotated[
        list[str] | None, typer.Option(help="Unit code (repeat for several; default: main)")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when not given)")
    ] = None,
    email: Annotated[str, typer.Option(help="E-mail address (for alerts)")] = "",
) -> None:
    """Create or update a user with one role, member of the given units."""
    setup()
    from kerma.web.accounts.models import Unit
    from kerma.web.accounts.roles import ROLE_LABELS, create_user

    if role not in ROLE_LABELS:
        console.print(f"[red]Unknown role {role!r}: choose {ROLE_HELP}.")
        raise typer.Exit(2)
    units = []
    for code in unit or []:
        found = Unit.objects.filter(code=code).first()
        if found is None:
            known = ", ".join(Unit.objects.values_list("code", flat=True)) or "none"
            console.print(f"[red]No unit with code {code!r} (known: {known}); add it first.")
            raise typer.Exit(2)
        units.append(found)
    if password is None:
        password = getpass.getpass(f"Password for {username}: ")
    if len(password) < 8:
        console.print("[red]The password must have at least 8 characters.")
        raise typer.Exit(2)
    user = create_user(username, password, role, units or None, email=email)
    names = ", ".join(str(u) for u in user.units.all())
    console.print(f"User [bold]{username}[/] ({role}) in: {names}")


@user_app.command("unit")
def unit_add(
    code: str,
    name: Annotated[str, typer.Option(help="Name shown (e.g. 'Imagerie Nord')")],
    site: Annotated[str, typer.Option(help="Site")] = "",
) -> None:
    """Create or rename a unit (the perimeter of a RAN: its devices and its users)."""
    setup()
    from kerma.web.accounts.models import Unit

    unit, created = Unit.objects.update_or_create(code=code, defaults={"name": name, "site": site})
    console.print(f"Unit [bold]{unit.code}[/] {'created' if created else 'updated'}: {unit}")


@user_app.command("list")
def user_list() -> None:
    """List users with their role and units."""
    setup()
    from django.contrib.auth import get_user_model

    from kerma.web.accounts.roles import role_of

    table = Table("user", "role", "units", "active")
    for user in get_user_model().objects.order_by("username").prefetch_related("units"):
        units = ", ".join(u.code for u in user.units.all()) or ("all" if user.is_superuser else "")
        table.add_row(user.username, role_of(user) or "—", units, "yes" if user.is_active else "no")
    console.print(table)
