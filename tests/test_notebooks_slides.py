"""The team template turns into a slide deck: one slide per section, set-up cells left out."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from paygap_utils.notebook_cells import cell_source, is_setup_cell
from tests.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "team_template.ipynb"
SECTIONS = ("Question", "Data", "Method", "Findings", "Limitations", "Next steps", "Summary")
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "-", "notes"}


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _slide_type(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def test_every_cell_says_where_it_goes_in_the_slides():
    missing = [i for i, cell in enumerate(_cells()) if _slide_type(cell) not in SLIDE_TYPES]
    assert not missing, f"cells without a slideshow slide_type: {missing}"


def test_title_opens_the_deck_and_setup_cells_are_left_out():
    cells = _cells()
    assert cell_source(cells[0]).startswith("# ")
    assert _slide_type(cells[0]) == "slide"
    assert is_setup_cell(cells[1])
    assert _slide_type(cells[1]) == "skip"
    for cell in cells:
        if re.match(r"## (Prerequisites|Imports|Ideas to explore)", cell_source(cell)):
            assert _slide_type(cell) == "skip", cell_source(cell).splitlines()[0]


def test_each_section_starts_a_slide():
    headings = {
        cell_source(cell).splitlines()[0]: _slide_type(cell)
        for cell in _cells()
        if cell["cell_type"] == "markdown" and cell_source(cell).startswith("## ")
    }
    for section in SECTIONS:
        found = [h for h in headings if h.endswith(section)]
        assert found, f"no '## ... {section}' heading in {NOTEBOOK.name}"
        assert headings[found[0]] == "slide", f"{found[0]!r} should start a new slide"


def test_exports_to_reveal_slides(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "slides",
            str(NOTEBOOK),
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "team_template.slides.html").read_text(encoding="utf-8")
    assert "reveal" in html
    # Each section's heading is in its own <section> of the deck.
    slides = html.split("<section")
    for section in SECTIONS:
        holding = [s for s in slides if re.search(rf"<h2[^>]*>\d*\.?\s*{section}", s)]
        assert len(holding) == 1, f"{section!r} is on {len(holding)} slides"
    assert "Team template" in html
    # Cells marked "skip" stay out of the deck.
    assert "Prerequisites" not in html
    assert "google.colab" not in html
