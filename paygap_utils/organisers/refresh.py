"""Re-pinning the data for organisers: download the current files and write a new manifest.

The official downloads are regenerated every hour from the live service, so their
checksums go stale. ``python -m paygap_utils refresh`` downloads every year's
current file (from the service or another base URL), records its sha256, size,
rows, layout and as-of date, and writes an updated manifest. Entries whose bytes
did not change keep their pinned URL; changed files must be published somewhere
immutable (``--publish-url``) before the manifest is committed.

Every file is downloaded into the library's private subfolder of ``--dest`` and
read as a Gender Pay Gap CSV there; only when every year has passed are the
files moved into ``--dest``, so a failure (an HTML error page, a dropped
connection) leaves the files already there as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from ..data.clean import as_of, detect_layout, read_raw
from ..data.datafolder import PRIVATE_DIR, folder_error, partial_file
from ..data.download import sha256
from ..data.manifest import DataFile, Manifest, missing_entries, parse_manifest
from ..data.network import MAX_FILE_BYTES, NetworkError, download, server_text
from ..data.settings import check_url, mirror_file_url
from ..errors import DataFormatError, DownloadError, PaygapError

__all__ = ["file_facts", "refresh_manifest", "write_manifest"]


def file_facts(path: str | Path) -> dict[str, object]:
    """Measure one downloaded file: sha256, size, data rows, layout and as-of date.

    Parameters
    ----------
    path : str or Path
        A CSV from the Gender Pay Gap Service.

    Returns
    -------
    dict
        ``sha256``, ``size`` (bytes), ``rows`` (records, not lines: fields span
        lines), ``layout`` (a key of :data:`paygap_utils.data.schema.LAYOUTS`) and
        ``as_of`` (latest submission date, YYYY-MM-DD).

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.organisers.refresh import file_facts
    >>> facts = file_facts(paygap_utils.fetch(2020, progressbar=False)[2020])
    >>> facts["rows"], facts["layout"], facts["as_of"]
    (10383, '27-columns-ymd', '2022-02-13')
    """
    path = Path(path)
    raw = read_raw(path)
    return {
        "sha256": sha256(path),
        "size": path.stat().st_size,
        "rows": len(raw),
        "layout": detect_layout(path, raw).name,
        "as_of": as_of(path, raw) or "",
    }


def refresh_manifest(
    manifest: Manifest,
    dest: str | Path,
    *,
    from_url: str | None = None,
    publish_url: str | None = None,
    progressbar: bool = True,
    max_bytes: int = MAX_FILE_BYTES,
) -> tuple[Manifest, list[str]]:
    """Download every year's current file into ``dest`` and return an updated manifest.

    Parameters
    ----------
    manifest : Manifest
        The current manifest; its years, names and official URLs are kept.
    dest : str or Path
        Folder to download into (created if needed). Publish its files.
    from_url : str, optional
        Base URL to download from (files by name); by default each year's
        official ``source_url``.
    publish_url : str, optional
        Base URL where the new files will be published; changed entries get
        ``publish_url + file name`` as their ``url``. Without it, changed entries
        point at the URL they were downloaded from, which may change again.
    progressbar : bool
        Show a progress bar for each download.
    max_bytes : int
        Stop a download that sends more than this (a server that never stops).

    Returns
    -------
    manifest : Manifest
        The updated manifest (validated).
    changes : list of str
        One line per year saying what changed.

    Raises
    ------
    DownloadError
        If a year cannot be downloaded; ``dest`` and the manifest are unchanged.
    DataFormatError
        If a download is not a Gender Pay Gap CSV (e.g. an error page); likewise.
    """
    dest = Path(dest)
    if from_url:
        check_url(from_url, what="--from-url")
    if publish_url:
        check_url(publish_url, what="--publish-url")
    # The years the data set lacks (2023-24) are tried too; one that cannot be had stays missing.
    gaps = missing_entries(manifest)
    changes: list[str] = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as partials:
            staged = [
                _stage(entry, from_url, dest, partials, progressbar, max_bytes)
                for entry in manifest.files
            ]
            for entry in gaps:
                try:
                    staged.append(_stage(entry, from_url, dest, partials, progressbar, max_bytes))
                except (DownloadError, DataFormatError) as exc:
                    reason = "no GPG CSV" if isinstance(exc, DataFormatError) else "no download"
                    changes.append(f"{entry.label}: still missing ({reason} from {entry.url})")
            # Every year passed: only now is anything in dest replaced.
            for entry, _url, partial, _facts in staged:
                os.replace(partial, dest / entry.file_name)
    except PaygapError:
        raise
    except OSError as exc:
        raise folder_error(dest, exc, "Refreshing the data") from None
    finally:
        with contextlib.suppress(OSError):
            (dest / PRIVATE_DIR).rmdir()  # only if empty: it may hold another process's files
    files: list[DataFile] = []
    for entry, url, _partial, facts in staged:
        if facts["sha256"] == entry.sha256:
            files.append(entry)
            changes.append(f"{entry.label}: unchanged ({entry.rows} rows)")
            continue
        new_url = mirror_file_url(publish_url, entry.file_name) if publish_url else url
        files.append(replace(entry, url=new_url, **facts))
        if entry in gaps:
            changes.append(f"{entry.label}: added, {facts['rows']} rows, as of {facts['as_of']}")
            continue
        changes.append(
            f"{entry.label}: changed, {entry.rows} -> {facts['rows']} rows, "
            f"as of {facts['as_of']}, sha256 {facts['sha256'][:12]}..."
        )
    updated = replace(manifest, files=tuple(sorted(files, key=lambda f: f.year)))
    return parse_manifest(updated.to_json(), source="refreshed manifest"), changes


def _stage(
    entry: DataFile,
    from_url: str | None,
    dest: Path,
    partials: contextlib.ExitStack,
    progressbar: bool,
    max_bytes: int,
) -> tuple[DataFile, str, Path, dict[str, object]]:
    """Download one year into the private subfolder of ``dest`` and check it is a GPG CSV."""
    url = mirror_file_url(from_url, entry.file_name) if from_url else entry.source_url
    doing = f"Refreshing the {entry.label} data"
    partial = partials.enter_context(partial_file(dest, entry.file_name, doing))
    unchanged = f"Nothing in {dest} and not the manifest was changed."
    try:
        download(url, partial, max_bytes=max_bytes, progressbar=progressbar)
    except NetworkError as exc:
        raise DownloadError(
            f"Could not download the {entry.label} data from {server_text(url, 500)}: "
            f"{exc.problem}. Check the address (--from-url) and your connection, then run "
            f"refresh again. {unchanged}"
        ) from None
    try:
        facts = file_facts(partial)
    except (PaygapError, ValueError, UnicodeError) as exc:
        raise DataFormatError(
            f"What {server_text(url, 500)} sent for {entry.label} is not a Gender Pay Gap CSV "
            f"({server_text(exc, 300)}). {unchanged} Open the address in a browser to see what "
            "it serves, then run refresh again."
        ) from None
    return entry, url, partial, facts


def write_manifest(manifest: Manifest, path: str | Path) -> None:
    """Write ``manifest`` as JSON, two-space indented, ending with a newline.

    The file is replaced in one step, so an error leaves the old manifest whole.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.organisers.refresh import write_manifest
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data_manifest.json"
    >>> write_manifest(read_manifest(), path)
    >>> json.loads(path.read_text())["files"][0]["year"]
    '2017-18'
    """
    path = Path(path)
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=path.parent,
            prefix=f".{path.name}.",
            suffix=".partial",
            delete=False,
        )
    except OSError as exc:
        raise folder_error(path.parent, exc, f"Writing {path}") from None
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError as exc:
        raise folder_error(path.parent, exc, f"Writing {path}") from None
    finally:
        Path(handle.name).unlink(missing_ok=True)
