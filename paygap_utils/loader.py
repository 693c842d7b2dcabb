"""One clean table for all reporting years: :func:`load`, and what it does across years."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import as_cached, cache_path, check_columns, read_cache, write_cache
from .clean import read_year
from .download import data_lock, fetch_file, quiet_pooch
from .manifest import Manifest, read_manifest, year_label
from .schema import COLUMNS
from .settings import data_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "link_employers", "fill_places", "drop_duplicates"]

logger = logging.getLogger("paygap_utils")

SOURCE_PAGE = "https://gender-pay-gap.service.gov.uk/viewing/download"


def load(
    years: Any = None,
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
        ``DataFrame.attrs`` holds the provenance: files, checksums, as-of dates,
        licence and attribution, and the duplicates removed per year.

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
    """
    manifest = manifest or read_manifest()
    wanted = [f.year for f in manifest.select(years)] if years is not None else None
    wanted_columns = check_columns(columns)
    folder = data_dir(data_home)
    path = cache_path(folder, manifest)
    table = read_cache(path, wanted, wanted_columns)
    if table is None:
        table = _rebuild(manifest, folder, path, progressbar, wanted, wanted_columns)
    table.attrs = _provenance(manifest, table, wanted)
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
        logger.warning(
            "The data folder %s is read-only, so the cleaned table is built in memory and not "
            "cached (every load() takes seconds). Set PAYGAP_DATA_DIR to a folder you can write "
            "to, or ask whoever set up this computer to run `python -m paygap_utils fetch`.",
            folder,
        )
        with quiet_pooch():
            return as_cached(_build(manifest, folder, progressbar), years, columns)
    with data_lock(folder), quiet_pooch():
        # Another kernel may have built the cache while this one waited for the lock.
        table = read_cache(path, years, columns)
        if table is not None:
            return table
        built = _build(manifest, folder, progressbar)
        try:
            write_cache(built, path)
        except OSError as exc:
            logger.warning(
                "Could not save the cleaned table to %s (%s); this load is not cached. Free "
                "some disk space or set PAYGAP_DATA_DIR to another folder.",
                path,
                exc.strerror or exc,
            )
            return as_cached(built, years, columns)
        del built
        # What was written is what every later load reads, so cold and warm loads agree.
        table = read_cache(path, years, columns)
    if table is None:
        # Only a fault in this library gets here; the table is still served, from memory.
        logger.error(
            "The cache %s was written but cannot be read back (the reason is above); this "
            "load is built in memory. Please report this with the output of "
            "`python -m paygap_utils doctor`.",
            path,
        )
        with quiet_pooch():
            table = as_cached(_build(manifest, folder, progressbar), years, columns)
    return table


def _build(manifest: Manifest, folder: Path, progressbar: bool) -> pd.DataFrame:
    import pandas as pd

    frames = [
        read_year(fetch_file(entry, folder, progressbar), entry.year) for entry in manifest.files
    ]
    table = pd.concat(frames, ignore_index=True)
    del frames
    # Columns are set in place: copies of the whole table would double the peak memory.
    table["linked_employer_id"] = link_employers(table)
    places = fill_places(table)
    table["region"] = places["region"]
    table["nation"] = places["nation"]
    table, removed = drop_duplicates(table)
    table = table.reset_index(drop=True)
    # Text columns as the cache gives them back: pandas' default string type, missing as
    # NaN (pandas 3) or None (pandas 2), so a cold and a warm load return the same table.
    string = pd.Series(["text"]).dtype
    for column in (c.name for c in COLUMNS if c.kind == "text"):
        values = table[column].astype(string)
        table[column] = values.where(values.notna(), None)
    table.attrs = {"duplicates_removed": {str(year): n for year, n in removed.items()}}
    return table


def link_employers(table: pd.DataFrame) -> pd.Series:
    """Find ``linked_employer_id`` for years whose files do not publish ``employer_id``.

    Rows without an id are matched to the ids of the years that have them, first
    by ``company_number``, then by ``current_name``; only a match to exactly one
    id counts, so an ambiguous number or name stays unlinked.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of several years, as :func:`paygap_utils.clean.read_year` returns them.

    Returns
    -------
    pandas.Series
        ``linked_employer_id`` for every row: its ``employer_id`` where published,
        else the matched id where a match is unique, else missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.loader import link_employers
    >>> rows = pd.DataFrame({
    ...     "employer_id": pd.array([None, 7, None], dtype="Int64"),
    ...     "company_number": ["00000001", "00000001", None],
    ...     "current_name": ["A LTD", "A LTD", "B LTD"],
    ... })
    >>> link_employers(rows).tolist()
    [7, 7, <NA>]
    """
    linked = table["employer_id"].copy()
    published = table["employer_id"].notna()
    for key in ("company_number", "current_name"):
        known = table.loc[published, [key, "employer_id"]].dropna(subset=[key])
        ids = known.groupby(key)["employer_id"].unique()
        unique_ids = ids[ids.map(len) == 1].map(lambda values: values[0])
        todo = linked.isna() & table[key].notna()
        linked[todo] = table.loc[todo, key].map(unique_ids).astype("Int64")
    return linked.rename("linked_employer_id")


def fill_places(table: pd.DataFrame) -> pd.DataFrame:
    """Give rows without a usable address the place of the same employer in other years.

    An address in these files is the employer's latest one in every year, so a
    row whose address is blank (281 rows of the 2018-19 Excel copy) or has no
    recognisable postcode can take the place found for the same
    ``linked_employer_id`` in the most recent other year that has one.

    Returns
    -------
    pandas.DataFrame
        ``region`` and ``nation`` for every row of ``table``, filled where possible.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.loader import fill_places
    >>> rows = pd.DataFrame({
    ...     "year": [2018, 2019],
    ...     "linked_employer_id": pd.array([5, 5], dtype="Int64"),
    ...     "region": pd.Categorical([None, "Wales"]),
    ...     "nation": pd.Categorical([None, "Wales"]),
    ... })
    >>> fill_places(rows)["region"].tolist()
    ['Wales', 'Wales']
    """
    columns = ["year", "linked_employer_id", "region", "nation"]
    known = table.loc[table["region"].notna() & table["linked_employer_id"].notna(), columns]
    latest = known.sort_values("year").drop_duplicates("linked_employer_id", keep="last")
    latest = latest.set_index("linked_employer_id")
    todo = table["region"].isna() & table["linked_employer_id"].notna()
    places = table[["region", "nation"]].copy()
    for column in ("region", "nation"):
        filled = table.loc[todo, "linked_employer_id"].map(latest[column])
        places.loc[todo, column] = filled.astype(object).where(filled.notna(), None)
    return places


def drop_duplicates(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, int]]:
    """Keep only the latest submission where an employer appears twice in a year.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``year``, ``employer_id`` and ``date_submitted``.

    Returns
    -------
    table : pandas.DataFrame
        Without the earlier duplicates, in the original order.
    removed : dict
        Rows removed per year (years without duplicates are left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.loader import drop_duplicates
    >>> rows = pd.DataFrame({
    ...     "year": [2020, 2020, 2020],
    ...     "employer_id": pd.array([1, 1, 2], dtype="Int64"),
    ...     "date_submitted": pd.to_datetime(["2021-05-01", "2021-09-01", "2021-06-01"]),
    ... })
    >>> kept, removed = drop_duplicates(rows)
    >>> kept.index.tolist(), removed
    ([1, 2], {2020: 1})
    """
    has_id = table["employer_id"].notna()
    keys = ["year", "employer_id", "date_submitted"]
    order = table.loc[has_id, keys].sort_values(keys, kind="stable")
    earlier = order.index[order.duplicated(["year", "employer_id"], keep="last")]
    removed = table.loc[earlier, "year"].value_counts().sort_index()
    for year, n in removed.items():
        logger.info(
            "%s: removed %d earlier submission(s) of employers that filed twice.",
            year_label(int(year)),
            n,
        )
    return table.drop(index=earlier), {int(y): int(n) for y, n in removed.items()}


def _provenance(manifest: Manifest, table: pd.DataFrame, wanted: list[int] | None) -> dict:
    from . import __version__

    files = [f for f in manifest.files if wanted is None or f.year in wanted]
    removed = table.attrs.get("duplicates_removed", {})
    return {
        "title": manifest.name,
        "source": SOURCE_PAGE,
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
                "rows": f.rows,
            }
            for f in files
        ],
        "duplicates_removed": {f.label: int(removed.get(str(f.year), 0)) for f in files},
        "paygap_utils_version": __version__,
    }
