"""Writing the cleaned table for other tools: CSV (R, spreadsheets), parquet and SQLite.

R, SQL and Datasette users read what this module writes from :func:`paygap_utils.load`'s
table, never the raw files: one cleaning. Without a path, :func:`ensure_export` writes into
the library's own folder (:func:`export_path`) whenever the export there is missing or out of
date. Given a path, :func:`export` never replaces a file there unless told to (``force``).
Every file goes through :func:`paygap_utils._files.write_file`, whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .._files import write_file
from ..errors import PaygapError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    *("FORMATS", "ExportError", "export_path", "columns_path", "ensure_export", "export"),
    *("column_list", "to_csv", "to_parquet", "to_sqlite"),
]

#: The formats :func:`export` writes, and their file suffixes.
FORMATS = {"csv": ".csv", "parquet": ".parquet", "sqlite": ".sqlite"}


class ExportError(PaygapError, ValueError):
    """An export could not be written where it was asked to go; the message says what to do."""


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
    from ..data.fetch import data_dir

    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}. Choose one of: {', '.join(FORMATS)}.")
    return data_dir(data_home) / "paygap-export" / f"paygap{FORMATS[fmt]}"


def columns_path(path: str | Path) -> Path:
    """Return the column list that goes with the CSV export ``path``.

    Examples
    --------
    >>> from paygap_utils.organisers.export import columns_path
    >>> columns_path("out/paygap.csv").as_posix()
    'out/paygap.columns.csv'
    """
    return Path(path).with_suffix(".columns.csv")


def ensure_export(
    fmt: str = "csv", data_home: str | Path | None = None, progressbar: bool = False
) -> Path:
    """Write the default export of format ``fmt`` unless an up-to-date one is there.

    An export is up to date when it was made from the same cleaned table: the same cache
    key (the data files' checksums and the library's code), which ``export.json`` beside it
    records. The folder is the library's own: an export there that is out of date is
    replaced. This is what ``python -m paygap_utils export --format csv`` and ``postBuild``
    run. ``fmt`` and ``data_home`` are as in :func:`export_path`; ``progressbar`` shows the
    download's progress if the data is not there yet. Returns :func:`export_path`'s path,
    or raises :class:`ExportError` when the folder cannot be written or the disk is full.

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
    record = path.with_name("export.json")
    try:
        made = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        made = {}
    key = cache_key(read_manifest())
    there = path.is_file() and (fmt != "csv" or columns_path(path).is_file())
    if there and made.get(fmt) == key:
        return path
    export(load(data_home=data_home, progressbar=progressbar), path, fmt, force=True)
    _write(record, json.dumps({**made, fmt: key}, indent=1, sort_keys=True) + "\n", True)
    return path


def export(
    table: pd.DataFrame, path: str | Path, fmt: str | None = None, force: bool = False
) -> Path:
    """Write ``table`` to ``path`` as CSV, parquet or SQLite.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`paygap_utils.load`'s result (or a subset of its rows or columns).
    path : str or Path
        The file to write; its folder is created if needed.
    fmt : {"csv", "parquet", "sqlite"}, optional
        The format; by default from the suffix of ``path``.
    force : bool
        Replace ``path`` (and its companion files) if it exists.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExportError
        For an unknown format, a folder that cannot be written, a full disk, or a file in
        the way.

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
    paygap_utils.organisers.export.ExportError: ...notes.csv already exists and was not written...
    """
    path = Path(path)
    by_suffix = next((f for f, s in FORMATS.items() if path.suffix.lower() == s), None)
    if fmt is not None and by_suffix is not None and fmt != by_suffix:
        raise ExportError(
            f"{path} ends in {path.suffix} but the format asked for is {fmt}. Name the file "
            f"*{FORMATS.get(fmt, '.' + fmt)}, or leave out the format to write {by_suffix}."
        )
    writers = {"csv": to_csv, "parquet": to_parquet, "sqlite": to_sqlite}
    if (fmt or by_suffix) not in writers:
        raise ExportError(
            f"Cannot tell the format of {path} ({fmt or path.suffix!r}): name it *.csv, "
            "*.parquet or *.sqlite, or give the format (--format csv|parquet|sqlite)."
        )
    return writers[fmt or by_suffix](table, path, force=force)


def _write(path: Path, content: str | Callable[[BinaryIO], object], force: bool) -> None:
    """:func:`~paygap_utils._files.write_file`, its refusals and failures said as what to do."""
    if path.is_dir():
        raise ExportError(
            f"{path} is a folder. Give a file name inside it, e.g. {path / 'paygap.csv'}."
        )
    try:
        write_file(path, content, replace=force, what="the export")
    except FileExistsError as exc:
        raise ExportError(f"{exc} In Python, pass force=True.") from None
    except (OSError, sqlite3.Error) as exc:
        raise ExportError(
            f"Could not write {path}: {getattr(exc, 'strerror', None) or exc}. Nothing was "
            "changed: the previous file, if there was one, is still there. Free some disk space "
            "or choose a folder you can write to (PAYGAP_DATA_DIR moves the data folder), and "
            "run the export again."
        ) from exc


def column_list(table: pd.DataFrame) -> pd.DataFrame:
    """Describe the columns of an export of ``table``, from :func:`paygap_utils.columns`.

    The CSV export writes this table beside itself (``paygap.columns.csv``): it is
    how R, or anyone reading the CSV, knows each column's kind.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kind`` (as in :func:`paygap_utils.columns`) and ``description``,
        one row per column of ``table``, in its order. A column that
        :func:`paygap_utils.columns` does not describe gets its kind from its dtype and
        no description.

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

    known = columns().set_index("name")
    by_dtype = {"b": "bool", "i": "id", "u": "id", "f": "float", "M": "datetime"}
    rows = [
        (name, *known.loc[name, ["kind", "description"]])
        if name in known.index
        else (name, by_dtype.get(table[name].dtype.kind, "text"), "")
        for name in table.columns
    ]
    return pd.DataFrame(rows, columns=["name", "kind", "description"])


def _flat_chunks(table: pd.DataFrame, csv: bool) -> Iterator[tuple[int, pd.DataFrame]]:
    """The table a few thousand rows at a time, as text formats want it, with where each starts.

    Lists become comma-separated text, dates ISO 8601 text (the date alone when every value
    of the column is at midnight), and for CSV booleans ``TRUE``/``FALSE``. A chunk at a
    time: a flat copy of the whole table would double its memory.
    """
    import pandas as pd

    listing = column_list(table)
    kinds = dict(zip(listing["name"], listing["kind"], strict=True))
    dates = {}
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            present = table[column].dropna()
            at_midnight = bool((present == present.dt.normalize()).all())
            dates[column] = "%Y-%m-%d" if at_midnight else "%Y-%m-%dT%H:%M:%S"
    for start in range(0, max(len(table), 1), 5000):
        rows = table.iloc[start : start + 5000]
        flat = {column: rows[column].dt.strftime(form) for column, form in dates.items()}
        for column, kind in kinds.items():
            if kind == "codes":
                flat[column] = rows[column].map(lambda c: ",".join(c) or None, na_action="ignore")
            elif kind == "bool" and csv:
                flat[column] = rows[column].map({True: "TRUE", False: "FALSE"}, na_action="ignore")
        yield start, rows.assign(**flat)


def to_csv(table: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    """Write ``table`` as CSV, with its column list and its provenance beside it.

    The CSV keeps types recoverable: UTF-8, a header of the snake_case names, ISO 8601
    dates (``2018-04-05``) and date-times (``2018-03-27T11:42:49``), ``TRUE``/``FALSE``,
    lists (SIC codes, sections) as comma-separated text, and an empty field for every
    missing value. Company numbers and SIC codes stay text with their leading zeros.
    ``<stem>.columns.csv`` beside it lists every column's name, kind and description
    (:func:`column_list`), and ``<stem>.provenance.json`` holds the table's ``attrs``
    (source, licence, attribution, files); the R notebooks read all three. The CSV is
    written first: a file in its way stops the export before anything is written. The
    parameters and what it returns are :func:`export`'s.

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

    def write_rows(file: BinaryIO) -> None:
        for start, rows in _flat_chunks(table, csv=True):
            text = rows.to_csv(index=False, header=start == 0, lineterminator="\n")
            file.write(text.encode("utf-8"))

    _write(path, write_rows, force)
    listing = column_list(table).to_csv(index=False, lineterminator="\n")
    _write(columns_path(path), listing, force)
    provenance = json.dumps(table.attrs, indent=1, ensure_ascii=False, default=str) + "\n"
    _write(path.with_suffix(".provenance.json"), provenance, force)
    return path


def to_parquet(table: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    """Write ``table`` as parquet: types kept as they are (lists as lists, categories, dates).

    The table's provenance and the column list (:func:`column_list`, under ``"columns"``)
    travel in the file as the table's ``attrs``, which :func:`pandas.read_parquet` gives back.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import to_parquet
    >>> df = paygap_utils.load(2022, progressbar=False)
    >>> back = pd.read_parquet(to_parquet(df, pathlib.Path(tempfile.mkdtemp()) / "p.parquet"))
    >>> len(back), back["sic_codes"].map(list).tolist() == df["sic_codes"].tolist()
    (10622, True)
    >>> back.attrs["licence"], back.attrs["columns"][0]["name"]
    ('Open Government Licence v3.0', 'employer_name')
    """
    import pandas as pd

    listing = column_list(table)
    # Lists as Python lists: pandas cannot read back an Arrow list type named in its metadata.
    codes = listing.loc[listing["kind"] == "codes", "name"]
    flat = table.assign(**{c: pd.Series(table[c].tolist(), table.index) for c in codes})
    flat.attrs = {**table.attrs, "columns": listing.to_dict(orient="records")}
    _write(Path(path), lambda file: flat.to_parquet(file, index=False, compression="zstd"), force)
    return Path(path)


def to_sqlite(
    table: pd.DataFrame, path: str | Path, name: str = "paygap", force: bool = False
) -> Path:
    """Write ``table`` to a new SQLite database file, with full-text search of the names.

    A file is all the database 70,000 rows need: no server. Lists (SIC codes, sections)
    become comma-separated text, categories text, booleans 0/1, dates ISO text.
    ``<name>_fts`` indexes ``employer_name`` and ``current_name`` (FTS5) as Datasette
    searches them; ``paygap_export_info`` holds the table's ``attrs`` (its provenance) and
    ``paygap_columns`` what each column holds (:func:`column_list`).
    ``responsible_person``, the people who signed, is left out: whatever is queried here,
    in SQL or Datasette, names no one. ``name`` is the table's name; the other parameters
    and what it returns are :func:`export`'s.

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
    table = table.drop(columns=["responsible_person"], errors="ignore")
    names = [c for c in ("employer_name", "current_name") if c in table.columns]

    def write_database(file: BinaryIO) -> None:
        # SQLite writes, by its name, the temporary file that write_file made.
        with closing(sqlite3.connect(file.name)) as connection, connection:
            for start, rows in _flat_chunks(table, csv=False):
                new = "replace" if start == 0 else "append"
                rows.to_sql(name, connection, if_exists=new, index=False)
            for column in [c for c in ("year", "linked_employer_id") if c in table.columns]:
                connection.execute(f'CREATE INDEX "{name}_{column}" ON "{name}" ({column})')
            if names:  # an external-content FTS5 index, in the form Datasette recognises
                connection.execute(
                    f"CREATE VIRTUAL TABLE [{name}_fts] USING FTS5 "
                    f"({', '.join(f'[{c}]' for c in names)}, content=[{name}])"
                )
                connection.execute(f"INSERT INTO [{name}_fts] ([{name}_fts]) VALUES ('rebuild')")
            connection.execute("CREATE TABLE paygap_export_info (key TEXT PRIMARY KEY, value TEXT)")
            attrs = json.dumps(table.attrs, default=str)
            connection.execute("INSERT INTO paygap_export_info VALUES ('attrs', ?)", [attrs])
            column_list(table).to_sql("paygap_columns", connection, index=False)

    _write(Path(path), write_database, force)
    return Path(path)
