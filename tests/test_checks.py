"""Data-quality checks: impossible values, sums, sign contradictions, bonuses, names and files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils import checks
from paygap_utils.checks import (
    IMPOSSIBLE_CHECKS,
    SIGN_FLAGS,
    bonus_reporting,
    file_formats,
    impossible_value_flags,
    impossible_values,
    name_changes,
    normalise_name,
    quartile_sums,
    sign_contradictions,
)
from paygap_utils.quartiles import quartile_columns

WOMEN, MEN = quartile_columns("female"), quartile_columns("male")
shares = st.integers(min_value=0, max_value=1000).map(lambda tenths: tenths / 10)


def _quartiles(women: list[list[float]], men: list[list[float]] | None = None) -> pd.DataFrame:
    female = pd.DataFrame(women, columns=WOMEN, dtype="float64")
    male = 100 - female.to_numpy() if men is None else np.asarray(men, dtype="float64")
    return pd.concat([female, pd.DataFrame(male, columns=MEN)], axis=1)


def _clean_rows(n: int = 2) -> pd.DataFrame:
    rows = _quartiles([[50.0, 50.0, 50.0, 50.0]] * n)
    rows["male_bonus_percent"] = 20.0
    rows["female_bonus_percent"] = 18.0
    rows["diff_mean_hourly_percent"] = 10.0
    rows["diff_median_hourly_percent"] = 8.0
    rows["diff_mean_bonus_percent"] = 30.0
    rows["diff_median_bonus_percent"] = 25.0
    rows["year"] = 2021
    return rows


# quartile_sums


def test_quartile_sums_allow_rounding_and_flag_the_rest():
    rows = _quartiles(
        [[60, 50, 40, 30], [49.9, 50, 50, 50], [60, 50, 40, 30], [np.nan] * 4],
        [[40, 50, 60, 70], [50.2, 50, 50, 50], [40, 50, 60, 69.8], [np.nan] * 4],
    )
    sums = quartile_sums(rows)
    assert sums.columns.tolist() == [
        "lower",
        "lower_middle",
        "upper_middle",
        "top",
        "missing",
        "violation",
    ]
    assert sums["violation"].tolist() == [False, False, True, False]
    assert sums["missing"].tolist() == [False, False, False, True]
    assert sums.loc[1, "lower"] == pytest.approx(100.1)
    # A stricter tolerance catches the 100.1 too.
    assert quartile_sums(rows, tol=0.0)["violation"].tolist() == [False, True, True, False]


def test_quartile_sums_keep_the_index_and_reject_a_negative_tolerance():
    rows = _quartiles([[60, 50, 40, 30]]).set_axis([17], axis=0)
    assert quartile_sums(rows).index.tolist() == [17]
    with pytest.raises(ValueError, match="0 or more"):
        quartile_sums(rows, tol=-1)
    with pytest.raises(KeyError, match="male_lower_quartile"):
        quartile_sums(rows.drop(columns="male_lower_quartile"))


@given(st.lists(st.lists(shares, min_size=4, max_size=4), min_size=1, max_size=20))
def test_shares_that_complement_each_other_never_violate(women):
    # One decimal, as published: 100 - 49.3 is 50.7 up to a binary error, never more.
    rows = _quartiles(women, [[round(100 - v, 1) for v in row] for row in women])
    assert not quartile_sums(rows)["violation"].any()


# sign_contradictions


def test_sign_contradictions_flag_both_directions_only_beyond_the_thresholds():
    rows = _quartiles(
        [
            [40, 45, 55, 60],  # tilt (55 + 60) / 2 - (40 + 45) / 2 = +15
            [40, 45, 55, 60],
            [60, 55, 45, 40],  # tilt -15
            [48, 48, 52, 52],  # tilt +4, within the default margin
            [50, 50, 50, 50],
            [np.nan, 45, 55, 60],
        ]
    )
    rows["diff_median_hourly_percent"] = [-3.0, 12.0, -8.0, 20.0, 30.0, 40.0]
    result = sign_contradictions(rows)
    assert result.columns.tolist() == ["tilt", "median_gap", "flag"]
    assert result["tilt"].tolist()[:5] == [15.0, 15.0, -15.0, 4.0, 0.0]
    assert result["flag"].tolist()[:3] == [np.nan, SIGN_FLAGS[0], SIGN_FLAGS[1]]
    assert result["flag"].isna().tolist() == [True, False, False, True, True, True]
    # A smaller margin catches the tilt of 4 points too; a larger min_gap lets the 12% pass.
    assert sign_contradictions(rows, margin=4)["flag"].notna().sum() == 3
    assert sign_contradictions(rows, min_gap=15)["flag"].notna().sum() == 0


def test_sign_contradictions_reject_negative_thresholds_and_need_the_median_gap():
    rows = _quartiles([[40, 45, 55, 60]])
    with pytest.raises(KeyError, match="diff_median_hourly_percent"):
        sign_contradictions(rows)
    rows["diff_median_hourly_percent"] = 1.0
    with pytest.raises(ValueError, match="0 or more"):
        sign_contradictions(rows, margin=-1)


@given(
    st.lists(shares, min_size=4, max_size=4),
    st.floats(min_value=-500, max_value=100, allow_nan=False),
)
def test_sign_contradictions_are_symmetric_and_never_flag_a_consistent_sign(women, gap):
    rows = _quartiles([women])
    rows["diff_median_hourly_percent"] = gap
    mirrored = _quartiles([list(reversed(women))])
    mirrored["diff_median_hourly_percent"] = -gap
    flag = sign_contradictions(rows)["flag"].iloc[0]
    other = sign_contradictions(mirrored)["flag"].iloc[0]
    tilt = women[2] + women[3] - women[0] - women[1]
    if pd.isna(flag):
        assert pd.isna(other)
    else:
        assert SIGN_FLAGS.index(flag) == 1 - SIGN_FLAGS.index(other)
        # A flag always pairs a tilt and a gap of the same sign.
        assert np.sign(tilt) == np.sign(gap)


# bonus_reporting


def test_bonus_reporting_separates_who_was_paid_from_how_the_gap_was_filled():
    rows = pd.DataFrame(
        {
            "male_bonus_percent": [0.0, 0.0, 12.0, 0.0, 30.0, np.nan],
            "female_bonus_percent": [0.0, 0.0, 0.0, 5.0, 28.0, 4.0],
            "diff_mean_bonus_percent": [np.nan, 0.0, 100.0, np.nan, -2500.0, 3.0],
            "diff_median_bonus_percent": [0.0, 0.0, 100.0, np.nan, 0.0, 3.0],
        },
        index=[5, 6, 7, 8, 9, 10],
    )
    result = bonus_reporting(rows)
    assert result.index.tolist() == [5, 6, 7, 8, 9, 10]
    assert result["paid_to"].tolist() == [
        "nobody",
        "nobody",
        "men only",
        "women only",
        "both",
        "not stated",
    ]
    assert result["gap"].tolist() == ["blank", "0", "non-zero", "blank", "non-zero", "non-zero"]
    median = bonus_reporting(rows, gap="diff_median_bonus_percent")
    assert median["gap"].tolist()[:5] == ["0", "0", "non-zero", "blank", "0"]
    # Every category shows in a crosstab, even when no row falls in it.
    assert list(result["paid_to"].cat.categories) == [
        "nobody",
        "women only",
        "men only",
        "both",
        "not stated",
    ]


def test_bonus_reporting_rejects_a_column_that_is_not_a_bonus_gap():
    rows = pd.DataFrame({"male_bonus_percent": [1.0], "female_bonus_percent": [1.0]})
    with pytest.raises(ValueError, match="diff_mean_bonus_percent"):
        bonus_reporting(rows, gap="diff_median_hourly_percent")
    with pytest.raises(KeyError, match="diff_mean_bonus_percent"):
        bonus_reporting(rows)


# impossible values


def test_impossible_value_flags_find_each_kind_of_impossible_value():
    rows = _clean_rows(8)
    rows.loc[0, "female_top_quartile"] = 100.5
    rows.loc[0, "male_top_quartile"] = -0.5
    rows.loc[1, "male_lower_quartile"] = 60.0
    rows.loc[2, "female_bonus_percent"] = 100.4
    rows.loc[3, "diff_mean_hourly_percent"] = 100.0
    rows.loc[4, "diff_median_hourly_percent"] = 121.2
    rows.loc[5, "diff_mean_bonus_percent"] = 3848.2
    rows.loc[6, "diff_median_bonus_percent"] = 100.1
    # Not impossible: a bonus gap of exactly 100% (no woman paid one), far below -100%, blanks.
    rows.loc[7, ["diff_mean_bonus_percent", "diff_median_bonus_percent"]] = [100.0, -82000.0]
    rows.loc[7, "diff_mean_hourly_percent"] = np.nan
    flags = impossible_value_flags(rows)
    assert flags.columns.tolist() == list(IMPOSSIBLE_CHECKS)
    assert flags.dtypes.eq(bool).all()
    # Row i breaks check i only (100.5 and -0.5 still add up to 100); the last row breaks none.
    expected = np.eye(8, 7, dtype=bool)
    assert (flags.to_numpy() == expected).all()


def test_impossible_values_count_every_check_in_every_year_zeros_included():
    rows = pd.concat([_clean_rows(3).assign(year=2017), _clean_rows(2).assign(year=2018)])
    rows = rows.reset_index(drop=True)
    rows.loc[0, "diff_median_hourly_percent"] = 100.0
    rows.loc[4, "diff_median_hourly_percent"] = 150.0
    rows.loc[4, "diff_mean_bonus_percent"] = 150.0
    counts = impossible_values(rows)
    assert counts.columns.tolist() == ["check", "year", "n_rows"]
    assert len(counts) == len(IMPOSSIBLE_CHECKS) * 2
    assert counts["check"].tolist()[:2] == [next(iter(IMPOSSIBLE_CHECKS))] * 2
    wide = counts.pivot(index="check", columns="year", values="n_rows")
    assert wide.loc["median hourly gap of 100% or more"].tolist() == [1, 1]
    assert wide.loc["mean bonus gap above 100%"].tolist() == [0, 1]
    assert int(counts["n_rows"].sum()) == 3


def test_every_impossible_check_says_why():
    for name, (why, test) in IMPOSSIBLE_CHECKS.items():
        assert why.endswith("."), name
        assert callable(test)


# names


def test_normalise_name_ignores_case_punctuation_and_limited():
    names = pd.Series(
        [
            "Lead Employer trust",
            "LEAD EMPLOYER TRUST",
            "A & B Public Limited Company",
            "a and b plc",
            None,
        ]
    )
    keys = normalise_name(names)
    assert keys[0] == keys[1] == "lead employer trust"
    assert keys[2] == keys[3] == "a and b plc"
    assert pd.isna(keys[4])


def test_normalise_name_keeps_the_index_name_and_order_of_repeated_names():
    names = pd.Series(
        ["B Ltd", None, "A Limited", "B Ltd", "a ltd."], index=[9, 3, 7, 1, 5], name="n"
    )
    keys = normalise_name(names)
    assert keys.index.tolist() == [9, 3, 7, 1, 5] and keys.name == "n"
    assert keys.dtype == "string"
    assert keys.tolist()[::2] == ["b ltd", "a ltd", "a ltd"] and keys[1] == "b ltd"
    assert pd.isna(keys[3])
    assert normalise_name(pd.Series([], dtype=object)).empty


def test_name_changes_list_each_change_once_in_year_order():
    rows = pd.DataFrame(
        {
            "linked_employer_id": pd.array([70, 70, 70, 70, 48, 9, 9, None], dtype="Int64"),
            "year": [2022, 2017, 2018, 2021, 2017, 2019, 2020, 2019],
            "employer_name": [
                "CARLSBERG MARSTON'S BREWING COMPANY LIMITED",
                "CARLSBERG UK LIMITED",
                "Carlsberg UK Ltd",
                "CARLSBERG UK LIMITED",
                "NEOPOST LIMITED",
                "A LTD",
                "B LTD",
                "C LTD",
            ],
        }
    )
    changes = name_changes(rows)
    assert changes.columns.tolist() == [
        "linked_employer_id",
        "from_year",
        "to_year",
        "old_name",
        "new_name",
    ]
    assert changes.values.tolist() == [
        [9, 2019, 2020, "A LTD", "B LTD"],
        [70, 2021, 2022, "CARLSBERG UK LIMITED", "CARLSBERG MARSTON'S BREWING COMPANY LIMITED"],
    ]


def test_name_changes_of_a_table_without_changes_is_empty():
    rows = pd.DataFrame(
        {
            "linked_employer_id": pd.array([1, 1], dtype="Int64"),
            "year": [2019, 2020],
            "employer_name": ["X LIMITED", "x ltd"],
        }
    )
    assert name_changes(rows).empty


# files


@pytest.mark.data
def test_file_formats_describe_each_layout_and_the_raw_duplicates():
    import paygap_utils

    table = file_formats(paygap_utils.fetch(progressbar=False))
    assert table["year"].tolist() == paygap_utils.available_years()
    assert table["n_columns"].tolist() == [25, 25, 27, 27, 27, 27, 27]
    assert table["layout"].tolist()[:3] == ["25-columns-dmy", "25-columns-excel", "27-columns-ymd"]
    # Every first date parses to a day inside its reporting year's filing window.
    assert table["layout"].tolist()[-1] == "27-columns-spreadsheet"
    years = [2017, 2018, 2019, 2020, 2021, 2022, 2024]
    for year, parsed in zip(years, table["parsed"], strict=True):
        assert pd.Timestamp(year, 4, 1) <= parsed <= pd.Timestamp(year + 2, 12, 31)
    assert table["rows_sharing_an_id"].isna().tolist() == [True, True] + [False] * 5
    assert table["rows"].tolist() == [f.rows for f in paygap_utils.read_manifest().files]
    removed = paygap_utils.load(progressbar=False).attrs["duplicates_removed"]
    # Each employer filing twice leaves two rows sharing an id; the loader drops one of each pair.
    assert (table["rows_sharing_an_id"].fillna(0) / 2).tolist() == list(removed.values())


@pytest.mark.data
def test_checks_of_the_real_data_agree_with_the_loader():
    import paygap_utils

    df = paygap_utils.load(progressbar=False)
    sums = quartile_sums(df)
    assert not sums["violation"].any()
    assert (sums["missing"] == df["female_top_quartile"].isna()).all()
    assert set(impossible_values(df)["year"]) == {2017, 2018, 2019, 2020, 2021, 2022, 2024}
    assert checks.sign_contradictions(df)["flag"].notna().sum() > 0
