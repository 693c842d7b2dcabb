"""What the analysis and plotting modules check about what they are given.

A beginner's mistake (a missing column, text where numbers belong, a column of lists to group
by, a bin width of 0) gets one line naming the function, the column or argument and what was
expected, before pandas or matplotlib fail deep inside.
"""

from __future__ import annotations

import math
import numbers as _numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["require_columns", "numbers", "group_keys", "resolve_labels", "positive"]

_COLUMNS_HINT = "paygap_utils.columns() lists the table's columns and what each holds"


def require_columns(df: Any, columns: Iterable[Hashable], where: str) -> None:
    """Check that ``df`` is a table with every one of ``columns``; say which is missing."""
    if not hasattr(df, "columns") or not hasattr(df, "loc"):
        raise TypeError(
            f"{where}: expected a table (a pandas DataFrame, such as paygap_utils.load() "
            f"returns), not a {type(df).__name__}."
        )
    if missing := [c for c in columns if c not in df.columns]:
        raise KeyError(
            f"{where}: the table has no column {missing[0]!r}. Pass the table "
            f"paygap_utils.load() returns, or a subset of its rows; {_COLUMNS_HINT}."
        )


def _holds(values: pd.Series) -> str | None:
    """What a Series holds in words, when it is not numbers; None for numbers."""
    import numpy as np
    import pandas as pd

    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categories"
    if pd.api.types.is_bool_dtype(dtype):
        return "True/False values"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "dates"
    if pd.api.types.is_numeric_dtype(dtype):
        return None
    present = values.dropna()
    # load()'s lists are Arrow lists, which map() hands over as numpy arrays.
    if present.map(lambda v: isinstance(v, list | tuple | set | dict | np.ndarray)).any():
        return "lists"
    if pd.to_numeric(present, errors="coerce").notna().all():
        return None  # numbers kept as Python objects
    return "text"


def numbers(values: Any, where: str, what: str = "values") -> pd.Series:
    """Return ``values`` as a float Series (missing values NaN), or say what they hold instead."""
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    holds = _holds(series)
    if holds is None:
        return pd.to_numeric(series, errors="coerce").astype("float64")
    named = f" {series.name!r}" if series.name is not None else ""
    verb = "holds" if what.startswith("column") else "hold"
    raise TypeError(
        f"{where}: {what}{named} {verb} {holds}, not numbers. Pass a numeric column, e.g. "
        f"df['diff_median_hourly_percent']; {_COLUMNS_HINT}."
    )


def group_keys(df: pd.DataFrame, by: Hashable | Sequence[Hashable] | None, where: str) -> Any:
    """Return what ``DataFrame.groupby`` takes for ``by``: ``None`` is one group, ``"all"``.

    A column that is not there, or that holds lists (an employer's SIC codes), is refused.
    """
    import pandas as pd

    if by is None:
        require_columns(df, [], where)
        return pd.Series("all", index=df.index, name="group")
    names = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    require_columns(df, names, where)
    for name in names:
        if _holds(df[name]) == "lists":
            raise TypeError(
                f"{where}: column {name!r} holds lists, which cannot be grouped by. Group by "
                f"a column with one value per row (e.g. 'sector'), or give each item a row "
                f"of its own first: df.explode({name!r})."
            )
    return df[by] if len(names) == 1 and names[0] is by else [df[name] for name in names]


def positive(value: Any, name: str, where: str, example: str = "1") -> float:
    """Return ``value`` as a float if it is a finite number above 0, or say what is expected."""
    ok = isinstance(value, _numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{where}: {name} must be a number above 0, e.g. {example}; got {value!r}."
        )
    return float(value)


def resolve_labels(keys: Iterable[Any], labels: Any = None, default: Any = str) -> list[str]:
    """Return one label per key: ``labels`` looked up (a mapping) or in order (a sequence).

    Keys a mapping lacks keep their name; without ``labels``, ``default(key)`` names each.
    """
    if labels is None:
        return [str(default(key)) for key in keys]
    if hasattr(labels, "get"):  # a dict or a Series: look each key up
        return [str(labels.get(key, key)) for key in keys]
    return [str(label) for label in labels]
