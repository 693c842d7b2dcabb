"""The house style of every chart: colours, sizes, titles that say what is shown, the source line.

Every chart made with :mod:`paygap_utils.plots` states the reporting year(s), the number
of employers or reports and the source, so a screenshot pasted into a slide still says
what it is; :func:`save_figure` writes one at slide size.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.manifest import year_label

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

    mpl.rc("axes", prop_cycle=cycler(color=list(PALETTE)), grid=True, titlesize=13)
    mpl.rc("axes", titleweight="bold", labelsize=11)
    mpl.rc("axes.spines", top=False, right=False)
    mpl.rc("grid", alpha=0.3)
    mpl.rc("figure", figsize=(8, 4.5), dpi=100)
    mpl.rc("figure.constrained_layout", use=True)
    mpl.rc("savefig", bbox="tight")


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit if n != 1 else unit.removesuffix('s')}"


def sample_label(df: pd.DataFrame, unit: str = "employers") -> str:
    """Say which years and how many rows a table holds, e.g. ``'2021-22, n = 10,555 employers'``.

    One year holds one report per employer, so its n is ``unit``. A table pooling several
    years counts reports (or ``unit``, if not ``"employers"``) and the employers behind
    them (distinct ``linked_employer_id``; a row without one counts as an employer), and
    names the years inside its span that are not there.

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
    '2020-21 to 2021-22, n = 2 pairs from 1 employer'
    """
    years = sorted(int(y) for y in df["year"].unique())
    if len(years) < 2:
        return f"{year_label(years[0]) if years else 'no years'}, n = {_count(len(df), unit)}"
    span = f"{year_label(years[0])} to {year_label(years[-1])}"
    if absent := [year_label(y) for y in range(years[0], years[-1]) if y not in years]:
        span += f" (no {', '.join(absent)})"
    label = f"{span}, n = {_count(len(df), 'reports' if unit == 'employers' else unit)}"
    if "linked_employer_id" not in df:
        return label
    ids = df["linked_employer_id"]
    return f"{label} from {_count(int(ids.nunique()) + int(ids.isna().sum()), 'employers')}"


def set_title(
    ax: Axes,
    title: str,
    df: pd.DataFrame | None = None,
    unit: str = "employers",
    *,
    subtitle: str | None = None,
) -> None:
    """Title an Axes with what it shows, then the years and n of ``df`` (or ``subtitle``) below.

    Both are wrapped to the room up to the next panel on the right: titles never collide.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.plots import new_figure, set_title
    >>> fig, ax = new_figure()
    >>> set_title(ax, "Median pay gap", pd.DataFrame({"year": [2021] * 5}))
    >>> ax.get_title(loc="left")
    'Median pay gap\\n2021-22, n = 5 employers'
    >>> fig, axes = new_figure(ncols=3, figsize=(9, 3))
    >>> set_title(axes[0], "Median pay gap", subtitle="a subtitle far too long for a third " * 2)
    >>> len(axes[0].get_title(loc="left").splitlines())
    4
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if subtitle is None and df is not None:
        subtitle = sample_label(df, unit)
    text = ax.set_title(title if subtitle is None else f"{title}\n{subtitle}", loc="left")
    # Measured before the layout runs; constrained layout only spreads panels further apart.
    x0 = ax.get_position().x0
    right = min([a.get_position().x0 for a in ax.figure.axes if a.get_position().x0 > x0] + [1])
    room = 0.95 * (right - x0) * ax.figure.get_figwidth() * 72
    lines = []
    for paragraph in text.get_text().split("\n"):
        line = ""
        for word in paragraph.split(" "):
            longer = f"{line} {word}" if line else word
            if line and _width(longer, text.get_fontsize(), text.get_fontweight()) > room:
                lines.append(line)
                longer = word
            line = longer
        lines.append(line)
    text.set_text("\n".join(lines))


def _width(text: str, size: float, weight: Any = "normal") -> float:
    """How wide ``text`` is drawn, in points, at font ``size`` (without a renderer)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=size, weight=weight)
    return TextToPath().get_text_width_height_descent(text, font, ismath=False)[0]


def _note(ax: Axes, text: str, boxed: bool = False) -> None:
    """Write a small note in the top right corner of ``ax`` (on a white box over dense areas)."""
    box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 2} if boxed else None
    place = {"transform": ax.transAxes, "ha": "right", "va": "top", "zorder": 5}
    ax.text(0.99, 0.98, text, fontsize=8, color="0.3", bbox=box, **place)


def add_source(fig: Figure, df: pd.DataFrame | None = None) -> None:
    """Write the data's source and licence under a figure.

    With ``df``, the note names the as-of dates of the files behind its years, from the
    provenance :func:`paygap_utils.load` puts in ``df.attrs``.

    Examples
    --------
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
    if df is not None and "year" in df:
        shown = {year_label(int(y)) for y in df["year"].unique()}
        if dates := sorted({f["as_of"] for f in attrs.get("files") or [] if f["year"] in shown}):
            note += f" (files as of {dates[0]}" + (f" to {dates[-1]})" if len(dates) > 1 else ")")
    attribution = attrs.get("attribution")
    if attribution is None:
        from ..data.manifest import read_manifest

        attribution = read_manifest().licence["attribution"]
    # A label of the figure: the layout keeps room for it under everything else.
    fig.supxlabel(f"{note}. {attribution}", x=0.01, ha="left", fontsize=7, color="0.35", wrap=True)


def new_figure(ncols: int = 1, nrows: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """Return ``plt.subplots(...)`` with the project's style applied.

    Without a ``figsize``, each panel gets the room a chart needs: 8 x 4.5 inches for one,
    3.5 inches wider and 3.5 taller for each further column and row.

    Examples
    --------
    >>> from paygap_utils.plots import new_figure
    >>> fig, axes = new_figure(ncols=2)
    >>> len(axes), fig.get_size_inches().tolist()
    (2, [11.5, 4.5])
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    use_style()
    kwargs.setdefault("figsize", (4.5 + 3.5 * ncols, 1.0 + 3.5 * nrows))
    return plt.subplots(nrows=nrows, ncols=ncols, **kwargs)


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
        The chart, e.g. from :func:`paygap_utils.plots.new_figure`; it keeps its size on screen.
    path : str or Path
        Where to write it; ``.png`` is added if it has no suffix.
    df : pandas.DataFrame, optional
        The rows behind the chart, for the source line's dates (a source line kept).
    size, dpi : (float, float), int
        Inches and pixels per inch: a 16:9 slide by default (2000 x 1125 pixels).
    overwrite : bool
        Replace a file at ``path`` this function did not write (a FileExistsError
        otherwise); one it wrote (running the cell again) is replaced without asking.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from paygap_utils import plots
    >>> fig, ax = plots.new_figure()
    >>> _ = ax.plot([2019, 2020], [9.5, 9.1])
    >>> png = plots.save_figure(fig, Path(tempfile.mkdtemp()) / "gap")
    >>> png.name, Image.open(png).size
    ('gap.png', (2000, 1125))
    >>> [t.get_text()[:33] for t in fig.texts]
    ['Source: UK Gender Pay Gap Service']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import io

    from PIL import Image, ImageOps, PngImagePlugin

    from .._files import write_file

    target = Path(path) if Path(path).suffix else Path(path).with_suffix(".png")
    if target.suffix.lower() != ".png":
        raise ValueError(f"{target}: save_figure writes PNG files; give a name ending in .png.")
    if target.exists() and not overwrite:
        try:
            with Image.open(target) as image:
                ours = image.info.get("Software") == _SOFTWARE_TAG
        except Exception:  # not an image, unreadable: not ours
            ours = False
        if not ours:
            raise FileExistsError(
                f"{target} already exists and was not written by save_figure, so it is left "
                "alone. Choose another name, or pass overwrite=True to replace it."
            )
    if not any(text.get_text().startswith("Source:") for text in fig.texts):
        add_source(fig, df)
    shown, buffer = fig.get_size_inches().copy(), io.BytesIO()
    try:
        # Tight, so the source line under the axes is kept; then centred on a white canvas
        # of exactly the slide's size, so every chart of a deck lines up.
        fig.set_size_inches(*size)
        fig.savefig(buffer, dpi=dpi, format="png", bbox_inches="tight", facecolor="white")
    finally:
        fig.set_size_inches(*shown)
    with Image.open(buffer) as drawn:
        slide = ImageOps.pad(
            drawn.convert("RGB"), (round(size[0] * dpi), round(size[1] * dpi)), color="white"
        )
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", _SOFTWARE_TAG)
    return write_file(
        target,
        lambda file: slide.save(file, format="PNG", pnginfo=info, dpi=(dpi, dpi)),
        replace=True,
        what="the chart",
    )
