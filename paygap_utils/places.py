"""Where employers are registered: why some rows have no region, and who registers where.

``region`` and ``nation`` come from the registered address (the head office), not from where
the staff work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._frames import group_keys, require_columns
from .data.lookups import CROWN_DEPENDENCIES, REGIONS, postcode_from_address, region_of_postcode

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MISSING_REGION_REASONS", "region_missing_reason", "share_in_region"]

#: Why a row has no ``region``, in the order :func:`region_missing_reason` checks them.
MISSING_REGION_REASONS: tuple[str, ...] = (
    "no address",
    CROWN_DEPENDENCIES,
    "postcode only in the address",
    "postcode area not recognised",
    "no UK postcode found",
)


def _reason(address: object, post_code: object) -> str:
    has_address = isinstance(address, str) and address.strip() != ""
    has_post_code = isinstance(post_code, str) and post_code.strip() != ""
    if not has_address and not has_post_code:
        return "no address"
    # Without a post code, there is an address.
    postcode = post_code if has_post_code else postcode_from_address(address)
    if postcode is None:
        return "no UK postcode found"
    if region_of_postcode(postcode)[1] == CROWN_DEPENDENCIES:
        return CROWN_DEPENDENCIES
    if not has_post_code:
        return "postcode only in the address"
    return "postcode area not recognised"


def region_missing_reason(df: pd.DataFrame) -> pd.Series:
    """Say why each row without a ``region`` has none.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``region``, ``address`` and ``post_code``, as :func:`paygap_utils.load`
        returns them (with regions already taken from other years where it could).

    Returns
    -------
    pandas.Series
        A categorical of :data:`MISSING_REGION_REASONS`, indexed like ``df``, missing
        where the row has a region: ``"no address"`` (the 2018-19 file has blank ones);
        ``"Crown Dependencies"`` (Jersey, Guernsey, Isle of Man: not the UK, as ``nation``
        says); ``"postcode only in the address"`` (``load`` uses it, so only in other
        tables); ``"postcode area not recognised"``; ``"no UK postcode found"`` (abroad,
        or a missing or mistyped postcode such as ``S023`` for ``SO23``).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.places import region_missing_reason
    >>> rows = pd.DataFrame({
    ...     "region": ["Wales", None, None, None, None],
    ...     "address": ["Aberystwyth, SY23 3FL", None, "St Helier, JE2 3QB",
    ...                 "7 Rue X, Paris, 75013, France", "70 St Mary Axe, London, EC3A 8BE"],
    ...     "post_code": ["SY23 3FL", None, "JE2 3QB", None, None],
    ... })
    >>> region_missing_reason(rows).tolist()  # doctest: +NORMALIZE_WHITESPACE
    [nan, 'no address', 'Crown Dependencies', 'no UK postcode found',
     'postcode only in the address']

    With the real data:

    >>> import paygap_utils
    >>> df = paygap_utils.load("2018-19", progressbar=False)
    >>> reasons = region_missing_reason(df)
    >>> int(reasons.notna().sum()) == int(df["region"].isna().sum())
    True
    """
    import pandas as pd

    require_columns(df, ["region", "address", "post_code"], "region_missing_reason")
    rows = zip(df["region"].isna(), df["address"], df["post_code"], strict=True)
    reasons = [_reason(address, code) if missing else None for missing, address, code in rows]
    dtype = pd.CategoricalDtype(MISSING_REGION_REASONS)
    return pd.Series(reasons, index=df.index, dtype=dtype, name="reason")


def share_in_region(df: pd.DataFrame, by: str, region: str = "London") -> pd.DataFrame:
    """Compare groups by the share of their employers registered in one region.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``region`` and ``by``; rows without a region (mostly abroad) count as
        not in ``region``.
    by : str
        Column to group by, e.g. ``"employer_size"``; rows missing it are left out.
    region : str
        One of :data:`~paygap_utils.data.lookups.REGIONS`.

    Returns
    -------
    pandas.DataFrame
        One row per group with employers: ``employers``, ``in_region`` and ``share``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.places import share_in_region
    >>> rows = pd.DataFrame({"size": ["big", "big", "small", "small", "small", "small"],
    ...                      "region": ["London", "Wales", "London", None, "Wales", "Wales"]})
    >>> share_in_region(rows, "size")
           employers  in_region  share
    size
    big            2          1   0.50
    small          4          1   0.25
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}, but got {region!r}.")
    require_columns(df, ["region"], "share_in_region")
    group_keys(df, by, "share_in_region")  # a column that is missing or holds lists is refused
    rows = df[[by]].assign(in_region=(df["region"] == region).fillna(False).astype("int64"))
    grouped = rows.dropna(subset=[by]).groupby(by, observed=True, sort=True)["in_region"]
    table = grouped.agg(employers="count", in_region="sum")
    return table.assign(share=table["in_region"] / table["employers"])
