"""The ``kerma`` command: its entry point :data:`app` (the console script calls it).

``kerma skindose …`` runs :func:`kerma.cli.skindose.main` directly: a skin-dose map from a file
then imports numpy and Kerma's reader only, not typer, rich, pydicom or Django, and the whole
command takes about a tenth of a second (see benchmarks/README.md, skin-dose maps). Every other
command, and ``kerma --help`` (which lists ``skindose`` too), goes to the typer application of
:mod:`kerma.cli.main`. Importing this package imports nothing else.

The modules, one per command group: :mod:`~kerma.cli.main` (the root application: import,
exams, devices, reprocess, serve, manage, version), :mod:`~kerma.cli.dicom`,
:mod:`~kerma.cli.nrd`, :mod:`~kerma.cli.reference`, :mod:`~kerma.cli.followup`,
:mod:`~kerma.cli.users` (``kerma user``), :mod:`~kerma.cli.skindose`, :mod:`~kerma.cli.demo`,
:mod:`~kerma.cli.patients` (``kerma patient``, ``kerma report``, ``kerma pregnancy``);
what they share (helpers and option types) is in :mod:`~kerma.cli.common`.
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
            from kerma.cli.skindose import main

            status = main(argv[1:], prog=f"{prog_name or 'kerma'} skindose")
            if extra.get("standalone_mode", True):
                raise SystemExit(status)
            return status
        from kerma import config
        from kerma.cli.main import app as typer_app

        config.make_private()  # the database, archive, inbox... for Kerma's user only

        return typer_app(args, prog_name=prog_name, **extra)


app = KermaCommand()
