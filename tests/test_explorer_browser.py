"""The employer explorer as a Voila dashboard, in a real browser (headless Chromium).

``bash scripts/explorer`` runs ``voila notebooks/explorer.ipynb``; this test starts the same
server on the session's data, opens it in the system's Chromium (driven by Playwright), and
does what an attendee does: sees the example search's list, searches for an employer under a name
it no longer uses, finds it, sees its profile chart, tries a search with several matches
and picks one, then a search that matches nothing. No console errors are allowed. The
notebook itself also runs under nbval with the rest of the notebooks. A screenshot goes to
``test-artifacts/browser/explorer.png``, next to the server log.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import free_port, stop, wait_until
from tests.test_browser import VIEWPORT, fetched_copy

pytestmark = pytest.mark.data

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "explorer.png"
SERVER_LOG = ARTIFACTS / "voila.log"
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 120_000
SEARCH = 'input[placeholder="Employer name or company number"]'
PICKER = ".widget-select select"
PROFILE = ".widget-output"
LOADED_IMAGE = """(selector) => [...document.querySelectorAll(selector + ' img')]
    .some((img) => img.complete && img.naturalWidth > 0)"""


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[str]:
    """``voila notebooks/explorer.ipynb`` as scripts/explorer starts it, on a copy."""
    env = dict(os.environ)
    root = fetched_copy(tmp_path)
    # Voila reads voila.json from the folder it starts in, as scripts/explorer and Binder do.
    shutil.copy(REPO_ROOT / "voila.json", root / "voila.json")
    for kind in ("config", "data", "runtime"):
        env[f"JUPYTER_{kind.upper()}_DIR"] = str(tmp_path / "jupyter" / kind)
    port = free_port()
    command = [
        *(sys.executable, "-m", "voila", "notebooks/explorer.ipynb", "--no-browser"),
        *(f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"),
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with SERVER_LOG.open("w") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:

            def listening() -> bool:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True

            wait_until(
                listening,
                START_TIMEOUT_S,
                f"voila to listen on port {port}",
                process=process,
                log=SERVER_LOG,
            )
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(process)


def test_explorer_dashboard_searches_and_shows_profiles(
    playwright_api: ModuleType, voila: str, tmp_path: Path
) -> None:
    SCREENSHOT.unlink(missing_ok=True)
    errors: list[str] = []
    with launched(playwright_api) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        try:
            # No internet, as at a venue with bad Wi-Fi: what the dashboard fetches from
            # elsewhere (Voila's icon font, the badges' images) is refused at once.
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(voila) else route.abort()
                ),
            )
            page.goto(voila, wait_until="commit")
            # Once the kernel has run the notebook: the example search's list, ready to pick.
            page.wait_for_selector(SEARCH)
            page.wait_for_selector(f"{PICKER} option:has-text('TESCO STORES LIMITED')")

            # A former name finds the employer under its name today.
            page.fill(SEARCH, "2 sisters red meat")
            page.press(SEARCH, "Enter")
            page.wait_for_selector(f"{PROFILE} h3:has-text('KEPAK GROUP LIMITED')")
            page.wait_for_function(LOADED_IMAGE, arg=PROFILE)
            # ipywidgets writes the options' spaces as non-breaking spaces.
            option = page.locator(f"{PICKER} option").first.text_content().replace("\xa0", " ")
            assert "found under a former name" in option

            # Several matches: listed, best first, and any can be picked.
            page.fill(SEARCH, "tesco")
            page.press(SEARCH, "Enter")
            page.wait_for_function(
                "(s) => document.querySelectorAll(s).length === 5", arg=f"{PICKER} option"
            )
            assert "5 employer(s) match" in page.inner_text(".widget-html >> nth=0")
            options = page.locator(f"{PICKER} option").all_text_contents()
            names = [text.replace("\xa0", " ") for text in options]
            stores = next(i for i, n in enumerate(names) if n.startswith("TESCO STORES"))
            assert stores > 0, "the first match is shown already: pick another one"
            page.select_option(PICKER, index=stores)
            page.wait_for_selector(f"{PROFILE} h3:has-text('TESCO STORES LIMITED')")
            page.wait_for_function(LOADED_IMAGE, arg=PROFILE)
            table = page.wait_for_selector(f"{PROFILE} table")
            assert "2022-23" in table.inner_text()

            # No match: a sentence saying what to try, and an empty list.
            page.fill(SEARCH, "no employer has this name")
            page.press(SEARCH, "Enter")
            page.wait_for_selector("text=No employer matches")
            assert page.locator(f"{PICKER} option").count() == 0
        finally:
            page.screenshot(path=str(SCREENSHOT), full_page=True)
    # The refused requests are logged as failed loads; anything else is an error of the page.
    errors = [e for e in errors if "net::ERR_FAILED" not in e]
    assert not errors, "console errors in the dashboard:\n" + "\n".join(errors)
