"""The public face: each module's ``__all__`` says what is public, and everyone keeps to it.

A name another module, a notebook, a script or a test imports from ``paygap_utils.x`` is
in ``x.__all__``, or is private by its leading underscore (tests may look inside). Every
public name a module defines is in its ``__all__``. No module of the package imports from
the package's ``__init__``, which imports them all: the layering runs one way.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import paygap_utils
from tests.paths import REPO_ROOT

MODULES = {
    info.name: importlib.import_module(f"paygap_utils.{info.name}")
    for info in pkgutil.iter_modules(paygap_utils.__path__)
    if info.name != "__main__"  # runs the command line when imported
}
PACKAGE_FILES = sorted((REPO_ROOT / "paygap_utils").glob("*.py"))
USER_FILES = sorted(
    [*(REPO_ROOT / "tests").glob("*.py"), *(REPO_ROOT / "scripts").glob("*.py")]
    + list((REPO_ROOT / "bench").glob("*.py"))
)
NOTEBOOKS = sorted(
    path
    for path in (REPO_ROOT / "notebooks").rglob("*.ipynb")
    if json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["language"]
    == "python"
)


def _notebook_code(path: Path) -> str:
    """The Python of a notebook's code cells, IPython magics and shell lines made ``pass``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            for line in "".join(cell["source"]).splitlines():
                code = line.lstrip()
                magic = code.startswith(("%", "!"))
                lines.append(line[: len(line) - len(code)] + "pass" if magic else line)
            lines.append("")
    return "\n".join(lines)


def _target(node: ast.ImportFrom) -> str | None:
    """The package module a ``from ... import`` reads from: '' for the package itself."""
    if node.level:  # a relative import, only inside the package
        return (node.module or "").split(".")[0]
    if node.module == "paygap_utils":
        return ""
    if node.module and node.module.startswith("paygap_utils."):
        return node.module.split(".")[1]
    return None


def _imports(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, module, name) for every name imported from the package, at any depth."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (target := _target(node)) is not None:
            found.extend((node.lineno, target, alias.name) for alias in node.names)
    return found


def _attribute_uses(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, module, name) for ``module.name`` and ``paygap_utils[.module].name``."""
    bound = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and _target(node) == ""
        for alias in node.names
        if alias.name in MODULES
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        if isinstance(inner, ast.Name) and inner.id in bound:
            found.append((node.lineno, bound[inner.id], node.attr))
        elif isinstance(inner, ast.Name) and inner.id == "paygap_utils":
            found.append((node.lineno, "", node.attr))
        elif (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.value, ast.Name)
            and inner.value.id == "paygap_utils"
            and inner.attr in MODULES
        ):
            found.append((node.lineno, inner.attr, node.attr))
    return found


def _breaches(uses: list[tuple[int, str, str]], where: str) -> list[str]:
    wrong = []
    for line, module, name in uses:
        if name.startswith("_"):
            continue
        if module == "":
            if name not in MODULES and name not in paygap_utils.__all__:
                wrong.append(f"{where}:{line}: {name} is not in paygap_utils.__all__")
        elif module not in MODULES:
            wrong.append(f"{where}:{line}: there is no module paygap_utils.{module}")
        elif name not in MODULES[module].__all__:
            wrong.append(f"{where}:{line}: {name} is not in paygap_utils.{module}.__all__")
    return wrong


def test_every_module_says_what_it_exports():
    for name, module in MODULES.items():
        assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
        absent = [n for n in module.__all__ if not hasattr(module, n)]
        assert not absent, f"paygap_utils.{name}.__all__ names {absent}, which it lacks"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_public_name_a_module_defines_is_in_its_all(name):
    tree = ast.parse(Path(MODULES[name].__file__).read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {n for n in defined if not n.startswith("_")}
    assert public <= set(MODULES[name].__all__), (
        f"paygap_utils.{name} defines {sorted(public - set(MODULES[name].__all__))} without an "
        "underscore and without listing them in __all__: make them private or public"
    )


def test_modules_import_only_public_names_of_each_other():
    wrong = []
    for path in PACKAGE_FILES:
        uses = _imports(ast.parse(path.read_text(encoding="utf-8")))
        wrong += _breaches([u for u in uses if u[1] != ""], path.name)
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_back_up_from_the_package():
    wrong = []
    for path in PACKAGE_FILES:
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, module, name in _imports(tree):
            if module == "" and name not in MODULES:
                wrong.append(f"{path.name}:{line}: imports {name} from the package __init__")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "paygap_utils" for a in node.names
            ):
                wrong.append(f"{path.name}:{node.lineno}: imports paygap_utils itself")
    assert not wrong, "\n".join(wrong)


def test_the_package_api_is_what_its_modules_export():
    tree = ast.parse((REPO_ROOT / "paygap_utils" / "__init__.py").read_text(encoding="utf-8"))
    top_level = ast.Module(body=[n for n in tree.body if isinstance(n, ast.ImportFrom)])
    imported = {name for _, _, name in _imports(top_level)}
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert set(paygap_utils.__all__) == imported | defined
    assert not _breaches(_imports(tree), "__init__.py")


def test_tests_scripts_and_benchmarks_use_the_public_names():
    wrong = []
    for path in USER_FILES:
        wrong += _breaches(_imports(ast.parse(path.read_text(encoding="utf-8"))), path.name)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_the_public_names(path):
    tree = ast.parse(_notebook_code(path))
    uses = _imports(tree) + _attribute_uses(tree)
    assert uses, f"{path.name} uses nothing of paygap_utils"
    wrong = _breaches(uses, path.name)
    assert not wrong, "\n".join(wrong)


def test_the_checks_find_what_they_look_for():
    code = (
        "from paygap_utils import plots\n"
        "from paygap_utils.clean import detect_layout, _text\n"
        "from paygap_utils.stats import not_exported\n"
        "plots.PALETTE, plots.not_there\n"
        "paygap_utils.load, paygap_utils.hidden, paygap_utils.stats.gone\n"
    )
    tree = ast.parse(code)
    assert sorted(_breaches(_imports(tree) + _attribute_uses(tree), "x")) == [
        "x:3: not_exported is not in paygap_utils.stats.__all__",
        "x:4: not_there is not in paygap_utils.plots.__all__",
        "x:5: gone is not in paygap_utils.stats.__all__",
        "x:5: hidden is not in paygap_utils.__all__",
    ]
