"""Every request the package makes, through one door with its rules enforced at every step.

``fetch``, ``verify --remote``, ``doctor`` and ``refresh`` all call :func:`download`
or :func:`probe`, which:

- apply the https / loopback-http rule (:func:`paygap_utils.data.settings.check_url`,
  with the parser requests connects with) to the first URL and to every
  redirect, which is followed here and never by requests (at most
  :data:`MAX_REDIRECTS`); a URL with a user name is refused;
- stop reading at ``max_bytes`` (the manifest's size), so an endless answer
  cannot fill the disk;
- give up on a server that does not connect, goes silent, or takes longer than
  the per-file deadline (``PAYGAP_CONNECT_TIMEOUT``, ``PAYGAP_READ_TIMEOUT``,
  ``PAYGAP_DOWNLOAD_DEADLINE``), retrying only what a retry can mend (a refused
  or dropped connection, a 5xx answer);
- show the server's own words (its reason phrase) only cleaned of control
  characters and cut short.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ..errors import DownloadError, SettingsError
from .settings import NetworkLimits, check_url, http_hosts, network_limits

if TYPE_CHECKING:
    import requests

__all__ = ["NetworkError", "download", "probe", "server_text", "MAX_REDIRECTS", "MAX_FILE_BYTES"]

MAX_REDIRECTS = 5
#: The cap where the manifest cannot say a file's size (refresh, the remote check): the
#: largest file is about 5 MB, so anything past this is a server that does not stop.
MAX_FILE_BYTES = 200 * 2**20
#: Retries after a failure that a retry can mend, waiting 1 s, then 2 s.
_RETRIES = 2
_CHUNK = 1 << 16
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


class NetworkError(DownloadError):
    """A request failed; ``url`` is where, ``problem`` says what happened in plain words."""

    def __init__(self, url: str, problem: str, *, retry: bool = False):
        self.url = url
        self.problem = problem
        self.retry = retry
        super().__init__(f"{server_text(url, 500)}: {problem}")


def server_text(text: object, limit: int = 80) -> str:
    """Return text that came from a server, safe to print: no escapes or control characters.

    Parameters
    ----------
    text : object
        A reason phrase, a header, a URL given by a server.
    limit : int
        At most this many characters are kept; a cut is marked with ``...``.

    Examples
    --------
    >>> from paygap_utils.data.network import server_text
    >>> server_text("\\x1b[31mNot Found\\x1b[0m\\r\\nX-Evil: 1")
    'Not Found X-Evil: 1'
    >>> server_text("x" * 100, limit=10)
    'xxxxxxx...'
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    cleaned = _CONTROL.sub(" ", _ESCAPES.sub("", str(text)))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def _problem(exc: Exception, limits: NetworkLimits) -> tuple[str, bool]:
    """Plain words for a requests exception, and whether a retry may help."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"the server did not accept a connection within {limits.connect:g} s", False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"the server went silent: nothing arrived for {limits.read:g} s", False
    if isinstance(exc, requests.exceptions.SSLError):
        return "the secure connection failed (the server's certificate was not accepted)", False
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the server closed the connection before the whole file arrived", True
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "there is no connection to the server", True
    return f"the request failed ({type(exc).__name__})", False


@contextlib.contextmanager
def _open(
    url: str, method: str, limits: NetworkLimits, started: float
) -> Iterator[requests.Response]:
    """Yield the final response to ``url`` after checking every hop; errors for >= 400."""
    import requests

    allowed = http_hosts()
    with requests.Session() as session:
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            what = "A redirect to" if hop else "The address"
            try:
                # Only the opted-in mirror may be plain http, at the first hop or any other.
                check_url(current, what=what, http_hosts=allowed)
            except SettingsError as exc:
                raise NetworkError(current, f"refused: {server_text(exc, 400)}") from None
            remaining = limits.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise NetworkError(current, _late(limits))
            try:
                response = session.request(
                    method,
                    current,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(limits.connect, remaining), min(limits.read, remaining)),
                    headers={"Accept-Encoding": "identity"},
                )
            except requests.exceptions.RequestException as exc:
                problem, retry = _problem(exc, limits)
                raise NetworkError(current, problem, retry=retry) from None
            if response.is_redirect:
                target = response.headers.get("location", "")
                response.close()
                if len(target) > 2000:
                    raise NetworkError(current, "the server redirected to an address too long")
                current = urljoin(current, target)
                continue
            try:
                if response.status_code >= 400:
                    reason = server_text(response.reason) or "no reason given"
                    raise NetworkError(
                        current,
                        f"the server answered {response.status_code} {reason}",
                        retry=response.status_code >= 500,
                    )
                yield response
            finally:
                response.close()
            return
    raise NetworkError(url, f"the server redirected more than {MAX_REDIRECTS} times")


def _late(limits: NetworkLimits) -> str:
    return (
        f"the download took longer than {limits.deadline:g} s (the limit "
        "PAYGAP_DOWNLOAD_DEADLINE sets)"
    )


def _receive(
    response: requests.Response,
    output: Path,
    max_bytes: int,
    limits: NetworkLimits,
    started: float,
    progressbar: bool,
) -> int:
    import requests
    import urllib3
    from tqdm.auto import tqdm

    url = response.url
    declared = response.headers.get("content-length", "")
    total = int(declared) if declared.isdigit() else None
    if total is not None and total > max_bytes:
        raise NetworkError(
            url, f"the server offers {total:,} bytes, more than the {max_bytes:,} expected"
        )
    raw = response.raw
    # read1 returns what one read of the socket gives, so the deadline is checked
    # even when a server trickles a byte at a time.
    read = raw.read1 if hasattr(raw, "read1") else raw.read
    received = 0
    with (
        open(output, "wb") as handle,
        tqdm(
            total=total or None,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=not progressbar,
            leave=True,
        ) as bar,
    ):
        while True:
            try:
                chunk = read(_CHUNK)
            except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException) as exc:
                timed_out = isinstance(exc, urllib3.exceptions.ReadTimeoutError)
                problem = (
                    f"the server went silent: nothing arrived for {limits.read:g} s"
                    if timed_out
                    else "the server closed the connection before the whole file arrived"
                )
                raise NetworkError(
                    url, f"{problem} ({received:,} bytes received)", retry=not timed_out
                ) from None
            if not chunk:
                break
            received += len(chunk)
            if received > max_bytes:
                raise NetworkError(
                    url,
                    f"the server sent more than the {max_bytes:,} bytes expected; the download "
                    "was stopped",
                )
            handle.write(chunk)
            bar.update(len(chunk))
            if time.monotonic() - started > limits.deadline:
                raise NetworkError(url, f"{_late(limits)}; {received:,} bytes had arrived")
    if total is not None and received < total:
        raise NetworkError(
            url,
            f"the server closed the connection after {received:,} of {total:,} bytes",
            retry=True,
        )
    return received


def download(url: str, output: str | Path, *, max_bytes: int, progressbar: bool = False) -> int:
    """Download ``url`` into the file ``output``, enforcing the package's network rules.

    Parameters
    ----------
    url : str
        Where to download from (https, or http to this computer or an opted-in mirror).
    output : str or Path
        The file to write (created or truncated); the caller moves it into place.
    max_bytes : int
        Stop, with an error, if the server sends more than this.
    progressbar : bool
        Show a progress bar (tqdm; a widget in notebooks).

    Returns
    -------
    int
        The number of bytes written.

    Raises
    ------
    NetworkError
        A :class:`~paygap_utils.errors.DownloadError` whose ``problem`` says what
        went wrong in words fit to show; the caller adds what to do.
    OSError
        If ``output`` cannot be written (disk full, read-only folder).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from paygap_utils.data.network import NetworkError, download
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> try:
    ...     download("http://example.org/x.csv", out, max_bytes=1)
    ... except NetworkError as exc:
    ...     print(exc.problem.split(". ")[0])
    refused: The address 'http://example.org/x.csv' is not https
    """
    limits = network_limits()
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            with _open(url, "GET", limits, started) as response:
                return _receive(response, Path(output), max_bytes, limits, started, progressbar)
        except NetworkError as exc:
            wait = 2**attempt
            elapsed = time.monotonic() - started
            if not exc.retry or attempt == _RETRIES or elapsed + wait >= limits.deadline:
                raise
            attempt += 1
            time.sleep(wait)


def probe(url: str) -> str:
    """Ask the server for ``url``'s headers (HEAD) and say in words how that went.

    Returns
    -------
    str
        ``"reachable (HTTP 200)"``, or what went wrong, server text sanitised.

    Examples
    --------
    >>> from paygap_utils.data.network import probe
    >>> probe("http://example.org/x.csv").startswith("NOT reachable (refused")
    True
    """
    limits = network_limits()
    try:
        with _open(url, "HEAD", limits, time.monotonic()) as response:
            return f"reachable (HTTP {response.status_code})"
    except NetworkError as exc:
        return f"NOT reachable ({exc.problem})"
