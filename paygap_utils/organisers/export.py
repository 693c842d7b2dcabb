"""Writing the cleaned table for other tools: CSV (R, spreadsheets), parquet and SQLite.

One cleaning implementation: R, SQL and Datasette users read what this module writes
from :func:`paygap_utils.load`'s table, never the raw files.

Every file is written to a temporary file in the library's private subfolder of the
target's folder (``.paygap-tmp/``, see :mod:`paygap_utils.data.datafolder`) and renamed into
place only when complete, so a failure (a full disk, a killed process) leaves the
previous file or nothing; the temporary file of a killed export is removed by the next
export to the same folder, and the subfolder itself once it is empty. A target that
exists is replaced only if this module wrote it (it recognises its own files: the CSV
header, the parquet and SQLite markers) or if the caller passes ``force=True``; anything
else is left alone and the error says what to do.

The default exports live in the data folder, next to the cleaned cache, in
``<data folder>/paygap-export/`` (``paygap.csv``, ``paygap.columns.csv``, ``paygap.parquet``,
``paygap.sqlite``). :func:`export_path` says where, and
:func:`ensure_export` writes one when it is missing or out of date. ``$PAYGAP_EXPORT``
names a CSV export elsewhere for the R notebooks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.datafolder import PRIVATE_DIR, partial_file, remove_orphans
from ..errors import PaygapError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXPORT_ENV",
    "FORMATS",
    "ExportError",
    "columns_path",
    "provenance_path",
    "export_path",
    "ensure_export",
    "export",
    "to_csv",
    "to_parquet",
    "to_sqlite",
    "column_list",
]

#: Environment variable naming a CSV export the R notebooks read instead of the default one.
EXPORT_ENV = "PAYGAP_EXPORT"
#: The formats :func:`export` writes, and their file suffixes.
FORMATS = {"csv": ".csv", "parquet": ".parquet", "sqlite": ".sqlite"}

_FOLDER = "paygap-export"
_STAMP = "export.json"
_TABLE = "paygap"
_FTS = "paygap_fts"
_INFO = "paygap_export_info"
_PARQUET_KEY = b"paygap_utils.organisers.export"
_COLUMNS_HEADER = ["name", "kind", "description"]
#: How the CSV writes each kind of column (see :func:`column_list`).
_CSV_TYPES = {
    "text": "text",
    "id": "integer",
    "float": "number",
    "bool": "TRUE or FALSE",
    "datetime": "ISO 8601 date or date-time",
    "category": "text",
    "codes": "comma-separated text",
}


class ExportError(PaygapError, ValueError):
    """An export could not be written where it was asked to go; the message says what to do."""


# --- where the exports live ----------------------------------------------------------------


def export_path(fmt: str = "csv", data_home: str | Path | None = None) -> Path:
    """Return where the default export of format ``fmt`` lives (it may not exist yet).

    Parameters
    ----------
    fmt : {"csv", "parquet", "sqlite"}
        The format.
    data_home : str or Path, optional
        The data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder.

    Returns
    -------
    pathlib.Path
        ``<data folder>/paygap-export/paygap.<suffix>``.

    Examples
    --------
    >>> from paygap_utils.organisers.export import export_path
    >>> export_path("csv").name, export_path("csv").parent.name
    ('paygap.csv', 'paygap-export')
    """
    from ..data.settings import data_dir

    return data_dir(data_home) / _FOLDER / f"{_TABLE}{_suffix(fmt)}"


def _beside(path: str | Path, suffix: str) -> Path:
    # A companion file: the export's name with its own suffix, in the same folder.
    path = Path(path)
    return path.with_name(f"{path.stem}.{suffix}")


def columns_path(path: str | Path) -> Path:
    """Return the column list that goes with the CSV export ``path``.

    Examples
    --------
    >>> from paygap_utils.organisers.export import columns_path
    >>> columns_path("out/paygap.csv").as_posix()
    'out/paygap.columns.csv'
    """
    return _beside(path, "columns.csv")


def provenance_path(path: str | Path) -> Path:
    """Return the provenance file (source, licence, attribution, files) beside the CSV ``path``.

    Examples
    --------
    >>> from paygap_utils.organisers.export import provenance_path
    >>> provenance_path("out/paygap.csv").as_posix()
    'out/paygap.provenance.json'
    """
    return _beside(path, "provenance.json")


def ensure_export(
    fmt: str = "csv", data_home: str | Path | None = None, progressbar: bool = False
) -> Path:
    """Write the default export of format ``fmt`` unless an up-to-date one is there.

    An export is up to date when it was made from the same cleaned table (the
    cache key: the data files' checksums and the library's code). This is what
    ``python -m paygap_utils export --format csv`` and ``postBuild`` run.

    Parameters
    ----------
    fmt : {"csv", "parquet", "sqlite"}
        The format.
    data_home : str or Path, optional
        The data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder.
    progressbar : bool
        Show download progress if the data is not there yet.

    Returns
    -------
    pathlib.Path
        The export, :func:`export_path` ``(fmt)``.

    Examples
    --------
    >>> import pandas as pd
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import ensure_export
    >>> path = ensure_export("csv")
    >>> len(pd.read_csv(path, usecols=["year"])) == len(paygap_utils.load(progressbar=False))
    True
    >>> ensure_export("csv") == path  # the second call finds it up to date
    True
    """
    from ..data.cache import cache_key
    from ..data.loader import load
    from ..data.manifest import read_manifest

    path = export_path(fmt, data_home)
    key = cache_key(read_manifest())
    stamp_file = path.parent / _STAMP
    stamps = _read_stamps(stamp_file)
    complete = _is_ours(path, fmt) and all(p.is_file() for p in _extras(path, fmt))
    if stamps.get(fmt) == key and complete:
        return path
    _check_folder(path.parent, create=True)
    export(load(data_home=data_home, progressbar=progressbar), path, fmt, force=True)
    stamps[fmt] = key
    with _replacing(stamp_file, force=True) as partial:
        partial.write_text(json.dumps(stamps, indent=1, sort_keys=True) + "\n")
    return path


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        stamps = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


# --- one entry point ------------------------------------------------------------------------


def export(
    table: pd.DataFrame, path: str | Path, fmt: str | None = None, force: bool = False
) -> Path:
    """Write ``table`` to ``path`` as CSV, parquet or SQLite.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`paygap_utils.load`'s result (or a subset of its rows or columns).
    path : str or Path
        The file to write. Its folder must exist.
    fmt : {"csv", "parquet", "sqlite"}, optional
        The format; by default from the suffix of ``path``.
    force : bool
        Replace ``path`` even if it is not a file this module wrote.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExportError
        For an unknown format, a folder that does not exist or cannot be written,
        a full disk, or a file in the way that this module did not write.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from paygap_utils.organisers.export import export
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = pd.DataFrame({"employer_name": ["A LTD"], "year": [2022]})
    >>> export(rows, folder / "rows.csv").read_text()
    'employer_name,year\\nA LTD,2022\\n'
    >>> (folder / "notes.csv").write_text("my own notes\\n")
    13
    >>> export(rows, folder / "notes.csv")
    Traceback (most recent call last):
    ...
    paygap_utils.organisers.export.ExportError: ...notes.csv already exists and was not...
    """
    path = Path(path)
    by_suffix = next((f for f, s in FORMATS.items() if path.suffix.lower() == s), None)
    if fmt is not None and by_suffix is not None and fmt != by_suffix:
        raise ExportError(
            f"{path} ends in {path.suffix} but the format asked for is {fmt}. Name the file "
            f"*{_suffix(fmt)}, or leave out the format to write {by_suffix}."
        )
    if fmt is None:
        fmt = by_suffix
        if fmt is None:
            raise ExportError(
                f"Cannot tell the format of {path} from its suffix {path.suffix!r}: name it "
                f"*.csv, *.parquet or *.sqlite, or give the format (--format csv|parquet|sqlite)."
            )
    writer = {"csv": to_csv, "parquet": to_parquet, "sqlite": to_sqlite}.get(fmt)
    if writer is None:
        _suffix(fmt)
    return writer(table, path, force=force)


def _suffix(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}. Choose one of: {', '.join(FORMATS)}.")
    return FORMATS[fmt]


# --- writing safely -------------------------------------------------------------------------


def _check_folder(folder: Path, create: bool = False) -> None:
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(
                f"Cannot create the folder {folder} ({exc.strerror or exc}). Set PAYGAP_DATA_DIR "
                "to a folder you can write to, or give an export path there."
            ) from exc
    if not folder.is_dir():
        raise ExportError(
            f"The folder {folder} does not exist. Create it first (mkdir -p '{folder}') or "
            "choose a path in a folder that exists."
        )
    if not os.access(folder, os.W_OK):
        raise ExportError(
            f"Cannot write in {folder} (permission denied). Choose a folder you can write to, "
            "e.g. your home folder or the notebooks folder."
        )


def _is_ours(path: Path, fmt: str) -> bool:
    """Whether ``path`` is a file this module wrote (so it may be replaced)."""
    if not path.is_file():
        return False
    try:
        if fmt == "csv":
            if path.name.endswith(".columns.csv"):
                with path.open(newline="", encoding="utf-8") as handle:
                    return next(csv.reader(handle), None) == _COLUMNS_HEADER
            return _is_ours_csv(path)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return _PARQUET_KEY in (pq.read_schema(path).metadata or {})
        if fmt == "sqlite":
            return _sqlite_marker(path)
        if fmt == "json":
            return json.loads(path.read_text()).get("about") == "paygap_utils"
    except Exception:  # noqa: BLE001 - unreadable means not ours to replace
        return False
    return False


def _is_ours_csv(path: Path) -> bool:
    """A CSV is ours if its column list sits beside it and matches its header."""
    listing = columns_path(path)
    if not listing.is_file():
        return False
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), None)
    with listing.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return bool(rows) and rows[0] == _COLUMNS_HEADER and header == [r[0] for r in rows[1:]]


def _sqlite_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return False
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_INFO,)
        ).fetchone()
    return found is not None


def _extras(path: Path, fmt: str) -> list[Path]:
    """The companion files written with an export."""
    if fmt == "csv":
        return [columns_path(path), provenance_path(path)]
    return []


def _refuse_unless_ours(path: Path, fmt: str, force: bool) -> None:
    if path.is_dir():
        raise ExportError(
            f"{path} is a folder. Give a file name inside it, "
            f"e.g. {path / ('paygap' + FORMATS.get(fmt, ''))}."
        )
    if path.exists() and not force and not _is_ours(path, fmt):
        what = ""
        if fmt == "sqlite" and path.is_file():
            try:
                sqlite = path.open("rb").read(16) == b"SQLite format 3\x00"
            except OSError:
                sqlite = False
            what = (
                " (it is a SQLite database of someone else's)"
                if sqlite
                else " (it is not a SQLite database)"
            )
        raise ExportError(
            f"{path} already exists and was not written by paygap_utils{what}, so it is left "
            "alone. Choose another file name, or replace it on purpose with --force "
            "(force=True in Python)."
        )


@contextmanager
def _replacing(path: Path, force: bool, fmt: str = "csv") -> Iterator[Path]:
    """Yield a temporary path for ``path``; rename it onto ``path`` if the block succeeds."""
    path = Path(path)
    with _partials([(path, fmt)], force) as (partial,):
        yield partial


def _write_all(targets: list[tuple[Path, str, Callable[[Path], Any]]], force: bool) -> None:
    """Write several files, each through a temporary file, renaming them only once all are done."""
    with _partials([(path, fmt) for path, fmt, _ in targets], force) as partials:
        for partial, (_, _, write) in zip(partials, targets, strict=True):
            write(partial)


@contextmanager
def _partials(targets: list[tuple[Path, str]], force: bool) -> Iterator[list[Path]]:
    """Temporary files for ``targets`` in the private subfolder, renamed into place together."""
    for path, fmt in targets:
        _check_folder(path.parent)
        _refuse_unless_ours(path, fmt, force)
    folders = {path.parent for path, _ in targets}
    try:
        with ExitStack() as stack:
            for folder in folders:
                remove_orphans(folder)
            partials = [
                stack.enter_context(partial_file(path.parent, path.name, f"Writing {path}"))
                for path, _ in targets
            ]
            yield partials
            for partial, (path, _) in zip(partials, targets, strict=True):
                os.replace(partial, path)
    except OSError as exc:
        raise ExportError(
            f"Could not write {targets[0][0]}: {exc.strerror or exc}. Nothing was changed: the "
            "previous file, if there was one, is still there. Free some disk space or choose "
            "another folder, and run the export again."
        ) from exc
    finally:
        for folder in folders:
            with suppress(OSError):
                (folder / PRIVATE_DIR).rmdir()  # only if empty: it may hold another's files


# --- the column list ------------------------------------------------------------------------


def column_list(table: pd.DataFrame) -> pd.DataFrame:
    """Describe the columns of an export of ``table``, from :func:`paygap_utils.columns`.

    The CSV export writes this table beside itself (``paygap.columns.csv``): it is
    how R, or anyone reading the CSV, knows each column's kind.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kind`` (as in :func:`paygap_utils.columns`) and ``description``,
        one row per column of ``table``, in its order. A column that
        :func:`paygap_utils.columns` does not describe is a ``text`` column here.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.organisers.export import column_list
    >>> column_list(pd.DataFrame(columns=["year", "due_date"]))[["name", "kind"]]
           name      kind
    0      year        id
    1  due_date  datetime
    """
    import pandas as pd

    from ..data.schema import columns

    described = columns().set_index("name")
    rows = []
    for name in table.columns:
        if name in described.index:
            kind, description = described.loc[name, ["kind", "description"]]
        else:
            kind, description = _kind_of(table[name]), ""
        rows.append({"name": name, "kind": kind, "description": description})
    return pd.DataFrame(rows, columns=_COLUMNS_HEADER)


def _kind_of(values: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "id"
    if pd.api.types.is_float_dtype(values):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    return "text"


def _flat(rows: pd.DataFrame, kinds: dict[str, str], for_csv: bool) -> pd.DataFrame:
    """Lists as comma-separated text, categories as text, booleans and dates as the format wants."""
    import pandas as pd

    flat = pd.DataFrame(index=rows.index)
    for column in rows.columns:
        values = rows[column]
        kind = kinds.get(column, "text")
        if kind == "codes":
            values = values.map(lambda v: ",".join(v) if isinstance(v, list) and v else None)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object).where(values.notna(), None)
        elif kind == "bool" or pd.api.types.is_bool_dtype(values):
            as_text = {True: "TRUE", False: "FALSE"} if for_csv else {True: 1, False: 0}
            values = values.astype(object).map(as_text, na_action="ignore")
        elif pd.api.types.is_datetime64_any_dtype(values):
            values = _iso(values)
        flat[column] = values
    return flat


def _iso(values: pd.Series) -> pd.Series:
    """ISO 8601 text: the date alone when every value is at midnight, else date and time."""
    present = values.dropna()
    date_only = bool((present == present.dt.normalize()).all())
    text = values.dt.strftime("%Y-%m-%d" if date_only else "%Y-%m-%dT%H:%M:%S")
    return text.where(values.notna(), None)


def _kinds(table: pd.DataFrame) -> dict[str, str]:
    listing = column_list(table)
    return dict(zip(listing["name"], listing["kind"], strict=True))


# --- CSV -------------------------------------------------------------------------------------


def to_csv(table: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    """Write ``table`` as CSV, with its column list beside it.

    The CSV keeps types recoverable: UTF-8, a header of the snake_case names, ISO 8601
    dates (``2018-04-05``) and date-times (``2018-03-27T11:42:49``), ``TRUE``/``FALSE``,
    lists (SIC codes, sections) as comma-separated text, and an empty field for every
    missing value. Company numbers and SIC codes stay text with their leading zeros.
    ``<stem>.columns.csv`` beside it lists every column's name, kind and description
    (:func:`column_list`), and ``<stem>.provenance.json`` holds the table's ``attrs``
    (source, licence, attribution, files); the R notebooks read all three.

    Parameters
    ----------
    table : pandas.DataFrame
        Usually :func:`paygap_utils.load`'s result.
    path : str or Path
        The CSV file to write; its folder must exist.
    force : bool
        Replace files that this module did not write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import to_csv, columns_path
    >>> df = paygap_utils.load(2022, progressbar=False)
    >>> path = to_csv(df, pathlib.Path(tempfile.mkdtemp()) / "paygap.csv")
    >>> import pandas as pd
    >>> back = pd.read_csv(path, dtype=str, keep_default_na=False)
    >>> len(back), back.loc[0, "due_date"]
    (10622, '2023-04-05')
    >>> pd.read_csv(columns_path(path)).columns.tolist()
    ['name', 'kind', 'description']
    """
    path = Path(path)
    listing = column_list(table)
    kinds = dict(zip(listing["name"], listing["kind"], strict=True))

    def write_table(partial: Path) -> None:
        step = 5000
        with partial.open("w", encoding="utf-8", newline="") as handle:
            for start in range(0, max(len(table), 1), step):
                rows = _flat(table.iloc[start : start + step], kinds, for_csv=True)
                rows.to_csv(handle, index=False, header=start == 0, na_rep="", lineterminator="\n")

    def write_listing(partial: Path) -> None:
        buffer = io.StringIO()
        listing.to_csv(buffer, index=False, lineterminator="\n")
        partial.write_text(buffer.getvalue(), encoding="utf-8")

    about = {"about": "paygap_utils", **table.attrs}
    provenance = json.dumps(about, indent=1, ensure_ascii=False, default=str) + "\n"

    # The column list is what marks the CSV as ours, so all are checked before any moves.
    _write_all(
        [
            (path, "csv", write_table),
            (columns_path(path), "csv", write_listing),
            (provenance_path(path), "json", lambda p: p.write_text(provenance, encoding="utf-8")),
        ],
        force,
    )
    return path


# --- parquet ---------------------------------------------------------------------------------


def to_parquet(table: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    """Write ``table`` as parquet: types kept as they are (lists as lists, categories, dates).

    The table's provenance (``attrs``) and the column descriptions travel in the
    file's metadata.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import to_parquet
    >>> df = paygap_utils.load(2022, progressbar=False)
    >>> back = pd.read_parquet(to_parquet(df, pathlib.Path(tempfile.mkdtemp()) / "p.parquet"))
    >>> len(back), back["sic_codes"].map(list).equals(df["sic_codes"])
    (10622, True)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    listing = column_list(table)
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    about = {
        "attrs": table.attrs,
        "columns": listing.to_dict(orient="records"),
    }
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), _PARQUET_KEY: json.dumps(about, default=str).encode()}
    )
    with _replacing(path, force, "parquet") as partial:
        pq.write_table(arrow, partial, compression="zstd")
    return path


# --- SQLite (what organisers.datasette serves) ---------------------------------------------


def to_sqlite(
    table: pd.DataFrame, path: str | Path, name: str = "paygap", force: bool = False
) -> Path:
    """Write ``table`` to a new SQLite database file, with full-text search of the names.

    The data is small (about 70,000 rows), so a file is all the database a
    hackathon needs: no server. Lists (SIC codes, sections) become
    comma-separated text, categories text, booleans 0/1, dates ISO text.
    ``paygap_fts`` indexes ``employer_name`` and ``current_name`` (FTS5), in the
    form Datasette searches (:mod:`paygap_utils.organisers.datasette` serves the file).
    ``responsible_person``, the people who signed, is left out: whatever is queried
    here, in SQL or Datasette, names no one.

    The whole file is written anew and renamed into place: an existing file is
    replaced only if this function wrote it, or with ``force=True``.

    Parameters
    ----------
    table : pandas.DataFrame
        Usually :func:`paygap_utils.load`'s result.
    path : str or Path
        The database file to write; its folder must exist.
    name : str
        The table name.
    force : bool
        Replace files that this module did not write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import sqlite3, tempfile, pathlib
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import to_sqlite
    >>> df = paygap_utils.load(progressbar=False)
    >>> db = to_sqlite(df, pathlib.Path(tempfile.mkdtemp()) / "paygap.sqlite")
    >>> with sqlite3.connect(db) as con:
    ...     con.execute("SELECT COUNT(*) FROM paygap WHERE year = 2022").fetchone()[0]
    10622
    """
    path = Path(path)
    table = table.drop(columns=["responsible_person"], errors="ignore")
    kinds = _kinds(table)

    def write_database(partial: Path) -> None:
        # A few thousand rows at a time: a flat copy of the whole table would double its memory.
        step = 5000
        with closing(sqlite3.connect(partial)) as connection, connection:
            for start in range(0, max(len(table), 1), step):
                _flat(table.iloc[start : start + step], kinds, for_csv=False).to_sql(
                    name, connection, if_exists="replace" if start == 0 else "append", index=False
                )
            connection.execute(f'CREATE INDEX "{name}_year" ON "{name}" (year)')
            if "linked_employer_id" in table.columns:
                connection.execute(f'CREATE INDEX "{name}_linked" ON "{name}" (linked_employer_id)')
            names = [c for c in ("employer_name", "current_name") if c in table.columns]
            if names and name == _TABLE:
                # An external-content FTS5 index, in the form Datasette recognises.
                connection.execute(
                    f"CREATE VIRTUAL TABLE [{_FTS}] USING FTS5 "
                    f"({', '.join(f'[{c}]' for c in names)}, content=[{name}])"
                )
                connection.execute(f"INSERT INTO [{_FTS}] ([{_FTS}]) VALUES ('rebuild')")
            connection.execute(f"CREATE TABLE {_INFO} (key TEXT PRIMARY KEY, value TEXT)")
            connection.executemany(
                f"INSERT INTO {_INFO} VALUES (?, ?)",
                [
                    ("written_by", "paygap_utils export"),
                    ("attrs", json.dumps(table.attrs, default=str)),
                ],
            )

    try:
        _write_all([(path, "sqlite", write_database)], force)
    except sqlite3.OperationalError as exc:
        raise ExportError(
            f"Could not write {path}: {exc}. Nothing was changed. Free some disk space or "
            "choose another folder, and run the export again."
        ) from exc
    return path
