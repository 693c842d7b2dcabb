"""organisers.export: CSV, parquet and SQLite from the one cleaned table, written safely.

Every export is written beside its target and renamed into place; a failure leaves the old
file or nothing; a file at a path of the user's is never replaced without ``force``; the
default export, in the library's own folder, is rewritten when it is out of date. The SQLite
database's rows and full-text index are checked against the Python library's own answers on
the real data (what Datasette makes of them: tests/test_datasette.py).
"""

from __future__ import annotations

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
from paygap_utils.data.manifest import read_manifest
from paygap_utils.organisers import export
from paygap_utils.organisers.export import (
    ExportError,
    columns_path,
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
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".paygap-partial"))


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
    about = json.loads(path.with_name("paygap.provenance.json").read_text())
    assert about["attribution"] == read_manifest().licence["attribution"]
    assert about["licence"] == table.attrs["licence"]


def test_parquet_round_trip_keeps_lists_categories_and_provenance(table, tmp_path):
    back = pd.read_parquet(to_parquet(table, tmp_path / "paygap.parquet"))
    assert len(back) == len(table)
    assert back.attrs["attribution"] == table.attrs["attribution"]
    assert [c["name"] for c in back.attrs["columns"]] == list(table.columns)
    assert back["sectors"].map(list).tolist() == table["sectors"].tolist()
    assert back["employer_size"].astype(str).equals(table["employer_size"].astype(str))


# --- writing safely ----------------------------------------------------------------------------


def test_a_file_that_is_there_is_left_alone_unless_forced(table, tmp_path):
    for name in ("notes.csv", "mine.parquet", "other.sqlite"):
        path = tmp_path / name
        path.write_text("my own work\n")
        with pytest.raises(ExportError, match="already exists and was not written.*--force"):
            export.export(table.head(3), path)
        assert path.read_text() == "my own work\n"
    # Its own earlier export too: the user may have edited it since.
    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    with pytest.raises(ExportError, match="paygap.csv already exists.*force=True"):
        to_csv(table.head(5), path)
    to_csv(table.head(5), path, force=True)
    assert len(pd.read_csv(path)) == 5
    database = to_sqlite(table.head(3), tmp_path / "paygap.sqlite")
    to_sqlite(table.head(4), database, force=True)
    assert query(database, "SELECT COUNT(*) AS n FROM paygap")["n"].item() == 4
    assert leftovers(tmp_path) == []


def test_a_link_at_the_target_is_never_written_through(table, tmp_path):
    precious = tmp_path / "thesis.txt"
    precious.write_text("three years of work")
    (tmp_path / "paygap.csv").symlink_to(precious)
    with pytest.raises(ExportError, match="symbolic link"):
        to_csv(table.head(3), tmp_path / "paygap.csv")
    with pytest.raises(ExportError, match="symbolic link"):
        to_csv(table.head(3), tmp_path / "paygap.csv", force=True)
    assert precious.read_text() == "three years of work"


def test_a_failed_write_leaves_the_old_files_and_no_partial(table, tmp_path, monkeypatch):
    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    database = to_sqlite(table.head(3), tmp_path / "paygap.sqlite")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(ExportError, match="No space left on device.*Nothing was changed"):
        to_csv(table, path, force=True)
    monkeypatch.setattr(pd.DataFrame, "to_sql", disk_full)
    with pytest.raises(ExportError, match="No space left on device"):
        to_sqlite(table, database, force=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_killed_export_never_shows_half_a_file(table, tmp_path, monkeypatch):
    """The target only ever changes by a rename of a complete file."""
    from paygap_utils import _files

    path = to_csv(table.head(3), tmp_path / "paygap.csv")
    renames = []
    real_replace = os.replace

    def watched(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", watched)
    to_csv(table, path, force=True)
    assert any(
        src.startswith(f".{path.name}.") and src.endswith(".paygap-partial") and dst == path.name
        for src, dst in renames
    ), renames
    assert len(pd.read_csv(path, low_memory=False)) == len(table)


def test_the_format_and_the_suffix_must_agree(table, tmp_path):
    with pytest.raises(ExportError, match=r"ends in \.sqlite but the format asked for is csv"):
        export.export(table.head(1), tmp_path / "paygap.sqlite", "csv")
    assert list(tmp_path.iterdir()) == []


def test_a_new_folder_is_made_and_a_read_only_one_is_said(table, tmp_path, monkeypatch):
    from paygap_utils import _files

    assert to_csv(table.head(1), tmp_path / "new" / "paygap.csv").is_file()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root writes anywhere: fail as a user's write would

        def refused(**kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(_files.tempfile, "mkstemp", refused)
    try:
        with pytest.raises(ExportError, match="Permission denied.*a folder you can write to"):
            to_sqlite(table.head(1), locked / "paygap.sqlite")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_the_command_line_gives_one_message_and_exit_2(tmp_path):
    other = tmp_path / "theirs.sqlite"
    other.write_text("not a database\n")
    for args in (
        ["export", "-q", str(other)],
        ["export", "-q", "--format", "csv", str(other)],
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


def test_the_default_export_is_written_once_and_found(mirror, tmp_path, monkeypatch):
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


def test_the_default_export_is_rewritten_when_out_of_date(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(tmp_path / "data"))
    path = export.ensure_export("csv")
    written = path.read_bytes()
    # Up to date in a folder that cannot be written (a hub's data): found, nothing written.
    with monkeypatch.context() as readonly:
        readonly.setattr(export, "write_file", lambda *a, **k: pytest.fail("wrote a file"))
        assert export.ensure_export("csv") == path
    # Made by an older library, or missing its column list: written again.
    record = path.parent / "export.json"
    record.write_text(json.dumps({"csv": "an older library"}))
    path.write_bytes(b"edited\n")
    assert export.ensure_export("csv") == path and path.read_bytes() == written
    columns_path(path).unlink()
    assert export.ensure_export("csv") == path and columns_path(path).is_file()
    assert json.loads(record.read_text())["csv"] != "an older library"


# --- SQLite ------------------------------------------------------------------------------------


def test_sqlite_has_every_row_its_provenance_and_its_column_list(database, table):
    counts = query(database, "SELECT year, COUNT(*) AS n FROM paygap GROUP BY year")
    assert (
        dict(zip(counts["year"], counts["n"], strict=True))
        == table.groupby("year").size().to_dict()
    )
    info = query(database, "SELECT value FROM paygap_export_info WHERE key = 'attrs'")
    assert json.loads(info["value"].item())["attribution"] == table.attrs["attribution"]
    listing = query(database, "SELECT * FROM paygap_columns")
    expected = export.column_list(table.drop(columns="responsible_person"))
    pd.testing.assert_frame_equal(listing, expected)


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
