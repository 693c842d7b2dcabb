"""Build the rendered site: execute every notebook on the real data, then run Sphinx.

Usage (``bash scripts/site`` runs it with the right environment)::

    python scripts/build_site.py                     # _build/site/html
    python scripts/build_site.py --out DIR --src DIR

Steps, each a function so that a new step is one more call in :func:`build`:

1. :func:`prepare_source`: a fresh build-source folder (``_build/site-src`` by default)
   with ``site/`` (conf.py, the landing page) and ``docs/glossary.md``;
2. :func:`write_notebook_table`: the landing page's table of notebooks, written by the
   same code as the README's (``scripts/sync_links.py``);
3. :func:`execute_notebooks`: every notebook (``notebooks/*.ipynb``, then the R ones in
   ``notebooks/r/``) executed with nbclient, each in the kernel its metadata names, into
   ``<src>/notebooks/`` (the data comes from ``PAYGAP_DATA_DIR`` / ``PAYGAP_DATA_URL``
   as for the notebooks themselves); the committed notebooks are not touched;
4. :func:`add_gallery`: the teams' entries and their gallery, when ``submissions/`` exists;
5. :func:`run_sphinx`: ``sphinx-build -b html`` with execution off.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SITE = ROOT / "site"
DEFAULT_SRC = ROOT / "_build" / "site-src"
DEFAULT_OUT = ROOT / "_build" / "site" / "html"
#: Left in every folder this script creates, so it only ever deletes folders of its own.
MARKER = ".paygap-site-build"
TIMEOUT_S = 900
#: The tag of cells that need a live kernel and a person: skipped for the static site.
INTERACTIVE = "interactive"


def _sync_links():
    spec = importlib.util.spec_from_file_location("sync_links", ROOT / "scripts" / "sync_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fresh(folder: Path) -> None:
    """Empty ``folder`` if this script made it; refuse to touch anyone else's."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise SystemExit(
                f"{folder} exists and was not made by scripts/build_site.py, so it is left "
                "alone. Give another folder (--src / --out) or move it away."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by scripts/build_site.py; deleted by its next run\n")


def notebooks() -> list[Path]:
    """The notebooks the site shows: the same list, in the same order, as the README's table."""
    return _sync_links().notebook_paths(ROOT)


def prepare_source(src: Path) -> None:
    _fresh(src)
    for path in SITE.iterdir():
        if path.is_file():
            shutil.copy2(path, src / path.name)
    (src / "docs").mkdir()
    shutil.copy2(ROOT / "docs" / "glossary.md", src / "docs" / "glossary.md")


def write_notebook_table(src: Path) -> None:
    links = _sync_links()
    repo, branch = links.settings(ROOT)
    table = links.notebook_table(repo, branch, notebooks())
    (src / "_notebooks.md").write_text(table + "\n", encoding="utf-8")


def execute_notebook(source: Path, target: Path, timeout: int = TIMEOUT_S) -> None:
    """Run one notebook top to bottom in its own folder and save it, outputs and all.

    The one way notebooks are executed for the site, and for the test that builds it, in
    the kernel the notebook's metadata names (``ir`` for the R ones). Cells tagged
    ``interactive`` (the explorer's app) are not run: a static page cannot use them, and
    nbclient can stall on widget messages (jupyter/nbclient#312). Voila, JupyterLab and
    nbval run them as usual.
    """
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        skip_cells_with_tag=INTERACTIVE,
        resources={"metadata": {"path": str(target.parent)}},
    )
    try:
        client.execute()
    except NoSuchKernel:
        raise SystemExit(
            f"{source.name} runs in the Jupyter kernel {kernel!r}, which is not installed. For the "
            "R notebooks: apt-get install r-base-core r-cran-irkernel r-cran-ggplot2 "
            "r-cran-dplyr r-cran-readr (or R with IRkernel::installspec()), then build again."
        ) from None
    nbformat.write(nb, target)


def execute_notebooks(src: Path) -> None:
    # The R notebooks ask `python3 -m paygap_utils` for the data's CSV export: this Python.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    for path in notebooks():
        target = src / "notebooks" / path.relative_to(NOTEBOOKS)
        target.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        execute_notebook(path, target)
        print(f"executed {path.name} in {time.monotonic() - start:.0f} s", flush=True)


def add_gallery(src: Path) -> None:
    """The teams' entries: the gallery as ``<src>/_gallery/``, linked from the landing page.

    ``python -m paygap_utils.organisers gallery --out <src>/_gallery`` checks and runs each entry
    and writes the gallery page with the entries, thumbnails and slides beside it; ``conf.py``
    copies that folder into the site as it is (``html_extra_path``), so the site's
    ``gallery.html`` is the page the command writes, escaped by its template.
    """
    if not (ROOT / "submissions").is_dir():
        return
    command = [sys.executable, "-m", "paygap_utils.organisers", "gallery"]
    command += ["--out", str(src / "_gallery")]
    subprocess.run([*command, "--home", "index.html"], check=True, cwd=ROOT)
    with (src / "index.md").open("a", encoding="utf-8") as index:
        index.write(
            "\n## Results\n\nThe teams' entries, each with its slides: "
            '<a href="gallery.html">the gallery</a>.\n'
        )


def run_sphinx(src: Path, out: Path) -> None:
    _fresh(out)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "--keep-going",
        "-d",
        str(src / ".doctrees"),
        str(src),
        str(out),
    ]
    subprocess.run(command, check=True)
    (out / ".nojekyll").touch()  # GitHub Pages: serve the _static and _images folders as they are


def build(src: Path = DEFAULT_SRC, out: Path = DEFAULT_OUT) -> Path:
    prepare_source(src)
    write_notebook_table(src)
    execute_notebooks(src)
    add_gallery(src)
    run_sphinx(src, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="build-source folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="HTML output folder")
    args = parser.parse_args(argv)
    out = build(args.src.resolve(), args.out.resolve())
    print(f"Site written to {out}; open {out / 'index.html'} in a browser.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
