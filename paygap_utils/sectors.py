"""Sectors of employers that list several SIC codes: which section does each count in?

"The gap in manufacturing" depends on a rule for employers whose SIC 2007 codes span
sections. The functions here count and summarise under any of three:

``"first"``
    Each employer counts once, in the library's ``sector``: the section of its first
    listed code other than the public-sector placeholder ``1``.
``"all"``
    An employer counts once in *every* section it lists (``sectors``), so one listed in
    three sections counts three times in the total. CIPD's industry figures count this way.
``"fractional"``
    An employer listed in ``k`` sections counts ``1/k`` in each, so the total is again one
    per employer; medians are weighted medians.

Public bodies count in the sections of their activity (a council in O, an academy trust in
P); ``is_public_sector`` says which employers are public bodies. Employers that list no code
other than ``1`` belong to no section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from .data.lookups import SIC_SECTIONS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RULES",
    "Rule",
    "section_label",
    "sector_membership",
    "sector_counts",
    "sector_summary",
    "compare_rules",
]

#: A rule for counting an employer that lists several SIC codes.
Rule = Literal["first", "all", "fractional"]
#: The counting rules, in the order the notebooks compare them.
RULES: tuple[Rule, ...] = get_args(Rule)


def section_label(section: str, width: int = 40) -> str:
    """Label a SIC section for a chart: its letter and its name, cut to ``width`` characters.

    Parameters
    ----------
    section : str
        A key of :data:`~paygap_utils.data.lookups.SIC_SECTIONS` (``"X"`` or ``"A"`` to ``"U"``).
    width : int
        The longest label; a longer name is cut and ends with an ellipsis.

    Examples
    --------
    >>> from paygap_utils.sectors import section_label
    >>> section_label("P")
    'P · Education'
    >>> section_label("T", width=30)
    'T · Activities of households…'
    """
    label = f"{section} \u00b7 {SIC_SECTIONS[section]}"
    return label if len(label) <= width else label[: width - 1].rstrip() + "\u2026"


def sector_membership(df: pd.DataFrame, rule: Rule = "first") -> pd.DataFrame:
    """List the sections each employer counts in under a counting rule, with its weight.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``sector`` and ``sectors``, as :func:`paygap_utils.load` returns them.
    rule : {"first", "all", "fractional"}
        How to count employers listed in several sections (see the module's description).

    Returns
    -------
    pandas.DataFrame
        One row per employer and section it counts in, indexed by the employer's row label
        in ``df``: ``section`` (a categorical of the section letters) and ``weight`` (1.0, or
        ``1/k`` under ``"fractional"``). Employers without a section are left out.

    Raises
    ------
    ValueError
        For a rule that is not one of :data:`RULES`.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.sectors import sector_membership
    >>> rows = pd.DataFrame({"sector": ["C", "O", None], "sectors": [["C", "G"], ["O", "P"], []]})
    >>> sector_membership(rows, "fractional")
      section  weight
    0       C     0.5
    0       G     0.5
    1       O     0.5
    1       P     0.5
    >>> sector_membership(rows, "first")["section"].tolist()
    ['C', 'O']
    """
    import numpy as np
    import pandas as pd

    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}, but got {rule!r}.")
    if rule == "first":
        lists = [[] if pd.isna(section) else [section] for section in df["sector"]]
    else:
        lists = df["sectors"].tolist()
    k = np.fromiter((len(sections) for sections in lists), dtype=np.int64, count=len(lists))
    letters = [letter for sections in lists for letter in sections]
    weight = 1.0 / np.maximum(k, 1) if rule == "fractional" else np.ones(len(lists))
    return pd.DataFrame(
        {
            "section": pd.Categorical(letters, categories=list(SIC_SECTIONS)),
            "weight": np.repeat(weight, k),
        },
        index=df.index.repeat(k),
    )


def sector_counts(df: pd.DataFrame, rule: Rule = "first") -> pd.Series:
    """Count the employers in each SIC section under a counting rule.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``sector`` and ``sectors``, e.g. one year of :func:`paygap_utils.load`.
    rule : {"first", "all", "fractional"}
        How to count employers listed in several sections (see the module's description).

    Returns
    -------
    pandas.Series
        Named ``employers`` (floats), indexed by section letter in the order of
        :data:`~paygap_utils.data.lookups.SIC_SECTIONS`, only sections with employers.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.sectors import sector_counts
    >>> rows = pd.DataFrame({"sector": ["C", "C", "G"], "sectors": [["C", "G"], ["C"], ["G"]]})
    >>> sector_counts(rows, "all").to_dict()
    {'C': 2.0, 'G': 2.0}
    >>> sector_counts(rows, "fractional").to_dict()
    {'C': 1.5, 'G': 1.5}

    With the real data, every employer with a section counts once under "first":

    >>> import paygap_utils
    >>> df = paygap_utils.load("2022-23", progressbar=False)
    >>> int(sector_counts(df).sum()) == int(df["sector"].notna().sum())
    True
    """
    members = sector_membership(df, rule)
    counts = members.groupby("section", observed=True)["weight"].sum()
    counts.index = counts.index.astype(object)
    return counts.rename("employers")


def sector_summary(
    df: pd.DataFrame, column: str = "diff_median_hourly_percent", rule: Rule = "first"
) -> pd.DataFrame:
    """Summarise one gap column per SIC section under a counting rule.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``sector``, ``sectors`` and ``column``, e.g. one year of
        :func:`paygap_utils.load`. Rows where ``column`` is missing are left out.
    column : str
        The gap to summarise.
    rule : {"first", "all", "fractional"}
        How to count employers listed in several sections (see the module's description).

    Returns
    -------
    pandas.DataFrame
        Indexed by section letter, only sections with employers: ``name``, ``employers``
        (sum of weights), ``median`` (of ``column``, weighted under ``"fractional"``) and
        ``rank`` (1 for the largest median, ties share the better rank).

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.sectors import sector_summary
    >>> rows = pd.DataFrame({
    ...     "sector": ["C", "C", "G"],
    ...     "sectors": [["C", "G"], ["C"], ["G"]],
    ...     "gap": [10.0, 20.0, 0.0],
    ... })
    >>> sector_summary(rows, "gap", "all")[["employers", "median", "rank"]]
             employers  median  rank
    section
    C              2.0    15.0     1
    G              2.0     5.0     2
    """
    import pandas as pd

    from .stats import weighted_quantile

    values = pd.to_numeric(df[column], errors="raise").astype("float64")
    members = sector_membership(df[values.notna()], rule)
    members["value"] = values.loc[members.index].to_numpy() if len(members) else []
    rows = []
    for section, part in members.groupby("section", observed=True):
        median = weighted_quantile(part["value"], part["weight"], 0.5)
        rows.append((section, SIC_SECTIONS[section], part["weight"].sum(), median))
    table = pd.DataFrame.from_records(rows, columns=["section", "name", "employers", "median"])
    table["rank"] = table["median"].rank(ascending=False, method="min").astype("int64")
    return table.set_index("section")


def compare_rules(df: pd.DataFrame, column: str = "diff_median_hourly_percent") -> pd.DataFrame:
    """Put the three counting rules side by side: employers, median gap and rank per section.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with ``sector``, ``sectors`` and ``column``, e.g. one year of
        :func:`paygap_utils.load`.
    column : str
        The gap to summarise.

    Returns
    -------
    pandas.DataFrame
        Indexed by section letter, with two-level columns: :func:`sector_summary`'s
        ``employers``, ``median`` and ``rank``, each for every rule in :data:`RULES`.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.sectors import compare_rules
    >>> table = compare_rules(paygap_utils.load("2022-23", progressbar=False))
    >>> table["rank"].columns.tolist()
    ['first', 'all', 'fractional']
    >>> bool(table["employers"]["all"].sum() > table["employers"]["first"].sum())
    True
    """
    import pandas as pd

    summaries = {rule: sector_summary(df, column, rule) for rule in RULES}
    combined = pd.concat(summaries, axis=1).swaplevel(axis=1)[["employers", "median", "rank"]]
    combined = combined.reindex([s for s in SIC_SECTIONS if s in combined.index])
    return combined.astype({("rank", rule): "Int64" for rule in RULES})
