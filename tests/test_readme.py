"""README.md and docs/contributing.md tell the truth: commands are what CI runs, links, tables
and the layout they describe are current."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
# `](target)`: the target of every markdown link and image, nested badges included.
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text()


def code_lines(text: str) -> list[str]:
    """The lines of the fenced code blocks, without trailing comments."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line.split("  #")[0].strip())
    return lines


def block(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, flags=re.S)
    assert match, f"README.md has lost its <!-- {name}:start/end --> markers"
    return match[1]


def test_the_readme_test_command_is_what_ci_runs(readme):
    commands = [line for line in code_lines(readme) if line.startswith("bash scripts/test")]
    assert commands, "the README shows no `bash scripts/test` command"
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    for command in commands:
        assert command in ci, f".ci/run does not run the README's `{command}`"


def test_the_readme_commands_are_strict_executable_scripts(readme):
    assert "bash scripts/lab" in code_lines(readme)
    for name in ("scripts/lab", "scripts/test", ".ci/run"):
        path = REPO_ROOT / name
        text = path.read_text()
        assert text.startswith("#!/bin/bash\n") and "set -euo pipefail" in text, name
        assert os.access(path, os.X_OK), f"{name} is not executable"


def test_badges_and_table_are_in_step_with_the_setting():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "sync_links.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_notebook_is_in_the_table(readme):
    table = block(readme, "notebooks")
    notebooks = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        assert f"](notebooks/{path.name})" in table, f"{path.name} is not in the README's table"


def test_every_relative_link_points_to_a_file(readme):
    targets = [t for t in LINK_TARGET.findall(readme) if not re.match(r"[a-z]+:|#", t)]
    assert targets
    missing = sorted({t for t in targets if not (REPO_ROOT / t.split("#")[0]).exists()})
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_licence_and_attribution(readme):
    manifest = json.loads((REPO_ROOT / "data_manifest.json").read_text())
    assert manifest["licence"]["attribution"] in " ".join(readme.split())
    assert "BSD 3-Clause License" in (REPO_ROOT / "LICENSE").read_text()


def test_the_conda_commands_name_the_environment(readme):
    yaml = pytest.importorskip("yaml")
    name = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())["name"]
    conda = [line for line in code_lines(readme) if line.startswith("conda env create")]
    assert conda and f"conda activate {name} " in conda[0]


CONTRIBUTING = REPO_ROOT / "docs" / "contributing.md"
#: Folders of the repository a path in docs/contributing.md may be named relative to.
FOLDERS = (
    *("", "paygap_utils", "scripts", "tests", "notebooks", "submissions", "site", "docs"),
    "submissions/example-team",
)
#: Backticked names that are not paths (commands, settings) or name what a build makes.
NOT_PATHS = re.compile(r"[\s<>()\[\]$#]|^\.|^_build/|^test-artifacts/|^python |^NN_")


def test_contributing_names_only_paths_that_exist():
    named = re.findall(r"`([^`]+)`", CONTRIBUTING.read_text())
    paths = {n for n in named if not NOT_PATHS.search(n) and re.search(r"/|\.[a-z]+$", n)}
    assert len(paths) > 20, "docs/contributing.md names fewer paths than expected"
    missing = sorted(p for p in paths if not any((REPO_ROOT / f / p).exists() for f in FOLDERS))
    assert not missing, f"docs/contributing.md names paths that do not exist: {missing}"


def test_contributing_says_where_to_change_each_thing():
    text = CONTRIBUTING.read_text()
    table = text[text.index("| to change | go to |") :].split("\n\n")[0].splitlines()[2:]
    rows = {row.split("|")[1].strip(): row.split("|")[2] for row in table}
    for task in ("the years", "a cleaning rule", "a chart's style", "the hub config"):
        assert any(name.startswith(task) for name in rows), f"say where to change {task}"
    for name, where in rows.items():
        named = re.findall(r"`([^`]+)`", where)
        files = [n for n in named if any((REPO_ROOT / f / n).is_file() for f in FOLDERS)]
        assert files, f"the row {name!r} names no file"
    # Every module of the package is in one row or another.
    import pkgutil

    import paygap_utils

    for package in ("", "data", "organisers"):
        folder = Path(paygap_utils.__path__[0]) / package
        for module in pkgutil.iter_modules([str(folder)]):
            if not module.name.startswith("_") and not module.ispkg:
                stem = f"{package + '/' if package else ''}{module.name}.py"
                assert stem in text or f"`{module.name}.py`" in text, f"{stem} is in no row"
