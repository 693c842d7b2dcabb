"""Following the same employers over time: links, balanced panels and year-on-year changes.

An employer is followed through ``linked_employer_id``: the service's ``employer_id`` where
the file publishes it (2019-20 on), otherwise a match by company number or name
(``link_method``). An id two rows of one year share is ambiguous that year and left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ._frames import numbers, require_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ID_COLUMN",
    "link_summary",
    "ambiguous_ids",
    "balanced_panel",
    "year_on_year",
    "change_by_start",
]

ID_COLUMN = "linked_employer_id"


def link_summary(df: pd.DataFrame, id_column: str = ID_COLUMN) -> pd.DataFrame:
    """Count, per year, the rows that carry a published id and those that could be linked.

    Returns a table indexed by ``year``: ``employers`` (rows), ``published_id`` (rows
    whose file gives ``employer_id``), ``linked`` (rows with an ``id_column``),
    ``linked_percent`` and ``ambiguous`` (rows whose id another row of the year shares).

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.panel import link_summary
    >>> df = paygap_utils.load(["2018-19", "2019-20"], progressbar=False)
    >>> link_summary(df)[["employers", "published_id", "linked"]]
          employers  published_id  linked
    year
    2018      10812             0   10558
    2019       7040          7040    7040
    """
    require_columns(df, ["year", "employer_id", id_column], "link_summary")
    counts = {"employers": ("year", "size"), "published_id": ("employer_id", "count")}
    summary = df.groupby("year").agg(**counts, linked=(id_column, "count"))
    summary["linked_percent"] = (100 * summary["linked"] / summary["employers"]).round(1)
    shared = df[id_column].notna() & df.duplicated(["year", id_column], keep=False)
    summary["ambiguous"] = shared.groupby(df["year"]).sum().reindex(summary.index, fill_value=0)
    return summary.astype({"ambiguous": "int64"})


def ambiguous_ids(df: pd.DataFrame, id_column: str = ID_COLUMN) -> pd.DataFrame:
    """Return the (year, id) pairs that more than one row of the same year shares.

    They arise in 2017-18 and 2018-19, where ids are matched: a company and a differently numbered
    body of the same name can match one employer. Columns ``year``, ``id_column`` and ``rows``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.panel import ambiguous_ids
    >>> rows = pd.DataFrame({
    ...     "year": [2017, 2017, 2017, 2018],
    ...     "linked_employer_id": pd.array([5, 5, 6, 5], dtype="Int64"),
    ... })
    >>> ambiguous_ids(rows)
       year  linked_employer_id  rows
    0  2017                   5     2
    """
    require_columns(df, ["year", id_column], "ambiguous_ids")
    counts = df.dropna(subset=[id_column]).groupby(["year", id_column]).size()
    return counts[counts > 1].rename("rows").reset_index()


def _unambiguous(df: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Rows with an id that no other row of the same year shares."""
    with_id = df[df[id_column].notna()]
    return with_id[~with_id.duplicated(["year", id_column], keep=False)]


def balanced_panel(
    df: pd.DataFrame, years: Iterable[int], id_column: str = ID_COLUMN
) -> pd.DataFrame:
    """Keep only the employers that reported in every one of ``years``.

    Comparing all reporters year by year mixes change with turnover in who reports; a balanced
    panel holds the set fixed. Rows without an id, or sharing one (:func:`ambiguous_ids`), go.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows as :func:`paygap_utils.load` returns them.
    years : iterable of int
        First calendar years of the reporting years, e.g. ``[2021, 2022]``.
    id_column : str
        The id used to follow employers.

    Returns
    -------
    pandas.DataFrame
        The rows of ``years`` whose employer is in all of them; ``attrs`` kept.

    Raises
    ------
    ValueError
        If a requested year has no rows in ``df``.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.panel import balanced_panel
    >>> df = paygap_utils.load(["2021-22", "2022-23"], progressbar=False)
    >>> panel = balanced_panel(df, [2021, 2022])
    >>> panel.groupby("year").size().tolist()
    [9808, 9808]
    """
    require_columns(df, ["year", id_column], "balanced_panel")
    wanted = sorted({int(y) for y in years})
    missing = sorted(set(wanted) - set(df["year"].unique()))
    if missing:
        raise ValueError(
            f"No rows for year(s) {missing} in this table; load them first, e.g. "
            f"paygap_utils.load({missing})."
        )
    rows = _unambiguous(df[df["year"].isin(wanted)], id_column)
    panel = rows[rows.groupby(id_column)["year"].transform("nunique") == len(wanted)]
    panel.attrs = dict(df.attrs)
    return panel


def year_on_year(
    df: pd.DataFrame,
    column: str = "diff_median_hourly_percent",
    id_column: str = ID_COLUMN,
    keep: Sequence[str] = (),
    across_gaps: bool = False,
) -> pd.DataFrame:
    """Pair each employer's value in one year with its value in the next year.

    One row per employer and pair of consecutive years it reported in: no pair across a year
    it skipped (many did in 2019-20), nor across one the data lacks (2023-24) unless
    ``across_gaps``, where ``years_apart`` says how far. Rows without an id or a value are left
    out, and so is a year of an id two rows share (``attrs["ambiguous_rows_dropped"]``).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows as :func:`paygap_utils.load` returns them.
    column : str
        The value to follow, e.g. ``"diff_median_hourly_percent"``.
    id_column : str
        The id used to follow employers.
    keep : sequence of str
        Other columns to carry along from each pair's first year (``["employer_size"]``).
    across_gaps : bool
        Pair a year with the next one present even across years the data lacks.

    Returns
    -------
    pandas.DataFrame
        ``id_column``, ``year``, ``next_year``, ``years_apart``, ``value``, ``next_value``,
        ``change`` and the ``keep`` columns, by year then id; ``df``'s ``attrs`` kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.panel import year_on_year
    >>> rows = pd.DataFrame({
    ...     "linked_employer_id": pd.array([1, 1, 1, 2, 2], dtype="Int64"),
    ...     "year": [2020, 2021, 2022, 2020, 2022],
    ...     "diff_median_hourly_percent": [10.0, 12.5, 11.0, 3.0, 4.0],
    ... })
    >>> year_on_year(rows)
       linked_employer_id  year  next_year  years_apart  value  next_value  change
    0                   1  2020       2021            1   10.0        12.5     2.5
    1                   1  2021       2022            1   12.5        11.0    -1.5

    With the real data:

    >>> import paygap_utils
    >>> df = paygap_utils.load(["2017-18", "2018-19"], progressbar=False)
    >>> pairs = year_on_year(df)
    >>> len(pairs), pairs.attrs["ambiguous_rows_dropped"]
    (9754, 0)
    """
    require_columns(df, ["year", id_column, column, *keep], "year_on_year")
    numbers(df[column], "year_on_year", "column")
    rows = df[df[id_column].notna() & df[column].notna()]
    clean = _unambiguous(rows, id_column)
    dropped = len(rows) - len(clean)
    base = clean[[id_column, "year", column, *keep]].rename(columns={column: "value"})
    renamed = {"year": "next_year", column: "next_value"}
    later = clean[[id_column, "year", column]].rename(columns=renamed)
    present = sorted(int(y) for y in df["year"].unique())
    following = present[1:] if across_gaps else [y + 1 for y in present]
    base = base.assign(next_year=base["year"].map(dict(zip(present, following, strict=False))))
    base = base[base["next_year"].notna()].astype({"next_year": "int64"})
    pairs = base.merge(later, on=[id_column, "next_year"], how="inner", validate="one_to_one")
    pairs["years_apart"] = (pairs["next_year"] - pairs["year"]).astype("int64")
    pairs["change"] = pairs["next_value"] - pairs["value"]
    order = [id_column, "year", "next_year", "years_apart", "value", "next_value", "change", *keep]
    pairs = pairs[order].sort_values(["year", id_column], kind="stable", ignore_index=True)
    pairs.attrs = {**df.attrs, "ambiguous_rows_dropped": int(dropped)}
    return pairs


def change_by_start(pairs: pd.DataFrame, bins: Sequence[float], by: str = "value") -> pd.DataFrame:
    """Summarise year-on-year change by the band the employer started in.

    The table behind a "regression to the mean" chart: if extreme employers move toward the
    middle, the median change is negative in the top band and positive in the bottom one.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`year_on_year`'s result.
    bins : sequence of float
        Band edges for ``by``, e.g. ``[-inf, -10, 0, 10, 20, 30, inf]``.
    by : str
        ``"value"`` (the first year, the usual choice) or ``"next_value"`` (the second,
        which reverses the picture).

    Returns
    -------
    pandas.DataFrame
        One row per band (index ``band``): ``pairs``, ``median_start``, ``median_change``,
        ``q25_change`` and ``q75_change``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.panel import change_by_start
    >>> pairs = pd.DataFrame({"value": [-5.0, 2.0, 25.0, 30.0], "change": [3.0, 1.0, -4.0, -2.0]})
    >>> change_by_start(pairs, bins=[-50, 0, 20, 50])[["pairs", "median_change"]]
              pairs  median_change
    band
    (-50, 0]      1            3.0
    (0, 20]       1            1.0
    (20, 50]      2           -3.0
    """
    import pandas as pd

    require_columns(pairs, [by, "change"], "change_by_start")
    band = pd.cut(numbers(pairs[by], "change_by_start", "column"), bins=list(bins)).rename("band")
    grouped = pairs.groupby(band, observed=False)
    return pd.DataFrame(
        {
            "pairs": grouped.size(),
            "median_start": grouped[by].median(),
            "median_change": grouped["change"].median(),
            "q25_change": grouped["change"].quantile(0.25),
            "q75_change": grouped["change"].quantile(0.75),
        }
    )
