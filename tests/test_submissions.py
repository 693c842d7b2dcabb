"""Entries: new-team makes the folder, check-entry refuses what the workflow would, the PR path.

The committed ``submissions/example-team/`` is exactly what ``new-team`` makes (so the
command and the example cannot drift apart), and every committed entry is run here the way
the workflow and the gallery run it (``run_entry``: nbclient, no test runner). Hostile
entries are made in the tests (links to ``/dev/zero`` and to files outside, a YAML alias
bomb, configuration files that would change how tests run, markup in every field) and
checked with the real ``check-entry``, in a process of its own with a memory ceiling, as the
workflow's steps run it.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paygap_utils.cli import main
from paygap_utils.notebook_cells import CHECK_MARKER, cell_source, is_setup_cell
from paygap_utils.organisers.submissions import (
    SubmissionError,
    check_entry,
    entry_folders,
    find_submissions_dir,
    new_team,
    read_team,
    run_entry,
    team_schema,
)
from tests.paths import REPO_ROOT

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

SUBMISSIONS = REPO_ROOT / "submissions"
EXAMPLE = SUBMISSIONS / "example-team"
TEMPLATE = REPO_ROOT / "notebooks" / "team_template.ipynb"
#: The command that made the committed example entry.
EXAMPLE_ARGS = [
    "new-team",
    "Example team",
    "--members",
    "Ada",
    "Sam",
    "--title",
    "Public sector and other employers",
    "--question",
    "Is the typical gender pay gap smaller in the public sector than among other employers, "
    "and has the difference changed since 2017-18?",
]
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "submissions.yml"
PR_TEMPLATE = REPO_ROOT / ".github" / "PULL_REQUEST_TEMPLATE" / "submission.md"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.fixture
def entry(tmp_path) -> Path:
    """A copy of the example entry in a ``submissions`` folder of its own."""
    folder = tmp_path / "submissions" / "example-team"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _edit_notebook(folder: Path, change) -> None:
    path = folder / f"{folder.name}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook["cells"])
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _edit_team(folder: Path, change) -> None:
    path = folder / "team.yml"
    team = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(team)
    path.write_text(yaml.safe_dump(team), encoding="utf-8")


def _add_code(source: str):
    def change(cells: list[dict]) -> None:
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "added-cell",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        )

    return change


# --- the schema and the folder name ---------------------------------------------------------


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(team_schema())


def test_the_schema_ships_in_the_package_and_says_what_each_field_is():
    schema = team_schema()
    assert (REPO_ROOT / "paygap_utils" / "organisers" / "team.schema.json").is_file()
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"team.yml field {name} has no description"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Example team", "example-team"),
        ("Équipe Données & Co.", "equipe-donnees-co"),
        ("  --The  3 Quartiles!! ", "the-3-quartiles"),
        ("x" * 60, "x" * 40),
    ],
)
def test_the_folder_is_named_after_the_team(tmp_path, name, slug):
    assert new_team(name, submissions=tmp_path) == tmp_path / slug


def test_a_name_without_letters_asks_for_a_slug(tmp_path):
    with pytest.raises(SubmissionError, match="--slug"):
        new_team("!!! ???", submissions=tmp_path)


# --- new-team -------------------------------------------------------------------------------


def test_the_committed_example_is_what_new_team_makes(tmp_path, capsys):
    assert main([*EXAMPLE_ARGS, "--submissions", str(tmp_path)]) == 0
    assert "Created" in capsys.readouterr().out
    made = tmp_path / "example-team"
    names = sorted(p.name for p in made.iterdir())
    assert names == sorted(p.name for p in EXAMPLE.iterdir())
    regenerate = " ".join(f'"{a}"' if " " in a else a for a in EXAMPLE_ARGS)
    for name in names:
        assert (made / name).read_bytes() == (EXAMPLE / name).read_bytes(), (
            f"submissions/example-team/{name} is out of step with new-team and the team "
            f"template: run `rm -r submissions/example-team && python -m paygap_utils "
            f"{regenerate}` and review the diff"
        )


def test_new_team_writes_placeholders_that_check_entry_refuses(tmp_path):
    folder = new_team("Team Blue", submissions=tmp_path)
    assert folder == tmp_path / "team-blue"
    assert sorted(p.name for p in folder.iterdir()) == ["team-blue.ipynb", "team.yml"]
    problems = check_entry(folder)
    assert len(problems) == 3, problems
    for field_name in ("title", "members/0", "question"):
        assert any(f"{field_name}: " in p and "placeholder" in p for p in problems), field_name
    with pytest.raises(SubmissionError, match="team.yml"):
        read_team(folder)


def test_new_team_never_touches_an_existing_folder(tmp_path, capsys):
    folder = tmp_path / "team-blue"
    folder.mkdir()
    (folder / "notes.txt").write_text("ours")
    assert main(["new-team", "Team Blue", "--submissions", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "nothing was written" in err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "ours"


def test_an_interrupted_new_team_leaves_nothing(tmp_path, monkeypatch):
    from paygap_utils.organisers import submissions

    def fail(team):
        raise KeyboardInterrupt

    monkeypatch.setattr(submissions, "_team_yml", fail)
    with pytest.raises(KeyboardInterrupt):
        new_team("Team Blue", submissions=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Team Blue", "--licence", "GPL-9"], "licence: 'GPL-9' is not allowed"),
        (["Team Blue", "--slug", "Team_Blue"], "cannot name an entry's folder"),
        (["   "], "no letters or digits"),
        (["Blue\x07"], "control character"),
        (["Blue", "--members", "Ada\x1b[31m"], "control character"),
    ],
)
def test_new_team_refuses_bad_values_with_exit_2(tmp_path, capsys, args, message):
    assert main(["new-team", *args, "--submissions", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_team_finds_the_repositorys_submissions_folder_from_notebooks(monkeypatch):
    monkeypatch.chdir(REPO_ROOT / "notebooks")
    assert find_submissions_dir() == SUBMISSIONS


def test_the_entry_notebook_keeps_the_template_and_names_the_team():
    template, entry = _cells(TEMPLATE), _cells(EXAMPLE / "example-team.ipynb")
    assert len(entry) == len(template)
    slide = [c["metadata"].get("slideshow") for c in entry]
    assert slide == [c["metadata"].get("slideshow") for c in template]
    title = cell_source(entry[0])
    assert title.startswith("# Example team · Public sector and other employers\n")
    assert "**Team:** Example team · Ada, Sam" in title
    assert "**Question:** Is the typical gender pay gap smaller" in title
    assert "**Licence:** CC-BY-4.0" in title
    assert "[![Open In Colab]" not in title
    # The Colab set-up cell is the template's, so the entry installs the same package there.
    assert cell_source(entry[1]) == cell_source(template[1])
    assert is_setup_cell(entry[1])
    text = "\n".join(cell_source(c) for c in entry)
    assert CHECK_MARKER not in text
    assert "new-team" not in text, "the copying instructions are for the template only"
    assert "submissions/example-team/example-team.ipynb" in text
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", text)
    assert links and all(link.startswith("../../notebooks/") for link in links)
    for link in links:
        assert (EXAMPLE / link).resolve().is_file(), link


def test_the_template_tells_teams_to_use_new_team():
    text = "\n".join(cell_source(c) for c in _cells(TEMPLATE))
    assert 'python -m paygap_utils new-team "Team name"' in text
    assert "submissions/<team-slug>/<team-slug>.ipynb" in text


# --- check-entry ----------------------------------------------------------------------------


def test_the_example_entry_passes(capsys):
    assert check_entry(EXAMPLE) == []
    assert main(["check-entry"]) == 0
    assert "submissions/example-team: ok" in capsys.readouterr().out


BROKEN = {
    "outputs": (
        lambda f: _edit_notebook(f, lambda cells: cells[4].update(execution_count=3)),
        "have outputs",
    ),
    "setup-cell-changed": (
        lambda f: _edit_notebook(f, lambda cells: cells[1].update(source="%pip install x")),
        "is the Colab set-up cell but differs",
    ),
    "checked-output": (
        lambda f: _edit_notebook(f, _add_code(f"{CHECK_MARKER}\nprint(1)")),
        "delete that line",
    ),
    "personal-data": (
        lambda f: _edit_notebook(f, _add_code("df['responsible_person'].head()")),
        "responsible_person",
    ),
    "bad-yaml": (lambda f: (f / "team.yml").write_text("team: [unclosed\n"), "not valid YAML"),
    "unknown-licence": (
        lambda f: _edit_team(f, lambda t: t.update(licence="GPL-9")),
        "licence: 'GPL-9' is not allowed",
    ),
    "email-member": (
        lambda f: _edit_team(f, lambda t: t.update(members=["ada@example.org"])),
        "or an e-mail",
    ),
    "unlisted-package": (
        lambda f: _edit_team(f, lambda t: t.update(requirements=["tensorflow"])),
        "requirements/0: 'tensorflow' is not allowed",
    ),
    "extra-field": (
        lambda f: _edit_team(f, lambda t: t.update(email="x")),
        "unknown field(s) 'email'; the fields are team, title",
    ),
    "control-character": (
        lambda f: _edit_team(f, lambda t: t.update(title="Gap\x07")),
        "title: has a control character",
    ),
    "no-team-yml": (lambda f: (f / "team.yml").unlink(), "team.yml: missing"),
    "renamed-notebook": (
        lambda f: (f / "example-team.ipynb").rename(f / "draft.ipynb"),
        "example-team.ipynb: missing",
    ),
    "two-notebooks": (
        lambda f: shutil.copy(f / "example-team.ipynb", f / "draft.ipynb"),
        "draft.ipynb: not a file an entry can hold",
    ),
    "not-a-notebook": (
        lambda f: (f / "example-team.ipynb").write_text("{"),
        "not a valid notebook",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_check_entry_says_what_to_fix(entry, case):
    breaking, message = BROKEN[case]
    breaking(entry)
    problems = check_entry(entry)
    assert any(message in p for p in problems), problems


INSTALLS = [
    "%pip install tensorflow",
    "!python -m pip install requests-oauthlib",
    "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pip',\n    'install', 'x'])",
    "get_ipython().system('pip3  --quiet install x')",
    "import pip\npip.main(['install', 'x'])",
    "import os\nos.system('conda install -y x')",
    "!uv pip install x",
    "import ensurepip",
]


@pytest.mark.parametrize("source", INSTALLS)
def test_installing_a_package_is_refused_however_it_is_written(entry, source):
    _edit_notebook(entry, _add_code(source))
    assert any("installs packages" in p for p in check_entry(entry))


def _hostile_files(folder: Path, outside: Path) -> dict[str, str]:
    """Put every kind of file an entry may not hold into ``folder``: name -> expected message."""
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --collect-only\n")
    (folder / "conftest.py").write_text(
        "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n"
    )
    for name in ("setup.cfg", "tox.ini", "pyproject.toml", "evil.pth", "helper.py"):
        (folder / name).write_text("[tool:pytest]\naddopts = --collect-only\n")
    (folder / "extract.txt").write_text("employer,gap\nA,1\n")
    (folder / "extract.csv.gz").write_bytes(b"\x1f\x8b" + b"\0" * 100)
    (folder / "chart.png").write_text("employer,gap\nA,1\n")  # data with an image's name
    (folder / "huge.png").write_bytes(b"\x89PNG" + b"\0" * 2_100_000)
    checkpoints = folder / ".ipynb_checkpoints"
    checkpoints.mkdir()
    (checkpoints / "example-team-checkpoint.ipynb").write_bytes(b"0" * 3_000_000)
    (folder / "figures").mkdir()
    (folder / "zero.png").symlink_to("/dev/zero")
    (folder / "<img src=x onerror=alert(1)>\n.gif").write_bytes(b"GIF89a")
    return {
        "pytest.ini": "change how Python or the tests run",
        "conftest.py": "change how Python or the tests run",
        "setup.cfg": "change how Python or the tests run",
        "tox.ini": "change how Python or the tests run",
        "pyproject.toml": "change how Python or the tests run",
        "evil.pth": "change how Python or the tests run",
        "helper.py": "change how Python or the tests run",
        "extract.txt": "not a file an entry can hold",
        "extract.csv.gz": "not a file an entry can hold",
        "chart.png": "not a PNG image",
        "huge.png": "more than the 2,000,000 an entry's image may have",
        ".ipynb_checkpoints": "hidden files and folders",
        "figures": "not a file an entry can hold",
        "zero.png": "a symbolic link",
        r"<img src=x onerror=alert(1)>\n.gif": "a name with characters other than",
    }


def _check_entry_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m paygap_utils check-entry``, as the workflow runs it, under 1 GB of memory."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "paygap_utils", "check-entry", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_memory,
    )


def test_check_entry_refuses_every_file_an_entry_may_not_hold(entry, tmp_path):
    expected = _hostile_files(entry, tmp_path)
    result = _check_entry_process(str(entry), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("  - ")]
    for name, message in expected.items():
        shown = f"{SUBMISSIONS.name}/{entry.name}/{name}: "  # the CLI shows paths from cwd
        assert any(ln.startswith(f"  - {shown}") and message in ln for ln in lines), (name, lines)
    assert len(lines) == len(expected), "nothing else, and each file once"
    assert "<img" not in result.stdout.replace(r"<img src=x onerror=alert(1)>\n", ""), (
        "a file name is shown escaped, on one line"
    )


def test_links_are_never_followed(entry, tmp_path):
    secret = tmp_path / "outside" / "notes.yml"
    secret.parent.mkdir()
    secret.write_text("team: SECRET-TEXT-FROM-OUTSIDE\n" * 100)
    (entry / "team.yml").unlink()
    (entry / "team.yml").symlink_to(secret)
    (entry / "example-team.ipynb").unlink()
    (entry / "example-team.ipynb").symlink_to("/dev/zero")
    result = _check_entry_process(str(entry), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    out = result.stdout + result.stderr
    assert "submissions/example-team/team.yml: a symbolic link" in out
    assert "submissions/example-team/example-team.ipynb: a symbolic link" in out
    assert "SECRET-TEXT" not in out and "MemoryError" not in out and "Traceback" not in out
    # A whole entry folder that is a link is refused too, without looking inside.
    link = entry.parent / "linked-team"
    link.symlink_to(secret.parent, target_is_directory=True)
    result = _check_entry_process(
        str(link / "notes.yml"), "--submissions", str(entry.parent), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "submissions/linked-team: not an entry folder" in result.stdout, result.stdout


def test_a_hidden_file_git_ignores_is_no_mistake_until_it_is_committed(tmp_path):
    """JupyterLab's checkpoints sit in every entry it opened; a commit is what counts."""
    repo = tmp_path / "repo"
    entry = repo / "submissions" / "example-team"
    shutil.copytree(EXAMPLE, entry)
    shutil.copytree(EXAMPLE, repo / "ignored" / "example-team")
    (repo / ".gitignore").write_text(".ipynb_checkpoints/\n*.sqlite\nignored/\n")
    checkpoints = entry / ".ipynb_checkpoints"
    checkpoints.mkdir()
    (checkpoints / "example-team-checkpoint.ipynb").write_bytes(b"0" * 3_000_000)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert check_entry(entry) == []
    # Whatever git ignores that is not hidden is still checked, and so is an ignored entry.
    (entry / "scratch.sqlite").write_bytes(b"")
    (repo / "ignored" / "example-team" / "conftest.py").write_text("")
    assert "scratch.sqlite: not a file an entry can hold" in check_entry(entry)[0]
    assert "conftest.py: files that change how" in check_entry(repo / "ignored" / "example-team")[0]
    (entry / "scratch.sqlite").unlink()
    subprocess.run(["git", "add", "-f", str(checkpoints)], cwd=repo, check=True)
    (problem,) = check_entry(entry)
    assert problem.startswith(f"{checkpoints}: hidden files and folders")


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\nteam: *i\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_alias_bomb(), "not valid YAML (an alias (*name) at line 2, column 8"),
        ("team: " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),
        ("team: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("title: '" + "SECRET " * 1000 + "'\n", "title: must keep to maxLength 120"),
        ("title: ['SECRET', {'SECRET': 1}]\n", "title: should be text"),
        ("SECRET-FIELD-" + "x" * 50 + ": 1\n", "unknown field(s) this value"),
        ("members: SECRET\n", "members: should be a list"),
        ("- SECRET\n", "team.yml: the whole file: should be 'field: value' lines"),
        ("title: " + "x" * 17_000 + "\n", "17,008 bytes, more than the 16,000 an entry's team.yml"),
    ],
    ids=[
        "alias-bomb",
        "deep-nesting",
        "python-tag",
        "long",
        "wrong-type",
        "long-field",
        "list",
        "not-a-mapping",
        "oversized",
    ],
)
def test_team_yml_is_read_safely_and_never_echoed(entry, tmp_path, text, message):
    (entry / "team.yml").write_text(text)
    result = _check_entry_process(str(entry), cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stdout, result.stdout
    assert "SECRET" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stdout) < 5000, "one line per problem, not the document"


def test_the_checks_of_a_runner_are_not_the_entrys_to_change(entry, tmp_path):
    """An entry whose notebook fails stays failed, whatever configuration files it carries."""
    _edit_notebook(entry, _add_code("raise RuntimeError('the entry is broken')"))
    _hostile_files(entry, tmp_path)
    result = _check_entry_process(str(entry), "--run", cwd=tmp_path)
    assert result.returncode == 2
    assert "change how Python or the tests run" in result.stdout
    assert "ran to the end" not in result.stdout
    for name in ("pytest.ini", "conftest.py", "setup.cfg", "tox.ini", "pyproject.toml"):
        assert (entry / name).exists(), "the check reports the files; it never deletes"


@pytest.mark.data
def test_run_entry_runs_the_notebook_without_a_test_runner(entry, tmp_path):
    _edit_notebook(entry, _add_code("raise RuntimeError('the entry is broken')"))
    _hostile_files(entry, tmp_path)  # pytest.ini, conftest.py ... are not even read
    with pytest.raises(SubmissionError, match=r"cell 18 stopped the run \(RuntimeError: the entry"):
        run_entry(entry)


@pytest.mark.data
@pytest.mark.parametrize(
    "folder", sorted(p for p in SUBMISSIONS.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_every_committed_entry_passes_the_check_and_runs(folder):
    assert check_entry(folder) == []
    notebook = run_entry(folder)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code if c.source.strip())


def test_markup_in_every_field_is_only_text_to_the_check(entry):
    markup = '"><img src=x onerror=alert(1)> `{raw}` <script>'
    _edit_team(
        entry,
        lambda t: t.update(
            team=markup,
            title=f"It's `the` gap {markup}",
            members=[markup, "Zoë"],
            question=f"Who pays? {markup} فجوة 差距",
        ),
    )
    assert check_entry(entry) == []
    team = read_team(entry)
    assert team.team == markup and team.members == (markup, "Zoë")


def test_a_missing_package_is_named_with_where_to_list_it(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    cell = {"cell_type": "code", "id": "c0", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {"cells": [{**cell, "source": "import notapackage_xyz"}], "metadata": {}}
    (folder / "demo.ipynb").write_text(json.dumps({**notebook, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(SubmissionError) as raised:
        run_entry(folder)
    message = str(raised.value)
    assert (
        "cell 0 stopped the run (ModuleNotFoundError: No module named 'notapackage_xyz')" in message
    )
    assert "list the package under requirements in team.yml" in message


def test_a_badly_named_folder_is_refused(tmp_path):
    folder = tmp_path / "Team_Blue"
    shutil.copytree(EXAMPLE, folder)
    assert any("rename the folder" in p for p in check_entry(folder))


def test_check_entry_cli_exits_2_and_writes_what_the_workflow_installs(entry, tmp_path, capsys):
    root = entry.parent
    good = new_team("Team Blue", submissions=root)
    _edit_team(
        good,
        lambda t: t.update(
            title="Bonus gaps", members=["@blue"], question="Who pays bonuses, and to whom?"
        ),
    )
    _edit_team(entry, lambda t: t.update(requirements=["statsmodels"]))
    requirements = tmp_path / "requirements.txt"
    args = ["check-entry", "--submissions", str(root), "--requirements-out", str(requirements)]
    assert main(args) == 0
    assert requirements.read_text() == "statsmodels\n"
    assert oct(requirements.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    capsys.readouterr()
    (good / "team.yml").write_text("team: Blue\n")
    requirements.unlink()
    assert main(args) == 2
    captured = capsys.readouterr()
    assert f"{good}: 4 problem(s)" in captured.out
    assert "'title' is a required property" in captured.out
    assert "1 of 2 entries to fix" in captured.err
    assert requirements.read_text() == "statsmodels\n", "the passing entry's packages only"


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_in_github_actions_problems_become_escaped_annotations(entry, monkeypatch, capsys):
    from paygap_utils.cli import _github_annotation

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (entry / "team.yml").write_text("team: [unclosed\n")
    args = ["check-entry", str(entry / "team.yml"), "--submissions", str(entry.parent)]
    assert main(args) == 2
    annotations = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("::")]
    assert len(annotations) == 1
    path = str(entry / "team.yml").replace(":", "%3A")
    assert annotations[0].startswith(f"::error file={path}::")
    assert "not valid YAML" in annotations[0]
    # A message cannot end the annotation and start a workflow command of its own.
    assert _github_annotation("a,b:c", "100%\n::add-mask::x") == (
        "::error file=a%2Cb%3Ac::100%25%0A::add-mask::x"
    )


def test_entry_folders_maps_changed_files_to_entries(entry, tmp_path):
    root = entry.parent
    (root / "README.md").write_text("entries")
    (root / "stray.py").write_text("")  # not an entry: check-entry must see it
    (root / "linked").symlink_to(tmp_path, target_is_directory=True)
    changed = [
        entry / "team.yml",
        entry / "example-team.ipynb",
        root / "gone-team" / "team.yml",  # deleted by the pull request
        root / "README.md",
        root / "stray.py",
        root / "linked" / "x.ipynb",
        tmp_path / "README.md",  # outside submissions/
    ]
    assert entry_folders(changed, root=root) == [entry, root / "linked", root / "stray.py"]
    assert entry_folders(None, root=root) == [entry, root / "linked"]
    assert check_entry(root / "stray.py")[0].endswith("new-team`.")
    assert "not an entry folder" in check_entry(root / "linked")[0]


def test_the_test_suite_never_collects_an_entry():
    """pytest would load an entry's conftest.py or pytest.ini: entries are run by run_entry."""
    tomllib = pytest.importorskip("tomllib")
    settings = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert "submissions" not in settings["ini_options"]["testpaths"]
    assert "submissions" not in settings["ini_options"].get("addopts", "")


# --- the pull-request path ------------------------------------------------------------------


def _workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def _steps() -> list[dict]:
    return [step for job in _workflow()["jobs"].values() for step in job["steps"]]


def test_the_workflow_is_validated_against_the_github_actions_schema():
    from tests.test_workflows import WORKFLOW_FILES

    # tests/test_workflows.py checks every file in WORKFLOW_FILES with check-jsonschema.
    assert WORKFLOW in WORKFLOW_FILES


def test_the_workflow_runs_on_pull_requests_touching_submissions_only():
    assert _workflow()["on"] == {"pull_request": {"paths": ["submissions/**"]}}


def test_the_workflow_cannot_leak_secrets_or_run_pasted_text():
    text = WORKFLOW.read_text()
    workflow = _workflow()
    assert "pull_request_target" not in workflow["on"]
    assert "workflow_run" not in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())
    assert "secrets." not in text and "GITHUB_TOKEN" not in text
    checkouts = [s for s in _steps() if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)
    # Pull-request text reaches scripts through env and files only, never pasted in.
    for step in _steps():
        assert "${{" not in step.get("run", ""), step.get("name")
    assert workflow["defaults"]["run"]["shell"] == "bash", "pipes must fail the step"


def test_the_workflow_checks_then_runs_the_entry_on_the_real_data():
    runs = [step.get("run", "") for step in _steps()]
    joined = "\n".join(runs)
    assert 'pip install -e ".[submissions]"' in joined
    order = [
        next(i for i, r in enumerate(runs) if needle in r)
        for needle in ("git diff", "paygap_utils check-entry", '-r "$RUNNER_TEMP/requirements"')
    ]
    order.append(next(i for i, r in enumerate(runs) if "check-entry --run" in r))
    assert order == sorted(order), "check, then install what is listed, then run"
    assert order[-1] == len(runs) - 1, "the entry's code runs last, with nothing after it"
    assert "pytest" not in joined, "no test runner: nothing in an entry can configure it"
    assert "PAYGAP_DATA_URL" not in WORKFLOW.read_text(), "the pinned URLs, not a mirror"


def _run_step(name: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (step,) = [s for s in _steps() if s.get("name") == name]
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**env, **{k: str(v) for k, v in step.get("env", {}).items() if "${{" not in v}},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def pull_request(tmp_path) -> tuple[Path, dict[str, str]]:
    """A git repository whose HEAD adds an entry on top of a base commit, and the step env."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(TEMPLATE, repo / "notebooks")
    shutil.copytree(EXAMPLE, repo / "submissions" / "example-team")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    folder = new_team("Team Blue", submissions=repo / "submissions")
    _edit_team(
        folder,
        lambda t: t.update(title="Bonuses", members=["Kim"], question="Who pays bonuses at all?"),
    )
    git("add", "-A")
    git("commit", "-qm", "entry")
    runner = tmp_path / "runner"
    runner.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "BASE_SHA": base,
        "RUNNER_TEMP": str(runner),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "GITHUB_ACTIONS": "true",
    }
    return repo, env


def test_the_workflow_steps_check_the_entry_a_pull_request_adds(pull_request):
    repo, env = pull_request
    listed = _run_step("List the files the pull request changes", repo, env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    changed = Path(env["RUNNER_TEMP"], "changed").read_text().split("\0")
    assert set(filter(None, changed)) == {
        "submissions/team-blue/team-blue.ipynb",
        "submissions/team-blue/team.yml",
    }
    checked = _run_step("Check the entry's files, team.yml and notebook", repo, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == ["submissions/team-blue: ok"], "only the changed entry"
    assert "team-blue: ok" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


@pytest.mark.data
def test_the_workflow_runs_the_entry_and_a_planted_configuration_cannot_pass_it(pull_request):
    repo, env = pull_request
    folder = repo / "submissions" / "team-blue"
    assert _run_step("List the files the pull request changes", repo, env).returncode == 0
    ran = _run_step("Run each entry's notebook on the real data", repo, env)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "submissions/team-blue: ok (the notebook ran to the end)" in ran.stdout
    _edit_notebook(folder, _add_code("raise RuntimeError('broken')"))
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --collect-only\n")
    (folder / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    items[:] = []\n"
    )
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "z"],
        cwd=repo,
        check=True,
    )
    assert _run_step("List the files the pull request changes", repo, env).returncode == 0
    for step in (
        "Check the entry's files, team.yml and notebook",
        "Run each entry's notebook on the real data",
    ):
        result = _run_step(step, repo, env)
        assert result.returncode != 0, step
        assert "pytest.ini: files that change how Python or the tests run" in result.stdout
    # Were the check skipped, the run itself still fails on the cell that raises.
    with pytest.raises(SubmissionError, match="RuntimeError: broken"):
        run_entry(folder)


def test_the_workflow_steps_refuse_a_broken_entry_and_changes_elsewhere(pull_request):
    repo, env = pull_request
    (repo / "submissions" / "team-blue" / "team.yml").write_text("team: Blue\n")
    (repo / "conftest.py").write_text("# changed\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "y"],
        cwd=repo,
        check=True,
    )
    listed = _run_step("List the files the pull request changes", repo, env)
    assert listed.returncode == 1
    assert "::error::An entry's pull request changes only files in submissions/" in listed.stdout
    assert "  - conftest.py" in listed.stdout
    checked = _run_step("Check the entry's files, team.yml and notebook", repo, env)
    assert checked.returncode != 0, checked.stdout + checked.stderr
    annotation = "::error file=submissions/team-blue/team.yml::submissions/team-blue/team.yml: "
    assert annotation in checked.stdout and "'title' is a required property" in checked.stdout


def test_the_pull_request_template_lists_what_the_check_refuses():
    text = PR_TEMPLATE.read_text()
    for needle in (
        "submissions/<team-slug>/",
        "team.yml",
        "Clear Outputs of All Cells",
        "requirements",
        "responsible_person",
        "python -m paygap_utils check-entry",
        "?template=submission.md",
    ):
        assert needle in text, needle


def test_the_organisers_guide_says_how_results_are_handed_in_and_archived():
    from paygap_utils.cli import build_parser

    text = (REPO_ROOT / "docs" / "organisers.md").read_text()
    section = " ".join(text[text.index("## Results") : text.index("## After the event")].split())
    for needle in (
        "### The day, for results",
        "Save a copy in GitHub",
        "Upload files",
        "template=submission.md",
        "git tag -a event-",
        "Approve and run",
        "submissions/example-team/",
    ):
        assert needle in section, needle
    from paygap_utils.organisers.cli import build_parser as organisers_parser

    for parser, prog, needed in (
        (build_parser(), "paygap_utils", {"new-team", "check-entry"}),
        (organisers_parser(), "paygap_utils.organisers", {"gallery"}),
    ):
        commands = set(re.findall(rf"python -m {re.escape(prog)} ([a-z-]+)", section))
        assert needed <= commands
        known = set(parser._subparsers._group_actions[0].choices)
        assert commands <= known, commands - known


def test_check_entry_with_no_submissions_folder_checks_nothing(tmp_path, capsys):
    assert main(["check-entry", "--submissions", str(tmp_path / "none")]) == 0
    assert "No entry folders to check" in capsys.readouterr().out
