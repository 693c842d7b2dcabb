"""Where the data lives and where it comes from: the package's environment settings.

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
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

__all__ = [
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "ALLOW_HTTP_ENV",
    "data_dir",
    "mirror_url",
    "mirror_file_url",
    "check_url",
]

DATA_DIR_ENV = "PAYGAP_DATA_DIR"
DATA_URL_ENV = "PAYGAP_DATA_URL"
ALLOW_HTTP_ENV = "PAYGAP_ALLOW_HTTP"


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
    >>> from paygap_utils.settings import data_dir
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

    Examples
    --------
    >>> from paygap_utils.settings import mirror_url
    >>> base = mirror_url()
    >>> base is None or base.endswith("/")
    True
    """
    base = os.environ.get(DATA_URL_ENV, "").strip()
    if not base:
        return None
    lan_http = urlsplit(base).scheme == "http" and os.environ.get(ALLOW_HTTP_ENV) == "1"
    if not lan_http:
        try:
            check_url(base, what=f"${DATA_URL_ENV}")
        except ValueError as exc:
            raise ValueError(
                f"{exc} For a venue mirror on the local network, also set {ALLOW_HTTP_ENV}=1 "
                "(files are still checked against their sha256)."
            ) from None
    return base if base.endswith("/") else base + "/"


def mirror_file_url(base: str, file_name: str) -> str:
    """Return the URL of ``file_name`` on the mirror at ``base``.

    Examples
    --------
    >>> from paygap_utils.settings import mirror_file_url
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


def check_url(url: str, what: str = "URL") -> str:
    """Accept ``https`` URLs, and ``http`` only to a loopback address.

    Parameters
    ----------
    url : str
        The URL to check.
    what : str
        How to name the URL in the error message.

    Returns
    -------
    str
        ``url`` unchanged.

    Raises
    ------
    ValueError
        If the URL is not ``https`` (or ``http`` to 127.0.0.1, ``::1`` or
        ``localhost``).

    Examples
    --------
    >>> from paygap_utils.settings import check_url
    >>> check_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/'
    >>> check_url("http://example.org/data.csv")
    Traceback (most recent call last):
    ...
    ValueError: URL 'http://example.org/data.csv' is not https. ...
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise ValueError(
        f"{what} {url!r} is not https. The data is only downloaded over https "
        "(or plain http from this computer, e.g. http://127.0.0.1:8000/). "
        "Fix the address and try again."
    )
