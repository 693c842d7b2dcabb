"""Getting the data files onto this computer: download with pooch, verify, cache, lock.

Every file is pinned in ``data_manifest.json`` by its sha256. Downloads go to a
temporary file in the data folder and are moved into place only when the checksum
matches, under a lock so that two kernels fetching at once neither download twice
nor see a half-written file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ChecksumMismatchError, DownloadError
from .manifest import DataFile, Manifest, read_manifest
from .settings import DATA_URL_ENV, data_dir, mirror_file_url, mirror_url

__all__ = [
    "fetch",
    "verify",
    "check_remote",
    "cached_years",
    "file_url",
    "data_lock",
    "FileStatus",
]

logger = logging.getLogger("paygap_utils")

#: Network retries after a failed attempt (pooch waits 1 s, then 2 s).
RETRIES = 2
#: Seconds to wait for a connection, and for each chunk once connected.
TIMEOUT = (5, 60)
LOCK_NAME = ".paygap.lock"
# tempfile's names in the data folder: pooch's partial downloads, our partial parquet files.
_TEMP_PATTERN = re.compile(r"^(tmp[a-z0-9_]{6,}|\..+\.partial)$")


def file_url(entry: DataFile) -> str:
    """Return the URL ``entry`` is downloaded from: the mirror's if one is set.

    Examples
    --------
    >>> from paygap_utils.manifest import read_manifest
    >>> from paygap_utils.download import file_url
    >>> file_url(read_manifest().file(2017)).startswith("http")
    True
    """
    base = mirror_url()
    return mirror_file_url(base, entry.file_name) if base else entry.url


@contextlib.contextmanager
def data_lock(folder: Path) -> Iterator[Path]:
    """Hold the data folder's lock, creating the folder; clean up orphaned partial files.

    Files left behind by a download or cache write that was killed are removed
    here, while no other process can be writing them.

    Yields
    ------
    pathlib.Path
        The data folder.
    """
    from filelock import FileLock, Timeout

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"Cannot create the data folder {folder}: {exc.strerror}. Set PAYGAP_DATA_DIR "
            "to a folder you can write to and try again."
        ) from None
    lock = FileLock(str(folder / LOCK_NAME), timeout=900)
    try:
        with lock:
            for leftover in folder.iterdir():
                if _TEMP_PATTERN.match(leftover.name) and leftover.is_file():
                    logger.info("Removing %s left by an interrupted download.", leftover)
                    leftover.unlink(missing_ok=True)
            yield folder
    except Timeout:
        raise DownloadError(
            f"Another process has held the lock {folder / LOCK_NAME} for 15 minutes. If no other "
            "notebook or terminal is downloading the data, delete that file and try again."
        ) from None


class _CheckedDownloader:
    """pooch downloader that checks the sha256 itself, so a mismatch is reported, not retried."""

    def __init__(self, entry: DataFile, progressbar: bool):
        import pooch

        self.entry = entry
        self._http = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT)

    def __call__(self, url: str, output_file: str, pooch_obj: Any) -> None:
        import pooch

        self._http(url, output_file, pooch_obj)
        actual = pooch.file_hash(output_file)
        if actual != self.entry.sha256:
            raise ChecksumMismatchError(_mismatch_message(self.entry, url, actual, downloaded=True))


def _mismatch_message(entry: DataFile, url: str, actual: str, downloaded: bool) -> str:
    if downloaded:
        what = f"The file downloaded for {entry.label} from {url}"
        gone = " The download was deleted; nothing was kept in the cache."
    else:
        what = f"The cached file for {entry.label}"
        gone = ""
    if os.environ.get(DATA_URL_ENV):
        advice = (
            f"The mirror in ${DATA_URL_ENV} may serve a different version of the file: ask the "
            f"organiser, or unset {DATA_URL_ENV} to download from the pinned URL."
        )
    else:
        advice = (
            "The file at that URL has changed since the manifest was written. Organisers: run "
            "`python -m paygap_utils refresh` to re-pin the data (see docs/organisers.md)."
        )
    return (
        f"{what} is not the file data_manifest.json pins: '{entry.file_name}' should have "
        f"sha256 {entry.sha256} but has {actual}.{gone} {advice}"
    )


def _download_error(entry: DataFile, url: str, exc: Exception) -> DownloadError:
    import requests

    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        problem = f"the server answered {exc.response.status_code} {exc.response.reason}"
    elif isinstance(exc, requests.exceptions.Timeout):
        problem = "the server did not answer in time"
    else:
        problem = "there is no connection to the server"
    if os.environ.get(DATA_URL_ENV):
        advice = (
            f"Check that the mirror in ${DATA_URL_ENV} is running and serves "
            f"'{entry.file_name}', or unset {DATA_URL_ENV} to use the internet."
        )
    else:
        advice = (
            "Connect to the internet and run `python -m paygap_utils fetch` once (the files are "
            "then kept for offline use), or ask the organiser for the venue mirror and set "
            f"{DATA_URL_ENV} to its address."
        )
    return DownloadError(
        f"Could not download the {entry.label} data from {url}: {problem}. {advice}"
    )


def fetch_file(entry: DataFile, folder: Path, progressbar: bool) -> Path:
    import pooch
    import requests

    url = file_url(entry)
    store = pooch.create(
        path=folder,
        base_url="",
        registry={entry.file_name: f"sha256:{entry.sha256}"},
        urls={entry.file_name: url},
        retry_if_failed=RETRIES,
    )
    try:
        path = store.fetch(entry.file_name, downloader=_CheckedDownloader(entry, progressbar))
    except requests.exceptions.RequestException as exc:
        raise _download_error(entry, url, exc) from None
    return Path(path)


@contextlib.contextmanager
def quiet_pooch() -> Iterator[None]:
    # pooch logs every download at INFO; our progress bar and errors say it better.
    import pooch

    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        pooch_logger.setLevel(level)


def fetch(
    years: Any = None,
    *,
    progressbar: bool = True,
    data_home: str | Path | None = None,
    manifest: Manifest | None = None,
) -> dict[int, Path]:
    """Download the data files that are not cached yet, and verify every one.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years (any spelling :func:`~paygap_utils.manifest.parse_year`
        accepts); all years by default.
    progressbar : bool
        Show a progress bar while downloading.
    data_home : str or Path, optional
        Data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder
        (:func:`~paygap_utils.settings.data_dir`).
    manifest : Manifest, optional
        The files to fetch; the installed ``data_manifest.json`` by default.

    Returns
    -------
    dict
        Path of each year's verified file, keyed by first year.

    Raises
    ------
    ValueError
        For a year that is not in the manifest.
    DownloadError
        When a file is not cached and cannot be downloaded.
    ChecksumMismatchError
        When a downloaded file is not the file the manifest pins.

    Examples
    --------
    >>> import paygap_utils
    >>> paths = paygap_utils.fetch("2019-20", progressbar=False)
    >>> paths[2019].name
    'UK Gender Pay Gap Data - 2019 to 2020.csv'
    """
    manifest = manifest or read_manifest()
    entries = manifest.select(years)
    with data_lock(data_dir(data_home)) as folder, quiet_pooch():
        return {entry.year: fetch_file(entry, folder, progressbar) for entry in entries}


@dataclass(frozen=True)
class FileStatus:
    """The state of one data file: ``"ok"``, ``"missing"`` or ``"mismatch"``."""

    entry: DataFile
    path: Path
    status: str
    sha256: str | None = None
    message: str = ""


def verify(
    years: Any = None, *, data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[FileStatus]:
    """Re-hash the cached data files against the manifest, without downloading anything.

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
        ``"mismatch"`` and ``message`` says what to do about it.

    Examples
    --------
    >>> import paygap_utils
    >>> _ = paygap_utils.fetch(2019, progressbar=False)
    >>> [s.status for s in paygap_utils.verify(2019)]
    ['ok']
    """
    import pooch

    manifest = manifest or read_manifest()
    folder = data_dir(data_home)
    statuses = []
    for entry in manifest.select(years):
        path = folder / entry.file_name
        if not path.is_file():
            statuses.append(
                FileStatus(
                    entry,
                    path,
                    "missing",
                    message=(
                        f"{entry.label} is not downloaded: run `python -m paygap_utils fetch`."
                    ),
                )
            )
            continue
        actual = pooch.file_hash(str(path))
        if actual == entry.sha256:
            statuses.append(FileStatus(entry, path, "ok", actual))
        else:
            message = _mismatch_message(entry, str(path), actual, downloaded=False)
            message += (
                f" Delete {path} and run `python -m paygap_utils fetch` to download it again."
            )
            statuses.append(FileStatus(entry, path, "mismatch", actual, message))
    return statuses


def check_remote(years: Any = None, *, manifest: Manifest | None = None) -> list[FileStatus]:
    """Download every file afresh into a temporary folder and compare it with the manifest.

    This is the stale-checksum alarm: run it on a schedule so that a pinned URL
    whose bytes changed is noticed before an event, not during it. The cache is
    not touched.

    Returns
    -------
    list of FileStatus
        ``status`` is ``"ok"``, ``"mismatch"`` or ``"unreachable"``.
    """
    manifest = manifest or read_manifest()
    results = []
    with tempfile.TemporaryDirectory(prefix="paygap-check-") as tmp:
        for entry in manifest.select(years):
            try:
                fetch(entry.year, progressbar=False, data_home=tmp, manifest=manifest)
                results.append(FileStatus(entry, Path(tmp), "ok", entry.sha256))
            except ChecksumMismatchError as exc:
                results.append(FileStatus(entry, Path(tmp), "mismatch", message=str(exc)))
            except DownloadError as exc:
                results.append(FileStatus(entry, Path(tmp), "unreachable", message=str(exc)))
    return results


def cached_years(
    data_home: str | Path | None = None, manifest: Manifest | None = None
) -> list[int]:
    """Return the years whose file is in the data folder (not re-hashed)."""
    manifest = manifest or read_manifest()
    folder = data_dir(data_home)
    return [f.year for f in manifest.files if (folder / f.file_name).is_file()]
