"""The cleaned-table cache: it proves itself, rebuilds on any damage, and owns only its files."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import paygap_utils
from paygap_utils.data import cache, loader
from paygap_utils.data.cache import cache_path, read_cache, write_cache
from paygap_utils.data.datafolder import PRIVATE_DIR
from paygap_utils.data.manifest import read_manifest
from paygap_utils.data.schema import COLUMNS, DERIVED_COLUMNS

pytestmark = pytest.mark.data

MANIFEST = read_manifest()
TAIL = struct.Struct("<IQ8s")


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


def trailer_of(path: Path) -> dict:
    data = path.read_bytes()
    crc, length, magic = TAIL.unpack(data[-TAIL.size :])
    return json.loads(data[-TAIL.size - length : -TAIL.size])


def rewrite_trailer(path: Path, change) -> None:
    """Rewrite the trailer as a cache of another kind would have it, its checksum made valid."""
    data = path.read_bytes()
    trailer = trailer_of(path)
    change(trailer)
    text = json.dumps(trailer, sort_keys=True).encode()
    body = data[: trailer["ipc_length"]]
    path.write_bytes(body + text + TAIL.pack(zlib.crc32(text), len(text), b"PAYGAPC1"))


def same(table: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """Same columns, dtypes and values (assert_frame_equal takes seconds on this table)."""
    return (
        table.columns.tolist() == expected.columns.tolist()
        and table.dtypes.tolist() == expected.dtypes.tolist()
        and table.index.equals(expected.index)
        and table.equals(expected)
    )


def flip(path: Path, offset: int, bit: int) -> None:
    with open(path, "r+b") as file:
        file.seek(offset)
        byte = file.read(1)[0]
        file.seek(offset)
        file.write(bytes([byte ^ (1 << bit)]))


# What the cache gives back


def test_text_is_arrow_backed_with_missing_as_nan(reference):
    for column in (c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "text"):
        dtype = reference[column].dtype
        assert isinstance(dtype, pd.StringDtype), (column, dtype)
        assert dtype.storage in ("pyarrow", "pyarrow_numpy"), (column, dtype)
        assert dtype.na_value is np.nan, (column, dtype)
    for column in (c.name for c in COLUMNS + DERIVED_COLUMNS if c.kind == "category"):
        categories = reference[column].cat.categories
        assert isinstance(categories.dtype, pd.StringDtype), (column, categories.dtype)
    assert reference["post_code"].isna().any()
    # comparisons give plain booleans, missing values compare False, in both pandas
    assert (reference["post_code"] == "SW1A 2AA").dtype == bool


def test_columns_are_read_alone_in_the_order_asked(folder, reference):
    wanted = ["sector", "year", "diff_median_hourly_percent", "sic_codes", "employer_name"]
    some = paygap_utils.load(columns=wanted, data_home=folder, progressbar=False)
    assert some.columns.tolist() == wanted
    assert same(some, reference[wanted])
    two_years = paygap_utils.load(
        ["2019-20", 2021], columns=["year", "region"], data_home=folder, progressbar=False
    )
    expected = reference.loc[reference["year"].isin([2019, 2021]), ["year", "region"]]
    assert same(two_years, expected.reset_index(drop=True))
    assert [f["year"] for f in two_years.attrs["files"]] == ["2019-20", "2021-22"]


def test_each_column_and_each_year_read_alone_is_the_tables(folder, reference):
    # A partial read makes its arrays from the buffers it reads itself, column by column.
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


def test_bit_flips_anywhere_are_never_served(damaged, reference):
    size = damaged.stat().st_size
    trailer = trailer_of(damaged)
    rng = random.Random(12)
    offsets = {rng.randrange(size) for _ in range(150)}
    # every metadata range (schema, message headers, footer), the trailer and its tail
    offsets |= {start + (end - start) // 2 for start, end in trailer["rest"]}
    offsets |= {start for start, _ in trailer["rest"]}
    offsets |= {trailer["ipc_length"] + 5, size - TAIL.size - 3}
    offsets |= set(range(size - TAIL.size, size, 3))
    served = 0
    for offset in sorted(offsets):
        bit = rng.randrange(8)
        flip(damaged, offset, bit)
        try:
            table = read_cache(damaged)
        finally:
            flip(damaged, offset, bit)
        if table is not None:
            served += 1
    assert len(offsets) > 180
    # A read of the whole table checks every byte of the file, the padding between buffers too.
    assert served == 0
    assert same(read_cache(damaged), reference)


def column_buffers(
    path: Path, trailer: dict, years: list[int] | None, columns: list[str]
) -> list[tuple[int, int]]:
    """(start, end) in the file of every data buffer of ``columns`` in ``years`` (None: all)."""
    spans = []
    with pa.memory_map(str(path)) as mapped:
        whole = mapped.read_buffer(trailer["ipc_length"])
        reader = pa.ipc.open_file(whole)
        for i, year in enumerate(trailer["years"]):
            if years is not None and year not in years:
                continue
            batch = reader.get_batch(i)
            for name in columns:
                array = batch.column(name)
                if pa.types.is_dictionary(array.type):
                    array = array.indices
                for buffer in array.buffers():
                    if buffer is not None and buffer.size:
                        start = buffer.address - whole.address
                        spans.append((start, start + buffer.size))
    return spans


@pytest.mark.parametrize(
    "years, columns",
    [(None, ["year", "sector", "diff_median_hourly_percent"]), ([2019, 2021], None)],
    ids=["three columns", "two years"],
)
def test_a_read_of_part_of_the_table_checks_what_it_reads(damaged, reference, years, columns):
    expected = reference
    if years is not None:
        expected = expected[expected["year"].isin(years)].reset_index(drop=True)
    if columns is not None:
        expected = expected[columns]
    trailer = trailer_of(damaged)
    wanted = columns or trailer["columns"]
    data = damaged.read_bytes()
    rng = random.Random(7)
    # A flip in the data of a column and year that is read is caught...
    spans = column_buffers(damaged, trailer, years, wanted)
    caught = 0
    for start, end in rng.sample(spans, 25):
        offset = next((o for o in range(start, end) if data[o]), None)
        if offset is None:
            continue
        flip(damaged, offset, 3)
        try:
            table = read_cache(damaged, years, columns)
        finally:
            flip(damaged, offset, 3)
        assert table is None, offset
        caught += 1
    assert caught >= 10
    # ...and wherever a flip lands, what is served is the table, or nothing.
    for offset in {rng.randrange(len(data)) for _ in range(60)} | {s for s, _ in trailer["rest"]}:
        flip(damaged, offset, 5)
        try:
            table = read_cache(damaged, years, columns)
        finally:
            flip(damaged, offset, 5)
        assert table is None or same(table, expected), offset


def test_a_flipped_value_is_caught_where_the_issue_found_it(damaged, reference, caplog):
    # The float that became 70.284375 and the company number that lost a digit: flip a bit
    # inside the data of each column of one year and check that each is noticed.
    trailer = trailer_of(damaged)
    data = damaged.read_bytes()
    rest = trailer["rest"]
    bodies = [(a[1], b[0]) for a, b in zip(rest, rest[1:], strict=False)]
    caught = 0
    for start, end in bodies:
        for offset in np.linspace(start, end - 1, 7).astype(int):
            if data[offset] == 0:
                continue  # likely padding
            flip(damaged, int(offset), 0)
            try:
                with caplog.at_level(logging.WARNING, logger="paygap_utils"):
                    assert read_cache(damaged) is None
            finally:
                flip(damaged, int(offset), 0)
            caught += 1
    assert caught > 20
    assert "fails its checksum" in caplog.text


@pytest.mark.parametrize("keep", [0, 7, 0.5, -1, -21, "ipc"])
def test_a_truncated_cache_is_not_served(damaged, keep):
    data = damaged.read_bytes()
    if keep == "ipc":
        length = trailer_of(damaged)["ipc_length"]
    elif isinstance(keep, float):
        length = int(len(data) * keep)
    else:
        length = keep % len(data) if keep < 0 else keep
    damaged.write_bytes(data[:length])
    assert read_cache(damaged) is None


def test_load_rebuilds_a_damaged_cache_and_says_why(folder, reference, caplog, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    path = cache_path(home, MANIFEST)
    shutil.copy(cache_path(folder, MANIFEST), path)
    size = path.stat().st_size
    flip(path, size // 3, 4)
    with caplog.at_level(logging.WARNING, logger="paygap_utils"):
        table = paygap_utils.load(data_home=home, progressbar=False)
    assert f"The cached table {path} cannot be used" in caplog.text
    assert "Rebuilding it" in caplog.text
    assert same(table.drop(columns=[]), reference)
    assert same(read_cache(path), reference)
    assert not list(home.glob(".*.partial"))


def test_a_parquet_of_another_schema_at_the_cache_path_is_not_served(damaged):
    pq.write_table(pa.table({"year": [2017], "employer": ["A LTD"]}), damaged)
    assert read_cache(damaged) is None
    # a readable Arrow file too, without the trailer that proves it
    with pa.ipc.new_file(damaged, pa.schema([("year", pa.int64())])) as writer:
        writer.write_table(pa.table({"year": [2017]}))
    assert read_cache(damaged) is None


def test_a_cache_of_other_columns_is_not_served(damaged, reference):
    write_cache(reference.drop(columns=["responsible_person"]), damaged)
    assert read_cache(damaged) is None
    renamed = reference.rename(columns={"employer_name": "name"})
    write_cache(renamed, damaged)
    assert read_cache(damaged) is None
    retyped = reference.assign(diff_median_hourly_percent=reference["employer_name"])
    write_cache(retyped, damaged)
    assert read_cache(damaged) is None


def test_another_layout_or_environment_under_the_same_name_is_not_served(damaged):
    rewrite_trailer(damaged, lambda t: t.update(format=cache._FORMAT - 1))
    assert read_cache(damaged) is None
    rewrite_trailer(damaged, lambda t: t.update(format=cache._FORMAT, environment={"pandas": "9"}))
    assert read_cache(damaged) is None
    rewrite_trailer(damaged, lambda t: t.update(environment=cache._environment(), key="0" * 16))
    assert read_cache(damaged) is None


# Only its own files


def test_only_this_environments_older_caches_are_removed(damaged, reference):
    folder = damaged.parent
    older = folder / "paygap-clean-0000000000000001.cache"
    shutil.copy(damaged, older)
    rewrite_trailer(older, lambda t: t.update(key="0000000000000001"))
    other_env = folder / "paygap-clean-0000000000000002.cache"
    shutil.copy(damaged, other_env)
    rewrite_trailer(
        other_env, lambda t: t.update(key="0000000000000002", environment={"pandas": "9"})
    )
    older_format = folder / "paygap-clean-0000000000000005.cache"
    shutil.copy(damaged, older_format)
    rewrite_trailer(
        older_format, lambda t: t.update(key="0000000000000005", format=cache._FORMAT - 1)
    )
    old_layout = folder / "paygap-clean-0000000000000003.parquet"
    pq.write_table(pa.table({"x": [1]}, metadata={b"paygap_utils.attrs": b"{}"}), old_layout)
    foreign = folder / "paygap-clean-0000000000000004.parquet"
    pq.write_table(pa.table({"x": [1]}), foreign)
    not_a_cache = folder / "paygap-clean-notes.cache"
    not_a_cache.write_text("my notes")
    damaged.unlink()
    write_cache(reference, damaged)
    assert sorted(p.name for p in folder.iterdir() if p.name != PRIVATE_DIR) == sorted(
        [damaged.name, other_env.name, foreign.name, not_a_cache.name]
    )
    assert not_a_cache.read_text() == "my notes"


def test_a_warm_load_writes_nothing(folder, reference, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    shutil.copy(cache_path(folder, MANIFEST), cache_path(home, MANIFEST))
    before = {p.name: p.stat().st_mtime_ns for p in home.iterdir()}
    table = paygap_utils.load(data_home=home, progressbar=False)
    assert same(table, reference)
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir()} == before


def test_a_read_only_folder_with_a_damaged_cache_is_served_from_memory(
    folder, reference, tmp_path, monkeypatch, caplog
):
    home = tmp_path / "home"
    home.mkdir()
    for entry in MANIFEST.files:
        os.link(folder / entry.file_name, home / entry.file_name)
    path = cache_path(home, MANIFEST)
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
    assert same(some, expected.reset_index(drop=True))
    assert "is read-only" in caplog.text and "PAYGAP_DATA_DIR" in caplog.text
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir()} == before


def test_as_cached_is_what_a_cache_gives_back(reference):
    # The in-memory path for read-only folders returns the same table as a warm load.
    assert same(cache.as_cached(reference), reference)


def test_a_column_of_only_missing_values_keeps_the_type_of_its_kind(damaged, reference):
    empty = pd.Series([None] * len(reference), dtype=object)
    write_cache(reference.assign(company_link_to_gpg_info=empty, due_date=empty), damaged)
    table = read_cache(damaged)
    assert table is not None
    assert table["company_link_to_gpg_info"].isna().all()
    assert table["company_link_to_gpg_info"].dtype == reference["company_link_to_gpg_info"].dtype
    assert table["due_date"].isna().all()


def test_lists_of_one_length_come_back_as_lists(damaged, reference):
    # Every row's SIC codes the same length: numpy must not read them as a 2-D array.
    part = reference[reference["year"] == 2021].head(50).reset_index(drop=True)
    codes = pd.Series([["85200", str(85300 + i % 3)] for i in range(len(part))])
    write_cache(part.assign(sic_codes=codes), damaged)
    table = read_cache(damaged)
    assert table is not None
    assert table["sic_codes"].tolist() == codes.tolist()
    assert table["sic_codes"][0] is not table["sic_codes"][1]
