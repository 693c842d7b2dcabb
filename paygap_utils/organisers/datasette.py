"""Datasette over the SQLite export: the command that serves it, and its launcher tile.

``python -m paygap_utils datasette`` writes the export if it is missing or out of date, then
becomes ``datasette serve`` with :data:`CONFIG`, a Datasette configuration folder; it writes
nothing else, so a read-only data folder serves too. jupyter-server-proxy runs it on Binder
and the hub, at ``<base url>datasette/`` (:func:`jupyter_server_proxy`).
"""

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from .export import ExportError, ensure_export

__all__ = ["PROXY_PATH", "ICON", "CONFIG", "serve", "jupyter_server_proxy"]

#: Where jupyter-server-proxy serves Datasette, below the Jupyter server's base URL.
PROXY_PATH = "datasette"
#: The launcher icon JupyterLab shows for Datasette.
ICON = Path(__file__).parent / "icons" / "datasette.svg"
#: Datasette's metadata, settings, templates and plugins for the export.
CONFIG = Path(__file__).parent / "datasette_config"


def serve(
    port: int = 8001,
    host: str = "127.0.0.1",
    base_url: str = "/",
    database: str | Path | None = None,
    progressbar: bool = True,
) -> None:
    """Replace this process with Datasette serving the SQLite export (what the CLI runs).

    Datasette listens on ``host:port``, only this computer's by default, under ``base_url``:
    ``/user/ana/datasette/`` behind jupyter-server-proxy, ``/`` when it is reached directly.
    It serves ``database``, by default the data folder's SQLite export, which is written
    first if it is missing or out of date (with a progress bar if the data is downloaded).
    When Datasette is not installed or ``database`` is not there, an :class:`ExportError`
    says what to do.

    Examples
    --------
    >>> from paygap_utils.organisers.datasette import serve
    >>> serve(database="no-such.sqlite")
    Traceback (most recent call last):
    ...
    paygap_utils.organisers.export.ExportError: There is no database at no-such.sqlite. ...
    """
    if importlib.util.find_spec("datasette") is None:
        raise ExportError(
            "Datasette is not installed in this Python. Install it (`python -m pip install "
            "datasette`) and run `python -m paygap_utils datasette` again."
        )
    path = ensure_export("sqlite", progressbar=progressbar) if database is None else Path(database)
    if not path.is_file():
        raise ExportError(
            f"There is no database at {path}. Write one with `python -m paygap_utils export "
            f"--format sqlite {path}`, or leave out --database to use the default."
        )
    # A configuration folder: Datasette reads its metadata.yaml, templates/ and plugins/.
    command = [sys.executable, "-m", "datasette", "serve", str(CONFIG), "-i", str(path)]
    command += ["--host", host, "--port", str(port)]
    # Given any --setting, Datasette leaves out settings.json: each of them is one.
    settings = json.loads((CONFIG / "settings.json").read_text(encoding="utf-8"))
    for name, value in {**settings, "base_url": base_url.rstrip("/") + "/"}.items():
        command += ["--setting", name, str(value)]
    os.execv(command[0], command)


def jupyter_server_proxy() -> dict[str, Any]:
    """The jupyter-server-proxy entry for Datasette: command, launcher tile and icon.

    jupyter-server-proxy fills in ``{port}`` and ``{base_url}`` (the Jupyter
    server's, e.g. ``/user/ana/``) and serves Datasette at ``{base_url}datasette/``.

    Examples
    --------
    >>> from paygap_utils.organisers.datasette import jupyter_server_proxy
    >>> entry = jupyter_server_proxy()
    >>> entry["command"][-4:], entry["launcher_entry"]["title"]
    (['--port', '{port}', '--base-url', '{base_url}datasette/'], 'Datasette (SQL)')
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
