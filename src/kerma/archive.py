"""The archive of received dose objects: each source file kept gzip-compressed under
``KERMA_HOME/archive/YYYY/MM/<sha256>.dcm.gz`` (no Django, no database).

A file is written under a temporary name and renamed only once its bytes are on disk, so an
archived name always holds a whole file. :class:`ArchiveWriter` defers that flush so that a
batch of reports costs one pass of ``fsync`` (each file, then each folder) before the database
commit that refers to them.

A file that cannot be written (disk full, read-only, failing, a folder that cannot be made) raises
:class:`ArchiveWriteError`: an outage of the disk, not a fault of the report being archived, so
that the importer waits and tries again instead of setting the report aside.
"""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

from kerma import config


class ArchiveWriteError(OSError):
    """The disk refused a file Kerma keeps (the archive, or the quarantine): ENOSPC, EROFS,
    EIO, a folder that cannot be created. Says nothing of the report: try again later."""

    @classmethod
    def of(cls, exc: OSError, what: str) -> ArchiveWriteError:
        """Return the error wrapping ``exc``, met while writing ``what`` ("archive", ...)."""
        return cls(exc.errno, f"{what} cannot be written: {exc.strerror or exc}", exc.filename)


def _target(study_date: date | None, digest: str) -> Path:
    folder = config.archive_dir() / (f"{study_date:%Y/%m}" if study_date else "undated")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveWriteError.of(exc, "archive") from exc
    return folder / f"{digest}.dcm.gz"


def _fsync_path(path: Path) -> None:
    """Flush a file or a folder (its entries: the renames) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArchiveWriter:
    """Writes archived copies now and makes them durable at :meth:`sync` (once per batch)."""

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}  # target -> temporary file

    def put(self, data: bytes, study_date: date | None, digest: str) -> str:
        """Write ``data`` compressed (not yet synced); return its path relative to KERMA_HOME.
        The same digest twice is written once."""
        target = _target(study_date, digest)
        if target not in self._pending and not target.exists():
            temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            try:
                temporary.write_bytes(gzip.compress(data, compresslevel=5, mtime=0))
            except OSError as exc:
                temporary.unlink(missing_ok=True)
                raise ArchiveWriteError.of(exc, "archive") from exc
            self._pending[target] = temporary
        return str(target.relative_to(config.kerma_home()))

    def sync(self) -> None:
        """Flush every file written since the last call, rename it to its archived name, then
        flush the folders that hold them. Returns once all of it is on disk; raises
        :class:`ArchiveWriteError` when the disk refuses."""
        try:
            for temporary in self._pending.values():
                _fsync_path(temporary)
            for target, temporary in self._pending.items():
                os.replace(temporary, target)
            for folder in {target.parent for target in self._pending}:
                _fsync_path(folder)
        except OSError as exc:
            raise ArchiveWriteError.of(exc, "archive") from exc
        self._pending.clear()

    def discard(self) -> None:
        """Remove the files written since the last :meth:`sync` (their batch was not stored)."""
        for temporary in self._pending.values():
            temporary.unlink(missing_ok=True)
        self._pending.clear()


def archive_report(data: bytes, study_date: date | None, digest: str) -> str:
    """Write the source bytes, gzip-compressed, under KERMA_HOME/archive; return the path
    relative to KERMA_HOME. The file is on disk before this returns."""
    writer = ArchiveWriter()
    path = writer.put(data, study_date, digest)
    writer.sync()
    return path


def read_archived(relative_path: str) -> bytes:
    """Return the original bytes of an archived report."""
    return gzip.decompress((config.kerma_home() / relative_path).read_bytes())
