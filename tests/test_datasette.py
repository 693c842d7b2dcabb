"""Datasette over the SQLite export: canned queries, the table page, the memory ceiling, a browser.

The canned queries run on the real export with Datasette's own SQL functions, for any text a
visitor can type. ``python -m paygap_utils datasette`` is started on 127.0.0.1 as a user starts
it (it writes the export first); headless Chromium opens each canned query empty and with an
apostrophe, looks at the table page's first screen, searches an employer and opens a facet,
and the numbers on the pages are checked against the Python library's. Hostile queries are
sent to the same server, whose peak memory is read from the kernel. Screenshots go to
``test-artifacts/datasette/``. jupyter-server-proxy is checked for real too: a Jupyter server
started here serves Datasette at ``<base url>datasette/`` from the package's entry point.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

import paygap_utils
from paygap_utils.data.lookups import SIC_SECTIONS
from paygap_utils.data.manifest import read_manifest
from paygap_utils.organisers.datasette import CONFIG, ICON, PROXY_PATH, jupyter_server_proxy
from paygap_utils.organisers.export import export_path, to_sqlite
from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import free_port, stop, wait_until

pytestmark = pytest.mark.data

ARTIFACTS = REPO_ROOT / "test-artifacts" / "datasette"
START_TIMEOUT_S = 180
EMPLOYER = "tesco"
METADATA = yaml.safe_load((CONFIG / "metadata.yaml").read_text(encoding="utf-8"))
QUERIES = METADATA["databases"]["paygap"]["queries"]
#: Datasette's peak resident memory, however hostile the queries; one GET took it to 2 GB before.
CEILING_MB = 300
FIRST_SCREEN = {"width": 1280, "height": 800}


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    def answers() -> bool:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200

    wait_until(answers, START_TIMEOUT_S, f"{url} to answer", process=process, log=log, interval=0.5)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return paygap_utils.load(progressbar=False)


@pytest.fixture(scope="module")
def database(table, tmp_path_factory) -> Path:
    return to_sqlite(table, tmp_path_factory.mktemp("db") / "paygap.sqlite")


def _plugin(name: str) -> ModuleType:
    """A plugin of datasette_config/plugins/, loaded from its file as Datasette loads it."""
    spec = importlib.util.spec_from_file_location(name, CONFIG / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def connection(database) -> Iterator[sqlite3.Connection]:
    """The export as Datasette opens it: read-only, with escape_fts() from plugins/limits.py."""
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as connection:
        connection.create_function("escape_fts", 1, _plugin("limits").escape_fts)
        yield connection


def run(connection: sqlite3.Connection, query: str, **params: str) -> pd.DataFrame:
    return pd.read_sql(QUERIES[query]["sql"], connection, params=params)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """``python -m paygap_utils datasette`` on a free port of 127.0.0.1, as the README says.

    Yields the URL and the server's process id (the command replaces itself with Datasette).
    """
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "datasette.log"
    command = [sys.executable, "-m", "paygap_utils", "datasette", "--quiet", "--port", str(port)]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_for(f"{url}-/versions.json", process, log)
            yield url, process.pid
        finally:
            stop(process)


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sql_url(base: str, sql: str) -> str:
    return f"{base}paygap.json?{urllib.parse.urlencode({'sql': sql})}"


def _tokens(text: str) -> list[str]:
    """Words as SQLite's unicode61 tokenizer splits them (letters and digits, case folded)."""
    return re.findall(r"[^\W_]+", str(text).casefold())


def _has_phrase(name: object, words: list[str]) -> bool:
    tokens = _tokens(name) if isinstance(name, str) else []
    return any(tokens[i : i + len(words)] == words for i in range(len(tokens)))


# --- the canned queries, on the export ------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.text())
@example(text="")
@example(text=" ")
@example(text='"')
@example(text="sainsbury's")
@example(text="a\x00b")
@example(text='marks "and spencer')
@example(text="NEAR(tesco OR -bbc*")
@example(text="2022-23")
@example(text='"\n)')
def test_no_text_a_visitor_types_gives_a_canned_query_an_error(connection, text):
    for name, query in QUERIES.items():
        parameters = re.findall(r":(\w+)", query["sql"])
        run(connection, name, **dict.fromkeys(parameters, text))


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=30))
@example(text='"')
@example(text=" ")
@example(text='""')
@example(text="a\x00b")
@example(text="sainsbury's")
def test_the_table_search_takes_any_text(server, text):
    query = urllib.parse.urlencode({"_search": text, "_size": 1})
    status, answer = get_json(f"{server[0]}paygap/paygap.json?{query}")
    assert status == 200 and "rows" in answer, answer.get("error")


def test_the_history_searches_nothing_before_it_has_a_name(connection):
    for nothing in ("", "   ", '"', '""'):
        assert run(connection, "employer_history", name=nothing).empty


@pytest.mark.parametrize("name", [EMPLOYER, "sainsbury's", '"marks and spencer"'])
def test_the_history_has_every_year_of_every_employer_whose_name_matches(connection, table, name):
    words = _tokens(name)
    names = table[["employer_name", "current_name"]].astype(object)
    matched = names.map(lambda n: _has_phrase(n, words)).any(axis=1)
    employers = table.loc[matched, "linked_employer_id"].dropna()
    expected = table[matched | table["linked_employer_id"].isin(employers)]
    found = run(connection, "employer_history", name=name)
    assert len(found) == len(expected) > 5
    assert sorted(found["employer_name"]) == sorted(expected["employer_name"])


def test_the_history_finds_a_past_name(connection, table):
    renamed = table[table["employer_name"].str.upper() != table["current_name"].str.upper()]
    row = renamed.dropna(subset=["linked_employer_id"]).iloc[0]
    old_word = max(row["employer_name"].split(), key=len)
    found = run(connection, "employer_history", name=old_word)
    years = table.loc[table["linked_employer_id"] == row["linked_employer_id"], "year"]
    employer = found[found["linked_employer_id"] == row["linked_employer_id"]]
    assert sorted(employer["year"]) == sorted(years)


def test_the_median_query_gives_pandas_median_exactly(connection, table):
    sql = run(connection, "median_gap_by_sector_and_year").set_index(["year", "sector"])
    gaps = table.dropna(subset=["diff_median_hourly_percent", "sector"])
    grouped = gaps.groupby(["year", gaps["sector"].astype(str)])["diff_median_hourly_percent"]
    expected = grouped.median()
    assert len(sql) == len(expected)
    names = dict(zip(gaps["sector"].astype(str), gaps["sector_name"].astype(str), strict=True))
    for (year, sector), median in expected.items():
        assert sql.loc[(year, sector), "median_gap"] == median, (year, sector)
        assert sql.loc[(year, sector), "employers"] == grouped.size()[(year, sector)]
        assert sql.loc[(year, sector), "sector_name"] == names[sector]


def test_the_late_filers_query_matches_the_table(connection, table):
    every = run(connection, "late_filers", year="")
    assert len(every) == int(table["submitted_late"].sum())
    one = run(connection, "late_filers", year="2022")
    assert len(one) == int(table.loc[table["year"] == 2022, "submitted_late"].sum())


# --- the metadata and the command -------------------------------------------------------------


def test_the_metadata_comes_from_the_one_source_of_truth(server, database):
    status, meta = get_json(f"{server[0]}-/metadata.json")
    manifest = read_manifest()
    assert status == 200 and meta["title"] == manifest.name
    assert meta["license"] == manifest.licence["name"]
    assert meta["license_url"] == manifest.licence["url"]
    assert manifest.licence["attribution"] in meta["description"]
    with closing(sqlite3.connect(database)) as connection:
        served = [row[1] for row in connection.execute("PRAGMA table_info(paygap)")]
    described = paygap_utils.columns().set_index("name")["description"]
    paygap = meta["databases"]["paygap"]["tables"]["paygap"]
    assert paygap["columns"] == {name: described[name] for name in served}
    # metadata.yaml's part, read by Datasette from the configuration folder.
    assert paygap["facets"] == ["year", "sector_name", "employer_size", "region"]
    served = meta["databases"]["paygap"]["queries"]
    assert {n: q["sql"] for n, q in served.items()} == {n: q["sql"] for n, q in QUERIES.items()}


def test_the_names_of_people_are_not_in_the_database(database, table, server):
    assert "responsible_person" in table.columns
    with closing(sqlite3.connect(database)) as connection:
        served = [row[1] for row in connection.execute("PRAGMA table_info(paygap)")]
    assert "responsible_person" not in served
    assert set(served) == set(table.columns) - {"responsible_person"}
    status, answer = get_json(sql_url(server[0], "SELECT responsible_person FROM paygap"))
    assert status == 400 and answer["error"] == "no such column: responsible_person"


def test_the_command_serves_the_export_read_only_with_its_configuration(server):
    url = server[0]
    status, databases = get_json(f"{url}-/databases.json")
    assert status == 200
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("paygap", False)]
    assert Path(databases[0]["path"]) == export_path("sqlite")
    _, served_settings = get_json(f"{url}-/settings.json")
    settings = json.loads((CONFIG / "settings.json").read_text())
    assert served_settings == {**served_settings, **settings, "base_url": "/"}
    _, plugins = get_json(f"{url}-/plugins.json")
    assert {"limits.py", "metadata.py"} <= {p["name"] for p in plugins}


# --- the memory ceiling ---------------------------------------------------------------------------


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def test_hostile_queries_get_a_clear_error_and_the_server_stays_under_its_ceiling(server):
    url, pid = server
    too_big = "string or blob too big"
    too_much = "more memory than Datasette here allows"
    answer_too_big = "answer would be over 16 MB"
    wide = ", ".join(f"printf('%.*c', 3000000, 'x') AS c{i}" for i in range(25))
    hostile = {
        "SELECT randomblob(1000000000)": too_big,
        "SELECT zeroblob(1000000000)": too_big,
        "SELECT replace(printf('%.*c', 3000000, 'x'), 'x', 'xx')": too_big,
        f"SELECT {wide}": too_much,
        "SELECT printf('%.*c', 4000000, 'x') FROM paygap": answer_too_big,
        # Control characters: six bytes each once JSON escapes them.
        "SELECT replace(printf('%.*c', 1000000, 'x'), 'x', char(1)) FROM paygap": answer_too_big,
    }
    before = _peak_mb(pid)
    for sql, expected in hostile.items():
        status, answer = get_json(sql_url(url, sql))
        assert status == 400 and expected in answer["error"], (sql, answer.get("error"))
    # Each one four times at once, as a room of people (or one script) would send them: the
    # queries share SQLite's heap, so which limit a query meets first depends on the others.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda sql: get_json(sql_url(url, sql)), [*hostile] * 4))
    for status, answer in answers:
        assert status == 400 and any(e in answer["error"] for e in set(hostile.values())), answer
    # Padding past the longest value allowed: SQLite's printf gives NULL, not 100 MB.
    status, answer = get_json(sql_url(url, "SELECT printf('%.*c', 100000000, 'x') AS padded"))
    assert status == 200 and answer["rows"] == [[None]]
    peak = _peak_mb(pid)
    print(f"Datasette's peak RSS: {before:.0f} MB before the hostile queries, {peak:.0f} MB after")
    assert peak < CEILING_MB
    # And the server still answers everyone else, with whole answers.
    status, answer = get_json(sql_url(url, "SELECT group_concat(employer_name) FROM paygap"))
    assert status == 200 and len(answer["rows"][0][0]) > 1_000_000
    status, answer = get_json(f"{url}paygap/paygap.json?_size=max")
    assert status == 200 and len(answer["rows"]) == 1000


# --- in a browser -------------------------------------------------------------------------------


def _row_count(page) -> int:
    heading = page.locator("h3").filter(has_text=re.compile(r"rows?\s+where")).first.inner_text()
    return int(re.match(r"([\d,]+) rows?", heading.strip())[1].replace(",", ""))


def _errors(page) -> list[str]:
    return page.locator(".message-error").all_inner_texts()


def test_each_canned_query_empty_and_with_an_apostrophe(
    playwright_api: ModuleType, server: tuple[str, int], tmp_path: Path
) -> None:
    url = server[0]
    with launched(playwright_api, tmp_path / "chromium-profile", viewport=FIRST_SCREEN) as browser:
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(60_000)
        for name in QUERIES:
            page.goto(f"{url}paygap/{name}")
            page.screenshot(path=str(ARTIFACTS / f"{name}-empty.png"), full_page=True)
            assert _errors(page) == [], name
            inputs = page.locator("form.sql input[type=text]")
            if inputs.count() == 0:  # a query without parameters has nothing to type into
                assert page.locator("table.rows-and-columns tbody tr").count() > 0, name
                continue
            if name == "employer_history":  # nothing is searched before a name is typed
                assert page.locator("table.rows-and-columns").count() == 0
            for box in inputs.all():
                box.fill("sainsbury's")
            page.locator("form.sql input[type=submit]").click()
            page.wait_for_url(re.compile(r"sainsbury"))
            page.screenshot(path=str(ARTIFACTS / f"{name}-apostrophe.png"), full_page=True)
            assert _errors(page) == [], name
            if name == "employer_history":
                names = page.locator("td.col-employer_name").all_inner_texts()
                assert "SAINSBURY'S SUPERMARKETS LTD" in names

        page.goto(sql_url(url, "SELECT randomblob(1000000000)").replace("paygap.json", "paygap"))
        page.screenshot(path=str(ARTIFACTS / "too-big.png"))
        (error,) = _errors(page)
        assert "longer than Datasette here allows" in error and "substr" in error


def test_the_table_page_leads_with_rows_and_facets(
    playwright_api: ModuleType, server: tuple[str, int], table: pd.DataFrame, tmp_path: Path
) -> None:
    with launched(playwright_api, tmp_path / "chromium-profile", viewport=FIRST_SCREEN) as browser:
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{server[0]}paygap/paygap")
        page.screenshot(path=str(ARTIFACTS / "table-first-screen.png"))
        first_row = page.locator("table.rows-and-columns tbody tr").first.bounding_box()
        facets = page.locator(".facet-results").bounding_box()
        assert facets["y"] < first_row["y"] < FIRST_SCREEN["height"] - first_row["height"]
        # The sector facet shows the sections' names, not their letters.
        sectors = [s for s in page.locator("#facet-sector_name li a").all_inner_texts() if s != "…"]
        assert sectors and set(sectors) <= set(SIC_SECTIONS.values()), sectors
        # The glossary is below the rows, linked from the top; each heading keeps its meaning.
        glossary = page.locator("#glossary").bounding_box()
        assert glossary["y"] > first_row["y"] and page.locator("a[href='#glossary']").count()
        year = page.locator("th.col-year").get_attribute("data-column-description")
        described = paygap_utils.columns().set_index("name")["description"]
        assert year == described["year"]
        # Only the table's columns: responsible_person, left out of the database, is not there.
        listed = page.locator("dl.column-descriptions dt").all_inner_texts()
        assert listed == [c for c in table.columns if c != "responsible_person"]


def _name_matches(table: pd.DataFrame, word: str) -> pd.Series:
    """Rows whose current or past name has ``word`` as a whole word, as the FTS index splits."""
    names = table[["employer_name", "current_name"]].astype(object)
    return names.map(lambda n: _has_phrase(n, _tokens(word))).any(axis=1)


def test_search_facet_and_canned_query_in_a_browser(
    playwright_api: ModuleType,
    server: tuple[str, int],
    table: pd.DataFrame,
    tmp_path: Path,
) -> None:
    url = server[0]
    matches = _name_matches(table, EMPLOYER)
    assert matches.sum() > 5
    latest = int(table["year"].max())
    with launched(
        playwright_api, tmp_path / "chromium-profile", viewport={"width": 1280, "height": 900}
    ) as browser:
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(60_000)

        # Search an employer from the table page, as a visitor types it.
        page.goto(f"{url}paygap/paygap")
        page.locator("input[name=_search]").fill(EMPLOYER)
        page.locator("input[name=_search]").press("Enter")
        page.wait_for_url(re.compile(r"_search=tesco"))
        page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
        assert _row_count(page) == int(matches.sum())

        # The year facet of that search, every year shown (its "…"): the latest year's count,
        # then a click on it.
        page.locator("#facet-year .facet-truncated a").click()
        page.wait_for_url(re.compile(r"_facet_size=max"))
        facet = page.locator(f"#facet-year a[href*='year={latest}']").first
        facet_text = facet.locator("xpath=..").inner_text()
        expected = int((matches & (table["year"] == latest)).sum())
        assert re.search(rf"\b{expected:,}\b", facet_text), facet_text
        facet.click()
        page.wait_for_url(re.compile(rf"year={latest}"))
        page.screenshot(path=str(ARTIFACTS / "facet.png"), full_page=True)
        assert _row_count(page) == expected

        # The canned query of the median gap by sector and year, against pandas' medians.
        page.goto(f"{url}paygap/median_gap_by_sector_and_year?_size=max")
        page.screenshot(path=str(ARTIFACTS / "median_by_sector.png"), full_page=True)
        years = page.locator("td.col-year").all_inner_texts()
        sectors = page.locator("td.col-sector").all_inner_texts()
        medians = page.locator("td.col-median_gap").all_inner_texts()

    gaps = table.dropna(subset=["diff_median_hourly_percent", "sector"])
    expected_medians = gaps.groupby(["year", gaps["sector"].astype(str)])[
        "diff_median_hourly_percent"
    ].median()
    shown = {(int(y), s): float(m) for y, s, m in zip(years, sectors, medians, strict=True)}
    assert len(shown) == len(expected_medians)
    assert shown == expected_medians.to_dict()


# --- the launcher entry -------------------------------------------------------------------------


def test_the_entry_point_gives_jupyter_server_proxy_a_launcher_tile():
    import inspect

    from jupyter_server_proxy.config import ServerProxy, get_entrypoint_server_processes

    (ours,) = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == PROXY_PATH]
    assert ours.load() is jupyter_server_proxy
    # jupyter-server-proxy 4.4 (the image's) reads the entries with its ServerProxy settings;
    # 4.5 and later take no argument.
    takes_settings = inspect.signature(get_entrypoint_server_processes).parameters
    processes = get_entrypoint_server_processes(*([ServerProxy()] if takes_settings else []))
    (process,) = [p for p in processes if p.name == PROXY_PATH]
    assert process.launcher_entry.enabled and process.launcher_entry.title == "Datasette (SQL)"
    assert Path(process.launcher_entry.icon_path) == ICON and ICON.is_file()
    assert "{port}" in process.command and "{base_url}datasette/" in process.command


def test_jupyter_server_proxy_starts_datasette_behind_jupyter(tmp_path):
    """A Jupyter server with jupyter-server-proxy serves <base url>datasette/ (the entry point)."""
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for kind in ("config", "data", "runtime"):
        env[f"JUPYTER_{kind.upper()}_DIR"] = str(tmp_path / kind)
    command = [
        *(sys.executable, "-m", "jupyter", "server", "--no-browser", "--ip=127.0.0.1"),
        *(f"--port={port}", f"--IdentityProvider.token={token}", f"--notebook-dir={tmp_path}"),
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyter-server.log"
    with log.open("w") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/"
            _wait_for(f"{base}api/status?token={token}", process, log)
            # The token goes in a header: as a query parameter Datasette would see it as a filter.
            url = f"{base}{PROXY_PATH}/paygap/paygap.json?_size=0&_facet_size=max"
            request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})

            def proxied() -> dict:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.load(response)

            answer = wait_until(
                proxied, START_TIMEOUT_S, f"{url} to answer", process=process, log=log, interval=1
            )
            assert not answer.get("facets_timed_out"), answer.get("facets_timed_out")
            years = {f["value"]: f["count"] for f in answer["facet_results"]["year"]["results"]}
            table = paygap_utils.load(progressbar=False)
            assert years == table.groupby("year").size().to_dict()
        finally:
            stop(process)
