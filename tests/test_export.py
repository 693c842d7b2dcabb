"""organisers.export: CSV, parquet and SQLite from the one cleaned table, written safely.

Every export is written beside its target and renamed into place; a failure leaves the old
file or nothing, and a file the library did not write is never replaced without ``force``.
The SQLite database's rows and full-text index are checked against the Python library's own
answers on the real data (what Datasette makes of them: tests/test_datasette.py).
"""

from __future__ import annotations

import csv
import errno
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

import paygap_utils
from paygap_utils.data.datafolder import PRIVATE_DIR
from paygap_utils.data.manifest import read_manifest
from paygap_utils.organisers import export
from paygap_utils.organisers.export import (
    ExportError,
    columns_path,
    provenance_path,
    to_csv,
    to_parquet,
    to_sqlite,
)
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return paygap_utils.load(progressbar=False)


@pytest.fixture(scope="module")
def database(table, tmp_path_factory) -> Path:
    return to_sqlite(table, tmp_path_factory.mktemp("db") / "paygap.sqlite")


def query(path: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    with closing(sqlite3.connect(path)) as connection:
        return pd.read_sql(sql, connection, params=params)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".partial"))


# --- CSV: the file R reads --------------------------------------------------------------------


def test_csv_keeps_types_recoverable(table, tmp_path):
    path = to_csv(table, tmp_path / "paygap.csv")
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(text) == len(table) and list(text.columns) == list(table.columns)
    # ISO dates: the date alone where every value is at midnight, else date and time.
    assert text["due_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}|").all()
    assert text["date_submitted"].str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}|").all()
    assert set(text["submitted_late"]) <= {"TRUE", "FALSE", ""}
    # Leading zeros of company numbers and SIC codes survive.
    with_zero = table["company_number"].str.startswith("0", na=False)
    assert with_zero.any()
    assert text.loc[with_zero.to_numpy(), "company_number"].str.startswith("0").all()
    assert (text["sic_codes"] == table["sic_codes"].map(",".join)).all()
    # Missing is an empty field, nothing else.
    assert (text["employer_id"] == "").sum() == table["employer_id"].isna().sum()


def test_csv_reads_back_to_the_same_numbers(table, tmp_path):
    path = to_csv(table, tmp_path / "paygap.csv")
    back = pd.read_csv(path, parse_dates=["due_date", "date_submitted"], low_memory=False)
    pd.testing.assert_series_equal(
        back["diff_median_hourly_percent"], table["diff_median_hourly_percent"]
    )
    submitted = back["date_submitted"].astype(table["date_submitted"].dtype)
    assert submitted.equals(table["date_submitted"])
    assert back.groupby("year").size().equals(table.groupby("year").size())


def test_the_column_list_comes_from_columns(table, tmp_path):
    path = to_csv(table, tmp_path / "paygap.csv")
    listing = pd.read_csv(columns_path(path), keep_default_na=False)
    described = paygap_utils.columns().set_index("name")
    assert list(listing["name"]) == list(table.columns)
    for row in listing.itertuples():
        assert row.kind == described.loc[row.name, "kind"]
        assert row.description == described.loc[row.name, "description"]


def test_the_provenance_travels_with_the_csv(table, tmp_path):
    path = to_csv(table, tmp_path / "paygap.csv")
    about = json.loads(provenance_path(path).read_text())
    assert about["attribution"] == read_manifest().licence["attribution"]
    assert about["licence"] == table.attrs["licence"]


def test_parquet_round_trip_keeps_lists_and_categories(table, tmp_path):
    back = pd.read_parquet(to_parquet(table, tmp_path / "paygap.parquet"))
    assert len(back) == len(table)
    assert back["sectors"].map(list).equals(table["sectors"])
    assert back["employer_size"].astype(str).equals(table["employer_size"].astype(str))


# --- writing safely ----------------------------------------------------------------------------


def test_a_file_it_did_not_write_is_left_alone(table, tmp_path):
    for name in ("notes.csv", "mine.parquet", "other.sqlite"):
        path = tmp_path / name
        path.write_text("my own work\n")
        with pytest.raises(ExportError, match="was not written by paygap_utils"):
            export.export(table.head(3), path)
        assert path.read_text() == "my own work\n"
    assert leftovers(tmp_path) == []


def test_someone_elses_sqlite_database_is_left_alone(table, tmp_path):
    path = tmp_path / "theirs.sqlite"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    with pytest.raises(ExportError, match="SQLite database of someone else's"):
        to_sqlite(table.head(3), path)
    assert path.read_bytes() == before


def test_its_own_files_are_replaced_and_force_replaces_others(table, tmp_path):
    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    to_csv(table.head(5), path)
    assert len(pd.read_csv(path)) == 5
    theirs = tmp_path / "theirs.csv"
    theirs.write_text("x\n")
    to_csv(table.head(2), theirs, force=True)
    assert len(pd.read_csv(theirs)) == 2
    database = to_sqlite(table.head(3), tmp_path / "paygap.sqlite")
    to_sqlite(table.head(4), database)
    assert query(database, "SELECT COUNT(*) AS n FROM paygap")["n"].item() == 4


def test_a_failed_write_leaves_the_old_files_and_no_partial(table, tmp_path, monkeypatch):
    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    database = to_sqlite(table.head(3), tmp_path / "paygap.sqlite")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(ExportError, match="No space left on device.*Nothing was changed"):
        to_csv(table, path)
    monkeypatch.setattr(pd.DataFrame, "to_sql", disk_full)
    with pytest.raises(ExportError, match="No space left on device"):
        to_sqlite(table, database)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_killed_export_never_shows_half_a_file(table, tmp_path, monkeypatch):
    """The target only ever changes by a rename of a complete file."""
    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    renames = []
    real_replace = os.replace

    def watched(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(export.os, "replace", watched)
    to_csv(table, path)
    assert any(
        src.endswith(f"-{path.name}.partial") and dst == path.name for src, dst in renames
    ), renames
    assert len(pd.read_csv(path, low_memory=False)) == len(table)


def test_a_killed_exports_temporary_file_is_cleaned_up_by_the_next(table, tmp_path):
    # A process that dies in the middle of writing leaves its temporary file behind.
    script = (
        "import os, pathlib, sys\n"
        "from paygap_utils.data.datafolder import partial_file\n"
        "with partial_file(pathlib.Path(sys.argv[1]), 'paygap.csv') as partial:\n"
        "    partial.write_text('half a fil')\n"
        "    os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    assert len(leftovers(tmp_path)) == 1
    to_csv(table.head(2), tmp_path / "paygap.csv")
    assert leftovers(tmp_path) == []
    # The private folder goes once it is empty; only the export's own files stay.
    assert PRIVATE_DIR not in {p.name for p in tmp_path.iterdir()}


def test_the_format_and_the_suffix_must_agree(table, tmp_path):
    with pytest.raises(ExportError, match=r"ends in \.sqlite but the format asked for is csv"):
        export.export(table.head(1), tmp_path / "paygap.sqlite", "csv")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_and_read_only_folder(table, tmp_path, monkeypatch):
    with pytest.raises(ExportError, match=r"does not exist\. Create it first"):
        to_csv(table.head(1), tmp_path / "no-such-folder" / "paygap.csv")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: make the check see a read-only place
            real_access = os.access

            def access(path, mode):
                return False if Path(path) == locked else real_access(path, mode)

            monkeypatch.setattr(export.os, "access", access)
        with pytest.raises(ExportError, match="permission denied"):
            to_sqlite(table.head(1), locked / "paygap.sqlite")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_the_command_line_gives_one_message_and_exit_2(tmp_path):
    other = tmp_path / "theirs.sqlite"
    other.write_text("not a database\n")
    for args in (
        ["sqlite", "-q", str(other)],
        ["export", "-q", "--format", "csv", str(tmp_path / "missing" / "x.csv")],
        ["export", "-q", "--format", "parquet", str(tmp_path)],
    ):
        out = subprocess.run(
            [sys.executable, "-m", "paygap_utils", *args],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=300,
        )
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    assert other.read_text() == "not a database\n"


def test_the_default_export_is_written_once_and_found(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(tmp_path / "data"))
    command = [sys.executable, "-m", "paygap_utils", "export", "--format", "csv", "--print-path"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    path = Path(first.stdout.strip())
    assert path == export.export_path("csv") and path.is_file()
    stamp = path.stat().st_mtime_ns
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    assert again.stdout.strip() == str(path) and path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "export.json",
        "paygap.columns.csv",
        "paygap.csv",
        "paygap.provenance.json",
    ]


# --- SQLite ------------------------------------------------------------------------------------


def test_sqlite_has_every_row_and_the_marker(database, table):
    counts = query(database, "SELECT year, COUNT(*) AS n FROM paygap GROUP BY year")
    assert (
        dict(zip(counts["year"], counts["n"], strict=True))
        == table.groupby("year").size().to_dict()
    )
    assert export._is_ours(database, "sqlite")


def test_full_text_search_finds_current_and_past_names(database, table):
    renamed = table[table["employer_name"].str.upper() != table["current_name"].str.upper()].dropna(
        subset=["linked_employer_id"]
    )
    row = renamed.iloc[0]
    old_word = max(row["employer_name"].split(), key=len)
    found = query(
        database,
        "SELECT paygap.employer_name, paygap.current_name FROM paygap "
        "JOIN paygap_fts ON paygap_fts.rowid = paygap.rowid WHERE paygap_fts MATCH ?",
        [f'"{old_word}"'],
    )
    assert row["employer_name"] in set(found["employer_name"])


def test_csv_headers_written_by_hand_are_not_taken_for_ours(tmp_path):
    path = tmp_path / "paygap.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerow(["employer_name", "year"])
    assert not export._is_ours(path, "csv")
