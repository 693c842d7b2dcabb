"""Summary statistics of the gap columns: per-group summaries, reporting artefacts, weighting.

Every statistic is employer-weighted unless it says otherwise: each employer counts once,
whatever its size (the data has no headcounts). pandas is imported only when needed.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from ._frames import group_keys, numbers, require_columns
from .data.impossible import _EPS
from .data.lookups import SIZE_BANDS

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
SIZE_BAND_MIDPOINTS: dict[str, float] = dict(
    zip(SIZE_BANDS, (125.0, 375.0, 750.0, 3000.0, 12500.0, 20000.0), strict=True)
)

#: The bonus gap columns: compared only among employers that pay a bonus (``pays_bonus``).
BONUS_GAP_COLUMNS: tuple[str, ...] = ("diff_mean_bonus_percent", "diff_median_bonus_percent")


def filed_by_deadline(df: pd.DataFrame) -> pd.DataFrame:
    """Return the reports filed by the deadline (``submitted_late`` False), ``attrs`` kept.

    ``submitted_late`` is the service's own ``SubmittedAfterTheDeadline`` flag: these are
    the reports it counts as on time, the basis of the figures published soon after each
    deadline; reports whose lateness is not known are left out. How many late reports a
    year has depends on when its copy was made (``df.attrs["files"][i]["days_after_deadline"]``).

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
        :func:`paygap_utils.load`'s table, or any subset of its rows.
    column : str
        The numeric column to summarise, e.g. ``"diff_mean_hourly_percent"``.
    by : column name, list of them, or None
        What to group by; ``None`` gives one row for the whole table, labelled ``"all"``.
    bonus_payers_only : bool
        For a bonus gap column (:data:`BONUS_GAP_COLUMNS`), keep only the employers that
        pay a bonus (``pays_bonus``): "no bonus paid" is written 0 in some years and left
        blank in others, which moves the median. ``False`` summarises every row.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n`` (values present), ``median``, ``mean`` and, as fractions
        of ``n``, ``share_negative`` (below 0: women paid more), ``share_zero`` and
        ``share_whole`` (whole numbers, 0 included).

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
    group_keys(df, by, "summarise_gap")  # a `by` that cannot group is refused before any work
    df = _payers_only(df, column, bonus_payers_only)
    values = numbers(df[column], "summarise_gap", "column")
    close = (values - values.round()).abs() < _EPS
    shares = pd.DataFrame(
        {"negative": values < 0, "zero": values.abs() < _EPS, "whole": close}
    ).astype("float64")
    parts = shares.where(values.notna(), axis=0).assign(value=values)
    grouped = parts.groupby(group_keys(df, by, "summarise_gap"), observed=True, sort=True)
    summary = grouped["value"].agg(["count", "median", "mean"]).rename(columns={"count": "n"})
    return summary.join(grouped[["negative", "zero", "whole"]].mean().add_prefix("share_"))


def decimal_places(values: pd.Series, max_places: int = 6) -> pd.Series:
    """Return the fewest decimal places that write each value exactly (0 for whole numbers).

    Far more whole numbers than the other values suggest means many reporters rounded;
    a change in places between years is a change in how the data was entered or published.
    Returns ``Int64`` numbers, missing where ``values`` is; values needing more places than
    ``max_places`` get ``max_places``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.stats import decimal_places
    >>> decimal_places(pd.Series([12.0, 3.5, -0.25, None, 1 / 3], name="gap")).tolist()
    [0, 1, 2, <NA>, 6]
    """
    import pandas as pd

    given = numbers(values, "decimal_places")
    found = pd.Series(max_places, index=given.index, dtype="Int64", name=values.name)
    for places in range(max_places - 1, -1, -1):
        # Count down so each value ends with the smallest number of places that fits.
        fits = ((given - given.round(places)).abs() < _EPS).to_numpy()
        found[fits] = places
    found[given.isna().to_numpy()] = pd.NA
    return found


def weighted_quantile(values: Any, weights: Any, q: float = 0.5) -> float:
    """Return the ``q`` quantile of ``values`` when each value counts ``weights`` times.

    The smallest value whose cumulative share of the weight reaches ``q``; where it equals
    ``q`` exactly, the average of that value and the next, so equal weights give the
    ordinary median. Pairs missing a value or weight are left out.

    ``values`` and ``weights`` (0 or more) are of one length, ``q`` between 0 and 1 (0.5: the
    weighted median). NaN when no pair has a value and a positive weight.

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

    Only to illustrate what weighting by size would change: the bands are wide (1000 to
    4999 spans a factor of five) and the top one is open, so these are not employees.
    NaN for "Not Provided" or anything that is not a band.

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

    The values are resampled with replacement ``n_resamples`` times (with numpy, in blocks
    to bound memory); the interval is the middle ``confidence`` share of their medians.

    Parameters
    ----------
    values : array-like of numbers
        E.g. the gaps of one sector's employers; missing values are left out.
    n_resamples, confidence, seed
        Resamples (1000 is enough for 95%), coverage (between 0 and 1) and the random
        seed, so the same call gives the same interval.

    Returns
    -------
    (float, float)
        The interval; ``(nan, nan)`` without values. With very few values (say under 10)
        it is unreliable and usually too narrow: it cannot reach beyond the values seen.

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
    import pandas as pd

    if n_resamples < 1:
        raise ValueError(f"bootstrap_median_ci: n_resamples must be at least 1, got {n_resamples}.")
    if not 0 < confidence < 1:
        raise ValueError(
            "bootstrap_median_ci: confidence must be between 0 and 1 (e.g. 0.95), "
            f"got {confidence}."
        )
    x = numbers(pd.Series(np.ravel(values)), "bootstrap_median_ci").dropna().to_numpy()
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
        :func:`paygap_utils.load`'s table, or any subset of its rows.
    group, column : str
        The column to group by (``"sector"``, ``"employer_size"``, ``"region"`` ...) and
        the one to summarise; rows missing either are left out.
    n_resamples, confidence, seed
        As for :func:`bootstrap_median_ci`; every group uses the same ``seed``, so its
        interval does not depend on which other groups are present.
    bonus_payers_only : bool
        As for :func:`summarise_gap`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (category order, else sorted), groups with a value only:
        ``n`` (employers with a value), ``median``, ``ci_low`` and ``ci_high``.

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
    group_keys(df, group, "median_by_group_with_ci")  # a column of lists cannot group
    df = _payers_only(df, column, bonus_payers_only)
    values = numbers(df[column], "median_by_group_with_ci", "column")
    rows = pd.DataFrame({"key": df[group], "value": values}).dropna()
    records = []
    for key, part in rows.groupby("key", observed=True, sort=True)["value"]:
        low, high = bootstrap_median_ci(part, n_resamples, confidence, seed)
        records.append((key, len(part), float(part.median()), low, high))
    table = pd.DataFrame.from_records(
        records, columns=[group, "n", "median", "ci_low", "ci_high"]
    ).astype({"n": "int64"})
    if isinstance(df[group].dtype, pd.CategoricalDtype):
        table[group] = pd.Categorical(table[group], dtype=df[group].dtype)
    return table.set_index(group)
