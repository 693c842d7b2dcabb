"""Re-pinning the data for organisers: download the current files and write a new manifest."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .._files import write_file
from ..data.clean import as_of, detect_layout, read_raw
from ..data.fetch import _download, _failed, _http_base, folder_error, sha256
from ..data.manifest import SCHEMA_PATH, DataFile, Manifest, parse_year
from ..data.schema import LAYOUTS
from ..errors import DataFolderError, DataFormatError, DownloadError, ManifestError, PaygapError

__all__ = ["MAX_FILE_BYTES", "file_facts", "check_manifest", "refresh_manifest", "write_manifest"]

#: A download's cap where its size is not known yet: the largest file is about 5 MB.
MAX_FILE_BYTES = 200 * 2**20
_RESTORE = "Restore it with `git checkout data_manifest.json`, or run refresh again."
_UNMEASURED = {"sha256": "", "size": 0, "rows": 0, "layout": "", "as_of": ""}
_ADDED = (
    "Added by `python -m paygap_utils.organisers refresh` from the service's download; its file "
    "is regenerated hourly, so publish this copy (--publish-url) before committing the manifest."
)


def file_facts(path: str | Path) -> dict[str, Any]:
    """Measure one downloaded file: sha256, size, data rows, layout and as-of date.

    ``rows`` counts records, not lines; ``as_of`` is the latest submission date.

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


def check_manifest(raw: Any, source: str = "data_manifest.json") -> None:
    """Check a manifest against its JSON Schema, and what a schema cannot say.

    (each year and file name once, layouts ``layouts.json`` describes), with ``jsonschema``.
    A problem raises ``ManifestError``, naming the entry and field and how to restore it.

    Examples
    --------
    >>> import json
    >>> from paygap_utils.data.manifest import manifest_path
    >>> from paygap_utils.organisers.refresh import check_manifest
    >>> raw = json.loads(manifest_path().read_text())
    >>> check_manifest(raw)
    >>> raw["files"][1]["sha256"] = "abc"
    >>> check_manifest(raw)
    Traceback (most recent call last):
    ...
    paygap_utils.errors.ManifestError: data_manifest.json, at files/1/sha256: 'abc' does not ...
    """
    try:
        import jsonschema
    except ImportError:
        raise ManifestError(
            "Checking the manifest needs jsonschema: `pip install jsonschema`, and run again."
        ) from None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:  # the schema's draft, and its best match among the errors
        jsonschema.validate(raw, schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as error:
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        raise ManifestError(f"{source}, at {where}: {error.message[:300]}. {_RESTORE}") from None
    seen: set = set()
    for index, entry in enumerate([*raw["files"], *raw.get("missing", [])]):
        where = f"{source}: {'file' if index < len(raw['files']) else 'missing'} {entry['year']}"
        try:
            year = parse_year(entry["year"])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc} {_RESTORE}") from None
        name, layout = entry.get("file_name"), entry.get("layout")
        for problem, found in (
            ("the year is listed twice", year in seen),
            ("the file name is listed twice", name is not None and name in seen),
            (f"the layout {layout!r} is not in layouts.json", layout not in (None, *LAYOUTS)),
        ):
            if found:
                raise ManifestError(f"{where}: {problem}. {_RESTORE}")
        seen |= {year, name} - {None}


def refresh_manifest(
    manifest: Manifest,
    dest: str | Path,
    *,
    from_url: str | None = None,
    publish_url: str | None = None,
    progressbar: bool = True,
    max_bytes: int = MAX_FILE_BYTES,
) -> tuple[Manifest, list[str]]:
    """Download every year's current file into ``dest``; return the new manifest and its changes.

    Each file is checked to be a Gender Pay Gap CSV before any reaches ``dest``, where a file
    that is not a copy of the data is never replaced. The years the manifest lacks are tried.

    Parameters
    ----------
    manifest : Manifest
        The current manifest; its years, names and official URLs are kept.
    dest : str or Path
        Folder to download into (created if needed); publish its files.
    from_url, publish_url : str, optional
        Base URL to download from (by default each ``source_url``), and where the files will
        be published (a changed entry's ``url``; by default the URL it came from).
    progressbar : bool
        Show a progress bar for each download.
    max_bytes : int
        Stop a download that sends more than this (a server that never stops).

    Raises
    ------
    DownloadError, DataFormatError
        A year that cannot be downloaded, or is not a Gender Pay Gap CSV; nothing is changed.

    Examples
    --------
    >>> import tempfile
    >>> from paygap_utils.data.manifest import read_manifest
    >>> from paygap_utils.organisers.refresh import refresh_manifest
    >>> refresh_manifest(read_manifest(), tempfile.mkdtemp(), from_url="file:///x")
    Traceback (most recent call last):
    ...
    paygap_utils.errors.SettingsError: --from-url is 'file:///x', which is not an http(s) address...
    """
    dest = Path(dest)
    from_url = from_url and _http_base(from_url, "--from-url", "Fix it and run again.")
    publish_url = publish_url and _http_base(publish_url, "--publish-url", "Fix it and run again.")
    gaps = []  # the years the data lacks, tried too
    for gap in manifest.missing:
        year, deadline = parse_year(gap["year"]), date.fromisoformat(gap["deadline"])
        url = manifest.source_url_template.format(year=year)
        name = f"UK Gender Pay Gap Data - {year} to {year + 1}.csv"  # the service's name
        gaps.append(DataFile(year, name, url, url, **_UNMEASURED, deadline=deadline, notes=_ADDED))
    files, changes, staged = [], [], []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest, prefix=".paygap-refresh-") as staging:
            for entry in [*manifest.files, *gaps]:
                url = from_url + quote(entry.file_name) if from_url else entry.source_url
                path = Path(staging) / entry.file_name
                try:
                    facts = _stage(entry, url, path, progressbar, max_bytes)
                except (DownloadError, DataFormatError) as exc:
                    if entry not in gaps:
                        unchanged = f"Nothing in {dest} and not the manifest was changed."
                        raise type(exc)(f"{exc} {unchanged}") from None
                    reason = "no GPG CSV" if isinstance(exc, DataFormatError) else "no download"
                    changes.append(f"{entry.label}: still missing ({reason} from {url})")
                    continue
                staged.append((path, dest / entry.file_name))
                if facts["sha256"] == entry.sha256:
                    files.append(entry)
                    changes.append(f"{entry.label}: unchanged ({entry.rows} rows)")
                    continue
                new_url = publish_url + quote(entry.file_name) if publish_url else url
                files.append(replace(entry, url=new_url, **facts))
                changes.append(
                    f"{entry.label}: added, {facts['rows']} rows, as of {facts['as_of']}"
                    if entry in gaps
                    else f"{entry.label}: changed, {entry.rows} -> {facts['rows']} rows, "
                    f"as of {facts['as_of']}, sha256 {facts['sha256'][:12]}..."
                )
            for path, target in staged:  # each target is a copy of the data (see _stage)
                write_file(target, path.read_bytes(), replace=True)
    except PaygapError:
        raise
    except OSError as exc:
        raise folder_error(dest, exc, "Refreshing the data") from None
    have = {f.year for f in files}
    missing = tuple(g for g in manifest.missing if parse_year(g["year"]) not in have)
    updated = replace(manifest, files=tuple(sorted(files, key=lambda f: f.year)), missing=missing)
    check_manifest(updated.to_json(), source="the refreshed manifest")
    return updated, changes


def _stage(entry: DataFile, url: str, path: Path, progressbar: bool, max_bytes: int) -> dict:
    """Download one year into ``path`` and measure it: a GPG CSV, whose target may be replaced."""
    import requests

    try:
        _download(replace(entry, sha256="", size=max_bytes), progressbar, url, str(path))
    except PaygapError:  # without a pin, the size cap is the one check a download fails
        raise DownloadError(
            f"{url} sent more than the {max_bytes:,} bytes expected for {entry.label}; the "
            "download was stopped."
        ) from None
    except requests.exceptions.RequestException as exc:
        raise DownloadError(
            f"{_failed(entry, url, exc)} (refresh: check --from-url and your connection.)"
        ) from None
    try:
        facts = file_facts(path)
    except (PaygapError, ValueError) as exc:
        raise DataFormatError(
            f"What {url} sent for {entry.label} is not a Gender Pay Gap CSV ({str(exc)[:300]}). "
            "Open the address in a browser to see what it serves, then run refresh again."
        ) from None
    target = path.parent.parent / entry.file_name
    if os.path.lexists(target) and (
        target.is_symlink() or sha256(target) not in (entry.sha256, facts["sha256"])
    ):
        raise DataFolderError(
            f"{target} is not a copy of the {entry.label} data, so refresh does not replace it. "
            "Nothing was changed. Move it away, or give another --dest, and run again."
        )
    return facts


def write_manifest(manifest: Manifest, path: str | Path) -> None:
    """Check ``manifest`` and write it as JSON in one step, never over a file that is not one.

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
    raw = manifest.to_json()
    check_manifest(raw, source=str(path))
    mark = f'"$schema": "{raw["$schema"]}"'  # in every manifest this writes, and no other file
    text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
    try:
        write_file(path, text, replace=lambda old: mark in old.read_text(errors="replace"))
    except FileExistsError as exc:
        raise DataFolderError(str(exc)) from None
    except OSError as exc:
        raise folder_error(Path(path).parent, exc, f"Writing {path}") from None
