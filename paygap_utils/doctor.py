"""``doctor``: everything an event helper needs to see to sort out an attendee's set-up."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

from .data.cache import cache_path
from .data.download import file_url, verify
from .data.manifest import read_manifest
from .data.network import probe
from .data.settings import DATA_DIR_ENV, DATA_URL_ENV, data_dir, mirror_url
from .errors import SettingsError

__all__ = ["doctor", "report"]

_PACKAGES = (
    "paygap-utils",
    "pandas",
    "numpy",
    "pyarrow",
    "pooch",
    "requests",
    "matplotlib",
    "seaborn",
    "scikit-learn",
)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def _memory() -> str:
    """Total and available memory, and the container's limit where there is one (Binder)."""
    parts = []
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = int(info["MemTotal"].split()[0]) * 1024
        available = int(info["MemAvailable"].split()[0]) * 1024
        parts.append(f"{_gib(available)} available of {_gib(total)}")
    except (OSError, KeyError, ValueError):
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
            parts.append(f"{_gib(total)} in total")
        except (AttributeError, ValueError, OSError):
            parts.append("unknown")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limit = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if limit.isdigit() and int(limit) < 2**60:
            parts.append(f"container limit {_gib(int(limit))}")
        break
    return ", ".join(parts)


def report(check_network: bool = True) -> list[str]:
    """Return the lines of the ``doctor`` report.

    Parameters
    ----------
    check_network : bool
        Also try the first file's URL (a HEAD request through the package's
        network rules, bounded by ``PAYGAP_CONNECT_TIMEOUT`` and ``PAYGAP_READ_TIMEOUT``).

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
    manifest = read_manifest()
    folder = data_dir()
    lines = [
        "paygap_utils doctor",
        f"  python        {sys.version.split()[0]} ({platform.platform()})",
    ]
    lines += [f"  {name:<13} {_version(name)}" for name in _PACKAGES]
    lines.append(f"  memory        {_memory()}")
    source = f"${DATA_DIR_ENV}" if os.environ.get(DATA_DIR_ENV) else "default"
    lines.append(f"  data folder   {folder} ({source})")
    existing = folder if folder.exists() else next(p for p in folder.parents if p.exists())
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
        lines.append(f"  first URL     {first}")
        lines.append(f"                {probe(first)}")
    lines.append("  files")
    statuses = verify(manifest=manifest)
    for status in statuses:
        state = {
            "ok": "ok, checksum verified",
            "missing": "not downloaded",
            "damaged": "DAMAGED (changed since it was downloaded)",
        }[status.status]
        lines.append(f"    {status.entry.label}  {state}")
    cached = cache_path(folder, manifest).is_file()
    lines.append(
        f"  clean table   {'cached' if cached else 'not built yet (first load() builds it)'}"
    )
    problems = [s.message for s in statuses if s.status != "ok"]
    lines.append("  verdict       " + ("all good" if not problems else problems[0]))
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
