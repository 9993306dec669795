"""Nothing stops the node's flow: a report that raises while it is stored is quarantined with its
reason and the reports after it are imported (also when a restarted node finds it first in its
inbox); a disk that refuses the archive is waited out, then everything is imported. And the node
itself: only its own called AE title, idle connections that do not lock modalities out,
associations in progress at a crash kept in the log."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pynetdicom import AE, Association
from tests.conftest import free_port
from tests.dicom.test_node import Node
from tests.poisoned import good_report, poisoned_report, sop_uid

from kerma.dicom.node import AssociationRecord, StorageNode
from kerma.ingest.inbox import Inbox

RDSR = "1.2.840.10008.5.1.4.1.1.88.67"


def _send(port: int, paths: list[Path], called: str = "KERMA") -> list[int]:
    """Send ``paths`` in one association; return each C-STORE status."""
    ae = AE(ae_title="CT1")
    ae.add_requested_context(RDSR)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    assert assoc.is_established
    try:
        return [int(assoc.send_c_store(pydicom.dcmread(p)).Status) for p in paths]
    finally:
        assoc.release()


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _reasons(home: Path) -> list[str]:
    return [p.read_text() for p in sorted((home / "quarantine").rglob("*.reason.txt"))]


def test_a_poisoned_report_is_quarantined_and_the_next_ones_imported(tmp_path):
    bad = poisoned_report(tmp_path / "gen" / "bad.dcm")
    goods = [good_report(tmp_path / "gen" / f"{i}.dcm", i) for i in range(3)]
    node = Node(tmp_path / "home").start()
    try:
        assert _send(node.port, [bad, *goods]) == [0, 0, 0, 0]
        status = node.wait_idle(expected_received=4)
        assert sorted(node.stored_sop_uids()) == sorted(sop_uid(p) for p in goods)
        assert status["quarantined"] == 1 and status["imported"] == 3
        assert "OverflowError" in status["last_quarantined"]
        [reason] = _reasons(node.home)
        assert "dicom://CT1/" in reason  # the file named, with the exception and its message
        assert "could not be stored: OverflowError: date value out of range" in reason
        assert node.process is not None and node.process.poll() is None
    finally:
        node.stop()
    # Left in the inbox by a previous run (the old importer died on it, again and again): the
    # restarted node sets it aside and imports what follows.
    inbox = Inbox(node.home / "inbox")
    later = [good_report(tmp_path / "gen" / f"later{i}.dcm", 10 + i) for i in range(2)]
    for path in (poisoned_report(tmp_path / "gen" / "bad2.dcm"), *later):
        inbox.put(path.read_bytes(), "CT1")
    restarted = Node(node.home).start()
    try:
        status = restarted.wait_idle()
        stored = restarted.stored_sop_uids()
        assert sorted(stored) == sorted(sop_uid(p) for p in [*goods, *later])
        assert status["quarantined"] == 1 and status["imported"] == 2
        assert len(_reasons(restarted.home)) == 2
        assert inbox.backlog() == 0
    finally:
        restarted.stop()


def test_a_full_disk_is_waited_out_then_everything_imported(tmp_path):
    node = Node(tmp_path / "home").start()
    try:
        first = good_report(tmp_path / "gen" / "first.dcm", 0)
        assert _send(node.port, [first]) == [0]
        node.wait_idle(expected_received=1)
        archive = node.home / "archive"
        # The archive cannot be written (as a full or read-only disk would make it).
        archive.rename(node.home / "archive.saved")
        archive.write_text("not a folder")
        goods = [good_report(tmp_path / "gen" / f"{i}.dcm", i) for i in range(1, 4)]
        assert _send(node.port, goods) == [0, 0, 0]  # the inbox still keeps them
        _wait(lambda: node.status().get("disk_ok") is False and node.status().get("backlog")
              == 3, "the node to report the disk")
        status = node.status()
        assert "archive cannot be written" in status["last_error"]
        assert status["quarantined"] == 0  # the reports are not at fault
        time.sleep(3)
        assert node.status()["backlog"] == 3 and node.status()["imported"] == 1
        archive.unlink()
        (node.home / "archive.saved").rename(archive)
        status = node.wait_idle(timeout=90)
        assert status["disk_ok"] is True and status["imported"] == 4
        assert sorted(node.stored_sop_uids()) == sorted(sop_uid(p) for p in [first, *goods])
        assert len(list(archive.rglob("*.dcm.gz"))) == 4
    finally:
        node.stop()


@contextlib.contextmanager
def _in_process_node(**options) -> Iterator[tuple[StorageNode, list[AssociationRecord]]]:
    """A StorageNode in this process that keeps nothing; yields it and the association log."""
    records: list[AssociationRecord] = []
    node = StorageNode(aet="KERMA", port=free_port(), host="127.0.0.1",
                       deliver=lambda data, origin: None, on_association=records.append,
                       **options)
    node.start()
    try:
        yield node, records
    finally:
        node.stop()


def _associate(port: int, called: str) -> Association:
    ae = AE(ae_title="CT1")
    ae.add_requested_context(RDSR)
    return ae.associate("127.0.0.1", port, ae_title=called)


def test_forty_idle_connections_do_not_lock_modalities_out(tmp_path):
    idle = []
    with _in_process_node() as (node, _log):
        try:
            for _ in range(40):
                idle.append(socket.create_connection(("127.0.0.1", node.port), timeout=5))
            time.sleep(0.5)
            assert _send(node.port, [good_report(tmp_path / "g.dcm", 1)]) == [0]
        finally:
            for sock in idle:
                sock.close()


def test_only_the_nodes_own_called_ae_title_is_accepted(tmp_path):
    report = good_report(tmp_path / "g.dcm", 1)
    with _in_process_node() as (node, records):
        assert _associate(node.port, "SOMEONE").is_rejected
        _wait(lambda: any(r.outcome == "rejected" for r in records), "the rejection logged")
        [rejected] = [r for r in records if r.outcome == "rejected"]
        assert rejected.called_aet == "SOMEONE" and "not recognised" in rejected.reason
        assert _send(node.port, [report]) == [0]
    with _in_process_node(strict_called=False) as (lenient, _log):
        assert _send(lenient.port, [report], called="ANY") == [0]


def test_an_association_is_logged_when_requested():
    with _in_process_node() as (node, records):
        assoc = _associate(node.port, "KERMA")
        assert assoc.is_established
        assert [r.outcome for r in records] == ["open"]
        assoc.release()
        _wait(lambda: len(records) == 2, "the end logged")
        assert records[0].key == records[1].key and records[1].outcome == "released"


def test_associations_in_progress_at_a_crash_are_marked_interrupted(tmp_path):
    node = Node(tmp_path / "home").start()
    assoc = _associate(node.port, "KERMA")
    assert assoc.is_established
    assert int(assoc.send_c_store(pydicom.dcmread(good_report(tmp_path / "g.dcm", 1))).Status) == 0

    def logged(outcome: str) -> bool:
        log = json.loads(node.kerma("dicom", "log", "--json").stdout or "[]")
        return any(a["calling_aet"] == "CT1" and a["outcome"] == outcome for a in log)

    _wait(lambda: logged("open"), "the open association in the log")
    node.stop(signal.SIGKILL)
    assoc.abort()
    restarted = Node(node.home).start()
    try:
        _wait(lambda: logged("interrupted"), "the association marked interrupted")
    finally:
        restarted.stop()
