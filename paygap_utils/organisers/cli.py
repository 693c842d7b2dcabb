"""Organisers' command line: ``python -m paygap_utils.organisers <command>``.

``refresh`` re-pins the data (a new data_manifest.json); ``gallery`` runs the entries and
writes the gallery. What attendees and teams type is ``python -m paygap_utils``
(:mod:`paygap_utils.cli`), whose parser and runner these commands share.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import _SUBMISSIONS, _parser, run

__all__ = ["main", "build_parser"]


def _refresh(dest: Path, output: Path, manifest: Path | None, quiet: bool, **urls: str) -> None:
    from ..data.manifest import read_manifest
    from .refresh import refresh_manifest, write_manifest

    current = read_manifest(manifest) if manifest else read_manifest()
    # urls: --from-url and --publish-url, passed on by their names
    updated, changes = refresh_manifest(current, dest, progressbar=not quiet, **urls)
    print("\n".join(changes))
    write_manifest(updated, output)
    print(f"Wrote {output}. Files are in {dest}.")
    if not urls["publish_url"] and any("changed" in line for line in changes):
        print(
            "Changed files now point at the URL they were downloaded from, which can change "
            "again. Publish the files somewhere that never changes (see docs/organisers.md) and "
            "run again with --publish-url.",
            file=sys.stderr,
        )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m paygap_utils.organisers``.

    Examples
    --------
    >>> from paygap_utils.organisers.cli import build_parser
    >>> build_parser().parse_args(["gallery", "--no-slides"]).slides
    False
    """
    parser, command = _parser(
        "python -m paygap_utils.organisers",
        "Organisers' tools: re-pin the data, build the gallery of entries.",
    )
    refresh = command("refresh", _refresh, "re-download and re-pin the data")
    refresh.add_argument("--dest", type=Path, required=True, help="folder to download into")
    refresh.add_argument(
        "--output", type=Path, default=Path("data_manifest.json"), help="default: ./%(default)s"
    )
    refresh.add_argument(
        "--manifest", type=Path, help="manifest to start from (default: installed)"
    )
    refresh.add_argument("--from-url", help="download from this base URL instead of the service")
    refresh.add_argument("--publish-url", help="where you will publish the files (base URL)")
    refresh.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    gallery = command(
        "gallery",
        "paygap_utils.organisers.gallery:write_gallery",
        "run the entries and write the gallery page",
        done="Wrote {}: open it in a browser (the entries, figures and slides are beside it).",
    )
    gallery.add_argument("--out", type=Path, help="folder to write (default: _build/gallery)")
    gallery.add_argument("--submissions", type=Path, help=_SUBMISSIONS)
    gallery.add_argument("--home", help="address of a page to link back to (the site's)")
    gallery.add_argument("--no-slides", dest="slides", action="store_false", help="skip the slides")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m paygap_utils.organisers``; return the exit status.

    Errors are one message and exit status 2, as in :func:`paygap_utils.cli.run`.

    Examples
    --------
    >>> from paygap_utils.organisers.cli import main
    >>> main(["refresh", "--dest", "files", "--from-url", "ftp://example.org/"])
    2
    """
    return run(build_parser(), argv)
