"""The import worker: takes received objects from the inbox through the ingest pipeline.

One thread, the only one writing to the database for the node: it imports the inbox files in
arrival order, removes each file only once its report is committed (or kept in quarantine),
and stores the association log. Nothing one report does stops it: a report that raises while
it is read or stored is quarantined with the reason, and the next one is imported. It waits
only on an outage, and tries again with a growing pause until it passes: when the database
cannot be reached (it says so to the node, which then answers "out of resources" so senders
retry), or when the disk refuses the archive or the quarantine (the node keeps receiving into
the inbox meanwhile). Anything else it meets is logged and shown as the last error, and it goes
on: the thread never dies.

A second thread writes the node's status file every few seconds (the true backlog and the last
error, also while the importer waits or is busy with a long report).
"""

from __future__ import annotations

import contextlib
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
    MAX_ASSOCIATIONS,
    AllowRule,
    AssociationRecord,
    NodeState,
    StorageNode,
    inbox_dir,
    status_path,
)
from kerma.ingest.inbox import Inbox
from kerma.ingest.pipeline import OUTAGES, ImportSummary, store_parsed
from kerma.ingest.quarantine import quarantine
from kerma.ingest.reminders import ReminderClock
from kerma.ingest.sources import parse_bytes

LOGGER = logging.getLogger("kerma.worker")

# The longest pause between two tries while an outage lasts, in seconds.
LONGEST_PAUSE = 30.0
# How often the status file is written, in seconds.
STATUS_EVERY = 2.0


def _now() -> str:
    return f"{datetime.now():%Y-%m-%d %H:%M:%S}"


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
        reminders: ReminderClock | None = None,
    ) -> None:
        self.inbox = inbox
        self.state = state
        self.identity = {"aet": aet, "host": host, "port": port}
        self.summary = ImportSummary()
        self.associations: queue.Queue[AssociationRecord] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status_thread: threading.Thread | None = None
        self._swept = not keep_status  # the node's associations left open by a crash
        self._started_at = datetime.now().isoformat(timespec="seconds")
        self._status_lock = threading.Lock()
        self.keep_status = keep_status  # False when not the node (a retrieve's own importer)
        self.listening = False
        self.last_quarantined = ""
        # The node's daily reminders (overdue actions and controls, training); a retrieve's
        # own importer sends none.
        self.reminders = reminders if reminders is not None or not keep_status else ReminderClock()

    def record_association(self, record: AssociationRecord) -> None:
        """Queue an association for the log (called from the node's threads)."""
        self.associations.put(record)
        self.inbox.arrived.set()

    def start(self) -> None:
        """Run the worker in a background thread (and, for the node, its status writer)."""
        self._thread = threading.Thread(target=self.run, name="kerma-import", daemon=True)
        self._thread.start()
        if self.keep_status:
            self._status_thread = threading.Thread(
                target=self._keep_status, name="kerma-node-status", daemon=True
            )
            self._status_thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Ask the worker to stop after the file in hand, and wait for it."""
        self._stop.set()
        self.inbox.arrived.set()
        for thread in (self._thread, self._status_thread):
            if thread is not None:
                thread.join(timeout)
        self.write_status(listening=False)

    def _keep_status(self) -> None:
        while not self._stop.wait(STATUS_EVERY):
            self.write_status()

    def run(self) -> None:
        """Import until stopped: the inbox first (what a previous run left), then as it fills.
        Never raises: an outage is waited out, anything else logged and gone past."""
        pause = 0.5
        while not self._stop.is_set():
            self.inbox.arrived.clear()
            try:
                self._step()
            except (OperationalError, InterfaceError) as exc:
                self.state.database_ok = False
                pause = self._wait_out("database", exc, pause)
                continue
            except OSError as exc:  # ArchiveWriteError, or the inbox itself cannot be read
                self.state.disk_ok = False
                pause = self._wait_out("disk", exc, pause)
                continue
            except Exception as exc:  # noqa: BLE001 - the importer must never die
                LOGGER.exception("Import worker: unexpected error, going on")
                self.state.last_error = f"{_now()} import: {type(exc).__name__}: {exc}"
                pause = self._wait_out("", exc, pause)
                continue
            if not self.state.database_ok:
                LOGGER.warning("Database reachable again")
            if not self.state.disk_ok:
                LOGGER.warning("Disk writable again")
            self.state.database_ok = self.state.disk_ok = True
            pause = 0.5
            self.write_status()
            self.inbox.arrived.wait(1.0)
        with contextlib.suppress(Exception):
            close_old_connections()

    def _step(self) -> None:
        if not self._swept:
            self._mark_interrupted()
            self._swept = True
        self._store_associations()
        self.drain()
        self._remind()

    def _remind(self) -> None:
        """Send the reminders when due (after the inbox is drained: imports come first). An
        outage propagates to be waited out; any other failure is logged and shown, and the
        import goes on."""
        if self.reminders is None:
            return
        try:
            self.reminders.run_if_due()
        except OUTAGES:
            raise
        except Exception as exc:  # noqa: BLE001 - a reminder never stops the import
            LOGGER.exception("Reminders failed; tried again at the next step")
            self.state.last_error = f"{_now()} reminders: {type(exc).__name__}: {exc}"

    def _wait_out(self, what: str, exc: Exception, pause: float) -> float:
        """Say what failed, wait ``pause`` seconds (less if stopped), return the next pause."""
        if what:
            self.state.last_error = f"{_now()} {what}: {exc}"
            LOGGER.error("%s unavailable, retrying in %.0f s: %s", what.title(), pause, exc)
        with contextlib.suppress(Exception):
            close_old_connections()
        self.write_status()
        self._stop.wait(pause)
        return min(pause * 2, LONGEST_PAUSE)

    def drain(self) -> int:
        """Import every file waiting in the inbox; return how many were handled. Raises on an
        outage (:data:`kerma.ingest.pipeline.OUTAGES`, or the inbox unreadable): the file in
        hand stays in the inbox."""
        handled = 0
        for path in self.inbox.pending():
            if self._stop.is_set():
                break
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            label = f"dicom://{Inbox.origin_of(path)}/{path.name}"
            before = len(self.summary.quarantined)
            try:
                store_parsed(parse_bytes(data), label, self.summary)
            except OUTAGES:
                raise
            except Exception as exc:  # noqa: BLE001 - quarantining itself failed: on disk at least
                self._keep_on_disk(data, label, exc)
            if len(self.summary.quarantined) > before:
                last = self.summary.quarantined[-1]
                self.last_quarantined = f"{_now()} {last['path']}: {last['reason']}"
            path.unlink(missing_ok=True)  # only now: the report is committed or quarantined
            handled += 1
        return handled

    def _keep_on_disk(self, data: bytes, label: str, exc: Exception) -> None:
        """Set a file aside in the quarantine folder when its database row could not be made
        (store_parsed quarantines what a report raises; this is what quarantining met)."""
        reason = f"could not be stored nor recorded: {type(exc).__name__}: {exc}"
        LOGGER.exception("Import worker: %s %s", label, reason)
        quarantine(data, label, reason)
        self.summary.quarantined.append({"path": label, "reason": reason})
        self.state.last_error = f"{_now()} {label}: {reason}"

    def _mark_interrupted(self) -> None:
        """Mark the associations a previous run of the node left open (it was killed or
        crashed during them) as interrupted."""
        from kerma.web.node.models import Association

        left = Association.objects.filter(outcome=Association.Outcome.OPEN)
        count = left.update(
            outcome=Association.Outcome.INTERRUPTED,
            reason="the node stopped (killed or crashed) during this association",
        )
        if count:
            LOGGER.warning("%d association(s) left open by the previous run: interrupted", count)

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
        try:
            backlog = self.inbox.backlog()
        except OSError:  # the inbox folder itself is gone or unreadable
            backlog = None
        status = {
            **self.identity,
            "pid": os.getpid(),
            "listening": self.listening,
            "started_at": self._started_at,
            "received_today": self.state.received_today,
            "day": self.state.day,
            "backlog": backlog,
            "imported": self.summary.imported,
            "replaced": self.summary.replaced,
            "duplicates": self.summary.duplicates,
            "quarantined": len(self.summary.quarantined),
            "database_ok": self.state.database_ok,
            "disk_ok": self.state.disk_ok,
            "last_error": self.state.last_error,
            "last_quarantined": self.last_quarantined,
            "updated_at": datetime.now().isoformat(timespec="seconds"),
            "updated_epoch": time.time(),
        }
        path = status_path()
        # The importer thread and the main thread both write it: one at a time, each through
        # its own temporary file.
        with self._status_lock:
            temporary = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            try:
                temporary.write_text(json.dumps(status, indent=2))
                os.replace(temporary, path)
            except OSError as exc:  # a full disk: the status is stale, the import goes on
                LOGGER.error("Cannot write the node's status: %s", exc)


def dicom_settings() -> dict:
    """Return the node's settings from the environment: ``KERMA_DICOM_AET`` (KERMA),
    ``KERMA_DICOM_PORT`` (11112), ``KERMA_DICOM_HOST`` (0.0.0.0), ``KERMA_DICOM_ALLOW``
    (comma-separated ``AET`` or ``AET@address``; empty: anyone may send),
    ``KERMA_DICOM_STRICT_CALLED`` (1: only associations calling the node's own AE title; 0:
    any called AE title) and ``KERMA_DICOM_MAX_ASSOCIATIONS`` (associations at once, 32)."""
    allow = [a for a in os.environ.get("KERMA_DICOM_ALLOW", "").split(",") if a.strip()]
    strict = os.environ.get("KERMA_DICOM_STRICT_CALLED", "1").strip().lower()
    most = os.environ.get("KERMA_DICOM_MAX_ASSOCIATIONS", "").strip()
    return {
        "aet": os.environ.get("KERMA_DICOM_AET", "KERMA"),
        "port": int(os.environ.get("KERMA_DICOM_PORT", "11112")),
        "host": os.environ.get("KERMA_DICOM_HOST", "0.0.0.0"),  # noqa: S104
        "allow": allow,
        "strict_called": strict not in ("0", "false", "no", "off"),
        "max_associations": int(most) if most.isdigit() else MAX_ASSOCIATIONS,
    }


def start_node_service(
    *,
    aet: str,
    port: int,
    host: str,
    allow: list[str],
    strict_called: bool = True,
    max_associations: int = MAX_ASSOCIATIONS,
    block: bool = False,
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
        strict_called=strict_called,
        max_associations=max_associations,
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
