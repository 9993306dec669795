"""The inbox: objects received over the network, on disk before they are acknowledged.

A received object is written to ``inbox/tmp``, flushed and fsync'd, then renamed into
``inbox/new`` (a rename is atomic): a file in ``new`` is always whole. The import worker takes
files from ``new`` in the order they arrived and removes each one only after its report is
committed to the database (or the file moved to quarantine), so a crash at any moment loses
nothing that was acknowledged, and importing a file twice is harmless (the store is idempotent).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
import uuid
from pathlib import Path


class Inbox:
    """A folder of received objects waiting for import."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.new = folder / "new"
        self.tmp = folder / "tmp"
        self.new.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self.arrived = threading.Event()

    def put(self, data: bytes, origin: str = "") -> Path:
        """Write ``data`` durably into the inbox and return its path; ``origin`` (the sender's
        AE title) is kept in the file name for the import log.

        Raises OSError (disk full, permissions): the caller must then not acknowledge.
        """
        with self._lock:
            sequence = next(self._counter)
        # Names sort in arrival order: nanosecond clock, then a per-process counter.
        sender = re.sub(r"[^A-Za-z0-9_.-]", "_", origin.strip())[:16] or "unknown"
        name = (
            f"{time.time_ns():020d}-{os.getpid()}-{sequence:08d}-{uuid.uuid4().hex[:8]}"
            f"-{sender}.dcm"
        )
        temporary = self.tmp / name
        try:
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            target = self.new / name
            os.replace(temporary, target)
            _fsync_folder(self.new)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
        self.arrived.set()
        return target

    def pending(self) -> list[Path]:
        """Return the files waiting for import, oldest first."""
        return sorted(self.new.glob("*.dcm"))

    def backlog(self) -> int:
        """Return how many files wait for import."""
        return sum(1 for _ in self.new.glob("*.dcm"))

    @staticmethod
    def origin_of(path: Path) -> str:
        """Return the sender's AE title kept in an inbox file name."""
        return path.stem.rsplit("-", 1)[-1]

    def clean_partial(self) -> int:
        """Remove half-written files left by a crash (never acknowledged); return how many."""
        removed = 0
        for leftover in self.tmp.glob("*"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
