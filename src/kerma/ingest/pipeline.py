"""The one way in: every source (files, folders, zip archives, the DICOM node, the demo) goes
through :func:`import_bytes` (or its two halves, :func:`parse_source` and :func:`store_parsed`),
which reads, stores or quarantines one object.

Reading is pure and runs in worker processes for large imports; storing stays in the calling
process, in the order the sources were given: :func:`import_paths` stores in batches (up to
BATCH_REPORTS reports, BATCH_SECONDS of work or BATCH_BYTES of sources), one transaction and one
flush of the archive per batch; a batch that fails is stored again one report at a time, so that
only the faulty report is quarantined.

Whatever one object raises while it is read or stored sets that object aside with the reason
(the exception's type and message): the objects after it are still imported. Only an outage
stops an import (:data:`OUTAGES`: the database cannot be reached, or the disk refuses the archive
or the quarantine): nothing could be stored then, and the caller waits or says so.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import InterfaceError, OperationalError

from kerma.archive import ArchiveWriteError
from kerma.dose import DoseReport
from kerma.ingest.quarantine import quarantine
from kerma.ingest.sources import (
    Parsed,
    Source,
    count_sources,
    iter_sources,
    parse_bytes,
    parse_source,
)
from kerma.ingest.store import DUPLICATE, IMPORTED, REPLACED, store_report, store_reports
from kerma.web.dose.models import QuarantinedFile

__all__ = [
    "OUTAGES",
    "ImportSummary",
    "Source",
    "count_sources",
    "import_bytes",
    "import_paths",
    "iter_sources",
    "parse_source",
    "store_batch",
    "store_parsed",
]

# Below this many objects, starting worker processes costs more than it saves (measured with
# benchmarks/node.py on 2 CPUs: 80 files took 2.5 s in parallel, 1.1 s in one process).
PARALLEL_FROM = 300

# A batch of reports stored in one transaction: large enough that the commit and the archive's
# flush cost little per report, small enough that the progress bar moves and memory stays bounded.
BATCH_REPORTS = 200
BATCH_SECONDS = 5.0
BATCH_BYTES = 64 * 1024 * 1024

# What stops an import instead of setting the object in hand aside: the database cannot be reached,
# or the disk refuses to keep files. The object is not at fault; it must be tried again later.
OUTAGES: tuple[type[Exception], ...] = (OperationalError, InterfaceError, ArchiveWriteError)


@dataclass
class ImportSummary:
    """What an import did: counts, and each quarantined input with its reason."""

    imported: int = 0
    replaced: int = 0
    duplicates: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the summary as the JSON-ready dict ``kerma import --json`` prints."""
        return {
            "imported": self.imported,
            "replaced": self.replaced,
            "duplicates": self.duplicates,
            "quarantined": list(self.quarantined),
        }


def _keep_aside(data: bytes | None, label: str, reason: str, summary: ImportSummary) -> None:
    kept_at = quarantine(data, label, reason) if data is not None else ""
    QuarantinedFile.objects.create(original_path=label, kept_at=kept_at, reason=reason)
    summary.quarantined.append({"path": label, "reason": reason})


def store_parsed(parsed: Parsed, label: str, summary: ImportSummary) -> str:
    """Store what :func:`parse_source` gave, or quarantine it; return the outcome ("imported",
    "replaced", "duplicate" or "quarantined"), counted in ``summary``. Whatever storing this
    report raises sets it aside with the reason, except an outage (:data:`OUTAGES`: database
    unreachable, disk refusing the archive or the quarantine), which is raised: nothing could be
    stored."""
    data, report, reason = parsed
    if report is None or data is None:
        _keep_aside(data, label, reason or "unreadable", summary)
        return "quarantined"
    try:
        outcome = store_report(report, data, original_name=label)
    except OUTAGES:
        raise
    except Exception as exc:  # noqa: BLE001 - this report's fault: set aside, the others go on
        _keep_aside(data, label, f"could not be stored: {type(exc).__name__}: {exc}", summary)
        return "quarantined"
    _count(outcome, summary)
    return outcome


def _count(outcome: str, summary: ImportSummary) -> None:
    if outcome == IMPORTED:
        summary.imported += 1
    elif outcome == REPLACED:
        summary.replaced += 1
    elif outcome == DUPLICATE:
        summary.duplicates += 1


Batch = list[tuple[DoseReport, bytes, str]]


def store_batch(batch: Batch, summary: ImportSummary) -> list[str]:
    """Store read reports (report, bytes, label) in one transaction; return their outcomes in
    order, counted in ``summary``. When the batch fails, nothing of it is kept and its reports
    are stored again one by one: the faulty one is quarantined with its reason, the others are
    stored. A database that cannot be reached raises."""
    try:
        outcomes = store_reports(batch)
    except OUTAGES:
        raise
    except Exception:  # noqa: BLE001 - found again, report by report, just below
        return [store_parsed((data, report, None), label, summary) for report, data, label in batch]
    for outcome in outcomes:
        _count(outcome, summary)
    return outcomes


def import_bytes(data: bytes, label: str, summary: ImportSummary) -> str:
    """Read and store one object given as bytes; return its outcome (see store_parsed)."""
    return store_parsed(parse_bytes(data), label, summary)


def _parsed_in_order(sources: Iterable[Source], workers: int) -> Iterator[tuple[Source, Parsed]]:
    """Yield each source with what parsing it gave, in order, parsing ahead in ``workers``
    processes; at most a few objects per worker are held in memory at once."""
    context = multiprocessing.get_context("spawn")
    in_flight: deque[tuple[Source, Future[Parsed]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for source in sources:
            in_flight.append((source, pool.submit(parse_source, source)))
            if len(in_flight) >= 4 * workers:
                done, future = in_flight.popleft()
                yield done, future.result()
        while in_flight:
            done, future = in_flight.popleft()
            yield done, future.result()


def default_workers() -> int:
    """Return how many processes parse in parallel: ``KERMA_IMPORT_WORKERS`` or the CPUs."""
    configured = os.environ.get("KERMA_IMPORT_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return max(1, os.cpu_count() or 1)


def import_paths(
    paths: Iterable[str | Path],
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
) -> ImportSummary:
    """Import every object under ``paths``; call ``progress(label)`` after each one is stored
    or quarantined (reports are stored in batches: see the module's docstring).

    Large imports (from PARALLEL_FROM objects, or whenever ``workers`` > 1 is given) parse in
    worker processes (default: :func:`default_workers`) while this process stores, in the
    order of the sources.
    """
    summary = ImportSummary()
    sources = list(iter_sources(paths))
    if workers is None:
        # Starting worker processes costs about a second: worth it for large imports only.
        workers = default_workers() if len(sources) >= PARALLEL_FROM else 1
    if workers > 1:
        results: Iterable[tuple[Source, Parsed]] = _parsed_in_order(sources, workers)
    else:
        results = ((source, parse_source(source)) for source in sources)
    batch: Batch = []
    size, started = 0, time.monotonic()

    def flush() -> None:
        store_batch(batch, summary)
        if progress is not None:
            for _report, _data, label in batch:
                progress(label)
        batch.clear()

    for source, parsed in results:
        data, report, _reason = parsed
        if report is None or data is None:
            store_parsed(parsed, source.label, summary)  # quarantined now, outside any batch
            if progress is not None:
                progress(source.label)
            continue
        if not batch:
            size, started = 0, time.monotonic()
        batch.append((report, data, source.label))
        size += len(data)
        full = len(batch) >= BATCH_REPORTS or size >= BATCH_BYTES
        if full or time.monotonic() - started >= BATCH_SECONDS:
            flush()
    if batch:
        flush()
    return summary
