"""Where import objects come from, and reading them: pure code, safe in worker processes.

Reads are bounded: one object (a file, or a zip member as declared and as it inflates) larger
than ``KERMA_MAX_OBJECT_MB`` (default 512 MB) is refused unread, so that a small zip holding a
gigabyte of zeros costs neither memory nor a quarantine copy; what is not a regular file (a
device such as ``/dev/zero``, a named pipe, a socket) is refused without being opened.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError, DoseReport

DEFAULT_MAX_OBJECT_MB = 512
_CHUNK = 1 << 20


class RefusedSource(OSError):
    """An object Kerma will not read: not a regular file, or over the size limit."""


def max_object_bytes() -> int:
    """Return the largest object read, in bytes (``KERMA_MAX_OBJECT_MB``, default 512 MB)."""
    try:
        megabytes = float(os.environ.get("KERMA_MAX_OBJECT_MB") or DEFAULT_MAX_OBJECT_MB)
    except ValueError:
        megabytes = DEFAULT_MAX_OBJECT_MB
    return int(megabytes * 1024 * 1024)


def _too_large(label: str, limit: int) -> RefusedSource:
    return RefusedSource(
        f"{label}: larger than the limit of {limit / 1048576:g} MB for one object "
        "(KERMA_MAX_OBJECT_MB); not read"
    )


def _check_regular(path: str) -> int:
    """Return the size in bytes of the regular file ``path``; raise :class:`RefusedSource` for
    anything else (device, named pipe, socket, folder), which is never opened."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = (
            "a named pipe" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a folder" if stat.S_ISDIR(mode)
            else "not a regular file"
        )
        raise RefusedSource(f"{path}: {kind}, not a regular file; not read")
    return os.stat(path).st_size


def _read_bounded(stream: IO[bytes], label: str, limit: int) -> bytes:
    """Return what ``stream`` holds, reading at most ``limit`` + 1 bytes: one more than the limit
    raises :class:`RefusedSource` (a zip member inflating past its declared size, a growing
    file)."""
    chunks, total = [], 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise _too_large(label, limit)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Source:
    """One input object: a file, or a member of a zip archive."""

    path: str
    member: str | None = None

    @property
    def label(self) -> str:
        """Return how the object is named in summaries: ``path`` or ``archive.zip!member``."""
        return f"{self.path}!{self.member}" if self.member is not None else self.path

    def read(self) -> bytes:
        """Return the object's bytes. Raises :class:`RefusedSource` (an ``OSError``) for what is
        not a regular file or is over :func:`max_object_bytes`, before reading it."""
        limit = max_object_bytes()
        size = _check_regular(self.path)
        if self.member is None:
            if size > limit:
                raise _too_large(self.label, limit)
            with open(self.path, "rb") as handle:
                return _read_bounded(handle, self.label, limit)
        with zipfile.ZipFile(self.path) as archive:
            if archive.getinfo(self.member).file_size > limit:
                raise _too_large(self.label, limit)
            with archive.open(self.member) as member:
                return _read_bounded(member, self.label, limit)


def _files_under(path: Path) -> list[Path]:
    """Return the files of a folder, recursively, skipping hidden files and folders."""
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def _regular(file: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(file).st_mode)
    except OSError:
        return False


def _sources_of(file: Path) -> list[Source]:
    # A pipe or a device named *.zip is not opened here: reading it refuses it with a reason.
    if file.suffix.lower() == ".zip" and _regular(file) and zipfile.is_zipfile(file):
        try:
            with zipfile.ZipFile(file) as archive:
                names = [info.filename for info in archive.infolist() if not info.is_dir()]
        except (OSError, zipfile.BadZipFile):
            return [Source(str(file))]  # read as a file: quarantined with its reason
        return [Source(str(file), name) for name in names]
    return [Source(str(file))]


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Source]:
    """Yield every object under ``paths``: files, folders (recursively) and zip archives."""
    for raw in paths:
        path = Path(raw)
        for file in _files_under(path) if path.is_dir() else [path]:
            yield from _sources_of(file)


def count_sources(paths: Iterable[str | Path]) -> int:
    """Return how many objects :func:`iter_sources` will yield (for a progress bar)."""
    return sum(1 for _ in iter_sources(paths))


Parsed = tuple[bytes | None, DoseReport | None, str | None]
"""What reading a source gives: its bytes, the report, or the reason it cannot be used."""


def parse_bytes(data: bytes) -> Parsed:
    """Parse one object's bytes (pure: no database); never raises: what the reader refuses,
    and whatever else reading this one object met, is the reason it cannot be used."""
    try:
        return data, read_dose_object(data), None
    except DoseObjectError as exc:
        return data, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one object's fault must not stop the others
        return data, None, f"could not be read: {type(exc).__name__}: {exc}"


def parse_source(source: Source) -> Parsed:
    """Read and parse one source (pure: no database); never raises for bad input."""
    try:
        data = source.read()
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        return None, None, f"unreadable: {exc}"
    except Exception as exc:  # noqa: BLE001 - a zip member compressed in a way zipfile refuses
        return None, None, f"unreadable: {type(exc).__name__}: {exc}"
    return parse_bytes(data)
