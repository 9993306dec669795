"""The one way in: every source (files, folders, zip archives, the DICOM node, the demo) goes
through :func:`import_bytes`, which reads, stores or quarantines one object."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, InterfaceError, OperationalError

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError
from kerma.ingest.quarantine import quarantine
from kerma.ingest.store import DUPLICATE, IMPORTED, REPLACED, store_report
from kerma.web.dose.models import QuarantinedFile


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


@dataclass(frozen=True)
class Source:
    """One input object: where it came from and how to get its bytes."""

    label: str
    read: Callable[[], bytes]


def _zip_sources(path: Path) -> Iterator[Source]:
    with zipfile.ZipFile(path) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
    for name in names:

        def read(name: str = name) -> bytes:
            with zipfile.ZipFile(path) as archive:
                return archive.read(name)

        yield Source(f"{path}!{name}", read)


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Source]:
    """Yield every object under ``paths``: files, folders (recursively) and zip archives."""
    for raw in paths:
        path = Path(raw)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() == ".zip" and zipfile.is_zipfile(file):
                yield from _zip_sources(file)
            else:
                yield Source(str(file), file.read_bytes)


def count_sources(paths: Iterable[str | Path]) -> int:
    """Return how many objects :func:`iter_sources` will yield (for a progress bar)."""
    total = 0
    for raw in paths:
        path = Path(raw)
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() == ".zip" and zipfile.is_zipfile(file):
                with zipfile.ZipFile(file) as archive:
                    total += sum(1 for info in archive.infolist() if not info.is_dir())
            else:
                total += 1
    return total


def _keep_aside(data: bytes, label: str, reason: str, summary: ImportSummary) -> None:
    kept_at = quarantine(data, label, reason)
    QuarantinedFile.objects.create(original_path=label, kept_at=kept_at, reason=reason)
    summary.quarantined.append({"path": label, "reason": reason})


def import_bytes(data: bytes, label: str, summary: ImportSummary) -> str:
    """Read and store one object; return its outcome ("imported", "replaced", "duplicate" or
    "quarantined"), counted in ``summary``. Never raises for bad input; a database that cannot
    be reached raises, since nothing could be stored."""
    try:
        report = read_dose_object(data)
    except DoseObjectError as exc:
        _keep_aside(data, label, str(exc), summary)
        return "quarantined"
    try:
        outcome = store_report(report, data, original_name=label)
    except (OperationalError, InterfaceError):
        raise
    except (DatabaseError, ValueError, TypeError) as exc:
        _keep_aside(data, label, f"could not be stored: {type(exc).__name__}: {exc}", summary)
        return "quarantined"
    if outcome == IMPORTED:
        summary.imported += 1
    elif outcome == REPLACED:
        summary.replaced += 1
    elif outcome == DUPLICATE:
        summary.duplicates += 1
    return outcome


def import_paths(
    paths: Iterable[str | Path], progress: Callable[[str], None] | None = None
) -> ImportSummary:
    """Import every object under ``paths``; call ``progress(label)`` after each one."""
    summary = ImportSummary()
    for source in iter_sources(paths):
        try:
            data = source.read()
        except (OSError, zipfile.BadZipFile) as exc:
            summary.quarantined.append({"path": source.label, "reason": f"unreadable: {exc}"})
        else:
            import_bytes(data, source.label, summary)
        if progress is not None:
            progress(source.label)
    return summary
