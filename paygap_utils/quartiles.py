"""The pay quartiles: which columns hold them, and the share of women in each.

Every employer ranks its full-pay relevant employees by hourly pay, splits them into four
equal groups (lower, lower middle, upper middle, top) and reports the percentage of men and
of women in each.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Literal

from ._frames import group_keys, require_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["QUARTILES", "QUARTILE_LABELS", "quartile_columns", "women_share_by_quartile"]

#: The four quarters of the pay distribution, lowest paid first, as named in the columns.
QUARTILES: tuple[str, ...] = ("lower", "lower_middle", "upper_middle", "top")
#: Their names for chart labels and tables.
QUARTILE_LABELS: dict[str, str] = {q: q.replace("_", " ").capitalize() for q in QUARTILES}


def quartile_columns(sex: Literal["female", "male"] = "female") -> list[str]:
    """Return the four quartile columns of ``sex`` (``"female"`` or ``"male"``), lowest paid first.

    Examples
    --------
    >>> from paygap_utils.quartiles import quartile_columns
    >>> quartile_columns("male")[0]
    'male_lower_quartile'
    >>> quartile_columns()[-1]
    'female_top_quartile'
    """
    if sex not in ("female", "male"):
        raise ValueError(f"quartile_columns: sex must be 'female' or 'male', not {sex!r}.")
    return [f"{sex}_{quartile}_quartile" for quartile in QUARTILES]


def women_share_by_quartile(
    df: pd.DataFrame,
    by: Hashable | Sequence[Hashable] | None = "year",
    stat: Literal["mean", "median"] = "mean",
) -> pd.DataFrame:
    """Return the typical share of women in each pay quartile, per group.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows.
    by : column name, list of them, or None
        What to group by; ``None`` gives one row, labelled ``"all"``.
    stat : {"mean", "median"}
        How to summarise a group's employers, each counting once: the typical employer,
        not the share of all women employees (whose numbers are not published).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``lower``, ``lower_middle``, ``upper_middle``, ``top`` (% of the
        quarter who are women) and ``n`` (employers giving all four; others left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.quartiles import women_share_by_quartile
    >>> rows = pd.DataFrame({
    ...     "year": [2021, 2021, 2022],
    ...     "female_lower_quartile": [60.0, 40.0, 50.0],
    ...     "female_lower_middle_quartile": [50.0, 40.0, 50.0],
    ...     "female_upper_middle_quartile": [40.0, 30.0, 50.0],
    ...     "female_top_quartile": [30.0, 20.0, None],
    ... })
    >>> women_share_by_quartile(rows)
          lower  lower_middle  upper_middle  top  n
    year
    2021   50.0          45.0          35.0  25.0  2

    With the real data: in the typical employer of 2021-22, women are a
    smaller share of the top-paid quarter than of the lowest-paid one.

    >>> import paygap_utils
    >>> shares = women_share_by_quartile(paygap_utils.load(2021, progressbar=False))
    >>> bool(shares.loc[2021, "top"] < shares.loc[2021, "lower"])
    True
    """
    if stat not in ("mean", "median"):
        raise ValueError(f"women_share_by_quartile: stat must be 'mean' or 'median', not {stat!r}.")
    columns = quartile_columns("female")
    require_columns(df, columns, "women_share_by_quartile")
    group_keys(df, by, "women_share_by_quartile")  # refused before any work if it cannot group
    complete = df[df[columns].notna().all(axis=1)]
    shares = complete[columns].set_axis(list(QUARTILES), axis=1)
    keys = group_keys(complete, by, "women_share_by_quartile")
    grouped = shares.groupby(keys, observed=True, sort=True)
    return grouped.agg(stat).assign(n=grouped.size())
