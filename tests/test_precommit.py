"""The pre-commit hooks enforce what the tests enforce: stripped notebooks and ruff-clean code.

pre-commit itself checks the configuration (``pre-commit validate-config``): its structure,
and that every hook is pinned to a fixed revision, not a moving branch. The tests below add
only what is this project's choice: which hooks run, with which arguments and which ruff.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import REPO_ROOT

yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")

CONFIG = REPO_ROOT / ".pre-commit-config.yaml"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <args>`` from the repository folder; stdout and stderr together."""
    return subprocess.run(
        [sys.executable, "-m", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
        timeout=120,
    )


def validate_config(path: Path) -> tuple[int, str]:
    """What ``pre-commit validate-config`` says of ``path``: its exit status and output."""
    pytest.importorskip("pre_commit")
    result = run("pre_commit", "validate-config", path)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def repos() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(CONFIG.read_text())
    return {repo["repo"]: repo for repo in config["repos"]}


def hooks(repo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in repo["hooks"]}


def test_config_is_valid_and_pinned_for_pre_commit():
    status, output = validate_config(CONFIG)
    assert status == 0, output
    # pre-commit only warns (exit 0) about a rev that is a moving branch or tag.
    assert "[WARNING]" not in output, output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    hooks:\n", "    hook:\n", "Missing required key: hooks"),
        ("rev: 0.9.1", "rev: main", "appears to be a mutable reference"),
    ],
    ids=["misspelled-key", "moving-branch"],
)
def test_pre_commit_flags_a_broken_config(tmp_path, old, new, expected):
    text = CONFIG.read_text()
    assert old in text, f".pre-commit-config.yaml no longer contains {old!r}; update this test"
    broken = tmp_path / ".pre-commit-config.yaml"
    broken.write_text(text.replace(old, new, 1))
    _, output = validate_config(broken)
    assert expected in output, output


def test_notebooks_lose_outputs_and_execution_counts(repos):
    nbstripout = hooks(repos["https://github.com/kynan/nbstripout"])["nbstripout"]
    args = nbstripout.get("args", [])
    assert "--keep-output" not in args and "--keep-count" not in args


def test_ruff_lints_and_formats(repos):
    ruff = hooks(repos["https://github.com/astral-sh/ruff-pre-commit"])
    assert {"ruff-check", "ruff-format"} <= set(ruff)
    assert "--exit-zero" not in ruff["ruff-check"].get("args", [])


def test_ruff_checks_the_notebooks():
    result = run("ruff", "check", "--show-files", ".")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    checked = {Path(line).resolve() for line in result.stdout.splitlines()}
    assert (REPO_ROOT / "notebooks" / "00_start_here.ipynb").resolve() in checked


def test_the_test_suite_uses_the_hook_s_ruff(repos):
    test_extra = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    rev = repos["https://github.com/astral-sh/ruff-pre-commit"]["rev"].lstrip("v")
    assert f"ruff=={rev}" in test_extra
    assert run("ruff", "--version").stdout.split() == ["ruff", rev], "reinstall the test extra"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_the_repository_is_ruff_clean(command):
    result = run("ruff", *command, ".")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
