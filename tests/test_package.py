"""The package as users get it: free imports, a documented API, a wheel carrying the manifest."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
import zipfile

import pytest

import paygap_utils
from tests.paths import REPO_ROOT


def test_importing_is_free():
    code = textwrap.dedent(
        """
        import socket, sys
        def refuse(*args, **kwargs):
            raise AssertionError("the network was used at import")
        socket.socket.connect = refuse
        import paygap_utils
        heavy = {"pandas", "numpy", "matplotlib", "seaborn", "sklearn", "pooch", "requests"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PAYGAP_DATA_DIR": "/nonexistent/never-created", "PATH": ""},
    )
    assert out.stdout.strip() == "[]"


def test_every_public_function_has_a_numpydoc_docstring_with_examples():
    for name in paygap_utils.__all__:
        obj = getattr(paygap_utils, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            assert "Examples\n--------" in doc, name


def test_the_version_is_the_package_metadata_version():
    from importlib.metadata import version

    assert version("paygap-utils") == paygap_utils.__version__


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO_ROOT)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stderr[-2000:]}")
    (path,) = out.glob("paygap_utils-*.whl")
    return path


def test_the_wheel_carries_the_one_manifest_and_the_tables(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        packaged = archive.read("paygap_utils/data/data_manifest.json")
    assert packaged == (REPO_ROOT / "data_manifest.json").read_bytes()
    assert "paygap_utils/data/tables/postcode_regions.csv" in names
    assert "paygap_utils/data/manifest.schema.json" in names
    assert not any(name.startswith(("tests/", "notebooks/")) for name in names)


def test_the_wheel_loads_its_manifest_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = textwrap.dedent(
        """
        import paygap_utils
        from paygap_utils.data.manifest import manifest_path
        from paygap_utils.data.lookups import region_of_postcode
        print(manifest_path())
        print(paygap_utils.available_years()[-1], region_of_postcode("SY23 3FL"))
        """
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n" + code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    where, facts = out.stdout.splitlines()
    assert where == str(site / "paygap_utils" / "data" / "data_manifest.json")
    assert facts == "2024-25 ('Wales', 'Wales')"


def test_the_wheel_carries_the_team_template_and_schema_for_new_team(wheel, tmp_path):
    """In Colab there is no checkout: new-team works from what the wheel carries."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    assert (site / "paygap_utils" / "organisers" / "team_template.ipynb").read_bytes() == (
        REPO_ROOT / "notebooks" / "team_template.ipynb"
    ).read_bytes()
    assert (site / "paygap_utils" / "organisers" / "team.schema.json").is_file()
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r})\n"
        "from paygap_utils.cli import main\n"
        "sys.exit(main(['new-team', 'Colab team']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    made = tmp_path / "submissions" / "colab-team"
    assert sorted(p.name for p in made.iterdir()) == ["colab-team.ipynb", "team.yml"]
