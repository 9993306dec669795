"""``kerma reference …``: the reference sets (NRD/VGD tables): list them, import a physicist's
values, choose the set that applies.

Data goes to standard output (tables, or JSON with ``--json``); messages go to standard error.
Commands that change something record who did it (``--by``) in the audit log. Exit codes: 0
done, 1 refused, 2 bad input (unknown set, invalid file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli.common import (
    ByOption,
    JsonOption,
    acting,
    check_family,
    console,
    fail,
    print_json,
    refusals,
    setup,
)

reference_app = typer.Typer(
    help="Reference sets (NRD/VGD tables): list, import a physicist's values, choose the set.",
    no_args_is_help=True,
    add_completion=False,
)


@reference_app.command("list")
def reference_list(as_json: JsonOption = False) -> None:
    """List the reference sets: shipped and loaded, their status, gaps, and where they apply."""
    setup()
    from kerma.web.nrd.references import describe_sets

    rows = describe_sets()
    if as_json:
        print_json(rows)
        return
    table = Table(title="Reference sets")
    for column in ("name", "origin", "status", "rows", "no value", "version", "applies to"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["name"],
            r["origin"],
            r["status"] or "—",
            str(r["rows"]),
            str(r["missing_values"]),
            r["version"],
            ", ".join(r["used_for"]) or "—",
        )
    Console().print(table)


@reference_app.command("import")
def reference_import(
    file: Annotated[Path, typer.Argument(help="CSV file (see src/kerma/reference/README.md)")],
    name: Annotated[str | None, typer.Option(help="Name of the set (default: file name)")] = None,
    citation: Annotated[
        str, typer.Option(help="The official text the values were typed from")
    ] = "",
    metadata: Annotated[
        Path | None, typer.Option(help="TOML metadata (default: FILE with .toml, if present)")
    ] = None,
    as_json: JsonOption = False,
    by: ByOption = None,
) -> None:
    """Load a reference set from a CSV file, validated (units, duplicates, NRD ≥ VGD, sources)."""
    if not file.is_file():
        raise fail(f"no such file: {file}")
    setup()
    from kerma.reference.loader import ReferenceSetError
    from kerma.web.nrd.references import import_reference

    with acting(by) as who, refusals():
        try:
            stored = import_reference(
                file, by=who, name=name, citation=citation, metadata_path=metadata
            )
        except ReferenceSetError as exc:
            console.print(f"[red]{file.name} was not loaded:", highlight=False)
            for problem in exc.problems:
                console.print(f"  {problem}", highlight=False)
            raise typer.Exit(2) from None
    data = {
        "name": stored.name,
        "version": stored.version,
        "version_label": stored.version_label,
        "status": stored.status,
        "rows": stored.row_count,
        "values": stored.value_count,
        "loaded_by": stored.loaded_by,
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"Loaded {stored.name} version {stored.version}: {stored.row_count} rows, "
        f"{stored.value_count} with a value. Use it: kerma reference use {stored.name}",
        highlight=False,
    )


@reference_app.command("use")
def reference_use(
    name: Annotated[str, typer.Argument(help="Name of a shipped or loaded set")],
    family: Annotated[
        str | None,
        typer.Option(help="Only for this family of acts (ct, radiography, …); default: all"),
    ] = None,
    supplement: Annotated[
        list[str] | None, typer.Option(help="A loaded set that completes it (repeat)")
    ] = None,
    by: ByOption = None,
) -> None:
    """Choose the reference set that applies (for every family, or one family of acts)."""
    setup()
    from kerma.reference.loader import ReferenceSetError
    from kerma.web.nrd.references import use_reference

    check_family(family)
    with acting(by) as who, refusals():
        try:
            choice = use_reference(name, by=who, family=family, supplements=list(supplement or []))
        except LookupError as exc:
            raise fail(str(exc).strip("'\"")) from None
        except (ValueError, ReferenceSetError) as exc:
            raise fail(f"refused: {exc}", 1) from None
    console.print(f"Reference set in use — {choice}", highlight=False)
