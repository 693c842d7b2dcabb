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
