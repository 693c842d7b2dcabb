"""The cleaned all-years table, cached once as parquet so a warm :func:`paygap_utils.load` is fast.

The cache file's name carries a key made of the manifest's checksums, the
library's version and a digest of the library's own code and tables, so any
change to the data or to the cleaning makes a new cache; older ones are removed.
Writes go to a temporary file that is renamed into place, so a reader never sees
half a table.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["cache_key", "cache_path", "read_cache", "write_cache"]

_PREFIX = "paygap-clean-"
_LIST_COLUMNS = ("sic_codes", "sectors")


@cache
def _code_digest() -> str:
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".csv") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(manifest: Manifest) -> str:
    """Return the key that names the cleaned table for this manifest and this library.

    Examples
    --------
    >>> from paygap_utils.manifest import read_manifest
    >>> from paygap_utils.cache import cache_key
    >>> len(cache_key(read_manifest()))
    16
    """
    import pandas as pd

    from . import __version__

    parts = {
        "files": [(f.year, f.sha256) for f in manifest.files],
        "paygap_utils": __version__,
        "code": _code_digest(),
        "pandas": pd.__version__.split(".")[0],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cache_path(folder: Path, manifest: Manifest) -> Path:
    """Return where the cleaned table for ``manifest`` lives in ``folder``."""
    return folder / f"{_PREFIX}{cache_key(manifest)}.parquet"


def read_cache(path: Path, years: list[int] | None = None) -> pd.DataFrame | None:
    """Read the cached table, or return ``None`` if it is absent or unreadable."""
    import pandas as pd

    if not path.is_file():
        return None
    filters = [("year", "in", years)] if years is not None else None
    try:
        table = pd.read_parquet(path, filters=filters)
    except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
        path.unlink(missing_ok=True)
        return None
    for column in _LIST_COLUMNS:
        # parquet gives lists back as arrays; hand users the lists a fresh parse gives.
        table[column] = [list(values) for values in table[column]]
    return table.reset_index(drop=True)


def write_cache(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` atomically and remove cleaned tables of other keys."""
    partial = path.with_name(f".{path.name}.partial")
    table.to_parquet(partial, index=False)
    os.replace(partial, path)
    for old in path.parent.glob(f"{_PREFIX}*.parquet"):
        if old != path:
            old.unlink(missing_ok=True)
