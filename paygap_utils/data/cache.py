"""The cleaned table of all years, cached as one parquet file so that a warm :func:`load` is fast.

The cache is ``paygap-clean-<key>-<footer>.parquet`` in the data folder. The key is made of
the manifest's checksums, the library's version, a digest of the library's own code and
tables, and pandas' major version, so any change to the data or to the cleaning makes a new
cache. It is plain parquet (pyarrow, pandas, R's arrow or DuckDB read it as it is), one row
group per reporting year, so a load of some years or some columns reads only their pages.

Integrity comes from the format: every page is written with its CRC-32 and checked as it is
read (parquet's page checksums). The pages' checksums do not cover the file's footer, where a
flipped bit can change a column's type and so every value read: ``<footer>`` in the name is
the start of the footer's sha256, checked before the footer is parsed. The table's
provenance travels in the footer, and every column must come back with its name and kind. A
file that fails any check, or that pyarrow cannot read, is logged and rebuilt from the
downloaded files; it is never served. The file is read into memory, not memory-mapped, so
nothing that happens to it later (another user's refresh on a shared hub) can change or
crash a table already loaded.

The file is written through :func:`paygap_utils._files.write_file` (a temporary file renamed
into place), so a reader never sees half of it. After a write, this environment's other
caches are removed: only files named like a cache whose metadata says this library wrote
them for the same pandas major version (another environment sharing the folder keeps its own).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_file
from .._version import __version__
from .manifest import Manifest
from .schema import COLUMNS, DERIVED_COLUMNS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["cache_key", "cache_path", "read_cache", "write_cache", "as_cached"]

_logger = logging.getLogger("paygap_utils")

_NAME = re.compile(r"paygap-clean-[0-9a-f]{16}-(?P<footer>[0-9a-f]{16})\.parquet")
#: The metadata key of the library's facts about the file (attrs, years, environment).
_ABOUT = b"paygap_utils"


class _Damaged(Exception):
    """The cache cannot be trusted; the message says why."""


@cache
def _code_digest() -> str:
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".csv", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _environment() -> str:
    import pandas as pd

    return f"pandas {pd.__version__.split('.')[0]}"


def cache_key(manifest: Manifest) -> str:
    """Return the key that names the cleaned table for this manifest and this library.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.cache import cache_key
    >>> len(cache_key(read_manifest()))
    16
    """
    parts = {
        "files": [(f.year, f.sha256) for f in manifest.files],
        "paygap_utils": __version__,
        "code": _code_digest(),
        "environment": _environment(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cache_path(folder: Path, manifest: Manifest) -> Path | None:
    """Return the cache of the cleaned table for ``manifest`` in ``folder``, or None.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.cache import cache_path
    >>> cache_path(Path(tempfile.mkdtemp()), read_manifest()) is None
    True
    """
    found = folder.glob(f"paygap-clean-{cache_key(manifest)}-*.parquet")
    return max(found, key=lambda p: p.stat().st_mtime_ns, default=None)


def _kinds() -> dict[str, str]:
    return {c.name: c.kind for c in COLUMNS + DERIVED_COLUMNS}


def _to_arrow(table: pd.DataFrame) -> pa.Table:
    """The table as Arrow, oldest year first, with the library's facts in its metadata."""
    import numpy as np
    import pyarrow as pa

    kinds = _kinds()
    # Lists go in as Python lists: pyarrow stores them as list<string>, and the pandas
    # metadata then names no ArrowDtype that a read of other columns could trip on.
    frame = table.copy(deep=False)  # a new frame over the same data: pandas 2.2 copies less
    frame.attrs = {}  # they go in the library's own metadata below, and come back as attrs
    for name in (c for c in table if kinds.get(c) == "codes"):
        frame[name] = table[name].astype(object)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    types = {
        "text": pa.string(),
        "id": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "datetime": pa.timestamp("ns"),
        "category": pa.dictionary(pa.int8(), pa.string()),
        "codes": pa.list_(pa.string()),
    }
    for index, field in enumerate(arrow.schema):
        if pa.types.is_null(field.type) and field.name in kinds:
            # A column of only missing values has no type of its own: it takes its kind's.
            arrow = arrow.set_column(
                index, field.name, pa.nulls(len(arrow), types[kinds[field.name]])
            )
    years = table["year"].to_numpy()
    order = np.argsort(years, kind="stable")
    if not np.all(order == np.arange(len(order))):
        arrow = arrow.take(order)
    groups, counts = np.unique(years, return_counts=True)
    about = {
        "attrs": table.attrs,
        "years": groups.tolist(),
        "rows": counts.tolist(),
        "environment": _environment(),
    }
    metadata = {**arrow.schema.metadata, _ABOUT: json.dumps(about, default=str).encode()}
    return arrow.replace_schema_metadata(metadata)


def _about(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    text = (metadata or {}).get(_ABOUT)
    if text is None:
        raise _Damaged("it holds no paygap_utils metadata")
    return json.loads(text)


def _digest(footer: bytes) -> str:
    return hashlib.sha256(footer).hexdigest()[:16]


def write_cache(table: pd.DataFrame, folder: Path, manifest: Manifest) -> Path:
    """Write ``table`` as the cache for ``manifest`` in ``folder``; remove older caches.

    Raises
    ------
    OSError
        When the file cannot be written (a read-only or full data folder); nothing is
        left behind.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = _to_arrow(table)
    about = _about(arrow.schema.metadata)
    sink = pa.BufferOutputStream()
    # Uncompressed: the fastest to read back (docs/performance.md), 14 MB.
    with pq.ParquetWriter(
        sink, arrow.schema, compression="none", write_page_checksum=True
    ) as writer:
        start = 0
        for rows in about["rows"]:
            writer.write_table(arrow.slice(start, rows), row_group_size=rows)
            start += rows
    data = memoryview(sink.getvalue())
    footer = data[-8 - int.from_bytes(data[-8:-4], "little") : -8]
    path = folder / f"paygap-clean-{cache_key(manifest)}-{_digest(footer)}.parquet"
    # The name holds the key and the footer's digest, which no file of anyone else's has.
    write_file(path, lambda file: file.write(data), replace=True, what="the cleaned table")
    for other in folder.glob("paygap-clean-*.parquet"):
        try:
            ours = (
                other != path
                and _about(pq.read_schema(other).metadata)["environment"] == (about["environment"])
            )
        except (OSError, ValueError, KeyError, TypeError, _Damaged):
            ours = False
        if ours:
            _logger.info("Removing %s, a cache of an older version of the data or library.", other)
            other.unlink(missing_ok=True)
    return path


def _pandas_type(arrow_type: pa.DataType) -> Any:
    """Text as pandas' Arrow-backed string (missing as NaN), lists as Arrow lists of text."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        try:
            return pd.StringDtype("pyarrow", na_value=np.nan)
        except TypeError:  # pandas < 2.3 spells the same type "pyarrow_numpy"
            return pd.StringDtype("pyarrow_numpy")
    if pa.types.is_list(arrow_type):
        return pd.ArrowDtype(pa.list_(pa.string()))
    return None


def _kind_matches(kind: str, dtype: Any) -> bool:
    import pandas as pd
    from pandas.api import types

    return {
        "text": isinstance(dtype, pd.StringDtype),
        "id": types.is_integer_dtype(dtype),
        "float": types.is_float_dtype(dtype),
        "bool": types.is_bool_dtype(dtype),
        "datetime": types.is_datetime64_any_dtype(dtype),
        "category": isinstance(dtype, pd.CategoricalDtype),
        "codes": isinstance(dtype, pd.ArrowDtype) and dtype == _pandas_type(dtype.pyarrow_dtype),
    }[kind]


def _to_pandas(arrow: pa.Table, attrs: dict[str, Any]) -> pd.DataFrame:
    """The stored table as the DataFrame load() returns, the same in pandas 2.2 and 3."""
    import pandas as pd
    import pyarrow as pa

    # Column by column, each Arrow column freed once converted, and the memory pyarrow kept
    # handed back: a kernel's peak is about 10 MB lower, and it keeps 35 MB less afterwards.
    table = arrow.to_pandas(types_mapper=_pandas_type, split_blocks=True, self_destruct=True)
    del arrow
    pa.default_memory_pool().release_unused()
    kinds, text = _kinds(), _pandas_type(pa.string())
    for name, dtype in table.dtypes.items():
        if not _kind_matches(kinds[name], dtype):
            raise _Damaged(f"its column {name!r} came back as {dtype}")
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype != text:
            # pandas 2.2 makes the categories Python objects; 3 its Arrow-backed text.
            categories = pd.Index(dtype.categories, dtype=text)
            table[name] = table[name].cat.rename_categories(categories)
    table.attrs = attrs
    return table


def _groups(about: dict[str, Any], years: list[int] | None) -> list[int]:
    return [i for i, year in enumerate(about["years"]) if years is None or year in years]


def read_cache(
    path: Path | None, years: list[int] | None = None, columns: list[str] | None = None
) -> pd.DataFrame | None:
    """Read the cached table, or return None if it is absent or cannot be trusted.

    The footer is checked against the digest in the file's name, and every page read
    against its checksum; a damaged file is logged (with the reason) and left for the
    caller to rebuild. Nothing is written, so a read-only data folder serves a warm load.

    Parameters
    ----------
    path : Path or None
        From :func:`cache_path`.
    years : list of int, optional
        First years of the reporting years to read; all by default.
    columns : list of str, optional
        Columns to read, in this order; all by default.

    Returns
    -------
    pandas.DataFrame or None
        The table, its ``attrs`` those it was written with.
    """
    import pyarrow.parquet as pq

    if path is None:
        return None
    try:
        name = _NAME.fullmatch(path.name)
        if name is None:
            raise _Damaged("it is not named like a cache")
        with open(path, "rb") as file:
            size = file.seek(0, 2)
            file.seek(size - 8)
            length = int.from_bytes(file.read(4), "little")
            if not 0 < length <= size - 12:
                raise _Damaged("its footer is not where parquet puts it")
            file.seek(size - 8 - length)
            if _digest(file.read(length)) != name["footer"]:
                raise _Damaged("its footer fails its sha256")
        # Opened again by name, which pyarrow reads fastest: whatever is at this name now has
        # the footer the name holds, or fails the page checksums or the parse.
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        about = _about(parquet.schema_arrow.metadata)
        if about["environment"] != _environment():
            raise _Damaged(f"it was written for {about['environment']}")
        if parquet.schema_arrow.names != list(_kinds()):
            raise _Damaged("it holds other columns than this version's table")
        arrow = parquet.read_row_groups(_groups(about, years), columns=columns)
        return _to_pandas(arrow, about["attrs"])
    except _Damaged as exc:
        _logger.warning("The cached table %s cannot be used: %s. Rebuilding it.", path, exc)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        # pyarrow raises ArrowInvalid / ArrowIOError (ValueError / OSError) on a damaged file.
        _logger.warning("The cached table %s cannot be read (%s). Rebuilding it.", path, exc)
    return None


def as_cached(
    table: pd.DataFrame, years: list[int] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Return ``table`` exactly as a cache written from it would be read back, without a file.

    For a data folder that cannot be written: the table is the same as a warm load's.
    """
    import pyarrow as pa

    arrow = _to_arrow(table)
    about = _about(arrow.schema.metadata)
    starts = [sum(about["rows"][:i]) for i in range(len(about["rows"]))]
    arrow = pa.concat_tables(
        arrow.slice(starts[i], about["rows"][i]) for i in _groups(about, years)
    )
    return _to_pandas(arrow.select(columns) if columns is not None else arrow, about["attrs"])
