"""The `kerma` command as a user runs it: a real process, its own KERMA_HOME, SQLite."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.conftest import SHARED_RDSR, free_port, needs_shared

KERMA = [sys.executable, "-m", "kerma.cli"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(home)
    env["COLUMNS"] = "200"
    return env


def run_kerma(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KERMA, *args], env=_env(home), capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def imported_home(tmp_path_factory) -> Path:
    if not SHARED_RDSR.is_dir():
        pytest.skip("../shared/rdsr is not present")
    home = tmp_path_factory.mktemp("cli-home")
    inbox = tmp_path_factory.mktemp("cli-in")
    for name in ("CT-RDSR-Siemens-Multi-1.dcm", "CT-RDSR-Siemens-Multi-3.dcm",
                 "RF-RDSR-Siemens-Zee.dcm", "MG-RDSR-Hologic_2D.dcm", "ESR_non-dose.dcm"):
        shutil.copy(SHARED_RDSR / name, inbox / name)
    (inbox / "sub").mkdir()
    (inbox / "sub" / "broken.dcm").write_bytes(b"DICM but not really")
    result = run_kerma(home, "import", str(inbox), "--json")
    assert result.returncode == 3, result.stderr  # imported, two files quarantined
    summary = json.loads(result.stdout)
    assert summary["imported"] == 4
    assert summary["replaced"] == 0 and summary["duplicates"] == 0
    reasons = {Path(q["path"]).name: q["reason"] for q in summary["quarantined"]}
    assert set(reasons) == {"ESR_non-dose.dcm", "broken.dcm"}
    again = json.loads(run_kerma(home, "import", str(inbox), "--json").stdout)
    assert again["imported"] == 0 and again["duplicates"] == 4
    return home


@needs_shared
def test_exams_json_has_every_documented_key(imported_home):
    result = run_kerma(imported_home, "exams", "--format", "json")
    assert result.returncode == 0, result.stderr
    exams = json.loads(result.stdout)
    assert len(exams) == 3
    for exam in exams:
        for key in ("study_uid", "accession_number", "study_date", "modality", "device",
                    "patient", "procedure", "events", "totals"):
            assert key in exam
        assert set(exam["device"]) >= {"manufacturer", "model", "serial_number", "station_name"}
        assert set(exam["patient"]) >= {"age_years", "sex", "weight_kg", "height_m", "bmi"}
    by_modality = {e["modality"]: e for e in exams}
    assert by_modality["CT"]["events"] == 3
    assert by_modality["CT"]["totals"]["dlp_total_mgycm"] == pytest.approx(236.09)
    assert by_modality["RF"]["totals"]["dap_total_gycm2"] == pytest.approx(0.16)
    assert by_modality["RF"]["totals"]["kar_total_mgy"] == pytest.approx(2.52)
    assert by_modality["RF"]["totals"]["fluoro_time_s"] == pytest.approx(28)
    assert by_modality["MG"]["totals"]["agd_left_mgy"] == pytest.approx(1.30)
    assert by_modality["MG"]["totals"]["agd_right_mgy"] == pytest.approx(1.28)


@needs_shared
def test_exams_filters_events_and_csv(imported_home):
    ct = json.loads(run_kerma(imported_home, "exams", "--modality", "CT", "--format", "json",
                              "--events").stdout)
    assert [e["modality"] for e in ct] == ["CT"]
    helix = [e for e in ct[0]["event_list"] if e.get("acquisition_type") == "spiral"]
    assert helix and {"ctdivol_mgy", "dlp_mgycm", "phantom_cm", "kvp_kv"} <= set(helix[0])
    none = json.loads(run_kerma(imported_home, "exams", "--until", "2000-01-01", "--format",
                                "json").stdout)
    assert none == []
    rows = list(csv.DictReader(io.StringIO(run_kerma(imported_home, "exams", "--format",
                                                     "csv").stdout)))
    assert len(rows) == 3 and "totals.dlp_total_mgycm" in rows[0]
    bad = run_kerma(imported_home, "exams", "--since", "yesterday")
    assert bad.returncode != 0 and "not a date" in bad.stderr



def _get(url: str) -> tuple[int, str, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), ""


@needs_shared
def test_serve_runs_a_production_server_behind_a_login(imported_home):
    port, dicom_port = free_port(), free_port()
    env = {**_env(imported_home), "KERMA_DICOM_PORT": str(dicom_port),
           "KERMA_DICOM_HOST": "127.0.0.1"}
    process = subprocess.Popen([*KERMA, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, location, _ = _get(f"http://127.0.0.1:{port}/exams/")
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.3)
        else:
            pytest.fail("kerma serve did not answer within 60 s")
        assert status == 302 and "/login/" in location
        status, _, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and "csrfmiddlewaretoken" in body
        status, _, _ = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        # Static files come from the package, served by the application itself (no CDN).
        status, _, css = _get(f"http://127.0.0.1:{port}/static/kerma/kerma.css")
        assert status == 200 and "{" in css
        # The DICOM node runs beside the web application.
        echo = run_kerma(imported_home, "dicom", "echo", f"KERMA@127.0.0.1:{dicom_port}")
        assert echo.returncode == 0, echo.stdout + echo.stderr
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "served at" in output and "DICOM node KERMA listening" in output
