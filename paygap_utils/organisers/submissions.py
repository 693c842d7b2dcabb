"""Hackathon entries: one folder per team under ``submissions/``, made the same way and checked.

An entry, ``submissions/<team-slug>/``, holds ``<team-slug>.ipynb``, ``team.yml`` (its JSON
Schema: ``team.schema.json``), and its slides and images. It is data until a person has looked:
:func:`check_entry` runs, imports and follows nothing in it. Commands: ``new-team``,
``check-entry [--run]``; reading ``team.yml`` needs the ``submissions`` extra.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import write_file
from ..errors import PaygapError
from ..notebook_cells import CHECK_MARKER, cell_source, is_checked_cell, is_setup_cell

__all__ = [
    "SubmissionError",
    "Team",
    "check_entry",
    "entry_folders",
    "find_submissions_dir",
    "new_team",
    "read_team",
    "run_entry",
    "team_schema",
]

_SLUG = re.compile(r"^(?=.{1,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$")
_SLUG_RULE = "lower case letters, digits and single hyphens, at most 40, e.g. team-blue"
#: What ``new-team`` writes where a value was not given; the schema refuses it.
_PLACEHOLDERS = ("Your title here", "Your name or handle", "Your question here")
#: The largest file of each kind an entry may hold (bytes), checked before anything is read.
_MAX_BYTES = {"notebook": 1_000_000, "team.yml": 16_000, "slides": 5_000_000, "image": 2_000_000}
#: Image suffixes and the format Pillow must find inside; the largest image in pixels.
_IMAGES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
_MAX_PIXELS = 4096 * 4096
#: Files that change how Python or the tests run (and any ``.py`` or ``.pth``).
_CONFIG = {"conftest.py", "pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$")
_REFUSED = {
    "link": "a symbolic link, which the check does not follow: put the file itself there",
    "hidden": "hidden files and folders (like .ipynb_checkpoints/) stay out of entries",
    "config": "files that change how Python or the tests run (conftest.py, pytest.ini, "
    "setup.cfg, tox.ini, pyproject.toml, .pth, any .py) stay out: code goes in the notebook",
    "name": "a name with characters other than letters, digits, ' ', '.', '-' and '_'",
    "other": "not a file an entry can hold: an entry holds only <team-slug>.ipynb, team.yml, "
    "slides (<team-slug>.slides.html or slides.pdf) and images (.png, .jpg, .gif, .webp) side "
    "by side; data stays out (the notebook gets it from paygap_utils.load())",
}
#: What a code cell of an entry may not do, and what to do instead.
_CELL_RULES = {
    "setup": "is the Colab set-up cell but differs from the team template's: copy that cell "
    "back from notebooks/team_template.ipynb",
    "install": "installs packages: remove that line and list the package under requirements "
    "in team.yml (the packages team.schema.json allows are installed for the checks)",
    "checked": f"starts with {CHECK_MARKER}, which compares its output with numbers recorded "
    "for the starter notebooks; an entry has none: delete that line",
    "person": "uses responsible_person, the names of people who signed the returns; entries "
    "are about organisations: leave that column out",
}
#: Words that install packages; ``check-entry`` refuses a cell naming one with "install".
_INSTALLERS = {"pip", "pip3", "pipx", "conda", "mamba", "micromamba", "uv", "poetry", "micropip"}
#: The template's bullet on copying it by hand (and its indented lines): not for an entry.
_COPY_BULLET = re.compile(r"^- \*\*Make your copy\*\*.*(?:\n .*)*\n?", re.MULTILINE)


class SubmissionError(PaygapError, ValueError):
    """An entry folder or its ``team.yml`` is missing, malformed or would be overwritten."""


@dataclass(frozen=True)
class Team:
    """What ``team.yml`` says about an entry."""

    slug: str
    team: str
    title: str
    members: tuple[str, ...]
    question: str
    licence: str
    requirements: tuple[str, ...] = ()


def _template() -> dict[str, Any]:
    """The team template notebook: the one inside the package (a wheel), or the repository's."""
    here = Path(__file__).resolve().parent
    path = here / "team_template.ipynb"
    if not path.is_file():
        path = here.parents[1] / "notebooks" / "team_template.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def team_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``team.yml``.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import team_schema
    >>> team_schema()["required"]
    ['team', 'title', 'members', 'question', 'licence']
    """
    return json.loads((Path(__file__).parent / "team.schema.json").read_text(encoding="utf-8"))


def find_submissions_dir(start: str | Path | None = None) -> Path:
    """Return the ``submissions`` folder of the checkout holding ``start`` (or ``./submissions``).

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import find_submissions_dir
    >>> find_submissions_dir().name
    'submissions'
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks" / "team_template.ipynb").is_file():
            return folder / "submissions"
    return here / "submissions"


def _escape_markdown(text: str) -> str:
    """``text`` on one line with Markdown's and HTML's special characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~:$&])", r"\\\1", " ".join(text.split()))


def _entry_notebook(team: Team) -> dict[str, Any]:
    """The team's notebook: the template, titled for the team, its links leading back to it.

    The ``# NBVAL_CHECK_OUTPUT`` markers go: a team's numbers are its own.
    """
    notebook = _template()
    cells = notebook["cells"]
    team_line, members = _escape_markdown(team.team), ", ".join(map(_escape_markdown, team.members))
    about = (
        f"**Team:** {team_line} · {members}\n\n"
        f"**Question:** {_escape_markdown(team.question)}\n\n"
        f"**Licence:** {team.licence} (the data: Open Government Licence v3.0)"
    )
    # The badges open the template; an entry is opened from the gallery.
    text = re.sub(r"^\[!\[Open In Colab\].*\n?", "", cell_source(cells[0]), flags=re.MULTILINE)
    text = re.sub(r"^\*\*Team:\*\*.*", lambda _: about, text, flags=re.MULTILINE)
    text = f"# {team_line} · {_escape_markdown(team.title)}" + text[text.index("\n") :]
    cells[0]["source"] = re.sub(r"\n{3,}", "\n\n", text).strip("\n").splitlines(keepends=True)
    for cell in cells[1:]:
        text = cell_source(cell)
        if cell["cell_type"] == "markdown":
            text = re.sub(
                r"\]\((?![a-z]+:|#|/|\.\./)([^)\s]+\.ipynb)\)", r"](../../notebooks/\1)", text
            )
            text = _COPY_BULLET.sub("", text).replace("<team-slug>", team.slug)
        elif is_checked_cell(cell):
            text = text.lstrip()[len(CHECK_MARKER) :].lstrip("\n")
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def _team_yml(team: Team) -> str:
    """``team.yml`` for ``team``, with comments saying what each field is for."""

    def quoted(value: str) -> str:  # a JSON string is a double-quoted YAML scalar
        return json.dumps(" ".join(value.split()), ensure_ascii=False)

    schema = team_schema()["properties"]
    members = "\n".join(f"  - {quoted(m)}" for m in team.members)
    requirements = "".join(f"\n  - {r}" for r in team.requirements) or " []"
    return (
        "# team.yml: who made this entry and what it asks. Check it with\n"
        f"#   python -m paygap_utils check-entry submissions/{team.slug}\n"
        "# (the rules are in paygap_utils/organisers/team.schema.json). This file is public:\n"
        "# names or GitHub handles only, no e-mail addresses.\n"
        f"team: {quoted(team.team)}\n"
        f"title: {quoted(team.title)}\n"
        f"members:\n{members}\n"
        f"question: {quoted(team.question)}\n"
        "# The licence of your notebook and slides (the data stays under the Open Government\n"
        f"# Licence v3.0): one of {', '.join(schema['licence']['enum'])}.\n"
        f"licence: {team.licence}\n"
        "# Packages the notebook needs beyond the starter's, from this list only (ask an\n"
        f"# organiser for another): {', '.join(schema['requirements']['items']['enum'])}.\n"
        f"requirements:{requirements}\n"
    )


def new_team(
    name: str,
    *,
    members: list[str] | None = None,
    title: str | None = None,
    question: str | None = None,
    licence: str = "CC-BY-4.0",
    slug: str | None = None,
    submissions: str | Path | None = None,
) -> Path:
    """Create ``submissions/<team-slug>/`` with the team's notebook and ``team.yml``.

    Values not given are placeholders ``check-entry`` refuses until the team fills them in;
    values ``team.yml`` cannot hold are refused. An existing folder is never touched; the
    new one, returned, appears whole or not at all.

    Examples
    --------
    >>> import tempfile
    >>> from paygap_utils.organisers.submissions import new_team
    >>> folder = new_team("Team Blue", submissions=tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['team-blue.ipynb', 'team.yml']
    """
    if slug is None:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].rstrip("-")
    if not slug:
        raise SubmissionError(
            f"The team name {name!r} has no letters or digits to make a folder name from. "
            "Pass one with --slug, e.g. --slug team-blue."
        )
    if not _SLUG.match(slug):
        raise SubmissionError(f"{slug!r} cannot name an entry's folder: use {_SLUG_RULE}.")
    title_, member, question_ = _PLACEHOLDERS
    members, title, question = members or [member], title or title_, question or question_
    values = {"team": name, "title": title, "members": members, "question": question}
    problems = _schema_problems({**values, "licence": licence})
    if problems := [p for p in problems if "placeholder new-team wrote" not in p]:
        raise SubmissionError(f"Nothing was written: {'; '.join(problems)}.")
    root = Path(submissions) if submissions is not None else find_submissions_dir()
    folder = root / slug
    if os.path.lexists(folder):
        raise SubmissionError(
            f"{folder} already exists (an entry, yours or another team's), so nothing was "
            "written: open it, or pick another name or --slug."
        )
    team = Team(slug, name, title, tuple(members), question, licence)
    root.mkdir(parents=True, exist_ok=True)
    # Written beside the final folder, then renamed: an interrupted run leaves no half entry.
    staging = root / f".{slug}.{secrets.token_hex(4)}.partial"
    staging.mkdir()
    try:
        text = json.dumps(_entry_notebook(team), indent=1, sort_keys=True, ensure_ascii=False)
        write_file(staging / f"{slug}.ipynb", text + "\n")
        write_file(staging / "team.yml", _team_yml(team))
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _shown(value: Any) -> str:
    """A value from an entry, quoted if it is short plain text; never the text of a whole file."""
    ok = isinstance(value, str) and len(value) <= 40 and value.isprintable()
    return repr(value) if ok else "this value"


def _file_problems(folder: Path) -> tuple[list[str], set[str]]:
    """What is wrong with the folder's files (none is opened), and the names safe to read."""
    kinds = {f"{folder.name}.ipynb": "notebook", "team.yml": "team.yml", "slides.pdf": "slides"}
    kinds[f"{folder.name}.slides.html"] = "slides"
    # A hidden file git ignores (JupyterLab's checkpoints) is no team's doing until committed:
    # hidden names are checked if git would commit them (tracked, or new and not ignored).
    command = ["git", "-c", "core.fsmonitor=", "ls-files", "-zco", "--exclude-standard"]
    git = shutil.which("git") and subprocess.run(command, cwd=folder, capture_output=True)
    committed = None
    if git and not git.returncode:
        committed = {Path(os.fsdecode(n)).parts[0] for n in git.stdout.split(b"\0") if n}
    problems, readable = [], set()
    for path in sorted(folder.iterdir()):
        name, facts = path.name, path.lstat()
        if name[0] == "." and committed is not None and name not in committed:
            continue
        kind = kinds.get(name, "image" if path.suffix.lower() in _IMAGES else None)
        shown = folder / (name if _SAFE_NAME.match(name) else ascii(name)[1:-1][:60])
        refused = {
            "link": stat.S_ISLNK(facts.st_mode),
            "hidden": name.startswith("."),
            "config": name in _CONFIG or name.endswith((".py", ".pth")),
            "name": not _SAFE_NAME.match(name),
            "other": kind is None or not stat.S_ISREG(facts.st_mode),
        }
        why = next((reason for reason, hit in refused.items() if hit), None)
        if why:
            problems.append(f"{shown}: {_REFUSED[why]}. Remove it.")
        elif facts.st_size > _MAX_BYTES[kind]:
            limit = f"more than the {_MAX_BYTES[kind]:,} an entry's {kind} may have"
            problems.append(f"{shown}: {facts.st_size:,} bytes, {limit}.")
        elif kind == "image":
            problems += _image_problems(path)
        else:
            readable.add(name)
    return problems, readable


def _image_problems(path: Path) -> list[str]:
    from PIL import Image

    expected = _IMAGES[path.suffix.lower()]
    try:
        with Image.open(path, formats=[expected]) as image:
            pixels = image.width * image.height
            image.verify()
    except Exception:  # noqa: BLE001 - Pillow raises several kinds for what is not an image
        return [f"{path}: not a {expected} image, whatever its name says. Save it again as one."]
    too_many = f"{path}: {pixels:,} pixels, over the {_MAX_PIXELS:,} an image may have."
    return [too_many] if pixels > _MAX_PIXELS else []


def _describe(error: Any) -> str:
    """One sentence for a schema error saying what to write, quoting at most a word of the file."""
    where = "/".join(str(p) for p in error.absolute_path) or "the whole file"
    rule, limit, value = error.validator, error.validator_value, _shown(error.instance)
    kinds = {"string": "text", "array": "a list, '- item' a line", "object": "'field: value' lines"}
    if rule == "required":
        return error.message  # "'title' is a required property": the name is the schema's
    if rule == "additionalProperties":
        extra = sorted(map(_shown, set(error.instance) - set(error.schema.get("properties", {}))))
        known = ", ".join(team_schema()["properties"])
        return f"unknown field(s) {', '.join(extra)}; the fields are {known}"
    if rule == "not":
        own = next(p for p in error.absolute_path if isinstance(p, str))
        return (
            f"{where}: {value} is the placeholder new-team wrote (or an e-mail): write your {own}"
        )
    return f"{where}: " + {
        "enum": f"{value} is not allowed; choose one of {limit}",
        "type": f"should be {kinds.get(str(limit), limit)}",
        "pattern": "is blank" if limit == r"\S" else "has a control character: use plain text",
    }.get(rule, f"must keep to {rule} {limit} (paygap_utils/organisers/team.schema.json)")


def _schema_problems(raw: Any) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(team_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    return [_describe(error) for error in errors[:20]]


def _parse_team(folder: Path) -> Team:
    """``team.yml`` read without links, aliases or more than its cap, checked by the schema."""
    path = folder / "team.yml"
    if not os.path.lexists(path):
        raise SubmissionError(f"{path}: missing: copy submissions/example-team/team.yml, edit it.")
    try:
        import yaml
    except ImportError as exc:
        raise SubmissionError('Run `pip install "paygap-utils[submissions]"`.') from exc
    try:
        text = path.read_text(encoding="utf-8")
        # An alias repeats a node; a few nested ones make a document of gigabytes.
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise yaml.MarkedYAMLError(problem="an alias (*name)", problem_mark=mark)
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SubmissionError(
            f"{path}: not valid YAML ({getattr(exc, 'problem', None) or type(exc).__name__}"
            f"{where}; anchors, aliases and tags are not allowed). Compare it with "
            "submissions/example-team/team.yml."
        ) from None
    problems = _schema_problems(raw)
    if problems:
        raise SubmissionError("\n".join(f"{path}: {problem}." for problem in problems))
    fields = {k: " ".join(raw[k].split()) for k in ("team", "title", "question", "licence")}
    members = tuple(" ".join(m.split()) for m in raw["members"])
    return Team(
        folder.name, **fields, members=members, requirements=tuple(raw.get("requirements", []))
    )


def read_team(folder: str | Path) -> Team:
    """Check the entry in ``folder`` (:func:`check_entry`) and return what ``team.yml`` says.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import find_submissions_dir, read_team
    >>> read_team(find_submissions_dir() / "example-team").team
    'Example team'
    """
    problems = check_entry(folder)
    if problems:
        raise SubmissionError("\n".join(problems))
    return _parse_team(Path(folder))


def entry_folders(
    paths: list[str | Path] | None = None, root: str | Path | None = None
) -> list[Path]:
    """Return the entries that ``paths`` (folders or files inside them) belong to.

    Without ``paths``, every folder of ``submissions/`` but hidden ones; with them, whatever
    is there (but ``README.md``), so that all a pull request adds is checked.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import entry_folders, find_submissions_dir
    >>> root = find_submissions_dir()
    >>> [f.name for f in entry_folders([root / "example-team" / "team.yml"], root=root)]
    ['example-team']
    """
    root = Path(os.path.abspath(root if root is not None else find_submissions_dir()))
    if not root.is_dir():
        return []
    if not paths:
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    absolute = [Path(os.path.abspath(path)) for path in paths]
    inside = [path.relative_to(root).parts for path in absolute if path.is_relative_to(root)]
    found = {root / parts[0] for parts in inside if parts}
    return sorted(f for f in found if f.name != "README.md" and os.path.lexists(f))


def _notebook_problems(path: Path) -> list[str]:
    import nbformat

    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        nbformat.validate(nbformat.from_dict(notebook))
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        detail = " ".join(str(exc).split())[:200]
        return [f"{path}: not a valid notebook ({detail}). Re-save it from JupyterLab or Colab."]
    problems = []
    code = [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    with_outputs = [i for i, cell in code if cell.get("outputs") or cell.get("execution_count")]
    if with_outputs:
        problems.append(
            f"{path}: cells {with_outputs} have outputs, which entries are committed without: "
            "Edit > Clear Outputs of All Cells (Colab: Edit > Clear all outputs), save, commit."
        )
    setup = next((cell_source(c) for c in _template()["cells"] if is_setup_cell(c)), None)
    for index, cell in code:
        text, setup_cell = cell_source(cell), is_setup_cell(cell)
        # An installer named with "install" within a few words, however it is spelled.
        words = re.findall(r"[a-z0-9]+", text.lower())
        installs = "ensurepip" in words or any(
            w in _INSTALLERS and "install" in words[i + 1 : i + 6] for i, w in enumerate(words)
        )
        found = {
            "setup": setup_cell and setup is not None and text != setup,
            "install": not setup_cell and installs,
            "checked": is_checked_cell(cell),
            "person": not setup_cell and "responsible_person" in text,
        }
        problems += [f"{path}: cell {index} {_CELL_RULES[k]}." for k, hit in found.items() if hit]
    return problems


def check_entry(folder: str | Path) -> list[str]:
    """Return what stops the entry in ``folder`` from being accepted (empty: nothing).

    Without running, importing or following anything: the folder name, its files (the
    notebook, ``team.yml``, slides and images only), ``team.yml`` against :func:`team_schema`,
    and the notebook's cells (no outputs, the template's set-up cell, no installs).

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import check_entry, find_submissions_dir
    >>> check_entry(find_submissions_dir() / "example-team")
    []
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return [f"{folder}: not an entry folder. Make one with `python -m paygap_utils new-team`."]
    problems, readable = _file_problems(folder)
    if not _SLUG.match(folder.name):
        problems.insert(0, f"{folder}: rename the folder with {_SLUG_RULE}.")
    if "team.yml" in readable or not os.path.lexists(folder / "team.yml"):
        try:
            _parse_team(folder)
        except SubmissionError as exc:
            problems += str(exc).splitlines()
    notebook = folder / f"{folder.name}.ipynb"
    if notebook.name in readable:
        problems += _notebook_problems(notebook)
    elif not os.path.lexists(notebook):
        problems.append(f"{notebook}: missing: the entry's one notebook is named after its folder.")
    return problems


def run_entry(folder: str | Path) -> Any:
    """Run the entry's notebook top to bottom in its folder; return the executed notebook.

    With nbclient, as "Restart Kernel and Run All Cells" does: no test runner, so no file of
    the entry can change how it is judged. Check it with :func:`check_entry` first. A cell
    that raises or times out raises :class:`SubmissionError` naming the cell and the error.

    Examples
    --------
    >>> import nbformat, tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.organisers.submissions import run_entry
    >>> folder = Path(tempfile.mkdtemp())
    >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("6 * 7")])
    >>> nbformat.write(notebook, folder / f"{folder.name}.ipynb")
    >>> run_entry(folder).cells[0].outputs[0].data["text/plain"]
    '42'
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    folder = Path(folder)
    path = folder / f"{folder.name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(folder)}}
    # The kernel's own log (a warning about its local TCP ports) is not the entry's output.
    quiet = ["--IPKernelApp.log_level=ERROR"]
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources=resources, extra_arguments=quiet
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        ran = [i for i, c in enumerate(notebook.cells) if c.get("execution_count")]
        name = getattr(exc, "ename", type(exc).__name__)
        reason = " ".join(f"{name}: {getattr(exc, 'evalue', exc)}".split())[:600]
        missing = name == "ModuleNotFoundError"
        hint = " (list the package under requirements in team.yml)" * missing
        raise SubmissionError(
            f"{path}: cell {ran[-1] if ran else 0} stopped the run ({reason}). Run the notebook "
            "from the top (JupyterLab: Run > Restart Kernel and Run All Cells), fix that cell"
            f"{hint}, and push again."
        ) from None
    return notebook
