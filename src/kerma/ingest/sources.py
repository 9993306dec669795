"""Where import objects come from, and reading them: pure code, safe in worker processes."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError, DoseReport


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
        """Return the object's bytes."""
        if self.member is None:
            return Path(self.path).read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


def _files_under(path: Path) -> list[Path]:
    """Return the files of a folder, recursively, skipping hidden files and folders."""
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def _sources_of(file: Path) -> list[Source]:
    if file.suffix.lower() == ".zip" and zipfile.is_zipfile(file):
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
