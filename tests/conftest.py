"""Fixtures the test modules share (the repository-wide ones are in tests/plugin.py)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests import chromium


@pytest.fixture
def playwright_api() -> ModuleType:
    """Playwright's sync API; skips (fails when CI=true) if it or Chromium is missing."""
    return chromium.sync_api()
