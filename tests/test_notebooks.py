"""The notebooks as committed: no outputs, one skeleton, key numbers recorded, all collected."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from paygap_utils.notebook_cells import CHECK_MARKER, cell_source, is_checked_cell, is_setup_cell
from tests.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
#: The R notebooks, same skeleton, IR kernel (tests/test_r_notebooks.py compares their numbers).
R_NOTEBOOKS = sorted((REPO_ROOT / "notebooks" / "r").glob("*.ipynb"))
EVERY_NOTEBOOK = NOTEBOOKS + R_NOTEBOOKS
RECORDED = json.loads((REPO_ROOT / "tests" / "notebook_outputs.json").read_text())
SECTIONS = ("Overview", "Prerequisites", "Time to read", "Imports", "Summary", "Ideas to explore")


def _cells(path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _checked_ids(path) -> set[str]:
    return {cell["id"] for cell in _cells(path) if is_checked_cell(cell)}


def test_there_are_the_starter_notebooks_and_the_team_template():
    names = [p.name for p in NOTEBOOKS]
    assert [n[:3] for n in names if n[0].isdigit()] == [f"{i:02d}_" for i in range(9)]
    assert "team_template.ipynb" in names


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_committed_without_outputs_or_execution_counts(path):
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {index} has outputs"
            assert cell["execution_count"] is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_every_notebook_follows_the_skeleton(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown"
    assert re.match(r"# .+ · .+", cell_source(cells[0]))
    assert is_setup_cell(cells[1])
    markdown = "\n".join(cell_source(c) for c in cells if c["cell_type"] == "markdown")
    missing = [section for section in SECTIONS if section not in markdown]
    assert not missing, f"{path.name} lacks {missing}"


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_key_numbers_are_checked_and_recorded(path):
    checked = _checked_ids(path)
    assert checked, f"{path.name} prints no key number in a {CHECK_MARKER} cell"
    recorded = RECORDED.get(path.name, {})
    assert set(recorded) == checked, (
        f"tests/notebook_outputs.json is out of step with {path.name}: "
        "run `python scripts/record_outputs.py` and review the diff"
    )
    assert all(outputs for outputs in recorded.values()), "a checked cell prints nothing"


def test_no_recorded_outputs_for_notebooks_that_are_gone():
    assert set(RECORDED) == {p.name for p in EVERY_NOTEBOOK}


def test_every_notebook_is_collected_by_the_test_command():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "notebooks",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    collected = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    expected = {p.relative_to(REPO_ROOT).as_posix() for p in EVERY_NOTEBOOK}
    assert collected == expected, out.stdout[-2000:]
