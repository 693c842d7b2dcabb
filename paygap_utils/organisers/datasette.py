"""Datasette over the SQLite export: the local command and the JupyterLab launcher entry.

``python -m paygap_utils datasette`` writes the SQLite export and its metadata if they
are missing or out of date (:func:`paygap_utils.organisers.export.ensure_export`), then runs
``datasette serve`` on them. On Binder and the hub, jupyter-server-proxy runs the same
command behind JupyterLab at ``<base url>datasette/``, from the launcher tile that
:func:`jupyter_server_proxy` describes (the ``jupyter_serverproxy_servers`` entry point in
``pyproject.toml``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from .export import ExportError, ensure_export, metadata_path

__all__ = ["PROXY_PATH", "ICON", "datasette_command", "serve", "jupyter_server_proxy"]

#: Where jupyter-server-proxy serves Datasette, below the Jupyter server's base URL.
PROXY_PATH = "datasette"
#: The launcher icon JupyterLab shows for Datasette.
ICON = Path(__file__).parent / "icons" / "datasette.svg"


def datasette_command(
    port: int = 8001,
    host: str = "127.0.0.1",
    base_url: str = "/",
    database: str | Path | None = None,
    progressbar: bool = False,
) -> list[str]:
    """Return the ``datasette serve`` command line for the SQLite export.

    Parameters
    ----------
    port, host : int, str
        Where Datasette listens; only this computer (127.0.0.1) by default.
    base_url : str
        The path Datasette is reached under, e.g. ``/user/ana/datasette/`` behind
        jupyter-server-proxy; ``/`` when it is reached directly.
    database : str or Path, optional
        A SQLite export to serve; by default the one in the data folder, written
        first if it is missing or out of date.
    progressbar : bool
        Show download progress if the data has to be downloaded first.

    Returns
    -------
    list of str
        The command, starting with this Python's ``-m datasette serve``.

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
    if database is None:
        path = ensure_export("sqlite", progressbar=progressbar)
    else:
        path = Path(database)
    if not path.is_file():
        raise ExportError(
            f"There is no database at {path}. Write one with "
            f"`python -m paygap_utils sqlite {path}`, or leave out --database to use the default."
        )
    metadata = metadata_path(path)
    if not base_url.endswith("/"):
        base_url += "/"
    command = [sys.executable, "-m", "datasette", "serve", "-i", str(path)]
    if metadata.is_file():
        command += ["--metadata", str(metadata)]
    return command + [
        *("--host", host, "--port", str(port)),
        *("--setting", "base_url", base_url),
        # Facet counts over 60,000 rows take a moment on a busy Binder core.
        *("--setting", "facet_time_limit_ms", "1000"),
        *("--setting", "sql_time_limit_ms", "5000"),
    ]


def serve(
    port: int = 8001,
    host: str = "127.0.0.1",
    base_url: str = "/",
    database: str | Path | None = None,
    progressbar: bool = True,
) -> None:
    """Replace this process with Datasette serving the SQLite export (what the CLI runs).

    Raises
    ------
    ExportError
        If Datasette is not installed; the message says how to install it.
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
    return {
        "command": [
            *(sys.executable, "-m", "paygap_utils", "datasette", "--quiet"),
            *("--port", "{port}", "--base-url", "{base_url}" + PROXY_PATH + "/"),
        ],
        # The first start may have to build the database (about 20 s on one core).
        "timeout": 120,
        "absolute_url": False,
        "launcher_entry": {
            "enabled": True,
            "title": "Datasette (SQL)",
            "icon_path": str(ICON),
            "category": "Notebook",
        },
        "new_browser_tab": True,
    }
