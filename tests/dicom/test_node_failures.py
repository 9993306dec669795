"""What the node answers when it cannot keep an object: a failure status, never a success."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid
from pynetdicom import AE
from tests.conftest import free_port

from kerma.dicom import write as w
from kerma.dicom.node import OUT_OF_RESOURCES, NodeState, StorageNode
from kerma.ingest.inbox import Inbox

START = datetime(2026, 4, 1, 9, 0)
DEVICE = w.Device("GE MEDICAL SYSTEMS", "Revolution CT", "SN-F", "CTF",
                  "1.2.826.0.1.3680043.10.5.1", "CH Test")



def _report(folder: Path, i: int) -> Path:
    patient = w.Patient(f"F{i}", f"FAIL^{i}", date(1970, 1, 1), "F", 56.0, 70.0, 1.7)
    study = w.Study(generate_uid(), f"F{i}", "TDM", START)
    return w.write_ct_rdsr(folder / f"{i}.dcm", patient, DEVICE, study, [
        w.CtAcquisition("THORAX", "chest", "spiral", START, 6.0, 200.0)])


def _store(port: int, path: Path) -> int:
    ae = AE(ae_title="CT1")
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.88.67")
    assoc = ae.associate("127.0.0.1", port, ae_title="KERMA")
    assert assoc.is_established
    try:
        return int(assoc.send_c_store(pydicom.dcmread(path)).Status)
    finally:
        assoc.release()


def test_an_object_that_cannot_be_written_is_not_acknowledged(tmp_path):
    inbox = Inbox(tmp_path / "inbox")
    node = StorageNode(aet="KERMA", port=free_port(), host="127.0.0.1",
                       deliver=inbox.put)
    node.start()
    try:
        report = _report(tmp_path, 1)
        assert _store(node.port, report) == 0x0000
        # The inbox's folder becomes unusable (as a full or failed disk would make it).
        shutil.rmtree(inbox.new)
        inbox.new.write_text("not a folder")
        assert _store(node.port, _report(tmp_path, 2)) == OUT_OF_RESOURCES
        assert "inbox write failed" in node.state.last_error
        assert list(inbox.tmp.iterdir()) == []  # nothing half-written left behind
    finally:
        node.stop()


def test_the_node_acknowledges_only_what_deliver_kept(tmp_path):
    """The node hands the bytes and the caller's AE title to ``deliver``; when it raises
    (whatever the error), the sender is told to retry."""
    kept: list[tuple[bytes, str]] = []

    def deliver(data: bytes, origin: str) -> None:
        if len(kept) >= 1:
            raise RuntimeError("store unavailable")
        kept.append((data, origin))

    node = StorageNode(aet="KERMA", port=free_port(), host="127.0.0.1", deliver=deliver)
    node.start()
    try:
        assert _store(node.port, _report(tmp_path, 5)) == 0x0000
        assert _store(node.port, _report(tmp_path, 6)) == OUT_OF_RESOURCES
        assert "store unavailable" in node.state.last_error
        assert [origin for _data, origin in kept] == ["CT1"]
        assert b"DICM" in kept[0][0][:200]  # Part 10 bytes, file meta included
    finally:
        node.stop()


def test_while_the_database_is_down_senders_are_told_to_retry(tmp_path):
    inbox = Inbox(tmp_path / "inbox")
    state = NodeState(database_ok=False)
    node = StorageNode(aet="KERMA", port=free_port(), host="127.0.0.1", deliver=inbox.put,
                       state=state)
    node.start()
    try:
        assert _store(node.port, _report(tmp_path, 3)) == OUT_OF_RESOURCES
        assert inbox.backlog() == 0
        state.database_ok = True
        assert _store(node.port, _report(tmp_path, 4)) == 0x0000
        assert inbox.backlog() == 1
    finally:
        node.stop()


POSTGRES = os.environ.get("KERMA_TEST_POSTGRES_URL", "")


@pytest.mark.skipif(not POSTGRES.startswith("postgres"),
                    reason="needs a PostgreSQL server (KERMA_TEST_POSTGRES_URL)")
def test_a_real_database_outage_then_recovery(tmp_path):
    """The importer loses PostgreSQL mid-run: the node refuses, then stores once it is back."""
    import psycopg

    name = f"kerma_outage_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(POSTGRES, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    env = {**os.environ, "KERMA_HOME": str(tmp_path / "home"), "KERMA_DATABASE_URL": url}
    port = free_port()
    log = open(tmp_path / "node.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "kerma.cli", "dicom", "listen", "--port", str(port), "--host",
         "127.0.0.1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _store(port, _report(tmp_path, 10)) == 0:
                    break
            except AssertionError:
                time.sleep(0.3)
        # Cut the database off: no new connections, current ones terminated.
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s", (name,))
        acknowledged = {"F10"}
        if _store(port, _report(tmp_path, 11)) == 0:  # sent as the outage begins
            acknowledged.add("F11")
        deadline = time.monotonic() + 30
        refused = False
        while time.monotonic() < deadline and not refused:
            refused = _store(port, _report(tmp_path, 12)) == OUT_OF_RESOURCES
            time.sleep(0.5)
        assert refused, "the node kept acknowledging while the database was down"
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if _store(port, _report(tmp_path, 13)) == 0:
                acknowledged.add("F13")
                break
            time.sleep(1)
        else:
            pytest.fail("the node did not recover after the database came back")
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            with psycopg.connect(url) as conn:
                count = conn.execute("SELECT count(*) FROM dose_report").fetchone()[0]
            if count >= len(acknowledged):
                break
            time.sleep(0.5)
        # Every acknowledged report is stored, including one kept in the inbox through the
        # outage; the refused ones were never acknowledged.
        with psycopg.connect(url) as conn:
            stored = {r[0] for r in conn.execute("SELECT accession_number FROM dose_exam")}
        assert stored == acknowledged
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
