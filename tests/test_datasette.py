"""Datasette over the SQLite export: the local command, the launcher entry, a real browser.

``python -m paygap_utils datasette`` is started on 127.0.0.1 as a user starts it (it writes
the export first), then headless Chromium searches an employer, opens a facet and a canned
query, and the numbers on the pages are checked against the Python library's. Screenshots
go to ``test-artifacts/datasette/``. jupyter-server-proxy is checked for real too: a Jupyter
server started here serves Datasette at ``<base url>datasette/`` from the package's entry
point, as on Binder and the hub.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

import paygap_utils
from paygap_utils.organisers.datasette import (
    ICON,
    PROXY_PATH,
    datasette_command,
    jupyter_server_proxy,
)
from tests.chromium import launched
from tests.paths import REPO_ROOT
from tests.servers import free_port, stop, wait_until

pytestmark = pytest.mark.data

ARTIFACTS = REPO_ROOT / "test-artifacts" / "datasette"
START_TIMEOUT_S = 180
EMPLOYER = "tesco"


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    def answers() -> bool:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200

    wait_until(answers, START_TIMEOUT_S, f"{url} to answer", process=process, log=log, interval=0.5)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return paygap_utils.load(progressbar=False)


@pytest.fixture(scope="module")
def datasette_url() -> Iterator[str]:
    """``python -m paygap_utils datasette`` on a free port of 127.0.0.1, as the README says."""
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "datasette.log"
    command = [sys.executable, "-m", "paygap_utils", "datasette", "--quiet", "--port", str(port)]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_for(f"{url}-/versions.json", process, log)
            yield url
        finally:
            stop(process)


def _name_matches(table: pd.DataFrame, word: str) -> pd.Series:
    """Rows whose current or past name has ``word`` as a whole word, as the FTS index splits."""
    pattern = rf"(?i)(?<![0-9a-z]){word}(?![0-9a-z])"
    # Python's re, not Arrow's RE2 (which has no look-behind): the text columns are Arrow strings.
    names = table[["employer_name", "current_name"]].astype(object)
    return names["employer_name"].str.contains(pattern, na=False) | names[
        "current_name"
    ].str.contains(pattern, na=False)


def _row_count(page) -> int:
    heading = page.locator("h3").filter(has_text=re.compile(r"rows?\s+where")).first.inner_text()
    return int(re.match(r"([\d,]+) rows?", heading.strip())[1].replace(",", ""))


def test_search_facet_and_canned_query_in_a_browser(
    playwright_api: ModuleType,  # noqa: F811
    datasette_url: str,
    table: pd.DataFrame,
    tmp_path: Path,
) -> None:
    matches = _name_matches(table, EMPLOYER)
    assert matches.sum() > 5
    latest = int(table["year"].max())
    with launched(
        playwright_api, tmp_path / "chromium-profile", viewport={"width": 1280, "height": 900}
    ) as browser:
        page = browser.pages[0] if browser.pages else browser.new_page()
        page.set_default_timeout(60_000)

        # Search an employer from the table page, as a visitor types it.
        page.goto(f"{datasette_url}paygap/paygap")
        page.locator("input[name=_search]").fill(EMPLOYER)
        page.locator("input[name=_search]").press("Enter")
        page.wait_for_url(re.compile(r"_search=tesco"))
        page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
        assert _row_count(page) == int(matches.sum())

        # The year facet of that search: its count for the latest year, then a click on it.
        facet = page.locator(f".facet-results a[href*='year={latest}']").first
        facet_text = facet.locator("xpath=..").inner_text()
        expected = int((matches & (table["year"] == latest)).sum())
        assert re.search(rf"\b{expected:,}\b", facet_text), facet_text
        facet.click()
        page.wait_for_url(re.compile(rf"year={latest}"))
        page.screenshot(path=str(ARTIFACTS / "facet.png"), full_page=True)
        assert _row_count(page) == expected

        # The canned query of the median gap by sector and year, against pandas' medians.
        page.goto(f"{datasette_url}paygap/median_gap_by_sector_and_year?_size=max")
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


def test_the_local_command_serves_the_export_with_its_metadata():
    command = datasette_command(port=8123, base_url="/user/ana/datasette")
    assert command[:4] == [sys.executable, "-m", "datasette", "serve"]
    database = Path(command[command.index("-i") + 1])
    metadata = json.loads(Path(command[command.index("--metadata") + 1]).read_text())
    assert database.is_file() and metadata["databases"]["paygap"]["tables"]["paygap"]["fts_table"]
    assert command[command.index("base_url") + 1] == "/user/ana/datasette/"
    assert command[command.index("--host") + 1] == "127.0.0.1"


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
            url = f"{base}{PROXY_PATH}/paygap/paygap.json?_size=0"
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
