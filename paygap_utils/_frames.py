"""What the analysis modules share about the tables they are given: columns, groups, labels.

Private: :mod:`paygap_utils.checks`, :mod:`~paygap_utils.stats`,
:mod:`~paygap_utils.quartiles` and :mod:`~paygap_utils.plots` use these so that a
missing column, a ``by`` argument and a ``labels`` argument mean the same everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["require_columns", "group_keys", "resolve_labels"]


def require_columns(df: pd.DataFrame, columns: Iterable[Hashable], where: str) -> None:
    """Raise a ``KeyError`` naming the first of ``columns`` that ``df`` lacks, and what to pass.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils._frames import require_columns
    >>> require_columns(pd.DataFrame({"year": [2021]}), ["year", "sector"], "my_function")
    Traceback (most recent call last):
    ...
    KeyError: "my_function: the table has no column 'sector'. Pass the table ..."
    """
    missing = [c for c in columns if c not in df]
    if missing:
        raise KeyError(
            f"{where}: the table has no column {missing[0]!r}. Pass the table "
            "paygap_utils.load() returns, or a subset of its rows; paygap_utils.columns() "
            "lists its columns."
        )


def group_keys(df: pd.DataFrame, by: Hashable | Sequence[Hashable] | None) -> Any:
    """Return what ``DataFrame.groupby`` takes for ``by``, aligned with the rows of ``df``.

    ``None`` puts every row in one group labelled ``"all"``; a column name groups by
    that column; a list of names by all of them.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils._frames import group_keys
    >>> rows = pd.DataFrame({"year": [2021, 2022], "sector": ["C", "C"]})
    >>> group_keys(rows, None).tolist(), group_keys(rows, "year").tolist()
    (['all', 'all'], [2021, 2022])
    >>> [keys.tolist() for keys in group_keys(rows, ["year", "sector"])]
    [[2021, 2022], ['C', 'C']]
    """
    import pandas as pd

    if by is None:
        return pd.Series("all", index=df.index, name="group")
    if isinstance(by, str) or not isinstance(by, Sequence):
        return df[by]
    return [df[b] for b in by]


def resolve_labels(keys: Iterable[Any], labels: Any = None, default: Any = str) -> list[str]:
    """Return one label per key: ``labels`` looked up (a mapping) or taken in order (a sequence).

    Keys a mapping does not hold keep their own name; without ``labels``,
    ``default(key)`` names each key.

    Examples
    --------
    >>> from paygap_utils._frames import resolve_labels
    >>> resolve_labels(["C", "T"], {"C": "Manufacturing"})
    ['Manufacturing', 'T']
    >>> resolve_labels(["C", "T"], ["one", "two"]), resolve_labels([1, 2])
    (['one', 'two'], ['1', '2'])
    """
    keys = list(keys)
    if labels is None:
        return [str(default(key)) for key in keys]
    if hasattr(labels, "get"):  # a dict or a Series: look each key up
        return [str(labels.get(key, key)) for key in keys]
    return [str(label) for label in labels]
