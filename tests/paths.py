"""Where the tests find the repository and the shared data folder: the one place that knows."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository checkout the tests run in.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: Points the tests at the shared folder when it is not ``../shared``.
SHARED_DIR_ENV = "PAYGAP_SHARED_DIR"


def shared_folder() -> Path:
    """Return ``$PAYGAP_SHARED_DIR``, else the ``shared`` folder beside the repository."""
    configured = os.environ.get(SHARED_DIR_ENV, "").strip()
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def need_shared(part: str = "data/ukgpg") -> Path:
    """Return ``part`` of the shared folder (the data mirror by default).

    Where it is missing, the test is skipped with a reason that says how to run it.
    """
    path = shared_folder() / part
    if not path.exists():
        import pytest

        pytest.skip(
            f"needs {part} from the shared folder, not found at {path}: set {SHARED_DIR_ENV} "
            f"to the folder that holds {part}"
        )
    return path


def shared_dir(holding: str = "data/ukgpg") -> Path | None:
    """Return the shared folder if it holds ``holding`` (the data mirror by default), else None."""
    folder = shared_folder()
    return folder if (folder / holding).is_dir() else None
