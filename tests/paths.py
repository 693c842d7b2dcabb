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


def shared_dir(holding: str = "data/ukgpg") -> Path | None:
    """Return the shared folder if it holds ``holding`` (the data mirror by default), else None."""
    folder = shared_folder()
    return folder if (folder / holding).is_dir() else None
