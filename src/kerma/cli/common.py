"""What the ``kerma`` command groups share: the message console, the progress bar, Django's
setup, date and choice checks, failures, JSON output, who acts, and the option types that
several commands declare alike.

Data goes to standard output (:func:`print_json`, tables), messages and progress to standard
error (:data:`console`). Exit codes: 0 done, 1 refused (a rule of a decision or of the audit
trail), 2 bad input.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console(stderr=True)

# ---- option types shared by several commands (same flag, same help) ---------------------------

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
SummaryJsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON")]
ByOption = Annotated[
    str | None, typer.Option("--by", help="Who does this (default: KERMA_USER or login name)")
]
FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json")]
SinceOption = Annotated[str | None, typer.Option(help="First study date, YYYY-MM-DD")]
UntilOption = Annotated[str | None, typer.Option(help="Last study date, YYYY-MM-DD")]
DeviceOption = Annotated[int, typer.Option("--device", help="Device id (see `kerma devices`)")]
OnlyDeviceOption = Annotated[int | None, typer.Option("--device", help="Only this device")]
ActOption = Annotated[str, typer.Option("--act", help="Act code, e.g. RX-THORAX-PA, CT-TAP")]
PeriodFromOption = Annotated[str, typer.Option("--from", help="First study date, YYYY-MM-DD")]
PeriodToOption = Annotated[str, typer.Option("--to", help="Last study date, YYYY-MM-DD")]
HostOption = Annotated[str, typer.Option(help="Address to listen on")]
CallingAetOption = Annotated[str, typer.Option(help="Our calling AE title")]
DicomOption = Annotated[
    bool, typer.Option("--dicom/--no-dicom", help="Run the DICOM node too (KERMA_DICOM_*)")
]


# ---- helpers ------------------------------------------------------------------------------------


def setup(*, migrate: bool = True) -> None:
    """Set Django up: settings, and the database migrated unless ``migrate`` is false (what
    every command on stored data needs first)."""
    from kerma.web.bootstrap import setup as django_setup

    django_setup(migrate=migrate)


def progress(*, transient: bool = False) -> Progress:
    """Return a progress bar on standard error, shown only when it is a terminal.

    ``transient``: the bar disappears once done (else it stays as a record of the work).
    """
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
        disable=not console.is_terminal and not sys.stderr.isatty(),
    )


def parse_day(value: str | None, option: str) -> date | None:
    """Return the date written ``YYYY-MM-DD`` (``None`` for ``None``); a usage error naming
    ``option`` otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def check_choice(value: str, choices: Sequence[str], option: str) -> None:
    """Raise a usage error naming ``option`` unless ``value`` is one of ``choices`` (the
    message lists them: "choose a, b or c")."""
    if value not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        raise typer.BadParameter(f"choose {listed}", param_hint=option)


def check_family(family: str | None) -> None:
    """Raise a usage error on ``--family`` unless ``family`` is ``None`` or a family of acts."""
    from kerma.reference.vocabulary import Family

    if family is not None and family not in {f.value for f in Family}:
        raise typer.BadParameter(
            f"choose one of {', '.join(f.value for f in Family)}", param_hint="--family"
        )


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` in red on standard error and return the exit to raise (``code``:
    1 refused, 2 bad input)."""
    console.print(f"[red]{message}", highlight=False)
    return typer.Exit(code)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on standard output (dates and other values as text)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def actor(by: str | None) -> str:
    """Return who acts: ``by``, else ``KERMA_USER``, else the login name, else ``"cli"``."""
    if by:
        return by
    if os.environ.get("KERMA_USER"):
        return os.environ["KERMA_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers)
        return "cli"


@contextmanager
def acting(by: str | None) -> Iterator[str]:
    """Record the changes made inside as done by :func:`actor` (audit log); yield the name."""
    from kerma.web.audit.log import acting_as

    name = actor(by)
    with acting_as(name):
        yield name


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the model layer's refusals into a message and exit code 1."""
    from django.core.exceptions import PermissionDenied, ValidationError

    try:
        yield
    except ValidationError as exc:
        raise fail("refused: " + "; ".join(exc.messages), 1) from None
    except PermissionDenied as exc:
        raise fail(f"refused: {exc}", 1) from None


def find_device(device_id: int | None) -> Any:
    """Return the stored device with this id (``None`` for ``None``); exit 2 if there is none."""
    from kerma.web.dose.models import Device

    if device_id is None:
        return None
    device = Device.objects.select_related("nrd_settings").filter(pk=device_id).first()
    if device is None:
        raise fail(f"no device with id {device_id} (see `kerma devices`)")
    return device
