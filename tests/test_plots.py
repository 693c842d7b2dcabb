"""The shared chart style and the chart helpers: titles, sources, histograms, per-year plots."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from paygap_utils import plots

mpl.use("Agg")


def test_gap_histogram_centres_bins_on_whole_numbers_and_notes_hidden_values():
    fig, ax = plots.new_figure()
    values = pd.Series([-60.0, -1.0, 0.0, 0.0, 0.0, 2.0, 2.4, 99.0, np.nan])
    plots.gap_histogram(ax, values, limits=(-5, 5), binwidth=1.0, label="2022-23")
    patch = ax.patches[0]
    xs = patch.get_path().vertices[:, 0]
    # Bin edges sit half-way between whole numbers.
    assert np.allclose(np.sort(np.unique(xs)) % 1, 0.5)
    assert ax.texts[0].get_text() == "2 values outside -5 to 5 not shown"
    # The median uses every value, not only those drawn.
    median_line = ax.lines[1]
    assert median_line.get_xdata()[0] == pytest.approx(values.median())
    assert "median 0.0 (2022-23)" in ax.get_legend_handles_labels()[1]
    assert "women paid less" in ax.get_xlabel()
    assert ax.get_xlim() == (-5, 5)
    plt.close(fig)


def test_gap_histogram_without_median_or_hidden_values():
    fig, ax = plots.new_figure()
    plots.gap_histogram(ax, pd.Series([1.0, 2.0]), mark_median=False, color=plots.PALETTE[3])
    assert len(ax.lines) == 1  # the zero line only
    assert len(ax.texts) == 0
    assert mpl.colors.to_hex(ax.patches[0].get_facecolor()) == plots.PALETTE[3].lower()
    plt.close(fig)


def test_by_year_labels_reporting_years_and_annotates():
    fig, ax = plots.new_figure()
    plots.by_year(
        ax,
        pd.Series([9.3, 9.5, 10.4], index=[2017, 2018, 2019]),
        annotate="{:.1f}%",
        label="median",
    )
    plots.by_year(
        ax,
        pd.Series([11.8, 11.9, 12.8], index=[2017, 2018, 2019]),
        color=plots.PALETTE[1],
        label="mean",
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2017-18", "2018-19", "2019-20"]
    assert [t.get_text() for t in ax.texts] == ["9.3%", "9.5%", "10.4%"]
    assert len(ax.lines) == 2
    assert ax.get_legend_handles_labels()[1] == ["median", "mean"]
    plt.close(fig)


def test_by_year_bars_and_bad_kind():
    fig, ax = plots.new_figure()
    plots.by_year(ax, pd.Series({2021: 10555, 2022: 10622}), kind="bar")
    assert [round(p.get_height()) for p in ax.patches] == [10555, 10622]
    with pytest.raises(ValueError, match="'line' or 'bar'"):
        plots.by_year(ax, pd.Series({2021: 1}), kind="pie")
    plt.close(fig)


def test_by_year_starts_at_zero_and_leaves_room_for_labels():
    fig, axes = plots.new_figure(ncols=2, sharey=True)
    plots.by_year(axes[0], pd.Series({2017: 9.3, 2018: 9.5}), annotate="{:.1f}")
    low, high = axes[0].get_ylim()
    assert low == 0
    assert high >= 9.5 * 1.12
    # A later, higher series on a shared axis extends the range rather than being cut off.
    plots.by_year(axes[1], pd.Series({2017: 13.3, 2018: 14.3}))
    assert axes[0].get_ylim()[1] >= 14.3
    plt.close(fig)


def test_by_year_can_keep_matplotlibs_own_range():
    fig, ax = plots.new_figure()
    plots.by_year(ax, pd.Series({2017: 90.0, 2018: 95.0}), from_zero=False)
    assert ax.get_ylim()[0] > 80
    plt.close(fig)


def test_interval_plot_draws_a_dot_and_interval_per_group_with_n():
    table = pd.DataFrame(
        {
            "n": [900, 1234, 4],
            "median": [9.5, 12.0, 20.0],
            "ci_low": [8.9, 11.0, 3.0],
            "ci_high": [10.1, 13.0, 31.0],
        },
        index=["C", "K", "T"],
    )
    fig, ax = plots.new_figure()
    plots.interval_plot(ax, table, labels={"C": "Manufacturing"})
    # The first row sits at the top; a label missing from the mapping falls back to the index.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Manufacturing", "K", "T"]
    assert ax.get_yticks().tolist() == [2, 1, 0]
    assert [t.get_text() for t in ax.texts] == ["n = 900", "n = 1,234", "n = 4"]
    segments = ax.collections[0].get_segments()
    assert [tuple(s[:, 0]) for s in segments] == [(8.9, 10.1), (11.0, 13.0), (3.0, 31.0)]
    assert "women paid less" in ax.get_xlabel()
    plt.close(fig)


def test_interval_plot_takes_a_list_of_labels_and_can_leave_out_n_and_zero():
    table = pd.DataFrame({"median": [1.0, 2.0], "low": [0.0, 1.0], "high": [2.0, 3.0]})
    fig, ax = plots.new_figure()
    plots.interval_plot(
        ax, table, low="low", high="high", n=None, labels=["a", "b"], reference=None
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert len(ax.texts) == 0 and len(ax.lines) == 1
    plt.close(fig)


def test_bar_by_group_highlights_and_annotates():
    share = pd.Series({"250 to 499": 24.5, "5000 to 19,999": 25.2, "20,000 or more": 49.2})
    fig, ax = plots.new_figure()
    plots.bar_by_group(
        ax, share, annotate="{:.1f}%", highlight=["20,000 or more"], xlabel="Share in London (%)"
    )
    colours = [mpl.colors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert colours == [plots.PALETTE[0].lower(), plots.PALETTE[0].lower(), plots.PALETTE[1].lower()]
    assert [bar.get_width() for bar in ax.patches] == [24.5, 25.2, 49.2]
    assert [t.get_text() for t in ax.texts] == ["24.5%", "25.2%", "49.2%"]
    assert ax.get_xlabel() == "Share in London (%)"
    plt.close(fig)


def test_quartile_profile_draws_one_line_per_row_across_the_four_quarters():
    shares = pd.DataFrame(
        {
            "lower": [56.0, 54.0],
            "lower_middle": [52.0, 50.0],
            "upper_middle": [47.0, 45.0],
            "top": [40.0, 39.0],
        },
        index=[2021, 2022],
    )
    fig, ax = plots.new_figure()
    plots.quartile_profile(ax, shares)
    assert ax.get_legend_handles_labels()[1] == ["2021-22", "2022-23"]
    assert ax.lines[0].get_ydata().tolist() == [56.0, 52.0, 47.0, 40.0]
    assert list(ax.lines[-1].get_ydata()) == [50, 50]  # the reference line
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Lower",
        "Lower middle",
        "Upper middle",
        "Top",
    ]
    plt.close(fig)


def test_quartile_profile_takes_labels_and_can_leave_out_the_reference():
    shares = pd.DataFrame(
        {"lower": [56.0], "lower_middle": [52.0], "upper_middle": [47.0], "top": [40.0]},
        index=["all"],
    )
    fig, ax = plots.new_figure()
    plots.quartile_profile(ax, shares, labels={"all": "2017-18 to 2022-23"}, reference=None)
    assert ax.get_legend_handles_labels()[1] == ["2017-18 to 2022-23"]
    assert len(ax.lines) == 1
    plt.close(fig)


def test_density_counts_what_it_leaves_out_and_ignores_blanks():
    x = pd.Series([10.0, 20.0, 30.0, np.nan, 150.0], name="female_top_quartile")
    y = pd.Series([1.0, 2.0, 500.0, 4.0, 5.0], name="diff_median_hourly_percent")
    fig, ax = plots.new_figure()
    hexes = plots.density(ax, x, y, xlim=(0, 100), ylim=(-50, 50), gridsize=10)
    assert ax.texts[0].get_text() == "2 employers outside the axes not shown"
    assert hexes.get_array().sum() == pytest.approx(2)
    assert ax.get_xlim() == (0, 100) and ax.get_ylim() == (-50, 50)
    assert ax.get_xlabel() == "female_top_quartile"
    plt.close(fig)


def test_change_by_start_draws_each_band_and_skips_empty_ones():
    table = pd.DataFrame(
        {
            "median_start": [-15.0, np.nan, 5.0, 45.0],
            "median_change": [5.0, np.nan, 0.0, -2.5],
            "q25_change": [0.0, np.nan, -2.0, -9.0],
            "q75_change": [15.0, np.nan, 2.0, 0.5],
        }
    )
    fig, ax = plots.new_figure()
    plots.change_by_start(ax, table, label="first year", offset=1.0)
    dots = ax.lines[0]
    assert dots.get_xdata().tolist() == [-14.0, 6.0, 46.0]
    assert dots.get_ydata().tolist() == [5.0, 0.0, -2.5]
    spans = ax.collections[0].get_segments()
    assert [(s[0][1], s[1][1]) for s in spans] == [(0.0, 15.0), (-2.0, 2.0), (-9.0, 0.5)]
    assert list(ax.lines[1].get_ydata()) == [0, 0]
    assert ax.get_legend_handles_labels()[1] == ["first year"]
    assert "next year" in ax.get_ylabel()
    plt.close(fig)


def test_tile_map_draws_every_region_shades_by_value_and_says_no_data():
    from paygap_utils.data.lookups import REGIONS

    fig, ax = plots.new_figure(figsize=(5, 5))
    values = pd.Series({"London": 14.0, "Wales": 4.0, "Crown Dependency": 99.0})
    counts = pd.Series({"London": 2900, "Wales": 410})
    scale = plots.tile_map(ax, values, n=counts, highlight="Wales", colorbar=False)
    assert set(plots.UK_TILES) == set(REGIONS)
    assert len(ax.patches) == len(REGIONS)  # one tile each; the Crown Dependency is ignored
    texts = {t.get_text().split("\n")[0]: t.get_text() for t in ax.texts}
    assert texts["London"] == "London\n14.0\nn = 2,900"
    assert texts["Scotland"] == "Scotland\nno data"
    by_place = {(round(p.get_x()), round(-p.get_y())): p for p in ax.patches}
    london, wales = by_place[plots.UK_TILES["London"]], by_place[plots.UK_TILES["Wales"]]
    scotland = by_place[plots.UK_TILES["Scotland"]]
    # The scale runs from the smallest to the largest value shown: London at the top end.
    assert scale.norm.vmin == 4.0 and scale.norm.vmax == 14.0
    assert london.get_facecolor() != wales.get_facecolor()
    assert scotland.get_facecolor()[:3] == pytest.approx((0.85, 0.85, 0.85))
    assert wales.get_linewidth() > london.get_linewidth()  # the highlighted region
    plt.close(fig)


def test_tile_maps_share_a_scale_when_given_one():
    fig, axes = plots.new_figure(ncols=2)
    first = plots.tile_map(axes[0], pd.Series({"London": 10.0}), vmin=0, vmax=20)
    second = plots.tile_map(axes[1], pd.Series({"London": 10.0, "Wales": 0.0}), vmin=0, vmax=20)
    assert (first.norm.vmin, first.norm.vmax) == (second.norm.vmin, second.norm.vmax) == (0, 20)
    assert len(fig.axes) == 4  # two maps and their colour bars
    plt.close(fig)


def test_sample_label_counts_reports_and_employers_when_years_are_pooled():
    one_year = pd.DataFrame({"year": [2024] * 3, "linked_employer_id": pd.array([1, 2, 3])})
    assert plots.sample_label(one_year) == "2024-25, n = 3 employers"
    pooled = pd.DataFrame(
        {
            "year": [2017, 2018, 2018, 2019],
            "linked_employer_id": pd.array([5, 5, None, 6], dtype="Int64"),
        }
    )
    # Employer 5 twice, 6 once, and the unlinked row counts as an employer of its own.
    assert plots.sample_label(pooled) == "2017-18 to 2019-20, n = 4 reports from 3 employers"
    assert plots.sample_label(pooled, "pairs").endswith("n = 4 pairs from 3 employers")
    gap = pd.DataFrame({"year": [2021, 2024]})
    assert plots.sample_label(gap) == "2021-22 to 2024-25 (no 2022-23, 2023-24), n = 2 reports"
    fig, ax = plt.subplots()
    plots.set_title(ax, "Gap", pooled)
    assert ax.get_title(loc="left") == "Gap\n2017-18 to 2019-20, n = 4 reports from 3 employers"
    plt.close(fig)


def test_by_year_keeps_a_missing_years_place_and_dashes_the_step_across_it():
    fig, ax = plots.new_figure()
    plots.by_year(ax, pd.Series({2021: 9.7, 2022: 9.2, 2024: 8.4}), label="median")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["2021-22", "2022-23", "no 2023-24", "2024-25"]
    styles = [(line.get_xdata().tolist(), line.get_linestyle()) for line in ax.lines]
    assert styles == [([2021, 2022], "-"), ([2024], "-"), ([2022, 2024], "--")]
    assert ax.get_legend_handles_labels()[1] == ["median"]
    plt.close(fig)


# A subtitle as long as the longest a notebook draws: seven years pooled.
POOLED = pd.DataFrame(
    {
        "year": np.repeat([2017, 2018, 2019, 2020, 2021, 2022, 2024], 1000),
        "linked_employer_id": pd.array(np.arange(7000) % 1800, dtype="Int64"),
    }
)
SECTORS = {
    "G": "Wholesale and retail trade; repair of motor vehicles",
    "Q": "Human health and social work activities",
    "P": "Education",
}


def _draw(helper: str, ax) -> None:
    """One realistic call of each plotting helper, legends and notes included."""
    rng = np.random.default_rng(0)
    gaps = pd.Series(rng.normal(10, 15, 2000))
    if helper == "gap_histogram":
        plots.gap_histogram(ax, gaps, label="2022-23", unit="reports")
        ax.legend(loc="upper left")
    elif helper == "by_year":
        values = pd.Series({2017: 9.3, 2018: 9.5, 2019: 10.4, 2020: 9.9, 2021: 9.7, 2022: 9.2})
        plots.by_year(ax, pd.concat([values, pd.Series({2024: 8.4})]), annotate="{:.1f}")
    elif helper == "interval_plot":
        table = pd.DataFrame(
            {"n": [1900, 1200, 800], "median": [9.0, 12.0, 20.0]}, index=list(SECTORS)
        ).assign(ci_low=lambda t: t["median"] - 1, ci_high=lambda t: t["median"] + 1)
        plots.interval_plot(ax, table, labels=SECTORS)
    elif helper == "bar_by_group":
        share = pd.Series({"Less than 250": 20.5, "250 to 499": 24.5, "20,000 or more": 49.2})
        plots.bar_by_group(ax, share, annotate="{:.1f}%", xlabel="Share in London (%)")
    elif helper == "quartile_profile":
        shares = pd.DataFrame(
            [[56.0, 52.0, 47.0, 40.0], [54.0, 50.0, 45.0, 39.0]],
            columns=["lower", "lower_middle", "upper_middle", "top"],
            index=[2021, 2022],
        )
        plots.quartile_profile(ax, shares)
        ax.legend(loc="lower left")
    elif helper == "density":
        plots.density(ax, gaps + 40, gaps * 2, xlim=(0, 100), ylim=(-50, 50), unit="reports")
    elif helper == "change_by_start":
        table = pd.DataFrame(
            {
                "median_start": [-15.0, 5.0, 45.0],
                "median_change": [5.0, 0.0, -2.5],
                "q25_change": [0.0, -2.0, -9.0],
                "q75_change": [15.0, 2.0, 0.5],
            }
        )
        plots.change_by_start(ax, table, label="2017-18 to 2018-19")
    elif helper == "tile_map":
        plots.tile_map(ax, pd.Series({"London": 12.6, "Wales": 6.2, "Scotland": 8.0}))


def _drawn_texts(fig) -> list:
    """Every piece of text the figure shows: tick labels only for ticks inside the view."""
    from matplotlib.text import Text

    ticks, shown = set(), []
    for ax in fig.axes:
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            for tick in axis.get_major_ticks():
                ticks.add(id(tick.label1))
                inside = min(low, high) - 1e-9 <= tick.get_loc() <= max(low, high) + 1e-9
                if ax.axison and inside and tick.label1.get_visible() and tick.label1.get_text():
                    shown.append(tick.label1)
    shown += [
        t
        for t in fig.findobj(Text)
        if id(t) not in ticks and t.get_visible() and t.get_text().strip()
    ]
    return shown


HELPERS = [
    "gap_histogram",
    "by_year",
    "interval_plot",
    "bar_by_group",
    "quartile_profile",
    "density",
    "change_by_start",
    "tile_map",
]


@pytest.mark.filterwarnings("error")  # e.g. constrained layout giving up on a crowded figure
@pytest.mark.parametrize("panels", [1, 2, 3])
@pytest.mark.parametrize("helper", HELPERS)
def test_no_text_of_a_chart_overlaps_another_at_any_panel_count(helper, panels):
    fig, axes = plots.new_figure(ncols=panels, squeeze=False)
    for ax in axes.ravel():
        _draw(helper, ax)
        plots.set_title(ax, "Median hourly pay gap by employer size band", POOLED, "reports")
    plots.add_source(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _drawn_texts(fig)
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    clashes = [
        f"{a.get_text()!r} and {b.get_text()!r}"
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]
    plt.close(fig)
    assert not clashes, f"{helper} at {panels} panel(s): " + "; ".join(clashes)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda ax: plots.gap_histogram(ax, pd.Series(pd.to_datetime(["2022-03-01"]))),
            TypeError,
            "gap_histogram: values hold dates, not numbers",
        ),
        (
            lambda ax: plots.gap_histogram(ax, pd.Series(["Tesco"], name="employer_name")),
            TypeError,
            "values 'employer_name' hold text.*diff_median_hourly_percent",
        ),
        (
            lambda ax: plots.gap_histogram(ax, pd.Series([1.0]), binwidth=0),
            ValueError,
            "binwidth must be a number above 0.*got 0",
        ),
        (
            lambda ax: plots.gap_histogram(ax, pd.Series([1.0]), binwidth="1"),
            ValueError,
            "binwidth must be a number",
        ),
        (
            lambda ax: plots.gap_histogram(ax, pd.Series([1.0]), limits=(60, -40)),
            ValueError,
            "limits must be",
        ),
        (
            lambda ax: plots.by_year(ax, pd.Series({"2021-22": 9.7})),
            ValueError,
            "by_year: values must be indexed by year",
        ),
        (
            lambda ax: plots.by_year(ax, pd.Series({2021: "high"})),
            TypeError,
            "by_year: values hold text",
        ),
        (
            lambda ax: plots.interval_plot(ax, pd.DataFrame({"median": [1.0]})),
            KeyError,
            "interval_plot: the table has no column 'ci_low'",
        ),
        (
            lambda ax: plots.density(
                ax, pd.Series(["a"]), pd.Series([1.0]), xlim=(0, 1), ylim=(0, 1)
            ),
            TypeError,
            "density: x hold text",
        ),
        (
            lambda ax: plots.bar_by_group(ax, pd.Series({"a": True})),
            TypeError,
            "bar_by_group: values hold True/False values",
        ),
        (
            lambda ax: plots.quartile_profile(ax, pd.DataFrame({"lower": [1.0]})),
            KeyError,
            "quartile_profile: the table has no column 'lower_middle'",
        ),
        (
            lambda ax: plots.tile_map(ax, pd.Series({"London": "high"})),
            TypeError,
            "tile_map: values hold text",
        ),
    ],
)
def test_plotting_helpers_answer_a_wrong_input_in_one_line(call, error, message):
    fig, ax = plots.new_figure()
    with pytest.raises(error, match=message) as raised:
        call(ax)
    plt.close(fig)
    assert "\n" not in str(raised.value)
