"""scripts/screenshots.py against the live server: every key page renders (HTTP 200, charts
drawn) and is saved as a PNG 1280 px wide. The README's screenshots come from the same
function run on the demo unit (``python scripts/screenshots.py``)."""

from __future__ import annotations

import importlib.util
import struct
import sys
from datetime import date
from pathlib import Path

import pytest
from browsing import sign_in

from kerma.web.nrd.services import run_evaluation, save_evaluation

pytestmark = [pytest.mark.filterwarnings("ignore:No directory at")]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


def _script():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("kerma_screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_every_key_page_is_captured(page, unit, live_server, tmp_path):
    year = unit.year
    run = run_evaluation(
        unit.room,
        "RX-THORAX-PA",
        population="adult",
        period_from=date(year, 1, 1),
        period_to=date(year, 12, 31),
    )
    evaluation = save_evaluation(run, by="physicist")
    script = _script()
    sign_in(page, "physicist")
    shots = script.capture(page, live_server.url, tmp_path)
    names = {shot.path.stem for shot in shots}
    expected = {
        "01-dashboard",
        "02-exams-filtered",
        "03-exam",
        "04-charts",
        "05-nrd-plan",
        "06-nrd-evaluation",
        "08-devices",
        "09-history",
        "10-quality",
        "11-action-programme",
        "12-risk-map",
        "13-training",
    }
    assert expected <= names
    assert {shot.url: shot.status for shot in shots if shot.status != 200} == {}
    by_name = {shot.path.stem: shot for shot in shots}
    assert by_name["06-nrd-evaluation"].url.endswith(f"/nrd/evaluations/{evaluation.pk}/")
    assert "/exams/" in by_name["03-exam"].url
    for shot in shots:
        width, height = _png_size(shot.path)
        assert width == script.WIDTH and 300 <= height <= script.MAX_HEIGHT, shot.path
    # No page is wider than the window (wide tables scroll inside their panel).
    assert {s.path.stem: s.page_width for s in shots if s.page_width > script.WIDTH} == {}
