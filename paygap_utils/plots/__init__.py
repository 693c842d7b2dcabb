"""Plotting helpers: one consistent, colour-blind-safe style, and titles that say what is shown.

What notebooks use as ``plots.<name>``, from three modules: :mod:`~paygap_utils.plots.style`
(the palette, :func:`use_style`, :func:`new_figure`, titles, the source line and
:func:`save_figure`), :mod:`~paygap_utils.plots.charts` (the charts notebooks share) and
:mod:`~paygap_utils.plots.maps` (:func:`tile_map`). matplotlib is imported only when a
function is called.
"""

from .charts import (
    bar_by_group,
    by_year,
    change_by_start,
    density,
    gap_histogram,
    interval_plot,
    quartile_profile,
)
from .maps import UK_TILES, tile_map
from .style import (
    MEN,
    PALETTE,
    SLIDE_SIZE,
    WOMEN,
    add_source,
    new_figure,
    sample_label,
    save_figure,
    set_title,
    use_style,
)

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
