"""The R notebooks print the Python notebooks' numbers, and R can run them here.

Both kinds of notebook have their key numbers recorded in ``tests/notebook_outputs.json``,
and nbval checks every recorded output against a fresh run on the real data (R ones in the
IR kernel). This module checks that the two records agree: each R table below is compared,
row by row and number by number, with the Python table it mirrors. Numbers are compared as
printed, so they must be equal, not close (the R notebooks round as pandas does).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.paths import REPO_ROOT

RECORDED = json.loads((REPO_ROOT / "tests" / "notebook_outputs.json").read_text())

#: (R notebook, R cell, Python notebook, Python cell, pairs of (R column, Python column)):
#: column positions after the row key, in the printed tables.
THREE = [(0, 0), (1, 1), (2, 2)]
TABLES = [
    ("00_start_here_r.ipynb", "r00-per-year", "00_start_here.ipynb", "cell-10", [(0, 0), (1, 1)]),
    ("00_start_here_r.ipynb", "r00-sign", "01_gap_distribution.ipynb", "cell-18", THREE),
    ("00_start_here_r.ipynb", "r00-centre", "01_gap_distribution.ipynb", "cell-10", THREE),
    ("00_start_here_r.ipynb", "r00-late", "08_data_quality.ipynb", "c3c98fd2", [(0, 1)]),
    ("02_sectors_r.ipynb", "r02-sector", "02_sectors.ipynb", "1b83e0fb", [(0, 0)]),
    ("02_sectors_r.ipynb", "r02-sector", "02_sectors.ipynb", "dc8beda3", [(1, 0), (2, 1)]),
    ("02_sectors_r.ipynb", "r02-sector", "02_sectors.ipynb", "e79648ad", [(2, 0)]),
    ("02_sectors_r.ipynb", "r02-public", "02_sectors.ipynb", "2ac0e478", THREE),
]  # fmt: skip

#: (R notebook, R cell, Python notebook, Python cell): the same sentence, word for word.
LINES = [
    ("02_sectors_r.ipynb", "r02-latest", "02_sectors.ipynb", "4d5d0571"),
    ("02_sectors_r.ipynb", "r02-nocode", "02_sectors.ipynb", "c669031e"),
    ("02_sectors_r.ipynb", "r02-codes", "02_sectors.ipynb", "d504bd74"),
]

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def text(notebook: str, cell: str) -> str:
    outputs = RECORDED[notebook][cell]
    return "".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in outputs)


def rows(printed: str) -> dict[str, list[float]]:
    """A printed table as {row key: its numbers}; header lines (no numbers after the key) skipped.

    Keys are compared without case, so R's FALSE is pandas' False.
    """
    found: dict[str, list[float]] = {}
    for line in printed.splitlines():
        key, *rest = line.split() or [""]
        if rest and all(NUMBER.fullmatch(token) for token in rest):
            found[key.lower()] = [float(token) for token in rest]
    return found


@pytest.mark.parametrize(
    ("r_notebook", "r_cell", "py_notebook", "py_cell", "pairs"),
    TABLES,
    ids=[f"{t[1]}-vs-{t[2][:2]}-{t[3]}" for t in TABLES],
)
def test_the_r_tables_equal_the_python_tables(r_notebook, r_cell, py_notebook, py_cell, pairs):
    r_rows, py_rows = rows(text(r_notebook, r_cell)), rows(text(py_notebook, py_cell))
    shared = set(r_rows) & set(py_rows)
    assert shared, f"no rows in common:\n{text(r_notebook, r_cell)}\n{text(py_notebook, py_cell)}"
    # Every Python row the R table could show is there (the Python table may show fewer).
    assert set(py_rows) <= set(r_rows), set(py_rows) - set(r_rows)
    for key in sorted(shared):
        for r_column, py_column in pairs:
            assert r_rows[key][r_column] == py_rows[key][py_column], (
                f"{r_notebook} {r_cell} row {key!r} column {r_column}: {r_rows[key][r_column]} "
                f"!= {py_rows[key][py_column]} in {py_notebook} {py_cell}"
            )


@pytest.mark.parametrize(("r_notebook", "r_cell", "py_notebook", "py_cell"), LINES)
def test_the_r_sentences_equal_the_python_ones(r_notebook, r_cell, py_notebook, py_cell):
    r_lines = text(r_notebook, r_cell).splitlines()
    assert r_lines and set(r_lines) <= set(text(py_notebook, py_cell).splitlines())


def test_the_parser_reads_both_kinds_of_table():
    pandas = (
        "      employers  median_gap\nyear                       \n2017      10534         9.3\n"
    )
    r = " year employers median_gap\n 2017     10534        9.3\n"
    assert rows(pandas) == rows(r) == {"2017": [10534.0, 9.3]}
    assert rows("                   n  median\nis_public_sector\nFalse  9600  9.235\n") == {
        "false": [9600.0, 9.235]
    }


def test_r_and_its_kernel_are_here_or_the_skip_says_how():
    """Where R is missing the R notebooks skip, with the install command (see tests/plugin.py)."""
    from tests.plugin import R_INSTALL, _missing_kernel

    assert "apt-get install r-base-core r-cran-irkernel" in R_INSTALL
    assert "IRkernel::installspec()" in R_INSTALL
    if shutil.which("R") is None:
        assert _missing_kernel("ir") is not None
    assert (
        _missing_kernel("no-such-kernel") == "the Jupyter kernel 'no-such-kernel' is not installed"
    )
