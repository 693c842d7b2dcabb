"""Slides: a team's notebook as one HTML deck that works offline.

A chart at slide size for other slide software is :func:`paygap_utils.plots.save_figure`.

``jupyter nbconvert --to slides`` writes a page that loads reveal.js, RequireJS and
jQuery from the internet, so at a venue with bad Wi-Fi the deck shows as one long plain
page. :func:`to_slides` uses the same conversion (each cell's slide type from its
metadata) with a template that writes reveal.js, its speaker-notes plugin and its
theme into the page itself, taken from the reveal.js files the ``sphinx-revealjs``
package installs. The one file can be e-mailed, put on a USB stick and opened on the
venue's laptop. From a terminal: ``python -m paygap_utils slides notebooks/team_x.ipynb``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PaygapError

__all__ = [
    "SlidesError",
    "reveal_files",
    "to_slides",
    "TEMPLATE",
]

_TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "offline_slides"
_THEME = "white"


class SlidesError(PaygapError, ValueError):
    """A notebook that cannot be made into slides, or a deck name that is not HTML."""


def reveal_files() -> dict[str, Path]:
    """Return the reveal.js files the slides are built from, as installed by sphinx-revealjs.

    Raises
    ------
    ImportError
        When sphinx-revealjs is not installed, saying how to install it.

    Examples
    --------
    >>> from paygap_utils.organisers.slides import reveal_files
    >>> sorted(reveal_files())
    ['css', 'js', 'notes', 'theme']
    >>> reveal_files()["js"].name
    'reveal.js'
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
    files = {
        "css": root / "dist" / "reveal.css",
        "theme": root / "dist" / "theme" / f"{_THEME}.css",
        "js": root / "dist" / "reveal.js",
        "notes": root / "plugin" / "notes" / "notes.js",
    }
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise ImportError(
            f"sphinx-revealjs is installed but lacks {', '.join(missing)}: reinstall it "
            "(`pip install --force-reinstall sphinx-revealjs`) and run the command again."
        )
    return files


#: The badges line scripts/sync_links.py writes under each notebook's title: its images come
#: from the internet, and "open in Colab" has no place on a slide.
_BADGES_LINE = "[![Open In Colab]"


def _without_badges(nb: Any) -> Any:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _BADGES_LINE in cell.source:
            lines = [ln for ln in cell.source.splitlines() if not ln.startswith(_BADGES_LINE)]
            cell.source = "\n".join(lines)
    return nb


def _inline(text: str) -> str:
    # A literal "</script" or "</style" would end the element the text is written into.
    return text.replace("</script", "<\\/script").replace("</style", "<\\/style")


def _theme(text: str) -> str:
    # The theme imports its web font from a file beside it; offline, the fallback fonts do.
    return "\n".join(line for line in text.splitlines() if not line.startswith("@import"))


def to_slides(
    notebook: str | Path, output: str | Path | None = None, *, show_code: bool = False
) -> Path:
    """Write a notebook's slides as one HTML file that needs no network.

    Parameters
    ----------
    notebook : str or Path
        The ``.ipynb`` file; run it and save it first, so the charts are in it. Each
        cell's slide type (JupyterLab: the gear icon, "Slide Type") decides where it goes.
    output : str or Path, optional
        The HTML file to write; by default ``<notebook>.slides.html`` beside the notebook.
        It is written to a temporary file first and moved into place, so a failure never
        leaves half a deck or replaces a deck with a broken one.
    show_code : bool
        Put the code cells on the slides too; by default only their outputs.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileNotFoundError
        When ``notebook`` does not exist.
    ValueError
        When ``notebook`` is not a readable notebook, or ``output`` is not an ``.html`` file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from paygap_utils.organisers.slides import to_slides
    >>> folder = Path(tempfile.mkdtemp())
    >>> cell = nbformat.v4.new_markdown_cell("# Our finding", metadata={
    ...     "slideshow": {"slide_type": "slide"}})
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "team.ipynb")
    >>> deck = to_slides(folder / "team.ipynb")
    >>> import re
    >>> html = deck.read_text()
    >>> deck.name, re.findall(r"(?:src|href)=.https?:", html), "Reveal.initialize" in html
    ('team.slides.html', [], True)
    """
    import os
    import tempfile

    import nbformat
    from nbconvert import SlidesExporter

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(
            f"{source} does not exist. Give the path of your team's notebook, e.g. "
            "notebooks/team_<name>.ipynb."
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
    files = reveal_files()
    exporter = SlidesExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    resources = {
        "metadata": {"name": source.stem},
        "offline_reveal": {
            "css": _inline(files["css"].read_text(encoding="utf-8")),
            "theme": _inline(_theme(files["theme"].read_text(encoding="utf-8"))),
            "js": _inline(files["js"].read_text(encoding="utf-8")),
            "notes": _inline(files["notes"].read_text(encoding="utf-8")),
        },
    }
    html, _ = exporter.from_notebook_node(_without_badges(nb), resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".paygap-tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
