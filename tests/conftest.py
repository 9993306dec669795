"""Test configuration: a throw-away KERMA_HOME, the shared vendor files, database choice.

The suite runs on SQLite; ``scripts/test`` runs the database tests a second time on PostgreSQL
when ``KERMA_TEST_POSTGRES_URL`` is set (it then becomes ``KERMA_DATABASE_URL``).
"""

from __future__ import annotations

import csv
import os
import socket
import tempfile
from pathlib import Path

import pytest

os.environ["KERMA_HOME"] = tempfile.mkdtemp(prefix="kerma-test-home-")

SHARED_RDSR = Path(__file__).resolve().parents[1].parent / "shared" / "rdsr"


def shared_files() -> list[Path]:
    """Return the shared vendor DICOM files (empty when ../shared is absent)."""
    return sorted(SHARED_RDSR.glob("*.dcm")) if SHARED_RDSR.is_dir() else []


def expected_rows() -> dict[str, dict[str, str]]:
    """Return ../shared/rdsr/expected.csv keyed by file name (empty when absent)."""
    path = SHARED_RDSR / "expected.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


needs_shared = pytest.mark.skipif(
    not SHARED_RDSR.is_dir(), reason="../shared/rdsr (real vendor files) is not present"
)


@pytest.fixture
def kerma_home(tmp_path, monkeypatch, settings) -> Path:
    """A fresh KERMA_HOME for one test (archive and quarantine land there)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KERMA_HOME", str(home))
    return home
