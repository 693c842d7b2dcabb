"""Datasette's table search, for any text a visitor types.

Datasette's ``escape_fts()`` quotes every word, but turns a search of only spaces or quotes
into an empty query, which SQLite refuses (``fts5: syntax error``), and SQLite reads a query
only up to a NUL character. ``datasette serve --plugins-dir`` loads this file, which replaces
the SQL function with one that reads the text up to a NUL and gives a phrase of no words,
which matches nothing, where Datasette's gives nothing.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
from datasette.utils import escape_fts as _escape_fts


def escape_fts(text: str | None) -> str:
    return _escape_fts((text or "").split("\x00")[0]) or '"."'


@hookimpl(trylast=True)  # after Datasette's own escape_fts(), which this one replaces
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
