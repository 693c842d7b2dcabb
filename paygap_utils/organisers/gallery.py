"""The gallery: one card per hackathon entry, a page that opens from disk and on the site.

``python -m paygap_utils gallery`` checks and runs every entry and writes one folder
(default ``_build/gallery``): ``gallery.html``, a card per entry (title, team, members,
question, licence, first figure) from the autoescaping jinja2 template
``templates/gallery.html.j2``; ``entries/<slug>.html`` and ``.ipynb``, the entry as it ran
(its own HTML outputs published as they are: reviewers read them before merging);
``thumbnails/<slug>.png``; ``slides/<slug>.html``. ``bash scripts/site`` copies the folder
into the site as it is. It is built beside its place and renamed in, so a failure leaves
the previous gallery (or nothing); an existing folder is replaced only if the gallery made it.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import TEMPORARY_SUFFIX, write_file
from .slides import TEMPLATES, _deck_html
from .submissions import (
    SubmissionError,
    Team,
    entry_folders,
    find_submissions_dir,
    read_team,
    run_entry,
)

__all__ = ["Card", "write_gallery", "MARKER"]

#: The file that marks a folder as the gallery's own, so that it may be replaced.
MARKER = ".paygap-gallery"
_WIDGET = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Card:
    """One entry as the gallery shows it: its ``team.yml``, and whether it has a figure, slides."""

    team: Team
    thumbnail: bool
    slides: bool


def _first_figure(notebook: Any) -> bytes | None:
    """The first PNG a code cell of an executed notebook displays."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
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


def _entry_html(notebook: Any, folder: Path) -> str:
    """The executed entry as one HTML page, its images inside and no script from the network."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="offline_entry", extra_template_basedirs=[str(TEMPLATES)], embed_images=True
    )
    resources = {"metadata": {"name": folder.name, "path": str(folder)}}
    return exporter.from_notebook_node(notebook, resources=resources)[0]


def _card(folder: Path, staging: Path, slides: bool) -> Card:
    """Check and run one entry; write its pages, thumbnail and slides into ``staging``."""
    import nbformat

    team = read_team(folder)
    print(f"Running {folder.name}'s notebook ...", flush=True)
    notebook = _without_progress(run_entry(folder))
    slug = team.slug
    write_file(staging / "entries" / f"{slug}.ipynb", nbformat.writes(notebook))
    write_file(staging / "entries" / f"{slug}.html", _entry_html(notebook, folder))
    png = _first_figure(notebook)
    if png is not None:
        write_file(staging / "thumbnails" / f"{slug}.png", png)
    if slides:
        deck = _deck_html(notebook, slug, show_code=False, where=f"{folder}/{slug}.ipynb")
        write_file(staging / "slides" / f"{slug}.html", deck)
    return Card(team=team, thumbnail=png is not None, slides=slides)


def _render(cards: list[Card], home: str | None) -> str:
    from jinja2 import Environment, FileSystemLoader

    # autoescape: every value a team wrote is escaped for the HTML text or attribute it is in.
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return environment.get_template("gallery.html.j2").render(cards=cards, home=home)


def _check_ours(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not (out / MARKER).is_file()):
        raise SubmissionError(
            f"{out} exists and was not made by the gallery command, so it was left alone. "
            "Move it away, or pass another --out folder."
        )


def write_gallery(
    out: str | Path | None = None,
    *,
    submissions: str | Path | None = None,
    slides: bool = True,
    home: str | None = None,
) -> Path:
    """Check and run every entry, and write the gallery folder; return its ``gallery.html``.

    ``out`` defaults to ``_build/gallery`` beside ``submissions`` (the repository's by
    default); ``slides`` exports each entry's deck; ``home`` is a page to link back to.
    :class:`~.submissions.SubmissionError`, and nothing written, when an entry fails its
    check or its run (the message names the file and cell) or ``out`` is not the gallery's.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.organisers.gallery import write_gallery
    >>> empty = Path(tempfile.mkdtemp()) / "submissions"
    >>> empty.mkdir()
    >>> page = write_gallery(submissions=empty)
    >>> page.relative_to(empty.parent).as_posix(), "No entries yet" in page.read_text()
    ('_build/gallery/gallery.html', True)
    """
    root = Path(submissions) if submissions is not None else find_submissions_dir()
    if not root.is_dir():
        raise SubmissionError(
            f"{root} does not exist: there are no entries to show. Create one with "
            '`python -m paygap_utils new-team "Team name"`, or pass --submissions.'
        )
    out = Path(out) if out is not None else root.parent / "_build" / "gallery"
    _check_ours(out)
    made = [folder for folder in (out.parent, *out.parent.parents) if not folder.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.", suffix=TEMPORARY_SUFFIX, dir=out.parent)
    )
    try:
        cards = [_card(folder, staging, slides) for folder in entry_folders(root=root)]
        write_file(staging / "gallery.html", _render(cards, home))
        write_file(staging / MARKER, "Written by the gallery command, which replaces it.\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp's folder is private; the gallery is not
        old = staging.with_name(staging.name + ".old")
        if out.exists():
            _check_ours(out)
            os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # the folders made for the gallery, innermost first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return out / "gallery.html"
