"""Shared pieces of the benchmarks: the loopback mirror, the machine description, timing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.paths import REPO_ROOT as ROOT
from tests.paths import shared_dir
from tests.servers import FileServer

__all__ = ["ROOT", "FileServer", "mirror_folder", "machine", "best_of", "peak_rss_mb"]


def mirror_folder() -> Path:
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared/data/ukgpg is needed (or set PAYGAP_SHARED_DIR).")
    return shared / "data" / "ukgpg"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
        memory = f"{mem:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        memory = "unknown RAM"
    import pandas

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {memory}, "
        f"Python {platform.python_version()}, pandas {pandas.__version__}"
    )


def best_of(func: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """Return (median, min) wall seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def peak_rss_mb(code: str, env: dict[str, str] | None = None, output: bool = False):
    """Run ``code`` in a fresh interpreter and return its peak resident memory in MB.

    With ``output``, return ``(MB, the process's standard output)``.
    """
    # VmHWM, not ru_maxrss: ru_maxrss keeps the parent's peak across fork and exec.
    probe = code + (
        "\nfrom pathlib import Path\n"
        "print('PEAK', [l.split()[1] for l in Path('/proc/self/status').read_text().splitlines()"
        " if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("PEAK")][-1]
    peak = int(line.split()[1]) / 1024
    return (peak, out.stdout) if output else peak
