"""What the browser tests share: Debian's Chromium and how to launch it, signing in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium stalls on a closed network, reaching for
# Google's update, sync and field-trial services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "pw-123456"


def launch_chromium(playwright: Any) -> Any:
    """Return Debian's Chromium, headless, launched by Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def sign_in(page: Any, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(f"/login/?next={quote(next_path)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login/'] button[type=submit]")
    assert "/login/" not in page.url, f"sign-in of {username} failed: {page.url}"


def sign_out(page: Any) -> None:
    """Sign out with the topbar's button."""
    with page.expect_navigation():
        page.click("form[action='/logout/'] button")
