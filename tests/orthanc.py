"""A real Orthanc PACS for tests: started on loopback ports with its own temporary config.

Orthanc comes from the Debian package ``orthanc`` (``scripts/test`` installs it); nothing is
installed at run time. :func:`orthanc_binary` returns ``None`` when it is absent so a test can
skip with :data:`NOT_INSTALLED`.

The server gets a fresh storage and index in a temporary folder, free loopback DICOM and HTTP
ports, no plugins (the Debian package loads those of ``/usr/share/orthanc/plugins`` only through
its own ``/etc/orthanc`` config, which is not used), no HTTP authentication, and allows C-ECHO,
C-FIND, C-GET, C-MOVE and C-STORE from any calling AE. ``modalities`` lists the AEs it knows by
name (C-MOVE destinations).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import free_port

NOT_INSTALLED = "Orthanc not installed: run bash scripts/test, which installs it"
_CANDIDATES = ("/usr/sbin/Orthanc", "/usr/bin/Orthanc", "/usr/local/bin/Orthanc")


def orthanc_binary() -> str | None:
    """Return the path of the ``Orthanc`` executable (``$KERMA_ORTHANC`` first), or ``None``."""
    override = os.environ.get("KERMA_ORTHANC")
    if override:
        return override if Path(override).is_file() else None
    found = shutil.which("Orthanc")
    if found:
        return found
    return next((path for path in _CANDIDATES if Path(path).is_file()), None)



@dataclass
class Orthanc:
    """A running Orthanc server: DICOM on ``host:port`` as ``aet``, REST API on ``http_url``."""

    aet: str
    port: int
    http_url: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    # -- REST API -----------------------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes | None = None) -> Any:
        """Send one REST request and return its decoded JSON answer (``None`` when empty)."""
        req = urllib.request.Request(f"{self.http_url}{path}", data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/dicom")
        with urllib.request.urlopen(req, timeout=30) as answer:
            payload = answer.read()
        return json.loads(payload) if payload else None

    def upload(self, path: Path | str) -> str:
        """Store one DICOM file through ``POST /instances``; return Orthanc's instance id."""
        answer = self.request("POST", "/instances", Path(path).read_bytes())
        if not isinstance(answer, dict) or "ID" not in answer:
            raise RuntimeError(f"Orthanc refused {path}: {answer!r}")
        return str(answer["ID"])

    def instance_count(self) -> int:
        """Return the number of instances Orthanc holds."""
        return int(self.request("GET", "/statistics")["CountInstances"])

    # -- life cycle ---------------------------------------------------------------------------
    def log(self) -> str:
        """Return the end of Orthanc's log (for error messages)."""
        path = self.workdir / "orthanc.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop the server: terminate, then kill if it does not exit within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def write_config(
    workdir: Path,
    *,
    aet: str,
    dicom_port: int,
    http_port: int,
    modalities: Mapping[str, tuple[str, str, int]],
) -> Path:
    """Write Orthanc's JSON configuration in `workdir` and return its path."""
    config = {
        "Name": "kerma-test",
        "StorageDirectory": str(workdir / "storage"),
        "IndexDirectory": str(workdir / "index"),
        "TemporaryDirectory": str(workdir / "tmp"),
        "StorageCompression": False,
        "Plugins": [],
        "LuaScripts": [],
        "HttpServerEnabled": True,
        "OrthancExplorerEnabled": False,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "HttpDescribeErrors": True,
        "DicomServerEnabled": True,
        "DicomAet": aet,
        "DicomPort": dicom_port,
        "DicomCheckCalledAet": False,
        "DicomCheckModalityHost": False,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowMove": True,
        "UnknownSopClassAccepted": True,
        "DicomModalities": {
            name: {"AET": ae, "Host": host, "Port": port}
            for name, (ae, host, port) in modalities.items()
        },
        "DicomScuTimeout": 10,
        "DicomScpTimeout": 30,
        "StorageAccessOnFind": "Always",
        "LimitFindResults": 0,
        "LimitFindInstances": 0,
        "SaveJobs": False,
        "SynchronousCMove": True,
        "StableAge": 60,
        "ConcurrentJobs": 2,
        "MetricsEnabled": False,
    }
    for sub in ("storage", "index", "tmp"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    path = workdir / "orthanc.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def start_orthanc(
    workdir: Path,
    *,
    aet: str = "ORTHANC",
    modalities: Mapping[str, tuple[str, str, int]] | None = None,
    timeout: float = 30.0,
) -> Orthanc:
    """Start Orthanc with a fresh config in `workdir`; return once its REST API answers.

    Raises :class:`FileNotFoundError` when Orthanc is not installed and :class:`RuntimeError`
    (with the end of its log) when it exits or does not answer within `timeout` seconds.
    """
    binary = orthanc_binary()
    if binary is None:
        raise FileNotFoundError(NOT_INSTALLED)
    workdir.mkdir(parents=True, exist_ok=True)
    dicom_port, http_port = free_port(), free_port()
    config = write_config(
        workdir,
        aet=aet,
        dicom_port=dicom_port,
        http_port=http_port,
        modalities=modalities or {},
    )
    server = Orthanc(aet, dicom_port, f"http://127.0.0.1:{http_port}", workdir)
    with (workdir / "orthanc.log").open("wb") as log:
        server.process = subprocess.Popen(
            [binary, "--no-jobs", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
        )
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Orthanc, timeout: float) -> None:
    """Poll ``GET /system`` and the DICOM port until both answer."""
    deadline = time.monotonic() + timeout
    assert server.process is not None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"Orthanc exited with status {server.process.returncode}:\n{server.log()}"
            )
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            server.request("GET", "/system")
            with socket.create_connection((server.host, server.port), timeout=1):
                return
        time.sleep(0.1)
    raise RuntimeError(f"Orthanc did not answer within {timeout:.0f} s:\n{server.log()}")


@contextlib.contextmanager
def running_orthanc(
    workdir: Path,
    *,
    aet: str = "ORTHANC",
    modalities: Mapping[str, tuple[str, str, int]] | None = None,
) -> Iterator[Orthanc]:
    """Context manager: a started Orthanc, stopped on exit."""
    server = start_orthanc(workdir, aet=aet, modalities=modalities)
    try:
        yield server
    finally:
        server.stop()
