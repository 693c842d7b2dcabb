"""The two command lines: python -m paygap_utils and python -m paygap_utils.organisers."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from paygap_utils.cli import main
from paygap_utils.data.clean import read_raw
from paygap_utils.data.manifest import read_manifest
from paygap_utils.organisers.cli import main as organisers
from tests.paths import REPO_ROOT, need_shared
from tests.servers import FileServer

pytestmark = pytest.mark.data

MANIFEST = read_manifest()
SMALLEST = min(MANIFEST.files, key=lambda f: f.size)


@pytest.fixture
def cold(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(folder))
    return folder


def test_fetch_some_years_then_list(mirror, cold, capsys):
    assert main(["fetch", "-q", "2019-20"]) == 0
    out = capsys.readouterr().out
    assert f"2019-20  ok  {cold / SMALLEST.file_name}" in out
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "2019-20    2.9   7,041  2024-03-12               1,438  27-columns-ymd         yes" in (
        listing
    )
    assert "2017-18    3.9  10,534  2018-11-21                 231  25-columns-dmy         no" in (
        listing
    )
    assert "2022-23    4.2  10,622  2023-05-22                  48  27-columns-ymd" in listing
    assert "2023-24  missing: No complete public copy of 2023-24" in listing


def test_fetch_everything_builds_the_cleaned_table(mirror, cold, capsys):
    assert main(["fetch", "-q"]) == 0
    assert "Cleaned table cached: 71,178 rows for 7 years." in capsys.readouterr().out
    assert len(list(cold.glob("paygap-clean-*.parquet"))) == 1


def test_verify_exits_non_zero_on_a_mismatch(mirror, cold, capsys):
    assert main(["fetch", "-q", "2019"]) == 0
    assert main(["verify", "2019"]) == 0
    path = cold / SMALLEST.file_name
    path.write_bytes(path.read_bytes() + b"\n")
    capsys.readouterr()
    assert main(["verify", "2019"]) == 1
    captured = capsys.readouterr()
    assert "2019-20  damaged" in captured.out and "not the pinned copy" in captured.out
    assert "1 of 1 file(s) failed" in captured.err
    assert main(["verify"]) == 1  # the other years are missing


def test_doctor_reports_each_file_and_the_network(mirror, cold, capsys):
    main(["fetch", "-q", "2019"])
    capsys.readouterr()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"data folder   {cold} ($PAYGAP_DATA_DIR)" in out
    assert f"mirror        {mirror.url}" in out
    assert "reachable (HTTP 200)" in out
    assert "2019-20  ok, checksum verified" in out and "2017-18  not downloaded" in out
    assert "pandas" in out and "memory" in out and "free space" in out


def test_doctor_offline_says_the_mirror_is_down(monkeypatch, cold, capsys):
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://127.0.0.1:9/")
    assert main(["doctor"]) == 0
    assert "NOT reachable (there is no connection to the server)" in capsys.readouterr().out


def test_beginner_mistakes_get_one_line_not_a_traceback():
    out = subprocess.run(
        [sys.executable, "-m", "paygap_utils", "fetch", "2031"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error: There is no data for the reporting year 2031-32.")
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["fetch", "2017.5"], "error: '2017.5' is not a reporting year."),
        (["verify", "twenty"], "error: 'twenty' is not a reporting year."),
    ],
)
def test_year_mistakes_exit_2_with_the_years_there_are(argv, start, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(start) and "Available years: 2017-18, " in err
    assert len(err.splitlines()) == 1


def test_a_bug_is_not_dressed_up_as_a_users_mistake(monkeypatch):
    # A ValueError from deep inside pandas is a bug to report: it keeps its traceback.
    def broken(*args, **kwargs):
        raise ValueError("a bug inside pandas")

    monkeypatch.setattr("paygap_utils.data.fetch.fetch", broken)
    with pytest.raises(ValueError, match="a bug inside pandas"):
        main(["fetch", "-q", "2019"])


def test_a_bad_setting_exits_2_naming_the_variable(monkeypatch, cold, capsys):
    monkeypatch.setenv("PAYGAP_DATA_URL", "the venue laptop")
    assert main(["fetch", "-q", "2019"]) == 2
    assert capsys.readouterr().err.startswith("error: $PAYGAP_DATA_URL is 'the venue laptop'")


def test_export_writes_a_database_for_sql_users(mirror, tmp_path, capsys):
    path = tmp_path / "paygap.sqlite"
    assert main(["export", "-q", str(path)]) == 0
    with sqlite3.connect(path) as con:
        rows = dict(con.execute("SELECT year, COUNT(*) FROM paygap GROUP BY year").fetchall())
        codes = con.execute(
            "SELECT sic_codes FROM paygap WHERE sic_codes LIKE '%,%' LIMIT 1"
        ).fetchone()[0]
    assert rows[2022] == 10622 and rows[2019] == 7040
    assert all(len(code) == 5 for code in codes.split(","))


def test_the_sqlite_command_is_gone_and_organisers_commands_moved(capsys):
    for command in (["sqlite", "x.sqlite"], ["refresh", "--dest", "x"], ["gallery", "--out", "x"]):
        with pytest.raises(SystemExit):
            main(command)
        assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        organisers(["--help"])
    assert "refresh" in capsys.readouterr().out


def served_copy(tmp_path: Path) -> tuple[Path, Path]:
    """``../shared/data/ukgpg`` and a copy of its files (no snapshots) to serve and change."""
    mirror = need_shared()
    served = tmp_path / "served"
    shutil.copytree(mirror, served, ignore=shutil.ignore_patterns("snapshots"))
    return mirror, served


def test_refresh_repins_a_changed_file(tmp_path, capsys):
    _, served = served_copy(tmp_path)
    changed = served / SMALLEST.file_name
    # The service regenerated the file without one employer.
    read_raw(changed).iloc[1:].to_csv(
        changed, index=False, quoting=csv.QUOTE_ALL, lineterminator="\n"
    )
    output = tmp_path / "data_manifest.json"
    with FileServer(served) as server:
        status = organisers(
            [
                "refresh",
                "-q",
                "--dest",
                str(tmp_path / "files"),
                "--from-url",
                server.url,
                "--publish-url",
                "https://data.example.org/paygap/",
                "--output",
                str(output),
            ]
        )
    assert status == 0
    old, new = read_manifest(), read_manifest(output)
    for before, after in zip(old.files, new.files, strict=True):
        if before.year != SMALLEST.year:
            assert after == before
    after = new.file(SMALLEST.year)
    assert after.rows == SMALLEST.rows - 1
    assert after.sha256 != SMALLEST.sha256 and after.size < SMALLEST.size
    assert after.url == "https://data.example.org/paygap/" + quote(SMALLEST.file_name)
    assert (tmp_path / "files" / SMALLEST.file_name).read_bytes() == changed.read_bytes()
    out = capsys.readouterr().out
    assert "2019-20: changed, 7041 -> 7040 rows" in out
    # The mirror has no 2023-24: it stays missing, and nothing else fails.
    assert "2023-24: still missing" in out
    assert list(new.gaps) == [2023]
    assert (
        json.loads(output.read_text())["licence"]
        == json.loads((REPO_ROOT / "data_manifest.json").read_text())["licence"]
    )


def test_refresh_from_an_unreachable_source_fails_cleanly(tmp_path, capsys):
    status = organisers(
        [
            "refresh",
            "-q",
            "--dest",
            str(tmp_path / "files"),
            "--from-url",
            "http://127.0.0.1:9/",
            "--output",
            str(tmp_path / "m.json"),
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "Could not download" in err and "http://127.0.0.1:9/" in err
    assert not (tmp_path / "m.json").exists()
    assert not list((tmp_path / "files").glob("*"))


def test_refresh_fills_a_missing_year_when_it_can_be_downloaded(tmp_path, capsys):
    mirror, served = served_copy(tmp_path)
    name = "UK Gender Pay Gap Data - 2023 to 2024.csv"
    # Stands in for the service's current 2023-24 file: an early copy of it.
    shutil.copy(
        mirror / "snapshots" / f"{name[:-4]}__asof-2024-03-04__alifensome.csv",
        served / name,
    )
    output = tmp_path / "data_manifest.json"
    with FileServer(served) as server:
        args = ["refresh", "-q", "--dest", str(tmp_path / "files"), "--from-url", server.url]
        assert (
            organisers(
                [*args, "--publish-url", "https://data.example.org/p/", "--output", str(output)]
            )
            == 0
        )
    assert "2023-24: added, 2351 rows, as of 2024-03-04" in capsys.readouterr().out
    new = read_manifest(output)
    assert [f.year for f in new.files] == [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]
    assert new.gaps == {} and json.loads(output.read_text())["missing"] == []
    added = new.file(2023)
    assert added.rows == 2351 and added.layout == "27-columns-ymd"
    assert added.url == "https://data.example.org/p/" + quote(name)
    assert added.source_url == new.source_url_template.format(year=2023)


def test_the_readme_lists_every_command_of_both_command_lines():
    from paygap_utils.cli import build_parser
    from paygap_utils.organisers.cli import build_parser as organisers_parser

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    attendees, organisers_part = readme.split("Organisers have their own", 1)
    for text, parser in ((attendees, build_parser()), (organisers_part, organisers_parser())):
        table = text[text.index("| command | does |") :].split("\n\n", 1)[0]
        listed = re.findall(r"^\| `([a-z-]+)` \|", table, flags=re.MULTILINE)
        assert listed == list(parser._subparsers._group_actions[0].choices)


def test_export_and_print_path_exclude_each_other_and_datasette_says_a_missing_file(
    tmp_path, capsys
):
    with pytest.raises(SystemExit):
        main(["export", "--print-path", str(tmp_path / "x.csv")])
    assert "not allowed with argument" in capsys.readouterr().err
    missing = tmp_path / "paygap.sqlite"
    assert main(["datasette", "--database", str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"error: There is no database at {missing}.")
