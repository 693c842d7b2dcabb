"""Slides: a team's notebook as one HTML deck that works offline and fits the screen.

``nbconvert --to slides`` loads reveal.js from the internet; :func:`to_slides` (the ``slides``
command) puts it (from ``sphinx-revealjs``) in the deck, whose template shrinks a slide until
it fits. A chart for other slide software: :func:`paygap_utils.plots.save_figure`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._files import write_file
from ..errors import PaygapError

__all__ = ["SlidesError", "TEMPLATES", "to_slides"]

#: The package's nbconvert and jinja2 templates.
TEMPLATES = Path(__file__).parent / "templates"
#: The ``generator`` of every deck :func:`to_slides` writes: a deck with it may be replaced.
_GENERATOR = "paygap_utils.organisers.slides"


class SlidesError(PaygapError, ValueError):
    """A notebook that cannot be made into slides, or a deck name that is not HTML."""


def _deck_html(nb: Any, name: str, *, show_code: bool, where: str) -> str:
    """The deck of the executed notebook ``nb`` (``where`` names it in the messages)."""
    from nbconvert import SlidesExporter

    unrun = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.source.strip()
        and cell.get("execution_count") is None
        and cell.metadata.get("slideshow", {}).get("slide_type") != "skip"
    ]
    if unrun:
        raise SlidesError(
            f"{where}: code cells {unrun} have not been run, so their charts and numbers would "
            "be missing from the slides. Run the notebook (JupyterLab: Run > Run All Cells; "
            "Colab: Runtime > Run all), save it, and make the slides again."
        )
    for cell in nb.cells:
        # The badges scripts/sync_links.py writes under a title come from the internet.
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"(?m)^\[!\[Open In Colab\].*\n?", "", cell.source)
    exporter = SlidesExporter(
        template_name="offline_slides",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    try:
        import sphinx_revealjs
    except ImportError:
        raise ImportError(
            "The offline slides need reveal.js, which the sphinx-revealjs package ships. "
            "Install it with `pip install sphinx-revealjs` (it is in the notebooks extra: "
            "`pip install -e .[notebooks]`), then run the command again."
        ) from None
    reveal, files = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs", {}
    for kind, path in {
        "css": "dist/reveal.css",
        "theme": "dist/theme/white.css",
        "js": "dist/reveal.js",
        "notes": "plugin/notes/notes.js",
    }.items():
        # The theme imports its web font from a file beside it; offline, the fallback fonts do.
        text = re.sub(r"(?m)^@import.*$", "", (reveal / path).read_text(encoding="utf-8"))
        # A literal "</script" or "</style" would end the element the text is written into.
        files[kind] = text.replace("</script", "<\\/script").replace("</style", "<\\/style")
    resources = {"metadata": {"name": name}, "offline_reveal": files, "generator": _GENERATOR}
    return exporter.from_notebook_node(nb, resources=resources)[0]


def to_slides(
    notebook: str | Path,
    output: str | Path | None = None,
    *,
    show_code: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a notebook's slides as one HTML file that needs no network; return its path.

    ``notebook`` must have been run and saved (else :class:`SlidesError`); each cell's slide
    type (JupyterLab: the gear icon) decides where it goes. ``output`` (default
    ``<notebook>.slides.html``) is written whole, never through a link, and replaces only a
    deck this function wrote unless ``overwrite`` (else :class:`FileExistsError`).

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

    def is_deck(path: Path) -> bool:
        # The deck's <meta name="generator"> (nbconvert may reorder its attributes).
        with open(path, "rb") as file:
            return f'"{_GENERATOR}"'.encode() in file.read(4096)

    return write_file(target, html, replace=overwrite or is_deck, what="the slides")
