"""Back-fill dose objects from a PACS: C-FIND, then C-GET (or C-MOVE) with pynetdicom.

Pure network code: no Django, no database. :func:`retrieve_history` walks a date range:

1. C-FIND at STUDY level over date windows that adapt to the PACS's density (and one query per
   modality when some are given), so a PACS that caps its answers per query does not silently
   cut a long range short;
2. per study, C-FIND at SERIES level, then at IMAGE level in the SR series: the instances whose
   SOP Class is a dose report (:data:`DOSE_REPORT_SOP_CLASSES`) are selected;
3. a study with no dose report falls back to the **first image** (lowest Instance Number) of each
   series of modality :data:`IMAGE_MODALITIES`, whose header carries the dose;
4. each selected instance is retrieved with C-GET (the PACS sends it back on the same
   association: no listener needed) and handed to ``deliver`` as DICOM Part 10 bytes, or with
   C-MOVE to a destination AE (Kerma's own node), which receives it.

Progress is kept in a :class:`RetrieveState` file so a second run fetches nothing it already
has. Refused associations, failed queries and sub-operations and timeouts are reported in
:attr:`RetrieveSummary.failures` (with the study UID and the DICOM status); one bad study never
stops the others.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context, build_role
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from pynetdicom.status import (
    QR_FIND_SERVICE_CLASS_STATUS,
    QR_GET_SERVICE_CLASS_STATUS,
    QR_MOVE_SERVICE_CLASS_STATUS,
)

__all__ = [
    "DOSE_REPORT_SOP_CLASSES",
    "IMAGE_MODALITIES",
    "Peer",
    "RetrieveState",
    "RetrieveSummary",
    "echo",
    "parse_peer",
    "retrieve_history",
]

LOGGER = logging.getLogger(__name__)

DOSE_REPORT_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.88.67": "X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.68": "Radiopharmaceutical Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",  # GE CT dose reports
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
}
"""SOP classes of the SR instances retrieved as dose reports (UID → name)."""

IMAGE_MODALITIES: tuple[str, ...] = ("CT", "DX", "CR", "MG", "XA", "RF", "NM", "PT")
"""Modalities whose first image per series is retrieved for a study with no dose report."""

IMAGE_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.2": "CT Image",
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT Image",
    "1.2.840.10008.5.1.4.1.1.2.2": "Legacy Converted Enhanced CT Image",
    "1.2.840.10008.5.1.4.1.1.1.1": "Digital X-Ray Image, For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "Digital X-Ray Image, For Processing",
    "1.2.840.10008.5.1.4.1.1.1": "Computed Radiography Image",
    "1.2.840.10008.5.1.4.1.1.1.2": "Digital Mammography X-Ray Image, For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "Digital Mammography X-Ray Image, For Processing",
    "1.2.840.10008.5.1.4.1.1.13.1.3": "Breast Tomosynthesis Image",
    "1.2.840.10008.5.1.4.1.1.13.1.4": "Breast Projection X-Ray Image, For Presentation",
    "1.2.840.10008.5.1.4.1.1.13.1.5": "Breast Projection X-Ray Image, For Processing",
    "1.2.840.10008.5.1.4.1.1.12.1": "X-Ray Angiographic Image",
    "1.2.840.10008.5.1.4.1.1.12.1.1": "Enhanced XA Image",
    "1.2.840.10008.5.1.4.1.1.12.2": "X-Ray Radiofluoroscopic Image",
    "1.2.840.10008.5.1.4.1.1.12.2.1": "Enhanced XRF Image",
    "1.2.840.10008.5.1.4.1.1.13.1.1": "X-Ray 3D Angiographic Image",
    "1.2.840.10008.5.1.4.1.1.20": "Nuclear Medicine Image",
    "1.2.840.10008.5.1.4.1.1.128": "Positron Emission Tomography Image",
    "1.2.840.10008.5.1.4.1.1.130": "Enhanced PET Image",
    "1.2.840.10008.5.1.4.1.1.128.1": "Legacy Converted Enhanced PET Image",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image",  # vendor dose screens
}
"""Image SOP classes Kerma accepts over C-GET (UID → name)."""

MAX_PRESENTATION_CONTEXTS = 128  # PS3.8: odd context IDs 1..255, pynetdicom enforces it

_UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
# Compressed transfer syntaxes a PACS commonly stores images in, most common first. Each gets
# its own presentation context per image SOP class while the 128-context budget allows, so the
# PACS can send what it stores without having to transcode it.
_COMPRESSED = [
    JPEGLosslessSV1,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEG2000,
    JPEGLSLossless,
    RLELossless,
    JPEGExtended12Bit,
    DeflatedExplicitVRLittleEndian,
]

_PENDING = (0xFF00, 0xFF01)
_FIRST_WINDOW_DAYS = 7
_MAX_WINDOW_DAYS = 4096
_WINDOW_SPLIT_AT = 200  # studies per C-FIND above which the date window is halved
_STATE_FORMAT = "kerma-retrieve-state"
_STATE_VERSION = 1


# --------------------------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Peer:
    """A remote DICOM application entity: AE title, host name or address, TCP port."""

    aet: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.aet}@{host}:{self.port}"


def parse_peer(text: str) -> Peer:
    """Return the :class:`Peer` written ``AET@HOST:PORT`` (IPv6 hosts in brackets).

    Raises :class:`ValueError` naming what is wrong: missing ``@`` or ``:``, an AE title that
    is empty, longer than 16 characters or holds a backslash or control character, an empty
    host, a port that is not an integer from 1 to 65535.
    """
    example = "expected AET@HOST:PORT, e.g. PACS@10.0.0.5:104"
    aet, at, address = text.strip().rpartition("@")
    if not at:
        raise ValueError(f"invalid peer {text!r}: no '@' ({example})")
    host, colon, port_text = address.rpartition(":")
    if not colon:
        raise ValueError(f"invalid peer {text!r}: no ':PORT' ({example})")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError(f"invalid peer {text!r}: empty host ({example})")
    _check_ae_title(aet, f"invalid peer {text!r}")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"invalid peer {text!r}: port {port_text!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"invalid peer {text!r}: port {port} is not within 1-65535")
    return Peer(aet=aet, host=host, port=port)


def _check_ae_title(aet: str, context: str) -> None:
    """Raise :class:`ValueError` unless `aet` is a valid AE title (1-16 characters)."""
    if not aet.strip():
        raise ValueError(f"{context}: empty AE title")
    if len(aet) > 16:
        raise ValueError(f"{context}: AE title {aet!r} is longer than 16 characters")
    if "\\" in aet or any(ord(char) < 32 for char in aet):
        raise ValueError(f"{context}: AE title {aet!r} holds a backslash or control character")


@dataclass
class RetrieveSummary:
    """What :func:`retrieve_history` did.

    ``studies_found``: studies the PACS matched; ``studies_done``: studies fully retrieved by this
    run; ``skipped_already_done``: studies not queried again because the state file marks them
    fully retrieved by an earlier run; ``series_selected``: series holding dose reports, or image
    series whose first image was selected; ``objects_received``: objects delivered (C-GET) or
    that the PACS reports sent to the destination (C-MOVE); ``failures``: one message per
    problem, naming the study UID and the DICOM status.
    """

    studies_found: int = 0
    studies_done: int = 0
    series_selected: int = 0
    objects_received: int = 0
    skipped_already_done: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """``True`` when nothing failed."""
        return not self.failures


class RetrieveState:
    """Which studies and objects were fully retrieved, kept in a JSON file.

    Keys are a Study Instance UID (the whole study is done), ``study/series`` (the first image
    of an image series is done) or ``study/series/instance`` (one dose report is done). Marking
    a study done forgets the keys of its objects, which it implies, so the file stays small.

    The file is rewritten atomically (temporary file, fsync, :func:`os.replace`) at most once
    per ``autosave_s`` seconds by :meth:`mark_done` and always by :meth:`save`;
    :func:`retrieve_history` saves when it ends, even on error. A crash can only lose the last
    second of marks, which costs a re-fetch: harmless, since import is idempotent.
    """

    def __init__(self, path: Path, *, autosave_s: float = 1.0) -> None:
        self.path = Path(path)
        self.autosave_s = autosave_s
        self._studies: set[str] = set()
        self._objects: dict[str, set[str]] = {}
        self._dirty = False
        self._saved_at = time.monotonic()
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != _STATE_FORMAT:
                raise ValueError(f"'format' is not {_STATE_FORMAT!r}")
            keys = data["done"]
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ValueError("'done' is not a list of strings")
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"{self.path}: not a readable retrieve state file: {exc}") from exc
        for key in keys:
            self._add(key)

    def _add(self, key: str) -> None:
        study, slash, _rest = key.partition("/")
        if not slash:
            self._studies.add(key)
            self._objects.pop(key, None)
        elif study not in self._studies:
            self._objects.setdefault(study, set()).add(key)

    def is_done(self, key: str) -> bool:
        """Return ``True`` when `key` (or the study it belongs to) was marked done."""
        study = key.partition("/")[0]
        return study in self._studies or key in self._objects.get(study, ())

    def mark_done(self, key: str) -> None:
        """Record `key` as fully retrieved (saved within ``autosave_s`` seconds)."""
        if not key or self.is_done(key):
            return
        self._add(key)
        self._dirty = True
        if time.monotonic() - self._saved_at >= self.autosave_s:
            self.save()

    def __len__(self) -> int:
        return len(self._studies) + sum(len(keys) for keys in self._objects.values())

    def save(self) -> None:
        """Write the state file now (atomically), if anything changed since the last save."""
        if not self._dirty and self.path.exists():
            return
        keys = sorted(self._studies) + sorted(k for ks in self._objects.values() for k in ks)
        payload = json.dumps({"format": _STATE_FORMAT, "version": _STATE_VERSION, "done": keys})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False
        self._saved_at = time.monotonic()


# --------------------------------------------------------------------------------------------
# Errors and statuses
# --------------------------------------------------------------------------------------------
class RetrieveError(Exception):
    """A query or retrieve that failed (the message names the DICOM status)."""


class AssociationError(RetrieveError):
    """The peer could not be reached, refused the association or lacks a needed service."""


def _status_text(status: Dataset | None, table: dict[int, tuple[str, str]]) -> str:
    """Describe a DIMSE response status, e.g. ``status 0xA700 (Failure: Out of resources)``."""
    if status is None or "Status" not in status:
        return "no response (timeout, or the association was aborted)"
    code = int(status.Status)
    category, meaning = table.get(code, ("Unknown", "unknown status"))
    text = f"status 0x{code:04X} ({category}: {meaning})"
    comment = str(status.get("ErrorComment", "")).strip()
    return f"{text}: {comment}" if comment else text


# --------------------------------------------------------------------------------------------
# Association
# --------------------------------------------------------------------------------------------
def _storage_contexts(budget: int) -> list[PresentationContext]:
    """Storage contexts offered to receive C-GET sub-operations, at most `budget` of them.

    Dose reports and images first in uncompressed transfer syntaxes, then one context per image
    class and compressed transfer syntax (most common first) while the budget allows.
    """
    contexts = [build_context(uid, _UNCOMPRESSED) for uid in DOSE_REPORT_SOP_CLASSES]
    contexts += [build_context(uid, _UNCOMPRESSED) for uid in IMAGE_SOP_CLASSES]
    for syntax in _COMPRESSED:
        contexts += [build_context(uid, [syntax]) for uid in IMAGE_SOP_CLASSES]
    return contexts[:budget]


def _request_contexts(method: str) -> tuple[list[PresentationContext], list[Any]]:
    """Return the presentation contexts and role selection items for `method`."""
    if method == "get":
        contexts = [
            build_context(StudyRootQueryRetrieveInformationModelFind),
            build_context(StudyRootQueryRetrieveInformationModelGet),
        ]
        contexts += _storage_contexts(MAX_PRESENTATION_CONTEXTS - len(contexts))
        roles = [
            build_role(uid, scp_role=True) for uid in (*DOSE_REPORT_SOP_CLASSES, *IMAGE_SOP_CLASSES)
        ]
        return contexts, roles
    contexts = [
        build_context(StudyRootQueryRetrieveInformationModelFind),
        build_context(StudyRootQueryRetrieveInformationModelMove),
    ]
    return contexts, []


def _new_ae(calling_aet: str, timeout: float) -> AE:
    """An application entity titled `calling_aet` with every timeout set to `timeout`."""
    _check_ae_title(calling_aet, "invalid calling AE title")
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = timeout
    ae.dimse_timeout = timeout
    ae.network_timeout = timeout
    ae.connection_timeout = timeout
    return ae


class _Watch:
    """Notes whether the TCP connection opened and why an association was rejected (pynetdicom
    only logs the reason)."""

    def __init__(self) -> None:
        self.connected = False
        self.rejection = ""

    def on_open(self, event: evt.Event) -> None:
        self.connected = True
        _disable_nagle(event.assoc)

    def on_acse(self, event: evt.Event) -> None:
        primitive = event.primitive  # type: ignore[attr-defined]
        if getattr(primitive, "result", None) in (0x01, 0x02):
            self.rejection = (
                f"{primitive.result_str}, source {primitive.source_str}: {primitive.reason_str}"
            )


def _disable_nagle(assoc: Association) -> None:
    """Set TCP_NODELAY on the association's socket.

    pynetdicom sends a DIMSE command and its data set in two writes; with Nagle's algorithm
    the second waits for the peer's delayed ACK (40 ms on Linux), which doubled the time of
    every C-FIND against Orthanc. pynetdicom offers no option for it, hence the private path.
    """
    sock = getattr(getattr(assoc.dul, "socket", None), "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _associate(
    ae: AE,
    peer: Peer,
    contexts: list[PresentationContext],
    *,
    roles: list[Any] | None = None,
    handlers: list[Any] | None = None,
) -> Association:
    """Open an association with `peer`; raise :class:`AssociationError` when it fails."""
    watch = _Watch()
    assoc = ae.associate(
        peer.host,
        peer.port,
        contexts=contexts,
        ae_title=peer.aet,
        ext_neg=roles or None,
        evt_handlers=[
            (evt.EVT_CONN_OPEN, watch.on_open),
            (evt.EVT_ACSE_RECV, watch.on_acse),
            *(handlers or []),
        ],
    )
    if assoc.is_established:
        return assoc
    if not watch.connected:
        raise AssociationError(
            f"could not connect to {peer} (host unreachable, connection refused or no answer "
            f"within {ae.connection_timeout:g} s)"
        )
    if assoc.is_rejected:
        raise AssociationError(f"association refused by {peer}: {watch.rejection or 'rejected'}")
    if assoc.is_aborted:
        raise AssociationError(f"association with {peer} aborted by the peer")
    raise AssociationError(f"no answer from {peer} within {ae.acse_timeout:g} s")


def _accepts(assoc: Association, abstract_syntax: str) -> bool:
    return any(cx.abstract_syntax == abstract_syntax for cx in assoc.accepted_contexts)


def echo(peer: Peer, *, calling_aet: str = "KERMA", timeout: float = 10) -> bool:
    """Return ``True`` when `peer` accepts an association and answers C-ECHO with success."""
    ae = _new_ae(calling_aet, timeout)
    try:
        assoc = _associate(ae, peer, [build_context(Verification)])
    except AssociationError as exc:
        LOGGER.info("C-ECHO %s: %s", peer, exc)
        return False
    try:
        status = assoc.send_c_echo()
        return bool(status) and "Status" in status and int(status.Status) == 0x0000
    finally:
        _close(assoc)


def _close(assoc: Association | None) -> None:
    """Release `assoc` if it is still established (abort if the release fails)."""
    if assoc is None or not assoc.is_established:
        return
    try:
        assoc.release()
    except Exception:  # pragma: no cover - the peer vanished mid-release
        assoc.abort()


# --------------------------------------------------------------------------------------------
# Session: one association, re-opened after a failure, with C-FIND / C-GET / C-MOVE
# --------------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    """Result of one C-GET or C-MOVE: final status and sub-operation counts."""

    status: Dataset | None
    completed: int
    failed: int
    warnings: int

    @property
    def success(self) -> bool:
        return self.status is not None and int(self.status.get("Status", -1)) == 0x0000


class _Receiver:
    """C-STORE handler for C-GET sub-operations: hands Part 10 bytes to `deliver`."""

    def __init__(self, deliver: Callable[[bytes], None]) -> None:
        self.deliver = deliver
        self.received = 0
        self.errors: list[str] = []

    def reset(self) -> None:
        self.received = 0
        self.errors = []

    def __call__(self, event: evt.Event) -> int:
        try:
            data = event.encoded_dataset(include_meta=True)
            self.deliver(data)
        except Exception as exc:  # the callback failed: make the PACS count a failure
            sop = getattr(event.request, "AffectedSOPInstanceUID", "?")
            self.errors.append(f"delivery of {sop} failed: {type(exc).__name__}: {exc}")
            LOGGER.exception("delivery of %s failed", sop)
            return 0xA700
        self.received += 1
        return 0x0000


class _Session:
    """One association with the PACS for the whole run, re-opened after it breaks."""

    def __init__(
        self,
        peer: Peer,
        ae: AE,
        method: str,
        receiver: _Receiver,
        requested: tuple[list[PresentationContext], list[Any]] | None = None,
    ) -> None:
        self.peer = peer
        self.ae = ae
        self.method = method
        self.receiver = receiver
        self.requested = requested  # contexts and roles; None: those of _request_contexts
        self.assoc: Association | None = None

    def ensure(self) -> Association:
        """Return an established association, opening a new one if needed."""
        if self.assoc is not None and self.assoc.is_established:
            return self.assoc
        contexts, roles = self.requested or _request_contexts(self.method)
        handlers = [(evt.EVT_C_STORE, self.receiver)] if self.method == "get" else []
        assoc = _associate(self.ae, self.peer, contexts, roles=roles, handlers=handlers)
        retrieve_model = (
            StudyRootQueryRetrieveInformationModelGet
            if self.method == "get"
            else StudyRootQueryRetrieveInformationModelMove
        )
        for model, name in (
            (StudyRootQueryRetrieveInformationModelFind, "Study Root C-FIND"),
            (retrieve_model, f"Study Root C-{self.method.upper()}"),
        ):
            if not _accepts(assoc, model):
                _close(assoc)
                raise AssociationError(f"{self.peer} does not accept {name}")
        self.assoc = assoc
        return assoc

    def close(self) -> None:
        _close(self.assoc)
        self.assoc = None

    def find(self, identifier: Dataset) -> list[Dataset]:
        """Run one Study Root C-FIND; return the matches or raise :class:`RetrieveError`."""
        assoc = self.ensure()
        matches: list[Dataset] = []
        final: Dataset | None = None
        for status, match in assoc.send_c_find(
            identifier, StudyRootQueryRetrieveInformationModelFind
        ):
            final = status if status else None
            if final is not None and int(final.Status) in _PENDING and match is not None:
                matches.append(match)
        if final is None or int(final.Status) != 0x0000:
            level = identifier.QueryRetrieveLevel
            reason = _status_text(final, QR_FIND_SERVICE_CLASS_STATUS)
            raise RetrieveError(f"C-FIND at {level} level failed: {reason}")
        return matches

    def get(self, identifier: Dataset) -> _Outcome:
        """Run one C-GET; sub-operations arrive through the receiver."""
        assoc = self.ensure()
        self.receiver.reset()
        responses = assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet)
        return _final_outcome(responses)

    def move(self, identifier: Dataset, destination: str) -> _Outcome:
        """Run one C-MOVE to `destination`."""
        assoc = self.ensure()
        responses = assoc.send_c_move(
            identifier, destination, StudyRootQueryRetrieveInformationModelMove
        )
        return _final_outcome(responses)


def _final_outcome(responses: Iterator[tuple[Dataset, Dataset | None]]) -> _Outcome:
    """Consume C-GET / C-MOVE responses; return the final status and sub-operation counts."""
    final: Dataset | None = None
    for status, _identifier in responses:
        final = status if status else None
    if final is None:
        return _Outcome(None, 0, 0, 0)

    def count(keyword: str) -> int:
        value = final.get(keyword)
        return int(value) if value not in (None, "") else 0

    return _Outcome(
        final,
        count("NumberOfCompletedSuboperations"),
        count("NumberOfFailedSuboperations"),
        count("NumberOfWarningSuboperations"),
    )


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _StudyRef:
    uid: str
    study_date: str
    modalities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Item:
    """One object to retrieve: a dose report, or the first image of a series."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    kind: Literal["report", "image"]

    @property
    def key(self) -> str:
        """State key: ``study/series/instance`` for a report, ``study/series`` for an image."""
        if self.kind == "image":
            return f"{self.study_uid}/{self.series_uid}"
        return f"{self.study_uid}/{self.series_uid}/{self.sop_instance_uid}"


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    return str(value).strip() if value is not None else ""


def _values(ds: Dataset, keyword: str) -> tuple[str, ...]:
    value = ds.get(keyword)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip().upper() for v in value.split("\\") if v.strip())
    return tuple(str(v).strip().upper() for v in value if str(v).strip())


def _study_identifier(start: date, end: date, modality: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    first, last = start.strftime("%Y%m%d"), end.strftime("%Y%m%d")
    ds.StudyDate = first if first == last else f"{first}-{last}"
    ds.StudyTime = ""
    ds.AccessionNumber = ""
    ds.ModalitiesInStudy = modality
    return ds


def _series_identifier(study_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = ""
    ds.Modality = ""
    ds.SeriesNumber = ""
    return ds


def _image_identifier(study_uid: str, series_uid: str, sop_instance_uid: str = "") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = sop_instance_uid
    if not sop_instance_uid:
        ds.SOPClassUID = ""
        ds.InstanceNumber = ""
    return ds


def _find_studies(
    session: _Session,
    since: date,
    until: date,
    modalities: Sequence[str],
    summary: RetrieveSummary,
) -> list[_StudyRef]:
    """Query the studies of the range, one query per modality and per date window.

    The window adapts to the PACS's density: a window returning :data:`_WINDOW_SPLIT_AT`
    studies or more (or failing) is halved and queried again, down to one day, so a PACS that
    caps its answers per query does not silently cut the range; a sparse window doubles the
    next one, so years of empty history cost a few queries. A day that still fails is reported.
    """
    found: dict[str, _StudyRef] = {}
    for modality in modalities or ("",):
        start, width = since, _FIRST_WINDOW_DAYS
        while start <= until:
            end = min(start + timedelta(days=width - 1), until)
            try:
                matches = session.find(_study_identifier(start, end, modality))
            except AssociationError:
                raise
            except RetrieveError as exc:
                if end > start:
                    width = max(1, ((end - start).days + 1) // 2)
                    continue
                summary.failures.append(f"studies of {start.isoformat()}: {exc}")
                matches = []
            if len(matches) >= _WINDOW_SPLIT_AT and end > start:
                width = max(1, ((end - start).days + 1) // 2)
                continue
            _add_studies(found, matches, modalities)
            start = end + timedelta(days=1)
            if len(matches) < _WINDOW_SPLIT_AT // 4:
                width = min(width * 2, _MAX_WINDOW_DAYS)
    return sorted(found.values(), key=lambda s: (s.study_date, s.uid))


def _add_studies(
    found: dict[str, _StudyRef], matches: list[Dataset], modalities: Sequence[str]
) -> None:
    """Add the matched studies to `found`, dropping those of other modalities (a PACS that
    ignores ModalitiesInStudy matching still returns its value)."""
    wanted = set(modalities)
    for match in matches:
        study = _StudyRef(
            _text(match, "StudyInstanceUID"),
            _text(match, "StudyDate"),
            _values(match, "ModalitiesInStudy"),
        )
        if not study.uid:
            continue
        if wanted and study.modalities and not wanted.intersection(study.modalities):
            continue
        found.setdefault(study.uid, study)


def _first_instance(matches: list[Dataset]) -> Dataset | None:
    """The instance with the lowest Instance Number among receivable images, if any."""

    def order(item: tuple[int, Dataset]) -> tuple[int, int]:
        position, ds = item
        try:
            return int(_text(ds, "InstanceNumber")), position
        except ValueError:
            return 1 << 31, position

    images = [
        ds
        for ds in matches
        if _text(ds, "SOPInstanceUID")
        and (not _text(ds, "SOPClassUID") or _text(ds, "SOPClassUID") in IMAGE_SOP_CLASSES)
    ]
    if not images:
        return None
    return min(enumerate(images), key=order)[1]


def _select_items(
    session: _Session, study: _StudyRef, image_modalities: Sequence[str]
) -> tuple[list[_Item], int]:
    """Return the objects to retrieve for `study` and the number of series they belong to.

    The dose reports of its SR series (an SR instance whose SOP Class the PACS does not return
    is kept: the import decides); if there is none, the first image of each series of
    `image_modalities`.
    """
    series = session.find(_series_identifier(study.uid))
    reports: list[_Item] = []
    for match in series:
        if _text(match, "Modality").upper() != "SR":
            continue
        series_uid = _text(match, "SeriesInstanceUID")
        for instance in session.find(_image_identifier(study.uid, series_uid)):
            sop_class = _text(instance, "SOPClassUID")
            sop_uid = _text(instance, "SOPInstanceUID")
            if sop_uid and (not sop_class or sop_class in DOSE_REPORT_SOP_CLASSES):
                reports.append(_Item(study.uid, series_uid, sop_uid, "report"))
    if reports:
        return reports, len({item.series_uid for item in reports})
    images: list[_Item] = []
    for match in series:
        if _text(match, "Modality").upper() not in image_modalities:
            continue
        series_uid = _text(match, "SeriesInstanceUID")
        first = _first_instance(session.find(_image_identifier(study.uid, series_uid)))
        if first is not None:
            images.append(_Item(study.uid, series_uid, _text(first, "SOPInstanceUID"), "image"))
    return images, len(images)


# --------------------------------------------------------------------------------------------
# Retrieval
# --------------------------------------------------------------------------------------------
@dataclass
class _Run:
    """Everything one :func:`retrieve_history` call shares between its steps."""

    session: _Session
    state: RetrieveState
    summary: RetrieveSummary
    image_modalities: tuple[str, ...]
    method: str
    move_destination: str | None


def _fetch(run: _Run, item: _Item) -> str | None:
    """Retrieve one object; return ``None`` on success or the reason it failed."""
    identifier = _image_identifier(item.study_uid, item.series_uid, item.sop_instance_uid)
    if run.method == "move":
        assert run.move_destination is not None
        outcome = run.session.move(identifier, run.move_destination)
        table = QR_MOVE_SERVICE_CLASS_STATUS
        received = outcome.completed if outcome.success else 0
    else:
        outcome = run.session.get(identifier)
        table = QR_GET_SERVICE_CLASS_STATUS
        received = run.session.receiver.received
    run.summary.objects_received += received
    errors = run.session.receiver.errors if run.method == "get" else []
    if (
        outcome.success
        and not errors
        and outcome.failed == 0
        and (received or run.method == "move")
    ):
        return None
    reason = f"C-{run.method.upper()} {_status_text(outcome.status, table)}"
    reason += f", {outcome.completed} completed, {outcome.failed} failed sub-operations"
    if run.method == "get" and outcome.success and not received:
        reason += ", nothing received"
    return "; ".join([reason, *errors])


def _process_study(run: _Run, study: _StudyRef) -> None:
    """Retrieve what `study` needs; record failures; mark it done when everything arrived."""
    if run.state.is_done(study.uid):
        run.summary.skipped_already_done += 1
        return
    try:
        items, series_count = _select_items(run.session, study, run.image_modalities)
    except AssociationError:
        raise
    except RetrieveError as exc:
        run.summary.failures.append(f"study {study.uid}: {exc}")
        return
    run.summary.series_selected += series_count
    complete = True
    for item in items:
        if run.state.is_done(item.key):
            continue
        reason = _fetch(run, item)
        if reason is None:
            run.state.mark_done(item.key)
        else:
            complete = False
            run.summary.failures.append(
                f"study {study.uid}: {item.kind} {item.sop_instance_uid}: {reason}"
            )
    if complete:
        run.state.mark_done(study.uid)
        run.summary.studies_done += 1


def _image_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    """Image modalities whose first image is fetched: all of them, or those asked for."""
    if not modalities:
        return IMAGE_MODALITIES
    return tuple(m for m in IMAGE_MODALITIES if m in modalities)


def _normalise_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(m.strip().upper() for m in modalities))
    for modality in cleaned:
        if not modality or len(modality) > 16 or "\\" in modality or "*" in modality:
            raise ValueError(f"invalid modality {modality!r}: expected a code like CT, DX, MG")
    return cleaned


def retrieve_history(
    peer: Peer,
    *,
    since: date,
    until: date | None = None,
    modalities: Sequence[str] = (),
    deliver: Callable[[bytes], None],
    state: RetrieveState,
    calling_aet: str = "KERMA",
    method: Literal["get", "move"] = "get",
    move_destination: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 30,
) -> RetrieveSummary:
    """Back-fill the dose objects of the studies dated `since` to `until` (inclusive; today
    when ``None``) from the PACS `peer`, optionally only studies whose Modalities in Study hold
    one of `modalities` (then only image series of those modalities are used as fallback; note
    that a study holding nothing but an SR series has Modalities in Study ``SR``).

    With ``method="get"`` each object is received over the same association and passed to
    `deliver` as DICOM Part 10 bytes (preamble and file meta included; whatever pixel data the
    PACS sends comes along); it runs in pynetdicom's association thread, one object at a time,
    and should return within `timeout`; if it raises, the PACS is told the object could not be
    stored and the failure is reported. With ``method="move"`` the PACS sends each object to the AE
    `move_destination` (which the PACS must know), `deliver` is not called and
    ``objects_received`` counts what the PACS reports sent. `progress` is called with
    (studies processed, studies found) before the first study and after each one. `timeout`
    (s) bounds connection, association and each DIMSE response.

    Studies, reports and image series already marked in `state` are not fetched again;
    `state` is saved when the function returns, whatever happens. Failures (refused or lost
    association, failed query or sub-operation, timeout) are listed in the summary; an
    unreachable peer yields a summary with one failure, not an exception. Raises
    :class:`ValueError` only for invalid arguments.
    """
    until = until or date.today()
    if since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    if method not in ("get", "move"):
        raise ValueError(f"method must be 'get' or 'move', not {method!r}")
    if method == "move":
        if not move_destination:
            raise ValueError("C-MOVE needs move_destination (the AE title receiving the objects)")
        _check_ae_title(move_destination, "invalid move destination")
    wanted = _normalise_modalities(modalities)
    summary = RetrieveSummary()
    session = _Session(peer, _new_ae(calling_aet, timeout), method, _Receiver(deliver))
    run = _Run(session, state, summary, _image_modalities(wanted), method, move_destination)
    try:
        studies = _find_studies(session, since, until, wanted, summary)
        summary.studies_found = len(studies)
        _process_studies(run, studies, progress)
    except AssociationError as exc:
        summary.failures.append(str(exc))
    finally:
        session.close()
        state.save()
    return summary


def _process_studies(
    run: _Run, studies: list[_StudyRef], progress: Callable[[int, int], None] | None
) -> None:
    """Process each study in turn; one that breaks the association is reported, the session
    re-opened for the next one, and the run stopped if it cannot be."""
    total = len(studies)
    if progress:
        progress(0, total)
    for position, study in enumerate(studies, start=1):
        try:
            _process_study(run, study)
        except AssociationError as exc:
            run.summary.failures.append(
                f"study {study.uid}: {exc}; stopped with {total - position + 1} of {total} "
                "studies not processed"
            )
            return
        except Exception as exc:  # a peer answering nonsense must not stop the back-fill
            LOGGER.exception("study %s", study.uid)
            run.summary.failures.append(f"study {study.uid}: {type(exc).__name__}: {exc}")
        if progress:
            progress(position, total)
