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


# The PostgreSQL pass of scripts/test (KERMA_TEST_DATABASE_ONLY=1) runs what touches a database:
# tests marked for Django's database or asking for its fixtures, and the folders whose tests run
# Kerma's commands, pages and node against the configured database. Pure rules, readers and
# physics give the same answers on any database; they run once, in the SQLite pass.
_DATABASE_FOLDERS = ("web", "browser", "cli", "ingest")
_DATABASE_FILES = ("test_database.py", "test_node", "test_retrieve")
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server", "client",
                      "admin_client", "django_user_model"}


def _touches_database(item: pytest.Item) -> bool:
    relative = Path(str(item.fspath)).resolve().relative_to(Path(__file__).resolve().parent)
    return (
        item.get_closest_marker("django_db") is not None
        or bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        or relative.parts[0] in _DATABASE_FOLDERS
        or relative.name.startswith(_DATABASE_FILES)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KERMA_TEST_DATABASE_ONLY") != "1":
        return
    kept = [item for item in items if _touches_database(item)]
    deselected = [item for item in items if not _touches_database(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
