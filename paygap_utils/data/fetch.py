"""Getting the data files: one pooch fetcher from the manifest, its failures as instructions."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Literal, NamedTuple
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
_LOCK = ".paygap_utils.lock"  # a name no other program uses
_LOCK_WAIT = 600.0
_FETCH = "`python -m paygap_utils fetch`"
_logger = logging.getLogger("paygap_utils")
#: Terminal escape sequences (colours, window titles) and other control characters.
_CONTROL = re.compile(
    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?)?|[\x00-\x1f\x7f-\x9f]"
)


def data_dir(data_home: str | Path | None = None) -> Path:
    """Return the data folder (``data_home``, else ``$PAYGAP_DATA_DIR``, else the system's cache).

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
    """Return ``$PAYGAP_DATA_URL`` ending in ``/``, or None if unset; SettingsError if not http(s).

    Examples
    --------
    >>> from paygap_utils.data.fetch import mirror_url
    >>> base = mirror_url()  # e.g. 'http://192.168.1.10:8000/', or None
    >>> base is None or base.endswith("/")
    True
    """
    base = os.environ.get(DATA_URL_ENV, "").strip()
    fix = (
        "Set it to the mirror's address, e.g. http://192.168.1.10:8000/, or unset "
        f"{DATA_URL_ENV} to download from the internet."
    )
    return _http_base(base, f"${DATA_URL_ENV}", fix) if base else None


def _http_base(url: str, what: str, fix: str) -> str:
    """``url`` ending in ``/``; anything but an http(s) address raises ``SettingsError``."""
    if not re.match(r"https?://[^/@\s]+", url):
        raise SettingsError(f"{what} is {url[:200]!r}, which is not an http(s) address. {fix}")
    return url.rstrip("/") + "/"


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
    """Return the sha256 of the file at ``path`` (:func:`pooch.file_hash`)."""
    import pooch

    return pooch.file_hash(str(path))


def _verified(path: Path, entry: DataFile) -> bool:
    with contextlib.suppress(OSError):
        return path.is_file() and sha256(path) == entry.sha256
    return False


def _clean(text: object, limit: int = 200) -> str:
    """Text a server chose (a reason, an address), without escapes, cut short."""
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Capped(io.FileIO):
    """The file pooch's downloader writes into: it refuses to grow past ``cap`` bytes."""

    cap = 0

    def write(self, chunk: bytes) -> int:
        if self.tell() + len(chunk) > self.cap:
            # Not a ValueError or a requests error, so pooch does not try again.
            raise ChecksumMismatchError(f"it is longer than the pinned copy's {self.cap:,} bytes")
        return super().write(chunk)


def _download(entry: DataFile, progressbar: bool, url: str, output: str, _pooch=None) -> None:
    """pooch's downloader for ``entry``: its HTTP downloader, capped, checked against the pin."""
    import pooch

    download = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT, chunk_size=2**16)
    how = ""
    with _Capped(output, "wb") as file:
        file.cap = entry.size
        try:
            download(url, file, None)
        except ChecksumMismatchError as exc:
            how = str(exc)
    if not how and entry.sha256 and (digest := sha256(output)) != entry.sha256:
        how = f"its sha256 is {digest}, the pin's {entry.sha256}"
    if not how:
        return
    start = Path(output).read_bytes()[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    url = _clean(url, 500)
    if start.startswith((b"<!doctype", b"<html")):
        raise ChecksumMismatchError(
            f"{url} sent a web page, not the {entry.label} CSV file (a Wi-Fi sign-in page or an "
            "error page). Nothing was kept. Open that address in a browser, sign in to the Wi-Fi "
            f"if it asks, and run {_FETCH} again."
        )
    advice = (
        f"The mirror in ${DATA_URL_ENV} ({base}) serves another copy of '{entry.file_name}': "
        f"ask the organiser for a mirror of the pinned files, or unset {DATA_URL_ENV} to "
        "download the pinned copy from the internet."
        if (base := mirror_url())
        else "The pinned URL now serves other bytes. Organisers: re-pin the data with "
        "`python -m paygap_utils.organisers refresh` (docs/organisers.md); everyone else: "
        f"ask for a mirror of the pinned files and set {DATA_URL_ENV} to it."
    )
    raise ChecksumMismatchError(
        f"The {entry.label} file that {url} serves differs from the pinned copy in "
        f"data_manifest.json: {how}. Nothing was kept. {advice}"
    )


def _problem(exc: Exception) -> str:
    import requests

    if (response := getattr(exc, "response", None)) is not None:
        return f"the server answered {response.status_code} {_clean(response.reason, 80)}"
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return f"it redirected to an address that is not http(s) ({_clean(exc)})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"the server did not answer within {TIMEOUT[1]:g} s, three times"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "there is no connection to the server"
    return _clean(exc)


def _failed(entry: DataFile, url: str, exc: Exception) -> DownloadError:
    advice = (
        f"Check that the mirror in ${DATA_URL_ENV} ({base}) is running and serves "
        f"'{entry.file_name}', or unset {DATA_URL_ENV} to use the internet."
        if (base := mirror_url())
        else f"Connect to the internet and run {_FETCH} once (the files are then kept for "
        "offline use), or ask the organiser for the venue mirror and set "
        f"{DATA_URL_ENV} to its address."
    )
    return DownloadError(
        f"Could not download the {entry.label} data from {_clean(url, 500)}: "
        f"{_problem(exc)}. {advice}"
    )


def fetch(
    years: Years = None,
    *,
    progressbar: bool = True,
    data_home: str | Path | None = None,
    manifest: Manifest | None = None,
) -> dict[int, Path]:
    """Download the data files not in the data folder yet; return each year's verified path.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years in any spelling :func:`~paygap_utils.data.manifest.parse_year` accepts.
    progressbar : bool
        Show a progress bar while downloading.
    data_home : str or Path, optional
        Data folder; by default :func:`data_dir`'s.
    manifest : Manifest, optional
        The files to fetch; the installed ``data_manifest.json`` by default.

    Raises
    ------
    YearError, DownloadError, ChecksumMismatchError, DataFolderError
        A year not in the manifest; a file not downloadable, not the pinned copy, or not writable.

    Examples
    --------
    >>> import paygap_utils
    >>> paths = paygap_utils.fetch("2019-20", progressbar=False)
    >>> paths[2019].name
    'UK Gender Pay Gap Data - 2019 to 2020.csv'
    """
    manifest = manifest or read_manifest()
    entries, folder = manifest.select(years), data_dir(data_home)
    paths = {entry.year: folder / entry.file_name for entry in entries}
    # Checking needs no lock: a file is only ever moved into place whole and verified.
    todo = [e for e in entries if not _verified(paths[e.year], e)]
    if not todo:
        return paths
    import pooch
    import requests

    fetcher = pooch.create(
        folder,
        base_url="",
        registry={f.file_name: f"sha256:{f.sha256}" for f in manifest.files},
        urls={f.file_name: file_url(f) for f in manifest.files},
        retry_if_failed=_RETRIES,
    )
    log, level = pooch.get_logger(), pooch.get_logger().level
    log.setLevel("WARNING")  # the progress bar and the errors here say what its lines would
    try:
        with data_lock(folder, "Downloading " + ", ".join(e.label for e in todo)):
            for entry in todo:
                path, url = paths[entry.year], fetcher.get_url(entry.file_name)
                if _verified(path, entry):  # another process downloaded it meanwhile
                    continue
                if os.path.lexists(path):
                    raise ChecksumMismatchError(
                        f"{path} is there but is not the pinned copy of the {entry.label} data "
                        "(its sha256 differs), and this library never replaces a file it cannot "
                        "tell is its own. If it is yours, move it elsewhere; if it is a damaged "
                        f"download, delete it. Then run {_FETCH} again."
                    )
                try:
                    fetcher.fetch(
                        entry.file_name, downloader=partial(_download, entry, progressbar)
                    )
                except requests.exceptions.RequestException as exc:
                    raise _failed(entry, url, exc) from None
                except OSError as exc:
                    raise folder_error(folder, exc, f"Downloading the {entry.label} data") from None
    finally:
        log.setLevel(level)
    return paths


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
    if exc.errno == errno.ELOOP:
        return DataFolderError(
            f"{exc.filename} is a symbolic link, which the library does not write through. "
            "Remove the link and run the command again."
        )
    return DataFolderError(
        f"{doing} could not write in the data folder {folder}: {exc.strerror or exc}. Check "
        f"the folder, or set {DATA_DIR_ENV} to another one, and run the command again."
    )


@contextlib.contextmanager
def data_lock(folder: Path, doing: str) -> Iterator[Path]:
    """Hold the data folder's lock (creating the folder), so that one process writes at a time.

    A dead holder's lock is free; an unwritable folder, or ten minutes' wait: ``DataFolderError``.

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
            held = lock.acquire(timeout=0)
        except Timeout:
            _logger.warning("%s: waiting for another process that is using %s.", doing, folder)
            held = lock.acquire(timeout=_LOCK_WAIT)
    except Timeout:
        raise DataFolderError(
            f"{doing} gave up after waiting {_LOCK_WAIT / 60:.0f} minutes for another process "
            f"using the data folder {folder} (a notebook or a `fetch` in a terminal). Stop it or "
            "restart its kernel, and run the command again."
        ) from None
    except OSError as exc:
        raise folder_error(folder, exc, doing) from None
    with held:  # released on the way out, even by an exception
        yield folder


class FileStatus(NamedTuple):
    """One data file's state: ``"ok"``, ``"missing"`` or ``"damaged"``, and what to do."""

    entry: DataFile
    path: Path
    status: Literal["ok", "missing", "damaged"]
    message: str = ""


def verify(
    years: Years = None, *, data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[FileStatus]:
    """Re-hash the data files against the manifest (arguments as for :func:`fetch`); write nothing.

    Examples
    --------
    >>> import paygap_utils
    >>> _ = paygap_utils.fetch(2019, progressbar=False)
    >>> [s.status for s in paygap_utils.verify(2019)]
    ['ok']
    """
    manifest, folder = manifest or read_manifest(), data_dir(data_home)
    statuses = []
    for entry in manifest.select(years):
        path = folder / entry.file_name
        if not path.is_file():
            status, message = "missing", f"{entry.label} is not downloaded: run {_FETCH}."
        elif _verified(path, entry):
            status, message = "ok", ""
        else:
            status = "damaged"
            message = (
                f"{path} is not the pinned copy of the {entry.label} data: it changed since it "
                "was downloaded, or it is another file of the same name. The source is not to "
                "blame. Move it elsewhere if it is yours, or delete it, then run "
                f"`python -m paygap_utils fetch {entry.label}` to download the pinned copy."
            )
        statuses.append(FileStatus(entry, path, status, message))
    return statuses
