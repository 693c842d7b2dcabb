"""Hackathon entries: one folder per team under ``submissions/``, made the same way and checked.

An entry is a folder ``submissions/<team-slug>/`` holding

- ``<team-slug>.ipynb``, a notebook made from ``notebooks/team_template.ipynb``, committed
  without outputs;
- ``team.yml``: the team's name, the entry's title, the members' display names or handles,
  the question, the licence of the work and, optionally, the extra packages it needs. Its
  JSON Schema is ``team.schema.json`` in this package (:func:`team_schema`).

:func:`new_team` creates the folder (``python -m paygap_utils new-team "Team name"``),
:func:`check_entry` lists what would stop the entry from being accepted
(``python -m paygap_utils check-entry``), and :mod:`~.gallery` shows all entries
side by side. Reading ``team.yml`` needs PyYAML and jsonschema
(``pip install "paygap-utils[submissions]"``); creating an entry needs nothing extra.
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
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PaygapError
from ..notebook_cells import CHECK_MARKER, cell_source, is_checked_cell, is_setup_cell

__all__ = [
    "SubmissionError",
    "Team",
    "slugify",
    "team_schema",
    "template_path",
    "find_submissions_dir",
    "entry_notebook",
    "new_team",
    "read_team",
    "check_entry",
    "entry_folders",
    "notebook_path",
    "SUBMISSIONS",
    "escape_markdown",
    "team_yml_text",
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
#: Larger files are data or outputs, which an entry does not carry.
_MAX_FILE_BYTES = 1_000_000
_DATA_SUFFIXES = {".csv", ".xlsx", ".xls", ".parquet", ".sqlite", ".db", ".zip", ".feather"}
#: A notebook line that installs packages, outside the template's Colab set-up cell.
_INSTALL = re.compile(r"\b(pip3?|conda|mamba|micromamba|uv)\b[^\n]*\binstall\b")
#: The template's bullet on copying it by hand: an entry made by ``new-team`` does not need it.
_COPY_BULLET = "- **Make your copy**"
#: The template's placeholder for the team's notebook in the slides command.
_TEMPLATE_COPY_PATH = "submissions/<team-slug>/<team-slug>.ipynb"


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
    >>> slugify("  The 3 Quartiles ")
    'the-3-quartiles'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:_SLUG_MAX].rstrip("-")
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

    From a notebook in ``notebooks/`` or a terminal anywhere in the repository this is the
    repository's ``submissions/``; outside a checkout (Colab) it is ``./submissions``.

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


def escape_markdown(text: str) -> str:
    r"""Return ``text`` on one line with Markdown's and HTML's special characters escaped.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import escape_markdown
    >>> escape_markdown("<b>Data_Wranglers</b> *1*")
    '\\<b\\>Data\\_Wranglers\\</b\\> \\*1\\*'
    """
    one_line = " ".join(text.split())
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~:$&])", r"\\\1", one_line)


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


def entry_notebook(template: dict[str, Any], team: Team) -> dict[str, Any]:
    """Return a team's notebook made from the team template's notebook JSON.

    The title cell names the entry, the team and its question; the Colab set-up cell and
    every section stay as in the template. Links to the starter notebooks point at
    ``../../notebooks/``, the template's instructions for copying it by hand go, and the
    ``# NBVAL_CHECK_OUTPUT`` markers go too: a team's numbers are its own, so the checks
    run the notebook without comparing its output.

    Examples
    --------
    >>> import json
    >>> from paygap_utils.organisers.submissions import Team, entry_notebook, template_path
    >>> template = json.loads(template_path().read_text())
    >>> team = Team("blue", "Blue", "Bonus gaps", ("Ada",), "Who pays bonuses?", "MIT")
    >>> "".join(entry_notebook(template, team)["cells"][0]["source"]).splitlines()[0]
    '# Blue · Bonus gaps'
    """
    notebook = copy.deepcopy(template)
    cells = notebook["cells"]
    nb_name = f"{team.slug}.ipynb"
    members = ", ".join(escape_markdown(m) for m in team.members)
    title_lines = cell_source(cells[0]).split("\n")
    rewritten = [f"# {escape_markdown(team.team)} · {escape_markdown(team.title)}"]
    for line in title_lines[1:]:
        if line.startswith("[![Open In Colab]"):
            # The badges open the template; an entry is opened from the gallery instead.
            continue
        if line.startswith("**Team:**"):
            line = (
                f"**Team:** {escape_markdown(team.team)} · {members}\n\n"
                f"**Question:** {escape_markdown(team.question)}\n\n"
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
            text = text.replace(_TEMPLATE_COPY_PATH, f"{SUBMISSIONS}/{team.slug}/{nb_name}")
        elif is_checked_cell(cell):
            text = text.lstrip()[len(CHECK_MARKER) :].lstrip("\n")
        cell["source"] = text.splitlines(keepends=True)
    return notebook


def _yaml_string(value: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(" ".join(value.split()), ensure_ascii=False)


def team_yml_text(team: Team) -> str:
    """Return ``team.yml`` for ``team``, with comments saying what each field is for.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import Team, team_yml_text
    >>> print(team_yml_text(Team("blue", "Blue", "Bonus gaps", ("Ada",), "Who pays?", "MIT")))
    ... # doctest: +ELLIPSIS
    # team.yml: who made this entry and what it asks. ...
    team: "Blue"
    title: "Bonus gaps"
    members:
      - "Ada"
    question: "Who pays?"
    ...
    licence: MIT
    ...
    requirements: []
    """
    schema = team_schema()["properties"]
    licences = ", ".join(schema["licence"]["enum"])
    allowed = ", ".join(schema["requirements"]["items"]["enum"])
    members = "\n".join(f"  - {_yaml_string(m)}" for m in team.members)
    requirements = (
        "\n" + "\n".join(f"  - {r}" for r in team.requirements) if team.requirements else " []"
    )
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
        f"# Licence v3.0): one of {licences}.\n"
        f"licence: {team.licence}\n"
        "# Packages the notebook needs beyond the starter's, from this list only (ask an\n"
        f"# organiser for another): {allowed}.\n"
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
    allowed = team_schema()["properties"]["licence"]["enum"]
    if licence not in allowed:
        raise SubmissionError(
            f"{licence!r} is not one of the licences an entry can use: {', '.join(allowed)}."
        )
    root = Path(submissions) if submissions is not None else find_submissions_dir()
    folder = root / slug
    if folder.exists():
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
    template = json.loads(template_path().read_text(encoding="utf-8"))
    notebook = entry_notebook(template, team)
    root.mkdir(parents=True, exist_ok=True)
    # Written beside the final folder, then renamed: an interrupted run leaves no half entry.
    staging = root / f".{slug}.{secrets.token_hex(4)}.partial"
    staging.mkdir()
    try:
        text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        (staging / f"{slug}.ipynb").write_text(text, encoding="utf-8")
        (staging / _TEAM_FILE).write_text(team_yml_text(team), encoding="utf-8")
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


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
    """One sentence for a schema error, saying what to write instead."""
    where = "/".join(str(p) for p in error.absolute_path)
    if not where:
        return (
            error.message
            if error.validator != "additionalProperties"
            else (f"{error.message}; the fields are {', '.join(team_schema()['properties'])}")
        )
    if error.validator == "not":
        field_name = str(error.absolute_path[0]) if error.absolute_path else "value"
        return (
            f"{where}: {error.instance!r} is the placeholder new-team wrote (or an e-mail "
            f"address): write the team's own {field_name}"
        )
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not allowed; choose one of {error.validator_value}"
    return f"{where}: {error.message}"


def _team_problems(folder: Path) -> tuple[Team | None, list[str]]:
    path = folder / _TEAM_FILE
    if not path.is_file():
        return None, [
            f"{path}: missing. Create it with `python -m paygap_utils new-team` or copy "
            f"{SUBMISSIONS}/example-team/{_TEAM_FILE} and edit it."
        ]
    yaml, jsonschema = _yaml_and_jsonschema()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())
        return None, [f"{path}: not valid YAML ({detail}). Compare it with the example entry's."]
    validator = jsonschema.Draft202012Validator(team_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        return None, [f"{path}: {_describe(error)}." for error in errors]
    team = Team(
        slug=folder.name,
        team=raw["team"],
        title=raw["title"],
        members=tuple(raw["members"]),
        question=raw["question"],
        licence=raw["licence"],
        requirements=tuple(raw.get("requirements", [])),
    )
    return team, []


def read_team(folder: str | Path) -> Team:
    """Read and validate ``<folder>/team.yml``; raise :class:`SubmissionError` if it is wrong.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import find_submissions_dir, read_team
    >>> read_team(find_submissions_dir() / "example-team").team
    'Example team'
    """
    team, problems = _team_problems(Path(folder))
    if team is None:
        raise SubmissionError("\n".join(problems))
    return team


def notebook_path(folder: str | Path) -> Path:
    """Return the entry's one notebook; raise :class:`SubmissionError` if there is not one.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import find_submissions_dir, notebook_path
    >>> notebook_path(find_submissions_dir() / "example-team").name
    'example-team.ipynb'
    """
    folder = Path(folder)
    found = sorted(folder.glob("*.ipynb"))
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise SubmissionError(
            f"{folder}: an entry holds exactly one notebook, {folder.name}.ipynb; found "
            f"{listed}. Move drafts out of the folder."
        )
    return found[0]


def entry_folders(
    paths: list[str | Path] | None = None, root: str | Path | None = None
) -> list[Path]:
    """Return the entry folders that ``paths`` (folders or files inside them) belong to.

    Without ``paths``, every folder of ``submissions/``. Files outside ``submissions/`` and
    entries that no longer exist (a pull request that deletes one) are left out.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import entry_folders, find_submissions_dir
    >>> root = find_submissions_dir()
    >>> [f.name for f in entry_folders([root / "example-team" / "team.yml"], root=root)]
    ['example-team']
    """
    root = (Path(root) if root is not None else find_submissions_dir()).resolve()
    if not root.is_dir():
        return []
    if not paths:
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    folders: set[Path] = set()
    for path in paths:
        resolved = Path(path).resolve()
        try:
            relative = resolved.relative_to(root)
        except ValueError:
            continue
        if relative.parts and (root / relative.parts[0]).is_dir():
            folders.add(root / relative.parts[0])
    return sorted(folders)


def _code_cells(notebook: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(i, c) for i, c in enumerate(notebook.get("cells", [])) if c["cell_type"] == "code"]


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


def _notebook_problems(path: Path, team: Team | None) -> list[str]:
    import nbformat

    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        nbformat.validate(nbformat.from_dict(notebook))
    except (ValueError, UnicodeDecodeError, nbformat.ValidationError) as exc:
        detail = " ".join(str(exc).split())[:300]
        return [f"{path}: not a valid notebook ({detail}). Re-save it from JupyterLab or Colab."]
    problems = []
    with_outputs = [
        i for i, cell in _code_cells(notebook) if cell.get("outputs") or cell.get("execution_count")
    ]
    if with_outputs:
        problems.append(
            f"{path}: cells {with_outputs} have outputs. Entries are committed without them: "
            "JupyterLab Edit > Clear Outputs of All Cells (Colab: Edit > Clear all outputs), "
            "save, and commit again. The gallery runs the notebook itself."
        )
    template = json.loads(template_path().read_text(encoding="utf-8"))
    template_setup = next((cell_source(c) for c in template["cells"] if is_setup_cell(c)), None)
    listed = set(team.requirements) if team else set()
    missing: set[str] = set()
    for index, cell in _code_cells(notebook):
        text = cell_source(cell)
        if is_setup_cell(cell):
            if template_setup is not None and text != template_setup:
                problems.append(
                    f"{path}: cell {index}, the Colab set-up cell, differs from the team "
                    "template's. Copy that cell back from notebooks/team_template.ipynb."
                )
            continue
        if _INSTALL.search(text):
            problems.append(
                f"{path}: cell {index} installs packages. Remove that line and list the package "
                f"under requirements in {_TEAM_FILE} (only the packages listed in "
                "paygap_utils/organisers/team.schema.json are installed for the checks)."
            )
        missing |= {m for m in _imported_modules(text) if m not in listed and not _is_available(m)}
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
    if missing:
        problems.append(
            f"{path}: imports {', '.join(sorted(missing))}, which the starter's environment does "
            f"not have. List it under requirements in {_TEAM_FILE} if it is one of the allowed "
            "packages there, or do without it."
        )
    return problems


def _file_problems(folder: Path) -> list[str]:
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if ".ipynb_checkpoints" in path.parts:
            continue
        if path.suffix.lower() in _DATA_SUFFIXES:
            problems.append(
                f"{path}: data files stay out of entries; the notebook gets the data from "
                "paygap_utils.load(). Remove the file."
            )
        elif path.stat().st_size > _MAX_FILE_BYTES:
            problems.append(
                f"{path}: {path.stat().st_size / 1e6:.1f} MB, over the {_MAX_FILE_BYTES / 1e6:.0f} "
                "MB an entry's files may have. Clear outputs, and leave out images and data."
            )
    return problems


def check_entry(folder: str | Path) -> list[str]:
    """Return what stops the entry in ``folder`` from being accepted (empty: nothing).

    Checked: the folder name, ``team.yml`` against :func:`team_schema` (placeholders
    refused), exactly one notebook, valid and without outputs, the Colab set-up cell as
    in the template, no packages installed from the notebook and none imported that the
    environment lacks unless ``team.yml`` lists them, no ``# NBVAL_CHECK_OUTPUT`` cells, no
    ``responsible_person``, no data files. The notebook is not run here: the submissions
    workflow runs it under nbval.

    Examples
    --------
    >>> from paygap_utils.organisers.submissions import check_entry, find_submissions_dir
    >>> check_entry(find_submissions_dir() / "example-team")
    []
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [
            f"{folder}: no such entry folder. Create it with `python -m paygap_utils new-team`."
        ]
    problems = []
    if not _SLUG.match(folder.name) or len(folder.name) > _SLUG_MAX:
        problems.append(
            f"{folder}: the folder name must be lower case letters, digits and single hyphens "
            f"(at most {_SLUG_MAX}), e.g. {SUBMISSIONS}/team-blue. Rename the folder."
        )
    team, team_problems = _team_problems(folder)
    problems += team_problems
    try:
        problems += _notebook_problems(notebook_path(folder), team)
    except SubmissionError as exc:
        problems.append(str(exc))
    return problems + _file_problems(folder)
