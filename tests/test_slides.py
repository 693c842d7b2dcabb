"""The team template's slides work with no network and fit the screen: one HTML file.

The template is run (on the session's data) and turned into slides by
``python -m paygap_utils slides``; the deck is opened from disk in headless Chromium at
1920x1080 with every request that is not for a local file refused, as at a venue without
Wi-Fi. reveal.js must have started (``Reveal.isReady()``), every section must be a slide,
every slide's content must be on the screen, the chart must show, and the console must stay
clean. An un-run notebook is refused; the deck gets the user's usual permissions and
replaces only a deck.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

from paygap_utils import cli
from paygap_utils.organisers.slides import to_slides
from tests.chromium import launched
from tests.paths import REPO_ROOT

TEMPLATE = REPO_ROOT / "notebooks" / "team_template.ipynb"
SECTIONS = ("Question", "Data", "Method", "Findings", "Limitations", "Next steps", "Summary")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def executed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team template, run top to bottom and saved, as a team does before exporting."""
    folder = tmp_path_factory.mktemp("team") / "notebooks"
    folder.mkdir()
    nb = nbformat.read(TEMPLATE, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "team_example.ipynb"
    nbformat.write(nb, path)
    return path


def test_slides_command_says_what_to_do_for_a_missing_notebook(tmp_path, capsys):
    missing = tmp_path / "team_nobody.ipynb"
    assert cli.main(["slides", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "submissions/<team-slug>/<team-slug>.ipynb" in err
    assert list(tmp_path.iterdir()) == []


def test_an_unrun_notebook_is_refused_with_what_to_do(tmp_path, capsys):
    assert cli.main(["slides", str(TEMPLATE), "-o", str(tmp_path / "deck.html")]) == 2
    err = capsys.readouterr().err
    assert "code cells [7, 10, 11] have not been run" in err and "Run All Cells" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.data
def test_the_deck_has_the_users_permissions_and_replaces_only_a_deck(
    executed_template: Path, tmp_path: Path, capsys
):
    old = os.umask(0o022)
    try:
        deck = to_slides(executed_template, tmp_path / "deck.html")
    finally:
        os.umask(old)
    assert oct(deck.stat().st_mode & 0o777) == oct(0o644), "readable as any file of the user's"
    assert to_slides(executed_template, deck) == deck, "its own deck is replaced"
    theirs = tmp_path / "notes.html"
    theirs.write_text("<p>our notes</p>")
    assert cli.main(["slides", str(executed_template), "-o", str(theirs)]) == 2
    assert "--force" in capsys.readouterr().err
    assert theirs.read_text() == "<p>our notes</p>"
    assert cli.main(["slides", str(executed_template), "-o", str(theirs), "--force"]) == 0
    assert "Reveal.initialize" in theirs.read_text()
    link = tmp_path / "link.html"
    link.symlink_to(theirs)
    with pytest.raises(FileExistsError, match="symbolic link"):
        to_slides(executed_template, link, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.html", "link.html", "notes.html"]


def test_a_broken_notebook_leaves_an_existing_deck_alone(tmp_path, capsys):
    broken = tmp_path / "team.ipynb"
    broken.write_text("{not json")
    deck = tmp_path / "team.slides.html"
    deck.write_text("yesterday's deck")
    assert cli.main(["slides", str(broken)]) == 2
    assert "is not a notebook that can be read" in capsys.readouterr().err
    assert deck.read_text() == "yesterday's deck"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.ipynb", "team.slides.html"]


SLIDES = "Reveal.getSlides().map((s) => Reveal.getIndices(s))"
#: The box around everything the current slide shows, in screen pixels, and its first words.
CONTENT_BOX = """() => {
    const slide = Reveal.getCurrentSlide();
    const boxes = [...slide.querySelectorAll('*')]
        .filter((el) => getComputedStyle(el).visibility !== 'hidden')
        .map((el) => el.getBoundingClientRect())
        .filter((r) => r.width > 0 && r.height > 0);
    return {
        slide: slide.innerText.slice(0, 40),
        top: Math.min(...boxes.map((r) => r.top)), left: Math.min(...boxes.map((r) => r.left)),
        bottom: Math.max(...boxes.map((r) => r.bottom)),
        right: Math.max(...boxes.map((r) => r.right)),
    };
}"""


@pytest.mark.data
def test_team_template_slides_render_with_the_network_off(
    playwright_api: ModuleType, executed_template: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "paygap_utils", "slides", str(executed_template)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    deck = executed_template.with_suffix(".slides.html")
    html = deck.read_text(encoding="utf-8")
    assert not re.findall(r"src=[\"']?(?:https?:)?//", html), "an image or script from the network"
    assert "google.colab" not in html and "Prerequisites" not in html

    requested: list[str] = []
    errors: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launched(playwright_api) as browser:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})

        def only_files(route) -> None:
            requested.append(route.request.url)
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_files)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(deck.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        headings = page.locator(".reveal .slides section h2").all_text_contents()
        for section in SECTIONS:
            assert any(section in h for h in headings), f"no slide for {section}: {headings}"
        assert page.evaluate("Reveal.getTotalSlides()") >= len(SECTIONS) + 1
        # The deck is laid out as slides, not as one long page.
        assert page.evaluate("document.querySelector('.reveal').classList.contains('ready')")
        # Every slide, every fragment shown: its content is on the 1920x1080 screen.
        page.evaluate("Reveal.configure({transition: 'none', fragments: false})")
        overflowing = []
        for slide in page.evaluate(SLIDES):
            page.evaluate(f"Reveal.slide({slide['h']}, {slide['v']})")
            box = page.evaluate(CONTENT_BOX)
            if box["top"] < 0 or box["left"] < 0 or box["bottom"] > 1080 or box["right"] > 1920:
                overflowing.append(box)
        assert not overflowing, f"slides that do not fit the screen: {overflowing}"
        page.evaluate("Reveal.configure({fragments: true})")
        page.evaluate("Reveal.slide(4)")  # Findings, with the chart below it
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(500)
        charts = page.locator(".reveal .slides img").evaluate_all(
            "(imgs) => imgs.filter((img) => img.complete && img.naturalWidth > 0).length"
        )
        assert charts >= 1, "the chart is not on the slides"
        page.screenshot(path=str(ARTIFACTS / "team_template_slides.png"))
    network = [url for url in requested if not url.startswith(("file:", "data:"))]
    assert not network, f"the deck asked the network for {network}"
    assert not errors, "console errors:\n" + "\n".join(errors)


@pytest.mark.data
def test_show_code_puts_the_code_on_the_slides(executed_template: Path, tmp_path: Path):
    plain = to_slides(executed_template, tmp_path / "plain.html")
    with_code = to_slides(executed_template, tmp_path / "code.html", show_code=True)
    assert "summarise_gap(df" not in plain.read_text(encoding="utf-8")
    assert "summarise_gap" in with_code.read_text(encoding="utf-8")


def test_save_figure_writes_a_slide_sized_png_with_the_source_and_keeps_the_screen_size(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from PIL import Image

    from paygap_utils import plots
    from paygap_utils.plots import save_figure

    fig, ax = plots.new_figure()
    ax.plot([2019, 2020], [9.5, 9.1])
    table = pd.DataFrame({"year": [2021]})
    table.attrs["files"] = [{"year": "2021-22", "as_of": "2024-04-19"}]
    before = tuple(fig.get_size_inches())
    png = save_figure(fig, tmp_path / "slides" / "gap.png", table)
    assert tuple(fig.get_size_inches()) == before
    with Image.open(png) as image:
        assert image.size == (2000, 1125)
        assert image.info["Software"] == "paygap_utils.plots.save_figure"
    sources = [t.get_text() for t in fig.texts if t.get_text().startswith("Source:")]
    assert len(sources) == 1 and "as of 2024-04-19" in sources[0]
    # Running the cell again replaces its own file, and adds no second source line.
    save_figure(fig, png, table)
    assert sum(t.get_text().startswith("Source:") for t in fig.texts) == 1
    assert sorted(p.name for p in png.parent.iterdir()) == ["gap.png"]
    plt.close(fig)


def test_save_figure_leaves_files_it_did_not_write_alone(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from paygap_utils import plots
    from paygap_utils.plots import save_figure

    theirs = tmp_path / "logo.png"
    theirs.write_bytes(b"someone else's picture")
    fig, _ = plots.new_figure()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_figure(fig, theirs)
    assert theirs.read_bytes() == b"someone else's picture"
    with pytest.raises(ValueError, match=r"\.png"):
        save_figure(fig, tmp_path / "chart.jpg")
    save_figure(fig, theirs, overwrite=True)
    assert theirs.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logo.png"]
    plt.close(fig)
