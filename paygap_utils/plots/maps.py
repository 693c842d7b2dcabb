"""The UK as a tile map: one equal square per region and nation, no boundary files needed.

matplotlib is imported only when :func:`tile_map` is called.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._frames import numbers
from ..data.schema import _LazyMapping, _table
from .style import PALETTE

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["UK_TILES", "tile_map"]

#: Where each ONS region and nation sits in :func:`tile_map`'s grid, as (column, row), row 0
#: at the top: roughly the UK's shape (``tile_column`` and ``tile_row`` of
#: ``paygap_utils/data/tables/regions.csv``).
UK_TILES: Mapping[str, tuple[int, int]] = _LazyMapping(
    lambda: {
        r["region"]: (int(r["tile_column"]), int(r["tile_row"])) for r in _table("regions.csv")
    }
)
_TILE_TEXT = {"ha": "center", "va": "center", "fontsize": 7.5, "zorder": 4}


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

    The twelve ONS regions (England's nine, Wales, Scotland, Northern Ireland) are laid out
    roughly where they are (:data:`UK_TILES`). A region with no value is grey and says
    "no data", so it is never mistaken for a small value.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : pandas.Series
        One number per region, indexed by the names of
        :data:`~paygap_utils.data.lookups.REGIONS` (e.g.
        ``latest.groupby("region", observed=True)["diff_median_hourly_percent"].median()``);
        other index values (``"Crown Dependency"``) are ignored.
    n, vmin, vmax : optional
        The number of employers behind each value, written under it; the ends of the
        colour scale (give the same to several maps so their colours compare).
    cmap, annotate, label, highlight, colorbar : optional
        The colour map (``cividis_r``: colour-blind-safe, darker for larger values), each
        value's format, the colour bar's label, a region to outline, whether to draw a bar.

    Returns
    -------
    matplotlib.cm.ScalarMappable
        The colour scale, e.g. for one ``fig.colorbar`` shared by several maps.

    Examples
    --------
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
    low = vmin if vmin is not None else min(known.values(), default=0.0)
    high = vmax if vmax is not None else max(known.values(), default=1.0)
    norm = mpl.colors.Normalize(vmin=low, vmax=max(high, low + 1e-9))
    colours = mpl.colormaps[cmap]
    counts = n.dropna() if n is not None else {}
    for region, (col, row) in UK_TILES.items():
        value = known.get(region)
        face = colours(norm(value)) if value is not None else (0.85, 0.85, 0.85, 1.0)
        mine = region == highlight
        edge = {"edgecolor": PALETTE[5] if mine else "white", "linewidth": 4 if mine else 1}
        ax.add_patch(
            Rectangle((col, -row), 0.94, 0.94, facecolor=face, zorder=3 if mine else 2, **edge)
        )
        name = "Yorks &\nHumber" if region.startswith("Yorkshire") else textwrap.fill(region, 9)
        text = f"{name}\n" + ("no data" if value is None else annotate.format(value))
        if value is not None and region in counts:
            text += f"\nn = {int(counts[region]):,}"
        # Dark text on light tiles, white on dark ones.
        light = 0.299 * face[0] + 0.587 * face[1] + 0.114 * face[2] > 0.5
        ax.text(col + 0.47, -row + 0.47, text, color="black" if light else "white", **_TILE_TEXT)
    ax.set(xlim=(-0.1, 5.0), ylim=(-4.1, 1.0), aspect="equal")
    ax.set_axis_off()
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=colours)
    if colorbar:
        ax.figure.colorbar(mappable, ax=ax, shrink=0.6, label=label)
    return mappable
