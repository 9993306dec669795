"""The ``kerma`` command's entry point (the console script calls :data:`app`).

``kerma skindose …`` runs :func:`kerma.skindose_cli.main` directly: a skin-dose map from a file
then imports numpy and Kerma's reader only, not typer, rich, pydicom or Django, and the whole
command takes about a tenth of a second (see benchmarks/README.md, skin-dose maps). Every other
command, and ``kerma --help`` (which lists ``skindose`` too), goes to the typer application of
:mod:`kerma.commands`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


class KermaCommand:
    """The ``kerma`` command: called like a typer application, ``app(args, prog_name=...)``."""

    def __call__(
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        """Run the command given by ``args`` (default: the process's arguments).

        Exits the process with the command's status, as typer does, unless
        ``standalone_mode=False`` is given: then returns the status (skindose) or typer's
        return value.
        """
        argv = list(sys.argv[1:] if args is None else args)
        if argv[:1] == ["skindose"]:
            from kerma.skindose_cli import main

            status = main(argv[1:], prog=f"{prog_name or 'kerma'} skindose")
            if extra.get("standalone_mode", True):
                raise SystemExit(status)
            return status
        from kerma import config
        from kerma.commands import app as typer_app

        config.make_private()  # the database, archive, inbox... for Kerma's user only

        return typer_app(args, prog_name=prog_name, **extra)


app = KermaCommand()

if __name__ == "__main__":
    app()
