"""Fetching: real downloads from a loopback mirror, the settings, and what a user meets."""

from __future__ import annotations

import hashlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

import paygap_utils
from paygap_utils.data.fetch import data_dir, fetch, file_url, mirror_url, verify
from paygap_utils.data.manifest import read_manifest
from paygap_utils.errors import ChecksumMismatchError, DownloadError, SettingsError
from tests.paths import REPO_ROOT, need_shared
from tests.servers import FileServer, free_port, wait_until

MANIFEST = read_manifest()
SMALLEST = min(MANIFEST.files, key=lambda f: f.size)
LOCK = ".paygap_utils.lock"


def _leftovers(folder: Path) -> list[str]:
    """What is in ``folder`` besides the lock."""
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK)


@pytest.fixture
def cold(monkeypatch, tmp_path) -> Path:
    """An empty data folder for this test only."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(folder))
    return folder


def _no_network(monkeypatch) -> list[tuple]:
    attempts: list[tuple] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


# --- the settings ------------------------------------------------------------------------------


def test_data_dir_follows_the_environment_and_defaults_to_the_os_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    assert data_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("PAYGAP_DATA_DIR")
    import pooch

    assert data_dir() == Path(pooch.os_cache("paygap"))


@pytest.mark.parametrize("base", ["http://192.168.1.10:8000", "https://mirror.example.org/p/"])
def test_a_mirror_is_any_http_address_and_file_names_are_url_encoded(monkeypatch, base):
    monkeypatch.setenv("PAYGAP_DATA_URL", f"  {base}  ")
    assert mirror_url() == base.rstrip("/") + "/"
    assert file_url(SMALLEST) == base.rstrip("/") + "/" + SMALLEST.file_name.replace(" ", "%20")


@pytest.mark.parametrize("base", ["192.168.1.10:8000", "ftp://example.org/", "file:///data/"])
def test_a_mirror_that_is_not_http_says_how_to_set_it(monkeypatch, base):
    monkeypatch.setenv("PAYGAP_DATA_URL", base)
    with pytest.raises(SettingsError, match=r"is not an http\(s\) address\. Set it to the mirror"):
        mirror_url()


# --- downloads -------------------------------------------------------------------------------


@pytest.mark.data
def test_fetch_downloads_verifies_and_shows_progress(mirror, cold, capfd):
    before = mirror.requests[SMALLEST.file_name]
    path = fetch(SMALLEST.year)[SMALLEST.year]
    assert path == cold / SMALLEST.file_name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SMALLEST.sha256
    assert mirror.requests[SMALLEST.file_name] == before + 1
    assert "100%" in capfd.readouterr().err
    assert _leftovers(cold) == [SMALLEST.file_name]


@pytest.mark.data
def test_a_second_fetch_does_not_download_again(mirror, cold):
    fetch(SMALLEST.year, progressbar=False)
    before = mirror.requests[SMALLEST.file_name]
    fetch(SMALLEST.year, progressbar=False)
    assert mirror.requests[SMALLEST.file_name] == before


@pytest.mark.data
def test_a_changed_file_differs_from_the_pinned_copy_and_nothing_is_kept(
    monkeypatch, cold, tmp_path
):
    served = tmp_path / "served"
    served.mkdir()
    bad = b"EmployerName,Address\nnot the real file\n"
    (served / SMALLEST.file_name).write_bytes(bad)
    with FileServer(served) as server:
        monkeypatch.setenv("PAYGAP_DATA_URL", server.url)
        with pytest.raises(ChecksumMismatchError) as caught:
            fetch(SMALLEST.year, progressbar=False)
        assert server.requests[SMALLEST.file_name] == 1, "a mismatch is reported, not retried"
    message = str(caught.value)
    assert "differs from the pinned copy" in message and file_url(SMALLEST) in message
    assert SMALLEST.sha256 in message and hashlib.sha256(bad).hexdigest() in message
    assert "Nothing was kept" in message and f"mirror in $PAYGAP_DATA_URL ({server.url})" in message
    assert _leftovers(cold) == []


@pytest.mark.data
def test_without_a_mirror_a_changed_pin_sends_organisers_to_refresh(monkeypatch, cold, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "x.csv").write_bytes(b"EmployerName\nchanged\n")
    with FileServer(served) as server:
        monkeypatch.delenv("PAYGAP_DATA_URL", raising=False)
        moved = replace(SMALLEST, url=server.url + "x.csv")
        with pytest.raises(ChecksumMismatchError) as caught:
            fetch(manifest=replace(MANIFEST, files=(moved,)), progressbar=False)
    assert "The pinned URL now serves other bytes" in str(caught.value)
    assert "python -m paygap_utils.organisers refresh" in str(caught.value)


@pytest.mark.data
def test_no_network_and_nothing_cached_fails_fast_naming_the_url(monkeypatch, cold):
    monkeypatch.setenv("PAYGAP_DATA_URL", f"http://127.0.0.1:{free_port()}/")
    start = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        fetch(SMALLEST.year, progressbar=False)
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert file_url(SMALLEST) in message
    assert "no connection" in message and "PAYGAP_DATA_URL" in message
    assert _leftovers(cold) == []


@pytest.mark.data
def test_offline_without_a_mirror_says_how_to_get_the_data(monkeypatch, cold):
    monkeypatch.delenv("PAYGAP_DATA_URL", raising=False)
    _no_network(monkeypatch)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(socket.gaierror("offline"))
    )
    start = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        paygap_utils.load(SMALLEST.year, progressbar=False)
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert any(f.url in message for f in MANIFEST.files)
    assert "python -m paygap_utils fetch" in message and "PAYGAP_DATA_URL" in message


@pytest.mark.data
def test_warm_cache_loads_with_no_network_call_at_all(mirror, monkeypatch, session_data_home):
    paygap_utils.load(progressbar=False)  # warm the session's cache (a no-op when already warm)
    attempts = _no_network(monkeypatch)
    monkeypatch.setenv("PAYGAP_DATA_URL", f"http://127.0.0.1:{free_port()}/")
    table = paygap_utils.load("2021-22", progressbar=False)
    paths = fetch(progressbar=False)
    assert attempts == []
    assert len(table) == MANIFEST.file(2021).rows - table.attrs["duplicates_removed"]["2021-22"]
    assert set(paths) == {f.year for f in MANIFEST.files}


@pytest.mark.data
def test_http_errors_from_a_mirror_say_what_to_check(monkeypatch, cold, tmp_path):
    with FileServer(tmp_path) as empty:
        monkeypatch.setenv("PAYGAP_DATA_URL", empty.url)
        with pytest.raises(DownloadError, match=r"answered 404.*serves 'UK Gender Pay Gap Data"):
            fetch(SMALLEST.year, progressbar=False)


@pytest.mark.data
def test_unknown_year_lists_the_available_years(cold):
    with pytest.raises(ValueError, match=r"Available years: 2017-18, .*, 2022-23"):
        fetch("2031/32")
    with pytest.raises(ValueError, match=r"Available years"):
        paygap_utils.load(2016)


@pytest.mark.data
def test_a_damaged_file_is_reported_and_kept_until_the_user_moves_it(mirror, cold):
    path = fetch(SMALLEST.year, progressbar=False)[SMALLEST.year]
    damaged = path.read_bytes()[:-10]
    path.write_bytes(damaged)
    (status,) = verify(SMALLEST.year)
    assert status.status == "damaged" and str(path) in status.message
    assert "The source is not to blame" in status.message and "refresh" not in status.message
    assert f"python -m paygap_utils fetch {SMALLEST.label}" in status.message
    # It may be the user's own file of that name: never replaced, the error says what to do.
    with pytest.raises(ChecksumMismatchError, match="never replaces a file it cannot tell"):
        fetch(SMALLEST.year, progressbar=False)
    assert path.read_bytes() == damaged
    path.unlink()
    fetch(SMALLEST.year, progressbar=False)
    assert [s.status for s in verify(SMALLEST.year)] == ["ok"]


@pytest.mark.data
def test_verify_reports_missing_files(cold):
    statuses = verify()
    assert {s.status for s in statuses} == {"missing"}
    assert "python -m paygap_utils fetch" in statuses[0].message


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    """Sends the headers and a first chunk, then stalls: a download that can be killed midway."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(SMALLEST.size))
        self.end_headers()
        self.wfile.write(b"x" * 65536)
        self.wfile.flush()
        time.sleep(30)

    def log_message(self, *args):
        pass


def _run_fetch(env: dict, years: str = "") -> subprocess.Popen:
    code = f"import paygap_utils; paygap_utils.fetch({years or None}, progressbar=False)"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.data
def test_a_killed_download_never_leaves_half_a_file_under_its_name(mirror, cold):
    slow = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "PAYGAP_DATA_DIR": str(cold),
        "PAYGAP_DATA_URL": f"http://127.0.0.1:{slow.server_address[1]}/",
    }
    process = _run_fetch(env, str(SMALLEST.year))
    try:
        wait_until(
            lambda: cold.is_dir() and any(p.stat().st_size for p in cold.glob("tmp*")),
            20,
            f"the download to start pooch's temporary file in {cold}",
            process=process,
            interval=0.05,
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        slow.shutdown()
        slow.server_close()
    assert not (cold / SMALLEST.file_name).exists()
    (leftover,) = cold.glob("tmp*")  # pooch's, named by tempfile; nothing else sweeps it
    fetch(SMALLEST.year, progressbar=False)
    assert _leftovers(cold) == sorted([SMALLEST.file_name, leftover.name])


@pytest.mark.data
def test_four_processes_fetching_at_once_download_each_file_once(cold, tmp_path):
    with FileServer(need_shared()) as server:
        env = {**os.environ, "PAYGAP_DATA_DIR": str(cold), "PAYGAP_DATA_URL": server.url}
        processes = [_run_fetch(env) for _ in range(4)]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0] * 4, outputs
        assert all(server.requests[f.file_name] == 1 for f in MANIFEST.files), server.requests
    assert [s.status for s in verify()] == ["ok"] * len(MANIFEST.files)
    assert _leftovers(cold) == sorted(f.file_name for f in MANIFEST.files)
