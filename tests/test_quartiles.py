"""The pay quartile columns and the share of women in each quarter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paygap_utils.quartiles import QUARTILES, quartile_columns, women_share_by_quartile


def _rows() -> pd.DataFrame:
    women = pd.DataFrame(
        [[60, 50, 40, 30], [40, 40, 30, 20], [50, 50, 50, np.nan], [70, 60, 50, 40]],
        columns=quartile_columns("female"),
        dtype="float64",
    )
    women["year"] = [2021, 2021, 2021, 2022]
    women["employer_size"] = ["250 to 499", "500 to 999", "250 to 499", "250 to 499"]
    return women


def test_quartile_columns_run_from_the_lowest_paid_quarter_to_the_top():
    assert quartile_columns("female") == [
        "female_lower_quartile",
        "female_lower_middle_quartile",
        "female_upper_middle_quartile",
        "female_top_quartile",
    ]
    assert quartile_columns("male")[3] == "male_top_quartile"
    with pytest.raises(ValueError, match="'female' or 'male'"):
        quartile_columns("women")


def test_women_share_by_year_leaves_out_employers_missing_a_quartile():
    shares = women_share_by_quartile(_rows())
    assert shares.columns.tolist() == [*QUARTILES, "n"]
    assert shares.loc[2021].tolist() == [50.0, 45.0, 35.0, 25.0, 2]
    assert shares.loc[2022].tolist() == [70.0, 60.0, 50.0, 40.0, 1]


def test_women_share_overall_and_by_several_columns_and_median():
    overall = women_share_by_quartile(_rows(), by=None)
    assert overall.index.tolist() == ["all"]
    assert overall.loc["all", "n"] == 3
    assert overall.loc["all", "top"] == pytest.approx(30.0)
    median = women_share_by_quartile(_rows(), by=None, stat="median")
    assert median.loc["all", "lower"] == 60.0
    both = women_share_by_quartile(_rows(), by=["year", "employer_size"])
    assert both.loc[(2021, "500 to 999"), "lower"] == 40.0


def test_women_share_explains_wrong_arguments():
    with pytest.raises(ValueError, match="'mean' or 'median'"):
        women_share_by_quartile(_rows(), stat="max")
    with pytest.raises(KeyError, match="female_top_quartile"):
        women_share_by_quartile(_rows().drop(columns="female_top_quartile"))


@pytest.mark.data
def test_women_share_in_the_real_data_falls_from_the_lowest_paid_quarter_to_the_top():
    import paygap_utils

    shares = women_share_by_quartile(paygap_utils.load(progressbar=False), by=None)
    row = shares.loc["all", list(QUARTILES)]
    assert row.is_monotonic_decreasing
    assert 30 < row["top"] < 50 < row["lower"] < 70


def test_women_share_by_quartile_names_a_grouping_it_cannot_use():
    rows = pd.DataFrame({c: [50.0] for c in quartile_columns("female")}).assign(codes=[["1"]])
    with pytest.raises(KeyError, match="women_share_by_quartile: .* no column 'sectr'"):
        women_share_by_quartile(rows, by="sectr")
    with pytest.raises(TypeError, match="column 'codes' holds lists"):
        women_share_by_quartile(rows, by="codes")
