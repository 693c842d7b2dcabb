"""Measure every notebook: wall time and the kernel's peak memory, with a warm data cache.

Run from the repository folder: ``python -m bench.notebooks [notebook names]`` (needs
``../shared/data/ukgpg``, served on loopback here; every notebook by default). Each notebook
runs in a fresh kernel, as an attendee's would; the kernel's own peak resident memory
(``VmHWM``) is read by a cell appended to the notebook. The baseline, measured in the same
run, is an empty notebook that imports what every notebook imports and loads all years. Also
measured: JupyterLab's start-up until it answers, and a fresh kernel's first ``load()``.

Prints a Markdown section for ``docs/performance.md``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench._common import ROOT, FileServer, machine, mirror_folder

NOTEBOOKS = ROOT / "notebooks"
BUDGET_S, BUDGET_MB, SUITE_S = 30, 350, 120
PEAK_CELL = (
    "from pathlib import Path as _P\n"
    "print('PEAK_KB', [l.split()[1] for l in _P('/proc/self/status').read_text().splitlines()"
    " if l.startswith('VmHWM')][0])"
)
BASELINE = [
    "import paygap_utils\nfrom paygap_utils import plots\nimport matplotlib.pyplot as plt\n"
    "import pandas as pd\nplots.use_style()",
    "df = paygap_utils.load(progressbar=False)\nlen(df)",
]


def run(notebook, name: str) -> tuple[float, float]:
    import nbformat
    from nbclient import NotebookClient

    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    peak_kb = int(text.split("PEAK_KB")[1].split()[0])
    return seconds, peak_kb / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_start_seconds() -> float:
    port = free_port()
    start = time.perf_counter()
    lab = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--IdentityProvider.token=bench",
            f"--notebook-dir={ROOT}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=bench", timeout=1)
                return time.perf_counter() - start
            except OSError:
                if lab.poll() is not None or time.perf_counter() - start > 120:
                    raise
                time.sleep(0.1)
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def _arguments():
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bench.notebooks",
        description="Time and kernel peak memory of each notebook, against a baseline kernel.",
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run, e.g. 07_model (default: all of them)"
    )
    return parser.parse_args()


def main() -> None:
    chosen = set(_arguments().notebooks)
    import nbformat

    import paygap_utils

    with FileServer(mirror_folder()) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["PAYGAP_DATA_URL"] = server.url
        os.environ["PAYGAP_DATA_DIR"] = tmp
        paygap_utils.load(progressbar=False)  # warm cache, as on Binder after postBuild

        baseline = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in BASELINE])
        base_s, base_mb = run(baseline, "baseline")
        results = []
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            if chosen and path.name not in chosen and path.stem not in chosen:
                continue
            seconds, mb = run(nbformat.read(path, as_version=4), path.name)
            results.append((path.name, seconds, mb))
            print(f"  {path.name}: {seconds:.1f} s, {mb:.0f} MB", file=sys.stderr)
        lab_s = lab_start_seconds() if not chosen else float("nan")

    total = sum(s for _, s, _ in results)
    print(f"Machine: {machine()}")
    print()
    print("| notebook | seconds | x baseline | kernel peak MB | x baseline |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| baseline: imports + `load()` | {base_s:.1f} | 1.0 | {base_mb:.0f} | 1.0 |")
    for name, seconds, mb in results:
        flag = "" if seconds < BUDGET_S and mb < BUDGET_MB else " **over budget**"
        print(
            f"| `{name}`{flag} | {seconds:.1f} | {seconds / base_s:.1f} | {mb:.0f} | "
            f"{mb / base_mb:.2f} |"
        )
    print()
    print(
        f"Whole suite: {total:.0f} s in sequence (budget {SUITE_S} s); slowest notebook "
        f"{max(s for _, s, _ in results):.1f} s (budget {BUDGET_S} s); largest kernel "
        f"{max(m for *_, m in results):.0f} MB (budget {BUDGET_MB} MB)."
    )
    print()
    print(
        f"JupyterLab start-up until its API answers: {lab_s:.1f} s. A fresh kernel's imports and "
        f"warm `load()`: {base_s:.1f} s."
    )


if __name__ == "__main__":
    main()
