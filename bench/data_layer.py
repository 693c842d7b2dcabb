"""Measure the data layer: cache formats, warm and cold load(), columns=, growth with years.

Run from the repository folder: ``python -m bench.data_layer [--first-run]`` (needs
``../shared/data/ukgpg``). Prints Markdown sections for ``docs/performance.md``. Every ratio
compares two things measured in this run, in this process or in fresh processes started by
it. ``--first-run`` adds a Colab-like first run: build the wheel, install it into a fresh
virtual environment whose other packages are this environment's, fetch, first ``load()``,
first figure."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from bench._common import ROOT, FileServer, best_of, machine, mirror_folder, peak_rss_mb

THREE = ["year", "sector", "diff_median_hourly_percent"]
REPEAT = 15


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def formats(arrow, folder: Path) -> list[tuple[str, float, float]]:
    """Write the cached Arrow table in each candidate format; time reading it into pandas."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    from paygap_utils.data.cache import _string_dtype

    text = _string_dtype()
    mapping = {pa.string(): text, pa.large_string(): text}.get
    rows = []

    def parquet(name: str, **options) -> None:
        path = folder / f"{name}.parquet"
        verify = options.pop("verify", False)
        pq.write_table(arrow, path, **options)
        median, _ = best_of(
            lambda: pq.read_table(path, page_checksum_verification=verify).to_pandas(
                types_mapper=mapping
            ),
            REPEAT,
        )
        rows.append((name, path.stat().st_size / 1e6, median))

    parquet("parquet, lz4 (the previous cache)", compression="lz4")
    parquet(
        "parquet, lz4, page checksums verified",
        compression="lz4",
        write_page_checksum=True,
        verify=True,
    )
    parquet("parquet, uncompressed", compression="none")
    for name, compression in (("Arrow IPC, lz4", "lz4"), ("Arrow IPC, uncompressed", None)):
        path = folder / f"{name}.arrow"
        with ipc.new_file(
            path, arrow.schema, options=ipc.IpcWriteOptions(compression=compression)
        ) as w:
            w.write_table(arrow)

        def read(path=path) -> None:
            with pa.memory_map(str(path)) as source:
                ipc.open_file(source).read_all().to_pandas(types_mapper=mapping)

        median, _ = best_of(read, REPEAT)
        rows.append((f"{name}, memory-mapped", path.stat().st_size / 1e6, median))
    return rows


def growth(server_url: str, manifest) -> list[tuple[int, int, float, float, float, float]]:
    """Cold and warm load() of the first 1, 2, 4 and all years, each in fresh processes."""
    sizes = sorted({1, 2, 4, len(manifest.files)})
    results = []
    for n in sizes:
        code = (
            "import time, pandas, pyarrow.ipc, paygap_utils\n"
            "from dataclasses import replace\n"
            "from paygap_utils.data.manifest import read_manifest\n"
            "m = read_manifest()\n"
            f"m = replace(m, files=m.files[:{n}])\n"
            "start = time.perf_counter()\n"
            "df = paygap_utils.load(manifest=m, progressbar=False)\n"
            "print('SECONDS', time.perf_counter() - start, len(df))\n"
        )
        with tempfile.TemporaryDirectory() as tmp:
            env = {"PAYGAP_DATA_URL": server_url, "PAYGAP_DATA_DIR": tmp}
            # download first, so that "cold" is parse + clean + cache, not the network
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "paygap_utils",
                    "fetch",
                    "-q",
                    *[f.label for f in manifest.files[:n]],
                ],
                check=True,
                capture_output=True,
                env={**os.environ, **env},
                cwd=ROOT,
            )
            cold_mb, cold_out = peak_rss_mb(code, env, output=True)
            warm_mb, warm_out = peak_rss_mb(code, env, output=True)
        cold_s, rows = (float(x) for x in cold_out.split("SECONDS")[1].split()[:2])
        warm_s = float(warm_out.split("SECONDS")[1].split()[0])
        results.append((n, int(rows), cold_s, cold_mb, warm_s, warm_mb))
    return results


def first_run(server_url: str) -> list[tuple[str, float]]:
    """A Colab-like first run: the preinstalled stack is this environment's site-packages."""
    import sysconfig

    stages = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)],
            check=True,
            capture_output=True,
        )
        stages.append(
            ("build the wheel (done once by whoever publishes it)", time.perf_counter() - start)
        )
        wheel = next(tmp.glob("paygap_utils-*.whl"))
        venv = tmp / "venv"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        site = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # The "preinstalled" packages: this environment's, as a plain path (its own .pth
        # files, among them the editable install of the package, are not read).
        Path(site, "preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--disable-pip-version-check",
                str(wheel),
            ],
            check=True,
            capture_output=True,
        )
        stages.append(("fresh venv + `pip install` the wheel", time.perf_counter() - start))
        env = {**os.environ, "PAYGAP_DATA_URL": server_url, "PAYGAP_DATA_DIR": str(tmp / "data")}
        steps = [
            (
                "fetch the files from the loopback mirror",
                "import paygap_utils; paygap_utils.fetch(progressbar=False)",
            ),
            (
                "first `load()`: parse, clean, cache",
                "import paygap_utils; paygap_utils.load(progressbar=False)",
            ),
            (
                "first figure (imports, `load()`, histogram saved as PNG)",
                "import matplotlib; matplotlib.use('Agg'); import paygap_utils\n"
                "from paygap_utils import plots\n"
                "df = paygap_utils.load(\n"
                "    columns=['year', 'diff_median_hourly_percent'], progressbar=False\n"
                ")\n"
                "fig, ax = plots.new_figure()\n"
                "plots.gap_histogram(ax, df['diff_median_hourly_percent'])\n"
                f"fig.savefig({str(tmp / 'first.png')!r})",
            ),
        ]
        for label, code in steps:
            start = time.perf_counter()
            out = subprocess.run(
                [python, "-c", code + "\nimport paygap_utils, sys; print(paygap_utils.__file__)"],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
            )
            stages.append((label, time.perf_counter() - start))
            assert str(venv) in out.stdout, "the package was not imported from the fresh venv"
    return stages


def main() -> None:
    import pandas as pd
    import pyarrow as pa
    import xxhash

    import paygap_utils
    from paygap_utils.data import cache, loader
    from paygap_utils.data.manifest import _mark_checked, read_manifest

    folder = mirror_folder()
    manifest = read_manifest()
    raw_paths = [folder / f.file_name for f in manifest.files]
    n_files = len(manifest.files)
    stages = []

    with FileServer(folder) as server, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["PAYGAP_DATA_URL"] = server.url
        os.environ["PAYGAP_DATA_DIR"] = str(tmp)

        # The cold path, stage by stage, as load() runs it.
        start = time.perf_counter()
        paygap_utils.fetch(progressbar=False)
        stages.append(
            (f"download {n_files} files over loopback + verify", time.perf_counter() - start)
        )
        start = time.perf_counter()
        built = loader._build(manifest, tmp, False)
        stages.append(
            (
                "parse and clean every year, link, de-duplicate (`_build`)",
                time.perf_counter() - start,
            )
        )
        path = cache.cache_path(tmp, manifest)
        start = time.perf_counter()
        cache.write_cache(built, path)
        _mark_checked(tmp)  # as load() does once the table is cached
        stages.append(("write the cache with its checksums", time.perf_counter() - start))
        del built
        start = time.perf_counter()
        table = paygap_utils.load(progressbar=False)
        stages.append(
            ("first warm `load()` (reads back what was written)", time.perf_counter() - start)
        )
        cache_mb = path.stat().st_size / 1e6

        def naive() -> None:
            for raw in raw_paths:
                pd.read_csv(raw)

        arrow, attrs = cache._open(path, None, None)
        text = cache._string_dtype()
        mapping = {pa.string(): text, pa.large_string(): text}.get
        with open(path, "rb") as file:
            trailer = cache._read_trailer(file, path.stat().st_size)
        whole = path.read_bytes()[: trailer["ipc_length"]]
        blocks = [
            memoryview(whole)[start : start + trailer["block_size"]]
            for start in range(0, len(whole), trailer["block_size"])
        ]
        timings = {
            "warm": best_of(lambda: paygap_utils.load(progressbar=False), REPEAT),
            "three": best_of(lambda: paygap_utils.load(columns=THREE, progressbar=False), REPEAT),
            "one_year": best_of(lambda: paygap_utils.load(2021, progressbar=False), REPEAT),
            "naive": best_of(naive, 7),
        }
        timings["digest"] = best_of(lambda: [xxhash.xxh3_64_intdigest(b) for b in blocks], REPEAT)
        timings["crc"] = best_of(lambda: [zlib.crc32(b) for b in blocks], REPEAT)
        timings["read"] = best_of(lambda: cache._read_whole(path, trailer), REPEAT)
        timings["floor"] = best_of(lambda: arrow.to_pandas(types_mapper=mapping), REPEAT)
        candidates = formats(arrow, tmp)

        env = {"PAYGAP_DATA_URL": server.url, "PAYGAP_DATA_DIR": str(tmp)}
        peak_base = peak_rss_mb("import pandas, pyarrow, pyarrow.ipc", env)
        peak_load = peak_rss_mb("import paygap_utils; paygap_utils.load(progressbar=False)", env)
        peak_three = peak_rss_mb(
            f"import paygap_utils; paygap_utils.load(columns={THREE!r}, progressbar=False)", env
        )
        with tempfile.TemporaryDirectory() as cold_dir:
            for entry in manifest.files:
                os.link(tmp / entry.file_name, Path(cold_dir) / entry.file_name)
            peak_cold = peak_rss_mb(
                "import paygap_utils; paygap_utils.load(progressbar=False)",
                {**env, "PAYGAP_DATA_DIR": cold_dir},
            )
        scaling = growth(server.url, manifest)
        first = first_run(server.url) if "--first-run" in sys.argv else []

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

    warm, warm_min = timings["warm"]
    naive_s, naive_min = timings["naive"]
    three, three_min = timings["three"]
    print(f"Machine: {machine()}, pyarrow {pa.__version__}")
    print(
        f"Rows: {len(table):,}; data: {sum(f.size for f in manifest.files) / 1e6:.1f} MB in "
        f"{n_files} CSVs; cache file {cache_mb:.1f} MB"
    )
    print()
    print("**Cache formats**, the same table, read into pandas (median of 15, ms):")
    print()
    print("| format | MB | ms | x naive read |")
    print("| --- | ---: | ---: | ---: |")
    for name, size, seconds in candidates:
        print(f"| {name} | {size:.1f} | {ms(seconds)} | {naive_s / seconds:.1f} |")
    print()
    print("**Warm load** (median / fastest of 15, ms):")
    print()
    print("| measurement | median ms | fastest ms |")
    print("| --- | ---: | ---: |")
    print(
        f"| baseline: naive `pd.read_csv` of the {n_files} raw files (7 runs) | "
        f"{ms(naive_s)} | {ms(naive_min)} |"
    )
    print(f"| warm `load()`, all years, all columns | {ms(warm)} | {ms(warm_min)} |")
    print(f"| warm `load(columns=[3 columns])` | {ms(three)} | {ms(three_min)} |")
    print(f"| warm `load(2021)` | {ms(timings['one_year'][0])} | {ms(timings['one_year'][1])} |")
    digest, digest_min = timings["digest"]
    print(
        f"| the check alone: xxh3-64 of the whole Arrow file, one thread | {ms(digest)} | "
        f"{ms(digest_min)} |"
    )
    crc, crc_min = timings["crc"]
    print(f"| for comparison: CRC-32 of the same, one thread | {ms(crc)} | {ms(crc_min)} |")
    read, read_min = timings["read"]
    print(f"| reading and checking the whole file, two threads | {ms(read)} | {ms(read_min)} |")
    floor, floor_min = timings["floor"]
    print(
        f"| floor: the Arrow table to pandas, no file, no check | {ms(floor)} | {ms(floor_min)} |"
    )
    print()
    print(
        f"Warm `load()` is **{naive_s / warm:.1f}x** faster than the naive read (target 6x; "
        f"{naive_min / warm_min:.1f}x fastest against fastest); `load(columns=[3 columns])` is "
        f"**{warm / three:.1f}x** faster than the full warm load (target 3x). The check's "
        f"CPU time is {digest / warm:.0%} of the warm load's wall time; two threads "
        "each read and check half of the file, before any conversion."
    )
    print()
    print("**Cold path**, stage by stage (seconds):")
    print()
    print("| stage | seconds |")
    print("| --- | ---: |")
    for name, seconds in stages:
        print(f"| {name} | {seconds:.2f} |")
    print()
    print("| memory (peak RSS of a fresh process) | MB |")
    print("| --- | ---: |")
    print(f"| baseline: `import pandas, pyarrow, pyarrow.ipc` | {peak_base:.0f} |")
    print(f"| warm `load()` of all years | {peak_load:.0f} |")
    print(f"| warm `load(columns=[3 columns])` | {peak_three:.0f} |")
    print(f"| cold `load()`: parse and clean every CSV, write the cache | {peak_cold:.0f} |")
    print()
    print(
        "**Growth with the number of years** (fresh processes, pandas and pyarrow imported "
        "first; cold = parse + clean + cache, the files already downloaded):"
    )
    print()
    print("| years | rows | cold s | cold peak MB | warm s | warm peak MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, rows, cold_s, cold_mb, warm_s, warm_mb in scaling:
        print(f"| {n} | {rows:,} | {cold_s:.2f} | {cold_mb:.0f} | {warm_s:.3f} | {warm_mb:.0f} |")
    if len(scaling) >= 2:
        (_, r0, c0, m0, *_), (_, r1, c1, m1, *_) = scaling[0], scaling[-1]
        print()
        print(
            f"Per 10,000 rows: about {(c1 - c0) / (r1 - r0) * 1e4:.2f} s cold and "
            f"{(m1 - m0) / (r1 - r0) * 1e4:.0f} MB of cold peak."
        )
    if first:
        print()
        print("**Colab-like first run** (fresh venv, this environment's packages preinstalled):")
        print()
        print("| stage | seconds |")
        print("| --- | ---: |")
        for name, seconds in first:
            print(f"| {name} | {seconds:.1f} |")
    print()
    print(
        f"`import paygap_utils`: {import_s * 1000:.0f} ms against {python_s * 1000:.0f} ms for a "
        f"bare interpreter ({import_s / python_s:.1f}x); heavy modules imported: {heavy or 'none'}."
    )


if __name__ == "__main__":
    main()
