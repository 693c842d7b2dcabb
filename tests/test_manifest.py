"""data_manifest.json: the one source of truth, read as records, validated where it is written."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils.data.manifest import (
    SCHEMA_PATH,
    DataFile,
    manifest_path,
    parse_year,
    read_manifest,
)
from paygap_utils.data.schema import LAYOUTS
from paygap_utils.errors import ManifestError, PaygapError, YearError
from paygap_utils.organisers.refresh import check_manifest
from tests.paths import REPO_ROOT, need_shared

RAW = json.loads((REPO_ROOT / "data_manifest.json").read_text())


def test_the_installed_manifest_is_the_repository_one():
    assert manifest_path() == REPO_ROOT / "data_manifest.json"


def test_manifest_covers_2017_to_2024_with_licence_and_names_the_gap():
    manifest = read_manifest()
    assert [f.year for f in manifest.files] == [2017, 2018, 2019, 2020, 2021, 2022, 2024]
    assert list(manifest.gaps) == [2023]
    assert "2023-24" in manifest.gaps[2023] and "refresh" in manifest.gaps[2023]
    assert manifest.to_json()["missing"][0]["year"] == "2023-24"
    assert manifest.licence["name"] == "Open Government Licence v3.0"
    assert "Open Government Licence v3.0" in manifest.licence["attribution"]


def test_every_url_is_pinned_by_commit_and_every_source_is_official():
    manifest = read_manifest()
    service = urlsplit(manifest.source).netloc
    assert service == "gender-pay-gap.service.gov.uk"
    assert urlsplit(manifest.source_url_template.format(year=2023)).netloc == service
    for entry in manifest.files:
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", entry.url)
        assert entry.source_url == manifest.source_url_template.format(year=entry.year)
        assert entry.file_name == f"UK Gender Pay Gap Data - {entry.year} to {entry.year + 1}.csv"


def test_the_excel_resave_is_declared():
    entry = read_manifest().file("2018-19")
    assert entry.layout == "25-columns-excel"
    assert "Excel" in entry.notes


def test_checksums_sizes_and_rows_are_the_bytes_own():
    mirror = need_shared()
    from paygap_utils.organisers.refresh import file_facts

    for entry in read_manifest().files:
        facts = file_facts(mirror / entry.file_name)
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


def test_the_shipped_manifest_passes_every_check():
    check_manifest(RAW)
    assert {f.layout for f in read_manifest().files} <= set(LAYOUTS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["files"][1].pop("sha256"), r"at files/1: 'sha256' is a required property"),
        (lambda m: m["files"][2].update(size="big"), r"at files/2/size: 'big' is not of type"),
        (lambda m: m["files"][3].update(sha256="abc"), r"at files/3/sha256: 'abc' does not match"),
        (lambda m: m["files"][4].update(year="2017-18"), r"file 2017-18: the year is listed twice"),
        (lambda m: m["files"][0].update(url="ftp://example.org/a.csv"), r"files/0/url"),
        (lambda m: m["files"][0].update(file_name="../../.bashrc"), r"files/0/file_name"),
        (lambda m: m["files"][0].update(file_name="C:\\x.csv"), r"files/0/file_name"),
        (lambda m: m["files"][0].update(as_of="21/11/2018"), r"files/0/as_of"),
        (lambda m: m["files"][0].update(deadline="2018-02-30"), r"files/0/deadline"),
        (lambda m: m["files"][0].update(year="2017-19"), r"file 2017-19: .*one year to the next"),
        (lambda m: m["files"][0].update(layout="30-columns"), r"'30-columns' is not in layouts"),
        (lambda m: m.pop("licence"), r"the top level: 'licence' is a required property"),
        (lambda m: m["licence"].pop("attribution"), r"'attribution' is a required property"),
        (lambda m: m.update(files=[]), r"at files: \[\] should be non-empty"),
        (lambda m: m["files"].append("x.csv"), r"at files/7: 'x.csv' is not of type 'object'"),
        (lambda m: m["files"][5].update(rows=0), r"at files/5/rows: 0 is less than the minimum"),
        (lambda m: m["missing"][0].pop("notes"), r"at missing/0: 'notes' is a required"),
        (lambda m: m["missing"][0].update(year="2022-23"), r"missing 2022-23: the year is listed"),
    ],
)
def test_malformed_manifests_are_refused_where_they_are_written(change, message, tmp_path):
    with pytest.raises(ManifestError, match=message) as caught:
        check_manifest(_broken(change))
    assert "git checkout data_manifest.json" in str(caught.value)


def _read(raw: dict, tmp_path: Path):
    path = tmp_path / "data_manifest.json"
    path.write_text(json.dumps(raw))
    return read_manifest(path)


def test_reading_needs_only_the_fields_and_says_how_to_restore_them(tmp_path):
    with pytest.raises(ManifestError, match=r"lacks the field 'licence'.*git checkout"):
        _read(_broken(lambda m: m.pop("licence")), tmp_path)
    with pytest.raises(ManifestError, match=r"not a readable data manifest.*'sha256'.*checkout"):
        _read(_broken(lambda m: m["files"][1].pop("sha256")), tmp_path)
    with pytest.raises(ManifestError, match=r"not a readable data manifest.*organisers refresh"):
        _read(_broken(lambda m: m["files"][1].update(deadline="soon")), tmp_path)


def test_the_manifest_names_the_schema_the_package_ships_and_passes_it(tmp_path):
    assert (REPO_ROOT / RAW["$schema"]).resolve() == SCHEMA_PATH
    schema = json.loads(SCHEMA_PATH.read_text())
    required = schema["$defs"]["file"]["required"]
    assert required == [f.name for f in dataclasses.fields(DataFile)]
    # check-jsonschema, as an editor or a CI step would run it, checks both files.
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool, "check-jsonschema is installed with the test extra"
    checked = subprocess.run(
        [tool, "--schemafile", str(SCHEMA_PATH), str(REPO_ROOT / "data_manifest.json")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / "data_manifest.json"
    broken.write_text(json.dumps(_broken(lambda m: m["files"][0].update(sha256="abc"))))
    refused = subprocess.run(
        [tool, "--schemafile", str(SCHEMA_PATH), str(broken)], capture_output=True, text=True
    )
    assert refused.returncode == 1 and "sha256" in refused.stdout + refused.stderr
    metaschema = subprocess.run([tool, "--check-metaschema", str(SCHEMA_PATH)], capture_output=True)
    assert metaschema.returncode == 0


def test_a_manifest_that_is_not_json_says_how_to_restore_it(tmp_path):
    path = tmp_path / "data_manifest.json"
    path.write_text('{"name": ')
    with pytest.raises(ManifestError, match=r"not a readable data manifest: Expecting value.*git"):
        read_manifest(path)


def test_reading_the_manifest_imports_no_jsonschema():
    code = "import sys, paygap_utils as p; p.available_years(); print('jsonschema' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert out.stdout.split() == ["False"], out.stderr


def test_deadlines_are_data(tmp_path):
    manifest = read_manifest()
    assert manifest.file(2020).deadline.isoformat() == "2021-10-05"  # extended for COVID-19
    assert manifest.file(2017).deadline.isoformat() == "2018-04-04"
    assert manifest.missing[0]["deadline"] == "2024-04-04"


def test_to_json_round_trips(tmp_path):
    manifest = read_manifest()
    assert _read(manifest.to_json(), tmp_path) == manifest
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


@pytest.mark.parametrize("value", [np.int64(2019), np.int32(2019), np.uint16(2019)])
def test_numpy_integers_are_years(value):
    assert parse_year(value) == 2019
    assert [f.year for f in read_manifest().select(value)] == [2019]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (2017.5, "a whole number"),
        (np.float64(2017.0), "a whole number"),
        (True, "True or False"),
        (np.bool_(True), "True or False"),
        ("twenty-seventeen", "Write it as 2017"),
        ({"year": 2017}, "it is a dict"),
    ],
)
def test_year_like_values_say_which_years_exist(value, why):
    with pytest.raises(YearError, match=why) as caught:
        read_manifest().select(value)
    assert "Available years: 2017-18, " in str(caught.value)
    assert isinstance(caught.value, PaygapError) and isinstance(caught.value, ValueError)


def test_collections_of_years_in_any_shape():
    import pandas as pd

    manifest = read_manifest()
    for years in (
        [2020, "2019-20"],
        (2019, 2020),
        {2020, 2019},
        range(2019, 2021),
        np.array([2020, 2019]),
        pd.Series([2019, 2020, 2020]),
    ):
        assert [f.year for f in manifest.select(years)] == [2019, 2020], years
    with pytest.raises(YearError, match="No years were given"):
        manifest.select([])
    with pytest.raises(YearError, match=r"2017\.5 is not a reporting year.*Available years"):
        manifest.select([2019, 2017.5])
