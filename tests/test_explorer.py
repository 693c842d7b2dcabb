"""The employer explorer: search by any name or company number, profiles over every year."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import paygap_utils
from paygap_utils.explorer import EmployerIndex, _words, plot_profile, profile_table

mpl.use("Agg")


def _row(year, eid, name, current, number, gap, **extra):
    row = {
        "year": year,
        "employer_id": eid,
        "linked_employer_id": eid,
        "employer_name": name,
        "current_name": current,
        "company_number": number,
        "employer_size": "250 to 499",
        "sector": "C",
        "region": "Wales",
        "diff_median_hourly_percent": gap,
        "date_submitted": pd.Timestamp(f"{year + 1}-03-01"),
        "submitted_late": False,
    }
    row.update(extra)
    return row


@pytest.fixture
def small() -> pd.DataFrame:
    rows = [
        _row(2017, 1, "OLD NAME LTD", "NEW NAME LTD", "00012345", 10.0),
        _row(2018, 1, "Old Name Ltd", "NEW NAME LTD", "12345", 9.0),  # Excel lost the zeros
        _row(2020, 1, "NEW NAME LTD", "NEW NAME LTD", "00012345", 7.0, submitted_late=True),
        _row(2017, 2, "ACME WIDGETS PLC", "ACME WIDGETS PLC", "SC000001", 20.0),
        _row(2018, 2, "ACME WIDGETS PLC", "ACME WIDGETS PLC", "SC000001", 30.0),
        _row(2020, 2, "ACME WIDGETS PLC", "ACME WIDGETS PLC", "SC000001", 40.0),
        _row(2020, None, "UNLINKED & CO", "UNLINKED & CO", None, 5.0, region="London"),
    ]
    table = pd.DataFrame(rows)
    table["linked_employer_id"] = table["linked_employer_id"].astype("Int64")
    for column in ("female_bonus_percent", "male_bonus_percent"):
        table[column] = 50.0
    for quarter in ("lower", "lower_middle", "upper_middle", "top"):
        table[f"female_{quarter}_quartile"] = 50.0
    for column in (
        "diff_mean_hourly_percent",
        "diff_median_bonus_percent",
        "diff_mean_bonus_percent",
    ):
        table[column] = 1.0
    return table


def test_names_compare_without_case_punctuation_or_spacing(small):
    index = EmployerIndex(small)
    for query in ("new name ltd", "New-Name  Ltd.", " NEW, NAME (LTD) "):
        found = index.search(query)
        assert found.loc[0, ["key", "match"]].tolist() == ["id:1", "name"], query


def test_search_finds_current_and_former_names_and_company_numbers(small):
    index = EmployerIndex(small)
    assert len(index) == 3
    assert index.search("new name").loc[0, ["key", "match"]].tolist() == ["id:1", "name"]
    former = index.search("old name")
    assert former.loc[0, ["name", "match"]].tolist() == ["NEW NAME LTD", "former name"]
    # A company number with or without the zeros Excel strips, and one with letters.
    assert index.search("12345").loc[0, ["key", "match"]].tolist() == ["id:1", "company number"]
    assert index.search("00012345").loc[0, "key"] == "id:1"
    assert index.search("sc000001").loc[0, "key"] == "id:2"
    # Rows without a linked id are still found, under their name.
    assert index.search("unlinked").loc[0, "key"] == "name:UNLINKED CO"


def test_search_with_no_match_and_with_many_matches(small):
    index = EmployerIndex(small)
    nothing = index.search("no such employer")
    assert nothing.empty and nothing.attrs["total"] == 0
    assert list(nothing.columns) == ["key", "name", "company_number", "years", "n_years", "match"]
    everyone = index.search("ltd", limit=1)
    assert len(everyone) == 1 and everyone.attrs["total"] == 1
    counted = index.search("new", limit=0)
    assert counted.empty and counted.attrs["total"] == 1


def test_search_ranks_exact_then_starts_with_then_contains():
    rows = [
        _row(2020, 1, "BIG ACME LTD", "BIG ACME LTD", None, 1.0),
        _row(2020, 2, "ACME LTD", "ACME LTD", None, 1.0),
        _row(2020, 3, "ACME", "ACME", None, 1.0),
    ]
    table = pd.DataFrame(rows).astype({"linked_employer_id": "Int64"})
    assert EmployerIndex(table).search("acme")["name"].tolist() == [
        "ACME",
        "ACME LTD",
        "BIG ACME LTD",
    ]


def test_profile_has_every_year_with_the_gaps_and_comparison_medians(small):
    index = EmployerIndex(small)
    profile = index.profile("id:1")
    assert profile.index.tolist() == [2017, 2018, 2019, 2020]
    # 2019 is in no file of this table: not published, not reported, and no numbers.
    assert profile["published"].tolist() == [True, True, False, True]
    assert profile["reported"].tolist() == [True, True, False, True]
    assert (
        profile.loc[2019, "diff_median_hourly_percent"]
        != profile.loc[2019, "diff_median_hourly_percent"]
    )
    # Same sector, size band and region in the same year: medians of 10 and 20 in 2017.
    assert profile.loc[2017, "sector_median"] == 15.0
    assert profile.loc[2017, "size_band_median"] == 15.0
    assert profile.loc[2020, "region_median"] == 23.5  # 7 and 40 in Wales; London apart
    assert profile.loc[2020, "region_n"] == 2
    table = profile_table(profile)
    assert table.columns.tolist() == ["2017-18", "2018-19", "2019-20", "2020-21"]
    assert table.loc["Median hourly pay gap (%)"].tolist() == ["10.0", "9.0", "no data", "7.0"]
    assert table.loc["Median gap of its sector (%)"].tolist() == ["15.0", "19.5", "no data", "7.0"]
    assert table.loc["Filed"].tolist() == ["on time", "on time", "no data", "late"]


def test_a_year_without_a_return_is_kept_as_a_gap(small):
    index = EmployerIndex(small[~((small["employer_id"] == 2) & (small["year"] == 2018))])
    profile = index.profile("id:2")
    assert profile.loc[2018, ["published", "reported"]].tolist() == [True, False]
    assert set(profile_table(profile)["2018-19"]) == {"no return"}


def test_unknown_key_says_how_to_find_one(small):
    with pytest.raises(KeyError, match=r"index.search"):
        EmployerIndex(small).profile("id:999")


def test_profile_chart_shows_the_history_and_the_region(small):
    index = EmployerIndex(small)
    fig = plot_profile(index.profile("id:1"), index)
    gap_ax = fig.axes[0]
    title = gap_ax.get_title(loc="left")
    assert title.startswith("NEW NAME LTD: median hourly pay gap")
    assert title.endswith("reported in 3 of the 3 years with data\nno data published for 2019-20")
    assert "2019-20\nno data" in [t.get_text() for t in gap_ax.get_xticklabels()]
    own = gap_ax.lines[0].get_ydata()
    assert own[0] == 10.0 and own[2] != own[2]  # a break in the line for the missing year
    map_texts = [t.get_text() for t in fig.axes[3].texts]
    assert any(t.startswith("Wales\n23.5") for t in map_texts)
    plt.close(fig)


def test_typos_apostrophes_initials_and_ranking_by_years_then_size():
    rows = [
        _row(2020, 1, "J SAINSBURY'S STORES LTD", "J SAINSBURY'S STORES LTD", None, 1.0),
        _row(2020, 2, "SAINSBURYS BANK PLC", "SAINSBURYS BANK PLC", None, 1.0),
        _row(2021, 2, "SAINSBURYS BANK PLC", "SAINSBURYS BANK PLC", None, 1.0),
        _row(2020, 3, "SAINSBURYS ARGOS LTD", "SAINSBURYS ARGOS LTD", None, 1.0),
        _row(2021, 3, "SAINSBURYS ARGOS LTD", "SAINSBURYS ARGOS LTD", None, 1.0),
        _row(
            2020,
            4,
            "BRITISH BROADCASTING CORPORATION",
            "BRITISH BROADCASTING CORPORATION",
            None,
            1.0,
        ),
        _row(2020, 5, "BBC SHOPS LTD", "BBC SHOPS LTD", None, 1.0),
    ]
    table = pd.DataFrame(rows).astype({"linked_employer_id": "Int64"})
    table.loc[table["employer_id"].isin([3, 4]), "employer_size"] = "20,000 or more"
    index = EmployerIndex(table)
    # Two years before one; of two with two years, the larger size band first.
    expected = ["SAINSBURYS ARGOS LTD", "SAINSBURYS BANK PLC", "J SAINSBURY'S STORES LTD"]
    for query in ("sainsburys", "Sainsbury's", "SAINSBURY\u2019S"):
        assert index.search(query)["name"].tolist() == expected, query
    # A letter swapped, missing or wrong: a similar name, after names spelt as typed.
    for query in ("sainsbuyrs", "sainsbrys", "sainsburxs"):
        found = index.search(query)
        assert found.loc[0, ["name", "match"]].tolist() == [expected[0], "similar name"], query
    # Initials rank with names holding the word, and the larger employer comes first.
    bbc = index.search("BBC")
    assert bbc[["name", "match"]].values.tolist() == [
        ["BRITISH BROADCASTING CORPORATION", "initials"],
        ["BBC SHOPS LTD", "name"],
    ]
    assert index.search("zzyzx qwv").empty


@pytest.mark.data
def test_the_names_people_type_find_the_employer_they_mean():
    index = EmployerIndex(paygap_utils.load(progressbar=False))
    assert len(index) > 10_000
    for query, name in [
        ("tesco", "TESCO STORES LIMITED"),
        ("Tecso", "TESCO STORES LIMITED"),
        ("519500", "TESCO STORES LIMITED"),
        ("BBC", "BRITISH BROADCASTING CORPORATION"),
        ("sainsburys", "SAINSBURY'S SUPERMARKETS LTD"),
        ("sainsbury's", "SAINSBURY'S SUPERMARKETS LTD"),
    ]:
        assert index.search(query).loc[0, "name"] == name, query
    assert index.search("qzxwv bloop").empty


@pytest.mark.data
def test_real_employer_with_a_former_name_and_every_published_year():
    df = paygap_utils.load(progressbar=False)
    index = EmployerIndex(df)
    found = index.search("2 sisters red meat")
    assert found.loc[0, ["name", "match"]].tolist() == ["KEPAK GROUP LIMITED", "former name"]
    profile = index.profile(found.loc[0, "key"])
    published = profile[profile["published"]]
    assert published["reported"].all()
    assert published["sector_n"].min() > 100
    # A reporting year with no file (2023-24) keeps its row, empty, and says so.
    missing = profile[~profile["published"]]
    assert set(missing.index) == set(index.years) - set(df["year"].unique())
    assert not missing["reported"].any()
    assert missing["diff_median_hourly_percent"].isna().all()
    table = profile_table(profile)
    for label in missing["reporting_year"]:
        assert set(table[label]) == {"no data"}
    assert "nan" not in table.to_string().lower()


def test_words_drop_apostrophes_and_split_at_punctuation():
    assert _words("Sainsbury's  Supermarkets, Ltd.") == ["SAINSBURYS", "SUPERMARKETS", "LTD"]
    assert _words("Marks & Spencer p.l.c.") == ["MARKS", "SPENCER", "P", "L", "C"]
    assert _words("SAINSBURY\u2019S") == ["SAINSBURYS"] and _words(None) == []
