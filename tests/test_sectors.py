"""Counting employers that list several SIC sections: the three rules and their summaries."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils.data.lookups import SIC_SECTIONS
from paygap_utils.sectors import (
    RULES,
    compare_rules,
    section_label,
    sector_counts,
    sector_membership,
    sector_summary,
)

LETTERS = [s for s in SIC_SECTIONS if s != "X"]


def _rows() -> pd.DataFrame:
    # A council that also runs schools, a manufacturer-retailer, a retailer, and an
    # employer without SIC codes.
    return pd.DataFrame(
        {
            "sector": ["O", "C", "G", None],
            "sectors": [["O", "P"], ["C", "G"], ["G"], []],
            "gap": [5.0, 20.0, 2.0, 7.0],
        },
        index=[10, 11, 12, 13],
    )


def test_first_rule_is_the_library_sector():
    members = sector_membership(_rows(), "first")
    assert members.index.tolist() == [10, 11, 12]
    assert members["section"].tolist() == ["O", "C", "G"]
    assert members["weight"].tolist() == [1.0, 1.0, 1.0]


def test_all_rule_counts_an_employer_in_every_section_it_lists():
    members = sector_membership(_rows(), "all")
    assert members.index.tolist() == [10, 10, 11, 11, 12]
    assert members["section"].tolist() == ["O", "P", "C", "G", "G"]
    assert sector_counts(_rows(), "all").to_dict() == {"C": 1.0, "G": 2.0, "O": 1.0, "P": 1.0}


def test_fractional_rule_shares_one_employer_between_its_sections():
    members = sector_membership(_rows(), "fractional")
    assert members["weight"].tolist() == [0.5, 0.5, 0.5, 0.5, 1.0]
    assert sector_counts(_rows(), "fractional").to_dict() == {
        "C": 0.5,
        "G": 1.5,
        "O": 0.5,
        "P": 0.5,
    }


def test_counts_follow_the_order_of_the_sections():
    assert sector_counts(_rows(), "all").index.tolist() == ["C", "G", "O", "P"]


def test_an_unknown_rule_is_named_in_the_error():
    with pytest.raises(ValueError, match="'first', 'all', 'fractional'.*'largest'"):
        sector_counts(_rows(), "largest")


def test_summary_uses_weighted_medians_and_ranks_the_largest_first():
    summary = sector_summary(_rows(), "gap", "fractional")
    # G holds the retailer (2.0, weight 1) and half the manufacturer-retailer (20.0, weight 0.5).
    assert summary.loc["G", "median"] == 2.0
    assert summary.loc["C", "median"] == 20.0
    assert summary.loc["C", "rank"] == 1
    assert summary.loc["P", "name"] == "Education"


def test_summary_leaves_out_missing_values():
    rows = _rows()
    rows.loc[12, "gap"] = None
    summary = sector_summary(rows, "gap", "first")
    assert "G" not in summary.index
    assert summary["employers"].sum() == 2


def test_compare_rules_puts_the_rules_side_by_side():
    table = compare_rules(_rows(), "gap")
    assert table.columns.get_level_values(0).unique().tolist() == ["employers", "median", "rank"]
    assert table["rank"].columns.tolist() == list(RULES)
    # P exists only when every listed section counts.
    assert pd.isna(table.loc["P", ("rank", "first")])
    assert table.loc["P", ("employers", "all")] == 1.0


sections = st.lists(st.sampled_from(LETTERS), min_size=0, max_size=4, unique=True)


@given(st.lists(sections, min_size=1, max_size=40))
def test_fractional_counts_sum_to_the_employers_with_a_section(lists):
    rows = pd.DataFrame({"sector": [s[0] if s else None for s in lists], "sectors": lists})
    with_section = sum(1 for s in lists if s)
    assert sector_counts(rows, "fractional").sum() == pytest.approx(with_section)
    assert sector_counts(rows, "first").sum() == with_section
    assert sector_counts(rows, "all").sum() == sum(len(s) for s in lists)


@pytest.mark.data
def test_rules_on_the_real_data():
    import paygap_utils

    df = paygap_utils.load("2022-23", progressbar=False)
    table = compare_rules(df)
    employers = table["employers"]
    assert employers["first"].sum() == df["sector"].notna().sum()
    assert employers["fractional"].sum() == pytest.approx(employers["first"].sum())
    assert employers["all"].sum() == df["sectors"].map(len).sum()
    # Public bodies count in their industry under every rule: councils are most of O.
    public = df[df["is_public_sector"]]
    assert employers.loc["O", "first"] > 300
    assert (public["sector"] == "O").sum() > 0.8 * employers.loc["O", "first"]


@pytest.mark.parametrize("section", list(SIC_SECTIONS))
def test_section_labels_start_with_the_letter_and_fit(section):
    label = section_label(section, width=35)
    assert label.startswith(f"{section} \u00b7 ")
    assert len(label) <= 35
    assert label.endswith("\u2026") == (len(f"{section} \u00b7 {SIC_SECTIONS[section]}") > 35)
