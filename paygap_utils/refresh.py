"""Re-pinning the data for organisers: download the current files and write a new manifest.

The official downloads are regenerated every hour from the live service, so their
checksums go stale. ``python -m paygap_utils refresh`` downloads every year's
current file (from the service or another base URL), records its sha256, size,
rows, layout and as-of date, and writes an updated manifest. Entries whose bytes
did not change keep their pinned URL; changed files must be published somewhere
immutable (``--publish-url``) before the manifest is committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from .clean import as_of, detect_layout, read_raw
from .errors import DownloadError
from .manifest import DataFile, Manifest, missing_entries, parse_manifest
from .settings import check_url, mirror_file_url

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
        lines), ``layout`` (a key of :data:`paygap_utils.schema.LAYOUTS`) and
        ``as_of`` (latest submission date, YYYY-MM-DD).

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.refresh import file_facts
    >>> facts = file_facts(paygap_utils.fetch(2020, progressbar=False)[2020])
    >>> facts["rows"], facts["layout"], facts["as_of"]
    (10383, '27-columns-ymd', '2022-02-13')
    """
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    raw = read_raw(path)
    return {
        "sha256": digest.hexdigest(),
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

    Returns
    -------
    manifest : Manifest
        The updated manifest (validated).
    changes : list of str
        One line per year saying what changed.
    """
    import pooch
    import requests

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if from_url:
        check_url(from_url, what="--from-url")
    if publish_url:
        check_url(publish_url, what="--publish-url")
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=(5, 120))
    files: list[DataFile] = []
    changes: list[str] = []
    # The years the data set lacks (2023-24) are tried too; one that cannot be had stays missing.
    gaps = missing_entries(manifest)
    for entry in (*manifest.files, *gaps):
        url = mirror_file_url(from_url, entry.file_name) if from_url else entry.source_url
        path = dest / entry.file_name
        partial = dest / f".{entry.file_name}.partial"
        try:
            downloader(url, str(partial), None)
            partial.replace(path)
        except requests.exceptions.RequestException as exc:
            if entry in gaps:
                changes.append(f"{entry.label}: still missing ({url} could not be downloaded)")
                continue
            raise DownloadError(
                f"Could not download the {entry.label} data from {url} ({type(exc).__name__}). "
                "Check the address (--from-url) and your connection, then run refresh again; "
                "the manifest was not changed."
            ) from None
        finally:
            partial.unlink(missing_ok=True)
        facts = file_facts(path)
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


def write_manifest(manifest: Manifest, path: str | Path) -> None:
    """Write ``manifest`` as JSON, two-space indented, ending with a newline."""
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")
