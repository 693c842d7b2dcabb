"""The gallery: one card per hackathon entry, a page that opens from disk and on the site.

``python -m paygap_utils.organisers gallery`` writes ``gallery.html`` (autoescaped jinja2:
``templates/gallery.html.j2``), ``entries/<slug>.html`` and ``.ipynb`` as run (their own HTML
outputs published as they are: reviewers read them before merging), ``thumbnails/<slug>.png``
and ``slides/<slug>.html``.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from .._files import TEMPORARY_SUFFIX, write_file
from .slides import TEMPLATES, _deck_html
from .submissions import SubmissionError, entry_folders, find_submissions_dir, read_team, run_entry

__all__ = ["MARKER", "write_gallery"]

#: The file that marks a folder as the gallery's own, so that it may be replaced.
MARKER = ".paygap-gallery"


def _card(folder: Path, staging: Path, slides: bool) -> dict[str, Any]:
    """Check and run one entry; write its pages, thumbnail and slides into ``staging``."""
    import nbformat
    from nbconvert import HTMLExporter

    team = read_team(folder)
    print(f"Running {folder.name}'s notebook ...", flush=True)
    notebook, slug, png = run_entry(folder), team.slug, None
    # Download progress bars and warnings are not the entry.
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            widget = "application/vnd.jupyter.widget-view+json"
            cell.outputs = [
                output
                for output in cell.outputs
                if output.get("name") != "stderr" and widget not in output.get("data", {})
            ]
            for output in cell.outputs:
                if png is None and "image/png" in output.get("data", {}):
                    png = base64.b64decode(output.data["image/png"])  # the thumbnail
    write_file(staging / "entries" / f"{slug}.ipynb", nbformat.writes(notebook))
    # The entry as one HTML page, its images inside and no script from the network.
    exporter = HTMLExporter(
        template_name="offline_entry", extra_template_basedirs=[str(TEMPLATES)], embed_images=True
    )
    resources = {"metadata": {"name": slug, "path": str(folder)}}
    html = exporter.from_notebook_node(notebook, resources=resources)[0]
    write_file(staging / "entries" / f"{slug}.html", html)
    if png is not None:
        write_file(staging / "thumbnails" / f"{slug}.png", png)
    if slides:
        deck = _deck_html(notebook, slug, show_code=False, where=f"{folder}/{slug}.ipynb")
        write_file(staging / "slides" / f"{slug}.html", deck)
    return {"team": team, "thumbnail": png is not None, "slides": slides}


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
    default); ``slides`` exports each entry's deck; ``home`` is a page to link back to. The
    folder is built beside ``out`` and renamed into place, and replaces only a gallery:
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
    from jinja2 import Environment, FileSystemLoader

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
    staging = out.parent / f".{out.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
    staging.mkdir()
    try:
        cards = [_card(folder, staging, slides) for folder in entry_folders(root=root)]
        # autoescape: every value a team wrote is escaped for the HTML text or attribute it is in.
        environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
        page = environment.get_template("gallery.html.j2").render(cards=cards, home=home)
        write_file(staging / "gallery.html", page)
        write_file(staging / MARKER, "Written by the gallery command, which replaces it.\n")
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
