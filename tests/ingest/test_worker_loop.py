"""The node's import worker never dies: whatever its loop meets is logged and shown as the last
error, a disk outage is waited out, and it goes on."""

from __future__ import annotations

import errno

import pytest

from kerma.archive import ArchiveWriteError
from kerma.dicom.node import NodeState
from kerma.ingest import worker as worker_module
from kerma.ingest.inbox import Inbox
from kerma.ingest.worker import ImportWorker


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("a bug somewhere"), "import: RuntimeError: a bug somewhere"),
        (ArchiveWriteError(errno.ENOSPC, "archive cannot be written: full", "x"), "disk: "),
    ],
)
def test_the_loop_goes_on_after_anything(tmp_path, monkeypatch, error, shown):
    monkeypatch.setattr(worker_module, "LONGEST_PAUSE", 0.01)
    state = NodeState()
    worker = ImportWorker(Inbox(tmp_path / "inbox"), state, aet="KERMA", host="", port=0,
                          keep_status=False)
    steps: list[bool] = []

    def step() -> None:
        steps.append(state.disk_ok)
        if len(steps) == 1:
            raise error
        worker._stop.set()  # the second round went through: stop there

    monkeypatch.setattr(worker, "_step", step)
    worker.run()  # returns only once stopped: the error did not end it
    assert len(steps) == 2
    assert shown in state.last_error
    assert steps[1] == (not isinstance(error, OSError))  # the disk reported while it lasted
    assert state.disk_ok  # and healthy again once a round went through
