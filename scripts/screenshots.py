"""Screenshots of Kerma's key pages for the README (docs/screenshots/), taken in Chromium.

    python3 -m uv run --frozen --group test python scripts/screenshots.py [--out docs/screenshots]
        [--home DIR] [--days 365] [--scale 1.0]

Prepares the demo unit (``kerma demo --no-serve``, reused when ``--home`` already holds it),
serves it with ``kerma serve --no-dicom`` on a free port, signs in as the demo physicist and
saves one PNG per page, 1280 px wide, French interface. Debian's Chromium is driven by
Playwright (``apt-get install chromium chromium-l10n``, the latter for French date fields;
Playwright's own browsers are never downloaded). The first run imports the demo year (minutes);
later runs reuse ``--home`` (default: ``kerma-screenshots-home`` in the temporary folder) and
take well under a minute. A page wider than the window is reported.

:func:`capture` does the browsing against any running server; the browser tests call it on
their live server to check that every page still renders.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTH = 1280
#: The viewport's height (px); a longer page is captured down to MAX_HEIGHT.
HEIGHT = 800
MAX_HEIGHT = 1700
#: How long a page may take to draw its charts (ms).
CHART_TIMEOUT_MS = 30_000
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Shot:
    """One saved screenshot: its file, the page's address and what the server answered."""

    path: Path
    url: str
    status: int
    #: The page's width in px (wider than the window: something overflows sideways).
    page_width: int = 0


def _settle(page: Any) -> None:
    """Wait until the page's charts are drawn (or said empty) and its images are loaded."""
    page.wait_for_load_state("networkidle")
    if page.locator("[data-chart]").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(el => el.hasAttribute('data-rendered'))",
            timeout=CHART_TIMEOUT_MS,
        )
    # Lazy images load once scrolled to; the full-page capture shows them all.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete)", timeout=CHART_TIMEOUT_MS
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # Plotly's last transition


def _save(page: Any, out: Path, name: str, status: int) -> Shot:
    _settle(page)
    height = min(int(page.evaluate("document.documentElement.scrollHeight")), MAX_HEIGHT)
    path = out / f"{name}.png"
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height}
    )
    return Shot(path, page.url, status, _page_width(page))


def _page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _save_section(
    page: Any, out: Path, name: str, selector: str, status: int, stop: str = ""
) -> Shot | None:
    """Save the full-width band of the page that holds ``selector``, down to the element
    ``stop`` when given and present (None when ``selector`` is absent)."""
    section = page.locator(selector)
    if not section.count():
        return None
    section.first.scroll_into_view_if_needed()
    _settle(page)
    box = section.first.bounding_box()
    scroll_y = page.evaluate("window.scrollY")
    top = max(0, box["y"] + scroll_y - 16)
    bottom = box["y"] + scroll_y + box["height"] + 16
    if stop and section.first.locator(stop).count():
        bottom = section.first.locator(stop).first.bounding_box()["y"] + scroll_y
    height = min(bottom - top, MAX_HEIGHT)
    path = out / f"{name}.png"
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": top, "width": WIDTH, "height": height}
    )
    return Shot(path, page.url, status, _page_width(page))


def _visit(page: Any, url: str) -> int:
    response = page.goto(url)
    return response.status if response is not None else 0


def _first_href(page: Any, selector: str) -> str | None:
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


def _chart_query(page: Any) -> str | None:
    """Return the charts page's query for the demo's unoptimised CT (else a CT), if any."""
    _visit(page, "/charts/")
    options = page.locator("#id_device option").evaluate_all(
        "opts => opts.map(o => [o.value, o.textContent])"
    )
    for pattern in (r"go\.Top", r"\bCT\b|Scanner|SOMATOM"):
        found = [value for value, text in options if re.search(pattern, text)]
        if found:
            return f"/charts/?device={found[0]}"
    return None


def _showcase_evaluation(page: Any) -> str | None:
    """Return the address of an evaluation worth showing: above its NRD with a complete sample
    first, then any above its NRD, then the first one listed (None when there is none)."""
    _visit(page, "/nrd/evaluations/")
    rows = page.locator("table.data tbody tr").evaluate_all(
        """rows => rows.map(r => {
            const link = r.querySelector("a[href*='/nrd/evaluations/']");
            const sample = [...r.querySelectorAll('td.num')].map(td => td.textContent.trim());
            const [n, required] = (sample[0] || '').split('/');
            return {href: link && link.getAttribute('href'),
                    above: !!r.querySelector('.st-above_nrd'),
                    complete: n !== undefined && n === required};
        })"""
    )
    rows = [row for row in rows if row["href"]]
    for wanted in (
        lambda row: row["above"] and row["complete"],
        lambda row: row["above"],
        lambda row: True,
    ):
        chosen = [row["href"] for row in rows if wanted(row)]
        if chosen:
            return chosen[0]
    return None


def capture(page: Any, base_url: str, out: Path) -> list[Shot]:
    """Sign-in already done on ``page``: save the key pages of ``base_url`` into ``out``.

    Returns the shots taken, in order. Pages that do not exist on this server (404) are left
    out; the others are saved whatever they answered, so that a broken page shows.
    """
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []

    def take(name: str, url: str, prepare: Callable[[], None] | None = None) -> None:
        status = _visit(page, url)
        if status == 404:
            return
        if prepare is not None:
            prepare()
        shots.append(_save(page, out, name, status))

    take("01-dashboard", "/")
    take("02-exams-filtered", "/exams/?modality=CT&dlp_min=600")
    exam = None
    # An interventional exam with a high air kerma (its skin-dose map), else any exam.
    for url in ("/exams/?modality=RF&kar_min=2000", "/exams/?modality=XA", "/exams/"):
        _visit(page, url)
        exam = _first_href(page, "table.data tbody td:first-child a")
        if exam is not None:
            break
    if exam is not None:
        take("03-exam", exam)
        # The skin-dose map sits below the events: its own picture.
        # (Its 3-D view is left out: its first camera shows a close-up of the phantom.)
        status = shots[-1].status
        skin = _save_section(page, out, "03b-exam-skin-dose", "#skin-dose", status, stop="h3")
        if skin is not None:
            shots.append(skin)
    take("04-charts", _chart_query(page) or "/charts/")
    take("05-nrd-plan", "/nrd/")
    evaluation = _showcase_evaluation(page)
    if evaluation is not None:
        take("06-nrd-evaluation", evaluation)
    take("07-followup-alerts", "/followup/")
    take("08-devices", "/devices/")
    take("09-history", "/history/?type=evaluation")
    # The quality system, the people and the patients' records (issues of 2026).
    take("10-quality", "/quality/")
    take("11-action-programme", "/quality/programme/")
    take("12-risk-map", "/quality/risks/")
    take("13-training", "/people/")
    _visit(page, "/people/staff/")
    assessment = _first_href(page, "table.data tbody td:first-child a")
    if assessment is not None:
        take("14-staff-exposure", assessment)
    _visit(page, "/patients/")
    record = _first_href(page, "table.data tbody td:first-child a")
    if record is not None:
        take("15-patient-record", record)
    return shots


def sign_in(page: Any, username: str, password: str) -> None:
    """Sign in through the login form."""
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login/'] button[type=submit]")
    if "/login/" in page.url:
        raise RuntimeError(f"could not sign in as {username}")


def new_context(browser: Any, base_url: str) -> Any:
    """A French browser context 1280 px wide on ``base_url``."""
    return browser.new_context(
        base_url=base_url, viewport={"width": WIDTH, "height": HEIGHT}, locale="fr-FR"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KERMA_DATABASE_URL"}
    env["KERMA_HOME"] = str(home)
    return env


def _wait(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kerma serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def main(argv: list[str] | None = None) -> int:
    """Prepare the demo unit, serve it, save the screenshots; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--home", type=Path, default=Path(tempfile.gettempdir()) / "kerma-screenshots-home"
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--user", default="physicien", help="demo user to sign in as")
    args = parser.parse_args(argv)

    kerma = [sys.executable, "-m", "kerma.cli"]
    env = _env(args.home)
    subprocess.run(
        [*kerma, "demo", "--no-serve", "--days", str(args.days), "--scale", str(args.scale)],
        env=env,
        check=True,
    )
    _demo_user, password = (args.home / "demo-login.txt").read_text().strip().split(":", 1)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (args.home / "screenshots-serve.log").open("w")
    server = subprocess.Popen(
        [*kerma, "serve", "--no-dicom", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"{base_url}/healthz", server)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            # Date fields follow the browser process's locale (Debian's chromium-l10n has the
            # French resources), not the page's language.
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_ARGS, "--lang=fr-FR"],
                env={**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"},
            )
            context = new_context(browser, base_url)
            page = context.new_page()
            sign_in(page, args.user, password)
            shots = capture(page, base_url, args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    for shot in shots:
        wide = f"  page {shot.page_width} px wide!" if shot.page_width > WIDTH else ""
        print(f"{shot.status}  {shot.path}  {shot.url}{wide}")
    return 0 if all(shot.status == 200 for shot in shots) else 1


if __name__ == "__main__":
    sys.exit(main())
