"""scripts/sync_links.py: every Binder and Colab link, and the Colab cell, from one setting.

The script runs against a temporary copy of pyproject.toml, README.md and notebooks/, so
changing the setting here never touches the repository.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import types
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

OLD = "paygap-hackathon/paygap-starter"
NEW_REPO, NEW_BRANCH = "another-org/fork-of-the-starter", "event-2027"


def load_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sync_links", REPO_ROOT / "scripts" / "sync_links.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync_links = load_script()


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the files the script reads and writes, with at least one notebook."""
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    shutil.copy(REPO_ROOT / "README.md", tmp_path)
    (tmp_path / "notebooks").mkdir()
    for path in notebooks(REPO_ROOT):
        shutil.copy(path, tmp_path / "notebooks")
    if not list((tmp_path / "notebooks").glob("*.ipynb")):
        cells = [
            {"cell_type": "markdown", "metadata": {}, "source": ["# 00 · A notebook"]},
            {
                "cell_type": "code",
                "metadata": {},
                "source": [],
                "outputs": [],
                "execution_count": None,
            },
        ]
        notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / "notebooks" / "00_a.ipynb").write_text(json.dumps(notebook))
    return tmp_path


def notebooks(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb"))


def cell(path: Path, index: int) -> str:
    return "".join(json.loads(path.read_text())["cells"][index]["source"])


def snapshot(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in [root / "README.md", *notebooks(root)]}


def move_the_repository(root: Path) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    assert f'github = "{OLD}"' in text and 'branch = "main"' in text
    text = text.replace(f'github = "{OLD}"', f'github = "{NEW_REPO}"')
    pyproject.write_text(text.replace('branch = "main"', f'branch = "{NEW_BRANCH}"'))


def test_writing_twice_changes_nothing_the_second_time(copy, capsys):
    assert sync_links.main([], root=copy) == 0
    first = snapshot(copy)
    capsys.readouterr()
    assert sync_links.main([], root=copy) == 0
    assert capsys.readouterr().out == ""
    assert snapshot(copy) == first
    assert sync_links.main(["--check"], root=copy) == 0


def test_the_setting_moves_every_badge_and_the_colab_cell(copy):
    sync_links.main([], root=copy)
    move_the_repository(copy)
    assert sync_links.main(["--check"], root=copy) == 1
    sync_links.main([], root=copy)

    for name, text in snapshot(copy).items():
        assert OLD not in text, f"{name} still points at {OLD}"
    readme = (copy / "README.md").read_text()
    assert sync_links.binder_url(NEW_REPO, NEW_BRANCH) in readme
    for path in notebooks(copy):
        badges = sync_links.badges(NEW_REPO, NEW_BRANCH, path.name)
        assert badges in cell(path, 0), path.name
        assert f"]({sync_links.colab_url(NEW_REPO, NEW_BRANCH, path.name)})" in readme
        assert f"]({sync_links.binder_url(NEW_REPO, NEW_BRANCH, path.name)})" in readme
        assert f"git+https://github.com/{NEW_REPO}@{NEW_BRANCH}" in cell(path, 1)


def test_a_stale_badge_fails_the_check(copy, capsys):
    sync_links.main([], root=copy)
    stale = notebooks(copy)[0]
    notebook = json.loads(stale.read_text())
    title = "".join(notebook["cells"][0]["source"])
    notebook["cells"][0]["source"] = title.replace("/blob/main/", "/blob/old-branch/")
    assert notebook["cells"][0]["source"] != title
    stale.write_text(json.dumps(notebook, indent=1))
    capsys.readouterr()

    assert sync_links.main(["--check"], root=copy) == 1
    out = capsys.readouterr().out
    assert f"notebooks/{stale.name} is out of step" in out
    assert "README.md" not in out


def test_the_readme_table_lists_every_notebook_by_its_title(copy):
    sync_links.main([], root=copy)
    readme = (copy / "README.md").read_text()
    for path in notebooks(copy):
        assert f"| [{sync_links.notebook_title(path)}](notebooks/{path.name}) |" in readme


class FakeShell:
    """Stands in for IPython's ``get_ipython()``, recording the magics a cell runs."""

    def __init__(self) -> None:
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str) -> None:
        self.magics.append((name, line))


def run_setup_cell(source: str, in_colab: bool, monkeypatch) -> list[tuple[str, str]]:
    """Run the Colab cell as IPython would, in or out of Colab; return the magics it ran."""
    transformer = pytest.importorskip("IPython.core.inputtransformer2")
    code = transformer.TransformerManager().transform_cell(source)
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    shell = FakeShell()
    exec(compile(code, "<colab-setup>", "exec"), {"get_ipython": lambda: shell})
    return shell.magics


def test_the_colab_cell_does_nothing_outside_colab(monkeypatch):
    source = sync_links.setup_cell_source(NEW_REPO, NEW_BRANCH)
    assert run_setup_cell(source, in_colab=False, monkeypatch=monkeypatch) == []


def test_the_colab_cell_installs_the_package_from_the_repository_in_colab(monkeypatch):
    source = sync_links.setup_cell_source(NEW_REPO, NEW_BRANCH)
    [(magic, line)] = run_setup_cell(source, in_colab=True, monkeypatch=monkeypatch)
    assert magic == "pip"
    assert line.startswith("install ")
    assert f'"paygap-utils @ git+https://github.com/{NEW_REPO}@{NEW_BRANCH}"' in line
    assert " -e " not in f" {line} " and "--editable" not in line, "Colab needs a real install"
    pip_lines = [ln for ln in source.splitlines() if "%pip" in ln]
    assert pip_lines and all(ln.startswith("    ") for ln in pip_lines)
    assert 'if "google.colab" in sys.modules:' in source
