"""Slides: a team's notebook as one HTML deck that works offline and fits the screen.

``jupyter nbconvert --to slides`` loads reveal.js from the internet, so at a venue with bad
Wi-Fi the deck is one long page. :func:`to_slides` (``python -m paygap_utils slides``) makes
the same deck with reveal.js, its notes plugin and theme (from ``sphinx-revealjs``) inside
the one file, and shrinks a slide taller or wider than the screen until it fits. A chart at
slide size for other slide software is :func:`paygap_utils.plots.save_figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._files import write_file
from ..errors import PaygapError

__all__ = ["SlidesError", "reveal_files", "to_slides", "TEMPLATE", "TEMPLATES", "GENERATOR"]

#: The package's nbconvert and jinja2 templates.
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "offline_slides"
#: The ``generator`` of every deck :func:`to_slides` writes: a deck with it may be replaced.
GENERATOR = "paygap_utils.organisers.slides"
_THEME = "white"
#: The badges line scripts/sync_links.py writes under each notebook's title: its images come
#: from the internet, and "open in Colab" has no place on a slide.
_BADGES_LINE = "[![Open In Colab]"


class SlidesError(PaygapError, ValueError):
    """A notebook that cannot be made into slides, or a deck name that is not HTML."""


def reveal_files() -> dict[str, Path]:
    """Return the reveal.js files the slides are built from, as installed by sphinx-revealjs.

    Examples
    --------
    >>> from paygap_utils.organisers.slides import reveal_files
    >>> sorted(reveal_files())
    ['css', 'js', 'notes', 'theme']
    """
    try:
        import sphinx_revealjs
    except ImportError:
        raise ImportError(
            "The offline slides need reveal.js, which the sphinx-revealjs package ships. "
            "Install it with `pip install sphinx-revealjs` (it is in the notebooks extra: "
            "`pip install -e .[notebooks]`), then run the command again."
        ) from None
    root = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    return {
        "css": root / "dist" / "reveal.css",
        "theme": root / "dist" / "theme" / f"{_THEME}.css",
        "js": root / "dist" / "reveal.js",
        "notes": root / "plugin" / "notes" / "notes.js",
    }


def _inline(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # The theme imports its web font from a file beside it; offline, the fallback fonts do.
    text = "\n".join(line for line in text.splitlines() if not line.startswith("@import"))
    # A literal "</script" or "</style" would end the element the text is written into.
    return text.replace("</script", "<\\/script").replace("</style", "<\\/style")


def _unrun_cells(nb: Any) -> list[int]:
    """Code cells that would be on the slides but have not been run (so show nothing)."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.source.strip()
        and cell.get("execution_count") is None
        and cell.metadata.get("slideshow", {}).get("slide_type") != "skip"
    ]


def _deck_html(nb: Any, name: str, *, show_code: bool, where: str) -> str:
    """The deck of the executed notebook ``nb`` (``where`` names it in the messages)."""
    from nbconvert import SlidesExporter

    unrun = _unrun_cells(nb)
    if unrun:
        raise SlidesError(
            f"{where}: code cells {unrun} have not been run, so their charts and numbers would "
            "be missing from the slides. Run the notebook (JupyterLab: Run > Run All Cells; "
            "Colab: Runtime > Run all), save it, and make the slides again."
        )
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _BADGES_LINE in cell.source:
            lines = cell.source.splitlines()
            cell.source = "\n".join(ln for ln in lines if not ln.startswith(_BADGES_LINE))
    exporter = SlidesExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    files = {kind: _inline(path) for kind, path in reveal_files().items()}
    resources = {"metadata": {"name": name}, "offline_reveal": files, "generator": GENERATOR}
    return exporter.from_notebook_node(nb, resources=resources)[0]


def _is_deck(path: Path) -> bool:
    # The deck's <meta name="generator"> (nbconvert may reorder its attributes).
    with open(path, "rb") as file:
        return f'"{GENERATOR}"'.encode() in file.read(4096)


def to_slides(
    notebook: str | Path,
    output: str | Path | None = None,
    *,
    show_code: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a notebook's slides as one HTML file that needs no network; return its path.

    ``notebook`` must have been run and saved, so the charts are in it (code cells that have
    not run are refused: :class:`SlidesError`); each cell's slide type (JupyterLab: the gear
    icon, "Slide Type") decides where it goes. ``output`` defaults to
    ``<notebook>.slides.html``; it is written whole or not at all, never through a link,
    and replaces only a deck this function wrote unless ``overwrite`` (else
    :class:`FileExistsError`). ``show_code`` puts the code cells on the slides too.

    Examples
    --------
    >>> import re, tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from paygap_utils.organisers.slides import to_slides
    >>> folder = Path(tempfile.mkdtemp())
    >>> cell = nbformat.v4.new_markdown_cell("# Our finding", metadata={
    ...     "slideshow": {"slide_type": "slide"}})
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "team.ipynb")
    >>> html = to_slides(folder / "team.ipynb").read_text()
    >>> re.findall(r"(?:src|href)=.https?:", html), "Reveal.initialize" in html
    ([], True)
    """
    import nbformat

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(
            f"{source} does not exist. Give the path of your team's notebook, e.g. "
            "submissions/<team-slug>/<team-slug>.ipynb."
        )
    target = Path(output) if output is not None else source.with_suffix(".slides.html")
    if target.suffix != ".html":
        raise SlidesError(f"{target}: the slides are an HTML file; give a name ending in .html.")
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a file that is not JSON
        raise SlidesError(
            f"{source} is not a notebook that can be read ({exc}). Open it in JupyterLab, "
            "save it, and try again."
        ) from None
    html = _deck_html(nb, source.stem, show_code=show_code, where=str(source))
    return write_file(target, html, replace=overwrite or _is_deck, what="the slides")
