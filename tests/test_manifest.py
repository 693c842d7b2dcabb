"""data_manifest.json: the one source of truth for the data, validated on load."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils.errors import ManifestError
from paygap_utils.manifest import manifest_path, parse_manifest, parse_year, read_manifest
from tests.servers import REPO_ROOT, shared_dir

RAW = json.loads((REPO_ROOT / "data_manifest.json").read_text())


def test_the_installed_manifest_is_the_repository_one():
    assert manifest_path() == REPO_ROOT / "data_manifest.json"


def test_manifest_covers_2017_to_2024_with_licence_and_names_the_gap():
    manifest = read_manifest()
    assert manifest.years == [2017, 2018, 2019, 2020, 2021, 2022, 2024]
    assert list(manifest.gaps) == [2023]
    assert "2023-24" in manifest.gaps[2023] and "refresh" in manifest.gaps[2023]
    assert manifest.to_json()["missing"][0]["year"] == "2023-24"
    assert manifest.licence["name"] == "Open Government Licence v3.0"
    assert "Open Government Licence v3.0" in manifest.licence["attribution"]


def test_every_url_is_pinned_by_commit_and_every_source_is_official():
    for entry in read_manifest().files:
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", entry.url)
        assert entry.source_url == (
            f"https://gender-pay-gap.service.gov.uk/viewing/download-data/{entry.year}"
        )
        assert entry.file_name == f"UK Gender Pay Gap Data - {entry.year} to {entry.year + 1}.csv"


def test_the_excel_resave_is_declared():
    entry = read_manifest().file("2018-19")
    assert entry.layout == "25-columns-excel"
    assert "Excel" in entry.notes


def test_checksums_sizes_and_rows_are_the_bytes_own():
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/data/ukgpg is not available")
    from paygap_utils.refresh import file_facts

    for entry in read_manifest().files:
        facts = file_facts(shared / "data" / "ukgpg" / entry.file_name)
        assert facts == {
            "sha256": entry.sha256,
            "size": entry.size,
            "rows": entry.rows,
            "layout": entry.layout,
            "as_of": entry.as_of,
        }, entry.label


def _broken(change) -> dict:
    raw = copy.deepcopy(RAW)
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["files"][1].pop("sha256"), r"entry 2018-19 is missing the field\(s\) sha256"),
        (
            lambda m: m["files"][2].update(size="big"),
            r"entry 2019-20: 'size' must be a whole number",
        ),
        (lambda m: m["files"][3].update(sha256="abc"), r"entry 2020-21: sha256 must be 64"),
        (lambda m: m["files"][4].update(year="2017-18"), r"2017-18 is listed twice"),
        (
            lambda m: m["files"][0].update(url="http://example.org/a.csv"),
            r"entry 2017-18: url 'http://example.org/a.csv' is not https",
        ),
        (lambda m: m["files"][0].update(file_name="../../.bashrc"), r"not a plain file name"),
        (lambda m: m["files"][0].update(file_name="C:\\x.csv"), r"not a plain file name"),
        (lambda m: m["files"][0].update(as_of="21/11/2018"), r"as_of must be a date"),
        (lambda m: m["files"][0].update(year="2017-19"), r"entry 2017-19: .*one year to the next"),
        (lambda m: m.pop("licence"), r"missing the field\(s\) licence"),
        (
            lambda m: m["licence"].pop("attribution"),
            r"licence is missing the field\(s\) attribution",
        ),
        (lambda m: m.update(files=[]), r"'files' is empty"),
    ],
)
def test_malformed_manifests_are_rejected_naming_the_entry(change, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(_broken(change))


def test_a_manifest_that_is_not_json_says_how_to_restore_it(tmp_path):
    path = tmp_path / "data_manifest.json"
    path.write_text('{"name": ')
    with pytest.raises(ManifestError, match=r"not valid JSON.*git checkout data_manifest.json"):
        read_manifest(path)


def test_http_to_loopback_is_allowed_in_a_manifest():
    raw = _broken(lambda m: m["files"][0].update(url="http://127.0.0.1:8000/x.csv"))
    assert parse_manifest(raw).files[0].url == "http://127.0.0.1:8000/x.csv"


def test_to_json_round_trips():
    manifest = read_manifest()
    assert parse_manifest(manifest.to_json()) == manifest
    assert manifest.to_json() == RAW


@pytest.mark.parametrize(
    "spelling", [2017, "2017", "2017-18", "2017/18", "2017 to 2018", " 2017-2018 "]
)
def test_year_spellings(spelling):
    assert parse_year(spelling) == 2017


@pytest.mark.parametrize(
    "bad", ["2017-19", "17-18", "twenty", "", None, 2017.0, True, "2017 to 2019"]
)
def test_bad_years_are_rejected(bad):
    with pytest.raises(ValueError, match="reporting year"):
        parse_year(bad)


def test_unknown_year_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"2030-31.*Available years: 2017-18, 2018-19, .*2022-23"):
        read_manifest().file(2030)


@given(
    st.integers(min_value=1000, max_value=9998),
    st.sampled_from(["{a}-{b2}", "{a}/{b2}", "{a} to {b}", "{a}-{b}", "{a}", "{a} TO {b}"]),
    st.booleans(),
)
def test_parse_year_accepts_every_spelling_of_every_year(first, template, as_int):
    text = template.format(a=first, b=first + 1, b2=f"{(first + 1) % 100:02d}")
    assert parse_year(first if as_int else text) == first


@given(st.integers(min_value=1000, max_value=9997), st.integers(min_value=2, max_value=50))
def test_parse_year_rejects_spans_that_are_not_one_year(first, gap):
    with pytest.raises(ValueError):
        parse_year(f"{first} to {first + gap}")
