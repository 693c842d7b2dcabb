"""Debian's Chromium, headless, for the tests that look at a page as a visitor does.

The browser is the system's ``/usr/bin/chromium`` driven by Playwright (no browser is
downloaded). The ``playwright_api`` fixture lives in ``tests/conftest.py``; a test starts the
browser with :func:`launched`, which closes it however the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sync_api() -> ModuleType:
    """Playwright's sync API; skips (fails when CI=true) if it or Chromium is missing."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(
            f"{CHROMIUM} is missing (install Debian's chromium: "
            "apt-get install --no-install-recommends chromium)"
        )
    try:
        from playwright import sync_api as api
    except ImportError:
        problems.append("playwright is not installed (pip install 'playwright>=1.40')")
    if problems:
        reason = "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so the browser test must run, but {reason}", pytrace=False)
        pytest.skip(f"no browser test: {reason}")
    return api


@contextmanager
def launched(playwright_api: ModuleType, profile: Path | None = None, **options: Any) -> Iterator:
    """Start headless Chromium; yield the browser (with ``profile``, a persistent context).

    A persistent context (a profile folder) is what JupyterLab and Datasette need to keep
    their settings between pages; ``options`` go to Playwright's launch call (a viewport).
    """
    with playwright_api.sync_playwright() as playwright:
        common = {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}
        if profile is None:
            browser = playwright.chromium.launch(**common, **options)
        else:
            browser = playwright.chromium.launch_persistent_context(
                str(profile), **common, **options
            )
        try:
            yield browser
        finally:
            browser.close()
