"""Look up one employer: find it by the name people know it by, then its figures over every year.

An :class:`EmployerIndex` is built once from :func:`paygap_utils.load`'s table (under a
second) and answers each search in milliseconds; :meth:`EmployerIndex.profile` gives a row
per reporting year beside the medians of its sector, size band and region.
``notebooks/explorer.ipynb`` puts widgets on top.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .data.manifest import year_label
from .quartiles import QUARTILES, quartile_columns

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["EmployerIndex", "plot_profile", "profile_table", "PROFILE_COLUMNS"]

_GAP = "diff_median_hourly_percent"
_GROUPS = {"sector": "sector", "employer_size": "size_band", "region": "region"}
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
    *quartile_columns("female"),
    "submitted_late",
    "date_submitted",
)
# Words that say what kind of body an employer is, not which: left out of whole names and
# initials, and of a search unless nothing else is typed.
_LEGAL = frozenset({"LIMITED", "LTD", "PLC", "LLP", "THE", "OF", "AND", "CO", "UK"})
_APOSTROPHES, _PUNCTUATION = re.compile("['\u2019`]"), re.compile("[^0-9A-Z]+")
_COMPANY_NUMBER = re.compile(r"(?:[A-Z]{2}|[0-9]{2})[0-9]{6}")
# Best first: how an employer was found, as the `match` column says it.
_MATCHES = ("company number", "name", "initials", "similar name", "former name")


def _words(text: object) -> list[str]:
    """A name as searches compare it: upper-case words, apostrophes dropped, punctuation a space."""
    if not isinstance(text, str):
        return []
    return _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", text.upper())).split()


class EmployerIndex:
    """Every employer of a table, ready to be searched and profiled.

    Each word typed is looked for in every name an employer has filed under and its name
    today: as typed, as a word's start, or with a typo (a letter wrong, missing, added or two
    swapped; two in words of eight letters or more). Case, punctuation and apostrophes do
    not matter, initials find a name, and a company number works without its leading zeros.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`paygap_utils.load`'s table (all years, for a full history).

    Notes
    -----
    An employer is a ``linked_employer_id``; rows without one (2017-18 and 2018-19 filings
    not linked to a later year) are grouped by their name today. Its key is
    ``"id:<linked_employer_id>"`` or ``"name:<its name's words>"``, stable and usable in a link.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.explorer import EmployerIndex
    >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
    >>> index.search("tesco").loc[0, ["name", "company_number", "match"]].tolist()
    ['TESCO STORES LIMITED', '00519500', 'name']
    >>> index.search("Tecso").loc[0, ["name", "match"]].tolist()
    ['TESCO STORES LIMITED', 'similar name']
    >>> index.search("BBC").loc[0, ["name", "match"]].tolist()
    ['BRITISH BROADCASTING CORPORATION', 'initials']
    >>> index.search("519500").loc[0, "name"]
    'TESCO STORES LIMITED'
    >>> many = index.search("limited", limit=5)
    >>> len(many), many.attrs["total"] > 5, index.search("qzxv bloop").empty
    (5, True, True)
    """

    def __init__(self, df: pd.DataFrame) -> None:
        import numpy as np
        import pandas as pd

        from .data.lookups import EMPLOYER_SIZES

        self.df = df
        self.years = list(range(int(df["year"].min()), int(df["year"].max()) + 1))
        self.published = {int(y) for y in df["year"].unique()}
        # Each distinct name is split into words once; rows refer to names by code.
        today = df["current_name"].fillna(df["employer_name"]).to_numpy(dtype=object)
        codes, distinct = pd.factorize(
            np.concatenate([today, df["employer_name"].to_numpy(object)])
        )
        words = [_words(name) for name in distinct] + [[]]  # code -1, no name, at the end
        self.vocabulary = np.unique([w for name in words for w in name])
        joined = np.array([" ".join(name) for name in words], dtype=object)
        today_code, filed_code = codes[: len(df)], codes[len(df) :]
        linked = df["linked_employer_id"].astype("string")
        named = "name:" + joined[today_code]
        self.keys = np.where(linked.notna(), ("id:" + linked.fillna("")).to_numpy(object), named)
        sizes = {size: rank for rank, size in enumerate(EMPLOYER_SIZES)}
        rows = pd.DataFrame(
            {
                "key": self.keys,
                "year": df["year"].to_numpy(dtype="int64"),
                "code": today_code,
                "company_number": df["company_number"].to_numpy(dtype=object),
                "size": df["employer_size"].astype(object).map(sizes).to_numpy(dtype="float64"),
            }
        ).sort_values("year", kind="stable")
        index = rows.groupby("key").last()
        years = rows.drop_duplicates(["key", "year"])
        index["n_years"] = years.groupby("key").size()
        # The years an employer reported, as bits: year y is bit y - first year.
        index["years"] = (2 ** (years["year"] - self.years[0])).groupby(years["key"]).sum()
        index["name"] = np.append(distinct, None)[index["code"]]  # code -1: no name
        index["whole"] = [" ".join(w for w in words[c] if w not in _LEGAL) for c in index["code"]]
        index["initials"] = [
            "".join(w[0] for w in words[c] if w not in _LEGAL) for c in index["code"]
        ]
        # Every name an employer has used, as postings of (employer, word, its name today?).
        names = pd.concat(
            [
                index["code"].reset_index().assign(today=True),
                pd.DataFrame({"key": self.keys, "code": filed_code, "today": False}),
            ]
        ).drop_duplicates(["key", "code"])
        number_of = {w: i for i, w in enumerate(self.vocabulary)}
        ids = [[number_of[w] for w in name] for name in words]
        names["word"] = [ids[c] for c in names["code"]]
        postings = names.explode("word").dropna(subset=["word"])
        position = pd.Series(np.arange(len(index)), index=index.index)
        self._posting = (
            position[postings["key"]].to_numpy(),
            postings["word"].to_numpy(dtype="int64"),
            postings["today"].to_numpy(dtype=bool),
        )
        self._numbers = rows.dropna(subset=["company_number"])[["company_number", "key"]]
        self.index = index
        self._medians = {
            column: df.groupby(["year", column], observed=True)[_GAP].agg(["median", "count"])
            for column in _GROUPS
        }

    def __len__(self) -> int:
        return len(self.index)

    def _word_quality(self, word: str) -> Any:
        """How well each word of the vocabulary matches ``word``: 3 exact, 2 its start, 1 a typo."""
        import numpy as np
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import cdist

        vocabulary = self.vocabulary
        quality = np.zeros(len(vocabulary), dtype="int8")
        if len(word) >= 4:
            allowed = 1 if len(word) < 8 else 2
            distance = cdist([word], vocabulary, scorer=OSA.distance, score_cutoff=allowed)[0]
            quality[distance <= allowed] = 1
        start, stop = np.searchsorted(vocabulary, [word, word + "\uffff"])
        quality[start:stop] = 2  # the words it starts, the word itself first among them
        if start < stop and vocabulary[start] == word:
            quality[start] = 3
        return quality

    def search(self, query: str, limit: int = 20) -> pd.DataFrame:
        """Find employers by the words of any name they have filed under, or by company number.

        Parameters
        ----------
        query : str
            Words of a name (case, punctuation and small typos do not matter), its
            initials, or a company number with or without its leading zeros.
        limit : int
            At most this many rows; ``result.attrs["total"]`` says how many matched.

        Returns
        -------
        pandas.DataFrame
            One row per employer, best first: ``key``, ``name`` (today's), ``company_number``,
            ``years`` (labels), ``n_years`` and ``match``: ``"company number"``, ``"name"``
            (its whole name, or every word in it), ``"initials"``, ``"similar name"`` (a
            typo) or ``"former name"``. Among equals, the words as typed first, then the
            most years, then the largest; empty (same columns) if none. Examples are
            :class:`EmployerIndex`'s.
        """
        import numpy as np

        index, (employer, word, today) = self.index, self._posting
        # How each employer was found: a position in _MATCHES, or past the end for not at all.
        kind = np.full(len(index), len(_MATCHES))
        score = np.zeros(len(index))  # the quality of each word typed, added up
        typed = _words(query)
        wanted = [w for w in typed if w not in _LEGAL] or typed
        whole = np.zeros(len(index), bool)
        if wanted:
            in_any, in_today = np.ones(len(index), bool), np.ones(len(index), bool)
            weakest = np.full(len(index), 3, dtype="int8")
            for term in wanted:
                quality = self._word_quality(term)[word]
                best_any, best_today = np.zeros((2, len(index)), dtype="int8")
                np.maximum.at(best_any, employer, quality)
                np.maximum.at(best_today, employer[today], quality[today])
                in_any &= best_any > 0
                in_today &= best_today > 0
                weakest = np.minimum(weakest, best_today)
                score += best_today
            kind[in_any] = 4
            kind[in_today] = np.where(weakest[in_today] == 1, 3, 1)
            letters = "".join(typed)
            initials = (index["initials"].to_numpy() == letters) & (len(letters) > 1) & (kind > 1)
            kind[initials] = 2
            score[initials] = 3 * len(wanted)  # as good as every word found as typed
            whole = index["whole"].to_numpy() == " ".join(wanted)
            kind[whole] = 1
        # A company number, padded with the zeros Excel strips.
        number = query.upper().replace(" ", "")
        number = number.zfill(8) if number.isdigit() and len(number) <= 8 else number
        if _COMPANY_NUMBER.fullmatch(number):
            holders = self._numbers["key"][self._numbers["company_number"] == number]
            kind[index.index.get_indexer(holders.unique())] = 0
        # A company number, then a whole name, then names and initials together by how well
        # they match, then names with a typo, then former names; the most years, the largest.
        order = np.select([kind == 0, whole, kind <= 2], [0, 1, 2], default=kind)
        hits = index.assign(kind=kind, order=order, score=score)[kind < len(_MATCHES)]
        hits = hits.sort_values(
            ["order", "score", "n_years", "size", "name"],
            ascending=[True, False, False, False, True],
            na_position="last",
        )
        shown = hits.head(limit)
        first = self.years[0]
        result = shown.reset_index().assign(
            years=[
                [year_label(first + i) for i in range(len(self.years)) if bits >> i & 1]
                for bits in shown["years"]
            ],
            match=[_MATCHES[k] for k in shown["kind"]],
        )[["key", "name", "company_number", "years", "n_years", "match"]]
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
            One row per reporting year of the table's span, indexed by ``year``:
            ``reporting_year``, ``published`` (False for a year no file covers),
            ``reported``, the :data:`PROFILE_COLUMNS` (missing where it did not report), and
            the median gap and n of its sector, size band and region that year
            (``sector_median``, ``sector_n``, ``size_band_median`` ...).

        Examples
        --------
        >>> import paygap_utils
        >>> from paygap_utils.explorer import EmployerIndex
        >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
        >>> tesco = index.profile(index.search("00519500").loc[0, "key"])
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
        for column, prefix in _GROUPS.items():
            pairs = pd.MultiIndex.from_arrays([table.index, table[column].astype(object)])
            medians = self._medians[column].reindex(pairs)
            table[f"{prefix}_median"] = medians["median"].to_numpy()
            table[f"{prefix}_n"] = pd.array(medians["count"].to_numpy(), dtype="Int64")
        return table


#: The rows of :func:`profile_table`: a profile's column -> its heading.
_TABLE_ROWS = {
    "diff_median_hourly_percent": "Median hourly pay gap (%)",
    "diff_mean_hourly_percent": "Mean hourly pay gap (%)",
    "diff_median_bonus_percent": "Median bonus gap (%)",
    "female_bonus_percent": "Women paid a bonus (%)",
    "male_bonus_percent": "Men paid a bonus (%)",
    "sector_median": "Median gap of its sector (%)",
    "size_band_median": "Median gap of its size band (%)",
    "region_median": "Median gap of its region (%)",
    "submitted_late": "Filed",
}


def profile_table(profile: pd.DataFrame) -> pd.DataFrame:
    """Return a profile as a person reads it: a row per figure with its heading, a column per year.

    Numbers to one decimal, "no data" for a year without published data, "no return"
    for a year the employer did not report, "on time" or "late" for when it filed.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.explorer import profile_table
    >>> profile = pd.DataFrame({"reporting_year": ["2022-23", "2023-24"],
    ...     "published": [True, False], "reported": [True, False],
    ...     "diff_median_hourly_percent": [4.25, None], "submitted_late": [False, None]})
    >>> profile_table(profile).loc[["Median hourly pay gap (%)", "Filed"]]
                               2022-23  2023-24
    Median hourly pay gap (%)      4.2  no data
    Filed                      on time  no data
    """
    import pandas as pd

    rows = [column for column in _TABLE_ROWS if column in profile]
    table = {}
    for _, year in profile.iterrows():
        if not year["published"] or not year["reported"]:
            cells = ["no data" if not year["published"] else "no return"] * len(rows)
        else:
            cells = [_cell(column, year[column]) for column in rows]
        table[year["reporting_year"]] = cells
    return pd.DataFrame(table, index=[_TABLE_ROWS[column] for column in rows])


def _cell(column: str, value: Any) -> str:
    import pandas as pd

    if pd.isna(value):
        return "not given"
    if column == "submitted_late":
        return "late" if value else "on time"
    return f"{value:.1f}"


def plot_profile(profile: pd.DataFrame, index: EmployerIndex | None = None) -> Figure:
    """Draw one employer's history: gap against its groups, bonuses, pay quarters, its region.

    Parameters
    ----------
    profile : pandas.DataFrame
        :meth:`EmployerIndex.profile`'s result.
    index : EmployerIndex, optional
        Where it came from: adds a tile map of the median gap by region in the
        employer's latest year, its region outlined.

    Returns
    -------
    matplotlib.figure.Figure
        Two by two panels; a year without a return is a gap in the lines, a year
        without data is labelled "no data".

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.explorer import EmployerIndex, plot_profile
    >>> index = EmployerIndex(paygap_utils.load(progressbar=False))
    >>> fig = plot_profile(index.profile(index.search("tesco stores").loc[0, "key"]), index)
    >>> fig.axes[0].get_title(loc="left").split(":")[0]
    'TESCO STORES LIMITED'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from . import plots

    fig, axes = plots.new_figure(ncols=2, nrows=2, figsize=(12, 8.5))
    (gap_ax, bonus_ax), (quarter_ax, map_ax) = axes
    reported = profile[profile["reported"]]
    name = str(reported["employer_name"].iloc[-1]) if len(reported) else "employer"
    years = list(profile.index)
    lines = [(gap_ax, _GAP, "this employer", plots.PALETTE[5], "-")] + [
        (gap_ax, f"{group}_median", f"median of its {group.replace('_', ' ')}", colour, "--")
        for group, colour in zip(_GROUPS.values(), plots.PALETTE[:3], strict=True)
    ]
    lines += [
        (bonus_ax, "female_bonus_percent", "women paid a bonus", plots.WOMEN, "-"),
        (bonus_ax, "male_bonus_percent", "men paid a bonus", plots.MEN, "-"),
    ]
    for ax, column, label, colour, style in lines:
        ax.plot(years, profile[column], marker="o", linestyle=style, color=colour, label=label)
    gap_ax.axhline(0, color="0.2", linewidth=1)
    gap_ax.set_ylabel("Median hourly pay gap (%)\n\u2193 women paid more | women paid less \u2191")
    # Every year with a return has data: reported years are among the published ones.
    published = profile[profile["published"]]
    subtitle = f"reported in {len(reported)} of the {len(published)} years with data"
    if no_return := published.loc[~published["reported"], "reporting_year"].tolist():
        subtitle += f"; no return in {', '.join(no_return)}"
    if no_data := profile.loc[~profile["published"], "reporting_year"].tolist():
        subtitle += f"\nno data published for {', '.join(no_data)}"
    plots.set_title(gap_ax, f"{name}: median hourly pay gap", subtitle=subtitle)
    bonus_ax.set_ylim(-2, 102)
    bonus_ax.set_ylabel("% of women / men paid a bonus")
    plots.set_title(bonus_ax, "Who gets a bonus")
    for ax in (gap_ax, bonus_ax):
        ax.legend(fontsize=8, loc="best")
        labels = [
            profile.at[y, "reporting_year"] + ("" if profile.at[y, "published"] else "\nno data")
            for y in years
        ]
        ax.set_xticks(years, labels, rotation=45, ha="right", fontsize=8)
        for year in years:
            if not profile.at[year, "published"]:
                ax.axvspan(year - 0.4, year + 0.4, color="0.8", hatch="//", alpha=0.4, zorder=0)
            elif not profile.at[year, "reported"]:
                ax.axvspan(year - 0.4, year + 0.4, color="0.9", zorder=0)

    shares = reported[quartile_columns("female")].dropna()
    if len(shares):
        plots.quartile_profile(quarter_ax, shares.set_axis(list(QUARTILES), axis=1).tail(4))
        quarter_ax.legend(fontsize=8, loc="best")
    quarter_ax.set_ylim(0, 100)
    plots.set_title(quarter_ax, "Women's share of each pay quarter")
    map_ax.set_axis_off()
    if index is not None and len(reported):
        year = int(reported.index[-1])
        medians = index._medians["region"].xs(year, level="year")
        highlight = reported.at[year, "region"]
        plots.tile_map(map_ax, medians["median"], n=medians["count"], highlight=highlight)
        plots.set_title(
            map_ax, f"Median gap by region, {year_label(year)}", subtitle="(outlined: its region)"
        )
    plots.add_source(fig, index.df if index is not None else None)
    return fig
