"""The employer explorer as an app (Voila), in a real browser (headless Chromium).

``bash scripts/explorer`` runs ``voila notebooks/explorer.ipynb``; this test starts the same
server on the session's data, opens it in the system's Chromium (driven by Playwright), and
does what an attendee does: sees the app (search first, no code, no prose) with a profile
already shown, then types the names people know employers by (a short name, initials, a
name with and without its apostrophe, a typo, a company number without its leading zeros,
a former name) and nonsense, and looks at what the page shows after each: the employer,
its profile with readable headings and "no data" for the missing year, and after a failed
search nothing of the last employer. No console errors are allowed. A screenshot of each
step goes to ``test-artifacts/browser/explorer-<step>.png``, next to the server log.
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
from tests.test_browser import fetched_copy

pytestmark = pytest.mark.data

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
SERVER_LOG = ARTIFACTS / "voila.log"
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 120_000
# Tall enough for the whole profile in one screenshot (Voila's page scrolls inside itself).
VIEWPORT = {"width": 1280, "height": 2000}
SEARCH = 'input[placeholder="Employer name or company number"]'
PICKER = ".widget-select select"
HEADING = ".widget-html h2"
CHART = ".widget-image"
CHART_SHOWN = """(selector) => [...document.querySelectorAll(selector)]
    .some((img) => img.complete && img.naturalWidth > 0 && img.offsetParent !== null)"""


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[str]:
    """``voila notebooks/explorer.ipynb`` as scripts/explorer starts it, on a copy."""
    env = dict(os.environ)
    root = fetched_copy(tmp_path)
    # Voila reads voila.json from the folder it starts in, as scripts/explorer and Binder do,
    # and the app's template from this checkout, ahead of the copy pip installed.
    shutil.copy(REPO_ROOT / "voila.json", root / "voila.json")
    env["JUPYTER_PATH"] = str(REPO_ROOT / "share" / "jupyter")
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


def _search(page, text: str) -> None:
    """Type ``text`` and press Enter, then wait for the app to say what it found for it."""
    page.fill(SEARCH, text)
    page.press(SEARCH, "Enter")
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.widget-html b')].some((b) => b.textContent === t)",
        arg=text,
    )


def _options(page) -> list[str]:
    # ipywidgets writes the options' spaces as non-breaking spaces.
    texts = page.locator(f"{PICKER} option").all_text_contents()
    return [text.replace("\xa0", " ") for text in texts]


def _shows_profile_of(page, name: str) -> None:
    page.wait_for_selector(f"{HEADING}:text-is({name!r})")
    page.wait_for_function(CHART_SHOWN, arg=CHART)
    table = page.inner_text(".widget-html table")
    assert "Median hourly pay gap (%)" in table and "Median gap of its sector (%)" in table
    assert "no data" in table  # 2023-24, for which no file is published
    seen = page.inner_text("body")
    assert "NaN" not in seen and "diff_median_hourly_percent" not in seen


def test_the_explorer_app_finds_employers_by_the_names_people_know(
    playwright_api: ModuleType, voila: str
) -> None:
    for old in ARTIFACTS.glob("explorer-*.png"):
        old.unlink()
    errors: list[str] = []
    with launched(playwright_api) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        step = "landing"
        try:
            # No internet, as at a venue with bad Wi-Fi: what the page fetches from elsewhere
            # (Voila's icon font) is refused at once.
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(voila) else route.abort()
                ),
            )
            page.goto(voila, wait_until="commit")
            # Landing: the search first, filled in, and the best match's profile shown.
            page.wait_for_selector(SEARCH)
            assert page.input_value(SEARCH) == "tesco"
            _shows_profile_of(page, "TESCO STORES LIMITED")
            assert _options(page)[0].startswith("TESCO STORES LIMITED (00519500)")
            text = page.inner_text("body")
            assert "Find an employer" in text
            for prose in ("Prerequisites", "Imports", "The same without widgets", "import "):
                assert prose not in text, f"the app shows the notebook's {prose!r}"
            page.screenshot(path=str(ARTIFACTS / f"explorer-{step}.png"))

            for step, query, name, how in [
                ("bbc", "BBC", "BRITISH BROADCASTING CORPORATION", "initials"),
                ("sainsburys", "sainsburys", "SAINSBURY'S SUPERMARKETS LTD", ""),
                ("apostrophe", "sainsbury's", "SAINSBURY'S SUPERMARKETS LTD", ""),
                ("typo", "Tecso", "TESCO STORES LIMITED", "similar name"),
                ("number", "519500", "TESCO STORES LIMITED", ""),
                ("former-name", "2 sisters red meat", "KEPAK GROUP LIMITED", "former name"),
            ]:
                _search(page, query)
                _shows_profile_of(page, name)
                first = _options(page)[0]
                assert first.startswith(name) and (how in first), (query, first)
                page.screenshot(path=str(ARTIFACTS / f"explorer-{step}.png"))

            # Any employer of the list can be picked, and its profile replaces the last one.
            step = "pick"
            _search(page, "tesco")
            names = _options(page)
            page.select_option(PICKER, index=1)
            _shows_profile_of(page, names[1].split(" (")[0])
            page.screenshot(path=str(ARTIFACTS / f"explorer-{step}.png"))

            # Nonsense: a sentence saying what to try, and nothing of the last employer.
            step = "nonsense"
            _search(page, "qzxwv bloop")
            assert "No employer matches" in page.inner_text("body")
            assert not page.locator(HEADING).first.is_visible()
            assert not page.locator(CHART).first.is_visible()
            assert not page.locator(PICKER).first.is_visible()
            page.screenshot(path=str(ARTIFACTS / f"explorer-{step}.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / f"explorer-{step}-failed.png"))
            raise
    # The refused requests are logged as failed loads; anything else is an error of the page.
    errors = [e for e in errors if "net::ERR_FAILED" not in e]
    assert not errors, "console errors in the app:\n" + "\n".join(errors)
