"""The pre-commit hooks enforce what the tests enforce: stripped notebooks and ruff-clean code."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.paths import REPO_ROOT

yaml = pytest.importorskip("yaml")

PINNED = re.compile(r"v?\d+\.\d+(\.\d+)?")


@pytest.fixture(scope="module")
def repos() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    return {repo["repo"]: repo for repo in config["repos"]}


def hooks(repo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in repo["hooks"]}


def test_every_hook_is_pinned_to_a_release(repos):
    for url, repo in repos.items():
        if url in {"local", "meta"}:
            continue
        assert PINNED.fullmatch(repo["rev"]), f"{url} rev {repo['rev']!r} is not a release tag"


def test_notebooks_lose_outputs_and_execution_counts(repos):
    nbstripout = hooks(repos["https://github.com/kynan/nbstripout"])["nbstripout"]
    args = nbstripout.get("args", [])
    assert "--keep-output" not in args and "--keep-count" not in args


def test_ruff_lints_and_formats(repos):
    ruff = hooks(repos["https://github.com/astral-sh/ruff-pre-commit"])
    assert {"ruff-check", "ruff-format"} <= set(ruff)
    assert "--exit-zero" not in ruff["ruff-check"].get("args", [])


def test_ruff_settings_come_from_pyproject():
    tomllib = pytest.importorskip("tomllib")
    ruff = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert "*.ipynb" in ruff.get("extend-include", []), "ruff must also check the notebooks"


def test_the_test_suite_uses_the_hook_s_ruff(repos):
    tomllib = pytest.importorskip("tomllib")
    test_extra = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    rev = repos["https://github.com/astral-sh/ruff-pre-commit"]["rev"].lstrip("v")
    assert f"ruff=={rev}" in test_extra


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_the_repository_is_ruff_clean(command):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
