"""The local start, in a real browser: JupyterLab runs notebook 00 from its Run menu.

``bash scripts/lab`` fetches the data and starts ``jupyter lab``; this test does the same
with the session's loopback mirror and data folder, opens ``00_start_here.ipynb`` in
headless Chromium (the system's ``/usr/bin/chromium``, driven by Playwright; no browser
is downloaded), clicks **Run > Run All Cells** and checks that every cell ran, that no cell
failed and that the charts rendered. A full-page screenshot goes to
``test-artifacts/browser/`` (kept by CI), also when the test fails, next to the server log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import free_port, stop, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.data

NOTEBOOK = "notebooks/00_start_here.ipynb"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "00_start_here.png"
SERVER_LOG = ARTIFACTS / "jupyter-lab.log"
VIEWPORT = {"width": 1440, "height": 900}
# Chromium cannot capture a taller page in one screenshot.
MAX_SCREENSHOT_HEIGHT = 16_000
START_TIMEOUT_S = 60
RUN_TIMEOUT_MS = 180_000

# Settings for the test's own Jupyter config folder: no update or news checks (CI has no
# internet, and their pop-ups would cover the notebook in the screenshot). Every cell attached
# to the page, since the test reads each cell's prompt and output there: JupyterLab 4.4 (the
# Binder image's) attaches only the cells in view by default ("full"), 4.5 and later all.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

PANEL = ".jp-NotebookPanel"
KERNEL_IDLE = f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
KERNEL_NAME = f"{PANEL} .jp-Toolbar-kernelName"
PROMPT = f"{PANEL} .jp-CodeCell .jp-InputArea-prompt"
# JupyterLab renders a cell's error, like anything written to stderr, with the stderr MIME type.
STDERR = f'{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
FIGURE = f'{PANEL} .jp-OutputArea-output[data-mime-type="image/png"] img'

# The indicator says idle for a moment before the kernel has even started ("No Kernel").
KERNEL_READY = """([idle, name]) => {
    const kernel = document.querySelector(name);
    return document.querySelector(idle) !== null && kernel !== null
        && !['', 'No Kernel'].includes(kernel.textContent.trim());
}"""

# True once every code cell has an execution count and the kernel is idle, or once a cell
# failed (Run All stops there, so the cells below it would never get a count).
RUN_FINISHED = """([idle, prompt, stderr]) => {
    const prompts = [...document.querySelectorAll(prompt)].map((p) => p.textContent.trim());
    const failed = [...document.querySelectorAll(stderr)]
        .some((output) => /Traceback|Error/.test(output.textContent));
    const counted = prompts.length > 0 && prompts.every((p) => /^\\[\\d+\\]:$/.test(p));
    return document.querySelector(idle) !== null && !prompts.some((p) => p.includes('*'))
        && (counted || failed);
}"""

LOADED_IMAGES = "(images) => images.filter((img) => img.complete && img.naturalWidth > 0).length"

# The notebook scrolls inside its panel, not the page: the window height that shows all of
# it, down to its last element (the scroller's own padding below it is left out).
NOTEBOOK_SCROLLER = f"{PANEL} .jp-WindowedPanel-outer"
FULL_HEIGHT = """(scroller) => {
    const bottom = scroller.lastElementChild.getBoundingClientRect().bottom;
    const content = bottom - scroller.getBoundingClientRect().top + scroller.scrollTop;
    return Math.ceil(window.innerHeight - scroller.clientHeight + content);
}"""


@dataclass
class Lab:
    url: str
    token: str
    root: Path


def fetched_copy(tmp_path: Path) -> Path:
    """Fetch the data, as ``scripts/lab`` and ``scripts/explorer`` do before they start a server
    (which then finds it ready), and return ``tmp_path/repo`` holding a copy of the notebooks."""
    fetch = subprocess.run(
        [sys.executable, "-m", "paygap_utils", "fetch"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert fetch.returncode == 0, f"paygap_utils fetch failed:\n{fetch.stdout}\n{fetch.stderr}"
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "notebooks", root / "notebooks")
    return root


def _wait_for_status(url: str, process: subprocess.Popen) -> None:
    def answers() -> bool:
        with urllib.request.urlopen(url, timeout=2) as response:
            json.load(response)
        return True

    wait_until(
        answers, START_TIMEOUT_S, f"jupyter lab to answer {url}", process=process, log=SERVER_LOG
    )


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[Lab]:
    """``jupyter lab`` as ``bash scripts/lab`` starts it, serving a copy of the notebooks.

    The copy keeps the repository's layout (``<root>/notebooks/...``), so the notebook runs
    in a ``notebooks`` folder as it does for a user, and whatever JupyterLab writes (an
    autosave, a checkpoint) lands in ``tmp_path``: the committed notebook, which must stay
    without outputs, is never opened. Jupyter's config, data and runtime folders are fresh
    too, so a developer's own settings, kernels or extensions cannot change what runs.
    """
    env = dict(os.environ)
    root = fetched_copy(tmp_path)
    jupyter = tmp_path / "jupyter"
    for name, settings in LAB_SETTINGS.items():
        path = jupyter / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(settings))
    for kind in ("config", "data", "runtime"):
        env[f"JUPYTER_{kind.upper()}_DIR"] = str(jupyter / kind)

    port, token = free_port(), secrets.token_hex(16)
    command = [
        *(sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1"),
        *(f"--port={port}", f"--IdentityProvider.token={token}", f"--notebook-dir={root}"),
        # Fail rather than quietly move to another port if the free one was taken meanwhile.
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/"
    with SERVER_LOG.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_status(f"{url}api/status?token={token}", process)
            yield Lab(url=url, token=token, root=root)
        finally:
            stop(process)


def _save_screenshot(page: Page) -> None:
    """Grow the window to the notebook's full height, scroll to its top, capture the page."""
    scroller = page.locator(NOTEBOOK_SCROLLER)
    if scroller.count() == 1:
        # Cells out of view only have an estimated height, so grow until the height settles.
        height = VIEWPORT["height"]
        for _ in range(5):
            wanted = min(scroller.evaluate(FULL_HEIGHT), MAX_SCREENSHOT_HEIGHT)
            if wanted == height:
                break
            height = wanted
            page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
            scroller.evaluate("(scroller) => { scroller.scrollTop = 0; }")
            page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_start_here_runs_in_jupyterlab_in_a_browser(
    playwright_api: ModuleType, jupyter_lab: Lab, tmp_path: Path
) -> None:
    cells = json.loads((jupyter_lab.root / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    code_cells = sum(cell["cell_type"] == "code" for cell in cells)
    SCREENSHOT.unlink(missing_ok=True)

    # Unsaved: the outputs die with the browser and the server, in the copy's folder.
    with launched(playwright_api, tmp_path / "chromium-profile", viewport=VIEWPORT) as browser:
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(START_TIMEOUT_S * 1000)
        try:
            page.goto(f"{jupyter_lab.url}lab/tree/{NOTEBOOK}?token={jupyter_lab.token}")
            page.wait_for_function(KERNEL_READY, arg=[KERNEL_IDLE, KERNEL_NAME])
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            page.wait_for_function(
                RUN_FINISHED, arg=[KERNEL_IDLE, PROMPT, STDERR], timeout=RUN_TIMEOUT_MS
            )

            stderr = page.locator(STDERR).all_text_contents()
            failures = [text for text in stderr if "Traceback" in text or "Error" in text]
            assert not failures, "a cell failed in JupyterLab:\n" + "\n\n".join(failures)
            prompts = [text.strip() for text in page.locator(PROMPT).all_text_contents()]
            assert len(prompts) == code_cells, f"{code_cells} code cells, {len(prompts)} shown"
            not_run = [i for i, text in enumerate(prompts) if not text[1:-2].isdigit()]
            assert not not_run, f"code cells without an execution count: {not_run} ({prompts})"
            figures = page.locator(FIGURE).evaluate_all(LOADED_IMAGES)
            assert figures >= 1, "no chart was rendered as an image"
        finally:
            _save_screenshot(page)
