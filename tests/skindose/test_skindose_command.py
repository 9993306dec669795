"""`kerma skindose` as a user runs it: the fast entry that skips typer, rich, pydicom and
Django; the same result and the same help through the typer application; and the reader's own
data dictionary and character sets, which let a report be read without importing pydicom."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SHARED_RDSR, needs_shared

from kerma.dicom import rawfile

HEAVY = ("typer", "rich", "pydicom", "django", "click", "pydantic", "matplotlib")

# Runs `kerma ARGS` as the console script does (kerma.cli.app, arguments from sys.argv), then
# writes the heavy packages the process imported and the exit status to standard error.
PROBE = """
import sys
heavy = set(sys.argv.pop(1).split(','))
from kerma.cli import app
status = None
try:
    app()
except SystemExit as exc:
    status = exc.code
imported = sorted({name.split('.')[0] for name in sys.modules} & heavy)
sys.stderr.write('\\nIMPORTED ' + ','.join(imported) + ' STATUS ' + str(status) + '\\n')
"""


@pytest.fixture
def probe(tmp_path):
    """Return a function running `kerma ARGS`: (the finished process, heavy packages imported)."""

    def run(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
        env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
        env["KERMA_HOME"] = str(tmp_path / "home")
        env["COLUMNS"] = "200"
        done = subprocess.run(
            [sys.executable, "-c", PROBE, ",".join(HEAVY), *args],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        line = done.stderr.rsplit("IMPORTED ", 1)[-1].split(" STATUS ")[0]
        return done, {name for name in line.split(",") if name}

    return run


@needs_shared
@pytest.mark.parametrize("name", ["siemens_axiom_artis.dcm", "siemens_axiom_example_procedure.dcm"])
def test_skindose_from_a_file_imports_no_heavy_package(probe, name):
    done, heavy = probe("skindose", str(SHARED_RDSR / name), "--phantom", "plane", "--json")
    assert "STATUS 0" in done.stderr, done.stderr
    assert heavy == set(), f"the fast path imported {heavy}"
    data = json.loads(done.stdout)
    assert data["method"] == "map" and data["psd_mgy"] > 1.0


def test_other_commands_still_go_through_typer(probe):
    done, heavy = probe("version")
    assert "STATUS 0" in done.stderr, done.stderr
    assert "typer" in heavy  # the probe does see imports: the check above can fail
    assert done.stdout.strip()


def test_help_lists_skindose_and_skindose_help_lists_its_options(probe):
    done, _ = probe("--help")
    assert "STATUS 0" in done.stderr, done.stderr
    assert "skindose" in done.stdout and "peak skin dose" in done.stdout
    for command in ("import", "exams", "nrd", "followup", "user", "dicom"):
        assert command in done.stdout
    own, heavy = probe("skindose", "--help")
    assert "STATUS 0" in own.stderr, own.stderr
    for option in ("FILE_OR_STUDY_UID", "--phantom", "--png", "--json", "--cell-mm"):
        assert option in own.stdout
    assert "typer" not in heavy


def test_bad_usage_and_bad_input_exit_with_2(probe, tmp_path):
    no_file, _ = probe("skindose")
    assert "STATUS 2" in no_file.stderr and "FILE_OR_STUDY_UID" in no_file.stderr
    unknown, _ = probe("skindose", "x.dcm", "--phantom", "robot")
    assert "STATUS 2" in unknown.stderr and "unknown phantom 'robot'" in unknown.stderr
    cells, _ = probe("skindose", "x.dcm", "--cell-mm", "0.5")
    assert "STATUS 2" in cells.stderr and "--cell-mm must be between 1 and 100" in cells.stderr
    abbreviated, _ = probe("skindose", "x.dcm", "--ph", "plane")  # no prefix matching, as click
    assert "STATUS 2" in abbreviated.stderr and "unrecognized arguments" in abbreviated.stderr


@needs_shared
def test_typer_application_gives_the_same_result(tmp_path, capsys):
    from typer.testing import CliRunner

    from kerma.cli import app
    from kerma.cli.main import app as typer_app

    report = str(SHARED_RDSR / "siemens_axiom_artis.dcm")
    args = ["skindose", report, "--phantom", "cylinder", "--json", "--cell-mm", "20"]
    assert app(args, standalone_mode=False) == 0
    direct = json.loads(capsys.readouterr().out)
    through_typer = CliRunner().invoke(typer_app, args)
    assert through_typer.exit_code == 0, through_typer.output
    via_typer = json.loads(through_typer.stdout)
    assert via_typer == direct
    assert direct["cell_size_mm"] == 20.0 and direct["provenance"]["phantom"]["type"] == "cylinder"
    refused = CliRunner().invoke(typer_app, ["skindose", report, "--phantom", "robot"])
    assert refused.exit_code == 2


# --- the reader without pydicom ---------------------------------------------------------------


def test_known_keywords_match_the_dicom_dictionary():
    from pydicom.datadict import dictionary_VR, keyword_dict

    assert len(rawfile.KNOWN_KEYWORDS) > 50
    for keyword, (tag, vr) in rawfile.KNOWN_KEYWORDS.items():
        assert keyword_dict[keyword] == tag, keyword
        assert dictionary_VR(tag) == vr, keyword


def test_keywords_outside_the_table_still_resolve():
    rawfile._tag.cache_clear()
    rawfile._vr.cache_clear()
    assert "SoftwareVersions" not in rawfile.KNOWN_KEYWORDS
    assert rawfile._tag("SoftwareVersions") == 0x00181020
    assert rawfile._vr(0x00181020) == "LO"
    assert rawfile._vr(0x00091001) == "UN"  # private: not in the dictionary
    with pytest.raises(KeyError):
        rawfile._tag("NoSuchKeyword")


def test_single_charsets_decode_as_pydicom_does():
    from pydicom.charset import convert_encodings, decode_bytes, python_encoding

    for term, codec in rawfile._SINGLE_BYTE.items():
        assert python_encoding[term] == codec, term
    samples = {
        "ISO_IR 100": "Müller^Jérôme".encode("latin_1"),
        "ISO_IR 192": "Müller^Jérôme^Łódź".encode(),
        "ISO_IR 144": "Иванов".encode("iso_ir_144"),
        "": "Ab\xe9".encode("latin_1"),
    }
    for term, value in samples.items():
        expected = decode_bytes(value, convert_encodings([term]), set())
        assert rawfile.Text([term])(value + b" ") == expected, term
        assert expected != value.decode("ascii", "replace")  # really not ASCII
    # ISO 2022 code extensions and several terms still go through pydicom.
    korean = b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7"
    terms = ["", "ISO 2022 IR 149"]
    assert rawfile.Text(terms)(korean) == decode_bytes(korean, convert_encodings(terms), set())
    assert rawfile.Text(terms)(korean) == "Hong^Gildong=洪^吉洞"
    # An escape in a single-charset value is left to pydicom as well.
    latin = b"Caf\xe9 \x1b(B"
    assert rawfile.Text(["ISO_IR 100"])(latin) == decode_bytes(latin, ["latin_1"], set()).strip()


@needs_shared
def test_reading_every_shared_report_gives_what_pydicom_names_give(tmp_path):
    """Reading each report gives the same header values whether the table or pydicom's
    dictionary resolves the keywords (the table is only a shortcut)."""
    from kerma.dicom.reader import read_dose_object

    names = [p for p in sorted(SHARED_RDSR.glob("*.dcm"))]
    assert len(names) > 30
    fast = {p.name: read_dose_object(p) for p in names if _readable(p)}
    saved = dict(rawfile.KNOWN_KEYWORDS)
    try:
        rawfile.KNOWN_KEYWORDS.clear()
        rawfile._KNOWN_VRS.clear()
        rawfile._tag.cache_clear()
        rawfile._vr.cache_clear()
        slow = {name: read_dose_object(SHARED_RDSR / name) for name in fast}
    finally:
        rawfile.KNOWN_KEYWORDS.update(saved)
        rawfile._KNOWN_VRS.update({tag: vr for tag, vr in saved.values()})
        rawfile._tag.cache_clear()
        rawfile._vr.cache_clear()
    for name, report in fast.items():
        assert report == slow[name], name


def _readable(path: Path) -> bool:
    from kerma.dicom.reader import read_dose_object
    from kerma.dose import DoseObjectError

    try:
        read_dose_object(path)
    except DoseObjectError:
        return False
    return True
