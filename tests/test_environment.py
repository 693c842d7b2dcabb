"""environment.yml (what mybinder.org builds) agrees with pyproject.toml (what pip installs).

Every runtime dependency and every ``notebooks`` extra of the package is in environment.yml,
pinned to one minor version that satisfies pyproject's specifier, so the Binder image and a
pip install never disagree about what the package needs.
"""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.paths import REPO_ROOT

yaml = pytest.importorskip("yaml")
tomllib = pytest.importorskip("tomllib")

PYTHON = "python=3.12"
#: conda-forge's name for a PyPI package, where the two differ. The ``-base`` packages hold
#: what pip installs; conda-forge's ``matplotlib`` adds the Qt toolkit and its ``seaborn``
#: adds statsmodels, neither of which a browser session uses.
CONDA_NAMES = {"matplotlib": "matplotlib-base", "seaborn": "seaborn-base"}
#: ``name=X.Y``: conda reads it as any X.Y.* release; ``conda-forge::`` may name the channel
#: (the R packages do, see environment.yml).
PIN = re.compile(r"(?:conda-forge::)?(?P<name>[a-z0-9][a-z0-9_.-]*)=(?P<version>\d+\.\d+)")
#: The version of Python the pins are evaluated for (the markers of pyproject's requirements).
MARKER_ENV = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
}


@pytest.fixture(scope="module")
def environment() -> dict:
    return yaml.safe_load((REPO_ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def pins(environment) -> dict[str, str]:
    """conda name -> pinned X.Y, for every entry of ``dependencies``."""
    found: dict[str, str] = {}
    for entry in environment["dependencies"]:
        assert isinstance(entry, str), f"environment.yml: {entry!r} is not a conda package"
        match = PIN.fullmatch(entry.strip())
        assert match, f"environment.yml: {entry!r} is not pinned as name=X.Y"
        assert match["name"] not in found, f"environment.yml lists {match['name']} twice"
        found[match["name"]] = match["version"]
    return found


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


def conda_name(req: Requirement) -> str:
    name = canonicalize_name(req.name)
    return CONDA_NAMES.get(name, name)


def whole_series_satisfies(specifier: SpecifierSet, minor: str) -> bool:
    """Whether every release X.Y.* that conda may pick for ``X.Y`` satisfies ``specifier``."""
    return all(
        specifier.contains(Version(v), prereleases=True) for v in (f"{minor}.0", f"{minor}.999")
    )


def test_conda_forge_is_the_only_channel(environment):
    assert environment["channels"] == ["conda-forge"]


def test_python_is_pinned_as_repo2docker_reads_it(environment, project):
    # python itself, however it is spelled; not python-* packages such as python-dateutil
    entries = [e for e in environment["dependencies"] if re.match(r"python\s*(?:[=<>!~]|$)", e)]
    assert entries == [PYTHON], "write exactly `python=3.12`; other spellings fall back to 3.10"
    assert SpecifierSet(project["requires-python"]).contains("3.12")


def test_every_package_is_pinned_to_a_minor_version(pins):
    assert pins


@pytest.mark.parametrize("group", [None, "notebooks"], ids=["runtime", "notebooks"])
def test_pyproject_requirements_are_in_the_environment(pins, project, group):
    for req in requirements(project, group):
        name = conda_name(req)
        assert name in pins, f"{req} is in pyproject.toml but {name} is not in environment.yml"
        assert whole_series_satisfies(req.specifier, pins[name]), (
            f"environment.yml pins {name}={pins[name]}, outside pyproject's {req}"
        )


def test_test_tools_in_the_environment_match_pyproject(pins, project):
    listed = [req for req in requirements(project, "test") if conda_name(req) in pins]
    assert {conda_name(req) for req in listed} >= {"pytest", "nbval"}
    for req in listed:
        assert whole_series_satisfies(req.specifier, pins[conda_name(req)]), str(req)


def test_the_image_shows_memory_against_the_limit(pins):
    assert "jupyter-resource-usage" in pins


def test_the_package_itself_is_left_to_postbuild(pins, project):
    # `pins` has already refused a `pip:` section; postBuild installs the package.
    assert canonicalize_name(project["name"]) not in pins


@pytest.mark.parametrize(
    ("specifier", "minor", "expected"),
    [(">=2.2", "2.3", True), (">=2.2", "2.1", False), (">=3.8,<3.10.5", "3.10", False)],
)
def test_a_pin_must_satisfy_the_specifier_for_its_whole_series(specifier, minor, expected):
    assert whole_series_satisfies(SpecifierSet(specifier), minor) is expected
