"""Datasette's metadata: ``metadata.yaml``, and what the export says of itself, read here.

The export's provenance (``paygap_export_info``: data_manifest.json's name, licence and
attribution) and column meanings (``paygap_columns``), read with SQLite: no pandas in
Datasette. Datasette asks for the metadata often and changes it: each call gets a copy.
"""

import copy
import functools
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from datasette import hookimpl


@functools.cache
def _metadata(path: str) -> dict:
    with closing(sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)) as connection:
        info = dict(connection.execute("SELECT key, value FROM paygap_export_info"))
        described = dict(connection.execute("SELECT name, description FROM paygap_columns"))
    attrs = json.loads(info["attrs"])
    return {
        "title": attrs["title"],
        "description": "Every employer's gender pay gap report, as cleaned by paygap_utils. "
        + attrs["attribution"],
        "license": attrs["licence"],
        "license_url": attrs["licence_url"],
        "databases": {"paygap": {"tables": {"paygap": {"columns": described}}}},
    }


@hookimpl
def get_metadata(datasette) -> dict:
    database = datasette.databases.get("paygap")
    return copy.deepcopy(_metadata(database.path)) if database else {}
