"""Bounded reads: a zip bomb, a named pipe, a device and a too-large file are refused with a
message naming them and the limit, without reading them into memory or quarantining them."""

from __future__ import annotations

import os
import shutil
import signal
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from tests.conftest import SHARED_RDSR, needs_shared

from kerma.ingest.pipeline import import_paths
from kerma.ingest.sources import RefusedSource, Source, iter_sources, parse_source
from kerma.web.dose.models import Exam, QuarantinedFile

GIB = 1 << 30


def _bomb(path: Path, size: int = GIB) -> Path:
    """Write a zip holding one member of ``size`` zeros (about 1 MB per GiB compressed)."""
    block = bytes(1 << 20)
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with archive, archive.open("zeros.dcm", "w", force_zip64=True) as member:
        for _ in range(size // len(block)):
            member.write(block)
    return path


def _lying(path: Path, declared: int, actual: int) -> Path:
    """Write a zip whose member declares ``declared`` bytes but inflates to ``actual``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member.dcm", bytes(actual))
    raw = bytearray(path.read_bytes())
    # The uncompressed size, in the local header (offset 22) and the central directory (24).
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature) + offset
        raw[at : at + 4] = declared.to_bytes(4, "little")
    path.write_bytes(raw)
    return path


def _peak_of(action) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_member_is_refused_unread(tmp_path):
    bomb = _bomb(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < 8 << 20
    (source,) = list(iter_sources([bomb]))
    (data, report, reason), peak = _peak_of(lambda: parse_source(source))
    assert data is None and report is None
    assert "bomb.zip!zeros.dcm" in reason and "512 MB" in reason
    assert peak < 16 << 20  # the member's declared size refuses it: nothing inflated


def test_a_member_inflating_past_its_declared_size_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("KERMA_MAX_OBJECT_MB", "1")
    liar = _lying(tmp_path / "liar.zip", declared=1000, actual=64 << 20)
    (source,) = list(iter_sources([liar]))
    with pytest.raises((RefusedSource, zipfile.BadZipFile)):
        _peak_of(source.read)
    _, peak = _peak_of(lambda: parse_source(source))
    assert peak < 8 << 20


def test_a_too_large_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KERMA_MAX_OBJECT_MB", "2")
    big = tmp_path / "big.dcm"
    with big.open("wb") as handle:
        handle.truncate(3 << 20)
    data, report, reason = parse_source(Source(str(big)))
    assert data is None and report is None
    assert str(big) in reason and "2 MB" in reason


def test_a_named_pipe_and_a_device_are_refused_never_opened(tmp_path):
    # Opening a pipe without a writer blocks: the alarm turns a hang into a failure.
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(20)
    try:
        _refuse_special_files(tmp_path)
    finally:
        signal.alarm(0)


def _hung(signum, frame):
    raise AssertionError("a special file was opened and blocked")


def _refuse_special_files(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.dcm"
    os.mkfifo(pipe)
    zipped_pipe = tmp_path / "pipe.zip"
    os.mkfifo(zipped_pipe)
    for path in (pipe, zipped_pipe, Path("/dev/zero")):
        (source,) = list(iter_sources([path]))  # would block on a pipe if it were opened
        data, report, reason = parse_source(source)
        assert data is None and report is None
        assert str(path) in reason and "not a regular file" in reason


@needs_shared
@pytest.mark.django_db(transaction=False)
def test_import_refuses_the_bomb_keeps_its_name_and_reason_not_its_bytes(kerma_home, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _bomb(folder / "bomb.zip")
    shutil.copy(SHARED_RDSR / "RF-RDSR-GE.dcm", folder / "good.dcm")
    summary = import_paths([folder / "bomb.zip", Path("/dev/zero"), folder / "good.dcm"])
    assert summary.imported == 1 and Exam.objects.count() == 1
    assert [q["path"] for q in summary.quarantined] == [f"{folder}/bomb.zip!zeros.dcm",
                                                        "/dev/zero"]
    kept = QuarantinedFile.objects.get(original_path__endswith="bomb.zip!zeros.dcm")
    assert "512 MB" in kept.reason and kept.kept_at == ""
    quarantine = kerma_home / "quarantine"
    held = sum(p.stat().st_size for p in quarantine.rglob("*")) if quarantine.exists() else 0
    assert held < 1 << 20
