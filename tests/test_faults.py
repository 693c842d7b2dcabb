"""Faults: misbehaving servers, redirects, shared and read-only folders, full disks, locks, links.

Every server here runs on 127.0.0.1, and the timeout is shortened (the module's ``TIMEOUT``),
so each test is over in seconds. Each failure must end in one message that names the URL or
file and says what to do, and must leave nothing behind that the library did not have before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

import paygap_utils
from paygap_utils.cli import main
from paygap_utils.data import fetch as fetching
from paygap_utils.data.fetch import data_lock, fetch, file_url, verify
from paygap_utils.data.manifest import read_manifest
from paygap_utils.errors import (
    ChecksumMismatchError,
    DataFolderError,
    DataFormatError,
    DownloadError,
)
from paygap_utils.organisers.cli import main as organisers
from paygap_utils.organisers.refresh import refresh_manifest
from tests.paths import REPO_ROOT, need_shared
from tests.servers import BlackHole, FaultServer, FileServer

pytestmark = pytest.mark.data

MANIFEST = read_manifest()
SMALLEST = min(MANIFEST.files, key=lambda f: f.size)
ONE_YEAR = replace(MANIFEST, files=(SMALLEST,), missing=())
TIMEOUT = 1.0
LOCK = ".paygap_utils.lock"


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    monkeypatch.setattr(fetching, "TIMEOUT", (TIMEOUT, TIMEOUT))


@pytest.fixture
def cold(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(folder))
    return folder


def _left(folder: Path) -> list[str]:
    """What a failed fetch left in ``folder``: nothing but the lock, if the folder exists."""
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK) if folder.exists() else []


def _fetch_fails(monkeypatch, base_url: str, error=DownloadError) -> tuple[str, float]:
    monkeypatch.setenv("PAYGAP_DATA_URL", base_url)
    start = time.monotonic()
    with pytest.raises(error) as caught:
        fetch(SMALLEST.year, progressbar=False)
    return str(caught.value), time.monotonic() - start


# --- servers that misbehave ------------------------------------------------------------


def test_a_silent_server_fails_within_a_minute_by_default():
    # pooch tries three times, waiting 1 s then 2 s between; each try waits TIMEOUT at most.
    connect, read = fetching.TIMEOUT
    assert 3 * max(connect, read) + 1 + 2 < 60
    assert fetching._RETRIES == 2


@pytest.mark.parametrize("kind", ["black hole", "silent"])
def test_a_server_that_never_answers_fails_after_three_timeouts(monkeypatch, cold, kind):
    server = BlackHole() if kind == "black hole" else FaultServer("silent")
    with server:
        message, elapsed = _fetch_fails(monkeypatch, server.url)
    assert 3 * TIMEOUT + 3 <= elapsed < 3 * TIMEOUT + 3 + 4
    assert f"did not answer within {TIMEOUT:g} s, three times" in message
    assert file_url(SMALLEST) in message and "PAYGAP_DATA_URL" in message
    assert _left(cold) == []


def test_an_early_close_is_retried_then_reported(monkeypatch, cold):
    body = (need_shared() / SMALLEST.file_name).read_bytes()
    with FaultServer("early-close", body=body) as server:
        message, elapsed = _fetch_fails(monkeypatch, server.url)
        assert server.requests == 3, "a dropped connection is tried three times"
    assert "Could not download the 2019-20 data" in message and file_url(SMALLEST) in message
    assert 3 <= elapsed < 8
    assert _left(cold) == []


def test_an_endless_body_is_cut_at_the_manifest_size(monkeypatch, cold):
    with FaultServer("endless") as server:
        message, _ = _fetch_fails(monkeypatch, server.url, ChecksumMismatchError)
        sent = server.bytes_sent
        assert server.requests == 1, "a body longer than the pin is not asked for again"
    assert "differs from the pinned copy" in message
    assert f"longer than the pinned copy's {SMALLEST.size:,} bytes" in message
    # The client stopped reading at the cap; the kernel's buffers hold a few MB at most.
    assert sent < SMALLEST.size + 16 * 2**20
    assert _left(cold) == []


def test_a_mirror_serving_a_changed_file_says_so_and_what_to_do(monkeypatch, cold, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    # The case: the mirror runs, and serves a copy one byte longer than the pin.
    body = (need_shared() / SMALLEST.file_name).read_bytes() + b"\n"
    (served / SMALLEST.file_name).write_bytes(body)
    with FileServer(served) as server:
        message, _ = _fetch_fails(monkeypatch, server.url, ChecksumMismatchError)
    assert f"The 2019-20 file that {file_url(SMALLEST)} serves differs from the pinned copy" in (
        message
    )
    assert f"The mirror in $PAYGAP_DATA_URL ({server.url}) serves another copy" in message
    assert "unset PAYGAP_DATA_URL" in message and "Nothing was kept" in message
    assert _left(cold) == []


def test_an_html_page_with_200_is_refused_as_a_web_page(monkeypatch, cold):
    with FaultServer("html") as server:
        message, _ = _fetch_fails(monkeypatch, server.url, ChecksumMismatchError)
    assert "sent a web page, not the 2019-20 CSV file" in message
    assert "Wi-Fi" in message and "Nothing was kept" in message
    assert _left(cold) == []


EVIL_REASON = "\x1b[31m\x1b]0;pwned\x07BUY NOW\x1b[0m " + "A" * 500


def test_a_servers_reason_phrase_is_sanitised_and_cut(monkeypatch, cold, capsys):
    with FaultServer("reason", reason=EVIL_REASON) as server:
        message, _ = _fetch_fails(monkeypatch, server.url)
        assert server.requests == 3, "a 5xx answer is tried three times"
        assert main(["doctor"]) == 0
        doctor_out = capsys.readouterr().out
        assert main(["fetch", "-q", str(SMALLEST.year)]) == 2
        fetch_err = capsys.readouterr().err
    for text in (message, doctor_out, fetch_err):
        assert "\x1b" not in text and "\x07" not in text
        assert "503" in text and "BUY NOW AAAA" in text
        assert "A" * 100 not in text, "server text is cut short"
    assert "answered 503" in message and "PAYGAP_DATA_URL" in message


# --- redirects: http(s) only ------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1:{port}/x.csv", "gopher://127.0.0.1/x"]
)
def test_a_redirect_to_anything_but_http_is_not_followed(monkeypatch, cold, tmp_path, target):
    secret = tmp_path / "secret.csv"
    secret.write_bytes((need_shared() / SMALLEST.file_name).read_bytes())
    with FileServer(tmp_path) as good:
        location = target.format(port=good.url.rsplit(":", 1)[1].strip("/"))
        with FaultServer("redirect", location=location) as hop:
            message, _ = _fetch_fails(monkeypatch, hop.url)
        assert sum(good.requests.values()) == 0
    assert "redirected to an address that is not http(s)" in message
    assert _left(cold) == []


def test_a_redirect_to_an_http_url_is_followed_and_checked(mirror, monkeypatch, cold):
    target = mirror.url + SMALLEST.file_name.replace(" ", "%20")
    with FaultServer("redirect", location=target) as hop:
        monkeypatch.setenv("PAYGAP_DATA_URL", hop.url)
        path = fetch(SMALLEST.year, progressbar=False)[SMALLEST.year]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SMALLEST.sha256


# --- refresh: nothing reaches --dest before it is checked ------------------------------


def test_refresh_never_replaces_a_good_file_with_an_error_page(tmp_path):
    dest = tmp_path / "files"
    dest.mkdir()
    good = dest / SMALLEST.file_name
    shutil.copy(need_shared() / SMALLEST.file_name, good)
    before = good.read_bytes()
    with FaultServer("html") as server, pytest.raises(DataFormatError) as caught:
        refresh_manifest(ONE_YEAR, dest, from_url=server.url, progressbar=False)
    assert "is not a Gender Pay Gap CSV" in str(caught.value)
    assert f"Nothing in {dest} and not the manifest was changed" in str(caught.value)
    assert good.read_bytes() == before
    assert sorted(p.name for p in dest.iterdir()) == [SMALLEST.file_name]


def test_refresh_caps_an_endless_download(tmp_path):
    with FaultServer("endless") as server, pytest.raises(DownloadError) as caught:
        refresh_manifest(
            ONE_YEAR, tmp_path / "files", from_url=server.url, progressbar=False, max_bytes=2**20
        )
    assert "more than the 1,048,576 bytes expected" in str(caught.value)
    assert list((tmp_path / "files").iterdir()) == []


def test_refresh_never_replaces_a_file_of_the_same_name_that_is_not_the_data(mirror, tmp_path):
    dest = tmp_path / "files"
    dest.mkdir()
    (dest / SMALLEST.file_name).write_text("my notes, not the data\n")
    with pytest.raises(DataFolderError, match="is not a copy of the 2019-20 data"):
        refresh_manifest(ONE_YEAR, dest, from_url=mirror.url, progressbar=False)
    assert (dest / SMALLEST.file_name).read_text() == "my notes, not the data\n"
    assert sorted(p.name for p in dest.iterdir()) == [SMALLEST.file_name]


# --- the lock ------------------------------------------------------------------------------


def test_a_link_at_the_lock_is_never_followed(mirror, cold, tmp_path):
    precious = tmp_path / "thesis.docx"
    precious.write_text("three years of work")
    cold.mkdir()
    (cold / LOCK).symlink_to(precious)
    with pytest.raises(DataFolderError, match="is a symbolic link.*Remove the link"):
        fetch(SMALLEST.year, progressbar=False)
    assert precious.read_text() == "three years of work"


def _holder(folder: Path) -> subprocess.Popen:
    code = (
        "import time; from pathlib import Path\n"
        "from paygap_utils.data.fetch import data_lock\n"
        f"with data_lock(Path({str(folder)!r}), 'Holding'):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_waiting_process_says_so_and_a_dead_holder_frees_the_lock(tmp_path, caplog):
    folder = tmp_path / "data"
    holder = _holder(folder)
    released = threading.Timer(1.0, holder.kill)
    released.start()
    start = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING, "paygap_utils"), data_lock(folder, "Testing"):
            waited = time.monotonic() - start
    finally:
        released.cancel()
        holder.kill()
        holder.wait()
    assert 0.9 <= waited < 5, "the lock of a process that died is free at once"
    assert any("waiting for another process" in r.getMessage() for r in caplog.records)


# --- a shared data folder: nothing of anyone else's is touched -------------------------

OTHER_CACHE = "paygap-clean-0123456789abcdef.parquet"


def _clutter(folder: Path) -> dict[str, bytes]:
    """Fill ``folder`` with files of every name a careless clean-up would take for its own."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [
        "tmpreport",
        "tmp_backup",
        "tmpab12cd34",
        ".thesis.docx.partial",
        ".paygap-clean-0123.parquet.partial",
        "paygap.lock",
        ".paygap.lock",
        "UK Gender Pay Gap Data - 2016 to 2017.csv",
        "notes.txt",
        OTHER_CACHE,
    ]
    files = {}
    for index, name in enumerate(names):
        content = f"{name}: somebody's file {index}\n".encode()
        (folder / name).write_bytes(content)
        files[name] = content
    return files


def _unchanged(folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        assert (folder / name).read_bytes() == content, name


def test_fetch_verify_and_refresh_leave_other_files_alone(mirror, cold, tmp_path):
    files = _clutter(cold)
    # Another program's live temporary file, open and being written while we work.
    with tempfile.NamedTemporaryFile(dir=cold, delete=False) as live:
        live.write(b"half of something")
        live.flush()
        fetch(SMALLEST.year, progressbar=False)
        fetch(progressbar=False)
        verify()
        refresh = ["refresh", "-q", "--dest", str(cold), "--from-url", mirror.url]
        assert organisers([*refresh, "--output", str(tmp_path / "m.json")]) == 0
        assert main(["verify"]) == 0
        live.write(b", and the rest")
    assert Path(live.name).read_bytes() == b"half of something, and the rest"
    _unchanged(cold, files)
    ours = {f.file_name for f in MANIFEST.files}
    assert set(_left(cold)) == ours | set(files) | {Path(live.name).name}


def test_a_users_own_file_of_a_data_files_name_is_kept(mirror, cold):
    cold.mkdir()
    mine = cold / SMALLEST.file_name
    mine.write_text("EmployerName\nmy own edited copy\n")
    with pytest.raises(ChecksumMismatchError) as caught:
        paygap_utils.load(SMALLEST.year, progressbar=False)
    assert str(mine) in str(caught.value) and "move it elsewhere" in str(caught.value)
    assert mine.read_text() == "EmployerName\nmy own edited copy\n"


def test_load_leaves_other_files_alone(mirror, cold):
    files = _clutter(cold)
    paygap_utils.load(progressbar=False, manifest=ONE_YEAR)
    paygap_utils.load(progressbar=False, manifest=ONE_YEAR)
    _unchanged(cold, files)


def test_exports_leave_other_files_alone(mirror, cold):
    files = _clutter(cold)
    assert main(["export", str(cold / "paygap.sqlite"), "-q"]) == 0
    assert main(["export", "--format", "csv", "-q"]) == 0
    assert main(["export", str(cold / "paygap.parquet"), "-q"]) == 0
    _unchanged(cold, files)
    # A file that is there already is refused, not replaced.
    assert main(["export", str(cold / "notes.txt"), "--format", "csv", "-q"]) == 2
    assert main(["export", str(cold / OTHER_CACHE), "-q"]) == 2
    _unchanged(cold, files)


# --- read-only data folders and full disks (real ones, in a private mount namespace) ----


def _namespace_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _namespace_works(),
    reason="needs `unshare -Urm` (Linux user namespaces) to mount a read-only or full folder",
)


def _in_namespace(script: str, env: dict) -> subprocess.CompletedProcess:
    """Run a shell script as root of a private user and mount namespace (mounts stay there)."""
    return subprocess.run(
        ["unshare", "-Urm", "sh", "-euc", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )


def _env(folder: Path, mirror_url: str) -> dict:
    return {
        **os.environ,
        "PAYGAP_DATA_DIR": str(folder),
        "PAYGAP_DATA_URL": mirror_url,
        "PYTHON": sys.executable,
    }


@needs_mounts
def test_a_read_only_data_folder_that_holds_the_data_just_works(mirror, session_data_home):
    paygap_utils.load(progressbar=False)  # the session's folder is complete and warm
    code = (
        "import paygap_utils as p; t = p.load(progressbar=False); p.fetch(progressbar=False); "
        "print(len(t), [s.status for s in p.verify()].count('ok'))"
    )
    script = (
        f'mount --bind "$PAYGAP_DATA_DIR" "$PAYGAP_DATA_DIR"\n'
        f'mount -o remount,bind,ro "$PAYGAP_DATA_DIR"\n'
        f'if touch "$PAYGAP_DATA_DIR/probe" 2>/dev/null; then echo writable; exit 1; fi\n'
        f'"$PYTHON" -c "{code}"\n'
        f'for command in "fetch -q" "verify" "list" "doctor --offline"; do\n'
        f'  "$PYTHON" -m paygap_utils $command > /dev/null\n'
        f"done\n"
        f"echo all-ran\n"
    )
    result = _in_namespace(script, _env(session_data_home, mirror.url))
    assert result.returncode == 0, result.stderr
    rows, ok = result.stdout.split("\n")[0].split()
    assert int(rows) > 50_000 and int(ok) == len(MANIFEST.files)
    assert result.stdout.strip().endswith("all-ran") and "Traceback" not in result.stderr


@needs_mounts
def test_a_read_only_folder_without_the_data_says_what_to_do(mirror, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    script = (
        'mount --bind "$PAYGAP_DATA_DIR" "$PAYGAP_DATA_DIR"\n'
        'mount -o remount,bind,ro "$PAYGAP_DATA_DIR"\n'
        'status=0; "$PYTHON" -m paygap_utils fetch -q 2019 || status=$?\n'
        'echo "exit $status"\n'
    )
    result = _in_namespace(script, _env(folder, mirror.url))
    assert result.stdout.strip().splitlines()[-1] == "exit 2", result.stderr
    assert result.stderr.startswith("error: Downloading 2019-20 needs to write in the data folder")
    assert "read-only" in result.stderr and "PAYGAP_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


@needs_mounts
def test_a_full_disk_while_downloading_says_so_and_keeps_nothing(mirror, tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    # 1 MB of room for a 2.9 MB file.
    script = (
        'mount -t tmpfs -o size=1m tmpfs "$PAYGAP_DATA_DIR"\n'
        'status=0; "$PYTHON" -m paygap_utils fetch -q 2019 || status=$?\n'
        'echo "exit $status"; ls -A "$PAYGAP_DATA_DIR"\n'
        'df -k "$PAYGAP_DATA_DIR" | tail -1\n'
    )
    result = _in_namespace(script, _env(folder, mirror.url))
    # What fetch says before it starts ("Data: 1 file(s) ...") comes first.
    lines = result.stdout.splitlines()
    lines = lines[lines.index("exit 2") :] if "exit 2" in lines else lines
    assert lines[0] == "exit 2", result.stderr
    assert "disk holding" in result.stderr and "is full" in result.stderr
    assert "Nothing half-written was kept" in result.stderr and "PAYGAP_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr
    # Only the lock is left: pooch's temporary file went with the error.
    listing = [line for line in lines[1:-1] if line]
    assert listing == [LOCK], result.stdout
    assert int(lines[-1].split()[2]) < 64, "the partial download was removed"


def test_every_download_of_the_package_goes_through_the_fetch_module():
    import re

    package = REPO_ROOT / "paygap_utils"
    direct = re.compile(
        r"\brequests\.(get|post|request|Session)\b|urllib\.request|http\.client|urlopen"
        r"|pooch\.(retrieve|HTTPDownloader|create)\b|\bsocket\.(socket|create_connection)\b"
    )
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "fetch.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []
