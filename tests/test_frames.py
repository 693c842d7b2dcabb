"""The shared checks of the analysis and plotting modules (paygap_utils._frames)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from paygap_utils._frames import group_keys, numbers, positive, require_columns, resolve_labels


def test_require_columns_names_the_first_missing_column_and_refuses_what_is_not_a_table():
    require_columns(pd.DataFrame({"year": [2021]}), ["year"], "f")
    with pytest.raises(KeyError, match=r"my_function: the table has no column 'sector'\. Pass"):
        require_columns(pd.DataFrame({"year": [2021]}), ["year", "sector"], "my_function")
    with pytest.raises(TypeError, match=r"expected a table .*, not a list\.$"):
        require_columns([1, 2], ["year"], "my_function")


@pytest.mark.parametrize(
    ("values", "holds"),
    [
        (pd.Series(["Tesco"], name="employer_name"), "values 'employer_name' hold text"),
        (pd.Series(pd.to_datetime(["2022-03-01"])), "values hold dates"),
        (pd.Series([True, False]), "values hold True/False values"),
        (pd.Series(["a", "b"], dtype="category"), "values hold categories"),
        (pd.Series([["85200"], ["1", "2"]]), "values hold lists"),
        (pd.Series([["C"], []], dtype=pd.ArrowDtype(pa.list_(pa.string()))), "values hold lists"),
    ],
)
def test_numbers_says_what_the_values_hold_instead(values, holds):
    with pytest.raises(TypeError, match=f"gap_histogram: {holds}, not numbers"):
        numbers(values, "gap_histogram")


def test_numbers_takes_every_kind_of_number():
    assert numbers(pd.Series([1, None], dtype="Int64"), "f").tolist()[0] == 1.0
    assert math.isnan(numbers(pd.Series([1, None], dtype="Int64"), "f").iloc[1])
    assert numbers(pd.Series([1.5, "2"], dtype=object), "f").tolist() == [1.5, 2.0]
    assert numbers(np.array([3, 4]), "f").tolist() == [3.0, 4.0]


def test_group_keys_groups_by_nothing_one_column_or_several_and_refuses_lists():
    rows = pd.DataFrame({"year": [2021, 2022], "sector": ["C", "C"], "codes": [["1"], ["2"]]})
    assert group_keys(rows, None, "f").tolist() == ["all", "all"]
    assert group_keys(rows, "year", "f").tolist() == [2021, 2022]
    assert [k.tolist() for k in group_keys(rows, ["year", "sector"], "f")] == [
        [2021, 2022],
        ["C", "C"],
    ]
    with pytest.raises(TypeError, match=r"column 'codes' holds lists.*df\.explode\('codes'\)"):
        group_keys(rows, "codes", "summarise_gap")
    # load()'s sic_codes and sectors are Arrow lists.
    rows["codes"] = rows["codes"].astype(pd.ArrowDtype(pa.list_(pa.string())))
    with pytest.raises(TypeError, match=r"column 'codes' holds lists"):
        group_keys(rows, "codes", "summarise_gap")
    with pytest.raises(KeyError, match="no column 'sectr'"):
        group_keys(rows, ["year", "sectr"], "f")


def test_positive_takes_a_finite_number_above_zero():
    assert positive(0.5, "binwidth", "f") == 0.5 and positive(np.int64(2), "n", "f") == 2.0
    for wrong in (0, -1, float("nan"), float("inf"), True, "1", None):
        with pytest.raises(ValueError, match=r"f: binwidth must be a number above 0, e\.g\. 1;"):
            positive(wrong, "binwidth", "f")


def test_resolve_labels_looks_up_or_takes_in_order():
    assert resolve_labels(["C", "T"], {"C": "Manufacturing"}) == ["Manufacturing", "T"]
    assert resolve_labels(["C", "T"], ["one", "two"]) == ["one", "two"]
    assert resolve_labels([1, 2]) == ["1", "2"]
