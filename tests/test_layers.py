"""The layers run one way: the pure core loads no Django, and nothing imports what is built on it.

- Every core module (all of ``src/kerma`` but the shell: ``web``, ``ingest`` and the command
  line) is imported in a fresh interpreter, which must then hold no ``django`` module.
- Read statically (every ``import``, function-level ones included): the core imports none of the
  shell; the DICOM layer and the web apps do not import the ingest, which is built on them (the
  DICOM node hands received bytes to a ``deliver`` callable instead).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
KERMA = SRC / "kerma"

# The shell around the core, by top-level name under src/kerma (the command-line modules,
# ``commands.py`` and ``*_cli.py``, are moving into the ``cli`` package).
SHELL = {"web", "ingest", "cli", "commands"}


def _is_shell(name: str) -> bool:
    return name in SHELL or name.endswith("_cli") or name == "__main__"


def core_modules() -> list[str]:
    """Return the dotted names of every core module (top-level modules and whole packages)."""
    names = []
    for path in sorted(KERMA.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if len(parts) < 2 or _is_shell(parts[1]):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1:
            names.append(".".join(parts))
    return names


def test_the_core_list_holds_what_the_house_calls_core():
    names = set(core_modules())
    for expected in (
        "kerma.units",
        "kerma.notices",
        "kerma.dose",
        "kerma.exams",
        "kerma.privacy",
        "kerma.config",
        "kerma.dicom.reader",
        "kerma.dicom.write",
        "kerma.charts",
        "kerma.followup",
        "kerma.plausibility",
        "kerma.dicom.node",
        "kerma.dicom.retrieve",
        "kerma.nrd",
        "kerma.reference",
        "kerma.skindose",
        "kerma.demo",
    ):
        assert expected in names
    assert not any(n.startswith(("kerma.web", "kerma.ingest", "kerma.cli")) for n in names)


def test_importing_the_whole_core_loads_no_django():
    code = (
        "import importlib, json, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, dotted name) of every import in ``path``, at any depth, relative ones
    resolved against the module's package."""
    package = path.relative_to(SRC).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # ``from kerma import ingest``
                yield node.lineno, f"{base}.{alias.name}"


def _offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """Return ``path:line name`` for each import in ``paths`` of a ``forbidden`` module (or of
    anything inside it)."""
    found = []
    for path in paths:
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(SRC)}:{line} {name}")
    return sorted(set(found))


def test_the_dicom_layer_does_not_import_the_ingest():
    assert _offending(sorted((KERMA / "dicom").rglob("*.py")), ("kerma.ingest",)) == []


def test_the_web_apps_do_not_import_the_ingest():
    assert _offending(sorted((KERMA / "web").rglob("*.py")), ("kerma.ingest",)) == []


def test_the_core_imports_nothing_of_the_shell():
    shell = {f"kerma.{p.stem}" for p in KERMA.iterdir() if _is_shell(p.stem)}
    core = [
        path
        for path in sorted(KERMA.rglob("*.py"))
        if not _is_shell(path.relative_to(KERMA).parts[0].removesuffix(".py"))
    ]
    assert _offending(core, tuple(sorted(shell))) == []


def test_the_audit_trail_is_the_ground_floor_of_the_web_apps():
    web = KERMA / "web"
    others = tuple(
        sorted(f"kerma.web.{p.name}" for p in web.iterdir() if (p / "apps.py").exists())
    )
    others = tuple(name for name in others if name != "kerma.web.audit")
    assert "kerma.web.nrd" in others
    assert _offending(sorted((web / "audit").rglob("*.py")), others) == []


def test_accounts_know_nothing_of_the_apps_that_audit_through_them():
    accounts = sorted((KERMA / "web" / "accounts").rglob("*.py"))
    assert _offending(accounts, ("kerma.web.nrd", "kerma.web.followup", "kerma.web.charts")) == []


# The dose app reads the NRD app in two places only, both allowed by issue 10 ("one way through
# the code"): the device form edits the RAN's perimeter (DeviceSettings), and the exam list
# filters by NRD act (the protocol mappings). Everything else of the NRD on dose's pages comes
# through the panels (kerma.web.nrd.panels).
DOSE_READS_NRD = {"fleet.py", "queries.py", "views.py"}


def test_dose_reads_nrd_only_for_the_perimeter_and_the_act_filter():
    dose = KERMA / "web" / "dose"
    found = _offending(sorted(dose.rglob("*.py")), ("kerma.web.nrd",))
    assert {Path(f.split(":")[0]).name for f in found} <= DOSE_READS_NRD, found
    fleet = [f for f in found if "/fleet.py:" in f]
    assert {f.rsplit(" ", 1)[1] for f in fleet} <= {
        "kerma.web.nrd.services",
        "kerma.web.nrd.services.settings_of",
        "kerma.web.nrd.services.set_device_settings",
        "kerma.web.nrd.models",
        "kerma.web.nrd.models.DeviceSettings",
    }, fleet


def test_the_lists_below_the_patients_app_read_its_flags_through_the_dose_registry():
    # The follow-up and dose apps show at-risk flags (kerma.web.dose.patient_flags) but never
    # import the patients app, which registers its lookup there.
    below = [p for app in ("dose", "followup") for p in sorted((KERMA / "web" / app).rglob("*.py"))]
    assert _offending(below, ("kerma.web.patients",)) == []
