"""The gallery: entries become cards, pages and slides, and no team can put markup on it.

Three entries are made by the command in a temporary ``submissions`` folder: the example
and two hostile ones (markup, quotes, backticks and directives in every field, non-Latin
scripts). ``python -m paygap_utils.organisers gallery`` runs them on the real data (the session's
loopback mirror) into its default folder; the tests read what the page, the thumbnails and
the slides hold, and open the page, each entry and each deck in headless Chromium, where
no dialog may open and no script of a team's may run. The same folder built into the site
by Sphinx (``conf.py``'s ``html_extra_path``) is checked the same way.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from paygap_utils.cli import main
from paygap_utils.organisers.cli import main as organisers
from paygap_utils.organisers.gallery import MARKER, write_gallery
from paygap_utils.organisers.submissions import SubmissionError
from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import FileServer
from tests.test_submissions import EXAMPLE_ARGS, _add_code, _edit_notebook

pytestmark = pytest.mark.data

XSS = '"><img src=x onerror=alert(1)>'
#: What two teams typed: markup, MyST and Markdown syntax, quotes, backticks, other scripts.
HOSTILE = {
    "hostile-one": [
        "--title",
        f"It's `the` gap {XSS}",
        "--members",
        "<script>alert(2)</script>",
        "{raw}`<b>html</b>`",
        "Zoë",
        "--question",
        "```{raw} html <script>alert(3)</script> ``` and [x](javascript:alert(4))",
    ],
    "hostile-two": [
        "--title",
        "فجوة الأجور · 性别工资差距 · «Gap» & <Co>",
        "--members",
        "Ωmega",
        "' onmouseover='alert(5)",
        "--question",
        "Who pays bonuses? <iframe src=javascript:alert(6)></iframe>",
    ],
}
TITLES = {
    "example-team": "Public sector and other employers",
    "hostile-one": f"It's `the` gap {XSS}",
    "hostile-two": "فجوة الأجور · 性别工资差距 · «Gap» & <Co>",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(submissions folder, gallery folder) after new-team and ``gallery`` with no --out."""
    checkout = tmp_path_factory.mktemp("checkout")
    submissions = checkout / "submissions"
    assert main([*EXAMPLE_ARGS, "--submissions", str(submissions)]) == 0
    for slug, args in HOSTILE.items():
        name = f'{slug} "><svg onload=alert(7)>'
        assert (
            main(["new-team", name, "--slug", slug, *args, "--submissions", str(submissions)]) == 0
        )
    assert organisers(["gallery", "--submissions", str(submissions)]) == 0
    return submissions, checkout / "_build" / "gallery"


def test_every_entry_is_executed_on_the_real_data(built):
    _, out = built
    assert sorted(p.name for p in (out / "entries").iterdir()) == sorted(
        f"{slug}.{ext}" for slug in TITLES for ext in ("html", "ipynb")
    )
    executed = nbformat.read(out / "entries" / "example-team.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    # The entry keeps the template's worked example, so it prints the template's numbers.
    recorded = json.loads((REPO_ROOT / "tests" / "notebook_outputs.json").read_text())
    ((cell_id, outputs),) = recorded["team_template.ipynb"].items()
    (cell,) = [c for c in code if c.id == cell_id]
    printed = "".join(o.text for o in cell.outputs if o.get("name") == "stdout")
    assert printed == "".join(o["text"] for o in outputs if o.get("name") == "stdout")
    assert "widget-view" not in json.dumps(executed), "download progress bars are left out"


def test_each_card_shows_the_entry_and_links_to_it(built):
    _, out = built
    page = (out / "gallery.html").read_text(encoding="utf-8")
    assert page.count('<li class="card">') == 3
    assert "Public sector and other employers" in page
    assert "<strong>Example team</strong> · Ada, Sam" in page
    for slug in TITLES:
        for link in (f"entries/{slug}.html", f"slides/{slug}.html", f"thumbnails/{slug}.png"):
            assert f'"{link}"' in page and (out / link).is_file(), link


def test_the_thumbnail_is_the_entrys_first_figure(built):
    _, out = built
    executed = nbformat.read(out / "entries" / "example-team.ipynb", as_version=4)
    thumbnail = (out / "thumbnails" / "example-team.png").read_bytes()
    pngs = [
        o["data"]["image/png"]
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert thumbnail.startswith(b"\x89PNG\r\n\x1a\n")
    assert pngs and thumbnail == base64.b64decode(pngs[0])


def test_the_pages_fetch_nothing_from_the_network_and_slides_hide_the_code(built):
    _, out = built
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.findall(r"(?:src|href)=.(?:https?:)?//", html), page
    deck = (out / "slides" / "example-team.html").read_text(encoding="utf-8")
    for section in ("Question", "Data", "Method", "Findings", "Limitations", "Summary"):
        assert re.search(rf"<h2[^>]*>\d*\.?\s*{section}", deck), section
    assert "data:image/png;base64," in deck and "summarise_gap(" not in deck
    entry = (out / "entries" / "example-team.html").read_text(encoding="utf-8")
    assert "summarise_gap" in entry and "data:image/png;base64," in entry, "code and charts"


def test_what_teams_wrote_is_text_in_the_html(built):
    _, out = built
    page = (out / "gallery.html").read_text(encoding="utf-8")
    for needle in ("<img src=x", "<script>", "<svg", "<iframe", "onmouseover='", "{raw}`<b>"):
        assert needle not in page, needle
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "It&#39;s `the` gap &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    for slug in HOSTILE:
        for html in (out / "entries" / f"{slug}.html", out / "slides" / f"{slug}.html"):
            text = html.read_text(encoding="utf-8")
            for needle in ("<img src=x", "<svg onload", "<iframe src=javascript"):
                assert needle not in text, (html.name, needle)


def test_a_gallery_is_replaced_whole_and_only_if_it_is_the_gallerys(built, tmp_path):
    submissions, _ = built
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "photo.png").write_bytes(b"ours")
    with pytest.raises(SubmissionError, match="was not made by the gallery command"):
        write_gallery(theirs, submissions=tmp_path)
    assert [p.name for p in theirs.iterdir()] == ["photo.png"]
    empty = tmp_path / "submissions"
    empty.mkdir()
    ours = tmp_path / "site" / "_gallery"
    write_gallery(ours, submissions=empty)
    assert "No entries yet." in (ours / "gallery.html").read_text()
    assert sorted(p.name for p in ours.iterdir()) == [MARKER, "gallery.html"]
    assert sorted(p.name for p in ours.parent.iterdir()) == ["_gallery"], "no temporary left"


def test_a_failing_entry_leaves_nothing_behind(built, tmp_path, capsys):
    submissions, out = built
    broken = tmp_path / "checkout" / "submissions"
    shutil.copytree(submissions / "example-team", broken / "example-team")
    _edit_notebook(broken / "example-team", _add_code("raise RuntimeError('broken')"))
    assert organisers(["gallery", "--submissions", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "example-team.ipynb: cell 18 stopped the run (RuntimeError: broken)" in err
    assert sorted(p.name for p in broken.parent.iterdir()) == ["submissions"], "no _build/"
    # Over an earlier gallery: it stays as it was.
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(SubmissionError, match="RuntimeError: broken"):
        write_gallery(out, submissions=broken)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["gallery"]


def test_an_entry_that_fails_the_check_stops_the_gallery_with_the_file_named(built, tmp_path):
    submissions, _ = built
    broken = tmp_path / "submissions"
    shutil.copytree(submissions / "example-team", broken / "example-team")
    (broken / "example-team" / "team.yml").write_text("team: Example\n")
    (broken / "example-team" / "conftest.py").write_text("")
    with pytest.raises(SubmissionError) as raised:
        write_gallery(tmp_path / "out", submissions=broken)
    assert "example-team/team.yml: 'title' is a required property" in str(raised.value)
    assert "example-team/conftest.py: files that change how Python" in str(raised.value)
    assert not (tmp_path / "out").exists()


# --- the gallery in a browser, on its own and in the site -----------------------------------

ARTIFACTS = REPO_ROOT / "test-artifacts" / "gallery"
#: Every card as a visitor sees it; every attribute of the page that would run script.
CARDS = """() => [...document.querySelectorAll('.card')].map((card) => ({
    title: card.querySelector('h2').textContent,
    images: [...card.querySelectorAll('img')].map((img) => img.complete && img.naturalWidth > 0),
    links: [...card.querySelectorAll('a')].map((a) => [a.textContent.trim(), a.href]),
}))"""
LIVE = """() => ({
    scripts: document.scripts.length,
    handlers: [...document.querySelectorAll('*')].flatMap((el) =>
        [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name)),
    frames: document.querySelectorAll('iframe, svg, object, embed').length,
    javascript: [...document.querySelectorAll('[href], [src]')].filter((el) =>
        /^\\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src'))).length,
})"""


@pytest.fixture(scope="module")
def site(built, tmp_path_factory) -> Path:
    """The gallery folder built into a site by Sphinx with the site's conf.py, as in build_site."""
    pytest.importorskip("myst_nb")
    _, out = built
    src = tmp_path_factory.mktemp("site-src")
    shutil.copy(REPO_ROOT / "site" / "conf.py", src / "conf.py")
    shutil.copytree(out, src / "_gallery")
    (src / "index.md").write_text('# Results\n\n<a href="gallery.html">the gallery</a>\n')
    html = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert not result.stderr.strip(), result.stderr
    return html


def _visit(browser, url: str, server_url: str, problems: list[str]):
    """Open ``url`` as a visitor; record dialogs, errors and requests off the loopback server."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda d: (problems.append(f"{url}: dialog {d.message!r}"), d.dismiss()))
    page.on("console", lambda m: problems.append(f"{url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"{url}: {exc}"))

    def loopback_only(route):
        if route.request.url.startswith((server_url, "data:")):
            return route.continue_()
        problems.append(f"{url}: asked for {route.request.url}")
        return route.abort()

    page.route("**/*", loopback_only)
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("where", ["gallery", "site"])
def test_the_gallery_in_a_browser_shows_cards_and_runs_no_teams_script(
    built, site, playwright_api, where
):
    root = built[1] if where == "gallery" else site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with FileServer(root) as server, launched(playwright_api) as browser:
        page = _visit(browser, f"{server.url}gallery.html", server.url, problems)
        page.screenshot(path=str(ARTIFACTS / f"{where}.png"), full_page=True)
        cards = page.evaluate(CARDS)
        assert [c["title"] for c in cards] == list(TITLES.values()), "each title, as typed"
        assert all(c["images"] == [True] for c in cards), "a thumbnail did not load"
        assert all([n for n, _ in c["links"]] == ["Entry", "Slides"] for c in cards)
        assert page.evaluate(LIVE) == {"scripts": 0, "handlers": [], "frames": 0, "javascript": 0}
        page.hover("text=onmouseover", timeout=5000)
        for card in cards:
            for name, url in card["links"]:
                linked = _visit(browser, url, server.url, problems)
                if name == "Entry":
                    assert linked.locator("img").count() >= 1, f"{url}: the entry's chart"
                else:
                    linked.wait_for_function("() => window.Reveal && Reveal.isReady()")
                    assert linked.locator(".reveal .slides section").count() >= 7
                live = linked.evaluate(LIVE)
                assert (live["handlers"], live["frames"], live["javascript"]) == ([], 0, 0), url
                linked.close()
    assert not problems, "\n".join(problems)
