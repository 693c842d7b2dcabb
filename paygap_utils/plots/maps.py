"""The UK as a tile map: one equal square per region and nation, no boundary files needed.

matplotlib is imported only when :func:`tile_map` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._frames import numbers
from .style import PALETTE

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["UK_TILES", "tile_map"]

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

    given = numbers(values, "tile_map")
    known = {str(k): float(v) for k, v in given.items() if k in UK_TILES and v == v}  # NaN != NaN
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
