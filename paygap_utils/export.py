"""Writing the cleaned table elsewhere: a SQLite file for those who prefer SQL."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["to_sqlite"]


def to_sqlite(table: pd.DataFrame, path: str | Path, name: str = "paygap") -> Path:
    """Write ``table`` to a SQLite database file, replacing the table ``name`` if it exists.

    The data is small (about 60,000 rows), so a file is all the database a
    hackathon needs: no server. Lists (SIC codes, sections) become
    comma-separated text, categories become text, dates ISO text.

    Parameters
    ----------
    table : pandas.DataFrame
        Usually :func:`paygap_utils.load`'s result.
    path : str or Path
        The database file to write (created if missing).
    name : str
        The table name.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import sqlite3, tempfile, pathlib
    >>> import paygap_utils
    >>> from paygap_utils.export import to_sqlite
    >>> df = paygap_utils.load(progressbar=False)
    >>> db = to_sqlite(df, pathlib.Path(tempfile.mkdtemp()) / "paygap.sqlite")
    >>> with sqlite3.connect(db) as con:
    ...     con.execute("SELECT COUNT(*) FROM paygap WHERE year = 2022").fetchone()[0]
    10622
    """
    import pandas as pd

    from .schema import COLUMNS, DERIVED_COLUMNS

    path = Path(path)
    lists = {c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "codes"}

    def flat(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        for column in rows.columns:
            if column in lists:
                rows[column] = rows[column].map(
                    lambda v: ",".join(v) if isinstance(v, list) else None
                )
            elif isinstance(rows[column].dtype, pd.CategoricalDtype):
                rows[column] = rows[column].astype(object)
        return rows

    # A few thousand rows at a time: a flat copy of the whole table would double its memory.
    step = 5000
    with closing(sqlite3.connect(path)) as connection, connection:
        for start in range(0, max(len(table), 1), step):
            flat(table.iloc[start : start + step]).to_sql(
                name, connection, if_exists="replace" if start == 0 else "append", index=False
            )
        connection.execute(f'CREATE INDEX IF NOT EXISTS "{name}_year" ON "{name}" (year)')
    return path
