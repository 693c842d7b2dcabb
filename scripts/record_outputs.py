"""Record the key numbers the notebooks print, so the tests can check them.

Notebooks are committed without outputs. The cells whose first line is
``# NBVAL_CHECK_OUTPUT`` print the numbers that a change in cleaning must not move
silently (employers per year, median gap per year, each notebook's headline figure).
This script runs every notebook, takes the text those cells print and writes it to
``tests/notebook_outputs.json``; the test suite puts it back into the cells before
nbval compares. Run it after an intended change, and review the diff:

    python scripts/record_outputs.py            # every notebook
    python scripts/record_outputs.py 02_sectors.ipynb
    python scripts/record_outputs.py 00_start_here_r.ipynb   # an R notebook (IR kernel)

It uses the data the package finds (``PAYGAP_DATA_DIR`` / ``PAYGAP_DATA_URL``). Each notebook
runs in the kernel its metadata names (``python3``, or ``ir`` for ``notebooks/r/``), with this
Python first on ``PATH`` so that R's ``system2("python3", ...)`` calls find the package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from paygap_utils.notebook_cells import is_checked_cell

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ROOT / "tests" / "notebook_outputs.json"


def text_outputs(outputs: list) -> list[dict]:
    """Keep what nbval compares as text: streams and the text/plain of results."""
    kept: list[dict] = []
    for output in outputs:
        if output["output_type"] == "stream":
            if kept and kept[-1]["output_type"] == "stream" and kept[-1]["name"] == output["name"]:
                kept[-1]["text"] += output["text"]
            else:
                stream = {"output_type": "stream", "name": output["name"], "text": output["text"]}
                kept.append(stream)
        elif output["output_type"] in ("execute_result", "display_data"):
            if "text/plain" in output.get("data", {}):
                kept.append(
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": output["data"]["text/plain"]},
                    }
                )
    return kept


def notebook_paths() -> dict[str, Path]:
    """Every notebook by file name: ``notebooks/*.ipynb`` and the R ones in ``notebooks/r/``."""
    found = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("r/*.ipynb"))
    return {path.name: path for path in found}


def record(path: Path) -> dict[str, list[dict]]:
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(notebook, timeout=300, resources=resources).execute()
    checked = (cell for cell in notebook.cells if is_checked_cell(cell))
    return {cell["id"]: text_outputs(cell["outputs"]) for cell in checked}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    paths = notebook_paths()
    names = args.notebooks or sorted(paths)
    unknown = [name for name in names if Path(name).name not in paths]
    if unknown:
        parser.error(f"no such notebook: {', '.join(unknown)} (known: {', '.join(paths)})")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    expected = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    for name in (Path(name).name for name in names):
        expected[name] = record(paths[name])
        print(f"{name}: {len(expected[name])} checked cell(s)")
    present = set(paths)
    expected = {name: cells for name, cells in sorted(expected.items()) if name in present}
    EXPECTED.write_text(json.dumps(expected, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
