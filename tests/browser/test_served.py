"""`kerma serve` as a unit runs it (waitress, its own KERMA_HOME, SQLite), seen from Chromium:
the pages, their style sheet and plotly.js all come from the server itself, nothing from a CDN
(hospital networks are closed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from browsing import VIEWPORT
from tests.conftest import free_port

KERMA = [sys.executable, "-m", "kerma.cli"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["KERMA_HOME"] = str(home)
    return env


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kerma serve exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    raise AssertionError(f"kerma serve did not answer within {seconds} s:\n{log.read_text()}")


def test_kerma_serve_sends_every_asset_itself(browser, tmp_path):
    home = tmp_path / "home"
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*KERMA, "serve", "--no-dicom", "--port", str(port)],
            env=_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"{origin}/healthz", process, log)
        # An administrator created as the installation guide says, through `kerma manage`.
        created = subprocess.run(
            [
                *KERMA,
                "manage",
                "createsuperuser",
                "--noinput",
                "--username",
                "chef",
                "--email",
                "chef@example.org",
            ],
            env={**_env(home), "DJANGO_SUPERUSER_PASSWORD": "Radioprotection-2026"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert created.returncode == 0, created.stderr

        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        statuses: dict[str, int] = {}
        page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
        try:
            page.goto(f"{origin}/charts/")
            assert "/login/" in page.url
            page.fill("input[name=username]", "chef")
            page.fill("input[name=password]", "Radioprotection-2026")
            with page.expect_navigation():
                page.click("form[action='/login/'] button[type=submit]")
            assert page.url.startswith(f"{origin}/charts/")
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.locator("nav.nav a.active").get_attribute("href") == "/charts/"
            # The style sheet applies (the topbar is styled) and plotly.js ran.
            assert page.evaluate("typeof window.Plotly") == "object"
            background = page.evaluate(
                "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
            )
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")
        finally:
            context.close()
    finally:
        process.terminate()
        process.wait(timeout=30)

    css = [u for u in statuses if u.split("?")[0].endswith("/static/kerma/kerma.css")]
    plotly = [u for u in statuses if "/static/kerma/vendor/plotly.min.js" in u]
    assert css and all(statuses[u] == 200 for u in css)
    assert plotly and all(statuses[u] == 200 for u in plotly)
    outside = [u for u in requests if not u.startswith(f"{origin}/")]
    assert outside == [], f"requests leaving the server: {outside}"
    assert "served at" in log.read_text()
