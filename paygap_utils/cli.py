"""The command line: ``python -m paygap_utils <command>`` (or ``paygap <command>``).

Commands
--------
fetch    download and verify the data files, and build the cleaned table (what ``postBuild`` runs)
verify   re-hash the downloaded files; ``--remote`` re-downloads them to check the pinned URLs
list     years, sizes, rows, as-of dates, and whether each file is downloaded
doctor   versions, memory, data folder and free space, network, the state of each file
refresh  for organisers: download the current files and write an updated manifest
sqlite   write the cleaned table to a SQLite database file (with full-text search), for SQL users
export   write the cleaned table as CSV (for R), parquet or SQLite; ``--print-path`` for scripts
datasette  browse the table in Datasette: search, facets, SQL, in the browser
slides   a notebook as one HTML slide deck that works with no network (reveal.js inside)
new-team     create submissions/<team-slug>/ from the team template, with its team.yml
check-entry  check entries before a pull request (files, team.yml, outputs); --run runs them too
gallery      run the entries and write the gallery: a page of cards, with the entries and slides
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PaygapError

__all__ = ["main", "build_parser"]


def _fetch(args: argparse.Namespace) -> int:
    from .data.download import fetch
    from .data.loader import load
    from .data.manifest import read_manifest
    from .data.settings import data_dir

    manifest = read_manifest()
    entries = manifest.select(args.years or None)
    print(
        f"Data: {len(entries)} file(s), {sum(e.size for e in entries) / 1e6:.0f} MB, "
        f"in {data_dir()} (downloaded once, then checked against data_manifest.json)."
    )
    # Progress bars only on a terminal: in a log, each redraw would be a line of its own.
    paths = fetch(args.years or None, progressbar=not args.quiet and sys.stderr.isatty())
    for year, path in paths.items():
        print(f"{manifest.file(year).label}  ok  {path}")
    if not args.years:
        table = load(progressbar=False, columns=["year"])
        print(f"Cleaned table cached: {len(table):,} rows for {table['year'].nunique()} years.")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .data.download import check_remote, verify

    statuses = check_remote(args.years or None) if args.remote else verify(args.years or None)
    for status in statuses:
        print(f"{status.entry.label}  {status.status}")
        if status.message:
            print(f"    {status.message}")
    bad = [s for s in statuses if s.status != "ok"]
    if bad:
        print(f"{len(bad)} of {len(statuses)} file(s) failed the check.", file=sys.stderr)
        return 1
    print(f"All {len(statuses)} file(s) match data_manifest.json.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from .data.download import cached_years
    from .data.manifest import read_manifest, year_label
    from .data.settings import data_dir

    manifest = read_manifest()
    cached = set(cached_years(manifest=manifest))
    print(
        f"{'year':<8} {'MB':>5} {'rows':>7}  {'as of':<10} {'days after deadline':>19}  "
        f"{'layout':<22} downloaded"
    )
    for f in manifest.files:
        print(
            f"{f.label:<8} {f.size / 1e6:>5.1f} {f.rows:>7,}  {f.as_of:<10} "
            f"{f.days_after_deadline:>19,}  {f.layout:<22} {'yes' if f.year in cached else 'no'}"
        )
    for year, notes in manifest.gaps.items():
        print(f"{year_label(year):<8} missing: {notes}")
    print(f"Data folder: {data_dir()}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor

    doctor(check_network=not args.offline)
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from .data.manifest import read_manifest
    from .organisers.refresh import refresh_manifest, write_manifest

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


def _sqlite(args: argparse.Namespace) -> int:
    from .data.loader import load
    from .organisers.export import to_sqlite

    path = to_sqlite(load(progressbar=not args.quiet), args.path, force=args.force)
    print(f"Wrote {path}.")
    print(f"Try: sqlite3 {path} 'SELECT year, COUNT(*) FROM paygap GROUP BY year'")
    print(f"  or: python -m paygap_utils datasette --database {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .organisers.export import columns_path, ensure_export, export

    if args.path is None:
        fmt = args.format or "csv"
        path = ensure_export(fmt, progressbar=not (args.quiet or args.print_path))
        print(path if args.print_path else f"Export ({fmt}) up to date: {path}")
        return 0
    if args.print_path:
        raise ValueError(
            "--print-path prints where the default export is; leave out PATH to use it."
        )
    from .data.loader import load

    path = export(load(progressbar=not args.quiet), args.path, args.format, force=args.force)
    print(f"Wrote {path}.")
    if columns_path(path).is_file() and (args.format or path.suffix.lower()[1:]) == "csv":
        print(f"Column names, kinds and meanings: {columns_path(path)}")
    return 0


def _datasette(args: argparse.Namespace) -> int:
    from .organisers.datasette import serve

    serve(args.port, args.host, args.base_url, args.database, progressbar=not args.quiet)
    return 0


def _slides(args: argparse.Namespace) -> int:
    from .organisers.slides import to_slides

    try:
        path = to_slides(args.notebook, args.output, show_code=args.show_code, overwrite=args.force)
    except (FileNotFoundError, FileExistsError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {path}: open it in a browser (no internet needed); F for full screen.")
    return 0


def _new_team(args: argparse.Namespace) -> int:
    from .organisers.submissions import new_team

    folder = new_team(
        args.name,
        members=args.members,
        title=args.title,
        question=args.question,
        licence=args.licence,
        slug=args.slug,
        submissions=args.submissions,
    )
    print(f"Created {folder}/ with {folder.name}.ipynb and team.yml.")
    print(
        "Next: fill in team.yml, work in the notebook, then check the entry with "
        f"`python -m paygap_utils check-entry {folder}` and open a pull request "
        "(docs/organisers.md, section 'Results')."
    )
    return 0


def _github_annotation(path: str, message: str) -> str:
    # GitHub's workflow-command escaping, so a message cannot start a command of its own.
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    return f"::error file={escape(path).replace(',', '%2C').replace(':', '%3A')}::{escape(message)}"


def _check_entry(args: argparse.Namespace) -> int:
    import os

    from ._files import write_file
    from .organisers.submissions import check_entry, entry_folders, read_team, run_entry

    folders = entry_folders(args.paths or None, root=args.submissions)
    if not folders:
        print("No entry folders to check (nothing under submissions/ was given or changed).")
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    failed, requirements = 0, set()
    for folder in folders:
        # Paths relative to the repository, so GitHub puts each annotation on its file.
        if folder.is_relative_to(Path.cwd()):
            folder = folder.relative_to(Path.cwd())
        problems = check_entry(folder)
        if not problems and args.run_notebooks:
            print(f"{folder}: checked; running its notebook ...", flush=True)
            try:
                run_entry(folder)
            except PaygapError as exc:
                problems = [str(exc)]
        if problems:
            failed += 1
            print(f"{folder}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  - {problem}")
                if annotate:
                    print(_github_annotation(problem.split(": ", 1)[0], problem))
            continue
        print(f"{folder}: ok{' (the notebook ran to the end)' if args.run_notebooks else ''}")
        requirements.update(read_team(folder).requirements)
    if args.requirements_out:
        write_file(args.requirements_out, "".join(f"{r}\n" for r in sorted(requirements)))
    if failed:
        print(
            f"{failed} of {len(folders)} entr{'y' if len(folders) == 1 else 'ies'} to fix; "
            "each line above says how.",
            file=sys.stderr,
        )
        return 2
    return 0


def _gallery(args: argparse.Namespace) -> int:
    from .organisers.gallery import write_gallery

    page = write_gallery(
        args.out, submissions=args.submissions, slides=not args.no_slides, home=args.home
    )
    print(f"Wrote {page}: open it in a browser (the entries, figures and slides are beside it).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m paygap_utils``."""
    parser = argparse.ArgumentParser(
        prog="python -m paygap_utils",
        description="Fetch, check and describe the UK Gender Pay Gap data.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    fetch = commands.add_parser("fetch", help="download and verify the data, build the cache")
    fetch.add_argument("years", nargs="*", help="e.g. 2021 or 2021-22 (default: all years)")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    fetch.set_defaults(run=_fetch)

    verify = commands.add_parser("verify", help="re-hash the downloaded files")
    verify.add_argument("years", nargs="*", help="years to check (default: all)")
    verify.add_argument(
        "--remote",
        action="store_true",
        help="download every pinned URL afresh and check it (the cache is untouched)",
    )
    verify.set_defaults(run=_verify)

    listing = commands.add_parser("list", help="years, sizes, as-of dates, downloaded or not")
    listing.set_defaults(run=_list)

    doctor = commands.add_parser("doctor", help="check this set-up and report")
    doctor.add_argument("--offline", action="store_true", help="skip the network check")
    doctor.set_defaults(run=_doctor)

    refresh = commands.add_parser("refresh", help="organisers: re-download and re-pin the data")
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
    refresh.set_defaults(run=_refresh)

    force_help = "replace PATH even if paygap_utils did not write it"
    sqlite = commands.add_parser(
        "sqlite", help="write the cleaned table to a SQLite file, with full-text search"
    )
    sqlite.add_argument("path", type=Path, nargs="?", default=Path("paygap.sqlite"))
    sqlite.add_argument("--force", action="store_true", help=force_help)
    sqlite.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sqlite.set_defaults(run=_sqlite)

    export = commands.add_parser(
        "export",
        help="write the cleaned table as CSV (for R), parquet or SQLite",
        description=(
            "Write the cleaned table to PATH, or without PATH to the data folder's "
            "paygap-export/ (rewritten only when out of date). An existing PATH is replaced "
            "only if paygap_utils wrote it, unless --force."
        ),
    )
    export.add_argument("path", type=Path, nargs="?", help="file to write (default: data folder)")
    export.add_argument(
        "--format",
        choices=["csv", "parquet", "sqlite"],
        help="default: from PATH's suffix, csv without PATH",
    )
    export.add_argument("--force", action="store_true", help=force_help)
    export.add_argument(
        "--print-path",
        action="store_true",
        help="write the default export if needed and print only its path (for scripts and R)",
    )
    export.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    export.set_defaults(run=_export)

    datasette = commands.add_parser(
        "datasette", help="browse the table in Datasette (search, facets, SQL) in the browser"
    )
    datasette.add_argument("--port", type=int, default=8001, help="default: 8001")
    datasette.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this computer)")
    datasette.add_argument("--base-url", default="/", help="path prefix behind a proxy")
    datasette.add_argument(
        "--database", type=Path, help="a SQLite export to serve (default: the data folder's)"
    )
    datasette.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    datasette.set_defaults(run=_datasette)

    slides = commands.add_parser("slides", help="a notebook as slides that work offline")
    slides.add_argument("notebook", type=Path, help="the saved notebook, run with its outputs")
    slides.add_argument(
        "-o", "--output", type=Path, help="HTML file to write (default: <notebook>.slides.html)"
    )
    slides.add_argument("--show-code", action="store_true", help="put the code on the slides too")
    slides.add_argument("--force", action="store_true", help="replace OUTPUT even if not a deck")
    slides.set_defaults(run=_slides)

    team = commands.add_parser("new-team", help="create submissions/<team-slug>/ for a team")
    team.add_argument("name", help='the team\'s name, e.g. "The Quartiles"')
    team.add_argument("--members", nargs="+", help="display names or GitHub handles")
    team.add_argument("--title", help="the entry's title")
    team.add_argument("--question", help="the question the entry answers")
    team.add_argument("--licence", default="CC-BY-4.0", help="licence of the work (SPDX id)")
    team.add_argument("--slug", help="folder name (default: made from the name)")
    team.add_argument(
        "--submissions", type=Path, help="the submissions folder (default: the repository's)"
    )
    team.set_defaults(run=_new_team)

    check = commands.add_parser("check-entry", help="check entries before a pull request")
    check.add_argument(
        "paths", nargs="*", type=Path, help="entry folders or files in them (default: all)"
    )
    check.add_argument(
        "--submissions", type=Path, help="the submissions folder (default: the repository's)"
    )
    check.add_argument(
        "--run",
        action="store_true",
        dest="run_notebooks",
        help="then run each entry's notebook from top to bottom",
    )
    check.add_argument("--requirements-out", type=Path, help="write their extra packages here")
    check.set_defaults(run=_check_entry)

    gallery = commands.add_parser("gallery", help="run the entries and write the gallery page")
    gallery.add_argument("--out", type=Path, help="folder to write (default: _build/gallery)")
    gallery.add_argument(
        "--submissions", type=Path, help="the submissions folder (default: the repository's)"
    )
    gallery.add_argument("--home", help="address of a page to link back to (the site's)")
    gallery.add_argument("--no-slides", action="store_true", help="skip the slides")
    gallery.set_defaults(run=_gallery)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    The package's own errors (:class:`~paygap_utils.errors.PaygapError`: every
    mistake a user can make and fix) are printed as one message with the next
    step, exit status 2, without a traceback. Anything else is a bug and keeps
    its traceback, so that it gets reported.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PaygapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
