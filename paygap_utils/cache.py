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
_ATTRS_KEY = b"paygap_utils.attrs"


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
    """Read the cached table, or return ``None`` if it is absent or unreadable.

    The table's ``attrs`` are those it was written with.
    """
    import numpy as np
    import pyarrow.parquet as pq

    if not path.is_file():
        return None
    filters = [("year", "in", years)] if years is not None else None
    try:
        arrow = pq.read_table(path, filters=filters, memory_map=True)
        table = arrow.to_pandas()
    except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
        path.unlink(missing_ok=True)
        return None
    for column in _LIST_COLUMNS:
        # Each distinct list is stored once as joined text; rows share the decoded list.
        joined = table[column]
        decoded = np.empty(len(joined.cat.categories) + 1, dtype=object)
        decoded[:-1] = [text.split(",") if text else [] for text in joined.cat.categories]
        decoded[-1] = []
        table[column] = decoded[joined.cat.codes.to_numpy()]
    table.attrs = json.loads((arrow.schema.metadata or {}).get(_ATTRS_KEY, b"{}"))
    return table


def write_cache(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` atomically and remove cleaned tables of other keys.

    Each year is converted to Arrow on its own and written as one row group, so
    the copy never holds more than a year at a time (and a filter on ``year``
    reads only the row groups it needs).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    years = sorted(table["year"].unique())

    # Lists are stored as joined text, one dictionary entry per distinct list.
    joined = {c: table[c].map(",".join).astype("category") for c in _LIST_COLUMNS}

    def stored(rows) -> pd.DataFrame:
        return table[rows].assign(**{c: values[rows] for c, values in joined.items()})

    # The schema comes from the dtypes alone; text columns held as Python objects give no
    # type without rows, and are text.
    schema = pa.Schema.from_pandas(stored(slice(0, 0)), preserve_index=False)
    for index, field in enumerate(schema):
        if pa.types.is_null(field.type):
            schema = schema.set(index, field.with_type(pa.string()))
    schema = schema.with_metadata({**schema.metadata, _ATTRS_KEY: json.dumps(table.attrs).encode()})
    partial = path.with_name(f".{path.name}.partial")
    # lz4 with dictionaries reads fastest here (see docs/performance.md). One conversion
    # thread: each extra thread's allocator arena adds tens of MB to the peak.
    with pq.ParquetWriter(partial, schema, compression="lz4") as writer:
        for year in years:
            part = stored((table["year"] == year).to_numpy())
            arrow = pa.Table.from_pandas(part, schema=schema, preserve_index=False, nthreads=1)
            writer.write_table(arrow)
    os.replace(partial, path)
    for old in path.parent.glob(f"{_PREFIX}*.parquet"):
        if old != path:
            old.unlink(missing_ok=True)
