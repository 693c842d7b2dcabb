"""Following employers over time: link counts, balanced panels, year-on-year pairs, bands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import paygap_utils
from paygap_utils.panel import (
    ambiguous_ids,
    balanced_panel,
    change_by_start,
    link_summary,
    year_on_year,
)

ID = "linked_employer_id"
GAP = "diff_median_hourly_percent"


def _rows(ids, years, values=None, **extra) -> pd.DataFrame:
    values = values if values is not None else [float(i) for i in range(len(ids))]
    return pd.DataFrame({ID: pd.array(ids, dtype="Int64"), "year": years, GAP: values, **extra})


# year_on_year


def test_pairs_are_adjacent_years_of_the_same_employer():
    rows = _rows(
        [1, 1, 1, 2, 2, 3], [2017, 2018, 2019, 2018, 2020, 2021], [10.0, 7.0, 9.0, 1.0, 5.0, 4.0]
    )
    pairs = year_on_year(rows)
    assert pairs.columns.tolist() == [
        ID,
        "year",
        "next_year",
        "years_apart",
        "value",
        "next_value",
        "change",
    ]
    assert (pairs["years_apart"] == 1).all()
    assert pairs[ID].tolist() == [1, 1]
    assert pairs["year"].tolist() == [2017, 2018]
    assert pairs["next_year"].tolist() == [2018, 2019]
    assert pairs["change"].tolist() == [-3.0, 2.0]


def test_rows_without_id_or_value_are_left_out():
    rows = _rows(
        [1, 1, None, None, 2, 2],
        [2020, 2021, 2020, 2021, 2020, 2021],
        [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
    )
    pairs = year_on_year(rows)
    assert pairs[ID].tolist() == [1]


def test_ambiguous_ids_are_dropped_for_that_year_only_and_counted():
    # Id 1 is shared by two 2017 rows: no 2017->2018 pair, but 2018->2019 stays.
    rows = _rows([1, 1, 1, 1, 2, 2], [2017, 2017, 2018, 2019, 2017, 2018])
    pairs = year_on_year(rows)
    assert list(zip(pairs[ID], pairs["year"], strict=True)) == [(2, 2017), (1, 2018)]
    assert pairs.attrs["ambiguous_rows_dropped"] == 2


def test_keep_carries_columns_from_the_first_year_and_attrs_travel():
    rows = _rows([1, 1], [2020, 2021], size=["small", "large"])
    rows.attrs = {"licence": "OGL"}
    pairs = year_on_year(rows, keep=["size"])
    assert pairs["size"].tolist() == ["small"]
    assert pairs.attrs["licence"] == "OGL"


def test_any_column_can_be_followed():
    rows = _rows([4, 4], [2021, 2022], female_top_quartile=[30.0, 36.5])
    pairs = year_on_year(rows, column="female_top_quartile")
    assert pairs["change"].tolist() == [6.5]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.integers(2017, 2022),
            st.floats(-100, 100, allow_nan=False),
        ),
        max_size=40,
    )
)
def test_pairs_are_consistent_and_unique(records):
    rows = _rows([r[0] for r in records], [r[1] for r in records], [r[2] for r in records])
    pairs = year_on_year(rows)
    assert (pairs["next_year"] == pairs["year"] + 1).all()
    assert not pairs.duplicated([ID, "year"]).any()
    assert np.allclose(pairs["change"], pairs["next_value"] - pairs["value"])
    # Every pair is backed by exactly one row in each of its two years.
    counts = rows.groupby([ID, "year"]).size()
    for employer, year in zip(pairs[ID], pairs["year"], strict=True):
        assert counts[(employer, year)] == 1 and counts[(employer, year + 1)] == 1
    shared = int((counts[counts > 1]).sum())
    assert pairs.attrs["ambiguous_rows_dropped"] == shared


# balanced_panel


def test_balanced_panel_keeps_employers_present_in_every_year():
    rows = _rows(
        [1, 1, 1, 2, 2, 3, 3, 3, None], [2019, 2020, 2021, 2019, 2021, 2019, 2020, 2021, 2020]
    )
    panel = balanced_panel(rows, [2019, 2020, 2021])
    assert sorted(panel[ID].unique().tolist()) == [1, 3]
    assert panel.groupby("year").size().tolist() == [2, 2, 2]
    assert balanced_panel(rows, [2019, 2021])[ID].nunique() == 3


def test_balanced_panel_drops_ambiguous_ids_and_other_years():
    rows = _rows([1, 1, 1, 2, 2, 2], [2017, 2017, 2018, 2017, 2018, 2019])
    panel = balanced_panel(rows, [2017, 2018])
    assert panel[ID].tolist() == [2, 2]
    assert set(panel["year"]) == {2017, 2018}


def test_balanced_panel_names_a_year_that_is_not_loaded():
    rows = _rows([1], [2021])
    with pytest.raises(ValueError, match=r"\[2019\].*paygap_utils.load"):
        balanced_panel(rows, [2019, 2021])


# link_summary and ambiguous_ids


def test_link_summary_counts_published_linked_and_shared_ids():
    rows = _rows(
        [None, 7, 7, 8, 8],
        [2017, 2017, 2017, 2019, 2020],
        employer_id=pd.array([None, None, None, 8, 8], dtype="Int64"),
    )
    summary = link_summary(rows)
    assert summary.loc[2017].tolist() == [3, 0, 2, 66.7, 2]
    assert summary.loc[2019].tolist() == [1, 1, 1, 100.0, 0]


def test_ambiguous_ids_lists_each_shared_id_once():
    rows = _rows([5, 5, 5, 6, 6], [2018, 2018, 2018, 2018, 2019])
    assert ambiguous_ids(rows).to_dict("records") == [{"year": 2018, ID: 5, "rows": 3}]


# change_by_start


def test_change_by_start_summarises_each_band():
    pairs = pd.DataFrame(
        {"value": [-5.0, -1.0, 2.0, 25.0, 30.0, 99.0], "change": [3.0, 1.0, 1.0, -4.0, -2.0, 0.0]}
    )
    table = change_by_start(pairs, bins=[-10, 0, 20, 50])
    assert table["pairs"].tolist() == [2, 1, 2]
    assert table["median_change"].tolist() == [2.0, 1.0, -3.0]
    assert table["median_start"].tolist() == [-3.0, 2.0, 27.5]
    assert table.loc[table.index[0], "q25_change"] == 1.5


def test_change_by_start_can_band_by_the_later_year():
    pairs = pd.DataFrame({"value": [0.0, 40.0], "next_value": [40.0, 0.0], "change": [40.0, -40.0]})
    table = change_by_start(pairs, bins=[-1, 20, 60], by="next_value")
    assert table["median_change"].tolist() == [-40.0, 40.0]


def test_empty_bands_are_kept_with_zero_pairs():
    pairs = pd.DataFrame({"value": [1.0], "change": [0.5]})
    table = change_by_start(pairs, bins=[0, 10, 20])
    assert table["pairs"].tolist() == [1, 0]
    assert math.isnan(table["median_change"].iloc[1])


# With the real data


@pytest.mark.data
def test_real_data_links_and_pairs():
    df = paygap_utils.load(progressbar=False)
    summary = link_summary(df)
    assert summary.loc[[2019, 2020, 2021, 2022], "linked_percent"].eq(100.0).all()
    assert (summary.loc[[2017, 2018], "published_id"] == 0).all()
    assert (summary.loc[[2017, 2018], "linked_percent"] > 80).all()
    # load() leaves no id shared by two rows of one year.
    assert summary["ambiguous"].sum() == ambiguous_ids(df)["rows"].sum() == 0
    pairs = year_on_year(df)
    # 2023-24 is missing: 2022-23 pairs with nothing unless asked to span the gap.
    assert set(pairs["year"]) == {2017, 2018, 2019, 2020, 2021}
    assert not pairs.duplicated([ID, "year"]).any()
    spanning = year_on_year(df, across_gaps=True)
    assert set(spanning["year"]) == {2017, 2018, 2019, 2020, 2021, 2022}
    step = spanning[spanning["year"] == 2022]
    assert (step["next_year"] == 2024).all() and (step["years_apart"] == 2).all()
    assert len(step) > 8000
    assert spanning[spanning["year"] < 2022]["years_apart"].eq(1).all()
    panel = balanced_panel(df, [2021, 2022])
    assert len(panel) == 2 * len(pairs[pairs["year"] == 2021])


def test_following_employers_names_a_column_that_cannot_be_followed():
    rows = pd.DataFrame(
        {
            "linked_employer_id": pd.array([1, 1], dtype="Int64"),
            "year": [2020, 2021],
            "employer_name": ["A", "B"],
        }
    )
    with pytest.raises(TypeError, match="year_on_year: column 'employer_name' holds text"):
        year_on_year(rows, "employer_name")
    with pytest.raises(KeyError, match="year_on_year: the table has no column 'gap'"):
        year_on_year(rows, "gap")
    with pytest.raises(KeyError, match="change_by_start: the table has no column 'value'"):
        change_by_start(rows, bins=[0, 1])
