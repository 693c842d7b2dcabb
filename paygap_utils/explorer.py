"""Look up one employer: find it by name or company number, then its figures over every year.

An :class:`EmployerIndex` is built once from :func:`paygap_utils.load`'s table
(about a second) and then answers each search in milliseconds. A search looks at
every name an employer has filed under (``employer_name`` of each year) and its
name today (``current_name``), and at its company numbers. :meth:`EmployerIndex.profile`
gives one row per reporting year, including the years the employer did not
report and the years no data is published for, so a chart of its history shows
the gaps instead of joining the points across them; beside each year's figures
are the medians of the employers of the same sector, size band and region in
that year. ``notebooks/explorer.ipynb`` puts widgets on top.

pandas and matplotlib are imported only when a function here is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .data.manifest import year_label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "COMPARISONS",
    "EmployerIndex",
    "describe",
    "plot_profile",
    "PROFILE_COLUMNS",
]

_GAP = "diff_median_hourly_percent"
#: What each employer is compared with in a profile: column of the table -> label.
COMPARISONS: dict[str, str] = {
    "sector": "its sector",
    "employer_size": "its size band",
    "region": "its region",
}
#: The employer's own columns a profile carries, as :func:`paygap_utils.load` names them.
PROFILE_COLUMNS: tuple[str, ...] = (
    "employer_name",
    "company_number",
    "employer_size",
    "sector",
    "region",
    "diff_median_hourly_percent",
    "diff_mean_hourly_percent",
    "diff_median_bonus_percent",
    "diff_mean_bonus_percent",
    "female_bonus_percent",
    "male_bonus_percent",
    "female_lower_quartile",
    "female_lower_middle_quartile",
    "female_upper_middle_quartile",
    "female_top_quartile",
    "submitted_late",
    "date_submitted",
)
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]+")
# Company numbers: eight characters, digits or two letters then six digits (SC016876).
_COMPANY_NUMBER = re.compile(r"(?:[A-Z]{2}|[0-9]{2})[0-9]{6}")


def _search_key(text: object) -> str:
    """Return a name as searches compare it: upper case, punctuation and extra spaces removed.

    Unlike :func:`paygap_utils.checks.normalise_name`, which decides whether two names are
    the same employer's, it keeps words such as "Limited": a search for "limited" finds them.

    Examples
    --------
    >>> _search_key('  "Red Band" Chemical Company,  Limited ')
    'RED BAND CHEMICAL COMPANY LIMITED'
    >>> _search_key("Marks & Spencer  p.l.c.")
    'MARKS SPENCER P L C'
    >>> _search_key(None)
    ''
    """
    if not isinstance(text, str):
        return ""
    return _NOT_ALPHANUMERIC.sub(" ", text.upper()).strip()


def _company_number(query: str) -> str | None:
    """The company number a query spells, padded with the zeros Excel strips, or None."""
    compact = query.upper().replace(" ", "")
    if compact.isdigit() and len(compact) <= 8:
        compact = compact.zfill(8)
    return compact if _COMPANY_NUMBER.fullmatch(compact) else None


@dataclass(frozen=True)
class _Match:
    rank: int
    label: str


_MATCHES = {
    "number": _Match(0, "company number"),
    "exact": _Match(1, "name"),
    "start": _Match(2, "name"),
    "contains": _Match(3, "name"),
    "former": _Match(4, "former name"),
}


class EmployerIndex:
    """Every employer of a table, ready to be searched and profiled.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table (all years, for a full history).

    Notes
    -----
    An employer is a ``linked_employer_id``. Rows without one (employers of
    2017-18 and 2018-19 that could not be linked to a later year) are grouped by
    their name today, so each is still found, with the years it has. Its key, in
    :meth:`search`'s ``key`` column, is ``"id:<linked_employer_id>"`` or
    ``"name:<normalised current name>"``: short, stable for the same data, and
    usable in a link.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.explorer import EmployerIndex
    >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
    >>> found = index.search("tesco stores")
    >>> found.loc[0, ["name", "company_number", "match"]].tolist()
    ['TESCO STORES LIMITED', '00519500', 'name']
    >>> index.search("519500").loc[0, "name"]
    'TESCO STORES LIMITED'
    """

    def __init__(self, df: pd.DataFrame) -> None:
        import pandas as pd

        self.df = df
        self.years = list(range(int(df["year"].min()), int(df["year"].max()) + 1))
        self.published = {int(y) for y in df["year"].unique()}
        linked = df["linked_employer_id"]
        named = df["current_name"].fillna(df["employer_name"]).map(_search_key)
        keys = ("id:" + linked.astype("string")).fillna("name:" + named.astype("string"))
        self.keys = keys.astype(str).to_numpy()
        rows = pd.DataFrame(
            {
                "key": self.keys,
                "year": df["year"].to_numpy(),
                "current": df["current_name"].map(_search_key).to_numpy(),
                "filed": df["employer_name"].map(_search_key).to_numpy(),
                "display": df["current_name"].fillna(df["employer_name"]).to_numpy(),
                "company_number": df["company_number"].to_numpy(dtype=object),
            }
        )
        latest = rows.sort_values("year", kind="stable").groupby("key").last()
        names = pd.concat(
            [rows[["key", "current"]], rows[["key", "filed"]].set_axis(["key", "current"], axis=1)]
        )
        names = names[names["current"] != ""].drop_duplicates()
        numbers = rows.dropna(subset=["company_number"])[["key", "company_number"]]
        years = rows.groupby("key")["year"].agg(lambda ys: sorted({int(y) for y in ys}))
        index = pd.DataFrame(
            {
                "name": latest["display"],
                "latest": latest["current"],
                "names": names.groupby("key")["current"].agg("|".join),
                "numbers": numbers.drop_duplicates().groupby("key")["company_number"].agg("|".join),
                "company_number": numbers.groupby("key")["company_number"].last(),
                "years": years,
            }
        )
        index["n_years"] = index["years"].map(len)
        self.index = index.fillna({"names": "", "numbers": ""})
        self._medians = {
            column: df.groupby(["year", column], observed=True)[_GAP].agg(["median", "count"])
            for column in COMPARISONS
        }

    def __len__(self) -> int:
        return len(self.index)

    def search(self, query: str, limit: int = 20) -> pd.DataFrame:
        """Find employers by any name they have filed under, or by company number.

        Parameters
        ----------
        query : str
            Part of a name (case, punctuation and spacing do not matter), or a
            company number with or without its leading zeros.
        limit : int
            At most this many rows; the ``total`` attribute of the result says
            how many matched in all.

        Returns
        -------
        pandas.DataFrame
            One row per employer, best match first: ``key``, ``name`` (today's),
            ``company_number``, ``years`` (labels of the years it reported),
            ``n_years`` and ``match`` (``"company number"``, ``"name"`` or
            ``"former name"``: found under a name it no longer uses). Empty,
            with the same columns, when nothing matches. ``result.attrs["total"]``
            is the number of matches before ``limit``.

        Examples
        --------
        >>> import paygap_utils
        >>> from paygap_utils.explorer import EmployerIndex
        >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
        >>> index.search("no employer is called this").empty
        True
        >>> many = index.search("limited", limit=5)
        >>> len(many), many.attrs["total"] > 5
        (5, True)
        """
        import pandas as pd

        index = self.index
        text = _search_key(query)
        found = pd.Series(pd.NA, index=index.index, dtype="object")
        if text:
            latest = index["latest"]
            contains = latest.str.contains(text, regex=False)
            former = ~contains & index["names"].str.contains(text, regex=False)
            # Weakest first: a stronger kind of match overwrites a weaker one.
            found[former] = "former"
            found[contains] = "contains"
            found[contains & latest.str.startswith(text)] = "start"
            found[latest == text] = "exact"
        number = _company_number(query)
        if number is not None:
            found[index["numbers"].str.split("|").map(lambda ns: number in ns)] = "number"
        hits = index[found.notna()].assign(kind=found[found.notna()])
        hits = hits.assign(rank=hits["kind"].map(lambda k: _MATCHES[k].rank))
        hits = hits.sort_values(["rank", "n_years", "name"], ascending=[True, False, True])
        shown = hits.head(limit)
        result = pd.DataFrame(
            {
                "key": shown.index.astype(str),
                "name": shown["name"].astype(str).to_numpy(),
                "company_number": shown["company_number"].to_numpy(dtype=object),
                "years": shown["years"].map(lambda ys: [year_label(y) for y in ys]).to_numpy(),
                "n_years": shown["n_years"].to_numpy(),
                "match": shown["kind"].map(lambda k: _MATCHES[k].label).to_numpy(),
            }
        )
        result.attrs["total"] = len(hits)
        return result

    def profile(self, key: str) -> pd.DataFrame:
        """Return one employer's figures for every year of the data, with its comparison medians.

        Parameters
        ----------
        key : str
            A ``key`` from :meth:`search`.

        Returns
        -------
        pandas.DataFrame
            One row per reporting year from the first to the last year of the
            table, indexed by ``year``: ``reporting_year`` (``"2021-22"``),
            ``published`` (the data has this year at all: False for a year no
            file covers), ``reported`` (this employer has a return that year), the
            employer's own columns (missing where it did not report), and for
            each of ``sector``, ``employer_size`` and ``region`` the median
            employer's median hourly gap of its group that year and the group's
            n (``sector_median``, ``sector_n`` ...).

        Raises
        ------
        KeyError
            For a key that is not in the index, saying how to find one.

        Examples
        --------
        >>> import paygap_utils
        >>> from paygap_utils.explorer import EmployerIndex
        >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
        >>> key = index.search("00519500").loc[0, "key"]
        >>> tesco = index.profile(key)
        >>> row = tesco.loc[2021]
        >>> print(row["reporting_year"], row["reported"], row["diff_median_hourly_percent"])
        2021-22 True 6.3
        """
        import pandas as pd

        if key not in self.index.index:
            raise KeyError(
                f"No employer has the key {key!r} in this table. Use a key from the "
                "`key` column of EmployerIndex.search(...), e.g. "
                "index.profile(index.search('tesco').loc[0, 'key'])."
            )
        rows = self.df.loc[self.keys == key, ["year", *PROFILE_COLUMNS]]
        # Two returns in one year only for employers grouped by name: keep the later one.
        rows = rows.sort_values(["year", "date_submitted"], na_position="first")
        rows = rows.drop_duplicates("year", keep="last").set_index("year")
        table = rows.reindex(self.years)
        table.index.name = "year"
        table.insert(0, "reporting_year", [year_label(y) for y in self.years])
        table.insert(1, "published", [y in self.published for y in self.years])
        table.insert(2, "reported", table.index.isin(rows.index))
        for column in COMPARISONS:
            medians = self._medians[column]
            pairs = list(zip(table.index, table[column].astype(object), strict=True))
            wanted = [pair if pair in medians.index else None for pair in pairs]
            prefix = "size_band" if column == "employer_size" else column
            table[f"{prefix}_median"] = [
                medians.at[pair, "median"] if pair else float("nan") for pair in wanted
            ]
            table[f"{prefix}_n"] = pd.array(
                [int(medians.at[pair, "count"]) if pair else None for pair in wanted],
                dtype="Int64",
            )
        return table

    def region_medians(self, year: int) -> pd.DataFrame:
        """Return the median employer's median hourly gap per region in one year, with n.

        Examples
        --------
        >>> import paygap_utils
        >>> from paygap_utils.explorer import EmployerIndex
        >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
        >>> bool(index.region_medians(2022).loc["London", "count"] > 1000)
        True
        """
        medians = self._medians["region"]
        if year not in medians.index.get_level_values("year"):
            return medians.iloc[0:0].droplevel("year")
        return medians.xs(year, level="year")


def plot_profile(profile: pd.DataFrame, index: EmployerIndex | None = None) -> Figure:
    """Draw one employer's history: gap against its groups, bonuses, pay quarters, its region.

    Parameters
    ----------
    profile : pandas.DataFrame
        :meth:`EmployerIndex.profile`'s result.
    index : EmployerIndex, optional
        Where the profile came from: adds a tile map of the median gap by region
        in the employer's latest year, with its region outlined.

    Returns
    -------
    matplotlib.figure.Figure
        Two by two panels (the map's place is left empty without ``index``).
        Years without a return are gaps in the lines, and years without data
        are labelled "no data".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import paygap_utils
    >>> from paygap_utils.explorer import EmployerIndex, plot_profile
    >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
    >>> fig = plot_profile(index.profile(index.search("tesco stores").loc[0, "key"]), index)
    >>> fig.axes[0].get_title(loc="left").splitlines()[0]
    'TESCO STORES LIMITED: median hourly pay gap'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from . import plots

    fig, axes = plots.new_figure(ncols=2, nrows=2, figsize=(12, 8.5))
    (gap_ax, bonus_ax), (quarter_ax, map_ax) = axes
    reported = profile[profile["reported"]]
    name = str(reported["employer_name"].iloc[-1]) if len(reported) else "employer"
    years = list(profile.index)

    gap_ax.plot(
        years,
        profile[_GAP],
        marker="o",
        color=plots.PALETTE[5],
        linewidth=2.5,
        label="this employer",
    )
    styles = zip(("sector", "size_band", "region"), plots.PALETTE[:3], strict=True)
    for prefix, colour in styles:
        label = {"sector": "its sector", "size_band": "its size band", "region": "its region"}
        gap_ax.plot(
            years,
            profile[f"{prefix}_median"],
            marker=".",
            linestyle="--",
            color=colour,
            alpha=0.8,
            label=f"median of {label[prefix]}",
        )
    gap_ax.axhline(0, color="0.2", linewidth=1)
    gap_ax.set_ylabel("Median hourly pay gap (%)\n\u2193 women paid more | women paid less \u2191")
    gap_ax.legend(fontsize=8, loc="best")
    gap_ax.set_title(
        f"{name}: median hourly pay gap\n{_years_label(profile)}", loc="left", fontsize=11
    )

    bonus_ax.plot(
        years,
        profile["female_bonus_percent"],
        marker="o",
        color=plots.WOMEN,
        label="women paid a bonus",
    )
    bonus_ax.plot(
        years, profile["male_bonus_percent"], marker="o", color=plots.MEN, label="men paid a bonus"
    )
    bonus_ax.set_ylim(-2, 102)
    bonus_ax.set_ylabel("% of women / men paid a bonus")
    bonus_ax.legend(fontsize=8, loc="best")
    bonus_ax.set_title("Who gets a bonus", loc="left", fontsize=11)

    for ax in (gap_ax, bonus_ax):
        labels = [
            profile.at[y, "reporting_year"] + ("" if profile.at[y, "published"] else "\nno data")
            for y in years
        ]
        ax.set_xticks(years, labels, rotation=45, ha="right", fontsize=8)
        for year in years:
            if profile.at[year, "published"] and not profile.at[year, "reported"]:
                ax.axvspan(year - 0.4, year + 0.4, color="0.9", zorder=0)
            elif not profile.at[year, "published"]:
                ax.axvspan(year - 0.4, year + 0.4, color="0.8", hatch="//", alpha=0.4, zorder=0)

    shares = reported[
        [f"female_{q}_quartile" for q in ("lower", "lower_middle", "upper_middle", "top")]
    ]
    shares = shares.dropna().set_axis(["lower", "lower_middle", "upper_middle", "top"], axis=1)
    if len(shares):
        plots.quartile_profile(quarter_ax, shares.tail(4))
        quarter_ax.legend(fontsize=8, loc="best")
    quarter_ax.set_ylim(0, 100)
    quarter_ax.set_title("Women's share of each pay quarter", loc="left", fontsize=11)

    if index is not None and len(reported):
        year = int(reported.index[-1])
        medians = index.region_medians(year)
        plots.tile_map(
            map_ax,
            medians["median"],
            n=medians["count"],
            highlight=reported.at[year, "region"],
            label="Median gap (%)",
        )
        map_ax.set_title(
            f"Median gap by region, {year_label(year)}\n(outlined: its region)",
            loc="left",
            fontsize=11,
        )
    else:
        map_ax.set_axis_off()
    plots.add_source(fig, index.df if index is not None else None)
    return fig


def _years_label(profile: pd.DataFrame) -> str:
    published = profile[profile["published"]]
    reported = published[published["reported"]]
    text = f"reported in {len(reported)} of the {len(published)} years with data"
    no_return = published[~published["reported"]]["reporting_year"].tolist()
    no_data = profile[~profile["published"]]["reporting_year"].tolist()
    if no_return:
        text += f"; no return in {', '.join(no_return)}"
    if no_data:
        text += f"\nno data published for {', '.join(no_data)}"
    return text


def describe(profile: pd.DataFrame) -> str:
    """Say in one line per year what an employer reported, for text-only output and tests.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.explorer import describe
    >>> profile = pd.DataFrame({"reporting_year": ["2022-23", "2023-24"],
    ...     "published": [True, False], "reported": [True, False],
    ...     "diff_median_hourly_percent": [4.2, None], "sector_median": [9.1, None],
    ...     "submitted_late": [False, None]}, index=[2022, 2023])
    >>> print(describe(profile))
    2022-23: median gap 4.2% (sector median 9.1%), on time
    2023-24: no data published for this year
    """
    lines = []
    for _, row in profile.iterrows():
        year = row["reporting_year"]
        if not row["published"]:
            lines.append(f"{year}: no data published for this year")
        elif not row["reported"]:
            lines.append(f"{year}: no return")
        else:
            late = "late" if _truthy(row.get("submitted_late")) else "on time"
            lines.append(
                f"{year}: median gap {row[_GAP]:.1f}% "
                f"(sector median {row['sector_median']:.1f}%), {late}"
            )
    return "\n".join(lines)


def _truthy(value: Any) -> bool:
    try:
        return bool(value) and value == value
    except (TypeError, ValueError):
        return False
