"""The gallery page: the example entry goes from ``new-team`` to a card with its figure and slides.

The entry is made by the command in a temporary ``submissions`` folder, run on the real data
(the session's loopback mirror) and rendered by ``python -m paygap_utils gallery``; the
tests read what the page, the thumbnail and the slides hold.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paygap_utils.cli import main
from paygap_utils.organisers.gallery import HEADER, first_figure, gallery_markdown, write_gallery
from paygap_utils.organisers.submissions import SubmissionError, Team
from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import FileServer
from tests.test_submissions import EXAMPLE_ARGS

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(submissions folder, site source folder) after new-team and gallery --execute."""
    submissions = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("site")
    assert main([*EXAMPLE_ARGS, "--submissions", str(submissions)]) == 0
    args = ["gallery", "--out", str(out), "--submissions", str(submissions), "--execute"]
    assert main(args) == 0
    return submissions, out


def test_the_entry_is_executed_on_the_real_data(built):
    _, out = built
    executed = json.loads((out / "submissions" / "example-team" / "example-team.ipynb").read_text())
    code = [c for c in executed["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code)
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors
    # The entry keeps the template's worked example, so it prints the template's numbers.
    recorded = json.loads((REPO_ROOT / "tests" / "notebook_outputs.json").read_text())
    ((cell_id, outputs),) = recorded["team_template.ipynb"].items()
    (cell,) = [c for c in code if c["id"] == cell_id]
    printed = "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout")
    assert printed == "".join(o["text"] for o in outputs if o.get("name") == "stdout")
    assert "public sector" in printed


def test_the_card_shows_title_team_question_and_links(built):
    _, out = built
    page = (out / "gallery.md").read_text()
    assert page.startswith(HEADER)
    assert page.count("````{grid-item-card}") == 1
    assert "````{grid-item-card} Public sector and other employers\n" in page
    assert "**Example team** · Ada, Sam" in page
    assert "Is the typical gender pay gap smaller in the public sector" in page
    assert ":img-top: _gallery/thumbnails/example-team.png" in page
    assert "```{button-ref} submissions/example-team/example-team\n:ref-type: doc" in page
    assert "```{button-link} slides/example-team.html" in page
    toctree = page[page.index("```{toctree}") :]
    assert "submissions/example-team/example-team" in toctree


def test_the_thumbnail_is_the_entrys_first_figure(built):
    _, out = built
    executed = json.loads((out / "submissions" / "example-team" / "example-team.ipynb").read_text())
    thumbnail = (out / "_gallery" / "thumbnails" / "example-team.png").read_bytes()
    assert thumbnail.startswith(b"\x89PNG\r\n\x1a\n")
    pngs = [
        o["data"]["image/png"]
        for c in executed["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
        if "image/png" in o.get("data", {})
    ]
    assert pngs and thumbnail == base64.b64decode(pngs[0]) == first_figure(executed)


def test_the_slides_are_exported_without_code(built):
    _, out = built
    html = (out / "_gallery" / "slides" / "example-team.html").read_text()
    assert "Reveal.initialize" in html
    assert not re.findall(r"(?:src|href)=.https?:", html), "the deck plays offline"
    for section in ("Question", "Data", "Method", "Findings", "Limitations", "Summary"):
        assert re.search(rf"<h2[^>]*>\d*\.?\s*{section}", html), section
    assert "Example team" in html and "data:image/png;base64," in html
    assert "widget-view" not in html, "download progress bars are left out"
    assert "summarise_gap(" not in html and "google.colab" not in html


def test_the_gallery_refuses_to_overwrite_what_it_did_not_write(built, tmp_path):
    submissions, _ = built
    (tmp_path / "gallery.md").write_text("# Our own gallery\n")
    with pytest.raises(SubmissionError, match="was not written by the gallery command"):
        write_gallery(tmp_path, submissions=submissions)
    assert (tmp_path / "gallery.md").read_text() == "# Our own gallery\n"
    other = tmp_path / "other"
    (other / "_gallery").mkdir(parents=True)
    (other / "_gallery" / "photo.png").write_bytes(b"ours")
    with pytest.raises(SubmissionError, match="was not made by the gallery command"):
        write_gallery(other, submissions=submissions)
    assert [p.name for p in (other / "_gallery").iterdir()] == ["photo.png"]


def test_without_an_executed_copy_the_gallery_says_how_to_build_it(built, tmp_path, capsys):
    submissions, _ = built
    args = ["gallery", "--out", str(tmp_path), "--submissions", str(submissions)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "example-team.ipynb is missing" in err and "bash scripts/site" in err


def test_a_removed_entry_leaves_no_card_and_no_files(built, tmp_path):
    submissions, out = built
    site = tmp_path / "site"
    shutil.copytree(out, site)
    empty = tmp_path / "submissions"
    empty.mkdir()
    page = write_gallery(site, submissions=empty)
    assert "No entries yet." in page.read_text()
    left = sorted(str(p.relative_to(site / "_gallery")) for p in (site / "_gallery").rglob("*"))
    assert left == [".written-by-paygap-gallery", "slides", "thumbnails"]


def test_a_broken_team_yml_stops_the_gallery_with_the_file_named(built, tmp_path):
    submissions, out = built
    broken = tmp_path / "submissions"
    shutil.copytree(submissions, broken)
    (broken / "example-team" / "team.yml").write_text("team: Example\n")
    with pytest.raises(SubmissionError, match=r"example-team/team.yml: 'title' is a required"):
        write_gallery(out, submissions=broken)


def test_text_from_team_yml_cannot_inject_markup():
    team = Team(
        "x", "<script>alert(1)</script>", "{raw}`<b>` *t*", ("[a](http://e)",), "q ````", "MIT"
    )
    page = gallery_markdown([_card(team)])
    assert "<script>" not in page and "{raw}`" not in page and "[a](http" not in page
    assert "\\<script\\>" in page
    assert "q ````" not in page and "q \\`\\`\\`\\`" in page, "the question cannot end the card"


def _card(team: Team):
    from paygap_utils.organisers.gallery import Card

    return Card(team=team, page=f"submissions/{team.slug}/{team.slug}", thumbnail=None, slides=None)


# --- the rendered gallery, in a browser ---------------------------------------------------------

SCREENSHOT = REPO_ROOT / "test-artifacts" / "gallery" / "gallery.png"

# Every card's image, loaded; every link of every card.
CARDS = """() => [...document.querySelectorAll('.sd-card')].map((card) => ({
    title: card.querySelector('.sd-card-title')?.textContent.trim(),
    images: [...card.querySelectorAll('img')].map((img) => img.complete && img.naturalWidth > 0),
    links: [...card.querySelectorAll('a')].map((a) => [a.textContent.trim(), a.href]),
}))"""


@pytest.fixture(scope="module")
def site(built, tmp_path_factory) -> Path:
    """The gallery and the executed entry built into HTML by Sphinx with the site's conf.py.

    ``bash scripts/site`` builds the same pages with every notebook too (tests/test_site.py);
    this builds only what the gallery adds, so its browser test stays quick.
    """
    pytest.importorskip("myst_nb")
    pytest.importorskip("sphinx_design")
    _, out = built
    shutil.copy(REPO_ROOT / "site" / "conf.py", out / "conf.py")
    (out / "index.md").write_text("# Results\n\n```{toctree}\ngallery\n```\n")
    html = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(out), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    gallery_warnings = [line for line in result.stderr.splitlines() if "gallery.md" in line]
    assert not gallery_warnings, gallery_warnings
    return html


def test_the_gallery_renders_in_a_browser(site, playwright_api):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with FileServer(site) as server, launched(playwright_api) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def loopback_only(route):
            if route.request.url.startswith(server.url):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", loopback_only)
        response = page.goto(f"{server.url}gallery.html")
        assert response is not None and response.ok
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        cards = page.evaluate(CARDS)
        assert [c["title"] for c in cards] == ["Public sector and other employers"]
        (card,) = cards
        assert card["images"] == [True], "the thumbnail did not load"
        assert [name for name, _ in card["links"]] == ["Entry", "Slides"]
        assert not errors, errors
        assert not outside, f"the gallery asked the internet for {outside}"

        for name, url in card["links"]:
            linked = browser.new_page()
            linked.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            linked.on("pageerror", lambda exc: errors.append(str(exc)))
            linked.route("**/*", loopback_only)
            try:
                response = linked.goto(url)
                assert response is not None and response.ok, f"{name}: {url}"
                if name == "Entry":
                    heading = linked.locator("h1").first.text_content()
                    assert "Example team" in heading
                    assert linked.locator("img").count() >= 1, "the entry's chart"
                else:
                    linked.wait_for_function("() => window.Reveal && Reveal.isReady()")
                    assert linked.locator(".reveal .slides section").count() >= 7
                    assert "summarise_gap(" not in linked.content(), "code is hidden"
            finally:
                linked.close()
        assert not errors, errors
        assert not outside, f"the entry or its slides asked the internet for {outside}"
