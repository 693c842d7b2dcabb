"""The gallery page of the site: one card per hackathon entry, for the judges.

``python -m paygap_utils gallery --out <site source folder>`` reads every
``submissions/<slug>/team.yml`` and the executed copy of each entry that ``bash scripts/site``
put in ``<out>/submissions/<slug>/``, and writes

- ``<out>/gallery.md``: MyST Markdown with a sphinx-design grid, one card per entry (title,
  team, members, question, the entry's first figure as a thumbnail) with buttons to the
  executed entry's page and to its slides, and a hidden toctree holding the entry pages;
- ``<out>/_gallery/thumbnails/<slug>.png`` (the thumbnails) and
  ``<out>/_gallery/slides/<slug>.html`` (the slides, code hidden, with reveal.js inside:
  :func:`paygap_utils.organisers.slides.to_slides`).
  The site's ``conf.py`` lists ``_gallery`` in ``html_extra_path``, so the slides are at
  ``slides/<slug>.html`` in the built site, next to ``gallery.html``.

The generator owns only what it writes: ``gallery.md`` starts with a comment naming it and
``_gallery/`` holds a marker file, and a ``gallery.md`` or ``_gallery/`` it did not write is
never overwritten.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .submissions import (
    SUBMISSIONS,
    SubmissionError,
    Team,
    entry_folders,
    escape_markdown,
    find_submissions_dir,
    notebook_path,
    read_team,
)

__all__ = [
    "Card",
    "collect",
    "first_figure",
    "export_slides",
    "gallery_markdown",
    "write_gallery",
    "HEADER",
]

_PAGE = "gallery.md"
_ASSETS = "_gallery"
_THUMBNAILS = "thumbnails"
_SLIDES = "slides"
#: The first line of every gallery.md this module writes (a MyST comment).
HEADER = "% Written by `python -m paygap_utils gallery` from submissions/*/team.yml: do not edit."
_MARKER = ".written-by-paygap-gallery"
_CELL_TIMEOUT_S = 600
_WIDGET = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Card:
    """One entry as the gallery shows it.

    ``page`` (the executed entry's document) and ``thumbnail`` are relative to the site's
    source folder; ``slides`` is the deck's address relative to the built ``gallery.html``.
    """

    team: Team
    page: str
    thumbnail: str | None
    slides: str | None


def first_figure(notebook: dict[str, Any]) -> bytes | None:
    """Return the first PNG a code cell of an executed notebook displays, or ``None``.

    Examples
    --------
    >>> import base64
    >>> from paygap_utils.organisers.gallery import first_figure
    >>> png = base64.b64encode(b"\\x89PNG...").decode()
    >>> cell = {"cell_type": "code", "outputs": [{"data": {"image/png": png}}]}
    >>> first_figure({"cells": [cell]})[:4]
    b'\\x89PNG'
    """
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                return base64.b64decode("".join(png) if isinstance(png, list) else png)
    return None


def _without_progress(notebook: Any) -> Any:
    """The notebook without download progress bars and warnings: they are not the entry."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                output
                for output in cell.outputs
                if output.get("name") != "stderr" and _WIDGET not in output.get("data", {})
            ]
    return notebook


def _execute_entry(source: Path, executed: Path) -> None:
    """Run the entry notebook ``source`` in its own folder and save the result as ``executed``."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(source, as_version=4)
    resources = {"metadata": {"path": str(source.parent)}}
    NotebookClient(notebook, timeout=_CELL_TIMEOUT_S, resources=resources).execute()
    _write_atomic(executed, nbformat.writes(_without_progress(notebook)).encode("utf-8"))


def export_slides(executed: Path, dest: Path) -> Path:
    """Write the slides of an executed entry (code hidden) to ``dest``; return ``dest``.

    The deck is :func:`~.slides.to_slides`'s: one HTML file with reveal.js inside,
    so it plays at a venue with no network. Download progress bars and warnings are left out.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.organisers.gallery import export_slides
    >>> from paygap_utils.organisers.submissions import template_path
    >>> out = Path(tempfile.mkdtemp()) / "template.html"
    >>> "Reveal.initialize" in export_slides(template_path(), out).read_text()
    True
    """
    import nbformat

    from .slides import to_slides

    notebook = _without_progress(nbformat.read(executed, as_version=4))
    with tempfile.TemporaryDirectory(prefix="paygap-gallery-") as scratch:
        copy = Path(scratch) / executed.name
        nbformat.write(notebook, copy)
        return to_slides(copy, dest)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        # mkstemp makes the file private; the site's files are as readable as any other.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _claim(out: Path) -> Path:
    """Return ``<out>/_gallery/``; refuse a ``gallery.md`` or ``_gallery/`` of someone else's."""
    page = out / _PAGE
    if page.exists() and not page.read_text(encoding="utf-8").startswith(HEADER):
        raise SubmissionError(
            f"{page} exists and was not written by the gallery command, so it was left alone. "
            "Move it away, or pass another --out folder."
        )
    assets = out / _ASSETS
    if assets.exists() and any(assets.iterdir()) and not (assets / _MARKER).is_file():
        raise SubmissionError(
            f"{assets} exists and was not made by the gallery command, so nothing was written. "
            "Move it away, or pass another --out folder."
        )
    assets.mkdir(parents=True, exist_ok=True)
    (assets / _MARKER).write_text("Thumbnails and slides written by the gallery command.\n")
    return assets


def collect(
    out: str | Path,
    *,
    submissions: str | Path | None = None,
    execute: bool = False,
    slides: bool = True,
) -> list[Card]:
    """Write each entry's thumbnail and slides under ``<out>/_gallery/``; return the cards.

    ``execute=True`` runs entries that have no executed copy in ``<out>/submissions/<slug>/``
    yet (``bash scripts/site`` normally made it); without it, a missing copy is an error.
    """
    out = Path(out)
    root = Path(submissions) if submissions is not None else find_submissions_dir()
    if not root.is_dir():
        raise SubmissionError(
            f"{root} does not exist: there are no entries to show. Create one with "
            '`python -m paygap_utils new-team "Team name"`, or pass --submissions.'
        )
    assets = _claim(out)
    cards, written = [], {assets / _MARKER}
    for folder in entry_folders(root=root):
        team = read_team(folder)
        source = notebook_path(folder)
        executed = out / SUBMISSIONS / folder.name / source.name
        if not executed.is_file():
            if not execute:
                raise SubmissionError(
                    f"{executed} is missing: the gallery shows executed entries. Build the "
                    "site with `bash scripts/site`, which runs them first, or add --execute."
                )
            _execute_entry(source, executed)
        notebook = json.loads(executed.read_text(encoding="utf-8"))
        thumbnail = slides_path = None
        png = first_figure(notebook)
        if png is not None:
            thumbnail = f"{_ASSETS}/{_THUMBNAILS}/{folder.name}.png"
            _write_atomic(out / thumbnail, png)
            written.add(out / thumbnail)
        if slides:
            deck = export_slides(executed, assets / _SLIDES / f"{folder.name}.html")
            slides_path = f"{_SLIDES}/{folder.name}.html"
            written.add(deck)
        page = f"{SUBMISSIONS}/{folder.name}/{executed.stem}"
        cards.append(Card(team=team, page=page, thumbnail=thumbnail, slides=slides_path))
    # Thumbnails and slides of entries that are gone; only files this module wrote are here.
    for kind in (_THUMBNAILS, _SLIDES):
        for stale in (assets / kind).glob("*"):
            if stale.is_file() and stale not in written:
                stale.unlink()
    return cards


def gallery_markdown(cards: list[Card]) -> str:
    """Return the MyST Markdown of the gallery page for ``cards``.

    Examples
    --------
    >>> from paygap_utils.organisers.gallery import Card, gallery_markdown
    >>> from paygap_utils.organisers.submissions import Team
    >>> team = Team("blue", "Team <Blue>", "Bonus gaps", ("Ada",), "Who pays bonuses?", "MIT")
    >>> card = Card(team, "submissions/blue/blue", "_gallery/thumbnails/blue.png", None)
    >>> print(gallery_markdown([card]))  # doctest: +ELLIPSIS
    % Written by ...
    ````{grid-item-card} Bonus gaps
    :img-top: _gallery/thumbnails/blue.png
    :img-alt: First figure of the entry by Team <Blue>
    ...
    **Team \\<Blue\\>** · Ada
    ...
    """
    lines = [
        HEADER,
        "",
        "# Gallery",
        "",
        "The teams' entries, each run from top to bottom on the same data as the notebooks. "
        "Open an entry to read it with its code, or its slides to see the talk. Entries are "
        "added by pull request to `submissions/` (see the organisers' guide).",
        "",
    ]
    if not cards:
        lines += ["No entries yet.", ""]
        return "\n".join(lines)
    # Backtick fences (not colons): plain MyST nests them without the colon_fence extension.
    lines += ["`````{grid} 1 2 2 3", ":gutter: 3", ""]
    for card in cards:
        team = card.team
        lines.append(f"````{{grid-item-card}} {escape_markdown(team.title)}")
        if card.thumbnail:
            alt = " ".join(f"First figure of the entry by {team.team}".split())
            lines += [f":img-top: {card.thumbnail}", f":img-alt: {alt}"]
        lines += [
            ":class-card: gallery-card",
            "",
            f"**{escape_markdown(team.team)}** · {', '.join(map(escape_markdown, team.members))}",
            "",
            escape_markdown(team.question),
            "",
        ]
        if not card.thumbnail:
            lines += ["*No figure.*", ""]
        lines += ["```{button-ref} " + card.page, ":ref-type: doc", ":color: primary"]
        lines += [":outline:", "", "Entry", "```"]
        if card.slides:
            lines += ["", "```{button-link} " + card.slides, ":color: primary", ":outline:", ""]
            lines += ["Slides", "```"]
        lines += ["", f"Licence: {team.licence}", "````", ""]
    lines += ["`````", "", "```{toctree}", ":hidden:", ""]
    lines += [card.page for card in cards]
    lines += ["```", ""]
    return "\n".join(lines)


def write_gallery(
    out: str | Path,
    *,
    submissions: str | Path | None = None,
    execute: bool = False,
    slides: bool = True,
) -> Path:
    """Write ``<out>/gallery.md`` with its thumbnails and slides; return its path.

    Parameters
    ----------
    out
        The site's source folder (``bash scripts/site`` passes its build source).
    submissions
        The ``submissions`` folder (default: the repository's).
    execute
        Run entries that have no executed copy under ``<out>/submissions/`` yet.
    slides
        Export each entry's slides next to its thumbnail.

    Examples
    --------
    >>> import tempfile
    >>> from paygap_utils.organisers.gallery import write_gallery
    >>> empty = tempfile.mkdtemp()
    >>> page = write_gallery(tempfile.mkdtemp(), submissions=empty)
    >>> "No entries yet." in page.read_text()
    True
    """
    out = Path(out)
    cards = collect(
        out,
        submissions=submissions,
        execute=execute,
        slides=slides,
    )
    page = out / _PAGE
    _write_atomic(page, gallery_markdown(cards).encode("utf-8"))
    return page
