"""Hackathon entries: one folder per team under ``submissions/``, made the same way and checked.

An entry is a folder ``submissions/<team-slug>/`` holding ``<team-slug>.ipynb`` (made from
``notebooks/team_template.ipynb``, committed without outputs), ``team.yml`` (team, title,
members, question, licence, extra packages; its JSON Schema is ``team.schema.json`` in this
package) and, if the team likes, its own slides and images. Nothing else: an entry is
data, not code, until a person has looked at it.

:func:`new_team` creates the folder (``python -m paygap_utils new-team "Team name"``),
:func:`check_entry` lists what would stop the entry from being accepted, without running
or following anything in it, and :func:`run_entry` runs its notebook with nbclient
(``python -m paygap_utils check-entry [--run]``); :mod:`~.gallery` shows all entries side by
side. Reading ``team.yml`` needs PyYAML and jsonschema (``pip install
"paygap-utils[submissions]"``).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import re
import secrets
import shutil
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import write_file
from ..errors import PaygapError
from ..notebook_cells import CHECK_MARKER, cell_source, is_checked_cell, is_setup_cell

__all__ = [
    "SUBMISSIONS",
    "SubmissionError",
    "Team",
    "check_entry",
    "entry_folders",
    "find_submissions_dir",
    "new_team",
    "read_team",
    "run_entry",
    "slugify",
    "team_schema",
    "template_path",
]

SUBMISSIONS = "submissions"
_TEAM_FILE = "team.yml"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SLUG_MAX = 40
#: The text ``new-team`` writes where a value was not given; ``check-entry`` refuses it.
_PLACEHOLDERS = {
    "title": "Your title here",
    "members": "Your name or handle",
    "question": "Your question here",
}
_DEFAULT_LICENCE = "CC-BY-4.0"
#: The largest file of each kind an entry may hold (bytes), checked before anything is read.
_MAX_BYTES = {"notebook": 1_000_000, "team.yml": 16_000, "slides": 5_000_000, "image": 2_000_000}
#: Image suffixes and the format Pillow must find inside; the largest image in pixels.
_IMAGES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
_MAX_PIXELS = 4096 * 4096
#: Files that change how Python or the tests run: named in their own message.
_CONFIG = {"conftest.py", "pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml", "setup.py"}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$")
#: Words that install packages; ``check-entry`` refuses a cell naming one with "install".
_INSTALLERS = {"pip", "pip3", "pipx", "conda", "mamba", "micromamba", "uv", "poetry", "micropip"}
#: The template's bullet on copying it by hand: an entry made by ``new-team`` does not need it.
_COPY_BULLET = "- **Make your copy**"
#: The template's placeholder for the team's notebook in the slides command.
_TEMPLATE_COPY_PATH = "submissions/<team-slug>/<team-slug>.ipynb"
_CELL_TIMEOUT_S = 600


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
    requirements: tuple[str, ...] = field(default=())


def slugify(name: str) -> str:
    """Return the folder name for a team: lower case ASCII letters and digits joined by ``-``.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import slugify
    >>> slugify("Équipe Données & Co.")
    'equipe-donnees-co'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:_SLUG_MAX].rstrip("-")
    if not slug:
        raise SubmissionError(
            f"The team name {name!r} has no letters or digits to make a folder name from. "
            "Pass one with --slug, e.g. --slug team-blue."
        )
    return slug


def _package_file(name: str, repository_path: str) -> Path:
    """A file a wheel carries inside the package and a checkout keeps in the repository."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parents[1] / repository_path):
        if candidate.is_file():
            return candidate
    raise SubmissionError(
        f"{name} was not found next to the package ({here}) or at {repository_path} in the "
        "repository. Reinstall the package or run from a complete checkout."
    )


def template_path() -> Path:
    """Return the team template notebook this installation uses.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import template_path
    >>> template_path().name
    'team_template.ipynb'
    """
    return _package_file("team_template.ipynb", "notebooks/team_template.ipynb")


def team_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``team.yml``.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import team_schema
    >>> team_schema()["required"]
    ['team', 'title', 'members', 'question', 'licence']
    """
    path = _package_file("team.schema.json", "paygap_utils/organisers/team.schema.json")
    return json.loads(path.read_text(encoding="utf-8"))


def find_submissions_dir(start: str | Path | None = None) -> Path:
    """Return the ``submissions`` folder of the checkout holding ``start`` (default: here).

    Outside a checkout (Colab) it is ``./submissions``.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import find_submissions_dir
    >>> find_submissions_dir().name
    'submissions'
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks" / "team_template.ipynb").is_file():
            return folder / SUBMISSIONS
    return here / SUBMISSIONS


def _escape_markdown(text: str) -> str:
    """``text`` on one line with Markdown's and HTML's special characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~:$&])", r"\\\1", " ".join(text.split()))


def _drop_bullet(text: str, start: str) -> str:
    """Remove the list item starting with ``start`` (and its continuation lines)."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(start):
            dropping = True
            continue
        if dropping and (line.startswith("- ") or not line.startswith(" ")):
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept)


def _entry_notebook(template: dict[str, Any], team: Team) -> dict[str, Any]:
    """The team's notebook: the template, titled for the team, links pointing back to it.

    The ``# NBVAL_CHECK_OUTPUT`` markers go: a team's numbers are its own.
    """
    notebook = copy.deepcopy(template)
    cells = notebook["cells"]
    members = ", ".join(_escape_markdown(m) for m in team.members)
    rewritten = [f"# {_escape_markdown(team.team)} · {_escape_markdown(team.title)}"]
    for line in cell_source(cells[0]).split("\n")[1:]:
        if line.startswith("[![Open In Colab]"):
            continue  # the badges open the template; an entry is opened from the gallery
        if line.startswith("**Team:**"):
            line = (
                f"**Team:** {_escape_markdown(team.team)} · {members}\n\n"
                f"**Question:** {_escape_markdown(team.question)}\n\n"
                f"**Licence:** {team.licence} (the data: Open Government Licence v3.0)"
            )
        rewritten.append(line)
    title = re.sub(r"\n{3,}", "\n\n", "\n".join(rewritten)).strip("\n")
    cells[0]["source"] = title.splitlines(keepends=True)
    for cell in cells[1:]:
        text = cell_source(cell)
        if cell["cell_type"] == "markdown":
            text = re.sub(
                r"\]\((?![a-z]+:|#|/|\.\./)([^)\s]+\.ipynb)\)", r"](../../notebooks/\1)", text
            )
            text = _drop_bullet(text, _COPY_BULLET)
            text = text.replace(_TEMPLATE_COPY_PATH, f"{SUBMISSIONS}/{team.slug}/{team.slug}.ipynb")
        elif is_checked_cell(cell):
            text = text.lstrip()[len(CHECK_MARKER) :].lstrip("\n")
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def _yaml_string(value: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(" ".join(value.split()), ensure_ascii=False)


def _team_yml(team: Team) -> str:
    """``team.yml`` for ``team``, with comments saying what each field is for."""
    schema = team_schema()["properties"]
    members = "\n".join(f"  - {_yaml_string(m)}" for m in team.members)
    requirements = "".join(f"\n  - {r}" for r in team.requirements) or " []"
    return (
        "# team.yml: who made this entry and what it asks. Check it with\n"
        f"#   python -m paygap_utils check-entry {SUBMISSIONS}/{team.slug}\n"
        "# (the rules are in paygap_utils/organisers/team.schema.json). This file is public:\n"
        "# names or GitHub handles only, no e-mail addresses.\n"
        f"team: {_yaml_string(team.team)}\n"
        f"title: {_yaml_string(team.title)}\n"
        f"members:\n{members}\n"
        f"question: {_yaml_string(team.question)}\n"
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
    licence: str = _DEFAULT_LICENCE,
    slug: str | None = None,
    submissions: str | Path | None = None,
) -> Path:
    """Create ``submissions/<team-slug>/`` with the team's notebook and ``team.yml``.

    Values not given are written as placeholders that ``check-entry`` refuses until the
    team fills them in. An existing folder is never touched; the new one appears whole or
    not at all.

    Parameters
    ----------
    name
        The team's name, e.g. ``"The Quartiles"``; the folder is ``slugify(name)``.
    members, title, question, licence
        What ``team.yml`` says (see :func:`team_schema`).
    slug
        The folder name, when the one made from ``name`` does not suit.
    submissions
        The ``submissions`` folder (default: :func:`find_submissions_dir`).

    Returns
    -------
    pathlib.Path
        The new entry folder.

    Examples
    --------
    >>> import tempfile
    >>> from paygap_utils.organisers.submissions import new_team
    >>> folder = new_team("Team Blue", submissions=tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['team-blue.ipynb', 'team.yml']
    """
    slug = slug or slugify(name)
    if not _SLUG.match(slug) or len(slug) > _SLUG_MAX:
        raise SubmissionError(
            f"{slug!r} cannot be a folder name for an entry: use lower case letters, digits "
            f"and single hyphens, at most {_SLUG_MAX} characters, e.g. team-blue."
        )
    if not name.strip():
        raise SubmissionError("The team name is empty: pass one, e.g. new-team 'Team Blue'.")
    schema = team_schema()
    plain = re.compile(schema["$defs"]["text"]["pattern"])
    for value in [name, title or "", question or "", *(members or [])]:
        if not plain.match(value) or any(c in value for c in "\t\n\r"):
            raise SubmissionError(
                f"{value!r} has a control character (a line break, tab or escape code), which "
                "team.yml cannot hold: type it again as plain text on one line."
            )
    if licence not in schema["properties"]["licence"]["enum"]:
        allowed = ", ".join(schema["properties"]["licence"]["enum"])
        raise SubmissionError(
            f"{licence!r} is not one of the licences an entry can use: {allowed}."
        )
    root = Path(submissions) if submissions is not None else find_submissions_dir()
    folder = root / slug
    if os.path.lexists(folder):
        raise SubmissionError(
            f"{folder} already exists, so nothing was written: it is an entry already (yours, "
            "or another team's with the same name). Open its notebook, or pick another name "
            "or --slug."
        )
    team = Team(
        slug=slug,
        team=" ".join(name.split()),
        title=title or _PLACEHOLDERS["title"],
        members=tuple(members or [_PLACEHOLDERS["members"]]),
        question=question or _PLACEHOLDERS["question"],
        licence=licence,
    )
    notebook = _entry_notebook(json.loads(template_path().read_text(encoding="utf-8")), team)
    root.mkdir(parents=True, exist_ok=True)
    # Written beside the final folder, then renamed: an interrupted run leaves no half entry.
    staging = root / f".{slug}.{secrets.token_hex(4)}.partial"
    staging.mkdir()
    try:
        text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        write_file(staging / f"{slug}.ipynb", text)
        write_file(staging / _TEAM_FILE, _team_yml(team))
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _shown(value: Any) -> str:
    """A value from an entry, quoted if it is short plain text; never the text of a whole file."""
    if isinstance(value, str) and len(value) <= 40 and value.isprintable():
        return repr(value)
    return "this value"


def _read(path: Path, kind: str) -> bytes:
    """The bytes of an entry's file, without following a link or reading past its cap."""
    cap = _MAX_BYTES[kind]
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc.strerror}): {_FILES_HELP}") from None
    with os.fdopen(handle, "rb") as file:
        facts = os.fstat(file.fileno())
        if not stat.S_ISREG(facts.st_mode):
            raise SubmissionError(f"{path}: not a regular file: {_FILES_HELP}")
        data = file.read(cap + 1)
    if len(data) > cap:
        raise SubmissionError(_too_big(path, kind, facts.st_size))
    return data


def _too_big(path: Path, kind: str, size: int) -> str:
    return (
        f"{path}: {size:,} bytes, more than the {_MAX_BYTES[kind]:,} an entry's {kind} may "
        "have. Clear the notebook's outputs; make images smaller."
    )


_FILES_HELP = (
    "an entry holds only <team-slug>.ipynb, team.yml, slides (<team-slug>.slides.html or "
    "slides.pdf) and images (.png, .jpg, .gif, .webp), each a plain file beside the others"
)


def _kind(name: str, slug: str) -> str | None:
    """What an entry's file is, by its name: notebook, team.yml, slides, image, or None."""
    suffix = Path(name).suffix.lower()
    if name == f"{slug}.ipynb":
        return "notebook"
    if name == _TEAM_FILE:
        return "team.yml"
    if name in (f"{slug}.slides.html", "slides.pdf"):
        return "slides"
    return "image" if suffix in _IMAGES else None


def _file_problems(folder: Path) -> tuple[list[str], set[str]]:
    """What is wrong with the folder's files, and the names of those safe to read."""
    problems, readable = [], set()
    with os.scandir(folder) as entries:
        found = sorted(entries, key=lambda e: e.name)
    for entry in found:
        path, name = folder / entry.name, entry.name
        shown = path if _SAFE_NAME.match(name) else folder / ascii(name)[1:-1][:60]
        kind = _kind(name, folder.name)
        size = entry.stat(follow_symlinks=False).st_size
        if entry.is_symlink():
            problems.append(
                f"{shown}: a symbolic link, which the check does not follow. Put the "
                "file itself in the entry, or remove the link."
            )
        elif name.startswith("."):
            problems.append(
                f"{shown}: hidden files and folders (like .ipynb_checkpoints/) stay "
                f"out of entries. Remove it: git rm -r --cached '{name}'."
            )
        elif name in _CONFIG or name.endswith((".pth", ".py")):
            problems.append(
                f"{shown}: files that change how Python or the tests run "
                "(conftest.py, pytest.ini, setup.cfg, tox.ini, pyproject.toml, .pth, "
                "any .py) stay out of entries: put code in the notebook. Remove it."
            )
        elif not _SAFE_NAME.match(name):
            problems.append(f"{shown}: rename it with letters, digits, '.', '-' or '_' only.")
        elif not entry.is_file(follow_symlinks=False) or kind is None:
            problems.append(
                f"{shown}: not a file an entry can hold: {_FILES_HELP}. Data stays "
                "out (the notebook gets it from paygap_utils.load()). Remove it."
            )
        elif size > _MAX_BYTES[kind]:
            problems.append(_too_big(shown, kind, size))
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
    except Exception:  # noqa: BLE001 - Pillow raises several kinds for what is not an image
        return [f"{path}: not a {expected} image, whatever its name says. Save it again as one."]
    if pixels > _MAX_PIXELS:
        return [f"{path}: {pixels:,} pixels, over the {_MAX_PIXELS:,} an image may have."]
    return []


def _yaml_and_jsonschema() -> tuple[Any, Any]:
    try:
        import jsonschema
        import yaml
    except ImportError as exc:
        raise SubmissionError(
            f"Reading team.yml needs {exc.name}, which is not installed. Run "
            '`pip install "paygap-utils[submissions]"` (or `pip install pyyaml jsonschema`) '
            "and try again."
        ) from exc
    return yaml, jsonschema


def _describe(error: Any) -> str:
    """One sentence for a schema error saying what to write, quoting at most a word of the file."""
    where = "/".join(str(p) for p in error.absolute_path) or "team.yml"
    rule, limit = error.validator, error.validator_value
    field_name = next((p for p in error.absolute_path if isinstance(p, str)), "value")
    kinds = {
        "string": "text",
        "array": "a list (one '- item' a line)",
        "object": "fields, one 'name: value' a line",
    }
    if rule == "required":
        return error.message  # "'title' is a required property": the name is the schema's
    if rule == "additionalProperties":
        extra = sorted(map(_shown, set(error.instance) - set(error.schema.get("properties", {}))))
        known = ", ".join(team_schema()["properties"])
        return f"unknown field(s) {', '.join(extra)}; the fields are {known}"
    if rule == "not":
        return (
            f"{where}: {_shown(error.instance)} is the placeholder new-team wrote (or an "
            f"e-mail address): write the team's own {field_name}"
        )
    if rule == "enum":
        return f"{where}: {_shown(error.instance)} is not allowed; choose one of {limit}"
    if rule == "type":
        return f"{where}: should be {kinds.get(limit, limit)}"
    if rule == "pattern":
        blank = limit == r"\S"
        return f"{where}: " + ("is blank" if blank else "has a control character: use plain text")
    if rule in ("minLength", "maxLength", "minItems", "maxItems"):
        unit = "characters" if "Length" in rule else "items"
        return f"{where}: {'at least' if rule.startswith('min') else 'at most'} {limit} {unit}"
    return f"{where}: breaks the rule {rule!r} of paygap_utils/organisers/team.schema.json"


def _parse_team(folder: Path) -> Team:
    """``team.yml`` read without links, aliases or more than its cap, checked by the schema."""
    path = folder / _TEAM_FILE
    if not os.path.lexists(path):
        raise SubmissionError(
            f"{path}: missing. Create it with `python -m paygap_utils new-team` or copy "
            f"{SUBMISSIONS}/example-team/{_TEAM_FILE} and edit it."
        )
    data = _read(path, "team.yml")
    yaml, jsonschema = _yaml_and_jsonschema()

    class NoAliases(yaml.SafeLoader):
        # An alias repeats a node; a few nested ones make a document of gigabytes.
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.MarkedYAMLError(
                    problem="an alias (*name)", problem_mark=self.peek_event().start_mark
                )
            return super().compose_node(parent, index)

    try:
        raw = yaml.load(data.decode("utf-8"), Loader=NoAliases)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SubmissionError(
            f"{path}: not valid YAML ({problem}{where}; anchors, aliases and tags are not "
            "allowed). Compare it with submissions/example-team/team.yml."
        ) from None
    validator = jsonschema.Draft202012Validator(team_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise SubmissionError("\n".join(f"{path}: {_describe(e)}." for e in errors[:20]))
    return Team(
        slug=folder.name,
        team=" ".join(raw["team"].split()),
        title=" ".join(raw["title"].split()),
        members=tuple(" ".join(m.split()) for m in raw["members"]),
        question=" ".join(raw["question"].split()),
        licence=raw["licence"],
        requirements=tuple(raw.get("requirements", [])),
    )


def read_team(folder: str | Path) -> Team:
    """Check the entry in ``folder`` and return what its ``team.yml`` says.

    Raises :class:`SubmissionError` listing every problem :func:`check_entry` finds.

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

    Without ``paths``, every folder of ``submissions/`` but hidden ones. With them, whatever
    each path's first part under ``submissions/`` is, folder, file or link (so that a
    pull request adding anything there is checked); files outside ``submissions/``, its
    ``README.md`` and entries that no longer exist are left out. Links are not followed.

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
    found: set[Path] = set()
    for path in paths:
        try:
            first = Path(os.path.abspath(path)).relative_to(root).parts[0]
        except (ValueError, IndexError):
            continue
        if first != "README.md" and os.path.lexists(root / first):
            found.add(root / first)
    return sorted(found)


def _installs(source: str) -> bool:
    """Whether code names an installer and, within a few words, "install", however spelled."""
    words = re.findall(r"[a-z0-9]+", source.lower())
    return "ensurepip" in words or any(
        word in _INSTALLERS and "install" in words[i + 1 : i + 6] for i, word in enumerate(words)
    )


def _imported_modules(source: str) -> set[str]:
    # IPython magics and shell lines are not Python; they are checked separately.
    python = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _is_available(module: str) -> bool:
    if module in sys.stdlib_module_names:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _notebook_problems(path: Path, requirements: set[str]) -> list[str]:
    import nbformat

    try:
        notebook = json.loads(_read(path, "notebook").decode("utf-8"))
        nbformat.validate(nbformat.from_dict(notebook))
    except (ValueError, UnicodeDecodeError, nbformat.ValidationError) as exc:
        detail = " ".join(str(exc).split())[:200]
        return [f"{path}: not a valid notebook ({detail}). Re-save it from JupyterLab or Colab."]
    problems, missing = [], set()
    code = [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    with_outputs = [i for i, cell in code if cell.get("outputs") or cell.get("execution_count")]
    if with_outputs:
        problems.append(
            f"{path}: cells {with_outputs} have outputs. Entries are committed without them: "
            "JupyterLab Edit > Clear Outputs of All Cells (Colab: Edit > Clear all outputs), "
            "save, and commit again. The gallery runs the notebook itself."
        )
    template = json.loads(template_path().read_text(encoding="utf-8"))
    setup = next((cell_source(c) for c in template["cells"] if is_setup_cell(c)), None)
    for index, cell in code:
        text = cell_source(cell)
        if is_setup_cell(cell):
            if setup is not None and text != setup:
                problems.append(
                    f"{path}: cell {index}, the Colab set-up cell, differs from the team "
                    "template's. Copy that cell back from notebooks/team_template.ipynb."
                )
            continue
        if _installs(text):
            problems.append(
                f"{path}: cell {index} installs packages. Remove that line and list the package "
                f"under requirements in {_TEAM_FILE} (only the packages listed in "
                "paygap_utils/organisers/team.schema.json are installed for the checks)."
            )
        missing |= {m for m in _imported_modules(text) if m not in requirements}
        if is_checked_cell(cell):
            problems.append(
                f"{path}: cell {index} starts with {CHECK_MARKER}, which compares its output "
                "with numbers recorded for the starter notebooks; an entry has none. Delete "
                "that line."
            )
        if "responsible_person" in text:
            problems.append(
                f"{path}: cell {index} uses responsible_person, the names of people who signed "
                "the returns. Entries are about organisations: leave that column out."
            )
    missing = {m for m in missing if not _is_available(m)}
    if missing:
        problems.append(
            f"{path}: imports {', '.join(sorted(missing))}, which the starter's environment does "
            f"not have. List it under requirements in {_TEAM_FILE} if it is one of the allowed "
            "packages there, or do without it."
        )
    return problems


def check_entry(folder: str | Path) -> list[str]:
    """Return what stops the entry in ``folder`` from being accepted (empty: nothing).

    Checked without running, importing or following anything in the entry: the folder
    name; its files (only the notebook, ``team.yml``, slides and images, no links, no
    hidden or oversized files, images that are what their names say); ``team.yml``
    against :func:`team_schema` (placeholders refused); the notebook valid and without
    outputs, the Colab set-up cell as in the template, no packages installed from it and
    none imported that the environment lacks unless ``team.yml`` lists them, no
    ``# NBVAL_CHECK_OUTPUT`` cells, no ``responsible_person``. :func:`run_entry` runs it.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import check_entry, find_submissions_dir
    >>> check_entry(find_submissions_dir() / "example-team")
    []
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return [
            f"{folder}: not an entry folder (an entry is a folder {SUBMISSIONS}/<team-slug>/, not "
            "a file or a link). Create one with `python -m paygap_utils new-team`."
        ]
    problems = []
    if not _SLUG.match(folder.name) or len(folder.name) > _SLUG_MAX:
        problems.append(
            f"{folder}: the folder name must be lower case letters, digits and single hyphens "
            f"(at most {_SLUG_MAX}), e.g. {SUBMISSIONS}/team-blue. Rename the folder."
        )
    file_problems, readable = _file_problems(folder)
    problems += file_problems
    team = None
    if _TEAM_FILE in readable or not os.path.lexists(folder / _TEAM_FILE):
        try:
            team = _parse_team(folder)
        except SubmissionError as exc:
            problems += str(exc).splitlines()
    notebook = folder / f"{folder.name}.ipynb"
    if notebook.name in readable:
        problems += _notebook_problems(notebook, set(team.requirements) if team else set())
    elif not os.path.lexists(notebook):
        problems.append(
            f"{notebook}: missing. An entry holds one notebook named after its folder; rename "
            "yours (drafts stay out of the folder)."
        )
    return problems


def run_entry(folder: str | Path) -> Any:
    """Run the entry's notebook top to bottom in its folder; return the executed notebook.

    The notebook runs with nbclient in this environment's ``python3`` kernel, as a team's
    "Restart Kernel and Run All Cells" does: no test runner, so nothing in the entry can
    change how it is run or judged. Check the entry with :func:`check_entry` first.

    Raises
    ------
    SubmissionError
        When a cell raises or times out, naming the cell and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    folder = Path(folder)
    path = folder / f"{folder.name}.ipynb"
    notebook = nbformat.reads(_read(path, "notebook").decode("utf-8"), as_version=4)
    resources = {"metadata": {"path": str(folder)}}
    client = NotebookClient(
        notebook, timeout=_CELL_TIMEOUT_S, kernel_name="python3", resources=resources
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        cells = notebook.cells
        failed = [i for i, c in enumerate(cells) if c.get("execution_count") or c.get("outputs")]
        reason = f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError) else str(exc)
        raise SubmissionError(
            f"{path}: cell {failed[-1] if failed else 0} stopped the run "
            f"({' '.join(reason.split())[:600]}). Run the notebook from the top (JupyterLab: "
            "Run > Restart Kernel and Run All Cells), fix that cell, and push again."
        ) from None
    return notebook
