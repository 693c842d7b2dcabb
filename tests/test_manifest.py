"""data_manifest.json: the one source of truth for the data, validated on load."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
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

from paygap_utils.data.datafolder import PRIVATE_DIR
from paygap_utils.data.manifest import (
    SCHEMA_PATH,
    DataFile,
    manifest_path,
    parse_manifest,
    parse_year,
    read_manifest,
)
from paygap_utils.errors import ManifestError, PaygapError, YearError
from tests.paths import REPO_ROOT, need_shared

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
    manifest = read_manifest()
    service = urlsplit(manifest.source).netloc
    assert service == "gender-pay-gap.service.gov.uk"
    assert urlsplit(manifest.official_url(2023)).netloc == service
    for entry in manifest.files:
        assert re.match(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", entry.url)
        assert entry.source_url == manifest.official_url(entry.year)
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
        (lambda m: m.pop("source"), r"data_manifest.json is missing the field\(s\) source"),
        (
            lambda m: m.update(source_url_template="https://example.org/download-data"),
            r"source_url_template must be an https address with \{year\} in it",
        ),
        (lambda m: m["files"].append("x.csv"), r"entry #8 must be a JSON object, found str"),
        (lambda m: m["files"][5].update(rows=0), r"entry 2022-23: rows must be a positive"),
        (
            lambda m: m["missing"][0].pop("notes"),
            r"missing entry #1 is missing the field\(s\) notes",
        ),
        (lambda m: m["missing"][0].update(year="2023-25"), r"missing entry #1: .*one year to the"),
    ],
)
def test_malformed_manifests_are_rejected_naming_the_entry(change, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(_broken(change))


def test_every_schema_message_says_how_to_restore_the_manifest():
    with pytest.raises(ManifestError, match=r"git checkout data_manifest.json.*refresh"):
        parse_manifest(_broken(lambda m: m["files"][0].pop("notes")))


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
    with pytest.raises(ManifestError, match=r"not valid JSON.*git checkout data_manifest.json"):
        read_manifest(path)


def _in_a_new_kernel(folder: Path, manifest: Path, then: str = "") -> bool:
    """Read ``manifest`` in a fresh interpreter, run ``then``; say if jsonschema was imported."""
    code = (
        "import sys\nfrom paygap_utils.data import manifest\n"
        f"manifest.read_manifest({str(manifest)!r})\n{then}\n"
        "print('jsonschema' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PAYGAP_DATA_DIR": str(folder)},
        cwd=REPO_ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[-1] == "True"


def test_a_manifest_marked_as_checked_is_not_checked_again_in_the_next_kernel(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    manifest = tmp_path / "data_manifest.json"
    manifest.write_text(json.dumps(RAW))
    # Reading checks, and writes nothing: a warm load writes nothing.
    assert _in_a_new_kernel(folder, manifest)
    assert not any(folder.iterdir())
    # The loader marks what passed once it has cached the table in the data folder...
    assert _in_a_new_kernel(
        folder, manifest, f"manifest._mark_checked(manifest.Path({str(folder)!r}))"
    )
    (mark,) = (folder / PRIVATE_DIR).iterdir()
    assert mark.name.startswith("manifest-checked-")
    # ...and the next kernel skips jsonschema for this text.
    assert not _in_a_new_kernel(folder, manifest)
    # An edit that breaks the schema is another text: it is checked and refused.
    manifest.write_text(json.dumps(_broken(lambda m: m["files"][0].update(sha256="abc"))))
    with pytest.raises(ManifestError, match="sha256"):
        read_manifest(manifest)


def test_only_the_data_folder_read_manifest_looks_in_is_marked(tmp_path):
    default, other = tmp_path / "default", tmp_path / "other"
    default.mkdir()
    other.mkdir()
    manifest = tmp_path / "data_manifest.json"
    manifest.write_text(json.dumps(RAW))
    _in_a_new_kernel(default, manifest, f"manifest._mark_checked(manifest.Path({str(other)!r}))")
    assert not any(other.iterdir()) and not any(default.iterdir())


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
