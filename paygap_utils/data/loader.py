"""One clean table for all reporting years: :func:`load`.

Each year's file is cleaned on its own (:mod:`paygap_utils.data.clean`); what needs all
years at once (duplicates, links, public sector, places) is in
:mod:`paygap_utils.data.across_years`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from .across_years import (
    drop_duplicates,
    fill_places,
    link_employers,
    public_sector_from_other_years,
)
from .cache import as_cached, cache_path, check_columns, read_cache, write_cache
from .clean import read_year
from .datafolder import data_lock
from .download import fetch_file
from .manifest import Manifest, Years, _mark_checked, read_manifest, year_label
from .schema import COLUMNS, DERIVED_COLUMNS
from .settings import data_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load"]

_logger = logging.getLogger("paygap_utils")


def load(
    years: Years = None,
    *,
    columns: Sequence[str] | None = None,
    data_home: str | Path | None = None,
    progressbar: bool = True,
    manifest: Manifest | None = None,
) -> pd.DataFrame:
    """Load the Gender Pay Gap data for the requested years as one clean table.

    The files are downloaded and verified on first use, cleaned once, and the
    cleaned table of all years is cached, so later calls read it in a fraction
    of a second, with no network.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years, e.g. ``2021``, ``"2021-22"`` or ``["2019/20", 2020]``;
        all years by default.
    columns : list of str, optional
        Only these columns, in this order (see :func:`paygap_utils.columns`); all
        by default. Reading fewer columns is faster and leaves more memory for
        the analysis.
    data_home : str or Path, optional
        Data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder.
    progressbar : bool
        Show a progress bar while downloading.
    manifest : Manifest, optional
        The files to use; the installed ``data_manifest.json`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per employer and year. The official columns in snake_case
        (missing values where a year's layout lacks a column), ``year`` (first
        year of the reporting year) and derived columns; see
        :func:`paygap_utils.columns` for what each means. Where an employer filed
        twice in a year, only its latest submission is kept.
        ``DataFrame.attrs`` holds the provenance: ``files`` (per year: name, URL,
        checksum, ``as_of``, ``days_after_deadline``, ``rows`` in this table and
        the file's ``notes``), ``missing_years`` (years inside the span loaded that
        the data lacks), licence and attribution, ``duplicates_removed`` and
        ``impossible_values`` (rows per check, per year).

    Raises
    ------
    ValueError
        For a year that is not in the data (the message lists the years there
        are), or a column that is not in the table.
    DownloadError
        When a file is not cached and cannot be downloaded.
    ChecksumMismatchError
        When a downloaded file is not the file the manifest pins.

    Examples
    --------
    >>> import paygap_utils
    >>> df = paygap_utils.load("2021-22", progressbar=False)
    >>> df["year"].unique().tolist()
    [2021]
    >>> df.attrs["licence"]
    'Open Government Licence v3.0'
    >>> print(f"{df['diff_median_hourly_percent'].median():.1f}")
    9.7
    >>> paygap_utils.load(2021, columns=["year", "sector"], progressbar=False).shape
    (10555, 2)
    >>> paygap_utils.load(2021, columns=["sector"], progressbar=False).attrs["files"][0]["rows"]
    10555
    """
    manifest = manifest or read_manifest()
    wanted = [f.year for f in manifest.select(years)] if years is not None else None
    wanted_columns = check_columns(columns)
    # The provenance counts rows per year, so `year` is read even when not asked for.
    read_columns = wanted_columns
    if wanted_columns is not None and "year" not in wanted_columns:
        read_columns = [*wanted_columns, "year"]
    folder = data_dir(data_home)
    path = cache_path(folder, manifest)
    table = read_cache(path, wanted, read_columns)
    if table is None:
        table = _rebuild(manifest, folder, path, progressbar, wanted, read_columns)
    attrs = _provenance(manifest, table, wanted)
    if read_columns is not wanted_columns:
        table = table.drop(columns="year")
    table.attrs = attrs
    return table


def _rebuild(
    manifest: Manifest,
    folder: Path,
    path: Path,
    progressbar: bool,
    years: list[int] | None,
    columns: list[str] | None,
) -> pd.DataFrame:
    """Build the table from the downloaded files and cache it; read back what was asked."""
    if folder.is_dir() and not os.access(folder, os.W_OK):
        _logger.warning(
            "The data folder %s is read-only, so the cleaned table is built in memory and not "
            "cached (every load() takes seconds). Set PAYGAP_DATA_DIR to a folder you can write "
            "to, or ask whoever set up this computer to run `python -m paygap_utils fetch`.",
            folder,
        )
        return as_cached(_build(manifest, folder, progressbar), years, columns)
    with data_lock(folder, "Building the cleaned table"):
        # Another kernel may have built the cache while this one waited for the lock.
        table = read_cache(path, years, columns)
        if table is not None:
            return table
        built = _build(manifest, folder, progressbar)
        try:
            write_cache(built, path)
        except OSError as exc:
            _logger.warning(
                "Could not save the cleaned table to %s (%s); this load is not cached. Free "
                "some disk space or set PAYGAP_DATA_DIR to another folder.",
                path,
                exc.strerror or exc,
            )
            return as_cached(built, years, columns)
        del built
        _return_freed_memory()
        _mark_checked(folder)
        # What was written is what every later load reads, so cold and warm loads agree.
        table = read_cache(path, years, columns)
    if table is None:
        # Only a fault in this library gets here; the table is still served, from memory.
        _logger.error(
            "The cache %s was written but cannot be read back (the reason is above); this "
            "load is built in memory. Please report this with the output of "
            "`python -m paygap_utils doctor`.",
            path,
        )
        table = as_cached(_build(manifest, folder, progressbar), years, columns)
    return table


def _return_freed_memory() -> None:
    """Hand back to the system the memory glibc keeps after the build's table is freed.

    Building the table leaves glibc's heap holding a couple of hundred MB it has freed but
    not returned; reading the cache back on top of it made the cold load's peak vary by
    30 MB from run to run (285 to 320 MB under pandas 2.2). glibc's ``malloc_trim`` returns
    it. Elsewhere (macOS, Windows, musl) there is no such call, and nothing is done.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _build(manifest: Manifest, folder: Path, progressbar: bool) -> pd.DataFrame:
    import pandas as pd

    from ..checks import impossible_values

    frames = [
        read_year(fetch_file(entry, folder, progressbar), entry.year) for entry in manifest.files
    ]
    table = pd.concat(frames, ignore_index=True)
    del frames
    table, removed = drop_duplicates(table)
    # In place: reset_index() copies the whole table under pandas 2.
    table.index = pd.RangeIndex(len(table))
    # Columns are set in place: copies of the whole table would double the peak memory.
    links = link_employers(table)
    table["linked_employer_id"] = links["linked_employer_id"]
    table["link_method"] = links["link_method"]
    public = public_sector_from_other_years(table)
    table["is_public_sector"] = public["is_public_sector"]
    table["public_sector_source"] = public["public_sector_source"]
    places = fill_places(table)
    for column in ("region", "nation", "region_source"):
        table[column] = places[column]
    # Text columns as the cache gives them back: pandas' default string type, missing as
    # NaN (pandas 3) or None (pandas 2), so a cold and a warm load return the same table.
    string = pd.Series(["text"]).dtype
    for column in (c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "text"):
        values = table[column].astype(string)
        table[column] = values.where(values.notna(), None)
    counts = impossible_values(table)
    table.attrs = {
        "duplicates_removed": {str(year): n for year, n in removed.items()},
        "impossible_values": {
            str(year): {str(c): int(n) for c, n in zip(part["check"], part["n_rows"], strict=True)}
            for year, part in counts.groupby("year")
        },
    }
    return table


def _provenance(manifest: Manifest, table: pd.DataFrame, wanted: list[int] | None) -> dict:
    files = [f for f in manifest.files if wanted is None or f.year in wanted]
    removed = table.attrs.get("duplicates_removed", {})
    impossible = table.attrs.get("impossible_values", {})
    rows = table["year"].value_counts()
    years = [f.year for f in files]
    missing = [
        year_label(year) for year in manifest.gaps if years and min(years) < year < max(years)
    ]
    return {
        "title": manifest.name,
        "source": manifest.source,
        "licence": manifest.licence["name"],
        "licence_url": manifest.licence["url"],
        "attribution": manifest.licence["attribution"],
        "files": [
            {
                "year": f.label,
                "file_name": f.file_name,
                "url": f.url,
                "sha256": f.sha256,
                "as_of": f.as_of,
                "days_after_deadline": f.days_after_deadline,
                "rows": int(rows.get(f.year, 0)),
                "notes": f.notes,
            }
            for f in files
        ],
        "missing_years": missing,
        "duplicates_removed": {f.label: int(removed.get(str(f.year), 0)) for f in files},
        "impossible_values": {f.label: impossible.get(str(f.year), {}) for f in files},
        "paygap_utils_version": __version__,
    }
