"""Organisers' command line: ``python -m paygap_utils.organisers <command>``.

Commands
--------
refresh  download the current files, re-pin them and write an updated data_manifest.json
gallery  run the entries and write the gallery: a page of cards, with the entries and slides

What attendees and teams type is in ``python -m paygap_utils`` (:mod:`paygap_utils.cli`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run

__all__ = ["main", "build_parser"]


def _refresh(args: argparse.Namespace) -> int:
    from ..data.manifest import read_manifest
    from .refresh import refresh_manifest, write_manifest

    current = read_manifest(args.manifest) if args.manifest else read_manifest()
    updated, changes = refresh_manifest(
        current,
        args.dest,
        from_url=args.from_url,
        publish_url=args.publish_url,
        progressbar=not args.quiet,
    )
    print("\n".join(changes))
    write_manifest(updated, args.output)
    print(f"Wrote {args.output}. Files are in {args.dest}.")
    if not args.publish_url and any("changed" in line for line in changes):
        print(
            "Changed files now point at the URL they were downloaded from, which can change "
            "again. Publish the files somewhere that never changes (see docs/organisers.md) and "
            "run again with --publish-url.",
            file=sys.stderr,
        )
    return 0


def _gallery(args: argparse.Namespace) -> int:
    from .gallery import write_gallery

    page = write_gallery(
        args.out, submissions=args.submissions, slides=not args.no_slides, home=args.home
    )
    print(f"Wrote {page}: open it in a browser (the entries, figures and slides are beside it).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m paygap_utils.organisers``."""
    parser = argparse.ArgumentParser(
        prog="python -m paygap_utils.organisers",
        description="Organisers' tools: re-pin the data, build the gallery of entries.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    refresh = commands.add_parser("refresh", help="re-download and re-pin the data")
    refresh.set_defaults(run=_refresh)
    refresh.add_argument("--dest", type=Path, required=True, help="folder to download into")
    refresh.add_argument(
        "--output",
        type=Path,
        default=Path("data_manifest.json"),
        help="manifest to write (default: ./data_manifest.json)",
    )
    refresh.add_argument(
        "--manifest", type=Path, help="manifest to start from (default: installed)"
    )
    refresh.add_argument("--from-url", help="download from this base URL instead of the service")
    refresh.add_argument(
        "--publish-url",
        help="base URL where you will publish the files; changed entries point there",
    )
    refresh.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    gallery = commands.add_parser("gallery", help="run the entries and write the gallery page")
    gallery.set_defaults(run=_gallery)
    gallery.add_argument("--out", type=Path, help="folder to write (default: _build/gallery)")
    gallery.add_argument(
        "--submissions", type=Path, help="the submissions folder (default: the repository's)"
    )
    gallery.add_argument("--home", help="address of a page to link back to (the site's)")
    gallery.add_argument("--no-slides", action="store_true", help="skip the slides")
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
