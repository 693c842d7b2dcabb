"""The cleaned all-years table, cached once so that a warm :func:`paygap_utils.load` is fast.

The cache is one file per key, ``paygap-clean-<key>.cache`` in the data folder. The
key is made of the manifest's checksums, the library's version, a digest of the
library's own code and tables, and pandas' major version, so any change to the data
or to the cleaning makes a new cache.

The file is an uncompressed Arrow IPC file (one record batch per reporting year)
followed by a trailer that proves it: an xxh3-64 digest (xxHash, 64 bits) of every
block of the Arrow file, of every column of every year, of every shared dictionary,
and of every other byte of the Arrow file (its schema, metadata and footer), the
table's ``attrs``, and the trailer's own CRC-32 (the standard library's, so that a
trailer of any layout can be read). A read checks every byte it reads before
anything is converted to pandas. A read of the whole table reads the file in blocks
on two threads, each block checked as soon as it is read; a read of some columns or
years reads only their buffers and checks each of them, and all the metadata. So a
flipped bit anywhere, a truncated file, a file of other columns or of another
version's layout is noticed, logged, and rebuilt from the downloaded files; it is
never served as data. The file is read into memory, not memory-mapped, so nothing
that happens to it later can change or crash a table already loaded.

Writes go to a temporary file that is renamed into place, so a reader never sees
half a table. After a write, only this environment's caches of other keys are
removed: a file is removed only if its name is a cache's and its trailer says this
library wrote it for the same pandas major version (another environment sharing the
folder keeps its own). Caches of the previous layout (parquet files carrying this
library's metadata) are removed too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from .manifest import Manifest
from .schema import COLUMNS, DERIVED_COLUMNS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "cache_key",
    "cache_path",
    "check_columns",
    "read_cache",
    "write_cache",
    "as_cached",
    "CacheDamaged",
]

_logger = logging.getLogger("paygap_utils")

_PREFIX = "paygap-clean-"
_SUFFIX = ".cache"
_MAGIC = b"PAYGAPC1"
#: The trailer's fixed tail: CRC-32 of the trailer text, its length, the magic.
_TAIL = struct.Struct("<IQ8s")
_FORMAT = 2
#: A whole-table read checks the Arrow file in blocks of this many bytes.
_BLOCK = 1 << 20
#: The previous layout's metadata key (parquet caches of earlier versions).
_OLD_PARQUET_KEY = b"paygap_utils.attrs"


class CacheDamaged(Exception):
    """The cache file cannot be trusted; the message says why."""


@cache
def _code_digest() -> str:
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".csv") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _environment() -> dict[str, str]:
    import pandas as pd

    return {"pandas": pd.__version__.split(".")[0]}


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
        "format": _FORMAT,
        **_environment(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cache_path(folder: Path, manifest: Manifest) -> Path:
    """Return where the cleaned table for ``manifest`` lives in ``folder``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.cache import cache_path
    >>> cache_path(Path("data"), read_manifest()).name.startswith("paygap-clean-")
    True
    """
    return folder / f"{_PREFIX}{cache_key(manifest)}{_SUFFIX}"


def _schema_columns() -> dict[str, str]:
    return {c.name: c.kind for c in COLUMNS + DERIVED_COLUMNS}


def check_columns(columns: Sequence[str] | str | None) -> list[str] | None:
    """Return ``columns`` as a list after checking each is a column of the table.

    Raises
    ------
    ValueError
        Naming the unknown column, the closest known names, and where the list is.

    Examples
    --------
    >>> from paygap_utils.data.cache import check_columns
    >>> check_columns(["year", "sector"])
    ['year', 'sector']
    >>> check_columns(["median_gap"])
    Traceback (most recent call last):
    ...
    ValueError: 'median_gap' is not a column of the cleaned table...
    """
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    known = _schema_columns()
    wanted = list(dict.fromkeys(columns))
    for name in wanted:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"{name!r} is not a column of the cleaned table.{hint} "
                "`paygap_utils.columns()` lists every column and what it means."
            )
    if not wanted:
        raise ValueError("columns is empty: name at least one column, e.g. columns=['year'].")
    return wanted


def _kind_matches(kind: str, arrow_type: pa.DataType) -> bool:
    import pyarrow as pa

    checks = {
        "text": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        "id": pa.types.is_integer,
        "float": pa.types.is_floating,
        "bool": pa.types.is_boolean,
        "datetime": pa.types.is_timestamp,
        "category": pa.types.is_dictionary,
        "codes": pa.types.is_dictionary,
    }
    check = checks.get(kind)
    return check is None or check(arrow_type)


def _string_dtype():
    """pandas' Arrow-backed string with missing values as NaN, in pandas 2.2 and 3.x alike."""
    import numpy as np
    import pandas as pd

    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pandas < 2.3 spells the same type "pyarrow_numpy"
        return pd.StringDtype("pyarrow_numpy")


def _digest(parts) -> int:
    """The xxh3-64 digest of ``parts`` (buffers or bytes) one after the other."""
    import xxhash

    digest = xxhash.xxh3_64()
    for part in parts:
        if part is not None and len(part):
            digest.update(part)
    return digest.intdigest()


def _ranges(file, ranges):
    """The bytes of each (start, end) range of ``file``, one range at a time.

    Each is a view of one buffer that the next range overwrites: read, use, move on. (One
    buffer, not a new bytes object per range, so the cold path's heap is not fragmented.)
    """
    ranges = list(ranges)
    view = memoryview(bytearray(max((end - start for start, end in ranges), default=0)))
    for start, end in ranges:
        part = view[: end - start]
        _read_into(file, start, part)
        yield part


def _indices(array: pa.Array) -> pa.Array:
    """A dictionary-encoded column's codes; any other column itself."""
    import pyarrow as pa

    return array.indices if pa.types.is_dictionary(array.type) else array


# Writing


def _arrow_batches(table: pd.DataFrame):
    """Yield (year, schema, one year as an Arrow table), converting one year at a time."""
    import pyarrow as pa

    # Each list column is stored as joined text, one dictionary entry per distinct list.
    lists = [name for name, kind in _schema_columns().items() if kind == "codes"]
    joined = {c: table[c].map(",".join).astype("category") for c in lists if c in table}

    def stored(rows) -> pd.DataFrame:
        part = table[rows].assign(**{c: values[rows] for c, values in joined.items()})
        # The attrs live in the trailer only: pyarrow would also copy them into the
        # schema's pandas metadata, and every column a reader takes would copy them again.
        part.attrs = {}
        return part

    # The schema comes from the dtypes alone; a column held as Python objects gives no type
    # without rows, and takes the type of its kind in the schema module.
    by_kind = {
        "text": pa.string(),
        "id": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "datetime": pa.timestamp("ns"),
    }
    kinds = _schema_columns()
    schema = pa.Schema.from_pandas(stored(slice(0, 0)), preserve_index=False)
    for index, field in enumerate(schema):
        if pa.types.is_null(field.type):
            arrow_type = by_kind.get(kinds.get(field.name, "text"), pa.string())
            schema = schema.set(index, field.with_type(arrow_type))
    years = table["year"].to_numpy()
    for year in sorted(set(years.tolist())):
        part = stored(years == year)
        # One conversion thread: each extra thread's allocator arena adds to the peak.
        arrow = pa.Table.from_pandas(part, schema=schema, preserve_index=False, nthreads=1)
        yield year, schema, arrow


def _layout(ipc_path: Path, ipc_length: int) -> dict[str, Any]:
    """Where every buffer of an Arrow file lies, and the digests a reader checks.

    Per year and column: where its buffers lie, its count of missing values and the
    digest of its buffers; the same for each column's shared dictionary; the digest of
    everything else (schema, message headers, footer, padding between the messages);
    and the digest of every block of the file.
    """
    import pyarrow as pa
    import pyarrow.ipc as ipc

    def spans(array, base: int) -> list[list[int] | None]:
        found = []
        for buffer in array.buffers():
            if buffer is None:
                found.append(None)  # absent (no validity bitmap without missing values)
                continue
            if not buffer.size:
                found.append([0, 0])  # present but empty, e.g. the text of only missing values
                continue
            start = buffer.address - base
            if not 0 <= start <= ipc_length - buffer.size:
                raise RuntimeError("an Arrow buffer lies outside the file")
            found.append([start, buffer.size])
        return found

    rows, buffers, null_counts, dictionaries = [], [], [], {}
    # Where each buffer lies in the file, from a zero-copy view of it (which touches only
    # the metadata: the data is read below, a buffer at a time, while the table is in memory).
    with pa.memory_map(str(ipc_path)) as mapped:
        whole = mapped.read_buffer(ipc_length)
        reader = ipc.open_file(whole)
        names = reader.schema.names
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            rows.append(batch.num_rows)
            arrays = [_indices(array) for array in batch.columns]
            buffers.append([spans(array, whole.address) for array in arrays])
            null_counts.append([array.null_count for array in arrays])
            for name, array in zip(names, batch.columns, strict=True):
                if pa.types.is_dictionary(array.type) and name not in dictionaries:
                    values = array.dictionary
                    dictionaries[name] = {
                        "length": len(values),
                        "null_count": values.null_count,
                        "buffers": spans(values, whole.address),
                    }
        del batch, arrays, reader, whole

    def data(found: list) -> list[tuple[int, int]]:
        """The (start, end) in the file of each non-empty buffer of ``found``."""
        return [(s[0], s[0] + s[1]) for s in found if s is not None and s[1]]

    # Each message's data: from its first buffer to the end of its last. Between them lie
    # only its buffers, each checked on its own, and padding that no read looks at.
    messages = [*buffers, *([d["buffers"]] for d in dictionaries.values())]
    bodies = []
    for message in messages:
        places = [place for array in message for place in data(array)]
        if places:
            bodies.append((min(a for a, _ in places), max(b for _, b in places)))
    rest, position = [], 0
    for start, end in sorted(bodies):
        if start > position:
            rest.append([position, start])
        position = max(position, end)
    if position < ipc_length:
        rest.append([position, ipc_length])
    with open(ipc_path, "rb") as file:
        batch_digest = [[_digest(_ranges(file, data(a))) for a in batch] for batch in buffers]
        dictionary_digest = {
            name: _digest(_ranges(file, data(d["buffers"]))) for name, d in dictionaries.items()
        }
        rest_digest = _digest(_ranges(file, rest))
        blocks = [
            (start, min(start + _BLOCK, ipc_length)) for start in range(0, ipc_length, _BLOCK)
        ]
        block_digest = [_digest([part]) for part in _ranges(file, blocks)]
    return {
        "columns": names,
        "rows": rows,
        "buffers": buffers,
        "null_counts": null_counts,
        "batch_digest": batch_digest,
        "dictionaries": dictionaries,
        "dictionary_digest": dictionary_digest,
        "rest": rest,
        "rest_digest": rest_digest,
        "block_size": _BLOCK,
        "block_digest": block_digest,
    }


def write_cache(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` atomically, then remove this environment's older caches.

    Each year is converted to Arrow on its own and written as one record batch, so
    the copy never holds more than a year at a time (and a read of some years reads
    only theirs).

    Raises
    ------
    OSError
        When the file cannot be written (a read-only or full data folder); nothing
        is left behind.
    """
    import pyarrow as pa
    import pyarrow.ipc as ipc

    from .datafolder import partial_file

    years = []
    with partial_file(path.parent, path.name, "Saving the cleaned table") as partial:
        with pa.OSFile(str(partial), "wb") as sink:
            writer = None
            for year, schema, part in _arrow_batches(table):
                if writer is None:
                    writer = ipc.new_file(sink, schema)
                writer.write_table(part)
                years.append(int(year))
                del part
                # pyarrow's allocator keeps freed memory for reuse; each year's table has
                # another size, so without this the write would add to the peak each year.
                pa.default_memory_pool().release_unused()
            if writer is None:
                raise ValueError("write_cache: the table has no rows")
            writer.close()
        ipc_length = partial.stat().st_size
        trailer = {
            "format": _FORMAT,
            "library": "paygap_utils",
            "version": __version__,
            "key": path.name[len(_PREFIX) : -len(_SUFFIX)],
            "environment": _environment(),
            "ipc_length": ipc_length,
            "years": years,
            "attrs": table.attrs,
            **_layout(partial, ipc_length),
        }
        text = json.dumps(trailer, sort_keys=True).encode()
        with open(partial, "ab") as file:
            file.write(text)
            file.write(_TAIL.pack(zlib.crc32(text), len(text), _MAGIC))
        os.replace(partial, path)
    _remove_older(path)


def _read_trailer(file, size: int, any_format: bool = False) -> dict[str, Any]:
    """The trailer of a cache of this layout (with ``any_format``: of any of this library's)."""
    if size < _TAIL.size:
        raise CacheDamaged(f"it is truncated ({size} bytes)")
    file.seek(size - _TAIL.size)
    crc, length, magic = _TAIL.unpack(file.read(_TAIL.size))
    if magic != _MAGIC:
        raise CacheDamaged("it does not end with the cache's trailer (truncated or not a cache)")
    if length > size - _TAIL.size:
        raise CacheDamaged("its trailer is damaged (length beyond the file)")
    file.seek(size - _TAIL.size - length)
    text = file.read(length)
    if zlib.crc32(text) != crc:
        raise CacheDamaged("its trailer fails its checksum")
    try:
        trailer = json.loads(text)
    except ValueError as exc:
        raise CacheDamaged(f"its trailer is not readable ({exc})") from None
    if not isinstance(trailer, dict) or trailer.get("library") != "paygap_utils":
        raise CacheDamaged("its trailer is not this library's")
    if any_format:
        return trailer
    if trailer.get("format") != _FORMAT:
        raise CacheDamaged(f"it has another layout (format {trailer.get('format')!r})")
    if trailer["ipc_length"] != size - _TAIL.size - length:
        raise CacheDamaged("its length does not match its trailer")
    return trailer


def _remove_older(path: Path) -> None:
    """Remove this environment's caches of other keys, and caches of the previous layout."""
    mine = _environment()
    for other in path.parent.glob(f"{_PREFIX}*"):
        if other == path or not other.is_file():
            continue
        try:
            if other.suffix == _SUFFIX:
                with open(other, "rb") as file:
                    size = os.fstat(file.fileno()).st_size
                    trailer = _read_trailer(file, size, any_format=True)
                ours = trailer.get("environment") == mine
            elif other.suffix == ".parquet":
                import pyarrow.parquet as pq

                ours = _OLD_PARQUET_KEY in (pq.read_schema(other).metadata or {})
            else:
                ours = False
        except (OSError, CacheDamaged, ValueError, KeyError, TypeError):
            ours = False
        if ours:
            _logger.info("Removing %s, a cache of an older version of the data or library.", other)
            other.unlink(missing_ok=True)


# Reading


def _decode_lists(column: pa.ChunkedArray):
    """Each distinct list is stored once as joined text; rows share the decoded list."""
    import numpy as np
    import pyarrow as pa

    if not column.num_chunks:
        return np.empty(0, dtype=object)
    dictionary = column.chunks[0].dictionary  # an Arrow file has one per column
    codes = pa.concat_arrays([chunk.indices for chunk in column.chunks])
    decoded = np.empty(len(dictionary) + 1, dtype=object)
    decoded[:-1] = [text.split(",") if text else [] for text in dictionary.to_pylist()]
    decoded[-1] = []  # a missing list: code -1
    return decoded[codes.fill_null(-1).to_numpy(zero_copy_only=False)]


def _to_pandas(arrow: pa.Table, attrs: dict[str, Any]) -> pd.DataFrame:
    """The stored Arrow table as the DataFrame load() returns, the same in every pandas."""
    import pandas as pd
    import pyarrow as pa

    text = _string_dtype()
    mapping = {pa.string(): text, pa.large_string(): text}
    kinds = _schema_columns()
    names = arrow.column_names
    coded = [n for n in names if kinds.get(n) == "codes"]
    rest = arrow.drop_columns(coded)
    if coded:
        from concurrent.futures import ThreadPoolExecutor

        # The lists are decoded in Python on a second thread while pyarrow converts the
        # rest, most of it with the GIL released.
        with ThreadPoolExecutor(max_workers=1) as other:
            decoding = other.submit(lambda: {n: _decode_lists(arrow[n]) for n in coded})
            table = rest.to_pandas(types_mapper=mapping.get)
            lists = decoding.result()
    else:
        table, lists = rest.to_pandas(types_mapper=mapping.get), {}
    for name in (n for n in names if kinds.get(n) == "category"):
        dtype = table[name].dtype
        if dtype.categories.dtype != text:
            column = table[name]
            # Categories as the same Arrow-backed text in pandas 2.2 (object) and 3 (str).
            dtype = pd.CategoricalDtype(
                pd.Index(column.cat.categories, dtype=text), column.cat.ordered
            )
            table[name] = pd.Categorical.from_codes(column.cat.codes.to_numpy(), dtype=dtype)
    for name, values in lists.items():
        # As a Series, so pandas 3 takes the array without copying it.
        table.insert(names.index(name), name, pd.Series(values, copy=False))
    table.attrs = attrs
    return table


def _read_into(file, start: int, part: memoryview) -> None:
    """Fill ``part`` with the bytes of ``file`` from ``start``."""
    file.seek(start)
    done = 0
    while done < len(part):
        got = file.readinto(part[done:])
        if not got:
            raise CacheDamaged("it is shorter than its trailer says")
        done += got


def _read_whole(path: Path, trailer: dict[str, Any]):
    """The whole Arrow file in memory, each block checked as soon as it is read.

    Two threads each read and check half of the blocks (file reads and xxhash 4 both
    release the GIL), so this takes about half the time of reading, then checking.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    length, size, expected = trailer["ipc_length"], trailer["block_size"], trailer["block_digest"]
    if not isinstance(size, int) or size <= 0 or len(expected) != -(-length // size):
        raise CacheDamaged("its block checksums do not cover the file")
    whole = pa.allocate_buffer(length)
    view = memoryview(whole)

    def read(blocks: range) -> None:
        with open(path, "rb", buffering=0) as file:
            for block in blocks:
                start = block * size
                part = view[start : min(start + size, length)]
                _read_into(file, start, part)
                if _digest([part]) != expected[block]:
                    raise CacheDamaged(f"block {block} (from byte {start}) fails its checksum")

    half = len(expected) // 2
    with ThreadPoolExecutor(max_workers=1) as other:
        first = other.submit(read, range(half))
        try:
            read(range(half, len(expected)))
        finally:
            first.result()
    return whole


def _check_schema(schema: pa.Schema, names: list[str], fields: list[int]) -> None:
    """Check the columns a reader found against the trailer's and this version's."""
    kinds = _schema_columns()
    if schema.names != [names[index] for index in fields]:
        raise CacheDamaged("its schema does not match its trailer")
    for field in schema:
        if not _kind_matches(kinds[field.name], field.type):
            raise CacheDamaged(f"its column {field.name!r} has another type")


def _open(
    path: Path, years: list[int] | None, columns: list[str] | None
) -> tuple[pa.Table, dict[str, Any]]:
    """Read the years and columns asked for, and check every byte read against the trailer."""
    import pyarrow as pa

    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        trailer = _read_trailer(file, size)
        key = path.name[len(_PREFIX) : -len(_SUFFIX)]
        if trailer.get("key") != key:
            raise CacheDamaged(f"it holds the table of key {trailer.get('key')}, not {key}")
        if trailer.get("environment") != _environment():
            raise CacheDamaged(f"it was written for {trailer.get('environment')}")
        names = trailer["columns"]
        if names != list(_schema_columns()):
            raise CacheDamaged("it holds other columns than this version's table")
        if years is None and columns is None:
            batches, schema = _whole_table(path, trailer)
        else:
            batches, schema = _some_of_table(file, trailer, years, columns)
    arrow = pa.Table.from_batches(batches, schema=schema)
    if columns is not None:
        arrow = arrow.select(columns)
    return arrow, trailer["attrs"]


def _whole_table(path: Path, trailer: dict[str, Any]) -> tuple[list, pa.Schema]:
    """Every year of every column, from the whole file read and checked in blocks."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    whole = _read_whole(path, trailer)
    # Only now, with every byte checked, is the Arrow file parsed; its arrays are views of it.
    options = ipc.IpcReadOptions(use_threads=False)
    reader = ipc.open_file(pa.BufferReader(whole), options=options)
    if reader.num_record_batches != len(trailer["years"]):
        raise CacheDamaged("it holds another number of years than its trailer says")
    names = trailer["columns"]
    _check_schema(reader.schema, names, list(range(len(names))))
    return [reader.get_batch(i) for i in range(reader.num_record_batches)], reader.schema


def _some_of_table(
    file, trailer: dict[str, Any], years: list[int] | None, columns: list[str] | None
) -> tuple[list, pa.Schema]:
    """The years and columns asked for, reading and checking only their buffers.

    ``file`` is the cache, open. The trailer says where each buffer lies, so only those
    bytes are read (into one allocation, each at a 64-byte boundary) and the arrays are
    made from them.
    """
    import pyarrow as pa
    import pyarrow.ipc as ipc

    names = trailer["columns"]
    fields = sorted(names.index(name) for name in columns or names)
    wanted = [(i, y) for i, y in enumerate(trailer["years"]) if years is None or y in years]
    length = trailer["ipc_length"]
    if _digest(_ranges(file, trailer["rest"])) != trailer["rest_digest"]:
        raise CacheDamaged("its schema or metadata fails its checksum")
    # Only the schema is parsed (the footer holds it), now that the metadata is checked.
    schema = ipc.open_file(file, footer_offset=length).schema
    if len(trailer["rows"]) != len(trailer["years"]):
        raise CacheDamaged("it holds another number of years than its trailer says")
    selected = pa.schema([schema.field(i) for i in fields], metadata=schema.metadata)
    _check_schema(selected, names, fields)
    coded = {i for i in fields if pa.types.is_dictionary(schema.field(i).type)}
    spans = [span for i in coded for span in trailer["dictionaries"][names[i]]["buffers"]]
    spans += [span for index, _ in wanted for i in fields for span in trailer["buffers"][index][i]]
    places, total = {}, 0
    for span in spans:
        if span is not None:
            start, size = span
            if not (
                isinstance(start, int) and isinstance(size, int) and 0 <= start <= length - size
            ):
                raise CacheDamaged("its trailer places a buffer outside the file")
            places.setdefault((start, size), total)
            total += -(-size // 64) * 64
    memory = pa.allocate_buffer(max(total, 1))
    view = memoryview(memory)

    def read(found: list, expected: int, what: str) -> list:
        """The buffers at ``found``, read, and checked against ``expected``."""
        parts = []
        for span in found:
            if span is None:
                parts.append(None)
                continue
            start, size = span
            at = places[start, size]
            _read_into(file, start, view[at : at + size])
            parts.append(memory.slice(at, size))
        if _digest(parts) != expected:
            raise CacheDamaged(f"{what} fails its checksum")
        return parts

    dictionaries = {}
    for i in sorted(coded):
        name, field = names[i], schema.field(i)
        entry = trailer["dictionaries"][name]
        found = read(
            entry["buffers"],
            trailer["dictionary_digest"][name],
            f"the categories of column {name!r}",
        )
        dictionaries[i] = pa.Array.from_buffers(
            field.type.value_type, entry["length"], found, entry["null_count"]
        )
    batches = []
    for index, year in wanted:
        arrays = []
        for i in fields:
            name, field = names[i], schema.field(i)
            found = read(
                trailer["buffers"][index][i],
                trailer["batch_digest"][index][i],
                f"column {name!r} of {year}",
            )
            rows, nulls = trailer["rows"][index], trailer["null_counts"][index][i]
            if i in coded:
                codes = pa.Array.from_buffers(field.type.index_type, rows, found, nulls)
                arrays.append(
                    pa.DictionaryArray.from_arrays(
                        codes, dictionaries[i], ordered=field.type.ordered, safe=False
                    )
                )
            else:
                arrays.append(pa.Array.from_buffers(field.type, rows, found, nulls))
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=selected))
    return batches, selected


def read_cache(
    path: Path,
    years: list[int] | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame | None:
    """Read the cached table, or return ``None`` if it is absent or cannot be trusted.

    Every byte that is read is checked against the trailer's checksums; a damaged
    file is logged (with the reason) and left for the caller to rebuild. Nothing is
    written, so a read-only data folder serves a warm load.

    Parameters
    ----------
    path : Path
        From :func:`cache_path`.
    years : list of int, optional
        First years of the reporting years to read; all by default.
    columns : list of str, optional
        Columns to read, in this order; all by default (see :func:`check_columns`).

    Returns
    -------
    pandas.DataFrame or None
        The table, its ``attrs`` those it was written with.
    """
    import pyarrow as pa

    if not path.is_file():
        _logger.info("No cleaned table is cached at %s yet.", path)
        return None
    try:
        arrow, attrs = _open(path, years, columns)
        table = _to_pandas(arrow, attrs)
        del arrow
        # What the conversion freed goes back to the system, not to pyarrow's reserve: a
        # kernel that loads every column keeps about 4 MB less for the rest of its life.
        pa.default_memory_pool().release_unused()
    except CacheDamaged as exc:
        _logger.warning("The cached table %s cannot be used: %s. Rebuilding it.", path, exc)
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        # pyarrow raises ArrowInvalid / ArrowIOError (ValueError / OSError) on a damaged file.
        _logger.warning("The cached table %s cannot be read (%s). Rebuilding it.", path, exc)
        return None
    return table


def as_cached(
    table: pd.DataFrame, years: list[int] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Return ``table`` exactly as a cache written from it would be read back, without a file.

    For a data folder that cannot be written: the table is the same as a warm load's.
    """
    import pyarrow as pa

    parts = [
        part for year, schema, part in _arrow_batches(table) if years is None or int(year) in years
    ]
    arrow = pa.concat_tables(parts)
    if columns is not None:
        arrow = arrow.select(columns)
    return _to_pandas(arrow, dict(table.attrs))
