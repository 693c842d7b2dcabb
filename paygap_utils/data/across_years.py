"""What needs several reporting years at once: duplicates, links, public sector, places.

:func:`paygap_utils.load` applies these to all the years together, in the order they are
defined here; each returns the columns it decides and which rule decided each row.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .manifest import year_label
from .schema import LINK_METHODS, PUBLIC_SECTOR_SOURCES, REGION_SOURCES

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "drop_duplicates",
    "link_employers",
    "public_sector_from_other_years",
    "fill_places",
]

_logger = logging.getLogger("paygap_utils")

# Stronger links first: where two rows of one year would share an id, the weaker lose it.
_STRENGTH = {"employer_id": 0, "company_number": 1, "name": 2}


def drop_duplicates(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, int]]:
    """Keep only the latest submission where an employer appears twice in a year.

    Where an earlier submission was on time and the latest is not (a report re-submitted
    after the deadline), the report was still filed by the deadline: the kept row's
    ``submitted_late`` becomes False, with ``late_source`` ``"earlier report"``.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``year``, ``employer_id``, ``date_submitted``, ``submitted_late`` and
        ``late_source``.

    Returns
    -------
    table : pandas.DataFrame
        Without the earlier duplicates, in the original order.
    removed : dict
        Rows removed per year (years without duplicates are left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.across_years import drop_duplicates
    >>> rows = pd.DataFrame({
    ...     "year": [2020, 2020, 2020],
    ...     "employer_id": pd.array([1, 1, 2], dtype="Int64"),
    ...     "date_submitted": pd.to_datetime(["2021-05-01", "2021-10-07", "2021-06-01"]),
    ...     "submitted_late": pd.array([False, True, False], dtype="boolean"),
    ...     "late_source": ["service flag"] * 3,
    ... })
    >>> kept, removed = drop_duplicates(rows)
    >>> kept.index.tolist(), removed
    ([1, 2], {2020: 1})
    >>> kept[["submitted_late", "late_source"]].values.tolist()
    [[False, 'earlier report'], [False, 'service flag']]
    """
    has_id = table["employer_id"].notna()
    keys = ["year", "employer_id", "date_submitted"]
    order = table.loc[has_id, [*keys, "submitted_late"]].sort_values(keys, kind="stable")
    is_earlier = order.duplicated(["year", "employer_id"], keep="last")
    on_time = order["submitted_late"].eq(False).fillna(False).astype(bool)
    ever = on_time.groupby([order["year"], order["employer_id"]]).transform("any")
    kept = table.drop(index=order.index[is_earlier])
    filed_in_time = order.index[~is_earlier & ever & ~on_time]
    kept.loc[filed_in_time, "submitted_late"] = False
    kept.loc[filed_in_time, "late_source"] = "earlier report"
    removed = order.loc[is_earlier, "year"].value_counts().sort_index()
    message = "%s: removed %d earlier submission(s) of employers that filed twice."
    for year, n in removed.items():
        _logger.info(message, year_label(int(year)), n)
    return kept, {int(y): int(n) for y, n in removed.items()}


def _unique_map(keys: pd.Series, ids: pd.Series) -> pd.Series:
    """key -> id, for the keys that belong to exactly one id."""
    grouped = ids.groupby(keys.to_numpy())
    return grouped.first()[grouped.nunique() == 1]


def link_employers(table: pd.DataFrame) -> pd.DataFrame:
    """Follow employers into the years whose files publish no ``employer_id``.

    The rules, in order (a row keeps the first that links it):

    1. ``employer_id`` where the file publishes it.
    2. ``company_number``: the one id of the rows with that number in the years with ids.
    3. ``name``: the one id whose rows have that ``current_name``, unless the company numbers
       conflict (the row and the id's rows both have numbers, and none in common).
    4. ``company_number`` again, against every linked row (a 2017-18 row can join a 2018-19
       row linked by name), never to an id the row's year already has; then rows of the early
       years that share a company number with a row of another year (one row per year) get
       a new negative id of their own.

    No two rows of one year may share an id: after rule 3 and at the end, the rows linked
    by the weaker rule lose the link (all of them when tied).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of several years with ``year``, ``employer_id``, ``company_number`` and
        ``current_name``, duplicates already removed (:func:`drop_duplicates`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``table``: ``linked_employer_id`` (``Int64``, missing where not linked)
        and ``link_method`` (``"employer_id"``, ``"company_number"``, ``"name"`` or missing).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.across_years import link_employers
    >>> rows = pd.DataFrame({
    ...     "year": [2017, 2017, 2019, 2017, 2018],
    ...     "employer_id": pd.array([None, None, 7, None, None], dtype="Int64"),
    ...     "company_number": ["00000001", "00000009", "00000001", "00000005", "00000005"],
    ...     "current_name": ["A LTD", "A LTD", "A LTD", "B LTD", "B LTD"],
    ... })
    >>> links = link_employers(rows)
    >>> links["linked_employer_id"].tolist()
    [7, <NA>, 7, -1, -1]
    >>> links["link_method"].tolist()
    ['company_number', nan, 'employer_id', 'company_number', 'company_number']

    The second row has A LTD's name but another company number, so it is not linked.
    """
    import numpy as np
    import pandas as pd

    linked = table["employer_id"].astype("Int64")
    method = pd.Series(np.where(linked.notna(), "employer_id", None), index=table.index)
    numbers, names = table["company_number"], table["current_name"]
    published = linked.notna()

    def link(todo: pd.Series, found: pd.Series, how: str) -> None:
        hit = found.dropna()
        hit = hit[todo.loc[hit.index]]
        linked.loc[hit.index] = hit.astype("int64").to_numpy()
        method.loc[hit.index] = how

    # 2. Company number against the published ids.
    with_number = published & numbers.notna()
    by_number = _unique_map(numbers[with_number], table.loc[with_number, "employer_id"])
    todo = linked.isna() & numbers.notna()
    link(todo, numbers[todo].map(by_number), "company_number")

    # 3. Name against the published ids, unless the company numbers conflict.
    with_name = published & names.notna()
    by_name = _unique_map(names[with_name], table.loc[with_name, "employer_id"])
    numbers_of = numbers[with_number].groupby(table.loc[with_number, "employer_id"]).agg(set)
    todo = linked.isna() & names.notna()
    candidate = names[todo].map(by_name).dropna()
    own = numbers.loc[candidate.index]
    theirs = candidate.map(numbers_of)
    conflict = [
        isinstance(number, str) and isinstance(known, set) and number not in known
        for number, known in zip(own, theirs, strict=True)
    ]
    link(todo, candidate[~np.array(conflict, dtype=bool)], "name")

    _one_row_per_year(table["year"], linked, method)

    # 4. Company number against every linked row (never to an id its year already has),
    # then new ids for the early years.
    has_link = linked.notna() & numbers.notna()
    by_number = _unique_map(numbers[has_link], linked[has_link])
    todo = linked.isna() & numbers.notna()
    found = numbers[todo].map(by_number).dropna()
    taken = set(zip(table.loc[linked.notna(), "year"], linked.dropna(), strict=True))
    free = [(y, i) not in taken for y, i in zip(table.loc[found.index, "year"], found, strict=True)]
    link(todo, found[np.array(free, dtype=bool)], "company_number")
    todo = linked.isna() & numbers.notna()
    rest = table.loc[todo, ["year", "company_number"]]
    per_year = rest.groupby(["company_number", "year"]).size().unstack(fill_value=0)
    shared = per_year.index[(per_year.max(axis=1) == 1) & (per_year.sum(axis=1) >= 2)]
    new_ids = pd.Series(-np.arange(1, len(shared) + 1), index=sorted(shared))
    link(todo, numbers[todo].map(new_ids), "company_number")

    _one_row_per_year(table["year"], linked, method)
    links = pd.DataFrame({"linked_employer_id": linked, "link_method": method})
    return links.astype({"link_method": pd.CategoricalDtype(LINK_METHODS)})


def _one_row_per_year(years: pd.Series, linked: pd.Series, method: pd.Series) -> None:
    """Where rows of one year share an id, the weaker links give way (all of them on a tie)."""
    import pandas as pd

    keyed = pd.DataFrame({"year": years, "id": linked, "strength": method.map(_STRENGTH)})
    keyed = keyed[linked.notna()]
    best = keyed.groupby(["year", "id"])["strength"].transform("min")
    strongest = keyed[keyed["strength"] == best]
    tied = strongest.duplicated(["year", "id"], keep=False)
    lose = keyed.index[keyed["strength"] > best].union(strongest.index[tied])
    linked.loc[lose] = pd.NA
    method.loc[lose] = None


def public_sector_from_other_years(table: pd.DataFrame) -> pd.DataFrame:
    """Classify the employers whose due date says nothing by their other years.

    Where the due date said nothing (``public_sector_source == "sic code"``: all of 2020-21),
    the employer's classification by due date in the nearest other year it reported (the
    later one on a tie) is used instead, through ``linked_employer_id``.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``year``, ``linked_employer_id``, ``is_public_sector`` and
        ``public_sector_source``.

    Returns
    -------
    pandas.DataFrame
        ``is_public_sector`` and ``public_sector_source`` (now also ``"other year"``)
        for every row of ``table``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.across_years import public_sector_from_other_years
    >>> rows = pd.DataFrame({
    ...     "year": [2019, 2020, 2021, 2020],
    ...     "linked_employer_id": pd.array([817, 817, 817, 5], dtype="Int64"),
    ...     "is_public_sector": pd.array([True, False, True, True], dtype="boolean"),
    ...     "public_sector_source": ["due date", "sic code", "due date", "sic code"],
    ... })
    >>> public_sector_from_other_years(rows).values.tolist()
    [[True, 'due date'], [True, 'other year'], [True, 'due date'], [True, 'sic code']]
    """
    import pandas as pd

    source = table["public_sector_source"].astype(object)
    ids = table["linked_employer_id"]
    columns = ["year", "linked_employer_id", "is_public_sector"]
    known = table.loc[(source == "due date") & ids.notna(), columns]
    todo = table.loc[(source == "sic code") & ids.notna(), columns[:2]]
    pairs = todo.reset_index().merge(known, on="linked_employer_id", suffixes=("", "_other"))
    pairs["distance"] = (pairs["year_other"] - pairs["year"]).abs()
    pairs = pairs.sort_values(["distance", "year_other"], ascending=[True, False], kind="stable")
    nearest = pairs.drop_duplicates("index").set_index("index")["is_public_sector"]
    public = table["is_public_sector"].astype("boolean")
    public.loc[nearest.index] = nearest.astype("boolean")
    source.loc[nearest.index] = "other year"
    source = source.astype(pd.CategoricalDtype(PUBLIC_SECTOR_SOURCES))
    return pd.DataFrame({"is_public_sector": public, "public_sector_source": source})


def fill_places(table: pd.DataFrame) -> pd.DataFrame:
    """Give rows whose own postcode gives no place the place of the same employer in other years.

    An address in these files is the employer's latest one in every year, so a row whose address is
    blank (281 rows of the 2018-19 Excel copy) or has no recognisable postcode takes the place of
    the same ``linked_employer_id`` in the most recent other year. A row whose own postcode gives a
    place (Crown Dependencies included) is never changed, and a filled place is never passed on.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``year``, ``linked_employer_id``, ``region``, ``nation`` and ``region_source``.

    Returns
    -------
    pandas.DataFrame
        ``region``, ``nation`` and ``region_source`` (``"postcode"``, ``"address"``,
        ``"other year"`` or missing) for every row of ``table``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.across_years import fill_places
    >>> rows = pd.DataFrame({
    ...     "year": [2018, 2019, 2019],
    ...     "linked_employer_id": pd.array([5, 5, 6], dtype="Int64"),
    ...     "region": pd.Categorical([None, "Wales", None]),
    ...     "nation": pd.Categorical([None, "Wales", None]),
    ...     "region_source": pd.Categorical([None, "address", None]),
    ... })
    >>> fill_places(rows).values.tolist()
    [['Wales', 'Wales', 'other year'], ['Wales', 'Wales', 'address'], [nan, nan, nan]]
    """
    import pandas as pd

    own = table["region_source"].isin(["postcode", "address"])
    ids = table["linked_employer_id"]
    known = table.loc[own & ids.notna(), ["year", "linked_employer_id", "region", "nation"]]
    latest = known.sort_values("year", kind="stable").drop_duplicates(ids.name, keep="last")
    latest = latest.set_index(ids.name)
    found = ids[~own & ids.notna()].map(latest["nation"]).dropna().index
    places = table[["region", "nation"]].copy()
    for column in ("region", "nation"):
        values = ids.loc[found].map(latest[column])
        places.loc[found, column] = values.astype(object).where(values.notna(), None)
    source = table["region_source"].astype(object)
    source.loc[found] = "other year"
    places["region_source"] = source.astype(pd.CategoricalDtype(REGION_SOURCES))
    return places
