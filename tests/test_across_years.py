"""What needs several years at once: duplicates, the link rules, public sector, places."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paygap_utils.data.across_years import (
    drop_duplicates,
    fill_places,
    link_employers,
    public_sector_from_other_years,
)
from paygap_utils.data.schema import LATE_SOURCES

ID, METHOD = "linked_employer_id", "link_method"

# Small pools, so that numbers, names and ids collide often.
row = st.fixed_dictionaries(
    {
        "year": st.sampled_from([2017, 2018, 2019, 2020]),
        "employer_id": st.sampled_from([1, 2, 3, 4]),
        "company_number": st.sampled_from([None, "00000001", "00000002", "00000003", "SC000004"]),
        "current_name": st.sampled_from([None, "A LTD", "B LTD", "C LTD"]),
    }
)


def _table(records: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(records, columns=["year", "employer_id", "company_number", "current_name"])
    # Ids are published from 2019-20 only, once per employer and year (duplicates removed).
    table["employer_id"] = pd.array(
        [
            i if y >= 2019 else None
            for i, y in zip(table["employer_id"], table["year"], strict=True)
        ],
        dtype="Int64",
    )
    published = table["employer_id"].notna()
    first = ~table[published].duplicated(["year", "employer_id"])
    return table.drop(index=first.index[~first]).reset_index(drop=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(row, max_size=25))
def test_link_rules(records):
    table = _table(records)
    links = link_employers(table)
    both = table.join(links)
    linked = both.dropna(subset=[ID])
    # No two rows of one year share an id, and a method goes with every link.
    assert not linked.duplicated(["year", ID]).any()
    assert (both[METHOD].isna() == both[ID].isna()).all()
    # A published id is kept as it is.
    published = both[both["employer_id"].notna()]
    assert (published[ID] == published["employer_id"]).all()
    assert (published[METHOD] == "employer_id").all()
    assert (both.loc[both["employer_id"].isna(), METHOD] != "employer_id").all()
    # A company-number link shares its number with another row of the same id.
    for index, r in linked[linked[METHOD] == "company_number"].iterrows():
        others = linked[(linked[ID] == r[ID]) & (linked.index != index)]
        assert (others["company_number"] == r["company_number"]).any()
    # A name link has the name of the id's published rows, and never a conflicting number.
    numbers = published.groupby("employer_id")["company_number"].agg(lambda s: set(s.dropna()))
    for _, r in linked[linked[METHOD] == "name"].iterrows():
        assert r[ID] > 0
        assert (published.loc[published[ID] == r[ID], "current_name"] == r["current_name"]).any()
        theirs = numbers.get(r[ID], set())
        assert pd.isna(r["company_number"]) or not theirs or r["company_number"] in theirs
    # New ids join early rows only, by one company number, one row per year.
    own = linked[linked[ID] < 0]
    assert set(own["year"]) <= {2017, 2018}
    assert (own.groupby(ID)["company_number"].nunique() == 1).all()
    assert (own.groupby(ID).size() >= 2).all()


def test_link_rules_on_the_issues_examples():
    # Two companies whose later files name them alike must not share an id.
    table = pd.DataFrame(
        {
            "year": [2017, 2017, 2021],
            "employer_id": pd.array([None, None, 9567], dtype="Int64"),
            "company_number": ["04332146", "00551336", "00551336"],
            "current_name": ["SERVICE GRAPHICS LIMITED", "PARAGON GROUP UK LIMITED", None],
        }
    )
    table.loc[2, "current_name"] = "SERVICE GRAPHICS LIMITED"
    links = link_employers(table)
    assert links[ID].tolist() == [pd.NA, 9567, 9567]
    assert links[METHOD].tolist()[1:] == ["company_number", "employer_id"]


def test_unlinked_early_rows_sharing_a_number_get_an_id_of_their_own():
    table = pd.DataFrame(
        {
            "year": [2017, 2018, 2017, 2017, 2018],
            "employer_id": pd.array([None] * 5, dtype="Int64"),
            "company_number": ["00000007", "00000007", "00000008", "00000008", "00000008"],
            "current_name": ["X", "X", "Y", "Y", "Y"],
        }
    )
    links = link_employers(table)
    # 00000008 is filed twice in 2017: which 2017 row is the employer is not known.
    assert links[ID].tolist() == [-1, -1, pd.NA, pd.NA, pd.NA]


def test_drop_duplicates_keeps_the_latest_submission():
    rows = pd.DataFrame(
        {
            "year": [2020, 2020, 2021, 2017, 2017],
            "employer_id": pd.array([1, 1, 1, None, None], dtype="Int64"),
            "date_submitted": pd.to_datetime(
                ["2021-09-01", "2021-05-01", "2022-01-01", "2018-01-01", "2018-02-01"]
            ),
            "submitted_late": pd.array([False, False, True, True, False], dtype="boolean"),
            "late_source": pd.Categorical(["service flag"] * 5, categories=LATE_SOURCES),
        }
    )
    kept, removed = drop_duplicates(rows)
    assert kept.index.tolist() == [0, 2, 3, 4] and removed == {2020: 1}
    assert kept["submitted_late"].tolist() == [False, True, True, False]
    assert (kept["late_source"] == "service flag").all()
    assert rows["submitted_late"].tolist() == [False, False, True, True, False]


@pytest.mark.parametrize(
    ("earlier", "latest", "kept"),
    [
        (False, True, (False, "earlier report")),  # on time, then re-submitted late
        (pd.NA, True, (True, "service flag")),
        (True, True, (True, "service flag")),
        (False, pd.NA, (False, "earlier report")),
        (True, False, (False, "service flag")),
    ],
)
def test_a_report_filed_on_time_stays_on_time_when_resubmitted_late(earlier, latest, kept):
    rows = pd.DataFrame(
        {
            "year": [2020, 2020],
            "employer_id": pd.array([8295, 8295], dtype="Int64"),
            "date_submitted": pd.to_datetime(["2021-10-05 16:09", "2021-10-06 09:17"]),
            "gap": [-1.2, -1.1],
            "submitted_late": pd.array([earlier, latest], dtype="boolean"),
            "late_source": pd.Categorical(["service flag"] * 2, categories=LATE_SOURCES),
        }
    )
    result, _ = drop_duplicates(rows)
    assert result.index.tolist() == [1] and result["gap"].item() == -1.1
    assert (result["submitted_late"].item(), result["late_source"].item()) == kept


def test_public_sector_comes_from_the_nearest_year_with_a_due_date():
    rows = pd.DataFrame(
        {
            "year": [2017, 2019, 2020, 2022, 2020, 2020],
            ID: pd.array([1, 1, 1, 1, 2, None], dtype="Int64"),
            "is_public_sector": pd.array([False, True, False, False, True, True], dtype="boolean"),
            "public_sector_source": [
                "due date",
                "due date",
                "sic code",
                "due date",
                "sic code",
                "sic code",
            ],
        }
    )
    result = public_sector_from_other_years(rows)
    # 2019 is nearer 2020 than 2022 is; an employer seen nowhere else keeps the SIC code rule.
    assert result["is_public_sector"].tolist() == [False, True, True, False, True, True]
    assert result["public_sector_source"].tolist() == [
        "due date",
        "due date",
        "other year",
        "due date",
        "sic code",
        "sic code",
    ]


def test_public_sector_ties_go_to_the_later_year():
    rows = pd.DataFrame(
        {
            "year": [2019, 2020, 2021],
            ID: pd.array([1, 1, 1], dtype="Int64"),
            "is_public_sector": pd.array([False, False, True], dtype="boolean"),
            "public_sector_source": ["due date", "sic code", "due date"],
        }
    )
    assert public_sector_from_other_years(rows)["is_public_sector"].tolist() == [False, True, True]


def test_fill_places_never_overrides_a_postcode_and_never_passes_on_a_filled_place():
    rows = pd.DataFrame(
        {
            "year": [2017, 2018, 2019, 2020, 2021],
            ID: pd.array([5, 5, 5, 5, 6], dtype="Int64"),
            "region": pd.Categorical([None, "London", None, None, None]),
            "nation": pd.Categorical([None, "England", "Crown Dependencies", None, None]),
            "region_source": pd.Categorical([None, "address", "postcode", None, None]),
        }
    )
    places = fill_places(rows)
    # The most recent other year with a place from its postcode is 2019 (Jersey: no region).
    crown = "Crown Dependencies"
    assert places["nation"].astype(object).fillna("-").tolist() == [
        crown,
        "England",
        crown,
        crown,
        "-",
    ]
    assert places["region"].isna().tolist() == [True, False, True, True, True]
    assert places["region_source"].astype(object).fillna("-").tolist() == [
        "other year",
        "address",
        "postcode",
        "other year",
        "-",
    ]
