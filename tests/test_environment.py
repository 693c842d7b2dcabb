"""The Binder image's packages: image-requirements.txt, environment.yml and pyproject.toml agree.

image-requirements.txt is the one place the image's Python versions are written;
scripts/lock_image.py writes environment.yml's pins from it, and ``bash scripts/test --binder``
installs exactly its versions. These tests hold the three files to each other, to conda-forge's
registry of package names and to repo2docker's base environment (both copied into
``../shared/data/conda-forge``, see its SOURCES.md), since no conda channel can be reached here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import types

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.paths import REPO_ROOT, need_shared

yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")

PYTHON = "python=3.12"
#: What to do when the files disagree: the message of every failure below.
FIX = (
    "edit the [conda] or [pip] line of image-requirements.txt (a version conda-forge builds: "
    "conda-forge/<name>-feedstock), then run `.venv-binder/bin/python scripts/lock_image.py "
    '--resolve` (docs/contributing.md, "The image\'s packages")'
)
#: The version of Python the pins are evaluated for (the markers of pyproject's requirements).
MARKER_ENV = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "extra": "",
}
R_PIN = re.compile(r"conda-forge::(?P<name>r-[a-z0-9.-]+)=(?P<version>\d+\.\d+)")


def load_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "lock_image", REPO_ROOT / "scripts" / "lock_image.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock_image = load_script()


@pytest.fixture(scope="module")
def environment() -> dict:
    return yaml.safe_load((REPO_ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def lock() -> dict[str, dict[str, str]]:
    return lock_image.read_lock((REPO_ROOT / lock_image.LOCK).read_text())


@pytest.fixture(scope="module")
def conda_forge_names() -> set[str]:
    path = need_shared("data/conda-forge/package-names.txt")
    return set(path.read_text().split())


@pytest.fixture(scope="module")
def base_versions() -> dict[str, str]:
    """repo2docker's base environment for Python 3.12: its Python packages' exact versions."""
    path = need_shared("data/conda-forge/repo2docker-base-env-py3.12-linux-64.lock")
    return lock_image.python_packages(path.read_text())


def requirements(project: dict, group: str | None) -> list[Requirement]:
    """pyproject's requirements of ``group`` (None: the runtime ones) that apply to Python 3.12."""
    texts = project["dependencies"] if group is None else project["optional-dependencies"][group]
    found = []
    for text in texts:
        req = Requirement(text)
        if canonicalize_name(req.name) == canonicalize_name(project["name"]):
            continue  # the package's own extras, e.g. paygap-utils[notebooks]
        if req.marker is None or req.marker.evaluate(MARKER_ENV):
            found.append(req)
    return found


def conda_dependencies(environment: dict) -> list[str]:
    return [entry for entry in environment["dependencies"] if isinstance(entry, str)]


def pip_section(environment: dict) -> list[str]:
    sections = [e["pip"] for e in environment["dependencies"] if isinstance(e, dict)]
    assert all(set(e) == {"pip"} for e in environment["dependencies"] if isinstance(e, dict))
    return [line for section in sections for line in section]


def test_environment_yml_follows_the_lock():
    environment = (REPO_ROOT / "environment.yml").read_text()
    expected = lock_image.environment_text(
        environment, lock_image.read_lock((REPO_ROOT / lock_image.LOCK).read_text())
    )
    assert environment == expected, (
        "environment.yml's pins differ from image-requirements.txt: run "
        "`python scripts/lock_image.py` and commit both files"
    )


def test_the_lock_script_rewrites_a_stale_block(tmp_path, capsys):
    for name in (lock_image.LOCK, "environment.yml"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    stale = (tmp_path / "environment.yml").read_text().replace("  - pandas=", "  - pandas=1.")
    (tmp_path / "environment.yml").write_text(stale)
    assert lock_image.main(["--check"], root=tmp_path) == 1
    assert "run `python scripts/lock_image.py`" in capsys.readouterr().err
    assert (tmp_path / "environment.yml").read_text() == stale, "--check must not write"
    assert lock_image.main([], root=tmp_path) == 0
    assert lock_image.main(["--check"], root=tmp_path) == 0
    assert (tmp_path / "environment.yml").read_text() == (REPO_ROOT / "environment.yml").read_text()


def test_the_lock_script_refuses_a_line_that_is_not_exact(tmp_path, capsys):
    text = (REPO_ROOT / lock_image.LOCK).read_text().replace("pandas==", "pandas>=", 1)
    (tmp_path / lock_image.LOCK).write_text(text)
    (tmp_path / "environment.yml").write_text((REPO_ROOT / "environment.yml").read_text())
    assert lock_image.main(["--check"], root=tmp_path) == 2
    err = capsys.readouterr().err
    assert "'pandas>=" in err and "is not `name==version`" in err


def test_conda_forge_is_the_only_channel(environment):
    assert environment["channels"] == ["conda-forge"]


def test_python_is_pinned_as_repo2docker_reads_it(environment, project):
    # python itself, however it is spelled; not python-* packages such as python-dateutil
    entries = [e for e in conda_dependencies(environment) if re.match(r"python\s*(?:[=<>!~]|$)", e)]
    assert entries == [PYTHON], "write exactly `python=3.12`; other spellings fall back to 3.10"
    assert SpecifierSet(project["requires-python"]).contains("3.12")


@pytest.mark.parametrize("group", [None, "notebooks"], ids=["runtime", "notebooks"])
def test_pyproject_requirements_are_locked(lock, project, group):
    direct = {**lock["conda"], **lock["pip"]}
    for req in requirements(project, group):
        name = canonicalize_name(req.name)
        assert name in direct, f"{req} is in pyproject.toml but not in the image: {FIX}"
        assert req.specifier.contains(direct[name], prereleases=True), (
            f"image-requirements.txt has {name}=={direct[name]}, outside pyproject's {req}: {FIX}"
        )


def test_the_image_installs_nothing_pyproject_does_not_ask_for(lock, project):
    asked = {
        canonicalize_name(r.name) for g in (None, "notebooks") for r in requirements(project, g)
    }
    extra = (lock["conda"].keys() | lock["pip"].keys()) - asked - lock_image.IMAGE_ONLY.keys()
    assert not extra, (
        f"image-requirements.txt installs {sorted(extra)}, which pyproject.toml no longer "
        f"requires: remove the line (or say why in IMAGE_ONLY in scripts/lock_image.py), then {FIX}"
    )


def test_no_test_tool_or_site_builder_in_the_image(lock, project):
    """Attendees never run the suite or build the site; each megabyte is pulled at launch."""
    asked = lock["conda"].keys() | lock["pip"].keys()
    for group in ("test", "site"):
        tools = {canonicalize_name(r.name) for r in requirements(project, group)}
        assert not (tools & asked) - lock_image.IMAGE_ONLY.keys(), group
    image = asked | lock["resolved"].keys()
    assert not {"pytest", "nbval", "myst-nb", "sphinx-book-theme", "playwright"} & image


def test_every_conda_package_exists_on_conda_forge(environment, conda_forge_names):
    for entry in conda_dependencies(environment):
        name = re.split(r"[=<>!~ ]", entry.split("::")[-1], maxsplit=1)[0]
        assert name in conda_forge_names, (
            f"environment.yml asks conda-forge for {name}, which it does not publish: the image "
            "cannot build. Use the package's conda-forge name, or move it to [pip] in "
            "image-requirements.txt."
        )


def test_the_pip_section_holds_only_what_conda_forge_lacks(lock, conda_forge_names):
    for name in lock["pip"]:
        assert lock_image.conda_name(name) not in conda_forge_names, (
            f"conda-forge publishes {name}: move it from [pip] to [conda] in "
            "image-requirements.txt and run `python scripts/lock_image.py`"
        )


def test_the_sphinx_revealjs_package_is_on_pypi_only(conda_forge_names):
    # The name that broke the build; its reveal.js comes through the pip: section.
    assert "sphinx-revealjs" not in conda_forge_names


def test_the_lock_agrees_with_repo2docker_base_environment(lock, base_versions):
    """environment.yml is installed into repo2docker's base environment: a package that base
    has must be locked at the base's version, or the image and the tests run different ones."""
    every = {**lock["conda"], **lock["pip"], **lock["resolved"]}
    compared = 0
    for name, version in every.items():
        base = base_versions.get(name)
        if base is not None:
            compared += 1
            assert version == base, f"{name}=={version}, but the base environment has {base}"
    # jupyterlab, notebook's jupyter-server, ipykernel, ipywidgets and ~100 more
    assert compared > 100


def test_r_pins_are_r_45_builds_without_rstudio(environment, conda_forge_names):
    pins = {}
    for entry in conda_dependencies(environment):
        if entry.split("::")[-1].startswith("r-"):
            match = R_PIN.fullmatch(entry)
            assert match, f"{entry}: write R packages as conda-forge::r-name=X.Y (no RStudio)"
            pins[match["name"]] = match["version"]
    assert pins == {
        "r-base": "4.5",
        "r-irkernel": "1.3",
        "r-dplyr": "1.1",
        "r-ggplot2": "3.5",
        "r-readr": "2.1",
    }
    assert pins.keys() <= conda_forge_names


def test_pip_packages_get_their_requirements_from_conda(lock, environment):
    """The pip: section must add only its own packages: every requirement of theirs is something
    conda-forge installs first (a [conda] package or one beneath it), never a PyPI download that
    the lock does not see."""
    conda_side = set(lock["conda"]) | set(lock["resolved"])
    for name in lock["pip"]:
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            pytest.skip(f"{name} is not installed here; bash scripts/test --binder has it")
        for text in requires:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(MARKER_ENV):
                continue
            assert canonicalize_name(req.name) in conda_side, f"{name} needs {req}"
    assert "sphinx-revealjs==3.2.0" in pip_section(environment)


@pytest.mark.skipif(
    os.environ.get("PAYGAP_TEST_ENV") != "binder",
    reason="checks the image's environment: bash scripts/test --binder",
)
def test_this_environment_has_exactly_the_lock(lock):
    for section in lock.values():
        for name, version in section.items():
            assert importlib.metadata.version(name) == version, name
