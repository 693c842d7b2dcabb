"""load(): one clean table for all years, linked, de-duplicated, with provenance, cached."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import paygap_utils
from paygap_utils import loader
from paygap_utils.cache import cache_path
from paygap_utils.clean import read_raw
from paygap_utils.lookups import SIC_SECTIONS
from paygap_utils.manifest import read_manifest
from paygap_utils.schema import COLUMNS, DERIVED_COLUMNS

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

    from paygap_utils.manifest import Manifest

    changed = Manifest(
        MANIFEST.name,
        MANIFEST.description,
        MANIFEST.licence,
        (replace(MANIFEST.files[0], sha256="0" * 64), *MANIFEST.files[1:]),
    )
    assert cache_path(paygap_utils.data_dir(), changed) != cache_path(
        paygap_utils.data_dir(), MANIFEST
    )


def test_employers_are_linked_into_the_years_without_ids(table):
    published = table["year"] >= 2019
    assert (table.loc[published, "linked_employer_id"] == table.loc[published, "employer_id"]).all()
    for year in (2017, 2018):
        rows = table[table["year"] == year]
        assert rows["employer_id"].isna().all()
        assert rows["linked_employer_id"].notna().mean() > 0.85
    # A link by company number points at an employer with that number in a later year.
    later = table[published].dropna(subset=["company_number"])
    numbers = later.groupby("linked_employer_id")["company_number"].agg(set)
    early = table[~published].dropna(subset=["linked_employer_id", "company_number"])
    agree = [
        cn in numbers.get(i, set())
        for i, cn in zip(early["linked_employer_id"], early["company_number"], strict=True)
    ]
    assert sum(agree) / len(agree) > 0.95


def test_nearly_every_row_gets_a_region(table):
    missing = table.groupby("year")["region"].apply(lambda s: s.isna().mean())
    assert (missing < 0.01).all(), missing.to_dict()


def test_sectors(table):
    assert set(table["sector"].cat.categories) == set(SIC_SECTIONS)
    named = table.dropna(subset=["sector"])
    assert (named["sector_name"].astype(str) == named["sector"].astype(str).map(SIC_SECTIONS)).all()
    assert ((table["sector"] == "X") == table["is_public_sector"]).all()
    first = table["sectors"].map(lambda s: s[0] if s else None)
    private = ~table["is_public_sector"]
    assert (
        table.loc[private, "sector"].astype(object).fillna("-") == first[private].fillna("-")
    ).all()


def test_submitted_late_reads_the_dates_not_the_flag(table):
    covid = table[table["year"] == 2019]
    assert not covid["submitted_after_the_deadline"].any()
    assert covid["submitted_late"].mean() > 0.2


def test_key_numbers(table):
    medians = table.groupby("year")["diff_median_hourly_percent"].median().round(1)
    assert medians.to_dict() == {2017: 9.3, 2018: 9.5, 2019: 10.4, 2020: 10.1, 2021: 9.7, 2022: 9.2}
