"""Measure the data layer: cold fetch, warm load() against a naive read, import cost, memory.

Run: ``python bench/data_layer.py`` (needs ``../shared/data/ukgpg``). Prints a Markdown
section for ``docs/performance.md``. Every ratio compares two things measured in this run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, FileServer, best_of, machine, mirror_folder, peak_rss_mb


def main() -> None:
    import pandas as pd

    import paygap_utils
    from paygap_utils.manifest import read_manifest

    folder = mirror_folder()
    manifest = read_manifest()
    raw_paths = [folder / f.file_name for f in manifest.files]
    rows = []

    with FileServer(folder) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["PAYGAP_DATA_URL"] = server.url
        os.environ["PAYGAP_DATA_DIR"] = tmp

        start = time.perf_counter()
        paygap_utils.fetch(progressbar=False)
        fetch_s = time.perf_counter() - start
        start = time.perf_counter()
        statuses = paygap_utils.verify()
        verify_s = time.perf_counter() - start
        assert all(s.status == "ok" for s in statuses)
        start = time.perf_counter()
        table = paygap_utils.load(progressbar=False)
        build_s = time.perf_counter() - start

        def naive() -> None:
            for path in raw_paths:
                pd.read_csv(path)

        warm, warm_min = best_of(lambda: paygap_utils.load(progressbar=False), repeat=7)
        base, base_min = best_of(naive, repeat=7)
        rows.append(("cold: download 6 files over loopback + verify", fetch_s))
        rows.append(("re-hash all 6 files (`verify`)", verify_s))
        rows.append(("cold: parse, clean and cache all years (first `load()`)", build_s))

        env = {"PAYGAP_DATA_URL": server.url, "PAYGAP_DATA_DIR": tmp}
        peak_load = peak_rss_mb("import paygap_utils; paygap_utils.load(progressbar=False)", env)
        peak_base = peak_rss_mb("import pandas, pyarrow.parquet", env)
        with tempfile.TemporaryDirectory() as cold_dir:
            peak_cold = peak_rss_mb(
                "import paygap_utils; paygap_utils.load(progressbar=False)",
                {**env, "PAYGAP_DATA_DIR": cold_dir},
            )

    imported = subprocess.run(
        [sys.executable, "-c", "import sys, paygap_utils; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    heavy = sorted(
        {m.split(".")[0] for m in imported} & {"matplotlib", "seaborn", "sklearn", "pandas"}
    )
    import_s, _ = best_of(
        lambda: subprocess.run([sys.executable, "-c", "import paygap_utils"], check=True), repeat=5
    )
    python_s, _ = best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)

    print(f"Machine: {machine()}")
    print(
        f"Rows: {len(table):,}; data: {sum(f.size for f in manifest.files) / 1e6:.1f} MB in 6 CSVs"
    )
    print()
    print("| measurement | seconds |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    print(f"| warm `load()` of all years (median of 7) | {warm:.3f} |")
    print(
        "| baseline: naive `pd.read_csv` of the 6 raw files, no cleaning (median of 7) | "
        f"{base:.3f} |"
    )
    print()
    print(
        f"Warm `load()` is **{base / warm:.1f}x faster** than the naive read (target: at least 2x)."
    )
    print()
    print("| memory (peak RSS of a fresh process) | MB |")
    print("| --- | ---: |")
    print(f"| baseline: `import pandas, pyarrow.parquet` | {peak_base:.0f} |")
    print(f"| warm `load()` of all years | {peak_load:.0f} |")
    print(f"| cold `load()`: parse and clean all 6 CSVs, write the cache | {peak_cold:.0f} |")
    print()
    print(
        f"Peak of a full `load()`: {max(peak_load, peak_cold):.0f} MB (target: under 300 MB), "
        f"{max(peak_load, peak_cold) / peak_base:.1f}x the pandas-import baseline."
    )
    print()
    print(
        f"`import paygap_utils`: {import_s * 1000:.0f} ms against {python_s * 1000:.0f} ms for a "
        "bare "
        f"interpreter ({import_s / python_s:.1f}x); heavy modules imported: {heavy or 'none'}."
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
