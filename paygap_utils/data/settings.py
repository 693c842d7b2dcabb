"""Where the data lives, where it comes from, and how long to wait: the package's settings.

``PAYGAP_DATA_DIR``
    Folder for the downloaded files and the cleaned-table cache. Defaults to the
    operating system's cache folder (``pooch.os_cache("paygap")``, e.g.
    ``~/.cache/paygap`` on Linux).
``PAYGAP_DATA_URL``
    Base URL of a mirror that serves every file under its published name, e.g. a
    laptop at the venue running ``python -m http.server``. Replaces each file's
    URL with ``base + URL-encoded file name``.
``PAYGAP_ALLOW_HTTP``
    Set to ``1`` to accept a plain-http mirror on the local network (a venue
    laptop). Downloads are https-only otherwise, except from this computer;
    every file is still checked against its sha256, so a mirror cannot alter it.
``PAYGAP_CONNECT_TIMEOUT``, ``PAYGAP_READ_TIMEOUT``
    Seconds to wait for a server to accept the connection (default 10) and for
    each piece of its answer (default 15), so a server that accepts and then
    says nothing fails in 15 s.
``PAYGAP_DOWNLOAD_DEADLINE``
    Seconds one file may take in all, retries included (default 300): a server
    that trickles a byte at a time is given up on.
``PAYGAP_LOCK_TIMEOUT``, ``PAYGAP_LOCK_NOTICE``
    Seconds to wait for another process that holds the data folder's lock
    (default 900), and after how many seconds the wait is reported (default 5).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from ..errors import SettingsError

__all__ = [
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "ALLOW_HTTP_ENV",
    "CONNECT_TIMEOUT_ENV",
    "READ_TIMEOUT_ENV",
    "DEADLINE_ENV",
    "LOCK_TIMEOUT_ENV",
    "LOCK_NOTICE_ENV",
    "DEFAULT_SECONDS",
    "data_dir",
    "mirror_url",
    "mirror_file_url",
    "check_url",
    "http_hosts",
    "NetworkLimits",
    "network_limits",
    "seconds",
]

DATA_DIR_ENV = "PAYGAP_DATA_DIR"
DATA_URL_ENV = "PAYGAP_DATA_URL"
ALLOW_HTTP_ENV = "PAYGAP_ALLOW_HTTP"
CONNECT_TIMEOUT_ENV = "PAYGAP_CONNECT_TIMEOUT"
READ_TIMEOUT_ENV = "PAYGAP_READ_TIMEOUT"
DEADLINE_ENV = "PAYGAP_DOWNLOAD_DEADLINE"
LOCK_TIMEOUT_ENV = "PAYGAP_LOCK_TIMEOUT"
LOCK_NOTICE_ENV = "PAYGAP_LOCK_NOTICE"

#: The defaults of the settings above, in seconds.
DEFAULT_SECONDS = {
    CONNECT_TIMEOUT_ENV: 10.0,
    READ_TIMEOUT_ENV: 15.0,
    DEADLINE_ENV: 300.0,
    LOCK_TIMEOUT_ENV: 900.0,
    LOCK_NOTICE_ENV: 5.0,
}


def data_dir(data_home: str | Path | None = None) -> Path:
    """Return the folder that holds the downloaded files and the cleaned cache.

    Parameters
    ----------
    data_home : str or Path, optional
        An explicit folder, which wins over the environment.

    Returns
    -------
    pathlib.Path
        ``data_home`` if given, else ``$PAYGAP_DATA_DIR`` if it is set, else the
        operating system's cache
        folder for ``paygap``. The folder may not exist yet.

    Examples
    --------
    >>> from paygap_utils.data.settings import data_dir
    >>> data_dir().name != ""
    True
    """
    if data_home is not None:
        return Path(data_home).expanduser().resolve()
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    import pooch

    return Path(pooch.os_cache("paygap"))


def mirror_url() -> str | None:
    """Return the mirror base URL from ``$PAYGAP_DATA_URL``, or ``None``.

    Returns
    -------
    str or None
        The base URL, always ending in ``/``, after :func:`check_url` accepted it.

    Raises
    ------
    SettingsError
        If the URL is neither https nor http to this computer (or to a venue
        mirror with ``PAYGAP_ALLOW_HTTP=1``), or carries a user name.

    Examples
    --------
    >>> from paygap_utils.data.settings import mirror_url
    >>> base = mirror_url()
    >>> base is None or base.endswith("/")
    True
    """
    base = os.environ.get(DATA_URL_ENV, "").strip()
    if not base:
        return None
    lan_http = urlsplit(base).scheme == "http" and os.environ.get(ALLOW_HTTP_ENV) == "1"
    try:
        check_url(base, what=f"${DATA_URL_ENV}", http_hosts=_hosts(base) if lan_http else ())
    except SettingsError as exc:
        if lan_http or "is not https" not in str(exc):
            raise
        raise SettingsError(
            f"{exc} For a venue mirror on the local network, also set {ALLOW_HTTP_ENV}=1 "
            "(files are still checked against their sha256)."
        ) from None
    return base if base.endswith("/") else base + "/"


def http_hosts() -> tuple[str, ...]:
    """Return the hosts besides this computer that may be reached over plain http.

    That is the host of ``$PAYGAP_DATA_URL`` when it is an http mirror and
    ``PAYGAP_ALLOW_HTTP=1`` opts in, and nothing otherwise: a redirect from the
    mirror to any other plain-http host is refused.

    Examples
    --------
    >>> import os
    >>> from paygap_utils.data.settings import http_hosts
    >>> http_hosts() if os.environ.get("PAYGAP_ALLOW_HTTP") != "1" else ()
    ()
    """
    base = os.environ.get(DATA_URL_ENV, "").strip()
    if base and urlsplit(base).scheme == "http" and os.environ.get(ALLOW_HTTP_ENV) == "1":
        return _hosts(base)
    return ()


def _hosts(url: str) -> tuple[str, ...]:
    host = urlsplit(url).hostname
    return (host,) if host else ()


def mirror_file_url(base: str, file_name: str) -> str:
    """Return the URL of ``file_name`` on the mirror at ``base``.

    Examples
    --------
    >>> from paygap_utils.data.settings import mirror_file_url
    >>> mirror_file_url("http://127.0.0.1:8000/", "UK Gender Pay Gap Data - 2017 to 2018.csv")
    'http://127.0.0.1:8000/UK%20Gender%20Pay%20Gap%20Data%20-%202017%20to%202018.csv'
    """
    return (base if base.endswith("/") else base + "/") + quote(file_name)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connection_parts(url: str) -> tuple[str, str, int | None, bool] | None:
    """Scheme, host, port and "has userinfo" of ``url`` as requests will connect to it.

    requests rewrites a URL with urllib3's parser before it connects, so the rule
    is applied to that rewritten URL, parsed by urllib3 and by urllib; if the two
    parsers disagree on where it goes, the URL is ambiguous and gets ``None``.
    """
    import requests
    from urllib3.util import parse_url

    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        ours = parse_url(prepared)
        theirs = urlsplit(prepared)
        their_port = theirs.port
    except (requests.exceptions.RequestException, ValueError):
        return None
    host = (ours.host or "").strip("[]").lower()
    same = (
        (ours.scheme or "") == theirs.scheme
        and host == (theirs.hostname or "")
        and ours.port == their_port
    )
    if not same:
        return None
    userinfo = bool(ours.auth) or "@" in theirs.netloc
    return theirs.scheme, host, their_port, userinfo


def check_url(url: str, what: str = "URL", *, http_hosts: tuple[str, ...] = ()) -> str:
    r"""Accept ``https`` URLs, and ``http`` only to a loopback address (or ``http_hosts``).

    The rule is applied to the URL exactly as the connection will be made
    (requests' rewriting of it, parsed by urllib3), so spellings that one parser
    reads differently from another cannot slip through. A user name or password
    in the URL is refused: the data is public, and a URL carrying one is a trick.

    Parameters
    ----------
    url : str
        The URL to check.
    what : str
        How to name the URL in the error message.
    http_hosts : tuple of str
        Further hosts plain http may go to (the opted-in venue mirror,
        :func:`http_hosts`).

    Returns
    -------
    str
        ``url`` unchanged.

    Raises
    ------
    SettingsError
        (a ``ValueError``) if the URL is not ``https``, not ``http`` to 127.0.0.1,
        ``::1``, ``localhost`` or ``http_hosts``, or carries a user name.

    Examples
    --------
    >>> from paygap_utils.data.settings import check_url
    >>> check_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/'
    >>> check_url("http://example.org/data.csv")
    Traceback (most recent call last):
    ...
    paygap_utils.errors.SettingsError: URL 'http://example.org/data.csv' is not https. ...
    >>> check_url("http://evil.example\\@127.0.0.1:8000/")
    Traceback (most recent call last):
    ...
    paygap_utils.errors.SettingsError: URL 'http://evil.example\\@127.0.0.1:8000/' is not https. ...
    """
    parts = _connection_parts(url)
    if parts is not None:
        scheme, host, _port, userinfo = parts
        if userinfo and host:
            raise SettingsError(
                f"{what} {url!r} contains a user name or password (the part before '@'). "
                "The data is public and never needs one: remove it and try again."
            )
        if scheme == "https" and host:
            return url
        allowed = {h.strip("[]").lower() for h in http_hosts}
        if scheme == "http" and host and (_is_loopback(host) or host in allowed):
            return url
    raise SettingsError(
        f"{what} {url!r} is not https. The data is only downloaded over https "
        "(or plain http from this computer, e.g. http://127.0.0.1:8000/). "
        "Fix the address and try again."
    )


@dataclass(frozen=True)
class NetworkLimits:
    """How long a download may wait: ``connect`` and ``read`` per step, ``deadline`` per file."""

    connect: float
    read: float
    deadline: float


def seconds(name: str) -> float:
    """Return the setting ``name`` (one of :data:`DEFAULT_SECONDS`) in seconds.

    Raises
    ------
    SettingsError
        If the variable is set to something that is not a positive number.

    Examples
    --------
    >>> from paygap_utils.data.settings import seconds
    >>> seconds("PAYGAP_LOCK_TIMEOUT") > 0
    True
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return DEFAULT_SECONDS[name]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise SettingsError(
            f"${name} is {text!r}, which is not a number of seconds. Set it to a positive "
            f"number such as {DEFAULT_SECONDS[name]:g}, or unset it for the default."
        )
    return value


def network_limits() -> NetworkLimits:
    """Return the timeouts and the per-file deadline downloads use now.

    Examples
    --------
    >>> from paygap_utils.data.settings import network_limits
    >>> limits = network_limits()
    >>> limits.connect > 0 and limits.read > 0 and limits.deadline > 0
    True
    """
    return NetworkLimits(
        connect=seconds(CONNECT_TIMEOUT_ENV),
        read=seconds(READ_TIMEOUT_ENV),
        deadline=seconds(DEADLINE_ENV),
    )
