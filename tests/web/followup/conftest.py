"""Fixtures of the follow-up tests: units, users of each role, projection devices and exams in
the real test database, and a real SMTP server on the loopback interface."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from kerma.web.accounts.models import Unit
from kerma.web.accounts.roles import create_user
from kerma.web.dose.models import Device, Exam

PASSWORD = "pw-123456"


@pytest.fixture(autouse=True)
def _django_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-django has set Django up and migrated the test database: the CLI need not."""
    import kerma.web.bootstrap as bootstrap

    monkeypatch.setattr(bootstrap, "_ready", True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Password hashing is not under test here: the fastest hasher keeps user creation cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db) -> dict[str, Unit]:
    """The default unit (``main``) and another one (``other``)."""
    return {
        "main": Unit.default(),
        "other": Unit.objects.create(code="other", name="Autre unité"),
    }


@pytest.fixture
def user(units) -> Callable[..., Any]:
    """``user(role, unit="main", email="")`` → a user of that role, member of that unit."""

    def make(role: str, unit: str = "main", email: str = "") -> Any:
        name = f"{role}-{unit}"
        return create_user(name, PASSWORD, role, [units[unit]], email=email)

    return make


@pytest.fixture
def room(units) -> Callable[..., Device]:
    """``room(key="cath", unit="main")`` → an interventional device of that unit."""

    def make(key: str = "cath", unit: str = "main", **fields: Any) -> Device:
        values = {
            "manufacturer": "Philips Medical Systems",
            "model": "Azurion 7",
            "unit": units[unit],
        }
        values.update(fields)
        return Device.objects.create(
            identity_key=key, category=Device.Category.FLUOROSCOPY, station_name=key, **values
        )

    return make


@pytest.fixture
def procedure() -> Callable[..., Exam]:
    """``procedure(device, day, kar=…, dap=…, fluoro=…, patient="p1")`` → a stored XA exam."""
    count = [0]

    def make(
        device: Device,
        day: date,
        *,
        kar: float | None = 1000.0,
        dap: float | None = 50.0,
        fluoro: float | None = 600.0,
        patient: str = "p1",
        **fields: Any,
    ) -> Exam:
        count[0] += 1
        return Exam.objects.create(
            study_uid=f"1.2.826.0.1.3680043.8.498.77.{count[0]}",
            study_date=day,
            study_time=f"{8 + count[0] % 10:02d}0000",
            modality="XA",
            device=device,
            patient_key=(patient * 64)[:64],
            procedure="ANGIOPLASTIE CORONAIRE",
            kar_total_mgy=kar,
            dap_total_gycm2=dap,
            fluoro_time_s=fluoro,
            accession_number=f"ACC{count[0]}",
            **fields,
        )

    return make


# ---- a real SMTP server on 127.0.0.1 ------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for Django's SMTP backend: EHLO, MAIL, RCPT, DATA, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        server: SmtpSink = self.server  # type: ignore[assignment]
        self._reply("220 kerma-test ESMTP")
        sender, recipients = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 kerma-test")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(line)
                server.messages.append(
                    {"from": sender, "to": list(recipients), "data": b"".join(lines).decode()}
                )
                self._reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self._reply("250 OK")
            elif verb == "NOOP":
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[dict[str, Any]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on loopback, and Django's SMTP backend configured to use it."""
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.KERMA_SMTP_CONFIGURED = True
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


def closed_port() -> int:
    """A loopback port nobody listens on (a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
