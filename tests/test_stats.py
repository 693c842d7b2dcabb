"""Summaries of the gap columns: per-group statistics, rounding artefacts and weighting."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils.data.lookups import EMPLOYER_SIZES
from paygap_utils.stats import (
    SIZE_BAND_MIDPOINTS,
    decimal_places,
    median_by_group_with_ci,
    size_band_midpoints,
    summarise_gap,
    weighted_quantile,
)

GAP = "diff_median_hourly_percent"
gaps = st.lists(
    st.floats(min_value=-500, max_value=200, allow_nan=False).map(lambda x: round(x, 1)),
    min_size=1,
    max_size=60,
)


def test_summarise_gap_counts_the_shares_per_year():
    rows = pd.DataFrame(
        {"year": [2017, 2017, 2017, 2017, 2018, 2018], GAP: [-1.5, 0.0, 3.0, 8.2, 2.0, np.nan]}
    )
    summary = summarise_gap(rows)
    assert summary.index.tolist() == [2017, 2018]
    assert summary.columns.tolist() == [
        "n",
        "median",
        "mean",
        "share_negative",
        "share_zero",
        "share_whole",
    ]
    assert summary.loc[2017].tolist() == [4, 1.5, 2.425, 0.25, 0.25, 0.5]
    # Missing values are not counted, neither in n nor in the shares.
    assert summary.loc[2018].tolist() == [1, 2.0, 2.0, 0.0, 0.0, 1.0]


def test_summarise_gap_other_columns_and_groupings():
    rows = pd.DataFrame(
        {
            "year": [2020, 2020, 2021],
            "sector": pd.Categorical(["K", "K", "P"], categories=["K", "P", "Q"]),
            "diff_mean_hourly_percent": [10.0, 20.0, -5.0],
        }
    )
    by_sector = summarise_gap(rows, "diff_mean_hourly_percent", by="sector")
    assert by_sector.index.tolist() == ["K", "P"]  # unobserved categories are left out
    assert by_sector.loc["K", "mean"] == 15.0
    both = summarise_gap(rows, "diff_mean_hourly_percent", by=["year", "sector"])
    assert both.index.tolist() == [(2020, "K"), (2021, "P")]
    overall = summarise_gap(rows, "diff_mean_hourly_percent", by=None)
    assert overall.index.tolist() == ["all"]
    assert overall.loc["all", "n"] == 3


def test_summarise_gap_names_a_missing_column():
    with pytest.raises(KeyError, match="paygap_utils.columns"):
        summarise_gap(pd.DataFrame({"year": [2020]}), "diff_median_gap")


@given(gaps)
def test_summarise_gap_agrees_with_pandas(values):
    rows = pd.DataFrame({"year": 2020, GAP: values})
    row = summarise_gap(rows).loc[2020]
    series = pd.Series(values)
    assert row["n"] == len(values)
    assert row["median"] == pytest.approx(series.median())
    assert row["share_negative"] == pytest.approx((series < 0).mean())
    assert row["share_zero"] == pytest.approx((series == 0).mean())
    assert 0 <= row["share_zero"] <= row["share_whole"] <= 1


def test_decimal_places_of_typical_values():
    values = pd.Series([30.0, 29.5, 12.25, -0.1, 0.0, np.nan, 10.3 + 1e-12], index=list("abcdefg"))
    places = decimal_places(values)
    assert places.index.tolist() == list("abcdefg")
    assert places.tolist() == [0, 1, 2, 1, 0, pd.NA, 1]
    assert decimal_places(pd.Series([1 / 7]), max_places=3).tolist() == [3]


@given(st.integers(-50_000, 50_000), st.integers(0, 3))
def test_decimal_places_round_trips(scaled, places):
    value = round(scaled / 10**places, places)
    found = decimal_places(pd.Series([value])).iloc[0]
    assert found <= places
    assert round(value, found) == pytest.approx(value)


def test_weighted_quantile_weights_count():
    assert weighted_quantile([1, 2, 3], [1, 1, 1]) == 2.0
    assert weighted_quantile([1, 2, 3, 4], [1, 1, 1, 1]) == 2.5
    assert weighted_quantile([1, 2, 3], [1, 1, 5]) == 3.0
    assert weighted_quantile([1, 2, 3], [5, 1, 1], q=0.5) == 1.0
    assert weighted_quantile([5, 1, 3], [1, 1, 1], q=0.0) == 1.0
    assert weighted_quantile([5, 1, 3], [1, 1, 1], q=1.0) == 5.0


def test_weighted_quantile_leaves_out_missing_and_zero_weights():
    assert weighted_quantile([1, np.nan, 3, 100], [1, 1, 1, 0]) == 2.0
    assert weighted_quantile(pd.Series([1.0, 2.0]), pd.Series([np.nan, 2.0])) == 2.0
    # Float weights whose sum is inexact still find the middle.
    assert weighted_quantile([1, 2, 3, 4], [0.1, 0.1, 0.1, 0.1]) == 2.5
    assert math.isnan(weighted_quantile([1.0], [0.0]))
    assert math.isnan(weighted_quantile([], []))


@pytest.mark.parametrize(
    ("values", "weights", "q", "message"),
    [
        ([1, 2], [1], 0.5, "one weight per value"),
        ([1, 2], [1, -1], 0.5, "must not be negative"),
        ([1, 2], [1, 1], 1.5, "between 0 and 1"),
    ],
)
def test_weighted_quantile_explains_bad_input(values, weights, q, message):
    with pytest.raises(ValueError, match=message):
        weighted_quantile(values, weights, q)


@given(gaps)
def test_equal_weights_give_the_ordinary_median(values):
    assert weighted_quantile(values, [2.5] * len(values)) == pytest.approx(np.median(values))


@given(gaps, st.integers(1, 5))
def test_integer_weights_are_repeated_values(values, times):
    weights = [times if i % 2 else 1 for i in range(len(values))]
    repeated = np.repeat(values, weights)
    assert weighted_quantile(values, weights) == pytest.approx(np.median(repeated))


def test_size_band_midpoints_cover_every_band_but_not_provided():
    sizes = pd.Series(pd.Categorical(list(EMPLOYER_SIZES), categories=EMPLOYER_SIZES, ordered=True))
    headcounts = size_band_midpoints(sizes)
    assert math.isnan(headcounts.iloc[0])
    assert headcounts.iloc[1:].tolist() == [SIZE_BAND_MIDPOINTS[s] for s in EMPLOYER_SIZES[1:]]
    assert headcounts.iloc[1:].is_monotonic_increasing
    assert set(SIZE_BAND_MIDPOINTS) == set(EMPLOYER_SIZES) - {"Not Provided"}


@pytest.mark.data
def test_summarise_gap_on_the_real_data():
    import paygap_utils

    df = paygap_utils.load(progressbar=False)
    summary = summarise_gap(df)
    assert summary.index.tolist() == sorted(df["year"].unique().tolist())
    assert summary["n"].sum() == df[GAP].notna().sum()
    # Gaps are right-skewed every year: the mean employer's gap exceeds the median employer's.
    assert (summary["mean"] > summary["median"]).all()
    assert (summary["share_whole"] > summary["share_zero"]).all()


def test_bootstrap_median_ci_holds_the_median_and_repeats_with_its_seed():
    from paygap_utils.stats import bootstrap_median_ci

    values = np.random.default_rng(3).normal(10, 5, size=300)
    low, high = bootstrap_median_ci(values, n_resamples=500, seed=7)
    assert low < np.median(values) < high
    assert bootstrap_median_ci(values, n_resamples=500, seed=7) == (low, high)
    assert bootstrap_median_ci(values, n_resamples=500, seed=8) != (low, high)


def test_bootstrap_median_ci_narrows_with_more_employers_and_less_confidence():
    from paygap_utils.stats import bootstrap_median_ci

    rng = np.random.default_rng(4)
    small, large = rng.normal(10, 5, size=20), rng.normal(10, 5, size=2000)
    width = [high - low for low, high in (bootstrap_median_ci(v) for v in (small, large))]
    assert width[0] > 3 * width[1]
    low80, high80 = bootstrap_median_ci(large, confidence=0.8)
    low95, high95 = bootstrap_median_ci(large, confidence=0.95)
    assert low95 <= low80 and high80 <= high95


def test_bootstrap_median_ci_edge_cases():
    from paygap_utils.stats import bootstrap_median_ci

    assert bootstrap_median_ci([4.0, np.nan]) == (4.0, 4.0)
    assert bootstrap_median_ci(pd.Series([1.0, None, 3.0], dtype="Float64"))[0] >= 1.0
    assert all(math.isnan(x) for x in bootstrap_median_ci([np.nan]))
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_median_ci([1.0], n_resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_median_ci([1.0], confidence=95)


def test_bootstrap_median_ci_resamples_large_groups_in_blocks(monkeypatch):
    from paygap_utils import stats

    values = np.random.default_rng(5).normal(size=1000)
    whole = stats.bootstrap_median_ci(values, n_resamples=300)
    monkeypatch.setattr(stats, "_MAX_BLOCK", 10_000)
    blocks = stats.bootstrap_median_ci(values, n_resamples=300)
    assert blocks == pytest.approx(whole, abs=0.05)


def test_median_by_group_with_ci_keeps_category_order_and_skips_missing():
    from paygap_utils.stats import median_by_group_with_ci

    sizes = pd.Categorical(
        ["500 to 999", "250 to 499", "250 to 499", None, "500 to 999"],
        categories=EMPLOYER_SIZES,
        ordered=True,
    )
    rows = pd.DataFrame({"employer_size": sizes, GAP: [3.0, 1.0, 2.0, 50.0, np.nan]})
    table = median_by_group_with_ci(rows, "employer_size", n_resamples=100)
    assert table.index.tolist() == ["250 to 499", "500 to 999"]
    assert table.index.ordered
    assert table["n"].tolist() == [2, 1]
    assert table["median"].tolist() == [1.5, 3.0]
    assert (table["ci_low"] <= table["median"]).all()
    assert (table["median"] <= table["ci_high"]).all()


def test_median_by_group_with_ci_intervals_do_not_depend_on_other_groups():
    from paygap_utils.stats import median_by_group_with_ci

    rng = np.random.default_rng(6)
    rows = pd.DataFrame({"sector": ["A"] * 50 + ["B"] * 50, GAP: rng.normal(size=100)})
    both = median_by_group_with_ci(rows, "sector")
    alone = median_by_group_with_ci(rows[rows["sector"] == "B"], "sector")
    pd.testing.assert_series_equal(both.loc["B"], alone.loc["B"])


def test_median_by_group_with_ci_names_a_missing_column():
    from paygap_utils.stats import median_by_group_with_ci

    with pytest.raises(KeyError, match="'region'"):
        median_by_group_with_ci(pd.DataFrame({GAP: [1.0]}), "region")


def test_filed_by_deadline_keeps_the_reports_the_service_counts_as_on_time():
    import paygap_utils

    rows = pd.DataFrame(
        {"submitted_late": pd.array([False, True, None, False], dtype="boolean"), "x": range(4)}
    )
    rows.attrs = {"source": "test"}
    on_time = paygap_utils.filed_by_deadline(rows)
    assert on_time["x"].tolist() == [0, 3] and on_time.attrs == {"source": "test"}
    with pytest.raises(KeyError, match="submitted_late"):
        paygap_utils.filed_by_deadline(rows.drop(columns="submitted_late"))


def test_bonus_gaps_are_summarised_among_employers_that_pay_one():
    from paygap_utils.stats import median_by_group_with_ci

    rows = pd.DataFrame(
        {
            "year": [2017, 2017, 2017, 2017],
            "diff_median_bonus_percent": [0.0, 0.0, 20.0, 30.0],
            "pays_bonus": pd.array([False, False, True, True], dtype="boolean"),
            GAP: [1.0, 2.0, 3.0, 4.0],
        }
    )
    payers = summarise_gap(rows, "diff_median_bonus_percent")
    assert payers.loc[2017, ["n", "median"]].tolist() == [2, 25.0]
    everyone = summarise_gap(rows, "diff_median_bonus_percent", bonus_payers_only=False)
    assert everyone.loc[2017, ["n", "median"]].tolist() == [4, 10.0]
    # Hourly gaps are never restricted.
    assert summarise_gap(rows, GAP).loc[2017, "n"] == 4
    table = median_by_group_with_ci(rows, "year", "diff_median_bonus_percent", n_resamples=50)
    assert table.loc[2017, "n"] == 2


@pytest.mark.data
def test_the_bonus_coding_artefact_disappears_among_payers():
    import paygap_utils

    df = paygap_utils.load(["2017-18", "2019-20"], progressbar=False)
    every_value = df.groupby("year")["diff_median_bonus_percent"].median()
    among_payers = summarise_gap(df, "diff_median_bonus_percent")["median"]
    # "No bonus paid" is 0 in 2017-18 and blank in 2019-20: 5.0 against 20.7 ...
    assert every_value[2017] == 5.0 and every_value[2019] == 20.7
    # ... and among the employers that pay a bonus, 20.0 against 20.7.
    assert among_payers[2017] == 20.0 and among_payers[2019] == 20.7


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2021, 2021, 2022],
            "employer_name": ["A LTD", "B LTD", "C LTD"],
            "date_submitted": pd.to_datetime(["2022-03-01", "2022-03-02", "2023-03-01"]),
            "sic_codes": [["85200"], ["1"], ["2", "3"]],
            "sector": ["P", "P", "Q"],
            GAP: [1.0, 2.0, 3.0],
        }
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda t: summarise_gap(t, "employer_name"),
            TypeError,
            "column 'employer_name' holds text",
        ),
        (lambda t: summarise_gap(t, "date_submitted"), TypeError, "'date_submitted' holds dates"),
        (lambda t: summarise_gap(t, by="sectr"), KeyError, "no column 'sectr'"),
        (lambda t: summarise_gap(t, by=["year", "sectr"]), KeyError, "no column 'sectr'"),
        (lambda t: summarise_gap(t, by="sic_codes"), TypeError, "'sic_codes' holds lists.*explode"),
        (lambda t: summarise_gap(t.to_dict(), GAP), TypeError, "expected a table.*not a dict"),
        (lambda t: median_by_group_with_ci(t, "sic_codes"), TypeError, "'sic_codes' holds lists"),
        (lambda t: median_by_group_with_ci(t, "sector", "employer_name"), TypeError, "holds text"),
        (lambda t: median_by_group_with_ci(t, "sectr"), KeyError, "no column 'sectr'"),
        (lambda t: decimal_places(t["employer_name"]), TypeError, "'employer_name' hold text"),
    ],
)
def test_beginner_mistakes_get_one_line_naming_the_column(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call(_table())
    text = str(raised.value)
    assert "\n" not in text and text.split(":")[0].strip("'\"") in (
        "summarise_gap",
        "median_by_group_with_ci",
        "decimal_places",
    )
