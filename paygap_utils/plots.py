"""Plotting helpers: one consistent, colour-blind-safe style, and titles that say what is shown.

Every chart made with these helpers states the reporting year(s), the number of
employers and the source, so a screenshot pasted into a slide still says what it is.
matplotlib is imported only when a function here is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .manifest import year_label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "use_style", "sample_label", "set_title", "add_source", "new_figure"]

#: Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Colours for women and men, used the same way in every chart.
WOMEN, MEN = PALETTE[3], PALETTE[0]


def use_style() -> None:
    """Apply the project's matplotlib style: readable sizes, light grid, the colour-blind-safe cycle.

    Examples
    --------
    >>> from paygap_utils.plots import use_style, PALETTE
    >>> use_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE[0]
    True
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(PALETTE)),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "figure.figsize": (8, 4.5),
            "figure.dpi": 100,
            "figure.constrained_layout.use": True,
            "savefig.bbox": "tight",
        }
    )


def sample_label(df: pd.DataFrame, unit: str = "employers") -> str:
    """Say which years and how many rows a table holds, e.g. ``'2021-22, n = 10,555 employers'``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import sample_label
    >>> sample_label(pd.DataFrame({"year": [2019, 2020, 2020]}))
    '2019-20 to 2020-21, n = 3 employers'
    """
    years = sorted(int(y) for y in df["year"].unique())
    if not years:
        span = "no years"
    elif len(years) == 1:
        span = year_label(years[0])
    else:
        span = f"{year_label(years[0])} to {year_label(years[-1])}"
    return f"{span}, n = {len(df):,} {unit}"


def set_title(ax: Axes, title: str, df: pd.DataFrame, unit: str = "employers") -> None:
    """Title an Axes with what it shows, then the years and n of ``df`` on a second line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from paygap_utils.plots import set_title
    >>> fig, ax = plt.subplots()
    >>> set_title(ax, "Median pay gap", pd.DataFrame({"year": [2021] * 5}))
    >>> ax.get_title()
    'Median pay gap\\n2021-22, n = 5 employers'
    >>> plt.close(fig)
    """
    ax.set_title(f"{title}\n{sample_label(df, unit)}", loc="left")


def add_source(fig: Figure, df: pd.DataFrame | None = None) -> None:
    """Write the data's source and licence under a figure.

    Uses the provenance :func:`paygap_utils.load` puts in ``df.attrs`` when
    given, so the note names the as-of dates of the files behind the chart.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from paygap_utils.plots import add_source
    >>> fig, ax = plt.subplots()
    >>> add_source(fig)
    >>> fig.texts[0].get_text().startswith("Source: UK Gender Pay Gap Service")
    True
    >>> plt.close(fig)
    """
    attrs: dict[str, Any] = dict(df.attrs) if df is not None else {}
    note = "Source: UK Gender Pay Gap Service"
    files = attrs.get("files") or []
    if df is not None and "year" in df and files:
        shown = {year_label(int(y)) for y in df["year"].unique()}
        dates = sorted({f["as_of"] for f in files if f["year"] in shown})
        if dates:
            note += f" (files as of {dates[0]}" + (f" to {dates[-1]})" if len(dates) > 1 else ")")
    note += ". Contains public sector information licensed under the Open Government Licence v3.0."
    fig.text(0.01, -0.02, note, fontsize=7, color="0.35", ha="left", va="top", wrap=True)


def new_figure(ncols: int = 1, nrows: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """Return ``plt.subplots(...)`` with the project's style applied.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from paygap_utils.plots import new_figure
    >>> fig, axes = new_figure(ncols=2)
    >>> len(axes)
    2
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    use_style()
    return plt.subplots(nrows=nrows, ncols=ncols, **kwargs)
