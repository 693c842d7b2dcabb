"""The charts notebooks share: histograms of a gap, one value per year, intervals, bars, densities.

Each helper draws on an Axes it is given (from :func:`paygap_utils.plots.new_figure`) in the
house style of :mod:`paygap_utils.plots.style`, and checks its input first: text or dates
where numbers belong, or a bin width of 0, get one line saying what to pass.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, Literal

from .._frames import numbers, positive, require_columns, resolve_labels
from ..data.manifest import year_label
from .style import PALETTE, _note, _width

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "gap_histogram",
    "by_year",
    "interval_plot",
    "bar_by_group",
    "quartile_profile",
    "density",
    "change_by_start",
]

_SIGN = "\n\u2190 women paid more | women paid less \u2192"
_LABEL = {"textcoords": "offset points", "fontsize": 9}
_ABOVE = {"xytext": (0, 4), "ha": "center", "va": "bottom", **_LABEL}


def gap_histogram(
    ax: Axes,
    values: pd.Series,
    *,
    limits: tuple[float, float] = (-40.0, 60.0),
    binwidth: float = 1.0,
    color: str | None = None,
    label: str | None = None,
    alpha: float = 0.75,
    mark_median: bool = True,
    xlabel: str = "Median hourly pay gap (%)",
    unit: str = "employers",
) -> Axes:
    """Draw a histogram of a gap column, 0 and the sign convention marked; return ``ax``.

    Bins are centred on multiples of ``binwidth`` (with 0.1, pile-ups at whole numbers show
    as spikes). Values outside ``limits`` are counted in a note; the median uses them all.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        The gaps, e.g. ``df["diff_median_hourly_percent"]``; missing values are ignored.
    limits, binwidth : (float, float), float
        The range of the x axis; the width of a bin in percentage points (above 0).
    color, label, alpha, mark_median : optional
        Bar colour, legend label (the median line's too), opacity (two histograms on one
        Axes both show) and whether to draw the median as a dashed line.
    xlabel, unit : str
        What the values are (the sign convention is added); what the y axis counts:
        ``"employers"`` for one year, ``"reports"`` when values pool several years.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import gap_histogram, new_figure
    >>> fig, ax = new_figure()
    >>> _ = gap_histogram(ax, pd.Series([-3.0, 0.0, 0.0, 5.2, 12.0, 250.0]))
    >>> ax.texts[0].get_text()
    '1 value outside -40 to 60 not shown'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    binwidth = positive(binwidth, "binwidth", "gap_histogram", "1 (percentage point)")
    low, high = (float(end) for end in limits)
    if not low < high:
        raise ValueError(
            f"gap_histogram: limits must be (low, high), e.g. (-40, 60); got {limits}."
        )
    data = numbers(values, "gap_histogram").dropna()
    shown = data[(data >= low) & (data <= high)]
    # Edges half a bin either side of each multiple of binwidth: whole numbers are bin centres.
    first = np.floor(low / binwidth) * binwidth - binwidth / 2
    edges = np.arange(first, high + binwidth, binwidth)
    colour = color or PALETTE[0]
    ax.hist(shown, bins=edges, color=colour, alpha=alpha, label=label, histtype="stepfilled")
    ax.axvline(0, color="0.2", linewidth=1)
    if mark_median and len(data):
        median = float(data.median())
        named = f"median {median:.1f}" + (f" ({label})" if label else "")
        ax.axvline(median, color=colour, linestyle="--", linewidth=1.5, label=named)
    if hidden := len(data) - len(shown):
        s = "s" if hidden != 1 else ""
        _note(ax, f"{hidden:,} value{s} outside {low:g} to {high:g} not shown")
    ax.set_xlim(low, high)
    ax.set_xlabel(xlabel + _SIGN)
    ax.set_ylabel(unit.capitalize())
    return ax


def by_year(
    ax: Axes,
    values: pd.Series,
    *,
    kind: Literal["line", "bar"] = "line",
    label: str | None = None,
    color: str | None = None,
    annotate: str | None = None,
    from_zero: bool = True,
) -> Axes:
    """Plot one number per reporting year, labelled ``2017-18``, ``2018-19`` ...; return ``ax``.

    A missing year (2023-24) keeps its place, labelled "no 2023-24", and a line crosses it
    dashed: a step over two years is not one year's change. Crowded labels stand upright.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        Indexed by ``year``, e.g. ``df.groupby("year")["diff_median_hourly_percent"].median()``.
    kind, label, color : str, optional
        ``"line"`` (several can share an Axes) or ``"bar"``; legend label; colour.
    annotate : str, optional
        A format such as ``"{:.1f}%"``: write each value on the chart.
    from_zero : bool
        Start the y axis at 0 (or below), not magnifying differences between years.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import by_year, new_figure
    >>> fig, ax = new_figure()
    >>> _ = by_year(ax, pd.Series({2019: 7040, 2020: 10380}), kind="bar", annotate="{:,}")
    >>> [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts]
    (['2019-20', '2020-21'], ['7,040', '10,380'])
    >>> _ = by_year(ax, pd.Series({2021: 9.7, 2022: 9.2, 2024: 8.4}))
    >>> [t.get_text() for t in ax.get_xticklabels()][-3:]
    ['2022-23', 'no 2023-24', '2024-25']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    if kind not in ("line", "bar"):
        raise ValueError(f"by_year: kind must be 'line' or 'bar', not {kind!r}.")
    numbers(values, "by_year")  # text or dates are refused here, with what to pass
    if not all(isinstance(y, int | np.integer) for y in values.index):
        raise ValueError(
            "by_year: values must be indexed by year (2017, 2018 ...), e.g. "
            f"df.groupby('year')[column].median(); its index holds {list(values.index[:3])!r}."
        )
    years = [int(y) for y in values.index]
    colour = color or PALETTE[0]
    if kind == "bar":
        ax.bar(years, values.to_numpy(), color=colour, label=label, width=0.7)
    else:
        # One line per run of consecutive years, joined by a dashed line across a missing year.
        ys = values.to_numpy(dtype="float64")
        starts = [0] + [i for i in range(1, len(years)) if years[i] != years[i - 1] + 1]
        for start, stop in zip(starts, [*starts[1:], len(years)], strict=True):
            run = slice(start, stop)
            ax.plot(years[run], ys[run], marker="o", color=colour, label=None if start else label)
            if start:
                gap = slice(start - 1, start + 1)
                ax.plot(years[gap], ys[gap], linestyle="--", color=colour, linewidth=1)
    if annotate:
        for year, value in zip(years, values, strict=True):
            ax.annotate(annotate.format(value), (year, value), **_ABOVE)
    if from_zero and len(values):
        low, high = ax.get_ylim()
        headroom = 1.12 if annotate else 1.05
        ax.set_ylim(min(0.0, low), max(high, float(values.max()) * headroom))
    ticks = list(range(min(years), max(years) + 1)) if years else []
    labels = [year_label(y) if y in years else f"no {year_label(y)}" for y in ticks]
    ax.set_xticks(ticks, labels)
    size = ax.xaxis.get_ticklabels()[0].get_fontsize() if ticks else 10
    room = ax.get_position().width * ax.figure.get_figwidth() * 72  # points, before layout
    if sum(_width(label, size) + size for label in labels) > 0.85 * room:
        ax.tick_params(axis="x", labelrotation=90)
    ax.set_xlabel("Reporting year")
    return ax


def interval_plot(
    ax: Axes,
    table: pd.DataFrame,
    *,
    estimate: str = "median",
    low: str = "ci_low",
    high: str = "ci_high",
    n: str | None = "n",
    labels: Any = None,
    color: str | None = None,
    reference: float | None = 0.0,
    xlabel: str = "Median hourly pay gap (%)",
) -> Axes:
    """Draw a dot and interval per row of ``table``, first at the top; return ``ax``.

    Made for :func:`paygap_utils.stats.median_by_group_with_ci`: a small group's wide
    interval is seen at once.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    table : pandas.DataFrame
        One row per group, in the order to draw them.
    estimate, low, high, n : str
        Its columns: the dot, the interval's ends, each group's n (``None``: left out).
    labels : sequence or mapping, optional
        Tick labels, one per row or by index (e.g.
        :data:`~paygap_utils.data.lookups.SIC_SECTIONS`); long ones are wrapped.
    color, reference, xlabel : optional
        Colour; a vertical line (0: no gap); what the values are.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import interval_plot, new_figure
    >>> table = pd.DataFrame({"n": [900, 4], "median": [9.5, 20.0],
    ...                       "ci_low": [8.9, 3.0], "ci_high": [10.1, 31.0]}, index=["C", "T"])
    >>> fig, ax = new_figure()
    >>> _ = interval_plot(ax, table, labels={"C": "Manufacturing", "T": "Households"})
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['Manufacturing', 'Households'], ['n = 900', 'n = 4'])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    columns = [estimate, low, high, *([n] if n is not None else [])]
    require_columns(table, columns, "interval_plot")
    for column in columns:
        numbers(table[column], "interval_plot", "column")
    colour = color or PALETTE[0]
    rows = np.arange(len(table))[::-1]
    ax.hlines(rows, table[low], table[high], color=colour, linewidth=2, alpha=0.6)
    ax.plot(table[estimate], rows, "o", color=colour, markersize=6)
    if reference is not None:
        ax.axvline(reference, color="0.2", linewidth=1)
    # Long names (SIC sections) on two lines, so that panels side by side keep their width.
    ax.set_yticks(rows, [textwrap.fill(name, 28) for name in resolve_labels(table.index, labels)])
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.grid(axis="y", visible=False)
    # x in axes coordinates, y in data coordinates: the counts line up at the right edge.
    beside = {"transform": ax.get_yaxis_transform(), "va": "center", "fontsize": 8, "color": "0.35"}
    for row, count in zip(rows, table[n] if n is not None else [], strict=False):
        ax.text(1.01, row, f"n = {count:,.0f}", **beside)
    ax.set_xlabel(xlabel + _SIGN)
    return ax


def bar_by_group(
    ax: Axes,
    values: pd.Series,
    *,
    annotate: str | None = "{:.0f}",
    highlight: Any = (),
    color: str | None = None,
    highlight_color: str | None = None,
    xlabel: str | None = None,
) -> Axes:
    """Draw a horizontal bar per group, first at the top, its value written on it; return ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        One number per group, in the order to draw them; the index gives the labels.
    annotate : str or None
        A format such as ``"{:.0f}%"`` for the value at each bar's end.
    highlight, color, highlight_color, xlabel : optional
        Groups drawn in ``highlight_color``, to point at them; the colours; the x label.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import bar_by_group, new_figure
    >>> fig, ax = new_figure()
    >>> share = pd.Series({"250 to 499": 24.5, "20,000 or more": 49.2})
    >>> _ = bar_by_group(ax, share, annotate="{:.0f}%", highlight=["20,000 or more"])
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['250 to 499', '20,000 or more'], ['24%', '49%'])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    rows = np.arange(len(values))[::-1]
    marked = set(highlight)
    colours = [
        (highlight_color or PALETTE[1]) if key in marked else (color or PALETTE[0])
        for key in values.index
    ]
    ax.barh(rows, numbers(values, "bar_by_group").to_numpy(), color=colours, height=0.7)
    ax.set_yticks(rows, [str(key) for key in values.index])
    ax.grid(axis="y", visible=False)
    for row, value in zip(rows, values, strict=True):
        if annotate:
            ax.annotate(annotate.format(value), (value, row), xytext=(3, 0), va="center", **_LABEL)
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax


def quartile_profile(
    ax: Axes, shares: pd.DataFrame, *, labels: Any = None, reference: float | None = 50.0
) -> Axes:
    """Draw women's share of each pay quarter, lowest paid at the left; return ``ax``.

    Made for :func:`paygap_utils.quartiles.women_share_by_quartile`: a line falling to the
    right means women are fewer among the higher paid.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    shares : pandas.DataFrame
        One row per line, columns ``lower``, ``lower_middle``, ``upper_middle``, ``top``.
    labels, reference : optional
        Legend labels, one per row or by index (years as ``2017-18``); a dashed line at 50.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import new_figure, quartile_profile
    >>> shares = pd.DataFrame({"lower": [56.0], "lower_middle": [52.0],
    ...                        "upper_middle": [47.0], "top": [40.0]}, index=[2021])
    >>> fig, ax = new_figure()
    >>> _ = quartile_profile(ax, shares)
    >>> ax.get_legend_handles_labels()[1], [t.get_text() for t in ax.get_xticklabels()]
    (['2021-22'], ['Lower', 'Lower middle', 'Upper middle', 'Top'])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    from numbers import Integral

    from ..quartiles import QUARTILE_LABELS, QUARTILES

    require_columns(shares, QUARTILES, "quartile_profile")
    names = resolve_labels(
        shares.index, labels, default=lambda k: year_label(int(k)) if isinstance(k, Integral) else k
    )
    values = shares[list(QUARTILES)].to_numpy(dtype="float64")
    for i, (row, name) in enumerate(zip(values, names, strict=True)):
        ax.plot(range(4), row, marker="o", color=PALETTE[i % len(PALETTE)], label=name)
    if reference is not None:
        ax.axhline(reference, color="0.2", linewidth=1, linestyle="--")
    ax.set_xticks(range(4), [QUARTILE_LABELS[q] for q in QUARTILES])
    ax.set_xlabel("Pay quarter, lowest paid at the left")
    ax.set_ylabel("Women's share of the quarter (%)")
    return ax


def density(
    ax: Axes,
    x: pd.Series,
    y: pd.Series,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    gridsize: int = 40,
    xlabel: str | None = None,
    ylabel: str | None = None,
    unit: str = "employers",
) -> Any:
    """Draw where tens of thousands of employers lie: hexagons shaded by count, on a log scale.

    A scatter of this many points is a blot; hexagons coloured by count (``cividis``, safe
    for colour-blindness) show where most are. Points outside the axes are counted in a note.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x, y : pandas.Series
        The two columns, aligned; rows missing either are ignored.
    xlim, ylim, gridsize : (float, float), int
        The ranges of the axes; the number of hexagons across.
    xlabel, ylabel, unit : str, optional
        Axis labels (the Series' names by default); what a point is, for the note.

    Returns
    -------
    matplotlib.collections.PolyCollection
        The hexagons, e.g. for ``fig.colorbar(..., label="Employers (log scale)")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import density, new_figure
    >>> fig, ax = new_figure()
    >>> hexes = density(ax, pd.Series([10.0, 20.0, 30.0, None]), pd.Series([1.0, 2.0, 500.0, 4.0]),
    ...                 xlim=(0, 100), ylim=(-50, 50))
    >>> ax.texts[0].get_text()
    '1 employer outside the axes not shown'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    xs = numbers(x, "density", "x").to_numpy()
    ys = numbers(y, "density", "y").to_numpy()
    present = ~(np.isnan(xs) | np.isnan(ys))
    inside = present & (xs >= xlim[0]) & (xs <= xlim[1]) & (ys >= ylim[0]) & (ys <= ylim[1])
    shading = {"bins": "log", "mincnt": 1, "cmap": "cividis", "linewidths": 0.2}
    hexes = ax.hexbin(xs[inside], ys[inside], gridsize=gridsize, extent=(*xlim, *ylim), **shading)
    if hidden := int(present.sum() - inside.sum()):
        what = unit if hidden != 1 else unit.removesuffix("s")
        _note(ax, f"{hidden:,} {what} outside the axes not shown", boxed=True)
    ax.set(xlim=xlim, ylim=ylim)
    ax.set_xlabel(xlabel if xlabel is not None else str(x.name))
    ax.set_ylabel(ylabel if ylabel is not None else str(y.name))
    return hexes


def change_by_start(
    ax: Axes,
    table: pd.DataFrame,
    *,
    label: str | None = None,
    color: str | None = None,
    offset: float = 0.0,
    xlabel: str = "Median hourly pay gap in the first year (%)",
    ylabel: str = "Change by the next year (percentage points)",
) -> Axes:
    """Draw the median change per starting band, with the middle half of changes; return ``ax``.

    Made for :func:`paygap_utils.panel.change_by_start`: a dot per band at its median start,
    a line across its middle half of changes, 0 marked. Dots above 0 at the left and below
    it at the right are what regression to the mean looks like.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    table : pandas.DataFrame
        One row per band with ``median_start``, ``median_change``, ``q25_change`` and
        ``q75_change``; empty bands are skipped.
    label, color, offset, xlabel, ylabel : optional
        Legend label, colour, a shift along x (two tables on one Axes apart), axis labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import change_by_start, new_figure
    >>> table = pd.DataFrame({"median_start": [-15.0, 5.0, 45.0],
    ...                       "median_change": [5.0, 0.0, -2.5],
    ...                       "q25_change": [0.0, -2.0, -9.0], "q75_change": [15.0, 2.0, 0.5]})
    >>> fig, ax = new_figure()
    >>> _ = change_by_start(ax, table, label="2017-18 to 2022-23")
    >>> ax.lines[0].get_ydata().tolist(), ax.get_legend_handles_labels()[1]
    ([5.0, 0.0, -2.5], ['2017-18 to 2022-23'])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    columns = ["median_start", "median_change", "q25_change", "q75_change"]
    require_columns(table, columns, "change_by_start")
    rows = table.dropna(subset=columns[:2])
    colour = color or PALETTE[0]
    xs = rows["median_start"].to_numpy(dtype="float64") + offset
    ax.vlines(xs, rows["q25_change"], rows["q75_change"], color=colour, linewidth=2, alpha=0.5)
    ax.plot(xs, rows["median_change"].to_numpy(dtype="float64"), "o", color=colour, label=label)
    ax.axhline(0, color="0.2", linewidth=1)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return ax
