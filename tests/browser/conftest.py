"""Browser tests: Playwright drives Debian's Chromium against a real server.

One Chromium runs per test module; each test gets a fresh context (cookies, language,
downloads), 1280 px wide, French like the unit's users. Nothing is downloaded: Playwright's own
browsers are never installed; ``scripts/test`` installs Debian's ``chromium`` with apt-get, and
these tests are skipped, saying why, only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM, VIEWPORT, launch_chromium


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """Skip every browser test, with the reason, when Debian's Chromium is not installed."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent (apt-get install chromium)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module.

    Playwright's sync API runs an event loop in this thread while it is started; Django refuses
    ORM calls from a thread with a running loop unless told it is safe (it is: the calls are
    synchronous). The permission lasts only as long as the browser, so that the rest of the
    suite keeps Django's check.
    """
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    """Hash test passwords cheaply (the live server runs in this process, same settings)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def context(browser: Any, live_server: Any, fast_passwords: None) -> Iterator[Any]:
    """A fresh browser context on the live server: French, 1280 px wide, downloads allowed."""
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="fr-FR",
        accept_downloads=True,
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A page of the test's context."""
    return context.new_page()


@pytest.fixture
def unit(transactional_db: None, fast_passwords: None) -> Any:
    """The unit of :mod:`unit_data`: two devices, their exams, one user per role."""
    from unit_data import build_unit

    return build_unit()
