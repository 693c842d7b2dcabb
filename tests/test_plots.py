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
    plots.gap_histogram(ax, pd.Series([1.0, 2.0]), mark_median=False, color=plots.WOMEN)
    assert len(ax.lines) == 1  # the zero line only
    assert len(ax.texts) == 0
    assert mpl.colors.to_hex(ax.patches[0].get_facecolor()) == plots.WOMEN.lower()
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
