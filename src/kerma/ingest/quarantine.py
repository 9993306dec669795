"""Keeping aside what cannot be read or stored, with the reason, for a person to look at."""

from __future__ import annotations

import re
from datetime import datetime

from kerma import config
from kerma.archive import ArchiveWriteError


def quarantine(data: bytes, original: str, reason: str) -> str:
    """Write ``data`` into the quarantine folder next to a ``.reason.txt`` file; return the path
    of the kept copy relative to KERMA_HOME. The original input is left where it was.

    Raises :class:`ArchiveWriteError` when the disk refuses (the input must then be kept where
    it is and tried again)."""
    try:
        return _write(data, original, reason)
    except OSError as exc:
        raise ArchiveWriteError.of(exc, "quarantine") from exc


def _write(data: bytes, original: str, reason: str) -> str:
    folder = config.quarantine_dir() / datetime.now().strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", original.rsplit("/", 1)[-1])[-80:] or "input"
    stamp = datetime.now().strftime("%H%M%S%f")
    target = folder / f"{stamp}-{stem}"
    target.write_bytes(data)
    when = datetime.now().isoformat(timespec="seconds")
    target.with_name(target.name + ".reason.txt").write_text(
        f"source: {original}\nreason: {reason}\nat: {when}\n", encoding="utf-8"
    )
    return str(target.relative_to(config.kerma_home()))
