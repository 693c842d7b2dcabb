"""Plotting helpers: one consistent, colour-blind-safe style, and titles that say what is shown.

Every chart made with these helpers states the reporting year(s), the number of
employers and the source, so a screenshot pasted into a slide still says what it is.
matplotlib is imported only when a function here is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._frames import resolve_labels
from .data.manifest import year_label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "WOMEN",
    "MEN",
    "use_style",
    "sample_label",
    "set_title",
    "add_source",
    "new_figure",
    "SLIDE_SIZE",
    "save_figure",
    "gap_histogram",
    "by_year",
    "interval_plot",
    "bar_by_group",
    "quartile_profile",
    "density",
    "change_by_start",
    "UK_TILES",
    "tile_map",
]

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

#: Width and height, in inches, of a 16:9 slide (PowerPoint's and Google Slides' default).
SLIDE_SIZE: tuple[float, float] = (13.333, 7.5)
#: Written into every PNG :func:`save_figure` makes, so it knows which files it may replace.
_SOFTWARE_TAG = "paygap_utils.plots.save_figure"


def use_style() -> None:
    """Apply the project's matplotlib style: readable sizes, light grid, colour-blind-safe colours.

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

    One year of the data holds one report per employer, so its n is ``unit``.
    Where a table pools several years, most employers report in several of them:
    the label then counts reports (or ``unit``, when it is not ``"employers"``)
    and the employers behind them (distinct ``linked_employer_id``, each row
    without one counting as an employer of its own), and names the years inside
    the span that are not there.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import sample_label
    >>> sample_label(pd.DataFrame({"year": [2022, 2022]}))
    '2022-23, n = 2 employers'
    >>> sample_label(pd.DataFrame({"year": [2022, 2024, 2024],
    ...                            "linked_employer_id": pd.array([1, 1, 2], dtype="Int64")}))
    '2022-23 to 2024-25 (no 2023-24), n = 3 reports from 2 employers'
    >>> sample_label(pd.DataFrame({"year": [2020, 2021], "linked_employer_id": [7, 7]}), "pairs")
    '2020-21 to 2021-22, n = 2 pairs from 1 employers'
    """
    years = sorted(int(y) for y in df["year"].unique())
    if not years:
        return f"no years, n = 0 {unit}"
    if len(years) == 1:
        return f"{year_label(years[0])}, n = {len(df):,} {unit}"
    span = f"{year_label(years[0])} to {year_label(years[-1])}"
    absent = [year_label(y) for y in range(years[0], years[-1]) if y not in years]
    if absent:
        span += f" (no {', '.join(absent)})"
    counted = "reports" if unit == "employers" else unit
    if "linked_employer_id" not in df:
        return f"{span}, n = {len(df):,} {counted}"
    ids = df["linked_employer_id"]
    employers = int(ids.nunique()) + int(ids.isna().sum())
    return f"{span}, n = {len(df):,} {counted} from {employers:,} employers"


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
    >>> ax.get_title(loc="left")
    'Median pay gap\\n2021-22, n = 5 employers'
    >>> plt.close(fig)
    """
    ax.set_title(f"{title}\n{sample_label(df, unit)}", loc="left")


def add_source(fig: Figure, df: pd.DataFrame | None = None) -> None:
    """Write the data's source and licence under a figure.

    Uses the provenance :func:`paygap_utils.load` puts in ``df.attrs`` when
    given, so the note names the as-of dates of the files behind the chart and
    the attribution the licence asks for; without it, the manifest's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from paygap_utils.plots import add_source
    >>> fig, ax = plt.subplots()
    >>> add_source(fig)
    >>> print(fig.texts[0].get_text())  # doctest: +NORMALIZE_WHITESPACE
    Source: UK Gender Pay Gap Service. Contains public sector information licensed under the
    Open Government Licence v3.0.
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
    attribution = attrs.get("attribution")
    if attribution is None:
        from .data.manifest import read_manifest

        attribution = read_manifest().licence["attribution"]
    note += f". {attribution}"
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


def _written_by_us(path: Path) -> bool:
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.info.get("Software") == _SOFTWARE_TAG
    except Exception:  # not an image, unreadable: not ours
        return False


def save_figure(
    fig: Any,
    path: str | Path,
    df: Any = None,
    *,
    size: tuple[float, float] = SLIDE_SIZE,
    dpi: int = 150,
    overwrite: bool = False,
) -> Path:
    """Save a chart as a PNG the size of a slide, with the data's source line under it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart, e.g. from :func:`paygap_utils.plots.new_figure`.
    path : str or Path
        Where to write it; ``.png`` is added if it has no suffix.
    df : pandas.DataFrame, optional
        The rows behind the chart: the source line then names the as-of dates of
        their files (see :func:`paygap_utils.plots.add_source`). A figure that already
        has a source line keeps it.
    size : (float, float)
        Width and height in inches; a 16:9 slide by default (2000 x 1125 pixels at 150 dpi).
    dpi : int
        Pixels per inch.
    overwrite : bool
        Replace a file at ``path`` that this function did not write. A PNG it wrote
        (running the cell again) is replaced without asking.

    Returns
    -------
    Path
        The file written. The figure keeps its size on screen.

    Raises
    ------
    FileExistsError
        When ``path`` is a file this function did not write and ``overwrite`` is False.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from paygap_utils import plots
    >>> from paygap_utils.plots import save_figure
    >>> fig, ax = plots.new_figure()
    >>> _ = ax.plot([2019, 2020], [9.5, 9.1])
    >>> png = save_figure(fig, Path(tempfile.mkdtemp()) / "gap")
    >>> png.name, Image.open(png).size
    ('gap.png', (2000, 1125))
    >>> [t.get_text()[:33] for t in fig.texts]
    ['Source: UK Gender Pay Gap Service']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import io
    import os
    import tempfile

    from PIL import Image, PngImagePlugin

    target = Path(path)
    if target.suffix == "":
        target = target.with_suffix(".png")
    if target.suffix.lower() != ".png":
        raise ValueError(f"{target}: save_figure writes PNG files; give a name ending in .png.")
    if target.exists() and not overwrite and not _written_by_us(target):
        raise FileExistsError(
            f"{target} already exists and was not written by save_figure, so it is left "
            "alone. Choose another name, or pass overwrite=True to replace it."
        )
    if not any(text.get_text().startswith("Source:") for text in fig.texts):
        add_source(fig, df)
    target.parent.mkdir(parents=True, exist_ok=True)
    shown = fig.get_size_inches().copy()
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=".paygap-tmp.png", dir=target.parent
    )
    os.close(handle)
    try:
        fig.set_size_inches(*size)
        buffer = io.BytesIO()
        # Tight, so the source line under the axes is kept; then centred on a white canvas
        # of exactly the slide's size, so every chart of a deck lines up.
        fig.savefig(buffer, dpi=dpi, format="png", bbox_inches="tight", facecolor="white")
        width, height = round(size[0] * dpi), round(size[1] * dpi)
        with Image.open(buffer) as drawn:
            chart = drawn.convert("RGB")
        scale = min(width / chart.width, height / chart.height, 1.0)
        if scale < 1.0:
            chart = chart.resize(
                (round(chart.width * scale), round(chart.height * scale)), Image.LANCZOS
            )
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(chart, ((width - chart.width) // 2, (height - chart.height) // 2))
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", _SOFTWARE_TAG)
        canvas.save(temporary, format="PNG", pnginfo=info, dpi=(dpi, dpi))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        fig.set_size_inches(*shown)
    return target


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
) -> Axes:
    """Draw a histogram of a gap column with 0 marked and the sign convention on the x axis.

    Bins are centred on multiples of ``binwidth``, so with the default width of 1
    each whole number sits in the middle of its own bin, and with 0.1 the
    pile-ups at whole numbers show as spikes. Values outside ``limits`` are not
    drawn but are counted in a note, and the median line uses every value.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        The gaps, e.g. ``df["diff_median_hourly_percent"]``; missing values are ignored.
    limits : (float, float)
        The range of the x axis.
    binwidth : float
        Width of each bin, in percentage points.
    color : str, optional
        Bar colour; the first colour of :data:`PALETTE` by default.
    label : str, optional
        Legend label; the median line is labelled too.
    alpha : float
        Opacity of the bars, so that two histograms on one Axes both show.
    mark_median : bool
        Draw a dashed line at the median of ``values``.
    xlabel : str
        What the values are; the sign convention is added underneath.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from paygap_utils.plots import gap_histogram, new_figure
    >>> fig, ax = new_figure()
    >>> _ = gap_histogram(ax, pd.Series([-3.0, 0.0, 0.0, 5.2, 12.0, 250.0]))
    >>> ax.texts[0].get_text()
    '1 value outside -40 to 60 not shown'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import numpy as np

    low, high = limits
    data = values.dropna().astype("float64")
    shown = data[(data >= low) & (data <= high)]
    # Edges half a bin either side of each multiple of binwidth: whole numbers are bin centres.
    first = np.floor(low / binwidth) * binwidth - binwidth / 2
    edges = np.arange(first, high + binwidth, binwidth)
    colour = color or PALETTE[0]
    ax.hist(shown, bins=edges, color=colour, alpha=alpha, label=label, histtype="stepfilled")
    ax.axvline(0, color="0.2", linewidth=1)
    if mark_median and len(data):
        median = float(data.median())
        ax.axvline(
            median,
            color=colour,
            linestyle="--",
            linewidth=1.5,
            label=f"median {median:.1f}" + (f" ({label})" if label else ""),
        )
    hidden = len(data) - len(shown)
    if hidden:
        ax.text(
            0.99,
            0.98,
            f"{hidden:,} value{'s' if hidden != 1 else ''} outside {low:g} to {high:g} not shown",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="0.35",
        )
    ax.set_xlim(low, high)
    ax.set_xlabel(f"{xlabel}\n\u2190 women paid more | women paid less \u2192")
    ax.set_ylabel("Employers")
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
    """Plot one number per reporting year, with the years labelled ``2017-18``, ``2018-19`` ...

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        Indexed by ``year`` (first calendar year, as in :func:`paygap_utils.load`),
        e.g. ``df.groupby("year")["diff_median_hourly_percent"].median()``.
    kind : {"line", "bar"}
        A line with markers (several series can share an Axes) or bars.
    label : str, optional
        Legend label.
    color : str, optional
        The first colour of :data:`PALETTE` by default.
    annotate : str, optional
        A format such as ``"{:,.0f}"`` or ``"{:.1f}%"``: write each value on the chart.
    from_zero : bool
        Start the y axis at 0 (or below, for negative values), so that differences between
        years are not magnified, and leave room above the highest value for its label.
        Calling ``by_year`` again on the same Axes extends the range if needed.

    A reporting year missing between two others (2023-24) keeps its place on the
    x axis, labelled "no 2023-24"; a line crosses it dashed, so a step that spans
    two years is not read as one year's change.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from paygap_utils.plots import by_year, new_figure
    >>> fig, ax = new_figure()
    >>> _ = by_year(ax, pd.Series({2019: 7040, 2020: 10380}), kind="bar", annotate="{:,}")
    >>> [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts]
    (['2019-20', '2020-21'], ['7,040', '10,380'])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    >>> fig, ax = new_figure()
    >>> _ = by_year(ax, pd.Series({2021: 9.7, 2022: 9.2, 2024: 8.4}))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['2021-22', '2022-23', 'no 2023-24', '2024-25']
    >>> plt.close(fig)
    """
    if kind not in ("line", "bar"):
        raise ValueError(f"by_year: kind must be 'line' or 'bar', not {kind!r}.")
    years = [int(y) for y in values.index]
    colour = color or PALETTE[0]
    missing = [y for y in range(min(years), max(years)) if y not in years] if years else []
    if kind == "bar":
        ax.bar(years, values.to_numpy(), color=colour, label=label, width=0.7)
    else:
        # One line per run of consecutive years, joined by a dashed line across a missing year.
        points = list(zip(years, values.to_numpy(dtype="float64"), strict=True))
        runs: list[list[tuple[int, float]]] = []
        for point in points:
            if runs and point[0] == runs[-1][-1][0] + 1:
                runs[-1].append(point)
            else:
                runs.append([point])
        for i, run in enumerate(runs):
            xs, ys = zip(*run, strict=True)
            ax.plot(xs, ys, marker="o", color=colour, label=label if i == 0 else None)
            if i:
                (x0, y0), (x1, y1) = runs[i - 1][-1], run[0]
                ax.plot([x0, x1], [y0, y1], linestyle="--", color=colour, linewidth=1)
    if annotate:
        for year, value in zip(years, values, strict=True):
            ax.annotate(
                annotate.format(value),
                (year, value),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                va="bottom",
                fontsize=9,
            )
    if from_zero and len(values):
        low, high = ax.get_ylim()
        headroom = 1.12 if annotate else 1.05
        ax.set_ylim(min(0.0, low), max(high, float(values.max()) * headroom))
    ticks = sorted({*years, *missing})
    labels = [f"no {year_label(y)}" if y in missing else year_label(y) for y in ticks]
    ax.set_xticks(ticks, labels)
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
    """Draw one dot and interval per row of ``table``, first row at the top.

    Made for :func:`paygap_utils.stats.median_by_group_with_ci`'s result: a dot
    at each group's median, a line across its confidence interval and the
    group's n at the right, so a small group's wide interval is seen at once.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    table : pandas.DataFrame
        One row per group, in the order to draw them, with the columns below.
    estimate, low, high : str
        Columns holding the dot and the two ends of the interval.
    n : str or None
        Column holding each group's number of employers, written at the right;
        None to leave it out.
    labels : sequence or mapping, optional
        Tick labels: one per row, or a mapping from the index to a label (e.g.
        :data:`~paygap_utils.data.lookups.SIC_SECTIONS`); the index by default.
    color : str, optional
        The first colour of :data:`PALETTE` by default.
    reference : float or None
        Draw a vertical line here (0: no gap); None for none.
    xlabel : str
        What the values are; the sign convention is added underneath.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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

    colour = color or PALETTE[0]
    rows = np.arange(len(table))[::-1]
    ax.hlines(rows, table[low], table[high], color=colour, linewidth=2, alpha=0.6)
    ax.plot(table[estimate], rows, "o", color=colour, markersize=6)
    if reference is not None:
        ax.axvline(reference, color="0.2", linewidth=1)
    names = resolve_labels(table.index, labels)
    ax.set_yticks(rows, names)
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.grid(axis="y", visible=False)
    if n is not None:
        # x in axes coordinates, y in data coordinates: the counts line up at the right edge.
        place = ax.get_yaxis_transform()
        for row, count in zip(rows, table[n], strict=True):
            ax.text(
                1.01,
                row,
                f"n = {count:,.0f}",
                transform=place,
                va="center",
                ha="left",
                fontsize=8,
                color="0.35",
            )
    ax.set_xlabel(f"{xlabel}\n\u2190 women paid more | women paid less \u2192")
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
    """Draw one horizontal bar per group, first group at the top, with its value written on it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        One number per group, in the order to draw them, e.g. a share per size
        band. The index gives the labels.
    annotate : str or None
        A format such as ``"{:.0f}%"`` for the value written at each bar's end;
        None for none.
    highlight : collection of index labels
        Groups drawn in ``highlight_color``, to point at them in the text.
    color, highlight_color : str, optional
        The first and second colours of :data:`PALETTE` by default.
    xlabel : str, optional
        The x axis label.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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
    ax.barh(rows, values.to_numpy(dtype="float64"), color=colours, height=0.7)
    ax.set_yticks(rows, [str(key) for key in values.index])
    ax.grid(axis="y", visible=False)
    if annotate:
        for row, value in zip(rows, values, strict=True):
            ax.annotate(
                annotate.format(value),
                (value, row),
                textcoords="offset points",
                xytext=(3, 0),
                va="center",
                ha="left",
                fontsize=9,
            )
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax


def quartile_profile(
    ax: Axes,
    shares: pd.DataFrame,
    *,
    labels: Any = None,
    reference: float | None = 50.0,
) -> Axes:
    """Draw the share of women in each pay quarter, lowest paid at the left, one line per row.

    Made for :func:`paygap_utils.quartiles.women_share_by_quartile`'s result: a
    line that falls from left to right means women are fewer among the
    higher paid.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    shares : pandas.DataFrame
        One row per line, with columns ``lower``, ``lower_middle``,
        ``upper_middle`` and ``top`` (percent).
    labels : sequence or mapping, optional
        Legend labels: one per row, or a mapping from the index; by default the
        index, with years written as ``2017-18``.
    reference : float or None
        Draw a dashed line here (50: as many women as men); None for none.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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
    import numbers

    from .quartiles import QUARTILE_LABELS, QUARTILES

    positions = list(range(len(QUARTILES)))
    names = resolve_labels(
        shares.index,
        labels,
        default=lambda key: year_label(int(key)) if isinstance(key, numbers.Integral) else key,
    )
    values = shares[list(QUARTILES)].to_numpy(dtype="float64")
    for i, (row, name) in enumerate(zip(values, names, strict=True)):
        ax.plot(positions, row, marker="o", color=PALETTE[i % len(PALETTE)], label=name)
    if reference is not None:
        ax.axhline(reference, color="0.2", linewidth=1, linestyle="--")
    ax.set_xticks(positions, [QUARTILE_LABELS[q] for q in QUARTILES])
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
) -> Any:
    """Draw where tens of thousands of employers lie: hexagons shaded by count, on a log scale.

    A scatter plot of this many points is a solid blot; hexagons coloured by
    how many employers fall in each (the colour-blind-safe ``cividis`` map)
    show where most are. Points outside ``xlim`` or ``ylim`` are not drawn but
    are counted in a note, so clipping the view never hides that they exist.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x, y : pandas.Series
        The two columns, aligned; rows with a missing value in either are ignored.
    xlim, ylim : (float, float)
        The ranges of the axes.
    gridsize : int
        Number of hexagons across the x axis.
    xlabel, ylabel : str, optional
        Axis labels; the Series' names by default.

    Returns
    -------
    matplotlib.collections.PolyCollection
        The hexagons, e.g. for ``fig.colorbar(..., label="Employers")``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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

    xs = x.to_numpy(dtype="float64")
    ys = y.to_numpy(dtype="float64")
    present = ~(np.isnan(xs) | np.isnan(ys))
    inside = present & (xs >= xlim[0]) & (xs <= xlim[1]) & (ys >= ylim[0]) & (ys <= ylim[1])
    hexes = ax.hexbin(
        xs[inside],
        ys[inside],
        gridsize=gridsize,
        extent=(*xlim, *ylim),
        bins="log",
        mincnt=1,
        cmap="cividis",
        linewidths=0.2,
    )
    hidden = int(present.sum() - inside.sum())
    if hidden:
        # Above the hexagons, on a white box, so the note stays readable over dense areas.
        ax.text(
            0.99,
            0.98,
            f"{hidden:,} employer{'s' if hidden != 1 else ''} outside the axes not shown",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="0.25",
            zorder=5,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 2},
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
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
    """Draw the median year-on-year change for each starting band, with the middle half of changes.

    Made for :func:`paygap_utils.panel.change_by_start`'s result: one dot per
    band at its median starting value, a vertical line across the band's 25th
    to 75th percentile of change, and a line at 0 (no change). Dots above 0 at
    the left and below 0 at the right are what regression to the mean looks like.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    table : pandas.DataFrame
        One row per band with ``median_start``, ``median_change``,
        ``q25_change`` and ``q75_change``; empty bands are skipped.
    label : str, optional
        Legend label.
    color : str, optional
        The first colour of :data:`PALETTE` by default.
    offset : float
        Shift along x, so that two tables drawn on one Axes do not overlap.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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
    rows = table.dropna(subset=["median_start", "median_change"])
    colour = color or PALETTE[0]
    xs = rows["median_start"].to_numpy(dtype="float64") + offset
    ax.vlines(xs, rows["q25_change"], rows["q75_change"], color=colour, linewidth=2, alpha=0.5)
    ax.plot(xs, rows["median_change"].to_numpy(dtype="float64"), "o", color=colour, label=label)
    ax.axhline(0, color="0.2", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


#: Where each region sits in :func:`tile_map`'s grid, as (column, row), row 0 at the top:
#: roughly the UK's shape, one equal tile per ONS region and nation, no boundary files needed.
UK_TILES: dict[str, tuple[int, int]] = {
    "Scotland": (2, 0),
    "Northern Ireland": (0, 1),
    "North East": (3, 1),
    "North West": (2, 2),
    "Yorkshire and The Humber": (3, 2),
    "Wales": (1, 3),
    "West Midlands": (2, 3),
    "East Midlands": (3, 3),
    "East of England": (4, 3),
    "South West": (1, 4),
    "South East": (2, 4),
    "London": (3, 4),
}
_SHORT_NAMES = {
    "Yorkshire and The Humber": "Yorks &\nHumber",
    "Northern Ireland": "Northern\nIreland",
    "East of England": "East of\nEngland",
    "West Midlands": "West\nMidlands",
    "East Midlands": "East\nMidlands",
    "North East": "North\nEast",
    "North West": "North\nWest",
    "South East": "South\nEast",
    "South West": "South\nWest",
}


def tile_map(
    ax: Axes,
    values: pd.Series,
    *,
    n: pd.Series | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "cividis_r",
    annotate: str = "{:.1f}",
    highlight: Any = None,
    label: str | None = "Median hourly pay gap (%)",
    colorbar: bool = True,
) -> Any:
    """Draw a UK tile map: one square per region or nation, shaded and labelled with its value.

    A picture of where the gap is that needs no boundary files: the twelve ONS
    regions (England's nine, Wales, Scotland, Northern Ireland) are laid out
    roughly where they are (:data:`UK_TILES`). Regions with no value are grey
    and say "no data", so a missing region is never mistaken for a small value.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        One number per region, indexed by the region names of
        :data:`~paygap_utils.data.lookups.REGIONS` (e.g.
        ``latest.groupby("region", observed=True)["diff_median_hourly_percent"].median()``);
        other index values (e.g. ``"Crown Dependency"``) are ignored.
    n : pandas.Series, optional
        The number of employers behind each value, written under it.
    vmin, vmax : float, optional
        The ends of the colour scale; the values' range by default. Give the
        same for several maps (one per year) so their colours compare.
    cmap : str
        A matplotlib colour map; the default, colour-blind-safe ``cividis_r``,
        is darker for larger values.
    annotate : str
        Format of the value written on each tile.
    highlight : str, optional
        A region to outline, e.g. an employer's own.
    label : str or None
        The colour bar's label.
    colorbar : bool
        Draw a colour bar beside the map.

    Returns
    -------
    matplotlib.cm.ScalarMappable
        The colour scale, e.g. for one shared ``fig.colorbar`` across several maps.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from paygap_utils.plots import new_figure, tile_map
    >>> fig, ax = new_figure(figsize=(5, 5))
    >>> _ = tile_map(ax, pd.Series({"London": 12.6, "Wales": 6.2}), n=pd.Series({"London": 2900}))
    >>> sorted(t.get_text() for t in ax.texts if "London" in t.get_text())
    ['London\\n12.6\\nn = 2,900']
    >>> [t.get_text() for t in ax.texts if t.get_text().startswith("Scotland")]
    ['Scotland\\nno data']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    known = {
        str(key): float(value)
        for key, value in values.items()
        if key in UK_TILES and value == value  # NaN != NaN
    }
    shown = list(known.values())
    low = vmin if vmin is not None else (min(shown) if shown else 0.0)
    high = vmax if vmax is not None else (max(shown) if shown else 1.0)
    if high <= low:
        high = low + 1.0
    norm = mpl.colors.Normalize(vmin=low, vmax=high)
    colours = mpl.colormaps[cmap]
    for region, (col, row) in UK_TILES.items():
        value = known.get(region)
        face = colours(norm(value)) if value is not None else (0.85, 0.85, 0.85, 1.0)
        outlined = highlight is not None and region == highlight
        ax.add_patch(
            Rectangle(
                (col, -row),
                0.94,
                0.94,
                facecolor=face,
                edgecolor=PALETTE[5] if outlined else "white",
                linewidth=4 if outlined else 1,
                zorder=3 if outlined else 2,
            )
        )
        name = _SHORT_NAMES.get(region, region)
        if value is None:
            text = f"{name}\nno data"
        else:
            text = f"{name}\n{annotate.format(value)}"
            if n is not None and region in n.index and n[region] == n[region]:
                text += f"\nn = {int(n[region]):,}"
        # Dark text on light tiles, white on dark ones.
        red, green, blue = face[:3]
        ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
        ax.text(
            col + 0.47,
            -row + 0.47,
            text,
            ha="center",
            va="center",
            fontsize=7.5,
            color=ink,
            zorder=4,
        )
    ax.set_xlim(-0.1, 5.0)
    ax.set_ylim(-4.1, 1.0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=colours)
    if colorbar:
        ax.figure.colorbar(mappable, ax=ax, shrink=0.6, label=label)
    return mappable
