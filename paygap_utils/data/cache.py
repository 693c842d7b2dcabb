"""The cleaned table of all years, cached as one parquet file so that a warm :func:`load` is fast.

The cache is ``paygap-clean-pandas<N>-<key>-<footer>.parquet`` in the data folder: the key
follows the manifest's checksums, the library's version and its code and tables; pandas 2
and 3 (``<N>``) each keep their own. It is plain parquet, one row group per year, read
through pyarrow's column projection and year filter, every page checked against the CRC-32
it was written with. Those checksums do not cover the footer, where a flipped bit can change
a column's type: ``<footer>`` is the start of its sha256, checked before it is parsed. A file
that fails a check is logged and rebuilt, never served. It is read into memory, never
memory-mapped (another user's refresh on a shared hub cannot crash a loaded table), and
written through :func:`paygap_utils._files.write_file`, so a reader never sees half of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_file
from .._version import __version__
from .manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["cache_key", "cache_path", "to_parquet", "from_parquet", "read_cache", "write_cache"]

_logger = logging.getLogger("paygap_utils")

#: The metadata key of the table's ``attrs`` (pyarrow before 22 drops a frame's own).
_ATTRS = b"paygap_utils"


@cache
def _code_digest() -> str:
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".csv", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _prefix() -> str:
    import pandas as pd

    # pandas 2 and 3 convert the same file differently: each reads only its own.
    return f"paygap-clean-pandas{pd.__version__.split('.')[0]}"


def cache_key(manifest: Manifest) -> str:
    """Return the key that names the cleaned table for this manifest and this library.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.cache import cache_key
    >>> len(cache_key(read_manifest()))
    16
    """
    files = [(f.year, f.sha256) for f in manifest.files]
    parts = json.dumps([files, __version__, _code_digest()])
    return hashlib.sha256(parts.encode()).hexdigest()[:16]


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
    found = folder.glob(f"{_prefix()}-{cache_key(manifest)}-*.parquet")
    return max(found, key=lambda p: p.stat().st_mtime_ns, default=None)


def to_parquet(table: pd.DataFrame) -> pa.Buffer:
    """Return ``table`` as the bytes of a cache file: a row group per year, every page checked.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.cache import to_parquet
    >>> to_parquet(pd.DataFrame({"year": [2021, 2017]})).size > 0
    True
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    frame = table.copy(deep=False)  # a new frame over the same data
    frame.attrs = {}
    # Lists go in as Python lists: the pandas metadata then names no ArrowDtype, which pyarrow
    # fails to rebuild on a read of other columns.
    for name, dtype in table.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype):
            frame[name] = table[name].astype(object)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    for index, field in enumerate(arrow.schema):
        if pa.types.is_null(field.type):  # only missing values, so Python objects: text
            arrow = arrow.set_column(index, field.name, pa.nulls(len(arrow), pa.string()))
    schema = arrow.schema.with_metadata(
        {**arrow.schema.metadata, _ATTRS: json.dumps(table.attrs).encode()}
    )
    # Uncompressed, and text (mostly distinct values) without dictionary pages: the fastest to
    # read back (docs/performance.md).
    text = (pa.string(), pa.large_string(), pa.list_(pa.string()))
    dictionary = [field.name for field in schema if field.type not in text]
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(
        sink, schema, compression="none", use_dictionary=dictionary, write_page_checksum=True
    ) as writer:
        for year in sorted(set(table["year"])):
            writer.write_table(arrow.filter(pc.field("year") == year))
    return sink.getvalue()


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


def from_parquet(
    source: Path | pa.Buffer, years: list[int] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read the table from a cache file or its bytes (:func:`to_parquet`), every page checked.

    ``years`` and ``columns`` as in :func:`read_cache`. The types are the same under pandas 2.2
    and 3: text as Arrow-backed strings (missing as NaN), lists as Arrow lists of text. From
    then on, the process's Arrow memory comes from the system's allocator.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.cache import from_parquet, to_parquet
    >>> table = pd.DataFrame({"year": [2021, 2017], "sectors": [["P", "Q"], []]})
    >>> from_parquet(to_parquet(table), years=[2021])["sectors"].tolist()
    [['P', 'Q']]
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if pa.default_memory_pool().backend_name != "system":
        # What pyarrow's default allocator (mimalloc here) kept is handed back, and the Arrow
        # memory then comes from the system's: with mimalloc, kernels peaked 30 to 40 MB higher.
        pa.default_memory_pool().release_unused()
        pa.set_memory_pool(pa.system_memory_pool())
    arrow = pq.read_table(
        pa.BufferReader(source) if isinstance(source, pa.Buffer) else source,
        columns=columns,
        filters=None if years is None else [("year", "in", years)],
        page_checksum_verification=True,
    )
    attrs = json.loads(arrow.schema.metadata[_ATTRS])
    # Column by column, each Arrow column freed once converted, and the memory pyarrow kept
    # handed back: a kernel keeps about 35 MB less.
    table = arrow.to_pandas(types_mapper=_pandas_type, split_blocks=True, self_destruct=True)
    del arrow
    pa.default_memory_pool().release_unused()
    text = _pandas_type(pa.string())
    for name, dtype in table.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype != text:
            # pandas 2.2 makes the categories Python objects; 3 its Arrow-backed text.
            categories = pd.Index(dtype.categories, dtype=text)
            table[name] = table[name].cat.rename_categories(categories)
    table.attrs = attrs
    return table


def write_cache(data: pa.Buffer, folder: Path, manifest: Manifest) -> Path:
    """Write ``data`` (from :func:`to_parquet`) as the cache for ``manifest`` in ``folder``.

    Then this environment's older caches there are removed: only files named like one whose
    metadata says this library wrote them.

    Raises
    ------
    OSError
        When the file cannot be written (a read-only or full data folder); nothing is left.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pathlib import Path
    >>> from paygap_utils.data.cache import to_parquet, write_cache
    >>> from paygap_utils.data.manifest import read_manifest
    >>> folder, data = Path(tempfile.mkdtemp()), to_parquet(pd.DataFrame({"year": [2021]}))
    >>> write_cache(data, folder, read_manifest()).parent == folder
    True
    """
    import pyarrow.parquet as pq

    view = memoryview(data)
    footer = hashlib.sha256(view[-8 - int.from_bytes(view[-8:-4], "little") : -8])
    path = folder / f"{_prefix()}-{cache_key(manifest)}-{footer.hexdigest()[:16]}.parquet"
    # The name holds the key and the footer's digest, which no file of anyone else's has.
    write_file(path, lambda file: file.write(view), replace=True, what="the cleaned table")
    for other in folder.glob(f"{_prefix()}-*.parquet"):
        try:
            ours = other != path and _ATTRS in pq.read_schema(other).metadata
        except (OSError, ValueError, TypeError):
            ours = False
        if ours:
            _logger.info("Removing %s, a cache of an older version of the data or library.", other)
            other.unlink(missing_ok=True)
    return path


def read_cache(
    path: Path | None, years: list[int] | None = None, columns: list[str] | None = None
) -> pd.DataFrame | None:
    """Read the cached table, or return None if it is absent or cannot be trusted.

    The footer is checked against the digest in the file's name, and every page read against
    its checksum; a damaged file is logged (with the reason) and left for the caller to
    rebuild. Nothing is written, so a read-only data folder serves a warm load.

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

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.cache import read_cache
    >>> damaged = Path(tempfile.mkdtemp()) / "paygap-clean-pandas3-0-0.parquet"
    >>> _ = damaged.write_bytes(b"PAR1 not quite parquet PAR1")
    >>> read_cache(damaged) is None
    True
    """
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            file.seek(-8, 2)
            length = int.from_bytes(file.read(4), "little")
            file.seek(-8 - length, 2)
            if hashlib.sha256(file.read(length)).hexdigest()[:16] != path.stem[-16:]:
                raise ValueError("its footer is not the one its name holds")
        # Opened again by pyarrow: whatever is at this name now has the footer the name
        # holds, or fails the page checksums or the parse.
        return from_parquet(path, years, columns)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # pyarrow raises ArrowInvalid / ArrowIOError (ValueError / OSError) on a damaged file.
        _logger.warning("The cached table %s cannot be used (%s). Rebuilding it.", path, exc)
    return None
