"""The GitHub Actions workflows: valid for GitHub, and running what developers run.

Every file in ``.github/workflows/`` is checked with ``check-jsonschema`` against the GitHub
workflow schema it ships (no network needed), so a misspelled key fails here instead of as a
workflow that silently never runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import REPO_ROOT

yaml = pytest.importorskip("yaml")

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
TEST_COMMAND = "bash scripts/test"


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``check-jsonschema --builtin-schema <schema> <path>`` with this interpreter."""
    pytest.importorskip("check_jsonschema")
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def load(name: str) -> dict[str, Any]:
    """Load a workflow; YAML 1.1 reads the key ``on`` as ``True``, so it is renamed back."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_commands(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def test_expected_workflows_exist():
    names = {path.name for path in WORKFLOW_FILES}
    assert {"tests.yml", "data-checksums.yml", "binder.yml", "image.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_github_schema(path):
    result = check_jsonschema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_job_has_a_timeout(path):
    # A hung download or browser must not burn six hours of runner time.
    result = check_jsonschema("custom.github-workflows-require-timeout", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    runs-on: ubuntu-latest\n", "", "'runs-on' is a required property"),
        ("    steps:\n", "    step:\n", "'step' was unexpected"),
        ("    timeout-minutes: 45\n", "    timeout-minutes: forty\n", "is not of type"),
    ],
    ids=["runs-on-missing", "misspelled-key", "text-for-number"],
)
def test_schema_rejects_broken_workflow(tmp_path, old, new, expected):
    text = (WORKFLOWS / "tests.yml").read_text()
    assert old in text, f"tests.yml no longer contains {old!r}; update this test"
    broken = tmp_path / "tests.yml"
    broken.write_text(text.replace(old, new, 1))
    result = check_jsonschema("vendor.github-workflows", broken)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_tests_workflow_runs_the_suite_on_every_change():
    workflow = load("tests.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    commands = run_commands(workflow)
    assert TEST_COMMAND in commands
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["include"]
    assert {entry["args"]: entry["python"] for entry in matrix} == {
        "--binder": "3.12",  # the image's Python
        "": "3.11",
        "--colab": "3.11",  # Colab's Python
    }


def test_tests_workflow_caches_pip_by_the_files_that_decide_the_installs():
    setups = [s for s in steps(load("tests.yml")) if "actions/setup-python" in s.get("uses", "")]
    assert setups
    for setup in setups:
        assert setup["with"]["python-version"] == "${{ matrix.python }}"
        assert setup["with"]["cache"] == "pip"
        assert setup["with"]["cache-dependency-path"].split() == [
            "pyproject.toml",
            "image-requirements.txt",
        ]


def test_tests_workflow_keeps_artefacts_of_failed_runs():
    uploads = [s for s in steps(load("tests.yml")) if "upload-artifact" in s.get("uses", "")]
    assert uploads and all(u["if"] == "always()" for u in uploads)
    assert all(u["with"]["path"].rstrip("/") == "test-artifacts" for u in uploads)


@pytest.mark.parametrize("name", [".ci/run", "README.md"])
def test_ci_runs_the_same_command_as_developers(name):
    path = REPO_ROOT / name
    assert path.is_file(), f"{name} is missing"
    for suite in ("", " --binder", " --colab"):
        command = TEST_COMMAND + suite
        assert command in path.read_text(), f"{name} does not mention `{command}`"


def test_data_checksum_alarm_runs_weekly():
    workflow = load("data-checksums.yml")
    assert workflow["on"]["schedule"] and "workflow_dispatch" in workflow["on"]
    commands = run_commands(workflow)
    # An empty data folder: every pinned file is downloaded and checked against its sha256.
    assert 'PAYGAP_DATA_DIR="$RUNNER_TEMP/paygap-data" python -m paygap_utils fetch' in commands
    text = (WORKFLOWS / "data-checksums.yml").read_text()
    assert "refresh" in text and "docs/organisers.md" in text, "say what to do when it fails"


def test_binder_build_follows_pushes_to_main():
    workflow = load("binder.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    urls = [step.get("env", {}).get("BUILD_URL", "") for step in steps(workflow)]
    assert "https://mybinder.org/build/gh/${{ github.repository }}/${{ github.ref_name }}" in urls


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_the_workflow_token_is_read_only(path):
    """Every workflow's token can only read; a job that must write says so, and only site.yml's
    deploy job (GitHub Pages) does."""
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        allowed = {"pages", "id-token"} if (path.name, name) == ("site.yml", "deploy") else set()
        assert writes <= allowed, f"{path.name} job {name} may write {sorted(writes - allowed)}"


def test_workflows_do_not_repeat_the_repository_name():
    """The owner/name lives in pyproject.toml; workflows use ${{ github.repository }}."""
    tomllib = pytest.importorskip("tomllib")
    settings = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["paygap-starter"]
    for path in WORKFLOW_FILES:
        assert settings["github"] not in path.read_text(), path.name
        assert not re.search(r"github\.com/[\w.-]+/[\w.-]+", path.read_text()), path.name


def test_site_workflow_builds_with_the_developers_command_and_publishes_main_only():
    workflow = load("site.yml")
    assert "bash scripts/site" in run_commands(workflow)
    assert workflow["on"]["push"]["branches"] == ["main"]
    uploads = [s for s in steps(workflow) if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "_build/site/html"
    deploy = workflow["jobs"]["deploy"]
    assert "pull_request" in deploy["if"] and deploy["permissions"]["pages"] == "write"
    assert any("deploy-pages" in s.get("uses", "") for s in deploy["steps"])


def test_image_build_runs_on_pull_requests_that_change_the_image():
    """What goes into the Binder image: a pull request changing any of it builds the image."""
    workflow = load("image.yml")
    paths = set(workflow["on"]["pull_request"]["paths"])
    assert {
        "environment.yml",
        "image-requirements.txt",
        "postBuild",
        "data_manifest.json",
        "pyproject.toml",
        "scripts/check_image.py",
    } <= paths
    for path in paths:
        assert (REPO_ROOT / path).is_file(), f"image.yml watches {path}, which does not exist"


def test_image_build_uses_repo2docker_then_runs_notebook_00_and_the_explorer_inside():
    workflow = load("image.yml")
    commands = run_commands(workflow)
    build = commands.index("jupyter-repo2docker --no-run")
    assert "--user-name jovyan" in commands and "--user-id 1000" in commands
    inside = commands.index('docker run --rm --network none "$IMAGE"')
    assert build < inside
    assert "notebooks/00_start_here.ipynb" in commands and "notebooks/explorer.ipynb" in commands
    assert "voila --no-browser" in commands and "widget-view+json" in commands
    assert "docker image inspect" in commands and "GITHUB_STEP_SUMMARY" in commands


def test_image_build_installs_the_repo2docker_the_suite_uses():
    # the version comes from pyproject.toml's test extra, not from a second pin in the workflow
    install = next(s for s in steps(load("image.yml")) if s.get("name") == "Install repo2docker")
    assert "pyproject.toml" in install["run"] and '"test"' in install["run"]
    assert not re.search(r"repo2docker\s*[=<>]", install["run"])


def test_the_suites_name_existing_test_modules():
    """BINDER_ONLY and COLAB (tests/plugin.py) decide which tests each suite of .ci/run runs: a
    misspelt or removed module name would silently move tests between suites."""
    from tests import plugin as conftest

    modules = {path.stem for path in (REPO_ROOT / "tests").glob("test_*.py")}
    assert conftest.BINDER_ONLY <= modules, sorted(conftest.BINDER_ONLY - modules)
    assert conftest.COLAB <= modules, sorted(conftest.COLAB - modules)
    assert not conftest.BINDER_ONLY & conftest.COLAB
    assert {"test_loader", "test_notebooks", "test_published_figures"} <= conftest.COLAB
