"""load(): one clean table for all years, linked, de-duplicated, with provenance, cached."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import paygap_utils
from paygap_utils.data import loader
from paygap_utils.data.cache import cache_path
from paygap_utils.data.clean import read_raw
from paygap_utils.data.lookups import SIC_SECTIONS
from paygap_utils.data.manifest import read_manifest
from paygap_utils.data.schema import COLUMNS, DERIVED_COLUMNS
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.data

MANIFEST = read_manifest()


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return paygap_utils.load(progressbar=False)


def test_columns_are_the_documented_ones(table):
    assert table.columns.tolist() == [c.name for c in COLUMNS + DERIVED_COLUMNS]
    assert paygap_utils.columns()["name"].tolist() == table.columns.tolist()


def test_every_year_is_there_minus_its_duplicates(table):
    removed = table.attrs["duplicates_removed"]
    counts = table["year"].value_counts()
    for entry in MANIFEST.files:
        assert counts[entry.year] == entry.rows - removed[entry.label], entry.label
    assert removed == {
        "2017-18": 0,
        "2018-19": 0,
        "2019-20": 1,
        "2020-21": 3,
        "2021-22": 0,
        "2022-23": 0,
        "2024-25": 0,
    }


def test_duplicates_resolve_to_the_latest_submission(table):
    entry = MANIFEST.file(2020)
    raw = read_raw(paygap_utils.fetch(2020, progressbar=False)[2020])
    twice = raw[raw["EmployerId"].duplicated(keep=False)]
    assert len(twice) == 6
    kept = table[
        (table["year"] == 2020) & table["employer_id"].isin(twice["EmployerId"].astype(int))
    ]
    assert kept["employer_id"].is_unique and len(kept) == 3
    latest = (
        pd.to_datetime(twice["DateSubmitted"], format="%Y/%m/%d %H:%M:%S")
        .groupby(twice["EmployerId"].astype(int))
        .max()
    )
    kept_dates = kept.set_index("employer_id")["date_submitted"].sort_index()
    assert kept_dates.tolist() == latest.sort_index().tolist()
    assert entry.rows - len(table[table["year"] == 2020]) == 3
    # Mediline Home Care filed on 5 October 2021, by the extended deadline, and re-submitted
    # the next morning, which the service flags late: the kept row is on time.
    mediline = kept[kept["employer_id"] == 8295]
    assert mediline["date_submitted"].dt.day.tolist() == [6]
    assert mediline[["submitted_late", "late_source"]].values.tolist() == [
        [False, "earlier report"]
    ]
    assert bool(mediline["submitted_after_the_deadline"].item())


def test_one_row_per_employer_and_year_where_ids_are_published(table):
    with_id = table.dropna(subset=["employer_id"])
    assert not with_id.duplicated(["year", "employer_id"]).any()


def test_provenance_travels_with_the_table(table):
    attrs = table.attrs
    assert attrs["licence"] == "Open Government Licence v3.0"
    assert attrs["attribution"].startswith("Contains public sector information")
    assert [f["sha256"] for f in attrs["files"]] == [f.sha256 for f in MANIFEST.files]
    assert [f["as_of"] for f in attrs["files"]] == [f.as_of for f in MANIFEST.files]
    assert attrs["paygap_utils_version"] == paygap_utils.__version__


def test_years_can_be_chosen_in_any_spelling(table):
    some = paygap_utils.load(["2019/20", 2021, "2022 to 2023"], progressbar=False)
    assert sorted(some["year"].unique()) == [2019, 2021, 2022]
    assert [f["year"] for f in some.attrs["files"]] == ["2019-20", "2021-22", "2022-23"]
    pd.testing.assert_frame_equal(
        some.reset_index(drop=True),
        table[table["year"].isin([2019, 2021, 2022])].reset_index(drop=True),
    )


def test_cold_and_warm_loads_return_the_same_table(table, session_data_home, tmp_path, monkeypatch):
    for entry in MANIFEST.files:
        shutil.copy(session_data_home / entry.file_name, tmp_path)
    cold = paygap_utils.load(data_home=tmp_path, progressbar=False)
    assert cache_path(tmp_path, MANIFEST).is_file()

    def no_parsing(*args, **kwargs):
        raise AssertionError("the CSVs were parsed again")

    monkeypatch.setattr(loader, "read_year", no_parsing)
    warm = paygap_utils.load(data_home=tmp_path, progressbar=False)
    pd.testing.assert_frame_equal(cold, warm)
    pd.testing.assert_frame_equal(warm, table)
    assert cold.attrs == warm.attrs
    assert warm["sic_codes"].map(type).eq(list).all()


def test_after_a_cold_load_a_new_kernels_warm_load_skips_jsonschema_and_writes_nothing(
    table, session_data_home, tmp_path
):
    for entry in MANIFEST.files:
        shutil.copy(session_data_home / entry.file_name, tmp_path)
    code = (
        "import sys, paygap_utils\n"
        "paygap_utils.load(progressbar=False)\n"
        "print('jsonschema' in sys.modules)"
    )

    def kernel() -> bool:
        env = {**os.environ, "PAYGAP_DATA_DIR": str(tmp_path)}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.split()[-1] == "True"

    assert kernel()  # the cold load checks the manifest, caches the table and marks the text
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert not kernel()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_a_damaged_cache_is_rebuilt(table, session_data_home):
    path = cache_path(session_data_home, MANIFEST)
    assert path.is_file()
    path.write_bytes(b"not parquet")
    rebuilt = paygap_utils.load(progressbar=False)
    pd.testing.assert_frame_equal(rebuilt, table)
    assert path.stat().st_size > 1_000_000
    assert not list(session_data_home.glob("*.partial"))


def test_the_cache_key_follows_the_checksums():
    from dataclasses import replace

    changed = replace(
        MANIFEST, files=(replace(MANIFEST.files[0], sha256="0" * 64), *MANIFEST.files[1:])
    )
    assert cache_path(paygap_utils.data_dir(), changed) != cache_path(
        paygap_utils.data_dir(), MANIFEST
    )


def test_employers_are_linked_into_the_years_without_ids(table):
    published = table["year"] >= 2019
    assert (table.loc[published, "linked_employer_id"] == table.loc[published, "employer_id"]).all()
    assert (table.loc[published, "link_method"] == "employer_id").all()
    for year in (2017, 2018):
        rows = table[table["year"] == year]
        assert rows["employer_id"].isna().all()
        assert rows["linked_employer_id"].notna().mean() > 0.9
        assert set(rows["link_method"].dropna()) == {"company_number", "name"}
        assert (rows["link_method"].isna() == rows["linked_employer_id"].isna()).all()
    # A link by company number points at an employer with that number in a later year.
    later = table[published].dropna(subset=["company_number"])
    numbers = later.groupby("linked_employer_id")["company_number"].agg(set)
    early = table[~published & (table["linked_employer_id"] > 0)]
    by_number = early[early["link_method"] == "company_number"]
    assert all(
        cn in numbers[i]
        for i, cn in zip(by_number["linked_employer_id"], by_number["company_number"], strict=True)
    )
    # A link by name never joins rows whose company numbers conflict.
    by_name = early[(early["link_method"] == "name") & early["company_number"].notna()]
    known = by_name["linked_employer_id"].map(numbers)
    assert all(
        not isinstance(theirs, set) or cn in theirs
        for cn, theirs in zip(by_name["company_number"], known, strict=True)
    )


def test_the_issues_wrong_links_are_gone(table):
    # Service Graphics Ltd 04332146 and Paragon Group UK 00551336 both got 9567 in 2017-18.
    early = table[table["year"] == 2017].set_index("company_number")
    assert early.loc["00551336", "linked_employer_id"] == 9567
    assert early.loc["04332146", "linked_employer_id"] is pd.NA
    # PMP Recruitment and Core Staff Services both got 14915.
    assert early.loc["08030122", "linked_employer_id"] == 14915
    assert early.loc["03485614", "linked_employer_id"] != 14915


def test_early_rows_sharing_a_company_number_are_linked_to_each_other(table):
    own = table[table["linked_employer_id"] < 0]
    assert set(own["year"]) == {2017, 2018}
    assert (own["link_method"] == "company_number").all()
    pairs = own.groupby("linked_employer_id")
    assert (pairs.size() == 2).all() and (pairs["company_number"].nunique() == 1).all()
    assert len(own) > 1000


@pytest.mark.parametrize("year", [f.year for f in MANIFEST.files])
def test_no_two_rows_of_one_year_share_a_linked_employer_id(table, year):
    ids = table.loc[table["year"] == year, "linked_employer_id"].dropna()
    assert ids.is_unique, ids[ids.duplicated()].head().tolist()


def test_nearly_every_row_gets_a_region(table):
    missing = table.groupby("year")["region"].apply(lambda s: s.isna().mean())
    assert (missing < 0.01).all(), missing.to_dict()


def test_regions_from_other_years_say_so_and_never_contradict_a_postcode(table):
    assert table["region_source"].isna().equals(table["nation"].isna())
    filled = table[table["region_source"] == "other year"]
    assert 0 < len(filled) < 0.01 * len(table)
    # A filled row's own postcode and address give no place; a place from the address says so.
    from_address = table["region_source"] == "address"
    assert (table.loc[from_address, "post_code"].isna()).all()
    assert (table.loc[table["year"] <= 2018, "region_source"] != "postcode").all()
    from paygap_utils.data.lookups import parse_postcode, postcode_from_address, region_of_postcode

    for address, raw in zip(filled["address"], filled["post_code_raw"], strict=True):
        postcode = parse_postcode(raw) or postcode_from_address(address)
        assert region_of_postcode(postcode) == (None, None), (address, raw)
    # Mothercare UK 2019-20 typed the outward code LS1 alone: that is Leeds, not its other years.
    mothercare = table[(table["year"] == 2019) & (table["post_code_raw"] == "LS1")]
    assert (mothercare["region"] == "Yorkshire and The Humber").all() and len(mothercare)
    assert (mothercare["region_source"] == "postcode").all()


def test_crown_dependencies_are_a_nation_of_their_own(table):
    crown = table[table["nation"] == "Crown Dependencies"]
    assert len(crown) > 10 and crown["region"].isna().all()
    assert crown["post_code"].dropna().str[:2].isin(["JE", "GY", "IM"]).all()


def test_public_sector_follows_the_due_date(table):
    due = table["due_date"].dt.strftime("%m-%d")
    by_date = table["public_sector_source"] == "due date"
    assert (table.loc[by_date, "is_public_sector"] == (due[by_date] == "03-31")).all()
    # 2020-21 has no usable due date: other years decide, the SIC code only as a last resort.
    covid = table[table["year"] == 2020]
    assert (covid["public_sector_source"] != "due date").all()
    assert (covid["public_sector_source"] == "other year").mean() > 0.98
    assert (table.loc[table["year"] != 2020, "public_sector_source"] == "due date").all()
    # Academies Enterprise Trust (id 817) lists only 85xxx codes from 2019-20, yet is public.
    aet = table[table["linked_employer_id"] == 817]
    assert aet["is_public_sector"].all() and len(aet) >= 6
    assert aet["sic_codes"].map(lambda codes: "00001" not in codes).sum() >= 3


def test_sectors(table):
    assert set(table["sector"].cat.categories) == set(SIC_SECTIONS) - {"X"}
    named = table.dropna(subset=["sector"])
    assert (named["sector_name"].astype(str) == named["sector"].astype(str).map(SIC_SECTIONS)).all()
    first = table["sectors"].map(lambda s: s[0] if s else None)
    assert (table["sector"].astype(object).fillna("-") == first.fillna("-")).all()
    # Public bodies are in their industry: most of them have one, and education is the largest.
    public = table[table["is_public_sector"] & (table["year"] == 2022)]
    assert public["sector"].notna().mean() > 0.8
    assert public["sector"].value_counts().index[0] == "P"
    # Without a code other than the placeholder 1 there is no industry.
    only_placeholder = table["sic_codes"].map(lambda codes: list(codes) == ["00001"])
    assert only_placeholder.sum() > 500 and table.loc[only_placeholder, "sector"].isna().all()


def test_submitted_late_is_the_services_flag(table):
    by_flag = table["late_source"] == "service flag"
    assert (~by_flag).sum() == 1  # Mediline Home Care 2020-21: see the duplicates test
    flag = table["submitted_after_the_deadline"]
    assert (table.loc[by_flag, "submitted_late"] == flag[by_flag]).all()
    # 2019-20: enforcement was suspended, the service flags nobody.
    assert not table.loc[table["year"] == 2019, "submitted_late"].any()


def test_pays_bonus_and_impossible_values(table):
    someone = (table["male_bonus_percent"] > 0) | (table["female_bonus_percent"] > 0)
    assert (table["pays_bonus"].fillna(False) == someone).all()
    # Missing only where nobody is paid a bonus yet a bonus gap is given (2017-18: 6, 2018-19: 1).
    unknown = table[table["pays_bonus"].isna()]
    assert unknown["year"].value_counts().to_dict() == {2017: 6, 2018: 1}
    assert not someone[unknown.index].any()
    gaps = unknown[["diff_mean_bonus_percent", "diff_median_bonus_percent"]]
    assert (gaps.fillna(0) != 0).any(axis=1).all()
    # "No bonus paid" is written 0 in 2017-18: those rows are not payers.
    nobody = table[(table["year"] == 2017) & ~table["pays_bonus"].fillna(True)]
    assert (nobody["diff_median_bonus_percent"] == 0).sum() > 2000
    from paygap_utils.checks import impossible_value_flags

    flags = impossible_value_flags(table)
    assert (table["has_impossible_value"] == flags.any(axis=1)).all()
    counts = table.attrs["impossible_values"]
    for entry in MANIFEST.files:
        rows = flags[table["year"] == entry.year].sum()
        assert counts[entry.label] == {k: int(v) for k, v in rows.items()}


def test_each_file_says_how_complete_its_copy_is(table):
    files = {f["year"]: f for f in table.attrs["files"]}
    assert files["2022-23"]["days_after_deadline"] == 48
    assert files["2019-20"]["days_after_deadline"] == 1438
    assert files["2020-21"]["days_after_deadline"] == 131  # deadline 5 October 2021
    assert "Excel" in files["2018-19"]["notes"] and "spreadsheet" in files["2024-25"]["notes"]
    counts = table["year"].value_counts()
    for entry in MANIFEST.files:
        assert files[entry.label]["rows"] == counts[entry.year]
    assert table.attrs["missing_years"] == ["2023-24"]
    assert paygap_utils.load(2024, progressbar=False).attrs["missing_years"] == []


def test_key_numbers(table):
    medians = table.groupby("year")["diff_median_hourly_percent"].median().round(1)
    assert medians.to_dict() == {
        2017: 9.3,
        2018: 9.5,
        2019: 10.4,
        2020: 10.1,
        2021: 9.7,
        2022: 9.2,
        2024: 8.4,
    }


@pytest.mark.data
def test_columns_without_year_still_count_the_rows_of_each_year():
    table = paygap_utils.load([2021, 2022], columns=["sector"], progressbar=False)
    assert list(table.columns) == ["sector"]
    rows = {f["year"]: f["rows"] for f in table.attrs["files"]}
    assert rows == {"2021-22": 10555, "2022-23": 10622} and sum(rows.values()) == len(table)
