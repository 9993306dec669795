"""`kerma dicom retrieve` and `kerma dicom echo` against a real Orthanc PACS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pydicom.uid import generate_uid
from tests.orthanc import NOT_INSTALLED, orthanc_binary, start_orthanc

from kerma.dicom import write as w

KERMA = [sys.executable, "-m", "kerma.cli"]
DEVICE = w.Device("SIEMENS", "SOMATOM go.Top", "SN-9", "CT9", "1.2.826.0.1.3680043.10.6.1",
                  "CH Test")


def _kerma(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(home)
    return subprocess.run([*KERMA, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def pacs(tmp_path_factory):
    if orthanc_binary() is None:
        pytest.skip(NOT_INSTALLED)
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    folder = tmp_path_factory.mktemp("reports")
    for i, day in enumerate([date(2025, 6, 2), date(2025, 6, 3), date(2025, 9, 1)]):
        when = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
        patient = w.Patient(f"R{i}", f"RETRIEVE^{i}", date(1975, 1, 1), "M", 50.0, 80.0, 1.8)
        study = w.Study(generate_uid(), f"R{i}", "TDM ABDO", when)
        path = w.write_ct_rdsr(folder / f"{i}.dcm", patient, DEVICE, study, [
            w.CtAcquisition("ABDO", "abdomen", "spiral", when, 12.0 + i, 500.0 + i)])
        server.upload(path)
    yield server
    server.stop()


def test_echo(pacs, tmp_path):
    ok = _kerma(tmp_path, "dicom", "echo", f"{pacs.aet}@127.0.0.1:{pacs.port}")
    assert ok.returncode == 0 and "answered" in ok.stdout
    closed = _kerma(tmp_path, "dicom", "echo", "NOBODY@127.0.0.1:9")
    assert closed.returncode == 1
    bad = _kerma(tmp_path, "dicom", "echo", "not-a-peer")
    assert bad.returncode == 2


def test_retrieve_backfills_the_range_then_fetches_nothing_new(pacs, tmp_path):
    home = tmp_path / "home"
    peer = f"{pacs.aet}@127.0.0.1:{pacs.port}"
    first = _kerma(home, "dicom", "retrieve", "--from", peer, "--since", "2025-06-01",
                   "--until", "2025-06-30", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["studies_found"] == 2 and summary["objects_received"] == 2
    assert summary["imported"] == 2 and not summary["failures"]
    exams = json.loads(_kerma(home, "exams", "--format", "json").stdout)
    assert sorted(e["totals"]["dlp_total_mgycm"] for e in exams) == [500.0, 501.0]
    again = json.loads(_kerma(home, "dicom", "retrieve", "--from", peer, "--since",
                              "2025-06-01", "--until", "2025-06-30", "--json").stdout)
    assert again["objects_received"] == 0 and again["skipped_already_done"] == 2
    wider = json.loads(_kerma(home, "dicom", "retrieve", "--from", peer, "--since",
                              "2025-01-01", "--json").stdout)
    assert wider["objects_received"] == 1 and wider["imported"] == 1
    assert len(json.loads(_kerma(home, "exams", "--format", "json").stdout)) == 3
