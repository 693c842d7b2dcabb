"""One clean table for all reporting years: :func:`load`.

Each year's file is cleaned on its own (:mod:`paygap_utils.data.clean`); what needs all years
at once (duplicates, links, public sector, places) is in :mod:`paygap_utils.data.across_years`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from . import across_years
from .cache import cache_path, from_parquet, read_cache, to_parquet, write_cache
from .clean import read_year
from .fetch import data_dir, data_lock, fetch, folder_error
from .impossible import impossible_values
from .manifest import Manifest, Years, read_manifest, year_label
from .schema import COLUMNS, DERIVED_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "check_columns"]

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

    The files are downloaded and verified on first use, cleaned once, and the cleaned table
    of all years is cached, so later calls read it in a fraction of a second, with no network.

    Parameters
    ----------
    years : int, str or list of them, optional
        Reporting years, e.g. ``2021``, ``"2021-22"`` or ``["2019/20", 2020]``; all years by
        default.
    columns : list of str, optional
        Only these columns, in this order (see :func:`paygap_utils.columns`); all by
        default. Reading fewer columns is faster and leaves more memory for the analysis.
    data_home : str or Path, optional
        Data folder; by default ``$PAYGAP_DATA_DIR`` or the system cache folder.
    progressbar : bool
        Show a progress bar while downloading.
    manifest : Manifest, optional
        The files to use; the installed ``data_manifest.json`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per employer and year. The official columns in snake_case (missing values
        where a year's layout lacks a column), ``year`` (first year of the reporting year)
        and derived columns; see :func:`paygap_utils.columns` for what each means. Where an
        employer filed twice in a year, only its latest submission is kept.
        ``DataFrame.attrs`` holds the provenance: ``files`` (per year: name, URL, checksum,
        ``as_of``, ``days_after_deadline``, ``rows`` in this table and the file's
        ``notes``), ``missing_years`` (years inside the span loaded that the data lacks),
        licence and attribution, ``duplicates_removed`` and ``impossible_values`` (rows per
        check, per year).

    Raises
    ------
    ValueError
        For a year that is not in the data (the message lists the years there are), or a
        column that is not in the table.
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
    columns = check_columns(columns)
    folder = data_dir(data_home)
    table = read_cache(cache_path(folder, manifest), wanted, columns)
    if table is None:
        table = _rebuild(manifest, folder, progressbar, wanted, columns)
    table.attrs = _provenance(manifest, table.attrs, wanted)
    return table


def check_columns(columns: Sequence[str] | str | None) -> list[str] | None:
    """Return ``columns`` as a list after checking each is a column of the table.

    Raises
    ------
    ValueError
        Naming the unknown column, the closest known names, and where the list is.

    Examples
    --------
    >>> from paygap_utils.data.loader import check_columns
    >>> check_columns(["year", "sector"])
    ['year', 'sector']
    >>> check_columns(["median_gap"])
    Traceback (most recent call last):
    ...
    ValueError: 'median_gap' is not a column of the cleaned table...
    """
    if columns is None:
        return None
    known = [c.name for c in COLUMNS + DERIVED_COLUMNS]
    wanted = list(dict.fromkeys([columns] if isinstance(columns, str) else columns))
    for name in wanted:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"{name!r} is not a column of the cleaned table.{hint} "
                "`paygap_utils.columns()` lists every column and what it means."
            )
    if not wanted:
        raise ValueError("columns is empty: name at least one column, e.g. columns=['year'].")
    return wanted


def _rebuild(
    manifest: Manifest,
    folder: Path,
    progressbar: bool,
    years: list[int] | None,
    columns: list[str] | None,
) -> pd.DataFrame:
    """Build the table from the downloaded files and cache it; read back what was asked."""
    paths = fetch(manifest=manifest, data_home=folder, progressbar=progressbar)
    if not os.access(folder, os.W_OK):
        _logger.warning(
            "The data folder %s is read-only, so the cleaned table is built in memory and not "
            "cached (every load() takes seconds). Set PAYGAP_DATA_DIR to a folder you can write "
            "to, or ask whoever set up this computer to run `python -m paygap_utils fetch`.",
            folder,
        )
        return from_parquet(to_parquet(_build(manifest, paths)), years, columns)
    with data_lock(folder, "Building the cleaned table"):
        # Another kernel may have built the cache while this one waited for the lock.
        table = read_cache(cache_path(folder, manifest), years, columns)
        if table is not None:
            return table
        data = to_parquet(_build(manifest, paths))
        try:
            write_cache(data, folder, manifest)
        except OSError as exc:
            error = folder_error(folder, exc, "Saving the cleaned table")
            _logger.warning("%s This load is not cached.", error)
    # The bytes every later load reads, read the same way: cold and warm loads agree.
    return from_parquet(data, years, columns)


def _build(manifest: Manifest, paths: dict[int, Path]) -> pd.DataFrame:
    import pandas as pd

    frames = [read_year(paths[entry.year], entry.year) for entry in manifest.files]
    table = pd.concat(frames, ignore_index=True)
    del frames
    table, removed = across_years.drop_duplicates(table)
    # In place: reset_index() copies the whole table under pandas 2.
    table.index = pd.RangeIndex(len(table))
    # Columns are set in place: copies of the whole table would double the peak memory.
    links = across_years.link_employers(table)
    table["linked_employer_id"] = links["linked_employer_id"]
    table["link_method"] = links["link_method"]
    public = across_years.public_sector_from_other_years(table)
    table["is_public_sector"] = public["is_public_sector"]
    table["public_sector_source"] = public["public_sector_source"]
    places = across_years.fill_places(table)
    for column in ("region", "nation", "region_source"):
        table[column] = places[column]
    counts = impossible_values(table)
    # Per year, so that a load of some columns needs no column to count its rows.
    table.attrs = {
        "rows": {str(year): int(n) for year, n in table["year"].value_counts().items()},
        "duplicates_removed": {str(year): n for year, n in removed.items()},
        "impossible_values": {
            str(year): {str(c): int(n) for c, n in zip(part["check"], part["n_rows"], strict=True)}
            for year, part in counts.groupby("year")
        },
    }
    return table


def _provenance(manifest: Manifest, built: dict[str, Any], wanted: list[int] | None) -> dict:
    files = [f for f in manifest.files if wanted is None or f.year in wanted]
    years = [f.year for f in files]
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
                "rows": built["rows"].get(str(f.year), 0),
                "notes": f.notes,
            }
            for f in files
        ],
        "missing_years": [year_label(y) for y in manifest.gaps if min(years) < y < max(years)],
        "duplicates_removed": {
            f.label: built["duplicates_removed"].get(str(f.year), 0) for f in files
        },
        "impossible_values": {
            f.label: built["impossible_values"].get(str(f.year), {}) for f in files
        },
        "paygap_utils_version": __version__,
    }
