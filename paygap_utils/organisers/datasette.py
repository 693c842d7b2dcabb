"""Datasette over the SQLite export: its metadata, the local command and the launcher entry.

``python -m paygap_utils datasette`` writes the SQLite export if it is missing or out of date
and Datasette's metadata for it, then runs ``datasette serve`` with :data:`CONFIG`, a folder laid
out as Datasette's configuration folders are: ``metadata.yaml`` (facets, canned queries),
``templates/`` (the table page) and ``plugins/limits.py`` (the memory ceiling). On Binder and
the hub, jupyter-server-proxy runs the same command at ``<base url>datasette/``, from the
launcher tile :func:`jupyter_server_proxy` describes (an entry point in ``pyproject.toml``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from .._files import write_file
from .export import ExportError, ensure_export, export_path

__all__ = [
    *("PROXY_PATH", "ICON", "CONFIG", "datasette_metadata", "datasette_command", "serve"),
    "jupyter_server_proxy",
]

#: Where jupyter-server-proxy serves Datasette, below the Jupyter server's base URL.
PROXY_PATH = "datasette"
#: The launcher icon JupyterLab shows for Datasette.
ICON = Path(__file__).parent / "icons" / "datasette.svg"
#: Datasette's metadata template, templates and plugins for the export.
CONFIG = Path(__file__).parent / "datasette_config"


def datasette_metadata(names: list[str] | None = None) -> dict[str, Any]:
    """Return Datasette's metadata: ``metadata.yaml`` with the facts from their one source.

    The title, licence and attribution come from ``data_manifest.json``, and each column's
    meaning from :func:`paygap_utils.columns` (only the columns in ``names``, if given).

    Examples
    --------
    >>> from paygap_utils.organisers.datasette import datasette_metadata
    >>> meta = datasette_metadata(["year"])
    >>> meta["license"], meta["databases"]["paygap"]["tables"]["paygap"]["columns"]["year"][:31]
    ('Open Government Licence v3.0', 'First calendar year of the repo')
    >>> sorted(meta["databases"]["paygap"]["queries"])
    ['employer_history', 'late_filers', 'median_gap_by_sector_and_year']
    """
    import yaml  # Datasette's own dependency

    from ..data.manifest import read_manifest
    from ..data.schema import columns

    meta = yaml.safe_load((CONFIG / "metadata.yaml").read_text(encoding="utf-8"))
    manifest = read_manifest()
    labels = [f.label for f in manifest.files]
    meta["title"] = f"UK Gender Pay Gap data, {labels[0]} to {labels[-1]}"
    meta["description"] += " " + manifest.licence["attribution"]
    meta["license"], meta["license_url"] = manifest.licence["name"], manifest.licence["url"]
    listing = columns()
    if names is not None:
        listing = listing[listing["name"].isin(names)]
    described = dict(zip(listing["name"], listing["description"], strict=True))
    meta["databases"]["paygap"]["tables"]["paygap"]["columns"] = described
    return meta


def datasette_command(
    port: int = 8001,
    host: str = "127.0.0.1",
    base_url: str = "/",
    database: str | Path | None = None,
    progressbar: bool = False,
) -> list[str]:
    """Write Datasette's metadata for ``database`` and return the ``datasette serve`` command.

    Parameters
    ----------
    port, host : int, str
        Where Datasette listens; only this computer (127.0.0.1) by default.
    base_url : str
        The path Datasette is reached under: ``/user/ana/datasette/`` behind
        jupyter-server-proxy, ``/`` when it is reached directly.
    database : str or Path, optional
        A SQLite export; by default the data folder's, written if missing or out of date.
    progressbar : bool
        Show download progress if the data has to be downloaded first.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import paygap_utils
    >>> from paygap_utils.organisers.export import to_sqlite
    >>> from paygap_utils.organisers.datasette import datasette_command
    >>> df = paygap_utils.load(2022, progressbar=False)
    >>> database = to_sqlite(df, pathlib.Path(tempfile.mkdtemp()) / "paygap.sqlite")
    >>> command = datasette_command(port=8123, database=database)
    >>> command[1:4], command[command.index("--port") + 1]
    (['-m', 'datasette', 'serve'], '8123')
    """
    path = ensure_export("sqlite", progressbar=progressbar) if database is None else Path(database)
    if not path.is_file():
        raise ExportError(
            f"There is no database at {path}. Write one with `python -m paygap_utils export "
            f"--format sqlite {path}`, or leave out --database to use the default."
        )
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        names = [row[1] for row in connection.execute("PRAGMA table_info(paygap)")]
    text = json.dumps(datasette_metadata(names), indent=1, ensure_ascii=False) + "\n"
    try:
        # In the export folder, the library's own, where it replaces what it wrote before.
        metadata = write_file(export_path("sqlite").with_name("datasette.json"), text, replace=True)
    except OSError as exc:
        raise ExportError(f"Could not write Datasette's metadata for {path}: {exc}") from exc
    command = [sys.executable, "-m", "datasette", "serve", "-i", str(path)]
    command += ["--metadata", str(metadata), "--template-dir", str(CONFIG / "templates")]
    command += ["--plugins-dir", str(CONFIG / "plugins"), "--host", host, "--port", str(port)]
    settings = json.loads((CONFIG / "settings.json").read_text(encoding="utf-8"))
    settings["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    for name, value in settings.items():
        command += ["--setting", name, str(value)]
    return command


def serve(
    port: int = 8001,
    host: str = "127.0.0.1",
    base_url: str = "/",
    database: str | Path | None = None,
    progressbar: bool = True,
) -> None:
    """Replace this process with Datasette serving the SQLite export (what the CLI runs).

    Raises an :class:`ExportError` saying how to install Datasette if it is not installed.
    """
    if importlib.util.find_spec("datasette") is None:
        raise ExportError(
            "Datasette is not installed in this Python. Install it with "
            "`python -m pip install 'paygap-utils[notebooks]'` (or `pip install datasette`) "
            "and run `python -m paygap_utils datasette` again."
        )
    command = datasette_command(port, host, base_url, database, progressbar)
    print(f"Datasette: http://{host}:{port}{base_url}  (Ctrl+C stops it)", flush=True)
    os.execv(command[0], command)


def jupyter_server_proxy() -> dict[str, Any]:
    """The jupyter-server-proxy entry for Datasette: command, launcher tile and icon.

    jupyter-server-proxy fills in ``{port}`` and ``{base_url}`` (the Jupyter
    server's, e.g. ``/user/ana/``) and serves Datasette at ``{base_url}datasette/``.

    Examples
    --------
    >>> from paygap_utils.organisers.datasette import jupyter_server_proxy
    >>> entry = jupyter_server_proxy()
    >>> entry["command"][-4:]
    ['--port', '{port}', '--base-url', '{base_url}datasette/']
    >>> entry["launcher_entry"]["title"]
    'Datasette (SQL)'
    """
    command = [sys.executable, "-m", "paygap_utils", "datasette", "--quiet", "--port", "{port}"]
    tile = {"title": "Datasette (SQL)", "icon_path": str(ICON), "category": "Notebook"}
    return {
        "command": [*command, "--base-url", "{base_url}" + PROXY_PATH + "/"],
        "timeout": 120,  # the first start may build the database (about 20 s on one core)
        "absolute_url": False,
        "launcher_entry": {"enabled": True, **tile},
        "new_browser_tab": True,
    }
