"""The import worker: takes received objects from the inbox through the ingest pipeline.

One thread, the only one writing to the database for the node: it imports the inbox files in
arrival order, removes each file only once its report is committed (or kept in quarantine),
stores the association log, and writes the node's status file. When the database cannot be
reached it says so to the node (which then answers "out of resources" so senders retry),
and tries again with a growing pause.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from dataclasses import asdict
from datetime import datetime

from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

from kerma.dicom.node import (
    AllowRule,
    AssociationRecord,
    NodeState,
    StorageNode,
    inbox_dir,
    status_path,
)
from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError
from kerma.ingest.inbox import Inbox
from kerma.ingest.pipeline import ImportSummary, store_parsed
from kerma.ingest.sources import Parsed

LOGGER = logging.getLogger("kerma.worker")


def _parse(data: bytes) -> Parsed:
    try:
        return data, read_dose_object(data), None
    except DoseObjectError as exc:
        return data, None, str(exc)


class ImportWorker:
    """Drains the inbox into the database in a background thread."""

    def __init__(
        self,
        inbox: Inbox,
        state: NodeState,
        *,
        aet: str,
        host: str,
        port: int,
        keep_status: bool = True,
    ) -> None:
        self.inbox = inbox
        self.state = state
        self.identity = {"aet": aet, "host": host, "port": port}
        self.summary = ImportSummary()
        self.associations: queue.Queue[AssociationRecord] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = datetime.now().isoformat(timespec="seconds")
        self._last_status = 0.0
        self._status_lock = threading.Lock()
        self.keep_status = keep_status  # False when not the node (a retrieve's own importer)
        self.listening = False

    def record_association(self, record: AssociationRecord) -> None:
        """Queue an association for the log (called from the node's threads)."""
        self.associations.put(record)
        self.inbox.arrived.set()

    def start(self) -> None:
        """Run the worker in a background thread."""
        self._thread = threading.Thread(target=self.run, name="kerma-import", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Ask the worker to stop after the file in hand, and wait for it."""
        self._stop.set()
        self.inbox.arrived.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.write_status(listening=False)

    def run(self) -> None:
        """Import until stopped: the inbox first (what a previous run left), then as it fills."""
        pause = 0.5
        while not self._stop.is_set():
            self.inbox.arrived.clear()
            try:
                self._store_associations()
                self.drain()
            except (OperationalError, InterfaceError) as exc:
                self.state.database_ok = False
                self.state.last_error = f"{datetime.now():%Y-%m-%d %H:%M:%S} database: {exc}"
                LOGGER.error("Database unreachable, retrying in %.0f s: %s", pause, exc)
                close_old_connections()
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)
                continue
            else:
                if not self.state.database_ok:
                    LOGGER.warning("Database reachable again")
                self.state.database_ok = True
                pause = 0.5
            self.write_status()
            self.inbox.arrived.wait(1.0)
        close_old_connections()

    def drain(self) -> int:
        """Import every file waiting in the inbox; return how many were handled."""
        handled = 0
        for path in self.inbox.pending():
            if self._stop.is_set():
                break
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            label = f"dicom://{Inbox.origin_of(path)}/{path.name}"
            store_parsed(_parse(data), label, self.summary)
            path.unlink(missing_ok=True)  # only now: the report is committed or quarantined
            handled += 1
            if time.monotonic() - self._last_status > 2:
                self.write_status()
        return handled

    def _store_associations(self) -> None:
        from kerma.web.node.models import Association

        while True:
            try:
                record = self.associations.get_nowait()
            except queue.Empty:
                return
            fields = asdict(record)
            key = fields.pop("key")
            for name in ("started_at", "ended_at"):
                if fields[name] is not None:
                    fields[name] = timezone.make_aware(fields[name])
            try:
                Association.objects.update_or_create(key=key, defaults=fields)
            except (OperationalError, InterfaceError):
                self.associations.put(record)  # keep it for when the database is back
                raise

    def write_status(self, *, listening: bool | None = None) -> None:
        """Write the node's status file (atomically) for `kerma dicom status` and the web."""
        if not self.keep_status:
            return
        if listening is not None:
            self.listening = listening
        self._last_status = time.monotonic()
        status = {
            **self.identity,
            "pid": os.getpid(),
            "listening": self.listening,
            "started_at": self._started_at,
            "received_today": self.state.received_today,
            "day": self.state.day,
            "backlog": self.inbox.backlog(),
            "imported": self.summary.imported,
            "replaced": self.summary.replaced,
            "duplicates": self.summary.duplicates,
            "quarantined": len(self.summary.quarantined),
            "database_ok": self.state.database_ok,
            "last_error": self.state.last_error,
            "updated_at": datetime.now().isoformat(timespec="seconds"),
            "updated_epoch": time.time(),
        }
        path = status_path()
        # The importer thread and the main thread both write it: one at a time, each through
        # its own temporary file.
        with self._status_lock:
            temporary = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            temporary.write_text(json.dumps(status, indent=2))
            os.replace(temporary, path)


def dicom_settings() -> dict:
    """Return the node's settings from the environment: ``KERMA_DICOM_AET`` (KERMA),
    ``KERMA_DICOM_PORT`` (11112), ``KERMA_DICOM_HOST`` (0.0.0.0) and ``KERMA_DICOM_ALLOW``
    (comma-separated ``AET`` or ``AET@address``; empty: anyone may send)."""
    allow = [a for a in os.environ.get("KERMA_DICOM_ALLOW", "").split(",") if a.strip()]
    return {
        "aet": os.environ.get("KERMA_DICOM_AET", "KERMA"),
        "port": int(os.environ.get("KERMA_DICOM_PORT", "11112")),
        "host": os.environ.get("KERMA_DICOM_HOST", "0.0.0.0"),  # noqa: S104
        "allow": allow,
    }


def start_node_service(
    *, aet: str, port: int, host: str, allow: list[str], block: bool = False
) -> tuple[StorageNode, ImportWorker]:
    """Start the import worker (which first imports what a previous run left in the inbox)
    and the storage SCP; with ``block`` this call serves until interrupted."""
    inbox = Inbox(inbox_dir())
    inbox.clean_partial()
    state = NodeState()
    worker = ImportWorker(inbox, state, aet=aet, host=host, port=port)
    node = StorageNode(
        aet=aet,
        port=port,
        host=host,
        deliver=inbox.put,  # on disk (written, flushed, renamed) before the node answers
        allow=[AllowRule.parse(a) for a in allow],
        state=state,
        on_association=worker.record_association,
    )
    worker.start()
    try:
        node.start(block=False)
    except OSError:
        worker.stop()
        raise
    worker.write_status(listening=True)
    if block:
        try:
            threading.Event().wait()
        finally:
            node.stop()
            worker.stop()
    return node, worker
