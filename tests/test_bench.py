"""The benchmark scripts import, as ``python -m bench.<name>`` runs them (they run only by hand)."""

from __future__ import annotations

import importlib

import pytest

from tests.paths import REPO_ROOT

MODULES = sorted(p.stem for p in (REPO_ROOT / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_each_benchmark_imports(name):
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__, f"bench/{name}.py should say what it measures and how to run it"
    if not name.startswith("_"):
        assert callable(module.main)
