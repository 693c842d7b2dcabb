"""``doctor``: everything an event helper needs to see to sort out an attendee's set-up."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

from .data.cache import cache_path
from .data.fetch import DATA_DIR_ENV, DATA_URL_ENV, TIMEOUT, data_dir, file_url, mirror_url, verify
from .data.manifest import read_manifest
from .errors import SettingsError

__all__ = ["doctor", "report"]

_PACKAGES = ("paygap-utils", "pandas", "numpy", "pyarrow", "pooch", "requests", "matplotlib")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def _memory() -> str:
    """Available and total memory, and the container's limit where there is one (Binder)."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        kib = {key: int(info[key].split()[0]) * 1024 for key in ("MemAvailable", "MemTotal")}
        parts = [f"{_gib(kib['MemAvailable'])} available of {_gib(kib['MemTotal'])}"]
    except (OSError, KeyError, ValueError):
        parts = ["unknown"]
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit() and int(limit) < 2**60:
            parts.append(f"container limit {_gib(int(limit))}")
        break
    return ", ".join(parts)


def _probe(url: str) -> str:
    """Ask the server for ``url``'s headers, and say in words how that went."""
    import requests

    from .data.fetch import _problem, _server_text

    try:
        answer = requests.head(url, timeout=TIMEOUT, allow_redirects=True)
    except requests.exceptions.RequestException as exc:
        return f"NOT reachable ({_problem(exc)})"
    if answer.ok:
        return f"reachable (HTTP {answer.status_code})"
    reason = _server_text(answer.reason, 80)
    return f"NOT reachable (the server answered {answer.status_code} {reason})"


def report(check_network: bool = True) -> list[str]:
    """Return the lines of the ``doctor`` report.

    Parameters
    ----------
    check_network : bool
        Also ask the server of the first file for its headers (waiting at most
        :data:`paygap_utils.data.fetch.TIMEOUT`).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from paygap_utils.doctor import report
    >>> lines = report(check_network=False)
    >>> lines[0].startswith("paygap_utils doctor")
    True
    """
    manifest, folder = read_manifest(), data_dir()
    source = f"${DATA_DIR_ENV}" if os.environ.get(DATA_DIR_ENV) else "default"
    lines = [
        "paygap_utils doctor",
        f"  python        {sys.version.split()[0]} ({platform.platform()})",
        *(f"  {name:<13} {_version(name)}" for name in _PACKAGES),
        f"  memory        {_memory()}",
        f"  data folder   {folder} ({source})",
    ]
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    lines.append(f"  free space    {_gib(shutil.disk_usage(existing).free)}")
    try:
        mirror = mirror_url()
    except SettingsError as exc:
        lines.append(f"  mirror        UNUSABLE: {exc}")
        check_network = False
    else:
        lines.append(f"  mirror        {mirror or f'none (${DATA_URL_ENV} not set)'}")
    if check_network:
        first = file_url(manifest.files[0])
        lines += [f"  first URL     {first}", f"                {_probe(first)}"]
    statuses = verify(manifest=manifest)
    states = {
        "ok": "ok, checksum verified",
        "missing": "not downloaded",
        "damaged": "NOT the pinned copy",
    }
    lines += ["  files", *(f"    {s.entry.label}  {states[s.status]}" for s in statuses)]
    cached = cache_path(folder, manifest) is not None
    lines.append(
        f"  clean table   {'cached' if cached else 'not built yet (first load() builds it)'}"
    )
    problems = [s.message for s in statuses if s.status != "ok"]
    lines.append("  verdict       " + (problems[0] if problems else "all good"))
    return lines


def doctor(check_network: bool = True) -> None:
    """Print a report of this set-up: versions, memory, data folder, mirror, each file's state.

    This is what an event helper asks an attendee to run, in a notebook
    (``paygap_utils.doctor()``) or a terminal (``python -m paygap_utils doctor``).

    Examples
    --------
    >>> import paygap_utils
    >>> paygap_utils.doctor(check_network=False)  # doctest: +ELLIPSIS
    paygap_utils doctor
    ...
    """
    print("\n".join(report(check_network)))
