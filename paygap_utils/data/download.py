"""Getting the data files onto this computer: download, verify, and keep them.

Every file is pinned in ``data_manifest.json`` by its sha256. A download goes to
a partial file in the data folder's private subfolder (:mod:`paygap_utils.data.datafolder`)
and is moved into place only when the checksum matches, under a lock so that two
kernels fetching at once neither download twice nor see a half-written file.
Every request goes through :mod:`paygap_utils.data.network`. A fetch that has nothing
to download only reads, so it works in a read-only data folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import ChecksumMismatchError, DownloadError, PaygapError
from .datafolder import data_lock, folder_error, partial_file
from .manifest import DataFile, Manifest, Years, read_manifest
from .network import MAX_FILE_BYTES, NetworkError, download, server_text
from .settings import DATA_URL_ENV, data_dir, mirror_file_url, mirror_url

__all__ = [
    "fetch",
    "verify",
    "check_remote",
    "cached_years",
    "file_url",
    "FileStatus",
    "FileState",
    "fetch_file",
    "sha256",
]


def file_url(entry: DataFile) -> str:
    """Return the URL ``entry`` is downloaded from: the mirror's if one is set.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.data.download import file_url
    >>> file_url(read_manifest().file(2017)).startswith("http")
    True
    """
    base = mirror_url()
    return mirror_file_url(base, entry.file_name) if base else entry.url


def sha256(path: str | Path) -> str:
    """Return the sha256 of the file at ``path``, read 1 MB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_verified(path: Path, entry: DataFile) -> bool:
    try:
        return path.is_file() and sha256(path) == entry.sha256
    except OSError:
        return False


def _looks_like_a_web_page(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            start = handle.read(512)
    except OSError:
        return False
    start = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))


def _advice() -> str:
    if os.environ.get(DATA_URL_ENV):
        return (
            f"The mirror in ${DATA_URL_ENV} may serve a different version of the file: ask the "
            f"organiser, or unset {DATA_URL_ENV} to download from the pinned URL."
        )
    return (
        "The file at that URL has changed since the manifest was written. Organisers: run "
        "`python -m paygap_utils refresh` to re-pin the data (see docs/organisers.md)."
    )


def _mismatch_message(entry: DataFile, url: str, actual: str, download: Path) -> str:
    shown = server_text(url, 500)
    if _looks_like_a_web_page(download):
        return (
            f"The server at {shown} sent a web page, not the {entry.label} CSV file (a Wi-Fi "
            "sign-in page or an error page). Nothing was kept. Open that address in a browser, "
            "sign in to the Wi-Fi if it asks, and run `python -m paygap_utils fetch` again; "
            f"if a mirror is set in ${DATA_URL_ENV}, check that it serves '{entry.file_name}'."
        )
    return (
        f"The file downloaded for {entry.label} from {shown} is not the file data_manifest.json "
        f"pins: '{entry.file_name}' should have sha256 {entry.sha256} but has {actual}. The "
        f"download was deleted; nothing was kept in the cache. {_advice()}"
    )


def _download_error(entry: DataFile, url: str, exc: NetworkError) -> DownloadError:
    where = server_text(url, 500)
    if exc.url != url:
        where += f" (redirected to {server_text(exc.url, 200)})"
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
        f"Could not download the {entry.label} data from {where}: {exc.problem}. {advice}"
    )


def fetch_file(entry: DataFile, folder: Path, progressbar: bool) -> Path:
    """Return the verified file of ``entry`` in ``folder``, downloading it if needed.

    The caller holds :func:`~paygap_utils.data.datafolder.data_lock` on ``folder``. A
    cached file whose checksum is wrong is replaced.
    """
    path = folder / entry.file_name
    if _is_verified(path, entry):
        return path
    url = file_url(entry)
    doing = f"Downloading the {entry.label} data"
    try:
        with partial_file(folder, entry.file_name, doing) as partial:
            try:
                download(url, partial, max_bytes=entry.size, progressbar=progressbar)
            except NetworkError as exc:
                raise _download_error(entry, url, exc) from None
            actual = sha256(partial)
            if actual != entry.sha256:
                raise ChecksumMismatchError(_mismatch_message(entry, url, actual, partial))
            os.replace(partial, path)
    except PaygapError:
        raise
    except OSError as exc:
        raise folder_error(folder, exc, doing) from None
    return path


def fetch(
    years: Years = None,
    *,
    progressbar: bool = True,
    data_home: str | Path | None = None,
    manifest: Manifest | None = None,
) -> dict[int, Path]:
    """Download the data files that are not cached yet, and verify every one.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years (any spelling :func:`~paygap_utils.data.manifest.parse_year`
        accepts); all years by default.
    progressbar : bool
        Show a progress bar while downloading.
    data_home : str or Path, optional
        Data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder
        (:func:`~paygap_utils.data.settings.data_dir`).
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
        When a file is not cached and cannot be downloaded.
    ChecksumMismatchError
        When a downloaded file is not the file the manifest pins.
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
    todo = [e for e in entries if not _is_verified(folder / e.file_name, e)]
    if todo:
        doing = "Downloading " + ", ".join(e.label for e in todo)
        with data_lock(folder, doing):
            for entry in todo:
                fetch_file(entry, folder, progressbar)
    return {entry.year: folder / entry.file_name for entry in entries}


#: What :func:`verify` and :func:`check_remote` found for a file (see :class:`FileStatus`).
FileState = Literal["ok", "missing", "damaged", "changed", "unreachable"]


@dataclass(frozen=True)
class FileStatus:
    """The state of one data file.

    ``status`` is ``"ok"``, ``"missing"`` or ``"damaged"`` (the local copy changed)
    from :func:`verify`, and ``"ok"``, ``"changed"`` (the source serves other bytes)
    or ``"unreachable"`` from :func:`check_remote`; ``message`` says what to do.
    """

    entry: DataFile
    path: Path
    status: FileState
    sha256: str | None = None
    message: str = ""


def verify(
    years: Years = None, *, data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[FileStatus]:
    """Re-hash the cached data files against the manifest, without downloading anything.

    A file that fails is the local copy's fault (damaged or edited on this
    computer) and ``fetch`` repairs it; whether the source itself changed is
    what :func:`check_remote` tells. Nothing is written, so this works in a
    read-only data folder.

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
        repair = f"Run `python -m paygap_utils fetch {entry.label}` to download it again."
        if not path.is_file():
            message = f"{entry.label} is not downloaded: run `python -m paygap_utils fetch`."
            statuses.append(FileStatus(entry, path, "missing", message=message))
            continue
        try:
            actual = sha256(path)
        except OSError as exc:
            message = f"The downloaded file for {entry.label} ({path}) cannot be read: "
            message += f"{exc.strerror or exc}. {repair}"
            statuses.append(FileStatus(entry, path, "damaged", message=message))
            continue
        if actual == entry.sha256:
            statuses.append(FileStatus(entry, path, "ok", actual))
            continue
        message = (
            f"The downloaded file for {entry.label} ({path}) has changed on this computer since "
            f"it was downloaded and checked: it should have sha256 {entry.sha256} but has "
            f"{actual}. The local copy was damaged or edited; the source is not to blame. "
            f"{repair} (the damaged copy is replaced)."
        )
        statuses.append(FileStatus(entry, path, "damaged", actual, message))
    return statuses


def check_remote(years: Years = None, *, manifest: Manifest | None = None) -> list[FileStatus]:
    """Download every file afresh into a temporary folder and compare it with the manifest.

    This is the stale-checksum alarm: run it on a schedule so that a pinned URL
    whose bytes changed is noticed before an event, not during it. The data
    folder is not touched.

    Returns
    -------
    list of FileStatus
        ``status`` is ``"ok"``, ``"changed"`` (the URL serves other bytes:
        organisers run ``refresh``) or ``"unreachable"``.

    Examples
    --------
    >>> from paygap_utils.data.download import check_remote
    >>> [s.status for s in check_remote(2019)]
    ['ok']
    """
    manifest = manifest or read_manifest()
    results = []
    with tempfile.TemporaryDirectory(prefix="paygap-check-") as tmp:
        for entry in manifest.select(years):
            url = file_url(entry)
            path = Path(tmp) / f"{entry.year}.csv"
            try:
                download(url, path, max_bytes=MAX_FILE_BYTES)
            except NetworkError as exc:
                error = _download_error(entry, url, exc)
                results.append(FileStatus(entry, path, "unreachable", message=str(error)))
                continue
            actual = sha256(path)
            if actual == entry.sha256:
                results.append(FileStatus(entry, path, "ok", actual))
                continue
            web_page = " It is a web page, not a CSV file." if _looks_like_a_web_page(path) else ""
            message = (
                f"{server_text(url, 500)} now serves other bytes than data_manifest.json pins for "
                f"{entry.label}: sha256 {actual} instead of {entry.sha256}.{web_page} The source "
                f"changed, not this computer. {_advice()}"
            )
            results.append(FileStatus(entry, path, "changed", actual, message))
    return results


def cached_years(
    data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[int]:
    """Return the years whose file is in the data folder (not re-hashed)."""
    manifest = manifest or read_manifest()
    folder = data_dir(data_home)
    return [f.year for f in manifest.files if (folder / f.file_name).is_file()]
