"""Getting the data files onto this computer: one pooch fetcher made from the manifest.

``PAYGAP_DATA_DIR``
    The data folder: the downloaded files and the cleaned table's cache. By default the
    system's cache folder (``pooch.os_cache("paygap")``, ``~/.cache/paygap`` on Linux).
``PAYGAP_DATA_URL``
    A mirror serving every file under its published name, e.g. a venue laptop running
    ``python -m http.server``: each file is downloaded from there instead of its pinned URL,
    and still checked against its sha256.

pooch downloads each file into a temporary file beside it, checks its sha256 against the
manifest and only then moves it into place; it retries what failed, and never replaces a
file already there (``allow_updates=False``). This module adds what the users of a
hackathon need: a download stops once it is longer than the manifest says (an endless
answer cannot fill the disk), a server that goes silent fails within a minute, the data
folder's lock (``filelock``, which does not follow links) keeps two kernels from downloading
the same file at once, and every failure ends in one message that says what to do.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from ..errors import ChecksumMismatchError, DataFolderError, DownloadError, SettingsError
from .manifest import DataFile, Manifest, Years, read_manifest

__all__ = [
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "TIMEOUT",
    "data_dir",
    "mirror_url",
    "file_url",
    "fetch",
    "verify",
    "FileStatus",
    "data_lock",
    "folder_error",
    "sha256",
]

DATA_DIR_ENV = "PAYGAP_DATA_DIR"
DATA_URL_ENV = "PAYGAP_DATA_URL"
#: Seconds to wait for a connection, and for each piece of an answer. pooch tries twice
#: more after a failure (waiting 1 s, then 2 s), so a silent server fails within a minute.
TIMEOUT = (10.0, 15.0)
_RETRIES = 2
#: The data folder's lock: a name no other program uses, opened without following links.
_LOCK = ".paygap_utils.lock"
_LOCK_WAIT = 600.0
_REFRESH = "`python -m paygap_utils.organisers refresh`"

_logger = logging.getLogger("paygap_utils")


def data_dir(data_home: str | Path | None = None) -> Path:
    """Return the folder that holds the downloaded files and the cleaned table's cache.

    Parameters
    ----------
    data_home : str or Path, optional
        An explicit folder, which wins over ``$PAYGAP_DATA_DIR``.

    Returns
    -------
    pathlib.Path
        ``data_home``, else ``$PAYGAP_DATA_DIR``, else the system's cache folder for
        ``paygap``. It may not exist yet.

    Examples
    --------
    >>> from paygap_utils.data.fetch import data_dir
    >>> data_dir("~/paygap-data").name
    'paygap-data'
    """
    if data_home is not None:
        return Path(data_home).expanduser().resolve()
    import pooch

    return pooch.create(pooch.os_cache("paygap"), base_url="", env=DATA_DIR_ENV).abspath


def mirror_url() -> str | None:
    """Return the mirror in ``$PAYGAP_DATA_URL`` (ending in ``/``), or None when it is not set.

    Raises
    ------
    SettingsError
        When it is not an http(s) address.

    Examples
    --------
    >>> from paygap_utils.data.fetch import mirror_url
    >>> base = mirror_url()  # e.g. 'http://192.168.1.10:8000/', or None
    >>> base is None or base.endswith("/")
    True
    """
    base = os.environ.get(DATA_URL_ENV, "").strip()
    if not base:
        return None
    if not re.match(r"https?://[^/@\s]+", base):
        raise SettingsError(
            f"${DATA_URL_ENV} is {base[:200]!r}, which is not an http(s) address. Set it to "
            f"the mirror's address, e.g. http://192.168.1.10:8000/, or unset {DATA_URL_ENV} "
            "to download from the internet."
        )
    return base.rstrip("/") + "/"


def file_url(entry: DataFile) -> str:
    """Return where ``entry`` is downloaded from: the mirror's copy if one is set.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.fetch import file_url
    >>> file_url(read_manifest().file(2017)).startswith("http")
    True
    """
    base = mirror_url()
    return base + quote(entry.file_name) if base else entry.url


def sha256(path: str | Path) -> str:
    """Return the sha256 of the file at ``path``."""
    import pooch

    return pooch.file_hash(str(path))


def _verified(path: Path, entry: DataFile) -> bool:
    try:
        return path.is_file() and sha256(path) == entry.sha256
    except OSError:
        return False


# --- the download, and its failures as instructions -------------------------------------


def _server_text(text: object, limit: int = 200) -> str:
    """Text a server chose (a reason phrase, an address), without escapes or control characters."""
    cleaned = _CONTROL.sub(" ", str(text))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


#: Terminal escape sequences (colours, window titles) and other control characters.
_CONTROL = re.compile(
    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?)?|[\x00-\x1f\x7f-\x9f]"
)


class _Capped:
    """The file pooch's downloader writes into: it hashes, keeps the start, stops past the size."""

    def __init__(self, file, entry: DataFile, url: str):
        self.file, self.entry, self.url = file, entry, url
        self.size, self.start, self.digest = 0, b"", hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.entry.size:
            # Not a ValueError or a requests error, so pooch does not try again.
            raise ChecksumMismatchError(
                _differs(self, f"it is longer than the pinned copy's {self.entry.size:,} bytes")
            )
        self.start += chunk[: max(0, 512 - len(self.start))]
        self.digest.update(chunk)
        self.file.write(chunk)

    def flush(self) -> None:
        self.file.flush()


def _differs(received: _Capped, how: str) -> str:
    entry, url = received.entry, _server_text(received.url, 500)
    if received.start.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith((b"<!doctype", b"<html")):
        return (
            f"{url} sent a web page, not the {entry.label} CSV file (a Wi-Fi sign-in page or an "
            "error page). Nothing was kept. Open that address in a browser, sign in to the Wi-Fi "
            "if it asks, and run `python -m paygap_utils fetch` again."
        )
    base = mirror_url()
    if base:
        advice = (
            f"The mirror in ${DATA_URL_ENV} ({base}) serves another copy of '{entry.file_name}': "
            f"ask the organiser for a mirror of the pinned files, or unset {DATA_URL_ENV} to "
            "download the pinned copy from the internet."
        )
    else:
        advice = (
            "The pinned URL now serves other bytes. Organisers: re-pin the data with "
            f"{_REFRESH} (docs/organisers.md); everyone else: ask for a mirror of the pinned "
            f"files and set {DATA_URL_ENV} to it."
        )
    return (
        f"The {entry.label} file that {url} serves differs from the pinned copy in "
        f"data_manifest.json: {how}. Nothing was kept. {advice}"
    )


def _download(url: str, output: str | Path, entry: DataFile, progressbar: bool) -> None:
    """Download ``url`` into ``output`` through pooch's HTTP downloader; ``entry`` must match."""
    import pooch

    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT, chunk_size=2**16)
    with open(output, "wb") as file:
        received = _Capped(file, entry, url)
        downloader(url, received, None)
    if entry.sha256 and received.digest.hexdigest() != entry.sha256:
        how = f"its sha256 is {received.digest.hexdigest()}, the pin's {entry.sha256}"
        raise ChecksumMismatchError(_differs(received, how))


def _problem(exc: Exception) -> str:
    """What went wrong in a request, in plain words."""
    import requests

    response = getattr(exc, "response", None)
    if response is not None:
        return f"the server answered {response.status_code} {_server_text(response.reason, 80)}"
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return f"it redirected to an address that is not http(s) ({_server_text(exc)})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"the server did not answer within {TIMEOUT[1]:g} s, three times"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "there is no connection to the server"
    return _server_text(exc)


def _failed(entry: DataFile, url: str, exc: Exception) -> DownloadError:
    """A requests error as an instruction that names the URL and what to do."""
    base = mirror_url()
    if base:
        advice = (
            f"Check that the mirror in ${DATA_URL_ENV} ({base}) is running and serves "
            f"'{entry.file_name}', or unset {DATA_URL_ENV} to use the internet."
        )
    else:
        advice = (
            "Connect to the internet and run `python -m paygap_utils fetch` once (the files are "
            "then kept for offline use), or ask the organiser for the venue mirror and set "
            f"{DATA_URL_ENV} to its address."
        )
    return DownloadError(
        f"Could not download the {entry.label} data from {_server_text(url, 500)}: "
        f"{_problem(exc)}. {advice}"
    )


def _fetcher(manifest: Manifest, folder: Path):
    """The pooch fetcher of every file in ``manifest``: checksums, URLs (a mirror's if set)."""
    import pooch

    return pooch.create(
        folder,
        base_url="",
        registry={f.file_name: f"sha256:{f.sha256}" for f in manifest.files},
        urls={f.file_name: file_url(f) for f in manifest.files},
        retry_if_failed=_RETRIES,
        allow_updates=False,  # pooch never replaces a file that is there
    )


def _fetch_file(fetcher, entry: DataFile, progressbar: bool) -> Path:
    """Download ``entry`` through ``fetcher``; the caller holds the lock."""
    import requests

    path = fetcher.abspath / entry.file_name
    if path.exists() or path.is_symlink():
        raise ChecksumMismatchError(
            f"{path} is there but is not the pinned copy of the {entry.label} data (its sha256 "
            "differs), and this library never replaces a file it cannot tell is its own. If it "
            "is yours, move it elsewhere; if it is a damaged download, delete it. Then run "
            "`python -m paygap_utils fetch` again."
        )
    url = fetcher.get_url(entry.file_name)
    try:
        fetcher.fetch(
            entry.file_name,
            downloader=lambda url, output, _: _download(url, output, entry, progressbar),
        )
    except requests.exceptions.RequestException as exc:
        raise _failed(entry, url, exc) from None
    except OSError as exc:
        raise folder_error(path.parent, exc, f"Downloading the {entry.label} data") from None
    return path


def fetch(
    years: Years = None,
    *,
    progressbar: bool = True,
    data_home: str | Path | None = None,
    manifest: Manifest | None = None,
) -> dict[int, Path]:
    """Download the data files that are not in the data folder yet, and verify every one.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years (any spelling :func:`~paygap_utils.data.manifest.parse_year`
        accepts); all years by default.
    progressbar : bool
        Show a progress bar while downloading.
    data_home : str or Path, optional
        Data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder
        (:func:`data_dir`).
    manifest : Manifest, optional
        The files to fetch; the installed ``data_manifest.json`` by default.

    Returns
    -------
    dict
        Path of each year's verified file, keyed by first year.

    Raises
    ------
    YearError
        (a ``ValueError``) for a year that is not in the manifest.
    DownloadError
        When a file is not there and cannot be downloaded.
    ChecksumMismatchError
        When a downloaded file differs from the pinned copy, or a file of the same name
        that is not the pinned copy is in the way.
    DataFolderError
        When the data folder cannot be written (read-only, disk full).

    Examples
    --------
    >>> import paygap_utils
    >>> paths = paygap_utils.fetch("2019-20", progressbar=False)
    >>> paths[2019].name
    'UK Gender Pay Gap Data - 2019 to 2020.csv'
    """
    manifest = manifest or read_manifest()
    entries = manifest.select(years)
    folder = data_dir(data_home)
    # Checking needs no lock: a file is only ever moved into place whole and verified.
    todo = [e for e in entries if not _verified(folder / e.file_name, e)]
    if todo:
        import pooch

        fetcher, log = _fetcher(manifest, folder), pooch.get_logger()
        level = log.level
        # The progress bar and the messages here say what pooch's log lines would say again.
        log.setLevel("WARNING")
        try:
            with data_lock(folder, "Downloading " + ", ".join(e.label for e in todo)):
                for entry in todo:
                    if not _verified(folder / entry.file_name, entry):  # another process's
                        _fetch_file(fetcher, entry, progressbar)
        finally:
            log.setLevel(level)
    return {entry.year: folder / entry.file_name for entry in entries}


# --- the data folder ----------------------------------------------------------------------


def folder_error(folder: Path, exc: OSError, doing: str) -> DataFolderError:
    """Turn an ``OSError`` met while writing in ``folder`` into an instruction.

    Examples
    --------
    >>> import errno
    >>> from pathlib import Path
    >>> from paygap_utils.data.fetch import folder_error
    >>> full = OSError(errno.ENOSPC, "No space left on device")
    >>> "disk holding /data is full" in str(folder_error(Path("/data"), full, "Downloading"))
    True
    """
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DataFolderError(
            f"{doing} failed: the disk holding {folder} is full. Nothing half-written was kept. "
            f"Free some space (the data needs about 40 MB), or set {DATA_DIR_ENV} to a folder on "
            "another disk, and run the command again."
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DataFolderError(
            f"{doing} needs to write in the data folder {folder}, which is read-only for you "
            f"({exc.strerror}). Set {DATA_DIR_ENV} to a folder you can write to (e.g. "
            f"export {DATA_DIR_ENV}=~/paygap-data) and run the command again."
        )
    return DataFolderError(
        f"{doing} could not write in the data folder {folder}: {exc.strerror or exc}. Check "
        f"the folder, or set {DATA_DIR_ENV} to another one, and run the command again."
    )


@contextlib.contextmanager
def data_lock(folder: Path, doing: str) -> Iterator[Path]:
    """Hold the data folder's lock (creating the folder), so that one process writes at a time.

    The lock is a file of the library's own, ``.paygap_utils.lock``, that filelock opens
    without following links; the operating system releases it when its holder dies.

    Raises
    ------
    DataFolderError
        When the folder cannot be written, or another process holds the lock for ten
        minutes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.fetch import data_lock
    >>> with data_lock(Path(tempfile.mkdtemp()) / "data", "Testing") as folder:
    ...     sorted(p.name for p in folder.iterdir())
    ['.paygap_utils.lock']
    """
    from filelock import FileLock, Timeout

    lock = FileLock(folder / _LOCK)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            _logger.warning("%s: waiting for another process that is using %s.", doing, folder)
            lock.acquire(timeout=_LOCK_WAIT)
    except Timeout:
        raise DataFolderError(
            f"{doing} gave up after waiting {_LOCK_WAIT / 60:.0f} minutes for another process "
            f"using the data folder {folder} (a notebook or a `fetch` in a terminal). Stop it or "
            "restart its kernel, and run the command again."
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataFolderError(
                f"{folder / _LOCK} is a symbolic link, which the library does not write through. "
                "Remove the link and run the command again."
            ) from None
        raise folder_error(folder, exc, doing) from None
    try:
        yield folder
    finally:
        lock.release()


# --- checking what is there, and what the sources serve -------------------------------------

#: What :func:`verify` found for a file (see :class:`FileStatus`).
_State = Literal["ok", "missing", "damaged"]


@dataclass(frozen=True)
class FileStatus:
    """The state of one data file.

    ``status`` is ``"ok"``, ``"missing"`` or ``"damaged"`` (not the pinned copy);
    ``message`` says what to do.
    """

    entry: DataFile
    path: Path
    status: _State
    message: str = ""


def verify(
    years: Years = None, *, data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[FileStatus]:
    """Re-hash the data files in the data folder against the manifest; download nothing.

    Nothing is written, so this works in a read-only data folder.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years to check; all by default.
    data_home : str or Path, optional
        Data folder; see :func:`fetch`.
    manifest : Manifest, optional
        The installed ``data_manifest.json`` by default.

    Returns
    -------
    list of FileStatus
        One per year, oldest first; ``status`` is ``"ok"``, ``"missing"`` or
        ``"damaged"`` and ``message`` says what to do about it.

    Examples
    --------
    >>> import paygap_utils
    >>> _ = paygap_utils.fetch(2019, progressbar=False)
    >>> [s.status for s in paygap_utils.verify(2019)]
    ['ok']
    """
    manifest = manifest or read_manifest()
    folder = data_dir(data_home)
    statuses = []
    for entry in manifest.select(years):
        path = folder / entry.file_name
        if not path.is_file():
            message = f"{entry.label} is not downloaded: run `python -m paygap_utils fetch`."
            statuses.append(FileStatus(entry, path, "missing", message))
        elif _verified(path, entry):
            statuses.append(FileStatus(entry, path, "ok"))
        else:
            message = (
                f"{path} is not the pinned copy of the {entry.label} data: it changed since it "
                "was downloaded, or it is another file of the same name. The source is not to "
                "blame. Move it elsewhere if it is yours, or delete it, then run "
                f"`python -m paygap_utils fetch {entry.label}` to download the pinned copy."
            )
            statuses.append(FileStatus(entry, path, "damaged", message))
    return statuses
