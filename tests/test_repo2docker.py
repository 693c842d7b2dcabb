"""What mybinder.org builds: the Dockerfile repo2docker writes for this repository.

``jupyter-repo2docker --no-build --debug .`` prints the Dockerfile without a container
engine, so these checks run anywhere the test dependencies are installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT


def repo2docker() -> list[str] | None:
    """The ``jupyter-repo2docker`` command of this environment, if there is one."""
    beside = Path(sys.executable).parent / "jupyter-repo2docker"
    found = str(beside) if beside.is_file() else shutil.which("jupyter-repo2docker")
    return [found] if found else None


@pytest.fixture(scope="module")
def dockerfile() -> str:
    command = repo2docker()
    if command is None:
        pytest.skip("jupyter-repo2docker is not installed: pip install -e '.[test]'")
    result = subprocess.run(
        [*command, "--no-build", "--debug", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and "FROM " not in output:
        pytest.skip(f"jupyter-repo2docker cannot run here: {output.strip()[-500:]}")
    assert result.returncode == 0, output[-3000:]
    return output


def run_lines(dockerfile: str) -> list[str]:
    return [line.strip() for line in dockerfile.splitlines()]


def test_environment_yml_is_built_by_the_conda_buildpack(dockerfile):
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "environment.yml"' in dockerfile


def test_python_312_is_honoured(dockerfile):
    assert "Building conda environment for python=3.12" in dockerfile
    assert "Python version unspecified" not in dockerfile


def test_postbuild_runs_as_the_notebook_user_after_the_environment(dockerfile):
    lines = run_lines(dockerfile)
    assert "RUN ./postBuild" in lines
    postbuild = lines.index("RUN ./postBuild")
    environment = next(i for i, line in enumerate(lines) if '--file "environment.yml"' in line)
    assert environment < postbuild
    users = [line for line in lines[:postbuild] if line.startswith("USER ")]
    assert users[-1] == "USER ${NB_USER}", "postBuild must not run as root"


def test_home_is_the_notebook_users_at_build_and_run_time(dockerfile):
    # One ENV line sets HOME for every later build step and for the running container.
    assert "HOME=/home/${NB_USER}" in dockerfile
    assert dockerfile.count("HOME=") == 1


def test_the_package_is_installed_once_by_postbuild(dockerfile):
    assert "pip install" not in dockerfile, "something besides postBuild installs packages"


def test_r_comes_from_environment_yml_without_rstudio(dockerfile, monkeypatch):
    """repo2docker reads the R packages; spelled conda-forge::r-..., they add no RStudio."""
    from repo2docker.buildpacks import CondaBuildPack

    monkeypatch.chdir(REPO_ROOT)  # the build pack reads environment.yml from the current folder
    pack = CondaBuildPack(base_image="buildpack-deps:jammy")
    dependencies, uses_r = pack.environment_yaml["dependencies"], pack.uses_r
    wanted = {"r-base", "r-irkernel", "r-dplyr", "r-ggplot2", "r-readr"}
    listed = {d.split("::")[-1].split("=")[0] for d in dependencies if isinstance(d, str)}
    assert wanted <= listed
    assert "r-arrow" not in listed, "R reads the CSV export; r-arrow would only add size"
    assert not uses_r and "rstudio" not in dockerfile.lower() and "r-devtools" not in dockerfile


def test_the_pip_section_is_installed_with_the_environment(monkeypatch):
    """sphinx-revealjs (PyPI only) comes through environment.yml's pip: section, which
    `mamba env update` installs in the same step; with no local path in it, repo2docker builds
    that step before copying the repository, so the cached environment survives other edits."""
    from repo2docker.buildpacks import CondaBuildPack

    monkeypatch.chdir(REPO_ROOT)
    pack = CondaBuildPack(base_image="buildpack-deps:jammy")
    sections = [d["pip"] for d in pack.environment_yaml["dependencies"] if isinstance(d, dict)]
    assert sections and any(line.startswith("sphinx-revealjs==") for line in sections[0])
    assert pack._should_preassemble_env
    assert "pip" in {
        d.split("=")[0] for d in pack.environment_yaml["dependencies"] if isinstance(d, str)
    }


def test_postbuild_registers_the_r_kernel_and_writes_the_exports():
    text = (REPO_ROOT / "postBuild").read_text()
    assert "IRkernel::installspec(prefix" in text
    assert "export --format csv" in text and "export --format sqlite" in text


def test_the_proxy_entry_is_installed_with_the_package():
    """postBuild's `pip install .` registers the Datasette launcher for jupyter-server-proxy."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    entry = project["entry-points"]["jupyter_serverproxy_servers"]
    assert entry == {"datasette": "paygap_utils.organisers.datasette:jupyter_server_proxy"}
    environment = (REPO_ROOT / "environment.yml").read_text()
    assert "- jupyter-server-proxy=" in environment and "- datasette=" in environment


@pytest.mark.parametrize("name", ["binder", ".binder"])
def test_configuration_is_at_the_root(name):
    # repo2docker ignores root files when one of these folders exists.
    assert not (REPO_ROOT / name).exists(), f"{name}/ would hide environment.yml and postBuild"
