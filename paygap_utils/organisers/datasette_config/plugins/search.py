"""Full-text search in Datasette for any text a visitor types, on the table page and in queries.

Datasette's ``escape_fts()`` quotes every word, but turns a search of only spaces or quotes
into an empty query, which SQLite refuses (``fts5: syntax error``); its quoting of a phrase
stops at a line break; and SQLite reads a query only up to a NUL character.
``datasette serve --plugins-dir`` loads this file, which replaces the SQL function with
Datasette's own applied to the text up to a NUL, on one line, and which gives a phrase of
no words, matching nothing, where Datasette's gives nothing.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
from datasette.utils import escape_fts as _escape_fts


def escape_fts(text: str | None) -> str:
    return _escape_fts(" ".join((text or "").split("\x00")[0].split())) or '"."'


@hookimpl(trylast=True)  # after Datasette's own escape_fts(), which this one replaces
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
