"""Writing the cleaned table for other tools: CSV (R, spreadsheets), parquet and SQLite.

One cleaning implementation: R, SQL and Datasette users read what this module writes from
:func:`paygap_utils.load`'s table, never the raw files.

The default exports live in the library's own folder, ``<data folder>/paygap-export/``
(``paygap.csv`` with ``paygap.columns.csv`` and ``paygap.provenance.json``,
``paygap.parquet``, ``paygap.sqlite``): :func:`export_path`
says where, and :func:`ensure_export` writes one when it is missing or out of date. It
records the sha256 of every file it writes (``export.json``), so a file someone edited
(a CSV opened and saved in a spreadsheet) is kept, not replaced, unless ``--force``.
``$PAYGAP_EXPORT`` names a CSV export elsewhere for the R notebooks.

Every file is written through :func:`paygap_utils._files.write_file`: a temporary file
beside it, renamed into place when complete, so a full disk or a killed process leaves
the previous file or nothing. Given a path of their own, the writers never replace an
existing file unless told to (``force=True``, ``--force``).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .._files import write_file
from ..errors import PaygapError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXPORT_ENV",
    "FORMATS",
    "ExportError",
    "columns_path",
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
#: Whether an existing file may be replaced: ``True`` (``--force``), ``False``, or a function
#: of the file.
_Replace = bool | Callable[[Path], bool]


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

    return data_dir(data_home) / _FOLDER / f"{_TABLE}{_suffix(fmt)}"


def _beside(path: str | Path, suffix: str) -> Path:
    return Path(path).with_name(f"{Path(path).stem}.{suffix}")


def columns_path(path: str | Path) -> Path:
    """Return the column list that goes with the CSV export ``path``.

    Examples
    --------
    >>> from paygap_utils.organisers.export import columns_path
    >>> columns_path("out/paygap.csv").as_posix()
    'out/paygap.columns.csv'
    """
    return _beside(path, "columns.csv")


def _files_of(path: Path, fmt: str) -> list[Path]:
    """Every file an export to ``path`` writes, the export itself last."""
    extras = [columns_path(path), _beside(path, "provenance.json")] if fmt == "csv" else []
    return [*extras, path]


def ensure_export(
    fmt: str = "csv",
    data_home: str | Path | None = None,
    progressbar: bool = False,
    force: bool = False,
) -> Path:
    """Write the default export of format ``fmt`` unless an up-to-date one is there.

    An export is up to date when it was made from the same cleaned table (the cache
    key: the data files' checksums and the library's code) and no file of it has
    changed since. A file that changed (edited, or put there by someone) is never
    replaced unless ``force``. This is what ``python -m paygap_utils export --format
    csv`` and ``postBuild`` run.

    Parameters
    ----------
    fmt : {"csv", "parquet", "sqlite"}
        The format.
    data_home : str or Path, optional
        The data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder.
    progressbar : bool
        Show download progress if the data is not there yet.
    force : bool
        Replace the export's files even if they changed since they were written.

    Returns
    -------
    pathlib.Path
        The export, :func:`export_path` ``(fmt)``.

    Raises
    ------
    ExportError
        When a file of the export changed since it was written (and not ``force``), or
        the folder cannot be written.

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
    from ..data.fetch import sha256
    from ..data.loader import load
    from ..data.manifest import read_manifest

    path = export_path(fmt, data_home)
    stamp_file = path.parent / _STAMP
    try:
        stamps = json.loads(stamp_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamps = {}
    written = stamps.get(fmt, {}).get("files", {})
    found = {p.name: sha256(p) for p in _files_of(path, fmt) if p.is_file()}
    key = cache_key(read_manifest())
    if stamps.get(fmt, {}).get("key") == key and found == written:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"Cannot create the folder {path.parent} ({exc.strerror or exc}). Set "
            "PAYGAP_DATA_DIR to a folder you can write to, or give an export path there."
        ) from None
    unchanged = force or (lambda p: p.name in written and found.get(p.name) == written[p.name])
    export(load(data_home=data_home, progressbar=progressbar), path, fmt, force=unchanged)
    stamps[fmt] = {"key": key, "files": {p.name: sha256(p) for p in _files_of(path, fmt)}}
    write_file(stamp_file, json.dumps(stamps, indent=1, sort_keys=True) + "\n", replace=True)
    return path


def export(
    table: pd.DataFrame, path: str | Path, fmt: str | None = None, force: _Replace = False
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
        Replace ``path`` (and its companion files) if it exists.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExportError
        For an unknown format, a folder that does not exist or cannot be written,
        a full disk, or a file in the way.

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
    paygap_utils.organisers.export.ExportError: ...notes.csv already exists, so it is left alone...
    """
    path = Path(path)
    by_suffix = next((f for f, s in FORMATS.items() if path.suffix.lower() == s), None)
    if fmt is not None and by_suffix is not None and fmt != by_suffix:
        raise ExportError(
            f"{path} ends in {path.suffix} but the format asked for is {fmt}. Name the file "
            f"*{_suffix(fmt)}, or leave out the format to write {by_suffix}."
        )
    fmt = fmt or by_suffix
    if fmt not in FORMATS:
        raise ExportError(
            f"Cannot tell the format of {path} ({fmt or path.suffix!r}): name it *.csv, "
            "*.parquet or *.sqlite, or give the format (--format csv|parquet|sqlite)."
        )
    writer = {"csv": to_csv, "parquet": to_parquet, "sqlite": to_sqlite}[fmt]
    return writer(table, path, force=force)


def _suffix(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}. Choose one of: {', '.join(FORMATS)}.")
    return FORMATS[fmt]


def _write(targets: list[tuple[Path, Callable[[BinaryIO], object]]], force: _Replace) -> None:
    """Write each target through ``write_file``, once none of them would replace a file it may not.

    The export itself comes last, so a failure leaves it as it was.
    """
    for path, _ in targets:
        folder = path.parent
        if path.is_dir():
            raise ExportError(
                f"{path} is a folder. Give a file name inside it, e.g. {path / 'paygap.csv'}."
            )
        if not folder.is_dir():
            raise ExportError(
                f"The folder {folder} does not exist. Create it first (mkdir -p '{folder}') or "
                "choose a path in a folder that exists."
            )
        if not os.access(folder, os.W_OK):
            raise ExportError(
                f"Cannot write in {folder} (permission denied). Choose a folder you can write "
                "to, e.g. your home folder or the notebooks folder."
            )
        if path.is_symlink():
            raise ExportError(
                f"{path} is a symbolic link, so nothing is written through it (that could change "
                "another file). Remove the link or choose another name."
            )
        allowed = force if isinstance(force, bool) else force(path)
        if path.exists() and not allowed:
            raise ExportError(
                f"{path} already exists, so it is left alone (paygap_utils did not write it, or "
                "it changed since). Choose another file name, or replace it on purpose with "
                "--force (force=True in Python)."
            )
    try:
        for path, content in targets:
            write_file(path, content, replace=True, what="the export")
    except (OSError, sqlite3.OperationalError) as exc:
        raise ExportError(
            f"Could not write {path}: {getattr(exc, 'strerror', None) or exc}. Nothing was "
            "changed: the previous file, if there was one, is still there. Free some disk space "
            "or choose another folder, and run the export again."
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
            values = values.map(lambda v: ",".join(v) if len(v) else None, na_action="ignore")
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


def to_csv(table: pd.DataFrame, path: str | Path, force: _Replace = False) -> Path:
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
        Replace the files if they exist.

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

    def write_table(file: BinaryIO) -> None:
        step = 5000
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        for start in range(0, max(len(table), 1), step):
            rows = _flat(table.iloc[start : start + step], kinds, for_csv=True)
            rows.to_csv(text, index=False, header=start == 0, na_rep="", lineterminator="\n")
        text.flush()
        text.detach()  # write_file closes the file itself

    def write_listing(file: BinaryIO) -> None:
        buffer = io.StringIO()
        listing.to_csv(buffer, index=False, lineterminator="\n")
        file.write(buffer.getvalue().encode("utf-8"))

    about = {"about": "paygap_utils", **table.attrs}
    provenance = json.dumps(about, indent=1, ensure_ascii=False, default=str) + "\n"
    _write(
        [
            (columns_path(path), write_listing),
            (_beside(path, "provenance.json"), lambda file: file.write(provenance.encode("utf-8"))),
            (path, write_table),
        ],
        force,
    )
    return path


def to_parquet(table: pd.DataFrame, path: str | Path, force: _Replace = False) -> Path:
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
    >>> len(back), back["sic_codes"].map(list).tolist() == df["sic_codes"].tolist()
    (10622, True)
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    listing = column_list(table)
    # Lists as Python lists: the pandas metadata then names no Arrow type that pandas cannot
    # parse back when some columns are read.
    kinds = dict(zip(listing["name"], listing["kind"], strict=True))
    lists = {c: pd.Series(table[c].tolist(), table.index) for c, k in kinds.items() if k == "codes"}
    arrow = pa.Table.from_pandas(table.assign(**lists), preserve_index=False)
    about = {"attrs": table.attrs, "columns": listing.to_dict(orient="records")}
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), _PARQUET_KEY: json.dumps(about, default=str).encode()}
    )
    _write([(path, lambda file: pq.write_table(arrow, file, compression="zstd"))], force)
    return path


def to_sqlite(
    table: pd.DataFrame, path: str | Path, name: str = "paygap", force: _Replace = False
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
    replaced only with ``force=True``.

    Parameters
    ----------
    table : pandas.DataFrame
        Usually :func:`paygap_utils.load`'s result.
    path : str or Path
        The database file to write; its folder must exist.
    name : str
        The table name.
    force : bool
        Replace the files if they exist.

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

    # SQLite writes the temporary file write_file made, by its name.
    _write([(path, lambda file: write_database(Path(file.name)))], force)
    return path
