"""The cleaned-table cache: plain parquet, checked as it is read, rebuilt on any damage."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import paygap_utils
from paygap_utils.data import loader
from paygap_utils.data.cache import cache_path, from_parquet, read_cache, to_parquet, write_cache
from paygap_utils.data.manifest import read_manifest
from paygap_utils.data.schema import COLUMNS, DERIVED_COLUMNS

pytestmark = pytest.mark.data

MANIFEST = read_manifest()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A data folder of its own with every file and a freshly built cache."""
    home = tmp_path_factory.mktemp("cache-home")
    for path in paygap_utils.fetch(progressbar=False).values():
        shutil.copy(path, home)
    paygap_utils.load(data_home=home, progressbar=False)
    return home


@pytest.fixture(scope="module")
def reference(folder) -> pd.DataFrame:
    return read_cache(cache_path(folder, MANIFEST))


@pytest.fixture()
def damaged(folder, tmp_path) -> Path:
    """A copy of the cache, under its own name, in a folder of its own."""
    path = tmp_path / cache_path(folder, MANIFEST).name
    shutil.copy(cache_path(folder, MANIFEST), path)
    return path


def same(table: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """Same columns, dtypes, values and attrs (assert_frame_equal takes seconds on this table)."""
    return (
        table.columns.tolist() == expected.columns.tolist()
        and table.dtypes.tolist() == expected.dtypes.tolist()
        and table.index.equals(expected.index)
        and table.equals(expected)
        and table.attrs == expected.attrs
    )


def flip(path: Path, offset: int, bit: int) -> None:
    with open(path, "r+b") as file:
        file.seek(offset)
        byte = file.read(1)[0]
        file.seek(offset)
        file.write(bytes([byte ^ (1 << bit)]))


def rewrite_attrs(path: Path, change) -> Path:
    """Rewrite the table's attrs in the file's metadata, and name the file for its footer."""
    arrow = pq.read_table(path)
    metadata = dict(arrow.schema.metadata)
    attrs = json.loads(metadata[b"paygap_utils"])
    change(attrs)
    metadata[b"paygap_utils"] = json.dumps(attrs).encode()
    out = path.with_name("rewritten.parquet")
    pq.write_table(arrow.replace_schema_metadata(metadata), out, write_page_checksum=True)
    data = out.read_bytes()
    footer = data[-8 - int.from_bytes(data[-8:-4], "little") : -8]
    key = path.stem.rsplit("-", 1)[0]
    named = path.with_name(f"{key}-{hashlib.sha256(footer).hexdigest()[:16]}.parquet")
    out.rename(named)
    return named


def pages(path: Path) -> list[tuple[int, int]]:
    """(start, end) in the file of every column chunk's pages, dictionary pages included."""
    metadata = pq.ParquetFile(path).metadata
    spans = []
    for group in range(metadata.num_row_groups):
        for column in range(metadata.num_columns):
            chunk = metadata.row_group(group).column(column)
            start = chunk.dictionary_page_offset or chunk.data_page_offset
            spans.append((start, start + chunk.total_compressed_size))
    return spans


# What the cache gives back


def test_text_lists_and_categories_are_the_same_types_in_every_pandas(reference):
    for column in (c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "text"):
        dtype = reference[column].dtype
        assert isinstance(dtype, pd.StringDtype), (column, dtype)
        assert dtype.storage in ("pyarrow", "pyarrow_numpy"), (column, dtype)
        assert dtype.na_value is np.nan, (column, dtype)
    for column in (c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "category"):
        categories = reference[column].cat.categories
        assert isinstance(categories.dtype, pd.StringDtype), (column, categories.dtype)
    for column in ("sic_codes", "sectors"):
        assert reference[column].dtype == pd.ArrowDtype(pa.list_(pa.string()))
        assert isinstance(reference[column].iloc[0], list)
    assert reference["post_code"].isna().any()
    # comparisons give plain booleans, missing values compare False, in both pandas
    assert (reference["post_code"] == "SW1A 2AA").dtype == bool


def test_the_cache_is_plain_parquet_with_a_checksum_on_every_page(folder):
    path = cache_path(folder, MANIFEST)
    file = pq.ParquetFile(path)
    assert file.metadata.num_row_groups == len(MANIFEST.files)
    assert file.metadata.num_columns == len(COLUMNS + DERIVED_COLUMNS)
    assert pd.read_parquet(path, columns=["year"])["year"].nunique() == len(MANIFEST.files)


def test_columns_are_read_alone_in_the_order_asked(folder, reference):
    wanted = ["sector", "year", "diff_median_hourly_percent", "sic_codes", "employer_name"]
    some = paygap_utils.load(columns=wanted, data_home=folder, progressbar=False)
    assert some.columns.tolist() == wanted
    assert some.equals(reference[wanted])
    assert some.dtypes.tolist() == reference[wanted].dtypes.tolist()
    two_years = paygap_utils.load(
        ["2019-20", 2021], columns=["year", "region"], data_home=folder, progressbar=False
    )
    expected = reference.loc[reference["year"].isin([2019, 2021]), ["year", "region"]]
    assert two_years.equals(expected.reset_index(drop=True))
    assert [f["year"] for f in two_years.attrs["files"]] == ["2019-20", "2021-22"]


def test_each_column_and_each_year_read_alone_is_the_tables(folder, reference):
    path = cache_path(folder, MANIFEST)
    for column in reference.columns:
        alone = read_cache(path, None, [column])
        assert alone is not None, column
        assert alone[column].dtype == reference[column].dtype, column
        assert alone[column].equals(reference[column]), column
    for year in sorted(set(reference["year"])):
        alone = read_cache(path, [int(year)])
        assert alone is not None, year
        assert same(alone, reference[reference["year"] == year].reset_index(drop=True)), year


def test_an_unknown_column_is_named_with_the_closest_ones(folder):
    with pytest.raises(ValueError, match="'median_hourly_percent' is not a column") as error:
        paygap_utils.load(columns=["year", "median_hourly_percent"], data_home=folder)
    assert "diff_median_hourly_percent" in str(error.value)
    assert "paygap_utils.columns()" in str(error.value)


# Damage is never served


def test_a_flipped_bit_in_the_pages_is_caught(damaged, reference, caplog):
    data = damaged.read_bytes()
    rng = random.Random(7)
    caught = 0
    for start, end in rng.sample(pages(damaged), 40):
        offset = rng.randrange(start, end)
        flip(damaged, offset, rng.randrange(8))
        try:
            with caplog.at_level(logging.WARNING, logger="paygap_utils"):
                table = read_cache(damaged)
        finally:
            damaged.write_bytes(data)
        # The checksums cover each page's data; a flip in a page header (sizes, statistics)
        # either breaks the read or changes nothing that is served.
        if table is None:
            caught += 1
        else:
            assert same(table, reference), offset
    assert caught >= 35
    assert "CRC checksum verification failed" in caplog.text and "Rebuilding it" in caplog.text


@pytest.mark.parametrize(
    "years, columns",
    [(None, None), (None, ["year", "sector", "diff_median_hourly_percent"]), ([2019, 2021], None)],
    ids=["whole table", "three columns", "two years"],
)
def test_wherever_a_bit_flips_the_table_or_nothing_is_served(damaged, reference, years, columns):
    expected = reference
    if years is not None:
        expected = expected[expected["year"].isin(years)].reset_index(drop=True)
    if columns is not None:
        expected = expected[columns]
    data = damaged.read_bytes()
    rng = random.Random(12)
    footer = len(data) - int.from_bytes(data[-8:-4], "little") - 8
    # Anywhere in the file, and every few bytes of the footer (the schema, the metadata).
    offsets = {rng.randrange(len(data)) for _ in range(40)} | set(range(footer, len(data), 97))
    served = 0
    for offset in sorted(offsets):
        bit = rng.randrange(8)
        flip(damaged, offset, bit)
        try:
            table = read_cache(damaged, years, columns)
        finally:
            flip(damaged, offset, bit)
        if table is not None:
            served += 1
            assert same(table, expected), offset
    assert len(offsets) > 60 and served < len(offsets)
    assert same(read_cache(damaged, years, columns), expected)


@pytest.mark.parametrize("keep", [0, 7, 0.5, -1, -8])
def test_a_truncated_cache_is_not_served(damaged, keep):
    data = damaged.read_bytes()
    length = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    damaged.write_bytes(data[:length])
    assert read_cache(damaged) is None


def middle_flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


@pytest.mark.parametrize(
    "damage",
    [
        middle_flipped,
        lambda data: data[: len(data) // 2],
        lambda data: random.Random(3).randbytes(len(data)),
        lambda data: b"PAR1" + random.Random(4).randbytes(1000) + data[-8:],
    ],
    ids=["bytes flipped in the middle", "truncated", "garbage", "garbage with parquet's marks"],
)
def test_load_rebuilds_a_damaged_cache_and_says_why(folder, reference, caplog, tmp_path, damage):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    path = home / cache_path(folder, MANIFEST).name
    path.write_bytes(damage(cache_path(folder, MANIFEST).read_bytes()))
    assert read_cache(path) is None
    with caplog.at_level(logging.WARNING, logger="paygap_utils"):
        table = paygap_utils.load(data_home=home, progressbar=False)
    assert f"The cached table {path} cannot be used" in caplog.text
    assert "Rebuilding it" in caplog.text
    assert table.equals(reference)
    assert same(read_cache(path), reference)
    assert sorted(p.name for p in home.iterdir() if p.suffix == ".parquet") == [path.name]


def test_a_parquet_of_another_schema_at_the_cache_path_is_not_served(damaged):
    pq.write_table(pa.table({"year": [2017], "employer": ["A LTD"]}), damaged)
    assert read_cache(damaged) is None


def test_a_footer_other_than_the_named_one_is_not_served(damaged, reference):
    # A valid parquet file with other attrs: its footer is not the one the name holds.
    rewritten = rewrite_attrs(damaged, lambda attrs: attrs["rows"].update({"2021": 1}))
    assert read_cache(rewritten)["year"].size == len(reference)  # named for its own footer
    damaged.write_bytes(rewritten.read_bytes())
    assert read_cache(damaged) is None


# Only its own files


def test_only_this_environments_older_caches_are_removed(damaged, reference):
    folder = damaged.parent
    prefix = damaged.name.rsplit("-", 2)[0]  # paygap-clean-pandas<N>
    older = folder / f"{prefix}-0000000000000001-0000000000000001.parquet"
    shutil.copy(damaged, older)
    other_env = folder / damaged.name.replace(prefix, "paygap-clean-pandas9")
    shutil.copy(damaged, other_env)
    foreign = folder / f"{prefix}-0000000000000004.parquet"
    pq.write_table(pa.table({"x": [1]}), foreign)
    not_a_cache = folder / f"{prefix}-notes.parquet"
    not_a_cache.write_text("my notes")
    damaged.unlink()
    written = write_cache(to_parquet(reference), folder, MANIFEST)
    assert written.name.rsplit("-", 1)[0] == damaged.name.rsplit("-", 1)[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [written.name, other_env.name, foreign.name, not_a_cache.name]
    )
    assert same(read_cache(written, None, ["year", "sic_codes"]), reference[["year", "sic_codes"]])
    assert not_a_cache.read_text() == "my notes"


def test_a_warm_load_writes_nothing(folder, reference, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    shutil.copy(cache_path(folder, MANIFEST), home / cache_path(folder, MANIFEST).name)
    before = {p.name: p.stat().st_mtime_ns for p in home.iterdir()}
    table = paygap_utils.load(data_home=home, progressbar=False)
    assert table.equals(reference)
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir()} == before


def test_a_read_only_folder_with_a_damaged_cache_is_served_from_memory(
    folder, reference, tmp_path, monkeypatch, caplog
):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    path = home / cache_path(folder, MANIFEST).name
    path.write_bytes(b"damaged")
    before = {p.name: p.stat().st_mtime_ns for p in home.iterdir()}
    real_access = os.access
    # As root the mode bits are ignored, so the folder is made to look read-only.
    monkeypatch.setattr(
        loader.os,
        "access",
        lambda p, mode: False if Path(p) == home and mode & os.W_OK else real_access(p, mode),
    )
    with caplog.at_level(logging.WARNING, logger="paygap_utils"):
        some = paygap_utils.load(
            [2019, 2020], columns=["year", "sic_codes", "post_code"], data_home=home
        )
    expected = reference.loc[
        reference["year"].isin([2019, 2020]), ["year", "sic_codes", "post_code"]
    ]
    assert some.equals(expected.reset_index(drop=True))
    assert "is read-only" in caplog.text and "PAYGAP_DATA_DIR" in caplog.text
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir()} == before


def test_the_bytes_a_cold_load_reads_back_are_the_tables(reference):
    # A cold load (and a read-only folder's) serves the bytes it writes, read like the file.
    assert same(from_parquet(to_parquet(reference)), reference)


def test_a_column_of_only_missing_values_is_text(damaged, reference):
    # As a load of 2017-18 or 2018-19 alone has it: those years publish no postcodes.
    empty = pd.Series([None] * len(reference), dtype=object)
    data = to_parquet(reference.assign(company_link_to_gpg_info=empty, post_code=empty))
    table = read_cache(write_cache(data, damaged.parent, MANIFEST))
    assert table is not None
    for column in ("company_link_to_gpg_info", "post_code"):
        assert table[column].isna().all()
        assert table[column].dtype == reference[column].dtype


def test_lists_of_one_length_come_back_as_lists(damaged, reference):
    # Every row's SIC codes the same length: numpy must not read them as a 2-D array.
    part = reference[reference["year"] == 2021].head(50).reset_index(drop=True)
    codes = pd.Series([["85200", str(85300 + i % 3)] for i in range(len(part))])
    table = read_cache(
        write_cache(to_parquet(part.assign(sic_codes=codes)), damaged.parent, MANIFEST)
    )
    assert table is not None
    assert table["sic_codes"].tolist() == codes.tolist()
    assert table["sic_codes"].dtype == pd.ArrowDtype(pa.list_(pa.string()))
