"""Back-fill from a PACS: retrieve the dose objects of past studies, then import them.

What arrives goes through the inbox and an import worker of its own, as from any modality: on
disk first, then into the database. Which studies are done is kept in a state file per PACS
(``KERMA_HOME/retrieve/AET@HOST_PORT.json``), so a second run fetches only what is new.
With ``ssde_images``, the CT events of the range whose report carries neither SSDE nor Dw then
get their water-equivalent diameter measured on a few axial images of the same PACS (C-GET,
read in memory: :mod:`kerma.web.patients.images`), so their SSDE rests on the images rather
than on weight and height. Needs Django set up (:func:`kerma.web.bootstrap.setup`) before it is
called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from kerma import config
from kerma.dicom.node import NodeState, inbox_dir
from kerma.dicom.retrieve import Peer, RetrieveState, RetrieveSummary, retrieve_history
from kerma.ingest.inbox import Inbox
from kerma.ingest.pipeline import ImportSummary
from kerma.ingest.worker import ImportWorker

# How often the import's progress is reported while the inbox drains, in seconds.
POLL_S = 0.2


@dataclass
class BackfillResult:
    """What a back-fill did: the retrieval (from the PACS) and the import (into Kerma)."""

    retrieved: RetrieveSummary
    imported: ImportSummary
    ssde_images: dict[str, Any] | None = None

    @property
    def failures(self) -> list[str]:
        """Every failure: the retrieval's, then the image measures' (prefixed ``Dw:``)."""
        found = list(self.retrieved.failures)
        if self.ssde_images is not None:
            found += [f"Dw: {failure}" for failure in self.ssde_images["failures"]]
        return found

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict ``kerma dicom retrieve --json`` prints (counts; the
        quarantined inputs with their reason; the retrieval's failures as messages; with
        ``--ssde-images``, ``ssde_images``: what :func:`ssde_from_images` returned)."""
        extra = {} if self.ssde_images is None else {"ssde_images": self.ssde_images}
        return {
            "studies_found": self.retrieved.studies_found,
            "studies_done": self.retrieved.studies_done,
            "skipped_already_done": self.retrieved.skipped_already_done,
            "series_selected": self.retrieved.series_selected,
            "objects_received": self.retrieved.objects_received,
            "imported": self.imported.imported,
            "replaced": self.imported.replaced,
            "duplicates": self.imported.duplicates,
            "quarantined": self.imported.quarantined,
            "failures": self.retrieved.failures,
            **extra,
        }


def state_file(peer: Peer) -> Path:
    """Return the file that records what was retrieved from ``peer`` (its folder is created)."""
    path = config.kerma_home() / "retrieve" / f"{peer.aet}@{peer.host}_{peer.port}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def backfill(
    peer: Peer,
    *,
    since: date,
    until: date | None = None,
    modalities: Sequence[str] = (),
    calling_aet: str = "KERMA",
    method: Literal["get", "move"] = "get",
    move_destination: str | None = None,
    retrieving: Callable[[int, int], None] | None = None,
    importing: Callable[[int], None] | None = None,
    ssde_images: bool = False,
    images_per_series: int = 3,
) -> BackfillResult:
    """Retrieve the studies dated ``since`` to ``until`` from ``peer`` and import them.

    ``retrieving(done, total)`` reports the retrieval (studies); ``importing(imported)`` is
    called once the retrieval ends, then every :data:`POLL_S` seconds until the inbox is
    drained, with the number of objects imported so far. Returns when every received object
    is imported or quarantined, and, with ``ssde_images``, once the CT events of the range that
    lack SSDE and Dw are measured on ``images_per_series`` axial images (always over C-GET:
    a C-MOVE would send the images to the node, which keeps no pixel data). A PACS down then
    changes nothing stored: the measure's failures name it.
    """
    inbox = Inbox(inbox_dir())
    worker = ImportWorker(
        inbox, NodeState(), aet=calling_aet, host="", port=0, keep_status=False
    )
    worker.start()
    try:
        retrieved = retrieve_history(
            peer,
            since=since,
            until=until,
            modalities=modalities,
            deliver=lambda data: inbox.put(data, origin=peer.aet),
            state=RetrieveState(state_file(peer)),
            calling_aet=calling_aet,
            method=method,
            move_destination=move_destination,
            progress=retrieving,
        )
        if importing is not None:
            importing(worker.summary.imported)
        while inbox.backlog():
            if importing is not None:
                importing(worker.summary.imported)
            time.sleep(POLL_S)
    finally:
        worker.stop()
    result = BackfillResult(retrieved, worker.summary)
    if ssde_images:
        from kerma.web.patients.images import ct_exams, ssde_from_images

        result.ssde_images = ssde_from_images(
            peer, ct_exams(since, until), per_series=images_per_series, calling_aet=calling_aet)
    return result
