"""``doctor``: everything an event helper needs to see to sort out an attendee's set-up."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

from .data import fetch as fetching
from .data.cache import cache_path
from .data.manifest import read_manifest
from .errors import SettingsError

__all__ = ["doctor"]

_PACKAGES = ("paygap-utils", "pandas", "numpy", "pyarrow", "pooch", "requests", "matplotlib")
_STATES = dict(ok="ok, checksum verified", missing="not downloaded", damaged="NOT the pinned copy")


def _version(package: str) -> str:
    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version(package)
    return "not installed"


def _memory() -> str:
    """Available and total memory, and the container's limit where there is one (Binder)."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        free, total = (int(info[key].split()[0]) / 2**20 for key in ("MemAvailable", "MemTotal"))
        text = f"{free:.1f} GiB available of {total:.1f} GiB"
    except (OSError, KeyError, ValueError):
        text = "unknown"
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError):
            limit = Path(limit_file).read_text().strip()
            if limit.isdigit() and int(limit) < 2**60:
                text += f", container limit {int(limit) / 2**30:.1f} GiB"
            break
    return text


def doctor(check_network: bool = True) -> None:
    """Print a report of this set-up: versions, memory, data folder, mirror, each file's state.

    What an event helper asks an attendee to run (or ``python -m paygap_utils doctor``).

    Parameters
    ----------
    check_network : bool
        Also ask the first file's server for its headers (at most ``fetch.TIMEOUT`` long).

    Examples
    --------
    >>> import paygap_utils
    >>> paygap_utils.doctor(check_network=False)  # doctest: +ELLIPSIS
    paygap_utils doctor
    ...
    """
    manifest, folder = read_manifest(), fetching.data_dir()
    source = f"${fetching.DATA_DIR_ENV}" if os.environ.get(fetching.DATA_DIR_ENV) else "default"
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    lines = [
        "paygap_utils doctor",
        f"  python        {sys.version.split()[0]} ({platform.platform()})",
        *(f"  {name:<13} {_version(name)}" for name in _PACKAGES),
        f"  memory        {_memory()}",
        f"  data folder   {folder} ({source})",
        f"  free space    {shutil.disk_usage(existing).free / 2**30:.1f} GiB",
    ]
    try:
        mirror = fetching.mirror_url()
    except SettingsError as exc:
        lines.append(f"  mirror        UNUSABLE: {exc}")
        check_network = False
    else:
        lines.append(f"  mirror        {mirror or f'none (${fetching.DATA_URL_ENV} not set)'}")
    if check_network:
        import requests

        first = fetching.file_url(manifest.files[0])
        try:
            answer = requests.head(first, timeout=fetching.TIMEOUT, allow_redirects=True)
            answer.raise_for_status()
            reached = f"reachable (HTTP {answer.status_code})"
        except requests.exceptions.RequestException as exc:
            reached = f"NOT reachable ({fetching._problem(exc)})"
        lines += [f"  first URL     {first}", f"                {reached}"]
    statuses = fetching.verify(manifest=manifest)
    lines += ["  files", *(f"    {s.entry.label}  {_STATES[s.status]}" for s in statuses)]
    cached = "cached" if cache_path(folder, manifest) else "not built yet (first load() builds it)"
    lines.append(f"  clean table   {cached}")
    problems = [s.message for s in statuses if s.status != "ok"]
    lines.append("  verdict       " + (problems[0] if problems else "all good"))
    print("\n".join(lines))
