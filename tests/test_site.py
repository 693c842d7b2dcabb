"""The rendered site: ``bash scripts/site`` executes every notebook and builds the pages.

The site is built once for this module, from the session's loopback mirror, into a
temporary folder, with the same command CI's site workflow runs. Then every notebook's page
must carry each of its figures, the landing page must list every notebook, and each page,
opened in headless Chromium from a loopback server, must show its figures with no error in
the console. Requests to anywhere but the loopback server are refused, so the check holds
for a reader without internet too (the badges' images are the only things refused).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import FileServer

pytestmark = pytest.mark.data

# The Python notebooks, then the R ones: every notebook has its page.
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (REPO_ROOT / "notebooks" / "r").glob("*.ipynb")
)


def _name(notebook: Path) -> str:
    """Its path below notebooks/ without .ipynb, as its page has it: ``r/00_start_here_r``."""
    return notebook.relative_to(REPO_ROOT / "notebooks").with_suffix("").as_posix()


IMAGES = re.compile(r"<img[^>]+src=\"(?:\.\./)*_images/[^\"]+\"")
LOADED = "(imgs) => imgs.filter((img) => img.complete && img.naturalWidth > 0).length"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``bash scripts/site`` into a temporary folder: (build source, HTML output)."""
    folder = tmp_path_factory.mktemp("site")
    src, out = folder / "src", folder / "html"
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "site"), "--src", str(src), "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return src, out


def _figures(notebook: Path) -> int:
    """The charts a reader should see: PNG outputs of cells whose output is not removed."""
    count = 0
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if "remove-output" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            count += "image/png" in output.get("data", {})
    return count


def test_every_notebook_is_executed_and_has_a_page_with_its_figures(site):
    src, out = site
    for notebook in NOTEBOOKS:
        executed = src / "notebooks" / f"{_name(notebook)}.ipynb"
        assert executed.exists(), f"{notebook.name} was not executed"
        expected = _figures(executed)
        page = (out / "notebooks" / f"{_name(notebook)}.html").read_text(encoding="utf-8")
        shown = len(IMAGES.findall(page))
        assert shown >= expected, f"{notebook.name}: {expected} figures, {shown} on its page"
        if notebook.stem != "team_template" or expected:
            assert expected >= 1, f"{notebook.name} drew no figure"
    # The committed notebooks stay without outputs.
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        assert all(c.get("outputs", []) == [] for c in cells if c["cell_type"] == "code")


def test_landing_page_lists_every_notebook_and_the_glossary(site):
    _, out = site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert any("/r/" in f"/{_name(n)}" for n in NOTEBOOKS), "no R notebook to check"
    for notebook in NOTEBOOKS:
        assert f'href="notebooks/{_name(notebook)}.html"' in index, notebook.name
    assert 'href="docs/glossary.html"' in index
    assert (out / "docs" / "glossary.html").exists()
    assert (out / ".nojekyll").exists()
    assert not (out / "_notebooks.html").exists(), "the included table is not a page of its own"


def test_a_second_build_refuses_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "not-a-site"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_site.py"), "--src", str(mine)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "was not made by scripts/build_site.py" in result.stderr
    assert (mine / "notes.txt").read_text() == "keep me"


def test_pages_render_in_chromium_with_their_figures_and_no_errors(
    playwright_api: ModuleType, site
) -> None:
    _, out = site
    pages = ["index.html", "docs/glossary.html"] + [f"notebooks/{_name(p)}.html" for p in NOTEBOOKS]
    problems: list[str] = []
    with FileServer(out) as server, launched(playwright_api) as browser:
        context = browser.new_context()
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(server.url) else route.abort()
            ),
        )
        for name in pages:
            errors: list[str] = []
            page = context.new_page()
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            page.goto(server.url + name, wait_until="load")
            images = page.locator("img[src*='_images/']")
            if images.count() != images.evaluate_all(LOADED):
                problems.append(f"{name}: a figure did not load")
            # Refused requests (the badges' images) are logged as failed loads.
            errors = [e for e in errors if "net::ERR_FAILED" not in e]
            problems += [f"{name}: {error}" for error in errors]
            page.close()
    assert not problems, "\n".join(problems)


def test_the_explorer_page_says_where_the_app_runs_and_shows_an_example_profile(site):
    _, out = site
    page = (out / "notebooks" / "explorer.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    for where in ("Employer explorer", "user-redirect/voila/render/notebooks/explorer.ipynb"):
        assert where in page, where
    assert "bash scripts/explorer" in " ".join(text.split())
    assert "urlpath=voila/render/notebooks/explorer.ipynb" in page  # the app on Binder
    # The static example: the profile's chart and its table, headings in words.
    assert len(IMAGES.findall(page)) >= 1
    assert "Median hourly pay gap (%)" in page and "no data" in page
    # Not the app's code, which a static page cannot run.
    assert "widgets.Text(" not in page


def test_the_gallery_is_built_into_the_site(site):
    """Each entry in submissions/ has a card, its page and its slides in the built site."""
    _, out = site
    assert 'href="gallery.html"' in (out / "index.html").read_text(encoding="utf-8")
    gallery = (out / "gallery.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in gallery, "a way back to the site"
    entries = sorted(p.parent.name for p in (REPO_ROOT / "submissions").glob("*/team.yml"))
    assert "example-team" in entries
    for slug in entries:
        for link in (f"entries/{slug}.html", f"slides/{slug}.html", f"thumbnails/{slug}.png"):
            assert f'"{link}"' in gallery and (out / link).is_file(), link
        assert "Reveal.initialize" in (out / "slides" / f"{slug}.html").read_text(encoding="utf-8")
