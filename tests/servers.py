"""Small HTTP servers on 127.0.0.1 for the tests: a static mirror that counts requests, and
the misbehaving servers a download must survive (FaultServer, BlackHole); and, for the servers
a test starts itself (JupyterLab, Voila, Datasette), a free port, a bounded wait until they
answer, and a clean stop."""

from __future__ import annotations

import functools
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

import pytest

_T = TypeVar("_T")


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


class _FaultHandler(BaseHTTPRequestHandler):
    """Answers every GET and HEAD the way its server's ``behaviour`` says (see FaultServer)."""

    server: _FaultHTTPServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        fault = self.server.fault
        fault.requests += 1
        handler = getattr(self, "_" + fault.behaviour.replace("-", "_"))
        try:
            handler(fault)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, which is what these servers are for

    def _headers(self, code: int, length: int | None, kind: str = "text/csv", reason=None):
        self.send_response(code, reason)
        self.send_header("Content-Type", kind)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, fault: FaultServer, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        fault.bytes_sent += len(data)

    def _trickle(self, fault: FaultServer) -> None:
        self._headers(200, fault.length)
        while not fault.stopping.is_set():
            self._send(fault, b"x")
            fault.stopping.wait(fault.interval)

    def _early_close(self, fault: FaultServer) -> None:
        self._headers(200, fault.length)
        self._send(fault, fault.body[: fault.length // 2])
        self.close_connection = True

    def _endless(self, fault: FaultServer) -> None:
        self._headers(200, None)
        block = b"EmployerName,Address\n" * 3000
        while not fault.stopping.is_set() and fault.bytes_sent < fault.give_up_after:
            self._send(fault, block)

    def _redirect(self, fault: FaultServer) -> None:
        self.send_response(302)
        self.send_header("Location", fault.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _html(self, fault: FaultServer) -> None:
        page = b"<!DOCTYPE html>\n<html><body><h1>Sign in to the venue Wi-Fi</h1></body></html>\n"
        self._headers(200, len(page), "text/html")
        self._send(fault, page)

    def _reason(self, fault: FaultServer) -> None:
        self._headers(503, 0, reason=fault.reason)

    def _silent(self, fault: FaultServer) -> None:
        fault.stopping.wait(60)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fault: FaultServer


class FaultServer:
    """A misbehaving HTTP server on 127.0.0.1: every request gets the same bad answer.

    ``behaviour`` is one of:

    - ``"trickle"``: announces ``length`` bytes, then sends one byte every ``interval`` s;
    - ``"early-close"``: announces ``len(body)`` bytes, sends half and closes;
    - ``"endless"``: no Content-Length, CSV-looking lines until the client stops
      reading (or ``give_up_after`` bytes, so the test's thread ends);
    - ``"redirect"``: 302 to ``location``;
    - ``"html"``: 200 with a Wi-Fi sign-in web page;
    - ``"reason"``: 503 with ``reason`` as the reason phrase (escape sequences and all);
    - ``"silent"``: reads the request and never answers.

    ``requests`` counts the requests and ``bytes_sent`` the body bytes written.
    """

    def __init__(
        self,
        behaviour: str,
        *,
        body: bytes = b"",
        length: int = 100_000,
        interval: float = 0.2,
        location: str = "",
        reason: str = "",
        give_up_after: int = 200 * 2**20,
    ):
        self.behaviour = behaviour
        self.body = body
        self.length = len(body) if body else length
        self.interval = interval
        self.location = location
        self.reason = reason
        self.give_up_after = give_up_after
        self.requests = 0
        self.bytes_sent = 0
        self.stopping = threading.Event()
        self._httpd = _FaultHTTPServer(("127.0.0.1", 0), _FaultHandler)
        self._httpd.fault = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


class BlackHole:
    """A port on 127.0.0.1 that completes the TCP handshake and then never says a word.

    The socket listens but never accepts, so the kernel finishes the handshake
    and queues the connection: the client is connected, and waits.
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/"

    def __enter__(self) -> BlackHole:
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a server a test started: SIGTERM (Jupyter shuts its kernels down), then kill."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until(
    predicate: Callable[[], _T],
    timeout: float,
    what: str,
    *,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
    interval: float = 0.25,
) -> _T:
    """Call ``predicate`` until it returns a true value, and return that value.

    An ``OSError`` from it (a server not listening yet, a connection reset) means "not yet".
    The test fails, naming ``what`` it waited for, when ``timeout`` seconds pass or when
    ``process`` (the server being waited for) exits first; the end of ``log`` is added.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            problem = f"the process exited with {process.returncode}"
            break
        try:
            result = predicate()
        except OSError as error:
            result, last = None, f" (last error: {error})"
        else:
            last = ""
        if result:
            return result
        if time.monotonic() >= deadline:
            problem = f"not within {timeout:g} s{last}"
            break
        time.sleep(interval)
    tail = f"\n{log} ends:\n{log.read_text(errors='replace')[-3000:]}" if log else ""
    pytest.fail(f"waited for {what}: {problem}{tail}", pytrace=False)
