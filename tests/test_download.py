"""Fetching: real downloads over HTTP from a loopback mirror, and each failure a beginner meets."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import paygap_utils
from paygap_utils.data.datafolder import PRIVATE_DIR
from paygap_utils.data.download import check_remote, fetch, file_url, verify
from paygap_utils.data.manifest import read_manifest
from paygap_utils.errors import ChecksumMismatchError, DownloadError
from tests.paths import REPO_ROOT, need_shared
from tests.servers import FileServer, free_port, wait_until

pytestmark = pytest.mark.data

MANIFEST = read_manifest()
SMALLEST = min(MANIFEST.files, key=lambda f: f.size)


def _leftovers(folder: Path) -> list[str]:
    """What is in ``folder``, with the library's private subfolder's partial files."""
    private = folder / PRIVATE_DIR
    partials = sorted(f"{PRIVATE_DIR}/{p.name}" for p in private.glob("*.partial"))
    return sorted(p.name for p in folder.iterdir() if p.name != PRIVATE_DIR) + partials


def _partials(folder: Path) -> list[Path]:
    return list((folder / PRIVATE_DIR).glob("*.partial"))


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


def test_fetch_downloads_verifies_and_shows_progress(mirror, cold, capfd):
    before = mirror.requests[SMALLEST.file_name]
    paths = fetch(SMALLEST.year)
    path = paths[SMALLEST.year]
    assert path == cold / SMALLEST.file_name
    assert path.stat().st_size == SMALLEST.size
    assert mirror.requests[SMALLEST.file_name] == before + 1
    assert "100%" in capfd.readouterr().err
    assert _leftovers(cold) == [SMALLEST.file_name]


def test_a_second_fetch_does_not_download_again(mirror, cold):
    fetch(SMALLEST.year, progressbar=False)
    before = mirror.requests[SMALLEST.file_name]
    fetch(SMALLEST.year, progressbar=False)
    assert mirror.requests[SMALLEST.file_name] == before


def test_checksum_mismatch_names_file_and_hashes_and_keeps_nothing(monkeypatch, cold, tmp_path):
    import hashlib

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
    assert SMALLEST.file_name in message
    assert SMALLEST.sha256 in message
    assert hashlib.sha256(bad).hexdigest() in message
    assert "nothing was kept" in message and "PAYGAP_DATA_URL" in message
    assert _leftovers(cold) == []


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


def test_warm_cache_loads_with_no_network_call_at_all(mirror, monkeypatch, session_data_home):
    paygap_utils.load(progressbar=False)  # warm the session's cache (a no-op when already warm)
    attempts = _no_network(monkeypatch)
    monkeypatch.setenv("PAYGAP_DATA_URL", f"http://127.0.0.1:{free_port()}/")
    table = paygap_utils.load("2021-22", progressbar=False)
    paths = fetch(progressbar=False)
    assert attempts == []
    assert len(table) == MANIFEST.file(2021).rows - table.attrs["duplicates_removed"]["2021-22"]
    assert set(paths) == set(MANIFEST.years)


def test_http_errors_from_a_mirror_say_what_to_check(monkeypatch, cold, tmp_path):
    with FileServer(tmp_path) as empty:
        monkeypatch.setenv("PAYGAP_DATA_URL", empty.url)
        with pytest.raises(DownloadError, match=r"answered 404.*serves 'UK Gender Pay Gap Data"):
            fetch(SMALLEST.year, progressbar=False)


def test_unknown_year_lists_the_available_years(cold):
    with pytest.raises(ValueError, match=r"Available years: 2017-18, .*, 2022-23"):
        fetch("2031/32")
    with pytest.raises(ValueError, match=r"Available years"):
        paygap_utils.load(2016)


def test_a_damaged_cached_file_is_reported_then_replaced(mirror, cold):
    path = fetch(SMALLEST.year, progressbar=False)[SMALLEST.year]
    path.write_bytes(path.read_bytes()[:-10])
    (status,) = verify(SMALLEST.year)
    assert status.status == "damaged"
    assert str(path) in status.message and "python -m paygap_utils fetch" in status.message
    assert "changed on this computer" in status.message and "refresh" not in status.message
    fetch(SMALLEST.year, progressbar=False)
    assert [s.status for s in verify(SMALLEST.year)] == ["ok"]


def test_verify_reports_missing_files(cold):
    statuses = verify()
    assert {s.status for s in statuses} == {"missing"}
    assert "python -m paygap_utils fetch" in statuses[0].message


def test_only_the_librarys_own_orphans_are_removed(mirror, cold):
    from paygap_utils.data.datafolder import partial_file

    cold.mkdir(parents=True)
    # Look-alikes outside the private subfolder are someone else's.
    (cold / "tmpab12cd34").write_bytes(b"not ours")
    (cold / ".paygap-clean-0123.parquet.partial").write_bytes(b"not ours either")
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with partial_file(cold, "a.csv") as template:
            name = template.name
        host, _pid, rest = name.split("-", 2)
        orphan = cold / PRIVATE_DIR / f"{host}-{ended.stdout.strip()}-{rest}"
        alive = cold / PRIVATE_DIR / f"{host}-{live.pid}-{rest}"
        stranger = cold / PRIVATE_DIR / "notes.partial"
        # Another computer's partial files in a shared folder: judged by age alone.
        old_remote = cold / PRIVATE_DIR / f"0badf00d-{live.pid}-{rest}"
        new_remote = cold / PRIVATE_DIR / f"0badf00d-1-{rest}"
        for path in (orphan, alive, stranger, old_remote, new_remote):
            path.write_bytes(b"half a download")
        two_days_ago = time.time() - 2 * 24 * 3600
        os.utime(old_remote, (two_days_ago, two_days_ago))
        fetch(SMALLEST.year, progressbar=False)
        assert not orphan.exists(), "a partial file of a process that has ended is removed"
        assert not old_remote.exists(), "a partial file untouched for two days is removed"
        assert alive.read_bytes() == b"half a download", "another live download is kept"
        assert new_remote.read_bytes() == b"half a download", "so is another computer's"
        assert stranger.read_bytes() == b"half a download", "a name the library never writes"
    finally:
        live.kill()
        live.wait()
    assert (cold / "tmpab12cd34").read_bytes() == b"not ours"
    assert (cold / ".paygap-clean-0123.parquet.partial").read_bytes() == b"not ours either"


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


def test_a_killed_download_leaves_nothing_behind(mirror, cold):
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
            lambda: cold.is_dir() and _partials(cold),
            20,
            f"the download to start a partial file in {cold}",
            process=process,
            interval=0.05,
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        slow.shutdown()
        slow.server_close()
    assert _partials(cold), "the kill left a partial file"
    fetch(SMALLEST.year, progressbar=False)
    assert _leftovers(cold) == [SMALLEST.file_name]


def test_four_processes_fetching_at_once_download_each_file_once(cold, tmp_path):
    with FileServer(need_shared()) as server:
        env = {**os.environ, "PAYGAP_DATA_DIR": str(cold), "PAYGAP_DATA_URL": server.url}
        processes = [_run_fetch(env) for _ in range(4)]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0] * 4, outputs
        assert all(server.requests[f.file_name] == 1 for f in MANIFEST.files), server.requests
    assert [s.status for s in verify()] == ["ok"] * len(MANIFEST.files)
    assert _leftovers(cold) == sorted(f.file_name for f in MANIFEST.files)


def test_check_remote_flags_a_file_whose_bytes_changed(monkeypatch, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(need_shared(), served, ignore=shutil.ignore_patterns("snapshots"))
    changed = served / SMALLEST.file_name
    changed.write_bytes(changed.read_bytes().replace(b"\n", b"\r\n", 1))
    with FileServer(served) as server:
        monkeypatch.setenv("PAYGAP_DATA_URL", server.url)
        results = {r.entry.year: r for r in check_remote()}
    assert results[SMALLEST.year].status == "changed"
    assert SMALLEST.sha256 in results[SMALLEST.year].message
    assert "The source changed, not this computer" in results[SMALLEST.year].message
    assert {r.status for y, r in results.items() if y != SMALLEST.year} == {"ok"}
