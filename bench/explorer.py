"""Measure the employer explorer: its index, each kind of search, a profile, and the app itself.

Run from the repository folder: ``python -m bench.explorer`` (needs ``../shared/data/ukgpg``,
and for the app Debian's Chromium; ``--no-browser`` leaves the app out). Prints a Markdown
section for ``docs/performance.md``. The targets: a profile shown within a second of picking
an employer, and the app usable within 5 seconds of opening it. The app is timed in
Chromium against a baseline measured in the same run: Voila serving a notebook of one cell
that prints a word (the server, a kernel and the page, nothing of the explorer's).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import ROOT, FileServer, best_of, machine, mirror_folder

#: One query of each kind an attendee types.
QUERIES = {
    "a name, a few matches": "tesco",
    "initials": "BBC",
    "an apostrophe left out": "sainsburys",
    "a typo": "Tecso",
    "a common word, thousands of matches": "limited",
    "a company number without its zeros": "519500",
    "one letter": "a",
    "a former name": "2 sisters red meat",
    "no match": "qzxwv bloop",
}
OPENINGS = 3
PICKS = 5
SEARCH = 'input[placeholder="Employer name or company number"]'
SHOWN = """([name, before]) => {
    const heading = document.querySelector('.widget-html h2');
    const img = document.querySelector('.widget-image');
    return heading && heading.textContent === name && img && img.complete
        && img.naturalWidth > 0 && img.src !== before;
}"""


def _worst_of(func, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def _library(df) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from paygap_utils.explorer import EmployerIndex, plot_profile

    builds = []
    for _ in range(3):
        start = time.perf_counter()
        index = EmployerIndex(df)
        builds.append(time.perf_counter() - start)
    rows = []
    for kind, query in QUERIES.items():
        median, worst = _worst_of(lambda q=query: index.search(q))
        rows.append((kind, query, index.search(query).attrs["total"], median, worst))
    key = index.search("tesco").loc[0, "key"]
    profile_median, _ = best_of(lambda: index.profile(key), repeat=20)

    def drawn() -> None:
        fig = plot_profile(index.profile(key), index)
        fig.savefig(io.BytesIO(), format="png", dpi=80, bbox_inches=fig.bbox_inches)
        plt.close(fig)

    draw_median, draw_best = best_of(drawn, repeat=5)
    lines = [
        f"- Building the index of {len(index):,} employers: {statistics.median(builds):.2f} s "
        f"(median of 3; once per session).",
        f"- One employer's profile: {profile_median * 1000:.1f} ms; its chart drawn as the app "
        f"draws it (PNG, 80 dpi): {draw_median:.2f} s (fastest {draw_best:.2f} s).",
        "",
        "| search | query | matches | median | slowest of 20 |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for kind, query, total, median, worst in rows:
        lines.append(
            f"| {kind} | `{query}` | {total:,} | {median * 1000:.1f} ms | {worst * 1000:.1f} ms |"
        )
    slowest = max(row[4] for row in rows)
    lines.append(f"\nSlowest search: {slowest * 1000:.0f} ms.")
    return lines


def _voila(notebook: Path, cwd: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "JUPYTER_PATH": str(ROOT / "share" / "jupyter")}
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}"]
    process = subprocess.Popen(
        [*command, "--Voila.ip=127.0.0.1"], cwd=cwd, env=env, stdout=log.open("w"), stderr=-2
    )
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.25)
    process.terminate()
    raise SystemExit(f"voila did not start; see {log}")


def _app(folder: Path) -> list[str]:
    from tests.chromium import launched, sync_api

    api = sync_api()
    baseline_nb = folder / "baseline.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": 'print("ready")'}
    cell["execution_count"] = None
    baseline_nb.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    timings: dict[str, list[float]] = {"baseline": [], "usable": [], "pick": [], "search": []}
    servers = [
        _voila(baseline_nb, folder, folder / "baseline.log"),
        _voila(ROOT / "notebooks" / "explorer.ipynb", ROOT, folder / "explorer.log"),
    ]
    try:
        with launched(api) as browser:
            # Baseline and explorer in turn, so that a change in the machine's load between
            # openings touches both alike.
            for opening in range(OPENINGS):
                for (_, url), name in zip(servers, ("baseline", "usable"), strict=True):
                    page = browser.new_page(viewport={"width": 1280, "height": 1600})
                    page.set_default_timeout(120_000)
                    start = time.perf_counter()
                    page.goto(url, wait_until="commit")
                    if name == "baseline":
                        page.wait_for_selector("text=ready")
                    else:
                        page.wait_for_function(SHOWN, arg=["TESCO STORES LIMITED", ""])
                    timings[name].append(time.perf_counter() - start)
                    if name == "usable" and opening == 0:
                        _picks_and_searches(page, timings)
                    page.close()
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(30)
    base, usable = statistics.median(timings["baseline"]), statistics.median(timings["usable"])
    pick, search = timings["pick"], timings["search"]
    return [
        f"- Opening the app until it is usable (the search box and the first profile shown): "
        f"median {usable:.1f} s of {OPENINGS} openings (slowest {max(timings['usable']):.1f} s); "
        f"the one-cell baseline {base:.1f} s, so {usable / base:.1f}x the baseline and "
        f"{usable - base:.1f} s of the explorer's own work. Target 5 s: "
        f"{'met' if usable < 5 else 'NOT met'}.",
        f"- Picking an employer from the list until its profile is shown: median "
        f"{statistics.median(pick):.2f} s, slowest {max(pick):.2f} s of {len(pick)}. "
        f"Target 1 s: {'met' if max(pick) < 1 else 'NOT met'}.",
        f"- Typing a search and pressing Enter until the best match's profile is shown: median "
        f"{statistics.median(search):.2f} s, slowest {max(search):.2f} s of {len(search)}.",
    ]


def _picks_and_searches(page, timings: dict[str, list[float]]) -> None:
    picker = ".widget-select select"
    for i in range(1, PICKS + 1):
        label = page.locator(f"{picker} option").nth(i).text_content().replace("\xa0", " ")
        name = label.split(" (")[0]
        before = page.get_attribute(".widget-image", "src")
        start = time.perf_counter()
        page.select_option(picker, index=i)
        page.wait_for_function(SHOWN, arg=[name, before])
        timings["pick"].append(time.perf_counter() - start)
    for query, name in [
        ("BBC", "BRITISH BROADCASTING CORPORATION"),
        ("Tecso", "TESCO STORES LIMITED"),
    ]:
        before = page.get_attribute(".widget-image", "src")
        start = time.perf_counter()
        page.fill(SEARCH, query)
        page.press(SEARCH, "Enter")
        page.wait_for_function(SHOWN, arg=[name, before])
        timings["search"].append(time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-browser", action="store_true", help="leave the app out")
    args = parser.parse_args(argv)
    import paygap_utils

    with FileServer(mirror_folder()) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(PAYGAP_DATA_URL=server.url, PAYGAP_DATA_DIR=tmp)
        df = paygap_utils.load(progressbar=False)  # the cache the app's kernels then read
        lines = _library(df)
        if not args.no_browser:
            folder = Path(tmp) / "app"
            folder.mkdir()
            lines += ["", *_app(folder)]
            shutil.rmtree(folder, ignore_errors=True)
    load = os.getloadavg()[0]
    print("## Employer explorer: `bench/explorer.py`\n")
    print(f"Measured on {machine()}, all {df['year'].nunique()} years ({len(df):,} rows); ")
    print(f"load average {load:.1f} when it finished.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
