"""`kerma serve` behind a TLS proxy as the README describes it (KERMA_HTTPS=1): the proxy's
X-Forwarded-Proto and X-Forwarded-Host are trusted, HSTS is sent, cookies are secure and a
browser's sign-in (Origin https://<allowed host>) passes the CSRF check without
KERMA_CSRF_TRUSTED_ORIGINS. And `kerma import` leaves KERMA_HOME readable by its user only."""

from __future__ import annotations

import http.client
import os
import re
import stat
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from tests.conftest import free_port, shared_files

KERMA = [sys.executable, "-m", "kerma.cli"]
HOST = "kerma.example"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERMA_", "DJANGO_"))}
    env.update(KERMA_HOME=str(home), **extra)
    return env


def _request(port: int, method: str, path: str, headers: dict[str, str], body: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def _wait_until_up(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kerma serve exited:\n{log.read_text()}")
        try:
            if _request(port, "GET", "/healthz", {"Host": HOST})[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"kerma serve did not answer:\n{log.read_text()}")


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    return {v.split("=", 1)[0]: v for k, v in headers if k.lower() == "set-cookie"}


def test_https_behind_a_proxy(tmp_path):
    home = tmp_path / "home"
    env = _env(home, KERMA_HTTPS="1", KERMA_ALLOWED_HOSTS=HOST)
    created = subprocess.run(
        [*KERMA, "user", "add", "chef", "--role", "physicist", "--password", "Radio-2026!"],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([*KERMA, "serve", "--no-dicom", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(port, process, log)
        # The proxy on this machine forwards to 127.0.0.1 and says the browser used HTTPS.
        proxy = {"Host": f"127.0.0.1:{port}", "X-Forwarded-Host": HOST,
                 "X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.8.7"}
        status, headers, page = _request(port, "GET", "/login/", proxy)
        assert status == 200
        named = {k.lower(): v for k, v in headers}
        assert named["strict-transport-security"].startswith("max-age=31536000")
        assert "script-src 'self'" in named["content-security-policy"]
        assert "no-store" in named["cache-control"]
        csrf_cookie = _cookies(headers)["csrftoken"]
        assert "Secure" in csrf_cookie
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "chef", "password": "Radio-2026!"}
        )
        status, headers, _ = _request(port, "POST", "/login/", {
            **proxy,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/login/",
            "Cookie": csrf_cookie.split(";", 1)[0],
            "Content-Type": "application/x-www-form-urlencoded",
        }, form)
        assert status == 302, "the browser's sign-in is refused (CSRF)"
        assert "Secure" in _cookies(headers)["sessionid"]
        # Another Host than the configured ones is refused.
        assert _request(port, "GET", "/login/", {"Host": "evil.example"})[0] == 400
        # Without the proxy's word, plain HTTP: no HSTS.
        plain = dict(_request(port, "GET", "/login/", {"Host": HOST})[1])
        assert "Strict-Transport-Security" not in plain
    finally:
        process.terminate()
        process.wait(timeout=30)


def _modes(home: Path) -> dict[str, int]:
    found = {}
    for folder, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            path = Path(folder) / name
            found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.skipif(not shared_files(), reason="../shared/rdsr is not present")
def test_kerma_home_is_private_after_an_import(tmp_path):
    home = tmp_path / "home"
    (home / "archive" / "old").mkdir(parents=True)
    old = home / "archive" / "old" / "report.dcm.gz"  # left world-readable by an older Kerma
    old.write_bytes(b"x")
    os.chmod(old, 0o644)
    os.chmod(home / "archive", 0o755)
    os.chmod(home, 0o755)
    bad = tmp_path / "in" / "not-dicom.dcm"
    bad.parent.mkdir()
    bad.write_bytes(b"garbage")
    report = shared_files()[0]
    done = subprocess.run([*KERMA, "import", str(report), str(bad)], env=_env(home),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 3, done.stderr  # imported, the garbage file quarantined
    modes = _modes(home)
    assert any(p.endswith("kerma.sqlite3") for p in modes)
    assert any(p.startswith("quarantine/") for p in modes)
    assert len([p for p in modes if p.startswith("archive/") and p.endswith(".gz")]) >= 2
    assert "secrets.json" in modes
    wrong = {
        path: oct(mode) for path, mode in modes.items()
        if mode != (0o700 if (home / path).is_dir() else 0o600)
    }
    assert not wrong
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_new_kerma_home_is_private_from_the_start(tmp_path):
    home = tmp_path / "new" / "home"
    code = (
        "from kerma import config; config.make_private(); inbox = config.kerma_home() / 'inbox'; "
        "inbox.mkdir(); (inbox / 'a').write_text('x')"
    )
    subprocess.run([sys.executable, "-c", code], env=_env(home), check=True, timeout=60)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert _modes(home) == {"inbox": 0o700, "inbox/a": 0o600}
