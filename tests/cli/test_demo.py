"""`kerma demo` as a user runs it: a real process, its own KERMA_HOME, SQLite."""

from __future__ import annotations

import json

from tests.cli.test_main import run_kerma


def test_demo_prepares_a_unit_then_reuses_it(tmp_path):
    home = tmp_path / "demo-home"
    first = run_kerma(home, "demo", "--no-serve", "--days", "10", "--scale", "0.3")
    assert first.returncode == 0, first.stderr
    assert "Demo login: demo /" in first.stderr
    exams = json.loads(run_kerma(home, "exams", "--format", "json", "--include-tests").stdout)
    modalities = {e["modality"] for e in exams}
    assert {"CT", "DX", "RF", "NM"} <= modalities
    assert not (home / "demo-input").exists()  # generated files live on in the archive only
    assert any((home / "archive").rglob("*.dcm.gz"))
    second = run_kerma(home, "demo", "--no-serve", "--days", "10", "--scale", "0.3")
    assert second.returncode == 0 and "reusing it" in second.stderr
    again = json.loads(run_kerma(home, "exams", "--format", "json", "--include-tests").stdout)
    assert len(again) == len(exams)
