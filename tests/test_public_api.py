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
import subprocess
from pathlib import Path

import pytest

import paygap_utils
from tests.paths import REPO_ROOT

MODULES = {
    info.name.removeprefix("paygap_utils."): importlib.import_module(info.name)
    for info in pkgutil.walk_packages(paygap_utils.__path__, "paygap_utils.")
    if not info.name.endswith("__main__")  # runs the command line when imported
}
PACKAGE_FILES = sorted((REPO_ROOT / "paygap_utils").rglob("*.py"))
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


def _package_of(path: Path) -> str:
    """The dotted package, relative to paygap_utils, that a package file is in ('' at the top)."""
    parts = path.relative_to(REPO_ROOT / "paygap_utils").parent.parts
    return ".".join(parts)


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


def _target(node: ast.ImportFrom, package: str = "") -> str | None:
    """The package module a ``from ... import`` reads from: '' for the package itself.

    ``package`` is the importing file's own package (see :func:`_package_of`), which a
    relative import counts up from.
    """
    if node.level:  # a relative import, only inside the package
        parts = package.split(".") if package else []
        base = parts[: len(parts) - (node.level - 1)]
        return ".".join([*base, *([node.module] if node.module else [])])
    if node.module == "paygap_utils":
        return ""
    if node.module and node.module.startswith("paygap_utils."):
        return node.module.removeprefix("paygap_utils.")
    return None


def _imports(tree: ast.AST, package: str = "") -> list[tuple[int, str, str]]:
    """(line, module, name) for every name imported from the package, at any depth.

    ``from paygap_utils.data import manifest`` imports the module ``data.manifest``: it is
    reported as a name of the subpackage only when the subpackage defines it.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (target := _target(node, package)) is not None:
            for alias in node.names:
                if f"{target}.{alias.name}".lstrip(".") in MODULES:
                    continue
                found.append((node.lineno, target, alias.name))
    return found


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute) and (inner := _dotted(node.value)) is not None:
        return [*inner, node.attr]
    return None


def _attribute_uses(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, module, name) for ``module.name`` and ``paygap_utils[.module].name``."""
    bound = {"paygap_utils": ""}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (target := _target(node)) is not None:
            for alias in node.names:
                if (module := f"{target}.{alias.name}".lstrip(".")) in MODULES:
                    bound[alias.asname or alias.name] = module
    found = []
    for node in ast.walk(tree):
        chain = _dotted(node) if isinstance(node, ast.Attribute) else None
        if not chain or chain[0] not in bound:
            continue
        module, rest = bound[chain[0]], chain[1:]
        # the deepest module the chain names; the next link is the name used from it
        while rest and f"{module}.{rest[0]}".lstrip(".") in MODULES:
            module, rest = f"{module}.{rest[0]}".lstrip("."), rest[1:]
        if len(rest) == 1 or (rest and module == "" and len(rest) >= 1):
            found.append((node.lineno, module, rest[0]))
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
        uses = _imports(ast.parse(path.read_text(encoding="utf-8")), _package_of(path))
        wrong += _breaches([u for u in uses if u[1] != ""], path.name)
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_back_up_from_the_package():
    wrong = []
    for path in PACKAGE_FILES:
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, module, name in _imports(tree, _package_of(path)):
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
        "from paygap_utils.data.clean import detect_layout, _text\n"
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


def _module_imports() -> dict[str, set[str]]:
    """Package module -> the package modules it imports, at any depth (functions included)."""
    graph = {}
    for path in PACKAGE_FILES:
        name = ".".join(path.relative_to(REPO_ROOT / "paygap_utils").with_suffix("").parts)
        name = name.removesuffix("__init__").rstrip(".")
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (target := _target(node, _package_of(path))):
                found |= {target} | {f"{target}.{alias.name}" for alias in node.names}
        graph[name] = {module for module in found if module in MODULES and module != name}
    return graph


def test_imports_go_one_way_with_no_cycles():
    """docs/contributing.md: data/ imports only errors and the shared private helpers, never the
    analysis or organisers' modules; and no two modules import each other, however indirectly."""
    graph = _module_imports()
    wrong = [
        f"{name} imports {other}"
        for name, imports in graph.items()
        if name.startswith("data")
        for other in imports
        if not other.startswith("data") and other not in ("errors", "_files", "_frames", "_version")
    ]
    assert not wrong, "\n".join(wrong)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = [name for name in graph if reaches(name, name, {name})]
    assert not cycles, f"modules in an import cycle: {sorted(cycles)}"


def test_the_package_stays_within_its_size_budget():
    """Every tracked .py outside tests/, bench/, scripts/ and site/, docstrings included, at most
    8,500 lines; no module over 600 (docs/contributing.md)."""
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the budget counts the files git tracks")
    files = [
        REPO_ROOT / name
        for name in listed.stdout.split()
        if name.split("/")[0] not in ("tests", "bench", "scripts", "site")
    ]
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in files}
    assert sum(sizes.values()) <= 8500, f"the package is {sum(sizes.values())} lines"
    assert not [p for p, n in sizes.items() if n > 600], "modules over 600 lines"
