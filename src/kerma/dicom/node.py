"""The DICOM node: a storage SCP (C-STORE, C-ECHO) that hands what it receives to ``deliver``.

Modalities and PACS send dose reports (and images, for their dose headers) to Kerma's AE. The
node knows nothing of the database nor of the importer: whoever builds it hands it a
``deliver(data, origin)`` callable that keeps the object durably (the import worker passes the
inbox's ``put``, which writes, flushes and renames the file before returning). The node answers
success only once ``deliver`` has returned, and a failure status (0xA700, out of resources)
when ``deliver`` raises, or while the importer says the database is unreachable, so that the
sender retries. Pixel data is dropped before delivering: Kerma needs the header only.

Who may send: an optional allow-list of calling AE titles, each optionally tied to an address
(``CT1``, ``CT1@10.1.2.3``); anyone else is rejected at association with "calling AE title not
recognised". An association must call the node by its own AE title (rejected otherwise with
"called AE title not recognised"), unless ``strict_called`` is off. Every association is
reported through the ``on_association`` callback, which the importer stores: once when it is
requested (outcome "open", so that one in progress when the node is killed stays in the log),
once when it ends (who, when, how many objects, outcome).

Limits, so that idle connections do not lock modalities out: at most ``max_associations``
associations at once (a further request is rejected as transient, "local limit exceeded", and
the modality retries); a connection that sends no association request within
:data:`REQUEST_TIMEOUT_S` is closed, and an association silent for :data:`IDLE_TIMEOUT_S` is
aborted. A connection that has not asked for an association yet does not count against the
limit (pynetdicom's own cap, :data:`CONNECTIONS_PER_ASSOCIATION` times higher, bounds them).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
from pynetdicom.events import Event

from kerma import config
from kerma.dicom.rawfile import (
    DEFLATED_LITTLE,
    EXPLICIT_LITTLE,
    IMPLICIT_LITTLE,
    PIXEL_DATA,
    RawParseError,
    read_item,
)

LOGGER = logging.getLogger("kerma.node")

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
VERIFICATION = "1.2.840.10008.1.1"

# Associations in progress at once (KERMA_DICOM_MAX_ASSOCIATIONS): a CT and a few rooms send a
# handful at a time; a PACS back-filling may open a dozen.
MAX_ASSOCIATIONS = 32
# Open TCP connections (requested or not) per association allowed: idle probes do not count.
CONNECTIONS_PER_ASSOCIATION = 8
# Seconds a new connection may wait before sending its association request (ARTIM timer), and
# seconds an established association may stay silent before it is aborted.
REQUEST_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 60

# Dose reports, the SR carriers vendors use for them, and the images whose headers carry dose.
STORAGE_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.88.67": "X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.68": "Radiopharmaceutical Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.2": "CT Image",
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT Image",
    "1.2.840.10008.5.1.4.1.1.1": "Computed Radiography Image",
    "1.2.840.10008.5.1.4.1.1.1.1": "Digital X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "Digital X-Ray Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.1.2": "Digital Mammography Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "Digital Mammography Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.13.1.3": "Breast Tomosynthesis Image",
    "1.2.840.10008.5.1.4.1.1.12.1": "X-Ray Angiographic Image",
    "1.2.840.10008.5.1.4.1.1.12.1.1": "Enhanced XA Image",
    "1.2.840.10008.5.1.4.1.1.12.2": "X-Ray Radiofluoroscopic Image",
    "1.2.840.10008.5.1.4.1.1.12.2.1": "Enhanced XRF Image",
    "1.2.840.10008.5.1.4.1.1.20": "Nuclear Medicine Image",
    "1.2.840.10008.5.1.4.1.1.128": "PET Image",
    "1.2.840.10008.5.1.4.1.1.130": "Enhanced PET Image",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image (dose screens)",
}


# Keeps one received object (DICOM Part 10 bytes, with their file meta) durably before returning;
# the second argument is the calling AE title. Raises when the object could not be kept.
Deliver = Callable[[bytes, str], object]

SR_CLASSES = frozenset(
    uid for uid in STORAGE_CLASSES if uid.startswith("1.2.840.10008.5.1.4.1.1.88.")
)


@dataclass(frozen=True)
class AllowRule:
    """A calling AE title allowed to send, optionally only from one address."""

    aet: str
    host: str | None = None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        """Return the rule written ``AET`` or ``AET@HOST``."""
        aet, _, host = text.strip().partition("@")
        if not aet or len(aet) > 16:
            raise ValueError(f"{text!r} is not an AE title (1 to 16 characters) [@address]")
        return cls(aet, host or None)

    def allows(self, aet: str, host: str) -> bool:
        """True when a caller with this AE title and address matches the rule."""
        return aet == self.aet and (self.host is None or self.host == host)


@dataclass
class AssociationRecord:
    """One association with the node, as the log keeps it."""

    key: str
    calling_aet: str
    called_aet: str
    address: str
    started_at: datetime
    ended_at: datetime | None = None
    objects_received: int = 0
    objects_refused: int = 0
    outcome: str = "open"  # open, released, aborted, rejected (interrupted: set on restart)
    reason: str = ""


@dataclass
class NodeState:
    """What the node shares with the importer: counters, last error, database and disk
    health (``disk_ok`` false while the archive or the quarantine cannot be written)."""

    received_today: int = 0
    day: str = field(default_factory=lambda: datetime.now().date().isoformat())
    last_error: str = ""
    database_ok: bool = True
    disk_ok: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_received(self) -> None:
        """Count one object received, starting again each day."""
        with self.lock:
            today = datetime.now().date().isoformat()
            if today != self.day:
                self.day, self.received_today = today, 0
            self.received_today += 1


def inbox_dir() -> Path:
    """Return the node's inbox folder under KERMA_HOME."""
    return config.kerma_home() / "inbox"


def status_path() -> Path:
    """Return the node's status file under KERMA_HOME."""
    return config.kerma_home() / "node-status.json"


def read_status() -> dict | None:
    """Return the last status the node wrote, with ``running`` telling whether its process is
    alive and its status fresh; None when no node ever ran here."""
    path = status_path()
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    alive = _process_alive(int(status.get("pid", 0)))
    fresh = time.time() - float(status.get("updated_epoch", 0)) < 30
    status["running"] = bool(alive and fresh and status.get("listening"))
    return status


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def strip_pixel_data(dataset: bytes, transfer_syntax: str) -> bytes:
    """Return the encoded dataset without its pixel data (and what follows), where the encoding
    lets Kerma find it; unchanged otherwise."""
    if transfer_syntax == DEFLATED_LITTLE:
        return dataset
    implicit = transfer_syntax == IMPLICIT_LITTLE
    if (
        not implicit
        and transfer_syntax != EXPLICIT_LITTLE
        and transfer_syntax.startswith("1.2.840.10008.1.2.2")
    ):
        return dataset  # big endian: kept whole
    try:
        _, end = read_item(dataset, 0, len(dataset), implicit, stop_at=PIXEL_DATA)
    except RawParseError:
        return dataset  # the reader will say what is wrong with it
    return dataset[:end]


class StorageNode:
    """A storage SCP handing each received object to ``deliver`` before acknowledging it."""

    def __init__(
        self,
        *,
        aet: str,
        port: int,
        deliver: Deliver,
        host: str = "0.0.0.0",  # noqa: S104 - modalities connect from the hospital network
        allow: Iterable[AllowRule] = (),
        state: NodeState | None = None,
        on_association: Callable[[AssociationRecord], None] | None = None,
        strict_called: bool = True,
        max_associations: int = MAX_ASSOCIATIONS,
    ) -> None:
        self.aet = aet
        self.port = port
        self.host = host
        self.deliver = deliver
        self.allow = list(allow)
        self.strict_called = strict_called
        self.max_associations = max(1, max_associations)
        self.state = state or NodeState()
        self.on_association = on_association
        self._records: dict[int, AssociationRecord] = {}
        self._requested: set[int] = set()  # associations that sent a request, not yet ended
        self._records_lock = threading.Lock()
        self._server = None
        self.ae = self._build_ae()

    def _build_ae(self) -> AE:
        ae = AE(ae_title=self.aet)
        # pynetdicom counts every open connection, requested or not: its cap is set well above
        # ours, which counts association requests only (see _on_requested).
        ae.maximum_associations = self.max_associations * CONNECTIONS_PER_ASSOCIATION
        ae.network_timeout = IDLE_TIMEOUT_S
        ae.acse_timeout = REQUEST_TIMEOUT_S
        ae.dimse_timeout = IDLE_TIMEOUT_S
        ae.maximum_pdu_size = 0  # no limit on what we receive
        ae.add_supported_context(VERIFICATION, ALL_TRANSFER_SYNTAXES)
        for uid in STORAGE_CLASSES:
            ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES)
        return ae

    @property
    def handlers(self) -> list[tuple]:
        """Return the pynetdicom event handlers of the node."""
        return [
            (evt.EVT_CONN_OPEN, self._on_open),
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_ESTABLISHED, self._on_established),
            (evt.EVT_C_ECHO, self._on_echo),
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_RELEASED, self._on_end),
            (evt.EVT_ABORTED, self._on_end),
            (evt.EVT_CONN_CLOSE, self._on_closed),
        ]

    def start(self, *, block: bool = False) -> None:
        """Listen for associations (in a background thread unless ``block``)."""
        LOGGER.info("DICOM node %s listening on %s:%s", self.aet, self.host, self.port)
        if block:
            self.ae.start_server((self.host, self.port), block=True, evt_handlers=self.handlers)
        else:
            self._server = self.ae.start_server(
                (self.host, self.port), block=False, evt_handlers=self.handlers
            )

    def stop(self) -> None:
        """Stop listening and close the associations in progress."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        self.ae.shutdown()

    # --- handlers -------------------------------------------------------------------------

    def _record(self, event: Event) -> AssociationRecord:
        assoc = event.assoc
        with self._records_lock:
            record = self._records.get(id(assoc))
            if record is None:
                requestor = assoc.requestor
                record = AssociationRecord(
                    key=uuid.uuid4().hex,
                    calling_aet=(requestor.ae_title or "").strip(),
                    called_aet=(assoc.acceptor.ae_title or "").strip(),
                    address=str(requestor.address or ""),
                    started_at=datetime.now(),
                )
                self._records[id(assoc)] = record
            return record

    def _finish(self, event: Event, outcome: str, reason: str = "") -> None:
        with self._records_lock:
            record = self._records.pop(id(event.assoc), None)
            self._requested.discard(id(event.assoc))
        if record is None:
            return
        if record.outcome == "open":
            record.outcome = outcome
        record.reason = record.reason or reason
        record.ended_at = datetime.now()
        if self.on_association is not None:
            self.on_association(record)

    def _on_open(self, event: Event) -> None:
        self._record(event)

    def _on_requested(self, event: Event) -> None:
        primitive = event.assoc.requestor.primitive
        calling = (primitive.calling_ae_title or "").strip()
        called = (primitive.called_ae_title or "").strip()
        record = self._record(event)
        record.calling_aet = calling
        record.called_aet = called
        with self._records_lock:
            self._requested.add(id(event.assoc))
        address = record.address
        if self.allow and not any(rule.allows(calling, address) for rule in self.allow):
            reason = f"calling AE {calling!r} from {address} is not in the allow-list"
            # Rejected permanent, by the service user: calling AE title not recognised.
            self._reject(event, reason, (0x01, 0x01, 0x03))
        elif self.strict_called and called != self.aet.strip():
            reason = f"called AE {called!r} is not this node's ({self.aet}): not recognised"
            # Rejected permanent, by the service user: called AE title not recognised.
            self._reject(event, reason, (0x01, 0x01, 0x07))
        elif self._in_progress() > self.max_associations:
            reason = f"more than {self.max_associations} associations at once"
            # Rejected transient, by the service provider (presentation): local limit exceeded.
            self._reject(event, reason, (0x02, 0x03, 0x02))
        elif self.on_association is not None:
            # Logged now as open: if the node is killed during it, it stays in the log.
            self.on_association(dataclasses.replace(record))

    def _in_progress(self) -> int:
        """Return how many associations were requested and have not ended (this one too)."""
        with self._records_lock:
            return len(self._requested)

    def _reject(self, event: Event, reason: str, result: tuple[int, int, int]) -> None:
        record = self._record(event)
        record.outcome = "rejected"
        record.reason = reason
        LOGGER.warning("Association refused: %s", reason)
        event.assoc.acse.send_reject(*result)
        event.assoc.kill()  # waits until the A-ASSOCIATE-RJ has been sent
        self._finish(event, "rejected")

    def _on_established(self, event: Event) -> None:
        self._record(event)

    def _on_echo(self, event: Event) -> int:
        return SUCCESS

    def _on_store(self, event: Event) -> int:
        record = self._record(event)
        if not self.state.database_ok:
            record.objects_refused += 1
            return OUT_OF_RESOURCES
        try:
            whole = event.encoded_dataset(include_meta=True)
            dataset = event.encoded_dataset(include_meta=False)
            meta = whole[: len(whole) - len(dataset)]
            syntax = str(event.context.transfer_syntax)
            if str(event.context.abstract_syntax) not in SR_CLASSES:  # an SR has no pixels
                dataset = strip_pixel_data(dataset, syntax)
            self.deliver(meta + dataset, record.calling_aet)
        except Exception as exc:
            # Disk full, permissions, whatever deliver met: not kept, so not acknowledged; the
            # sender retries.
            self.state.last_error = f"{datetime.now():%Y-%m-%d %H:%M:%S} inbox write failed: {exc}"
            LOGGER.error(self.state.last_error)
            record.objects_refused += 1
            return OUT_OF_RESOURCES
        record.objects_received += 1
        self.state.count_received()
        return SUCCESS

    def _on_end(self, event: Event) -> None:
        self._finish(event, "released" if event.event is evt.EVT_RELEASED else "aborted")

    def _on_closed(self, event: Event) -> None:
        # A peer that drops the connection (or speaks no DICOM) ends here; a released or
        # aborted association was already logged.
        with self._records_lock:
            record = self._records.get(id(event.assoc))
        if record is None:
            return
        if not record.calling_aet:
            record.reason = "connection closed before any association request"
        self._finish(event, "aborted", "connection closed without release")
