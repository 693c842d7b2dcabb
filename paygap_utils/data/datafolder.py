"""The library's own corner of a data folder: its lock, its partial files, and their clean-up.

A data folder may be shared with anything (``PAYGAP_DATA_DIR`` can point at a
home folder), so the library writes only three kinds of thing there: the data
files named in the manifest, the cleaned-table cache, and whatever is inside
:data:`PRIVATE_DIR`. That subfolder holds the lock, a note of who holds it,
partial downloads, and empty marks of the manifest texts that have passed the schema
(:mod:`paygap_utils.data.manifest`). A partial file's name carries its writer's computer and
process id, so a file left by a killed process can be told from a live download
of another one; clean-up never looks outside the subfolder and removes only such
orphans.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from ..errors import DataFolderError
from .settings import DATA_DIR_ENV, LOCK_NOTICE_ENV, LOCK_TIMEOUT_ENV, seconds

__all__ = [
    "process_running",
    "PRIVATE_DIR",
    "data_lock",
    "partial_file",
    "remove_orphans",
    "folder_error",
]

_logger = logging.getLogger("paygap_utils")

#: The subfolder of a data folder that belongs to the library alone.
PRIVATE_DIR = ".paygap-tmp"
_LOCK_FILE = "lock"
_OWNER_FILE = "lock-owner.json"
#: A partial file from another computer is an orphan once untouched for this long (seconds).
_ORPHAN_AGE = 24 * 3600
_PARTIAL = re.compile(r"^(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}-.+\.partial$")
# How often a waiting process says again that it is still waiting (seconds).
_REMIND_EVERY = 30.0


def _host_id() -> str:
    # A short digest, not the name itself: host names may hold characters unfit for a file name.
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def process_running(pid: int) -> bool:
    """Whether process ``pid`` still runs on this computer (always True on Windows).

    On Windows ``os.kill(pid, 0)`` would end the process, so there a file's writer is
    taken to be alive and its age decides instead.

    Examples
    --------
    >>> import os
    >>> from paygap_utils.data.datafolder import process_running
    >>> process_running(os.getpid())
    True
    """
    if os.name == "nt":
        return True  # os.kill(pid, 0) would stop the process there: rely on the file's age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def folder_error(folder: Path, exc: OSError, doing: str) -> DataFolderError:
    """Turn an ``OSError`` met while writing in ``folder`` into an instruction.

    Parameters
    ----------
    folder : Path
        The data folder.
    exc : OSError
        What the operating system said.
    doing : str
        What needed to write, e.g. ``"Downloading 2019-20"``.

    Returns
    -------
    DataFolderError

    Examples
    --------
    >>> import errno
    >>> from pathlib import Path
    >>> from paygap_utils.data.datafolder import folder_error
    >>> full = OSError(errno.ENOSPC, "No space left on device")
    >>> error = folder_error(Path("/data"), full, "Downloading 2019-20")
    >>> "disk holding /data is full" in str(error)
    True
    """
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DataFolderError(
            f"{doing} failed: the disk holding {folder} is full. Nothing half-written was kept. "
            f"Free some space (the data needs about 40 MB), or set {DATA_DIR_ENV} to a folder on "
            "another disk, and run the command again."
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DataFolderError(
            f"{doing} needs to write in the data folder {folder}, which is read-only for you "
            f"({exc.strerror}). Set {DATA_DIR_ENV} to a folder you can write to (e.g. "
            f"export {DATA_DIR_ENV}=~/paygap-data) and run the command again."
        )
    return DataFolderError(
        f"{doing} could not write in the data folder {folder}: {exc.strerror or exc}. Check "
        f"the folder, or set {DATA_DIR_ENV} to another one, and run the command again."
    )


def _private(folder: Path, doing: str) -> Path:
    private = folder / PRIVATE_DIR
    try:
        private.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(folder, exc, doing) from None
    return private


@contextlib.contextmanager
def partial_file(folder: Path, name: str, doing: str = "Writing") -> Iterator[Path]:
    """Yield a fresh path in the private subfolder for a file that becomes ``name`` when done.

    The caller writes there and moves the file into place (``os.replace``) once it
    is complete; whatever is still at the path on exit is removed, so an error
    never leaves a partial file behind.

    Parameters
    ----------
    folder : Path
        The data folder (or any folder the library writes into, e.g. refresh's ``--dest``).
    name : str
        The final file name, kept in the partial name for whoever looks.
    doing : str
        What is being written, for the message if the folder cannot be written.

    Yields
    ------
    pathlib.Path

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.datafolder import partial_file
    >>> folder = Path(tempfile.mkdtemp())
    >>> with partial_file(folder, "a.csv") as partial:
    ...     _ = partial.write_text("x")
    ...     os.replace(partial, folder / "a.csv")
    >>> sorted(p.name for p in folder.iterdir())
    ['.paygap-tmp', 'a.csv']
    """
    private = _private(folder, doing)
    path = private / f"{_host_id()}-{os.getpid()}-{secrets.token_hex(4)}-{name}.partial"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def remove_orphans(folder: Path) -> list[Path]:
    """Remove partial files in the private subfolder whose writer has gone.

    A partial file is an orphan if the process named in it no longer runs on
    this computer, or if it has not been touched for a day (another computer's
    file in a shared network folder; no download lives that long). Nothing else
    is touched, inside or outside the subfolder.

    Returns
    -------
    list of Path
        The files removed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.datafolder import PRIVATE_DIR, remove_orphans
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / PRIVATE_DIR).mkdir()
    >>> _ = (folder / PRIVATE_DIR / "notes.txt").write_text("not ours")
    >>> remove_orphans(folder)
    []
    """
    private = folder / PRIVATE_DIR
    if not private.is_dir():
        return []
    here = _host_id()
    removed = []
    for path in private.iterdir():
        match = _PARTIAL.match(path.name)
        if match is None or not path.is_file() or path.is_symlink():
            continue
        # A reused process id only delays the clean-up: the age rule catches it.
        writer_gone = match["host"] == here and not process_running(int(match["pid"]))
        orphan = writer_gone or time.time() - path.stat().st_mtime > _ORPHAN_AGE
        if orphan:
            _logger.info("Removing %s, left by an interrupted download.", path)
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _read_owner(private: Path) -> dict | None:
    try:
        owner = json.loads((private / _OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _describe(owner: dict | None) -> str:
    if not owner:
        return "another process (it has not said which)"
    pid = owner.get("pid")
    since = owner.get("since", "an unknown time")
    what = f"process {pid} ({owner.get('command', 'python')})"
    if owner.get("host") != _host_id():
        return f"{what} on {owner.get('hostname', 'another computer')}, since {since}"
    if isinstance(pid, int) and not process_running(pid):
        return f"{what}, which has ended (it took the lock at {since})"
    return f"{what} on this computer, since {since}"


def _command() -> str:
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if "ipykernel" in program:
        return "a notebook kernel"
    return " ".join([program, *sys.argv[1:3]])


def _write_owner(private: Path) -> None:
    owner = {
        "pid": os.getpid(),
        "host": _host_id(),
        "hostname": socket.gethostname(),
        "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": _command(),
    }
    note = private / f"{_OWNER_FILE}.{os.getpid()}"
    note.write_text(json.dumps(owner), encoding="utf-8")
    os.replace(note, private / _OWNER_FILE)


@contextlib.contextmanager
def data_lock(folder: Path, doing: str = "Downloading the data") -> Iterator[Path]:
    """Hold the data folder's lock, creating the folder; clean up orphaned partial files.

    A process that has to wait says so after ``$PAYGAP_LOCK_NOTICE`` seconds
    (default 5), naming the process that holds the lock and since when, and
    again every 30 s; it gives up after ``$PAYGAP_LOCK_TIMEOUT`` seconds (default
    900). The operating system releases the lock of a process that dies, so a
    killed holder never blocks anyone; its note and partial files are cleaned up
    by the next holder.

    Parameters
    ----------
    folder : Path
        The data folder.
    doing : str
        What the lock is for, for the messages.

    Yields
    ------
    pathlib.Path
        The data folder.

    Raises
    ------
    DataFolderError
        If the folder cannot be written, or the lock is held for too long.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils.data.datafolder import data_lock
    >>> with data_lock(Path(tempfile.mkdtemp()) / "data") as folder:
    ...     (folder / ".paygap-tmp" / "lock").is_file()
    True
    """
    from filelock import FileLock, Timeout

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(folder, exc, doing) from None
    private = _private(folder, doing)
    limit, notice = seconds(LOCK_TIMEOUT_ENV), seconds(LOCK_NOTICE_ENV)
    lock = FileLock(str(private / _LOCK_FILE))
    start = time.monotonic()
    next_notice = start + notice
    while True:
        now = time.monotonic()
        try:
            lock.acquire(timeout=max(0.0, min(next_notice, start + limit) - now))
            break
        except Timeout:
            pass
        except OSError as exc:
            raise folder_error(folder, exc, doing) from None
        waited = time.monotonic() - start
        holder = _describe(_read_owner(private))
        if waited >= limit:
            raise DataFolderError(
                f"{doing} gave up after waiting {waited:.0f} s for the data folder {folder}, "
                f"whose lock is held by {holder}. If that process is stuck (a stopped notebook "
                "or terminal), stop it or restart its kernel and run the command again; "
                f"${LOCK_TIMEOUT_ENV} sets how long to wait."
            )
        _logger.warning(
            "%s is waiting (%.0f s so far) for the data folder %s, which is in use by %s.",
            doing,
            waited,
            folder,
            holder,
        )
        next_notice = time.monotonic() + _REMIND_EVERY
    try:
        previous = _read_owner(private)
        if previous is not None:
            _logger.info(
                "The last holder of the lock on %s, %s, ended without releasing it; cleaning up "
                "after it.",
                folder,
                _describe(previous),
            )
        try:
            _write_owner(private)
        except OSError as exc:
            raise folder_error(folder, exc, doing) from None
        remove_orphans(folder)
        yield folder
    finally:
        with contextlib.suppress(OSError):
            (private / _OWNER_FILE).unlink(missing_ok=True)
        lock.release()
