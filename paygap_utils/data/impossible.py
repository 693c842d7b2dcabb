"""The values that cannot be right: the rules the cleaned table's ``has_impossible_value`` uses.

Cleaning flags these values, never drops them; :mod:`paygap_utils.checks` shows them
to the notebooks with its other checks. The rules live here, with the data, because the
build needs them: the data layer never imports the analysis modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .._frames import require_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IMPOSSIBLE_CHECKS", "impossible_value_flags", "impossible_values"]

# Floats parsed from text carry tiny binary errors: 49.3 + 50.7 is not exactly 100.
_EPS = 1e-9
#: The women's quartile columns, lowest-paid quarter first; the men's are ``male_...``.
_WOMEN = [f"female_{q}_quartile" for q in ("lower", "lower_middle", "upper_middle", "top")]
_MEN = [name.replace("female_", "male_", 1) for name in _WOMEN]
_BONUS_SHARES = ["male_bonus_percent", "female_bonus_percent"]
_GAPS = [f"diff_{s}_{p}_percent" for p in ("hourly", "bonus") for s in ("mean", "median")]


def _outside(df: pd.DataFrame, columns: list[str], low: float, high: float) -> pd.Series:
    values = df[columns].astype("float64")
    return ((values < low - _EPS) | (values > high + _EPS)).any(axis=1)


#: The impossible values :func:`impossible_value_flags` looks for, and why each is impossible.
IMPOSSIBLE_CHECKS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "quartile share outside 0-100": (
        "A share of a quarter's staff is a percentage.",
        lambda df: _outside(df, _WOMEN + _MEN, 0, 100),
    ),
    "quartile shares do not add up to 100": (
        "Everyone in a quarter is a man or a woman in this data (0.1 points allowed for rounding).",
        lambda df: (
            (df[_WOMEN].astype("float64") + df[_MEN].to_numpy("float64") - 100)
            .abs()
            .gt(0.1 + _EPS)
            .any(axis=1)
        ),
    ),
    "bonus share outside 0-100": (
        "The share of men (or women) paid a bonus is a percentage.",
        lambda df: _outside(df, _BONUS_SHARES, 0, 100),
    ),
    "mean hourly gap of 100% or more": (
        "A gap of 100% means women's mean hourly pay is 0; above 100%, negative.",
        lambda df: df["diff_mean_hourly_percent"] >= 100 - _EPS,
    ),
    "median hourly gap of 100% or more": (
        "A gap of 100% means women's median hourly pay is 0; above 100%, negative.",
        lambda df: df["diff_median_hourly_percent"] >= 100 - _EPS,
    ),
    "mean bonus gap above 100%": (
        "Above 100% women's mean bonus would be negative.",
        lambda df: df["diff_mean_bonus_percent"] > 100 + _EPS,
    ),
    "median bonus gap above 100%": (
        "Above 100% women's median bonus would be negative.",
        lambda df: df["diff_median_bonus_percent"] > 100 + _EPS,
    ),
}


def impossible_value_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Mark the values that cannot be right, one column per check.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df``, one boolean column per check of
        :data:`IMPOSSIBLE_CHECKS` (its keys say what each finds). Blank values
        are never flagged.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.impossible import impossible_value_flags
    >>> quarters = ["lower", "lower_middle", "upper_middle", "top"]
    >>> names = [f"{sex}_{q}_quartile" for sex in ("female", "male") for q in quarters]
    >>> rows = pd.DataFrame([[50.0] * 8] * 2, columns=names)
    >>> rows["male_bonus_percent"] = [10.0, 100.4]
    >>> rows["female_bonus_percent"] = [8.0, 90.0]
    >>> rows["diff_mean_hourly_percent"] = [12.0, 159.0]
    >>> rows["diff_median_hourly_percent"] = [9.0, 100.0]
    >>> rows["diff_mean_bonus_percent"] = [20.0, None]
    >>> rows["diff_median_bonus_percent"] = [15.0, 3848.2]
    >>> impossible_value_flags(rows).sum().tolist()
    [0, 0, 1, 1, 1, 0, 1]
    """
    import pandas as pd

    require_columns(df, _WOMEN + _MEN + _BONUS_SHARES + _GAPS, "impossible_value_flags")
    return pd.DataFrame(
        {name: test(df).to_numpy(dtype=bool) for name, (_, test) in IMPOSSIBLE_CHECKS.items()},
        index=df.index,
    )


def impossible_values(df: pd.DataFrame) -> pd.DataFrame:
    """Count the impossible values of each check in each reporting year.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows; needs ``year``.

    Returns
    -------
    pandas.DataFrame
        A tidy table, one row per check and year (zeros included), with
        columns ``check`` (a categorical in the order of
        :data:`IMPOSSIBLE_CHECKS`), ``year`` and ``n_rows``.
        ``.pivot(index="check", columns="year", values="n_rows")`` makes it wide.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.data.impossible import impossible_values
    >>> counts = impossible_values(paygap_utils.load(2017, progressbar=False))
    >>> counts.columns.tolist()
    ['check', 'year', 'n_rows']
    >>> int(counts.loc[counts.check == "median hourly gap of 100% or more", "n_rows"].item())
    1
    """
    import pandas as pd

    require_columns(df, ["year"], "impossible_values")
    counts = impossible_value_flags(df).groupby(df["year"]).sum()
    tidy = (
        counts.rename_axis("year")
        .reset_index()
        .melt(id_vars="year", var_name="check", value_name="n_rows")
    )
    tidy["check"] = pd.Categorical(tidy["check"], categories=list(IMPOSSIBLE_CHECKS))
    tidy["n_rows"] = tidy["n_rows"].astype("int64")
    tidy = tidy.sort_values(["check", "year"], kind="stable", ignore_index=True)
    return tidy[["check", "year", "n_rows"]]
