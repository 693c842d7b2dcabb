"""Faults: misbehaving servers, hostile URLs, shared and read-only folders, full disks, held locks.

Every server here runs on 127.0.0.1, and the timeouts are shortened through the
package's own settings (``PAYGAP_READ_TIMEOUT`` ...), so each test is over in
seconds. Each failure must end in one message that names the URL or file and
says what to do, and must leave nothing behind that the library did not have
before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

import paygap_utils
from paygap_utils.cli import main
from paygap_utils.data.datafolder import PRIVATE_DIR, data_lock
from paygap_utils.data.download import check_remote, fetch, file_url, verify
from paygap_utils.data.manifest import read_manifest
from paygap_utils.errors import (
    ChecksumMismatchError,
    DataFolderError,
    DataFormatError,
    DownloadError,
    SettingsError,
)
from paygap_utils.organisers.refresh import refresh_manifest
from tests.paths import REPO_ROOT, need_shared
from tests.servers import BlackHole, FaultServer, FileServer

pytestmark = pytest.mark.data

MANIFEST = read_manifest()
SMALLEST = min(MANIFEST.files, key=lambda f: f.size)
ONE_YEAR = replace(MANIFEST, files=(SMALLEST,), missing=())
READ_TIMEOUT = 1.0
DEADLINE = 3.0


@pytest.fixture(autouse=True)
def short_limits(monkeypatch):
    monkeypatch.setenv("PAYGAP_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("PAYGAP_READ_TIMEOUT", str(READ_TIMEOUT))
    monkeypatch.setenv("PAYGAP_DOWNLOAD_DEADLINE", str(DEADLINE))


@pytest.fixture
def cold(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(folder))
    return folder


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / PRIVATE_DIR).glob("*.partial"))


def _outside_private(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != PRIVATE_DIR)


def _fetch_fails(monkeypatch, base_url: str, error=DownloadError) -> tuple[str, float]:
    monkeypatch.setenv("PAYGAP_DATA_URL", base_url)
    start = time.monotonic()
    with pytest.raises(error) as caught:
        fetch(SMALLEST.year, progressbar=False)
    return str(caught.value), time.monotonic() - start


# --- servers that misbehave ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["black hole", "silent"])
def test_a_server_that_never_answers_fails_in_one_read_timeout(monkeypatch, cold, kind):
    server = BlackHole() if kind == "black hole" else FaultServer("silent")
    with server:
        message, elapsed = _fetch_fails(monkeypatch, server.url)
    # Timeouts are not retried: one read timeout in all, so with the default of 15 s a silent
    # mirror fails within 30 s (connect and read together).
    assert elapsed < 2 * READ_TIMEOUT + 1
    assert f"went silent: nothing arrived for {READ_TIMEOUT:g} s" in message
    assert file_url(SMALLEST) in message and "PAYGAP_DATA_URL" in message
    assert not cold.exists() or (_outside_private(cold), _partials(cold)) == ([], [])


def test_a_trickling_server_meets_the_deadline(monkeypatch, cold):
    with FaultServer("trickle", length=SMALLEST.size, interval=0.1) as server:
        message, elapsed = _fetch_fails(monkeypatch, server.url)
        assert server.requests == 1, "a server too slow for the deadline is not retried"
    assert DEADLINE <= elapsed < DEADLINE + READ_TIMEOUT + 1
    assert f"took longer than {DEADLINE:g} s" in message and "PAYGAP_DOWNLOAD_DEADLINE" in message
    assert file_url(SMALLEST) in message and "PAYGAP_DATA_URL" in message
    assert (_outside_private(cold), _partials(cold)) == ([], [])


def test_an_early_close_is_retried_then_reported(monkeypatch, cold):
    monkeypatch.setenv("PAYGAP_DOWNLOAD_DEADLINE", "10")  # room for both retries (1 s, 2 s)
    body = (need_shared() / SMALLEST.file_name).read_bytes()
    with FaultServer("early-close", body=body) as server:
        message, elapsed = _fetch_fails(monkeypatch, server.url)
        assert server.requests == 3, "a dropped connection is tried three times"
    assert "closed the connection" in message and file_url(SMALLEST) in message
    assert 3 <= elapsed < 6
    assert (_outside_private(cold), _partials(cold)) == ([], [])


def test_an_endless_body_is_cut_at_the_manifest_size(monkeypatch, cold):
    with FaultServer("endless") as server:
        message, _ = _fetch_fails(monkeypatch, server.url)
        sent = server.bytes_sent
    assert f"more than the {SMALLEST.size:,} bytes expected" in message
    # The client stopped reading at the cap; the kernel's buffers hold a few MB at most.
    assert sent < SMALLEST.size + 16 * 2**20
    assert (_outside_private(cold), _partials(cold)) == ([], [])


def test_an_html_page_with_200_is_refused_as_a_web_page(monkeypatch, cold):
    with FaultServer("html") as server:
        message, _ = _fetch_fails(monkeypatch, server.url, ChecksumMismatchError)
    assert "sent a web page, not the 2019-20 CSV file" in message
    assert "Wi-Fi" in message and "Nothing was kept" in message
    assert (_outside_private(cold), _partials(cold)) == ([], [])


EVIL_REASON = "\x1b[31m\x1b]0;pwned\x07BUY NOW\x1b[0m " + "A" * 500


def test_a_servers_reason_phrase_is_sanitised_and_cut(monkeypatch, cold, capsys):
    with FaultServer("reason", reason=EVIL_REASON) as server:
        message, _ = _fetch_fails(monkeypatch, server.url)
        assert server.requests >= 2, "a 5xx answer is retried (within the deadline)"
        assert main(["doctor"]) == 0
        doctor_out = capsys.readouterr().out
        assert main(["fetch", "-q", str(SMALLEST.year)]) == 2
        fetch_err = capsys.readouterr().err
    for text in (message, doctor_out, fetch_err):
        assert "\x1b" not in text and "\x07" not in text and "pwned" not in text
        assert "503 BUY NOW AAAA" in text
        assert "A" * 100 not in text, "server text is cut short"
    assert "answered 503" in message and "PAYGAP_DATA_URL" in message


# --- the URL rule, on the first URL and every hop --------------------------------------


def _connections(monkeypatch) -> list:
    """Record every connection attempt, letting it go ahead."""
    made: list = []
    real = socket.socket.connect

    def connect(self, address):
        made.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return made


def test_a_backslash_userinfo_trick_is_refused_before_any_connection(monkeypatch, cold):
    made = _connections(monkeypatch)
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://evil.example\\@127.0.0.1:8000/")
    with pytest.raises(SettingsError, match="is not https"):
        fetch(SMALLEST.year, progressbar=False)
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://user:secret@127.0.0.1:8000/")
    with pytest.raises(SettingsError, match="contains a user name or password"):
        fetch(SMALLEST.year, progressbar=False)
    assert made == []


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example\\@127.0.0.1:{port}/x.csv",
        "http://user:pw@127.0.0.1:{port}/x.csv",
        "http://10.255.255.1/x.csv",
        "ftp://127.0.0.1:{port}/x.csv",
    ],
)
def test_a_redirect_to_a_refused_url_is_not_followed(monkeypatch, cold, tmp_path, target):
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(need_shared() / SMALLEST.file_name, served / "x.csv")
    with FileServer(served) as good:
        location = target.format(port=good.url.rsplit(":", 1)[1].strip("/"))
        with FaultServer("redirect", location=location) as hop:
            # The mirror is opted in to plain http; that must not extend to where it redirects.
            monkeypatch.setenv("PAYGAP_ALLOW_HTTP", "1")
            message, _ = _fetch_fails(monkeypatch, hop.url)
        assert sum(good.requests.values()) == 0
    assert "refused: A redirect to" in message and "redirected to" in message
    assert (_outside_private(cold), _partials(cold)) == ([], [])


def test_a_redirect_to_an_allowed_url_is_followed_and_checked(mirror, monkeypatch, cold):
    target = mirror.url + SMALLEST.file_name.replace(" ", "%20")
    with FaultServer("redirect", location=target) as hop:
        monkeypatch.setenv("PAYGAP_DATA_URL", hop.url)
        path = fetch(SMALLEST.year, progressbar=False)[SMALLEST.year]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SMALLEST.sha256


def test_a_redirect_loop_ends(monkeypatch, cold):
    with FaultServer("redirect", location="/again") as hop:
        message, _ = _fetch_fails(monkeypatch, hop.url)
        assert hop.requests == 6
    assert "redirected more than 5 times" in message


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


# --- verify tells local damage from a changed source -----------------------------------


def test_verify_blames_the_local_copy_and_check_remote_the_source(
    mirror, monkeypatch, cold, tmp_path
):
    path = fetch(SMALLEST.year, progressbar=False)[SMALLEST.year]
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))
    (local,) = verify(SMALLEST.year)
    assert local.status == "damaged"
    assert "changed on this computer" in local.message and "source is not to blame" in local.message
    assert f"fetch {SMALLEST.label}" in local.message and "refresh" not in local.message
    (remote,) = check_remote(SMALLEST.year)
    assert remote.status == "ok", "the source still serves the pinned bytes"
    served = tmp_path / "served"
    served.mkdir()
    (served / SMALLEST.file_name).write_bytes(bytes(data))
    with FileServer(served) as changed:
        monkeypatch.setenv("PAYGAP_DATA_URL", changed.url)
        (remote,) = check_remote(SMALLEST.year)
    assert remote.status == "changed" and "The source changed, not this computer" in remote.message


# --- the lock: who it waits for, and a holder that died --------------------------------


def _holder(folder: Path) -> subprocess.Popen:
    code = (
        "import time; from pathlib import Path\n"
        "from paygap_utils.data.datafolder import data_lock\n"
        f"with data_lock(Path({str(folder)!r})):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_waiting_process_says_who_holds_the_lock_and_gives_up(monkeypatch, tmp_path, caplog):
    folder = tmp_path / "data"
    monkeypatch.setenv("PAYGAP_LOCK_NOTICE", "0.3")
    monkeypatch.setenv("PAYGAP_LOCK_TIMEOUT", "1.5")
    holder = _holder(folder)
    try:
        holder.send_signal(signal.SIGSTOP)  # a notebook stopped in the middle of a download
        start = time.monotonic()
        with caplog.at_level(logging.WARNING, "paygap_utils"):
            with pytest.raises(DataFolderError) as caught, data_lock(folder):
                pass
        elapsed = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert 1.5 <= elapsed < 4
    waiting = [r.getMessage() for r in caplog.records if "is waiting" in r.getMessage()]
    assert waiting, "the wait is reported before giving up"
    for text in (waiting[0], str(caught.value)):
        assert f"process {holder.pid}" in text and "on this computer, since 20" in text
    assert "PAYGAP_LOCK_TIMEOUT" in str(caught.value) and str(folder) in str(caught.value)


def test_a_lock_whose_holder_died_is_taken_at_once(tmp_path, caplog):
    folder = tmp_path / "data"
    holder = _holder(folder)
    holder.kill()
    holder.wait()
    start = time.monotonic()
    with caplog.at_level(logging.INFO, "paygap_utils"), data_lock(folder):
        assert time.monotonic() - start < 1
    ended = [r.getMessage() for r in caplog.records if "ended without releasing" in r.getMessage()]
    assert ended and f"process {holder.pid}" in ended[0] and "which has ended" in ended[0]


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


def test_fetch_verify_check_remote_and_refresh_leave_other_files_alone(mirror, cold, tmp_path):
    files = _clutter(cold)
    files[OTHER_CACHE] = b"another environment's cleaned table"
    (cold / OTHER_CACHE).write_bytes(files[OTHER_CACHE])
    # Another program's live temporary file, open and being written while we work.
    with tempfile.NamedTemporaryFile(dir=cold, delete=False) as live:
        live.write(b"half of something")
        live.flush()
        fetch(SMALLEST.year, progressbar=False)
        fetch(progressbar=False)
        verify()
        check_remote(SMALLEST.year)
        assert (
            main(
                [
                    "refresh",
                    "-q",
                    "--dest",
                    str(cold),
                    "--from-url",
                    mirror.url,
                    "--output",
                    str(tmp_path / "m.json"),
                ]
            )
            == 0
        )
        assert main(["verify"]) == 0
        live.write(b", and the rest")
    assert Path(live.name).read_bytes() == b"half of something, and the rest"
    _unchanged(cold, files)
    ours = {f.file_name for f in MANIFEST.files} | {PRIVATE_DIR}
    assert set(_outside_private(cold)) | {PRIVATE_DIR} == ours | set(files) | {Path(live.name).name}
    assert _partials(cold) == []


def test_load_leaves_other_files_alone(mirror, cold):
    files = _clutter(cold)
    paygap_utils.load(progressbar=False, manifest=ONE_YEAR)
    paygap_utils.load(progressbar=False, manifest=ONE_YEAR)
    _unchanged(cold, files)
    assert _partials(cold) == []


def test_exports_leave_other_files_alone(mirror, cold):
    files = _clutter(cold)
    assert main(["sqlite", str(cold / "paygap.sqlite"), "-q"]) == 0
    assert main(["export", "--format", "csv", "-q"]) == 0
    assert main(["export", str(cold / "paygap.parquet"), "-q"]) == 0
    _unchanged(cold, files)
    assert _partials(cold) == []
    # A file of the same name that the library did not write is refused, not replaced.
    assert main(["sqlite", str(cold / "notes.txt"), "-q"]) == 2
    _unchanged(cold, files)


def test_load_leaves_another_environments_cache_alone(mirror, cold):
    cold.mkdir(parents=True)
    (cold / OTHER_CACHE).write_bytes(b"another environment's cleaned table")
    paygap_utils.load(progressbar=False, manifest=ONE_YEAR)
    assert (cold / OTHER_CACHE).read_bytes() == b"another environment's cleaned table"


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
        'echo "exit $status"; ls -A "$PAYGAP_DATA_DIR" "$PAYGAP_DATA_DIR/.paygap-tmp"\n'
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
    # Only the private subfolder is left, holding the lock and nothing half-written.
    listing = [line for line in lines[1:-1] if line and not line.endswith(":")]
    assert listing == [".paygap-tmp", "lock"], result.stdout
    assert int(lines[-1].split()[2]) < 64, "the partial download was removed"


def test_every_request_of_the_package_goes_through_the_network_module():
    import re

    package = REPO_ROOT / "paygap_utils"
    direct = re.compile(
        r"\brequests\.(get|head|post|request|Session)\b|urllib\.request|http\.client|urlopen"
        r"|pooch\.(retrieve|HTTPDownloader|create)\b|\bsocket\.(socket|create_connection)\b"
    )
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(package.glob("*.py"))
        if path.name != "network.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []
