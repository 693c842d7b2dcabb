"""Data-quality and consistency checks: values that cannot be right, and figures that disagree.

Each check takes :func:`paygap_utils.load`'s table (or a subset) and returns a table indexed
like it, to pick out the rows, or a tidy table of counts. A flagged row is one to look at,
not to delete blindly: say in your results what you dropped and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ._frames import require_columns
from .data.impossible import _EPS, IMPOSSIBLE_CHECKS, impossible_value_flags, impossible_values
from .quartiles import QUARTILES, quartile_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "IMPOSSIBLE_CHECKS",
    "SIGN_FLAGS",
    "quartile_sums",
    "sign_contradictions",
    "bonus_reporting",
    "impossible_value_flags",
    "impossible_values",
    "normalise_name",
    "name_changes",
    "file_formats",
]

#: The two ways :func:`sign_contradictions` finds the quartiles and the median gap at odds.
SIGN_FLAGS: tuple[str, ...] = (
    "quartiles put women higher, gap says women paid less",
    "quartiles put women lower, gap says women paid more",
)


def quartile_sums(df: pd.DataFrame, tol: float = 0.1) -> pd.DataFrame:
    """Add up the men's and women's shares of each pay quartile, which should make 100.

    Returns a table indexed like ``df`` (:func:`paygap_utils.load`'s table or a subset): the
    sums ``lower``, ``lower_middle``, ``upper_middle`` and ``top``; ``missing`` (any of the
    eight shares blank) and ``violation``: more than ``tol`` points from 100 (shares are
    published with one decimal, so two can add up to 99.9 or 100.1 with nothing wrong).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.checks import quartile_sums
    >>> from paygap_utils.quartiles import quartile_columns
    >>> women = pd.DataFrame([[60, 50, 40, 30.0], [55, 45, 35, 20.5]],
    ...                      columns=quartile_columns("female"))
    >>> men = pd.DataFrame([[40, 50, 60, 70.0], [45, 55, 65, 78.0]],
    ...                    columns=quartile_columns("male"))
    >>> quartile_sums(pd.concat([women, men], axis=1))
       lower  lower_middle  upper_middle    top  missing  violation
    0  100.0         100.0         100.0  100.0    False      False
    1  100.0         100.0         100.0   98.5    False       True
    """
    import pandas as pd

    if tol < 0:
        raise ValueError(f"quartile_sums: tol must be 0 or more, not {tol!r}.")
    women, men = quartile_columns("female"), quartile_columns("male")
    require_columns(df, women + men, "quartile_sums")
    total = df[women].to_numpy(dtype="float64") + df[men].to_numpy(dtype="float64")
    sums = pd.DataFrame(total, index=df.index, columns=list(QUARTILES))
    off = (sums - 100).abs() > tol + _EPS
    sums["missing"] = sums[list(QUARTILES)].isna().any(axis=1)
    sums["violation"] = off.any(axis=1)
    return sums


def sign_contradictions(
    df: pd.DataFrame, margin: float = 5.0, min_gap: float = 5.0
) -> pd.DataFrame:
    """Flag employers whose quartile mix and median hourly pay gap cannot both be right.

    Write ``tilt`` for women's share of the upper half of the pay ranking minus their share
    of the lower half, in points: ``(upper_middle + top) / 2 - (lower + lower_middle) / 2``.
    The quarters are equal in size, so a positive ``tilt`` puts more than half of the women
    in the upper half and more than half of the men in the lower half, where every rate is
    lower: the median woman is paid at least as much as the median man, and the median gap
    (positive = women paid less) is at most 0. Likewise a negative ``tilt`` rules out a
    negative median gap.

    A row is flagged when ``tilt >= margin`` and the gap is ``>= min_gap``, or ``tilt <=
    -margin`` and the gap ``<= -min_gap``: ``margin`` allows for rounding and quarters
    that differ by one person, ``min_gap`` keeps to clear cases. A flag says the figures
    do not fit together, not which is wrong (a mistyped sign, swapped columns ...). In
    very small employers a few points of ``tilt`` can be rounding alone. The rule holds
    for medians only: a few high earners can pull a mean anywhere.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows.
    margin, min_gap : float
        The smallest ``tilt`` and contradicting median gap flagged, in points.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df``: ``tilt``, ``median_gap`` and ``flag``, one of
        :data:`SIGN_FLAGS` or missing where the row is not flagged (or lacks figures).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.checks import sign_contradictions
    >>> from paygap_utils.quartiles import quartile_columns
    >>> rows = pd.DataFrame([[40, 45, 55, 60], [40, 45, 55, 60], [60, 55, 45, 40]],
    ...                     columns=quartile_columns("female"))
    >>> rows["diff_median_hourly_percent"] = [-3.0, 12.0, -8.0]
    >>> result = sign_contradictions(rows)
    >>> result["tilt"].tolist()
    [15.0, 15.0, -15.0]
    >>> result["flag"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    [nan, 'quartiles put women higher, gap says women paid less',
     'quartiles put women lower, gap says women paid more']
    """
    import numpy as np
    import pandas as pd

    if margin < 0 or min_gap < 0:
        raise ValueError(
            f"sign_contradictions: margin and min_gap must be 0 or more, not {margin!r} "
            f"and {min_gap!r}."
        )
    women = quartile_columns("female")
    require_columns(df, [*women, "diff_median_hourly_percent"], "sign_contradictions")
    shares = df[women].to_numpy(dtype="float64")
    tilt = (shares[:, 2] + shares[:, 3]) / 2 - (shares[:, 0] + shares[:, 1]) / 2
    gap = df["diff_median_hourly_percent"].to_numpy(dtype="float64")
    # Comparisons with NaN are False, so rows lacking a figure are never flagged.
    higher = (tilt >= margin - _EPS) & (gap >= min_gap - _EPS)
    lower = (tilt <= -margin + _EPS) & (gap <= -min_gap + _EPS)
    codes = np.select([higher, lower], [0, 1], default=-1)
    return pd.DataFrame(
        {
            "tilt": np.round(tilt, 6),
            "median_gap": gap,
            "flag": pd.Categorical.from_codes(codes, categories=list(SIGN_FLAGS)),
        },
        index=df.index,
    )


def bonus_reporting(df: pd.DataFrame, gap: str = "diff_mean_bonus_percent") -> pd.DataFrame:
    """Classify each return by who was paid a bonus and how its bonus gap was filled in.

    When nobody is paid a bonus there is no gap to compute, yet some returns leave it
    blank and others enter 0, which reads like "no gap". When only men were paid one, the
    gap is usually 100%; when only women were, it is undefined (men's bonus is the
    divisor) and left blank or given odd values.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table, or any subset of its rows.
    gap : str
        ``"diff_mean_bonus_percent"`` or ``"diff_median_bonus_percent"``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df``, two categoricals: ``paid_to`` (``"nobody"``, ``"women only"``,
        ``"men only"``, ``"both"``, or ``"not stated"`` where a bonus share is blank) and
        ``gap`` (``"blank"``, ``"0"`` or ``"non-zero"``); ``pd.crosstab(result.paid_to,
        result.gap)`` is the overview.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.checks import bonus_reporting
    >>> rows = pd.DataFrame({
    ...     "male_bonus_percent": [0.0, 0.0, 12.0, 0.0, 30.0],
    ...     "female_bonus_percent": [0.0, 0.0, 0.0, 5.0, 28.0],
    ...     "diff_mean_bonus_percent": [None, 0.0, 100.0, None, 35.2],
    ... })
    >>> bonus_reporting(rows)
          paid_to       gap
    0      nobody     blank
    1      nobody         0
    2    men only  non-zero
    3  women only     blank
    4        both  non-zero
    """
    import numpy as np
    import pandas as pd

    if gap not in ("diff_mean_bonus_percent", "diff_median_bonus_percent"):
        raise ValueError(
            "bonus_reporting: gap must be 'diff_mean_bonus_percent' or "
            f"'diff_median_bonus_percent', not {gap!r}."
        )
    require_columns(df, ["male_bonus_percent", "female_bonus_percent", gap], "bonus_reporting")
    men = df["male_bonus_percent"].to_numpy(dtype="float64")
    women = df["female_bonus_percent"].to_numpy(dtype="float64")
    values = df[gap].to_numpy(dtype="float64")
    paid_to = np.select(
        [np.isnan(men) | np.isnan(women), (men == 0) & (women == 0), men == 0, women == 0],
        ["not stated", "nobody", "women only", "men only"],
        default="both",
    )
    kind = np.select([np.isnan(values), values == 0], ["blank", "0"], default="non-zero")
    order = ["nobody", "women only", "men only", "both", "not stated"]
    return pd.DataFrame(
        {
            "paid_to": pd.Categorical(paid_to, categories=order),
            "gap": pd.Categorical(kind, categories=["blank", "0", "non-zero"]),
        },
        index=df.index,
    )


def normalise_name(names: pd.Series) -> pd.Series:
    """Reduce employer names to a key that ignores case, punctuation and ``Limited``/``Ltd``.

    Without it, ``'Lead Employer trust'`` and ``'LEAD EMPLOYER TRUST'`` are two names.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.checks import normalise_name
    >>> names = pd.Series(["ACME (UK) Limited", "Acme UK Ltd.", "Smith & Sons PLC"])
    >>> normalise_name(names).tolist()
    ['acme uk ltd', 'acme uk ltd', 'smith and sons plc']
    """
    import pandas as pd

    # Each distinct name once, then one key per row: an employer's name repeats across
    # years, and every step makes new strings (Python objects under pandas 2).
    codes, distinct = pd.factorize(names)
    keys = (
        pd.Series(distinct, dtype="string")
        .str.casefold()
        .str.replace("&", " and ", regex=False)
        .str.replace(r"[^0-9a-z]+", " ", regex=True)
        .str.replace(r"\bpublic limited company\b", "plc", regex=True)
        .str.replace(r"\blimited\b", "ltd", regex=True)
        .str.strip()
    )
    return pd.Series(keys.array.take(codes, allow_fill=True), index=names.index, name=names.name)


def name_changes(df: pd.DataFrame) -> pd.DataFrame:
    """List every change of ``employer_name`` from one year to the next, per ``linked_employer_id``.

    Names are compared after :func:`normalise_name` (case and punctuation are no change);
    rows without a ``linked_employer_id`` are left out. One row per change:
    ``linked_employer_id``, ``from_year`` (the last year under the old name), ``to_year``,
    ``old_name`` and ``new_name`` as filed.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.checks import name_changes
    >>> rows = pd.DataFrame({
    ...     "linked_employer_id": pd.array([48, 48, 48, 70], dtype="Int64"),
    ...     "year": [2017, 2018, 2019, 2017],
    ...     "employer_name": ["NEOPOST LIMITED", "Neopost Ltd", "QUADIENT UK LIMITED", "X"],
    ... })
    >>> name_changes(rows)
       linked_employer_id  from_year  to_year         old_name             new_name
    0                  48       2018     2019      Neopost Ltd  QUADIENT UK LIMITED
    """
    require_columns(df, ["linked_employer_id", "year", "employer_name"], "name_changes")
    rows = df.loc[
        df["linked_employer_id"].notna() & df["employer_name"].notna(),
        ["linked_employer_id", "year", "employer_name"],
    ].sort_values(["linked_employer_id", "year"], kind="stable")
    rows["key"] = normalise_name(rows["employer_name"])
    before = rows.groupby("linked_employer_id", sort=False)[["year", "employer_name", "key"]]
    previous = before.shift()
    changed = previous["key"].notna() & (rows["key"] != previous["key"])
    out = rows.loc[changed, ["linked_employer_id", "year", "employer_name"]].rename(
        columns={"year": "to_year", "employer_name": "new_name"}
    )
    out.insert(1, "from_year", previous.loc[changed, "year"].astype("int64"))
    out.insert(3, "old_name", previous.loc[changed, "employer_name"])
    return out.reset_index(drop=True)


def file_formats(paths: Mapping[int, str | Path]) -> pd.DataFrame:
    """Describe the raw files: layout, columns, how a date is written, repeated employer ids.

    Each file (year -> path, as :func:`paygap_utils.fetch` returns) is read as published,
    to show what the cleaning had to cope with. One row per file: ``year``, ``n_columns``,
    ``layout`` (:func:`paygap_utils.data.clean.detect_layout`), ``date_format`` (the format
    its dates are parsed with), ``raw_date_submitted`` (the first row's, as text),
    ``parsed``, ``rows`` and ``rows_sharing_an_id`` (rows whose ``EmployerId`` appears more
    than once; missing where the file has none).

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.checks import file_formats
    >>> table = file_formats(paygap_utils.fetch([2017, 2019], progressbar=False))
    >>> table[["year", "n_columns", "raw_date_submitted"]]
          year  n_columns   raw_date_submitted
    0  2017-18         25  27/03/2018 11:42:49
    1  2019-20         27  2020/04/03 14:47:45
    >>> table["parsed"].dt.strftime("%d %B %Y").tolist()
    ['27 March 2018', '03 April 2020']
    """
    import pandas as pd

    from .data.clean import detect_layout, read_raw
    from .data.manifest import year_label

    rows = []
    for year, path in sorted(paths.items()):
        # Only the two columns looked at: a whole file of text (Python strings under pandas 2)
        # left a notebook's kernel about 35 MB larger. The header gives the column count.
        raw = read_raw(path, columns=["DateSubmitted", "EmployerId"])
        layout = detect_layout(path, raw)
        example = raw["DateSubmitted"].iloc[0] if "DateSubmitted" in raw else None
        parsed = (
            pd.to_datetime(example, format=layout.date_format)
            if example and layout.date_format
            else pd.NaT
        )
        repeats = (
            int(raw["EmployerId"].duplicated(keep=False).sum()) if "EmployerId" in raw else None
        )
        rows.append(
            {
                "year": year_label(int(year)),
                "n_columns": layout.n_columns,
                "layout": layout.name,
                "date_format": layout.date_format,
                "raw_date_submitted": example,
                "parsed": parsed,
                "rows": len(raw),
                "rows_sharing_an_id": repeats,
            }
        )
    table = pd.DataFrame(rows)
    table["parsed"] = pd.to_datetime(table["parsed"])
    table["rows_sharing_an_id"] = table["rows_sharing_an_id"].astype("Int64")
    return table
