"""What a visitor sends cannot break Datasette: a memory ceiling, and search of any text.

One GET of ``randomblob(1e9)`` took the server to 2 GB. Each connection gets SQLite's limits:
no value over ``VALUE_BYTES``, ``HEAP_BYTES`` for all of SQLite (big sorts spill to temporary
files), ``ANSWER_BYTES`` of rows from one statement, counted as they arrive; the server gets
``PROCESS_BYTES``. The heap limit is the whole process's, so queries run one at a time
(``num_sql_threads`` in settings.json): side by side, one query's memory made another fail
where Datasette does not expect it, as a bare 500. Datasette's ``escape_fts()`` fails on a
search of only spaces or quotes, with a line break or a NUL: the one here cleans the text first.
"""

import resource
import sqlite3
import sys
import weakref

import datasette.handle_exception as _errors
from datasette import hookimpl
from datasette.utils import escape_fts as _escape_fts
from datasette.utils.asgi import BadRequest

VALUE_BYTES = 4 * 2**20
HEAP_BYTES = 64 * 2**20
ANSWER_BYTES = 16 * 2**20
PROCESS_BYTES = 512 * 2**20
_FEWER = "Ask for fewer rows or columns (e.g. add LIMIT 100), or for shorter values."


@hookimpl
def startup() -> None:
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    ceiling = PROCESS_BYTES if hard == resource.RLIM_INFINITY else min(PROCESS_BYTES, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (ceiling, ceiling))


def escape_fts(text: str | None) -> str:
    return _escape_fts(" ".join((text or "").split("\x00")[0].split())) or '"."'


@hookimpl(trylast=True)  # after Datasette's own escape_fts(), which this one replaces
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_BYTES)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_BYTES}")
    # Datasette runs each statement on a new cursor. A weak reference, so that a cursor
    # left unfinished by an error is freed, and its statement's memory with it.
    spent: dict = {"cursor": lambda: None, "bytes": 0}

    def row(cursor: sqlite3.Cursor, values: tuple) -> sqlite3.Row:
        if spent["cursor"]() is not cursor:
            spent.update(cursor=weakref.ref(cursor), bytes=0)
        # Text at six bytes a character: what JSON's escapes (\u0001) can make of it.
        size = sum(6 * len(v) if isinstance(v, str) else sys.getsizeof(v) for v in values)
        spent["bytes"] += size
        if spent["bytes"] > ANSWER_BYTES:
            raise sqlite3.DataError(
                f"This answer would be over {ANSWER_BYTES // 2**20} MB, more than Datasette "
                f"here sends. {_FEWER}"
            )
        return sqlite3.Row(cursor, values)

    conn.row_factory = row


@hookimpl
def handle_exception(datasette: object, request: object, exception: BaseException) -> object:
    # SQLite out of its heap, or the server at its ceiling: Datasette would show a bare 500.
    if isinstance(exception, MemoryError):
        error = BadRequest(f"This query needs more memory than Datasette here allows. {_FEWER}")
        return _errors.handle_exception(datasette, request, error)
