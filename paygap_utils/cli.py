"""The command line: ``python -m paygap_utils <command>`` (or ``paygap <command>``).

What attendees and teams type (``--help`` lists the commands); organisers' commands are in
``python -m paygap_utils.organisers`` (:mod:`paygap_utils.organisers.cli`). A command calls
the function of the module that does the work, by the names of its arguments.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import PaygapError

__all__ = ["main", "build_parser", "run"]

_SUBMISSIONS = "the submissions folder (default: the repository's)"


def _fetch(years: list[str], quiet: bool) -> None:
    from .data.fetch import data_dir, fetch
    from .data.loader import load
    from .data.manifest import read_manifest

    manifest = read_manifest()
    entries = manifest.select(years or None)
    print(
        f"Data: {len(entries)} file(s), {sum(e.size for e in entries) / 1e6:.0f} MB, "
        f"in {data_dir()} (downloaded once, then checked against data_manifest.json)."
    )
    # Progress bars only on a terminal: in a log, each redraw would be a line of its own.
    paths = fetch(years or None, progressbar=not quiet and sys.stderr.isatty())
    for year, path in paths.items():
        print(f"{manifest.file(year).label}  ok  {path}")
    if not years:
        table = load(progressbar=False, columns=["year"])
        print(f"Cleaned table cached: {len(table):,} rows for {table['year'].nunique()} years.")


def _verify(years: list[str]) -> int:
    from .data.fetch import verify

    statuses = verify(years or None)
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


def _list() -> None:
    from .data.fetch import data_dir
    from .data.manifest import read_manifest, year_label

    manifest, folder = read_manifest(), data_dir()
    print(
        f"{'year':<8} {'MB':>5} {'rows':>7}  {'as of':<10} {'days after deadline':>19}  "
        f"{'layout':<22} downloaded"
    )
    for f in manifest.files:
        there = "yes" if (folder / f.file_name).is_file() else "no"
        print(
            f"{f.label:<8} {f.size / 1e6:>5.1f} {f.rows:>7,}  {f.as_of:<10} "
            f"{f.days_after_deadline:>19,}  {f.layout:<22} {there}"
        )
    for year, notes in manifest.gaps.items():
        print(f"{year_label(year):<8} missing: {notes}")
    print(f"Data folder: {folder}")


def _export(path: Path | None, fmt: str | None, force: bool, print_path: bool, quiet: bool) -> None:
    from .organisers.export import columns_path, ensure_export, export

    if path is None:
        path = ensure_export(fmt or "csv", progressbar=not (quiet or print_path))
        print(path if print_path else f"Export ({fmt or 'csv'}) up to date: {path}")
        return
    from .data.loader import load

    path = export(load(progressbar=not quiet), path, fmt, force=force)
    print(f"Wrote {path}.")
    if path.suffix == ".csv":
        print(f"Column names, kinds and meanings: {columns_path(path)}")


def _github_annotation(path: str, message: str) -> str:
    # GitHub's workflow-command escaping, so a message cannot start a command of its own.
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    return f"::error file={escape(path).replace(',', '%2C').replace(':', '%3A')}::{escape(message)}"


def _check_entry(
    paths: list[Path], submissions: Path | None, run_notebooks: bool, requirements_out: Path | None
) -> int:
    from ._files import write_file
    from .organisers.submissions import check_entry, entry_folders, read_team, run_entry

    folders = entry_folders(paths or None, root=submissions)
    if not folders:
        print("No entry folders to check (nothing under submissions/ was given or changed).")
    failed, requirements = 0, set()
    for folder in folders:
        # Paths relative to the repository, so GitHub puts each annotation on its file.
        if folder.is_relative_to(Path.cwd()):
            folder = folder.relative_to(Path.cwd())
        problems = check_entry(folder)
        if not problems and run_notebooks:
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
                if os.environ.get("GITHUB_ACTIONS") == "true":
                    print(_github_annotation(problem.split(": ", 1)[0], problem))
            continue
        print(f"{folder}: ok{' (the notebook ran to the end)' if run_notebooks else ''}")
        requirements.update(read_team(folder).requirements)
    if requirements_out:
        write_file(requirements_out, "".join(f"{r}\n" for r in sorted(requirements)))
    if failed:
        print(
            f"{failed} of {len(folders)} entr{'y' if len(folders) == 1 else 'ies'} to fix; "
            "each line above says how.",
            file=sys.stderr,
        )
        return 2
    return 0


def _parser(prog: str, description: str) -> tuple[argparse.ArgumentParser, Callable]:
    """A parser, and a function that adds a command to it.

    A command runs ``run``, a function or ``"module:function"`` (imported when the command
    runs), with the arguments by their names (``dest``). With ``done``, it then prints
    ``done.format(result)``; without, an integer result is the exit status. ``errors`` are
    the exceptions that ``run`` raises for a user's mistake, beside the package's own.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="command")

    def command(name: str, run: str | Callable, help: str, done: str = "", errors: tuple = ()):
        sub = subparsers.add_parser(name, help=help, description=help)
        sub.set_defaults(_run=(run, done, errors))
        return sub

    return parser, command


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m paygap_utils``.

    Examples
    --------
    >>> from paygap_utils.cli import build_parser
    >>> build_parser().parse_args(["export", "--format", "csv"]).fmt
    'csv'
    """
    parser, command = _parser(
        "python -m paygap_utils",
        "Fetch, check and describe the UK Gender Pay Gap data. Organisers' commands: "
        "python -m paygap_utils.organisers.",
    )
    fetch = command("fetch", _fetch, "download and verify the data, build the cache")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    fetch.add_argument("years", nargs="*", help="e.g. 2021 or 2021-22 (default: all years)")
    verify = command("verify", _verify, "re-hash the downloaded files")
    verify.add_argument("years", nargs="*", help="years to check (default: all)")
    command("list", _list, "years, sizes, as-of dates, downloaded or not")
    doctor = command("doctor", "paygap_utils.doctor:doctor", "check this set-up and report")
    doctor.add_argument(
        "--offline", dest="check_network", action="store_false", help="skip the network check"
    )

    export = command("export", _export, "write the cleaned table as CSV (for R), parquet or SQLite")
    export.description = (
        "Write the cleaned table to PATH, or without PATH to the data folder's paygap-export/, "
        "rewritten there when out of date (--print-path: then print only where, for scripts "
        "and R). A file already at PATH is replaced only with --force."
    )
    export.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    formats = ["csv", "parquet", "sqlite"]
    export.add_argument("--format", dest="fmt", choices=formats, help="default: PATH's, or csv")
    export.add_argument("--force", action="store_true", help="replace PATH if it is there")
    where = export.add_mutually_exclusive_group()
    where.add_argument("path", type=Path, nargs="?", help="file to write (default: data folder)")
    where.add_argument("--print-path", action="store_true", help="print only the export's path")

    datasette = command(
        "datasette",
        "paygap_utils.organisers.datasette:serve",
        "browse the table in Datasette (search, facets, SQL) in the browser",
    )
    datasette.add_argument("-q", "--quiet", dest="progressbar", action="store_false")
    datasette.add_argument("--port", type=int, default=8001, help="default: 8001")
    datasette.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this computer)")
    datasette.add_argument("--base-url", default="/", help="path prefix behind a proxy")
    datasette.add_argument("--database", type=Path, help="SQLite file (default: data folder's)")

    slides = command(
        "slides",
        "paygap_utils.organisers.slides:to_slides",
        "a notebook as slides that work offline",
        done="Wrote {}: open it in a browser (no internet needed); F for full screen.",
        errors=(FileNotFoundError, ImportError),
    )
    slides.add_argument("notebook", type=Path, help="the saved notebook, run with its outputs")
    slides.add_argument("-o", "--output", type=Path, help="default: <notebook>.slides.html")
    slides.add_argument("--show-code", action="store_true", help="put the code on the slides too")
    slides.add_argument("--force", dest="overwrite", action="store_true", help="replace OUTPUT")

    team = command(
        "new-team",
        "paygap_utils.organisers.submissions:new_team",
        "create submissions/<team-slug>/ for a team",
        done="Created {0}/ with {0.name}.ipynb and team.yml.\nNext: fill in team.yml, work in "
        "the notebook, then check the entry with `python -m paygap_utils check-entry {0}` and "
        "open a pull request (docs/organisers.md, section 'Results').",
    )
    team.add_argument("name", help='the team\'s name, e.g. "The Quartiles"')
    team.add_argument("--members", nargs="+", help="display names or GitHub handles")
    team.add_argument("--title", help="the entry's title")
    team.add_argument("--question", help="the question the entry answers")
    team.add_argument("--licence", default="CC-BY-4.0", help="licence of the work (SPDX id)")
    team.add_argument("--slug", help="folder name (default: made from the name)")
    team.add_argument("--submissions", type=Path, help=_SUBMISSIONS)

    check = command("check-entry", _check_entry, "check entries before a pull request")
    check.add_argument("paths", nargs="*", type=Path, help="entry folders or files (default: all)")
    check.add_argument("--submissions", type=Path, help=_SUBMISSIONS)
    check.add_argument(
        "--run", action="store_true", dest="run_notebooks", help="then run each entry's notebook"
    )
    check.add_argument("--requirements-out", type=Path, help="write their extra packages here")
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv`` with ``parser`` and run the command chosen; return the exit status.

    The package's own errors (:class:`~paygap_utils.errors.PaygapError`: every mistake a
    user can make and fix), a file it will not write over, and the other mistakes a
    command names are printed as one message with the next step, exit status 2,
    without a traceback. Anything else is a bug and keeps its traceback, so that it gets
    reported.
    """
    arguments = vars(parser.parse_args(argv))
    function, done, errors = arguments.pop("_run")
    del arguments["command"]
    if isinstance(function, str):
        function = pkgutil.resolve_name(function)
    try:
        result = function(**arguments)
    except (PaygapError, FileExistsError, *errors) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130
    if done:
        print(done.format(result))
        return 0
    return result if isinstance(result, int) else 0


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m paygap_utils``; return the exit status (see :func:`run`).

    Examples
    --------
    >>> from paygap_utils.cli import main
    >>> main(["verify", "2031"])
    2
    """
    return run(build_parser(), argv)
