"""Summary statistics of the gap columns: per-group summaries, reporting artefacts, weighting.

Every statistic here is employer-weighted unless it says otherwise: each employer
counts once, whatever its size, because the data has no headcounts. pandas and
numpy are imported only when a function here is called.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from ._frames import group_keys, require_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SIZE_BAND_MIDPOINTS",
    "BONUS_GAP_COLUMNS",
    "filed_by_deadline",
    "summarise_gap",
    "decimal_places",
    "weighted_quantile",
    "size_band_midpoints",
    "bootstrap_median_ci",
    "median_by_group_with_ci",
]

#: A crude headcount for each ``employer_size`` band: the middle of the band, and the
#: lower bound of the open-ended top band. For rough illustrations only: the real
#: headcounts are not published, and "Not Provided" has no number.
SIZE_BAND_MIDPOINTS: dict[str, float] = {
    "Less than 250": 125.0,
    "250 to 499": 375.0,
    "500 to 999": 750.0,
    "1000 to 4999": 3000.0,
    "5000 to 19,999": 12500.0,
    "20,000 or more": 20000.0,
}

#: The bonus gap columns: compared only among employers that pay a bonus (``pays_bonus``).
BONUS_GAP_COLUMNS: tuple[str, ...] = ("diff_mean_bonus_percent", "diff_median_bonus_percent")


def filed_by_deadline(df: pd.DataFrame) -> pd.DataFrame:
    """Return the reports filed by the deadline: ``submitted_late`` is False.

    ``submitted_late`` is the service's own ``SubmittedAfterTheDeadline`` flag,
    so this is the set of reports the service counts as on time, the basis of
    the figures published soon after each deadline. Reports whose lateness is
    not known are left out. How many late reports a year has depends on when
    its copy was made (``df.attrs["files"][i]["days_after_deadline"]``).

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows.

    Returns
    -------
    pandas.DataFrame
        The rows of ``df`` filed by the deadline, ``attrs`` kept.

    Examples
    --------
    >>> import paygap_utils
    >>> df = paygap_utils.load("2020-21", progressbar=False)
    >>> on_time = paygap_utils.filed_by_deadline(df)
    >>> len(df), len(on_time)
    (10380, 9627)
    """
    require_columns(df, ["submitted_late"], "filed_by_deadline")
    on_time = df[df["submitted_late"].eq(False).fillna(False).to_numpy(dtype=bool)]
    on_time.attrs = dict(df.attrs)
    return on_time


def _payers_only(df: pd.DataFrame, column: str, bonus_payers_only: bool) -> pd.DataFrame:
    if bonus_payers_only and column in BONUS_GAP_COLUMNS and "pays_bonus" in df:
        return df[df["pays_bonus"].eq(True).fillna(False).to_numpy(dtype=bool)]
    return df


# Values closer than this to a rounded number are that number: the data has at most
# a few decimal places, and floats parsed from text carry tiny binary errors.
_TOLERANCE = 1e-9


def summarise_gap(
    df: pd.DataFrame,
    column: str = "diff_median_hourly_percent",
    by: Hashable | Sequence[Hashable] | None = "year",
    bonus_payers_only: bool = True,
) -> pd.DataFrame:
    """Summarise one gap column per group: n, median, mean and the shares that reveal artefacts.

    Parameters
    ----------
    df : pandas.DataFrame
        Usually :func:`paygap_utils.load`'s result, or any subset of it.
    column : str
        The numeric column to summarise, e.g. ``"diff_mean_hourly_percent"``.
    by : column name, list of them, or None
        What to group by; ``None`` summarises the whole table in one row
        (labelled ``"all"``).
    bonus_payers_only : bool
        For a bonus gap column (:data:`BONUS_GAP_COLUMNS`), keep only the
        employers that pay a bonus (``pays_bonus``), where the table has that
        column: "no bonus paid" is written 0 in some years and left blank in
        others, which moves the median. ``False`` summarises every row.

    Returns
    -------
    pandas.DataFrame
        One row per group, with columns ``n`` (non-missing values), ``median``,
        ``mean``, ``share_negative`` (below 0: for a pay gap, women paid more),
        ``share_zero`` (exactly 0) and ``share_whole`` (a whole number, 0
        included). Shares are fractions of ``n``, between 0 and 1. Groups with
        no values have ``n`` 0 and missing statistics.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.stats import summarise_gap
    >>> rows = pd.DataFrame({
    ...     "year": [2021, 2021, 2021, 2021, 2022, 2022],
    ...     "diff_median_hourly_percent": [-2.5, 0.0, 4.0, 10.3, 7.1, None],
    ... })
    >>> summarise_gap(rows)
          n  median  mean  share_negative  share_zero  share_whole
    year
    2021  4     2.0  2.95            0.25        0.25          0.5
    2022  1     7.1  7.10            0.00        0.00          0.0

    With the real data:

    >>> import paygap_utils
    >>> df = paygap_utils.load("2021-22", progressbar=False)
    >>> summarise_gap(df).loc[2021, ["n", "median"]].tolist()
    [10555.0, 9.7]
    """
    import pandas as pd

    require_columns(df, [column], "summarise_gap")
    df = _payers_only(df, column, bonus_payers_only)
    values = pd.to_numeric(df[column], errors="raise").astype("float64")
    whole = (values - values.round()).abs() < _TOLERANCE
    parts = pd.DataFrame(
        {
            "value": values,
            "negative": (values < 0).astype("float64"),
            "zero": (values.abs() < _TOLERANCE).astype("float64"),
            "whole": whole.astype("float64"),
        },
        index=df.index,
    )
    parts[["negative", "zero", "whole"]] = parts[["negative", "zero", "whole"]].where(
        values.notna()
    )
    grouped = parts.groupby(group_keys(df, by), observed=True, sort=True)
    summary = pd.DataFrame(
        {
            "n": grouped["value"].count(),
            "median": grouped["value"].median(),
            "mean": grouped["value"].mean(),
            "share_negative": grouped["negative"].mean(),
            "share_zero": grouped["zero"].mean(),
            "share_whole": grouped["whole"].mean(),
        }
    )
    return summary


def decimal_places(values: pd.Series, max_places: int = 6) -> pd.Series:
    """Return the fewest decimal places that write each value exactly (0 for whole numbers).

    A column with far more whole numbers than its other values would suggest
    has been rounded by many of those who reported it; a change in the number
    of places between years is a change in how the data was entered or published.

    Parameters
    ----------
    values : pandas.Series
        Numbers, e.g. ``df["diff_median_hourly_percent"]``.
    max_places : int
        Values that need more places than this are reported as ``max_places``.

    Returns
    -------
    pandas.Series
        Nullable integers (``Int64``), missing where ``values`` is missing, with
        the index of ``values``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.stats import decimal_places
    >>> decimal_places(pd.Series([12.0, 3.5, -0.25, None, 1 / 3], name="gap")).tolist()
    [0, 1, 2, <NA>, 6]
    """
    import pandas as pd

    numbers = pd.to_numeric(values, errors="raise").astype("float64")
    found = pd.Series(max_places, index=numbers.index, dtype="Int64", name=values.name)
    for places in range(max_places - 1, -1, -1):
        # Count down so each value ends with the smallest number of places that fits.
        fits = ((numbers - numbers.round(places)).abs() < _TOLERANCE).to_numpy()
        found[fits] = places
    found[numbers.isna().to_numpy()] = pd.NA
    return found


def weighted_quantile(values: Any, weights: Any, q: float = 0.5) -> float:
    """Return the ``q`` quantile of ``values`` when each value counts ``weights`` times.

    The smallest value whose cumulative share of the total weight reaches ``q``;
    where that share equals ``q`` exactly, the average of that value and the
    next, so equal weights give the ordinary median. Pairs with a missing value
    or weight are left out.

    Parameters
    ----------
    values, weights : array-like of numbers
        Of the same length; weights must not be negative.
    q : float
        The quantile, between 0 and 1 (0.5 is the weighted median).

    Returns
    -------
    float
        NaN when no pair has both a value and a positive weight.

    Examples
    --------
    >>> from paygap_utils.stats import weighted_quantile
    >>> weighted_quantile([1, 2, 3, 4], [1, 1, 1, 1])
    2.5
    >>> weighted_quantile([1, 2, 3, 4], [1, 1, 1, 10])
    4.0
    >>> weighted_quantile([10, 20, 30], [1, 1, 1], q=0.9)
    30.0
    """
    import numpy as np

    if not 0 <= q <= 1:
        raise ValueError(f"weighted_quantile: q must be between 0 and 1, got {q!r}.")
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    if v.shape != w.shape:
        raise ValueError(
            f"weighted_quantile: {v.size} values but {w.size} weights; give one weight per value."
        )
    if np.any(w < 0):
        raise ValueError("weighted_quantile: weights must not be negative.")
    keep = ~(np.isnan(v) | np.isnan(w)) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cumulative = np.cumsum(w)
    target = q * cumulative[-1]
    # Sums of float weights are inexact: a cumulative weight within this of the target is on it.
    slack = 1e-12 * cumulative[-1]
    i = min(int(np.searchsorted(cumulative, target - slack, side="left")), v.size - 1)
    if abs(cumulative[i] - target) <= slack and i + 1 < v.size:
        return float((v[i] + v[i + 1]) / 2)
    return float(v[i])


def size_band_midpoints(sizes: pd.Series) -> pd.Series:
    """Turn ``employer_size`` bands into crude headcounts (:data:`SIZE_BAND_MIDPOINTS`).

    Only for rough illustrations of what weighting by size would change: the
    bands are wide (the 1000 to 4999 band spans a factor of five) and the top
    band has no upper bound, so these numbers are not employees.

    Parameters
    ----------
    sizes : pandas.Series
        The ``employer_size`` column.

    Returns
    -------
    pandas.Series
        Floats, NaN for "Not Provided" or anything that is not a band.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.stats import size_band_midpoints
    >>> size_band_midpoints(pd.Series(["250 to 499", "Not Provided", "20,000 or more"])).tolist()
    [375.0, nan, 20000.0]
    """
    return sizes.astype(object).map(SIZE_BAND_MIDPOINTS).astype("float64")


# Resample in blocks of at most this many values, so a bootstrap of a large group
# stays within a few megabytes (mybinder gives a kernel 2 GB, shared with everything else).
_MAX_BLOCK = 2_000_000


def bootstrap_median_ci(
    values: Any, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Return a percentile bootstrap confidence interval for the median of ``values``.

    The values are resampled with replacement ``n_resamples`` times, all at once
    with numpy (in blocks, to bound memory), and the interval is the middle
    ``confidence`` share of the resampled medians.

    Parameters
    ----------
    values : array-like of numbers
        E.g. the gaps of the employers in one sector. Missing values are left out.
    n_resamples : int
        Number of bootstrap resamples; 1000 is enough for a 95% interval.
    confidence : float
        Coverage of the interval, between 0 and 1.
    seed : int
        Seed of the random generator, so the same call gives the same interval.

    Returns
    -------
    (float, float)
        Lower and upper end of the interval; ``(nan, nan)`` when there are no values.
        With very few values (say under 10) the interval is itself unreliable and
        usually too narrow: it cannot reach beyond the values observed.

    Raises
    ------
    ValueError
        If ``n_resamples`` is below 1 or ``confidence`` is not between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from paygap_utils.stats import bootstrap_median_ci
    >>> gaps = np.random.default_rng(1).normal(10, 5, size=400)
    >>> low, high = bootstrap_median_ci(gaps, seed=0)
    >>> bool(low < np.median(gaps) < high), round(high - low, 1)
    (True, 1.0)
    >>> bootstrap_median_ci([])
    (nan, nan)
    """
    import numpy as np

    if n_resamples < 1:
        raise ValueError(f"bootstrap_median_ci: n_resamples must be at least 1, got {n_resamples}.")
    if not 0 < confidence < 1:
        raise ValueError(
            "bootstrap_median_ci: confidence must be between 0 and 1 (e.g. 0.95), "
            f"got {confidence}."
        )
    if hasattr(values, "to_numpy"):
        x = values.to_numpy(dtype="float64", na_value=np.nan).ravel()
    else:
        x = np.asarray(values, dtype="float64").ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    medians = np.empty(n_resamples)
    block = max(1, _MAX_BLOCK // x.size)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        picks = rng.integers(0, x.size, size=(stop - start, x.size))
        medians[start:stop] = np.median(x[picks], axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(medians, [tail, 1 - tail])
    return float(low), float(high)


def median_by_group_with_ci(
    df: pd.DataFrame,
    group: str,
    column: str = "diff_median_hourly_percent",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    bonus_payers_only: bool = True,
) -> pd.DataFrame:
    """Return the median of ``column`` in each group, with a bootstrap confidence interval.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per employer (and year), e.g. from :func:`paygap_utils.load`.
    group : str
        Column to group by, e.g. ``"sector"``, ``"employer_size"`` or ``"region"``.
        Rows where it is missing are left out.
    column : str
        Column to summarise. Missing values are left out.
    n_resamples, confidence, seed
        As for :func:`bootstrap_median_ci`. Every group uses the same ``seed``, so
        a group's interval does not depend on which other groups are present.
    bonus_payers_only : bool
        As for :func:`summarise_gap`: a bonus gap is compared among the employers
        that pay a bonus.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (in category order for a categorical column, else
        sorted), only groups with at least one value, with columns ``n``
        (employers with a value), ``median``, ``ci_low`` and ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.stats import median_by_group_with_ci
    >>> rows = pd.DataFrame({"sector": list("AAAB"), "gap": [1.0, 2.0, 9.0, 4.0]})
    >>> median_by_group_with_ci(rows, "sector", "gap", n_resamples=200)
            n  median  ci_low  ci_high
    sector
    A       3     2.0     1.0      9.0
    B       1     4.0     4.0      4.0

    With the real data:

    >>> import paygap_utils
    >>> df = paygap_utils.load("2022-23", progressbar=False)
    >>> median_by_group_with_ci(df, "is_public_sector")["n"].tolist()
    [8746, 1876]
    """
    import pandas as pd

    require_columns(df, [group, column], "median_by_group_with_ci")
    df = _payers_only(df, column, bonus_payers_only)
    values = pd.to_numeric(df[column], errors="raise").astype("float64")
    rows = pd.DataFrame({"key": df[group], "value": values}).dropna()
    records = []
    for key, part in rows.groupby("key", observed=True, sort=True)["value"]:
        low, high = bootstrap_median_ci(part, n_resamples, confidence, seed)
        records.append((key, len(part), float(part.median()), low, high))
    table = pd.DataFrame.from_records(
        records, columns=[group, "n", "median", "ci_low", "ci_high"]
    ).astype({"n": "int64"})
    if isinstance(df[group].dtype, pd.CategoricalDtype):
        table[group] = pd.Categorical(
            table[group], categories=df[group].cat.categories, ordered=df[group].cat.ordered
        )
    return table.set_index(group)
