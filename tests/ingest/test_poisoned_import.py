"""`kerma import` of a folder holding a report that raises while it is stored: the files after it
are still imported, the summary names it with its reason, the exit code says so."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_main import run_kerma as _kerma
from tests.poisoned import good_report, poisoned_report


def test_import_goes_on_past_a_report_that_cannot_be_stored(tmp_path):
    folder = tmp_path / "in"
    good_report(folder / "a.dcm", 1)
    poisoned_report(folder / "b.dcm")
    good_report(folder / "c.dcm", 2)
    good_report(folder / "d.dcm", 3)
    home = tmp_path / "home"
    done = _kerma(home, "import", str(folder), "--json")
    assert done.returncode == 3, done.stderr  # some files quarantined
    summary = json.loads(done.stdout)
    assert summary["imported"] == 3
    [bad] = summary["quarantined"]
    assert Path(bad["path"]).name == "b.dcm"
    assert "could not be stored" in bad["reason"] and "OverflowError" in bad["reason"]
    kept = list((home / "quarantine").rglob("*.reason.txt"))
    assert len(kept) == 1 and "b.dcm" in kept[0].read_text()
    exams = json.loads(_kerma(home, "exams", "--format", "json").stdout)
    assert sorted(e["accession_number"] for e in exams) == ["G1", "G2", "G3"]
    # The table summary names it too; a folder of good files only exits 0.
    again = _kerma(tmp_path / "home2", "import", str(folder))
    assert again.returncode == 3
    assert "b.dcm" in again.stdout and "OverflowError" in again.stdout
    (folder / "b.dcm").unlink()
    clean = _kerma(tmp_path / "home3", "import", str(folder))
    assert clean.returncode == 0, clean.stdout + clean.stderr
