"""Measure the employer explorer: building its index, and each kind of search, on all years.

Run from the repository folder: ``python -m bench.explorer`` (needs
``../shared/data/ukgpg``). Prints a Markdown section for ``docs/performance.md``. The
target: every search answers in under a second.
"""

from __future__ import annotations

import os
import tempfile
import time

from bench._common import FileServer, best_of, machine, mirror_folder

#: One query of each kind an attendee types: a few matches, thousands, a company number
#: (with and without its zeros), one letter, a former name, and nothing at all.
QUERIES = {
    "a name, a few matches": "tesco",
    "a common word, thousands of matches": "limited",
    "a company number": "00519500",
    "a company number without its zeros": "519500",
    "a letter and digits number": "SC173199",
    "one letter": "a",
    "a former name": "2 sisters red meat",
    "no match": "no employer has this name",
}


def main() -> None:
    import paygap_utils
    from paygap_utils.explorer import EmployerIndex

    with FileServer(mirror_folder()) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(PAYGAP_DATA_URL=server.url, PAYGAP_DATA_DIR=tmp)
        df = paygap_utils.load(progressbar=False)
        start = time.perf_counter()
        index = EmployerIndex(df)
        build = time.perf_counter() - start
        rows = []
        for kind, query in QUERIES.items():
            median, worst = _worst_of(lambda q=query: index.search(q))
            rows.append((kind, query, index.search(query).attrs["total"], median, worst))
        key = index.search("tesco stores").loc[0, "key"]
        profile_median, _ = best_of(lambda: index.profile(key), repeat=20)

    print("## Employer explorer: `bench/explorer.py`\n")
    print(f"Measured on {machine()}, all {df['year'].nunique()} years ({len(df):,} rows).\n")
    print(f"- Building the index of {len(index):,} employers: {build:.2f} s (once per session).")
    print(f"- One employer's profile: {profile_median * 1000:.1f} ms (median of 20).\n")
    print("| search | query | matches | median | slowest of 20 |")
    print("| --- | --- | ---: | ---: | ---: |")
    for kind, query, total, median, worst in rows:
        print(
            f"| {kind} | `{query}` | {total:,} | {median * 1000:.1f} ms | {worst * 1000:.1f} ms |"
        )
    slowest = max(row[4] for row in rows)
    verdict = "under" if slowest < 1 else "OVER"
    print(f"\nSlowest search: {slowest * 1000:.0f} ms, {verdict} the one-second target.")


def _worst_of(func, repeat: int = 20) -> tuple[float, float]:
    import statistics

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


if __name__ == "__main__":
    main()
