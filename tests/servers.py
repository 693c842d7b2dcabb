"""Small HTTP servers on 127.0.0.1 for the tests: a static mirror that counts requests."""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """Return the ``shared`` folder (``$PAYGAP_SHARED_DIR`` or ``../shared``) if present."""
    configured = os.environ.get("PAYGAP_SHARED_DIR")
    folder = Path(configured) if configured else REPO_ROOT.parent / "shared"
    return folder if (folder / "data" / "ukgpg").is_dir() else None


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, counter: Counter, **kwargs):
        self._counter = counter
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._counter[unquote(self.path.lstrip("/"))] += 1
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class FileServer:
    """Serve ``directory`` on 127.0.0.1 at a free port, counting GET requests per file name."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.requests: Counter = Counter()
        handler = functools.partial(_Handler, directory=str(self.directory), counter=self.requests)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> FileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
