"""The package `kerma.cli`: the entry point imports nothing heavy, and `kerma --help` lists
every command and command group, each module's own."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from typer.testing import CliRunner

# What importing the entry point must not import: the typer stack, Django, the DICOM
# libraries, numpy (the skin-dose fast path imports numpy only once it runs).
HEAVY = ("typer", "rich", "click", "pydantic", "django", "pydicom", "pynetdicom", "numpy",
         "matplotlib")

COMMANDS = ("version", "import", "exams", "devices", "reprocess", "serve", "report", "skindose",
            "demo", "manage")
GROUPS = {
    "dicom": ("listen", "echo", "retrieve", "log", "status"),
    "nrd": ("evaluate", "list", "show", "analyse", "action", "done", "sign", "supersede", "plan",
            "export", "map", "mappings", "unmap", "unmapped", "device", "audit", "enter"),
    "reference": ("list", "import", "use"),
    "followup": ("recompute", "list", "notify"),
    "user": ("add", "unit", "list"),
    "events": ("list", "import"),
    "actions": ("list", "notify"),
    "equipment": ("due", "notify"),
    "people": ("add", "list"),
    "training": ("add", "status", "notify"),
    "qualification": ("unrecorded",),
    "staff": ("assess",),
    "patient": ("show", "coefficients", "load-coefficients", "ssde-from-images"),
    "pregnancy": ("unchecked",),
    "survey": ("contribute", "run", "demo"),
}


def test_importing_the_entry_point_imports_nothing_heavy():
    code = (
        "import sys, kerma.cli\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('kerma'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    top, ours = done.stdout.splitlines()
    assert set(top.split(",")) & set(HEAVY) == set()
    assert ours.split(",") == ["kerma", "kerma.cli"]


def _help(*args: str) -> str:
    from kerma.cli.main import app

    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _listed(output: str) -> list[str]:
    """Return the command names of a help's "Commands" panel, in order."""
    panel = output.split("Commands", 1)[1]
    # A name starts its line; a description too long for one line goes on indented.
    return [m.group(1) for m in re.finditer(r"^│ (\S+)", panel, re.MULTILINE)]


def test_help_lists_every_command_and_group():
    assert _listed(_help()) == [*COMMANDS, *GROUPS]
    for group, commands in GROUPS.items():
        assert _listed(_help(group)) == list(commands), group


def test_python_m_kerma_cli_runs_the_command(tmp_path):
    env = {**os.environ, "KERMA_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "kerma.cli", "version"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    from kerma import __version__

    assert done.stdout.strip() == __version__
