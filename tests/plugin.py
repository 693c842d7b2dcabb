"""Test set-up shared by the unit tests, the doctests and the notebooks (nbval).

The root ``conftest.py`` names this module as a pytest plugin, so it applies to the whole
checkout: ``tests/``, the package's doctests, ``notebooks/`` and ``submissions/``.

Every test session gets a temporary data folder, and the package is pointed at it
before anything runs, so notebook kernels inherit the same settings. The real data
comes from the first of these that is available:

1. ``../shared/data/ukgpg`` (or ``$PAYGAP_SHARED_DIR/data/ukgpg``), served on 127.0.0.1;
2. the mirror in ``$PAYGAP_DATA_URL`` (e.g. a venue laptop), if it is set;
3. the files already downloaded into the user's data folder (``python -m paygap_utils
   fetch``), copied after their checksums are verified;
4. the pinned URLs, if the internet is reachable.

Otherwise everything that needs the data is skipped, and the summary says how to make
it run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from paygap_utils.notebook_cells import CHECK_MARKER
from tests.paths import shared_dir
from tests.servers import FileServer

_STATE: dict[str, object] = {}


def _internet_reachable() -> bool:
    try:
        socket.create_connection(("raw.githubusercontent.com", 443), timeout=3).close()
    except OSError:
        return False
    return True


HOW_TO_RUN = (
    "To run them: set PAYGAP_SHARED_DIR to a folder holding data/ukgpg, or set PAYGAP_DATA_URL "
    "to a mirror of the data files (see the README), or run `python -m paygap_utils fetch` "
    "once while online so the data is on this computer."
)


def _copy_downloaded(data_home: Path) -> Path | None:
    """Copy the user's verified, already downloaded files into ``data_home``, if all are there."""
    from paygap_utils.data.fetch import data_dir, verify

    try:
        folder = data_dir()
        statuses = verify(data_home=folder)
    except Exception:  # noqa: BLE001 - any trouble here only means this source is unavailable
        return None
    if not statuses or any(s.status != "ok" for s in statuses):
        return None
    for status in statuses:
        shutil.copy(status.path, data_home / status.path.name)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    # Kernels and the commands they run (R's system2("python3", ...)) find this Python first.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    data_home = Path(tempfile.mkdtemp(prefix="paygap-test-data-"))
    _STATE["data_home"] = data_home
    shared = shared_dir()
    mirror = os.environ.get("PAYGAP_DATA_URL", "").strip()
    if shared is not None:
        os.environ.pop("PAYGAP_DATA_URL", None)
        server = FileServer(shared / "data" / "ukgpg").start()
        _STATE["mirror"] = server
        os.environ["PAYGAP_DATA_URL"] = server.url
        _STATE["source"] = f"loopback mirror of {shared / 'data' / 'ukgpg'}"
    elif mirror:
        _STATE["source"] = f"the mirror in PAYGAP_DATA_URL ({mirror})"
    elif (downloaded := _copy_downloaded(data_home)) is not None:
        _STATE["source"] = f"the files already downloaded into {downloaded} (copied)"
    elif _internet_reachable():
        _STATE["source"] = "the pinned URLs on the internet"
    else:
        _STATE["skip"] = (
            "the real data is not available: no ../shared/data/ukgpg, no PAYGAP_DATA_URL, "
            "no downloaded files, and the internet is not reachable. " + HOW_TO_RUN
        )
    os.environ["PAYGAP_DATA_DIR"] = str(data_home)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = _STATE.pop("mirror", None)
    if server is not None:
        server.stop()
    data_home = _STATE.pop("data_home", None)
    if data_home is not None:
        shutil.rmtree(data_home, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    return f"paygap data: {_STATE.get('source') or _STATE.get('skip')}"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _STATE.get("left_out"):
        count, environment = _STATE["left_out"]
        terminalreporter.write_line(
            f"{count} test(s) do not run in the {environment} suite: `bash scripts/test --binder` "
            "runs them (BINDER_ONLY and COLAB in tests/plugin.py say which run where)."
        )
    # Shown even with -q, so that skipped data tests are never a silent pass.
    if _STATE.get("skip"):
        skipped = len(terminalreporter.stats.get("skipped", []))
        terminalreporter.write_line(
            f"paygap data: {skipped} test(s) that need the real data were skipped. {HOW_TO_RUN}",
            yellow=True,
            bold=True,
        )


def _needs_data(item: pytest.Item) -> bool:
    if item.get_closest_marker("data") is not None:
        return True
    if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
        return True
    dtest = getattr(item, "dtest", None)
    if dtest is not None:
        return any("fetch(" in ex.source or "load(" in ex.source for ex in dtest.examples)
    return False


EXPECTED_OUTPUTS = Path(__file__).parent / "notebook_outputs.json"
_NOT_RECORDED = (
    f"No expected output is recorded for this {CHECK_MARKER} cell: run "
    "`python scripts/record_outputs.py <notebook>` and review tests/notebook_outputs.json."
)


def _use_recorded_outputs(items: list[pytest.Item]) -> None:
    """Give nbval the recorded key numbers; the notebooks are committed without outputs."""
    import nbformat

    recorded = json.loads(EXPECTED_OUTPUTS.read_text()) if EXPECTED_OUTPUTS.exists() else {}
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or not getattr(item, "options", {}).get("check"):
            continue
        outputs = recorded.get(Path(str(item.fspath)).name, {}).get(cell.get("id"))
        if outputs is None:
            outputs = [{"output_type": "stream", "name": "stdout", "text": _NOT_RECORDED}]
        cell.outputs = [nbformat.from_dict(output) for output in outputs]
        cell.execution_count = 1


R_INSTALL = (
    "install R and its Jupyter kernel: on Debian or Ubuntu `sudo apt-get install r-base-core "
    "r-cran-irkernel r-cran-ggplot2 r-cran-dplyr r-cran-readr`, elsewhere R from "
    "https://cloud.r-project.org and `install.packages(c('IRkernel', 'dplyr', 'ggplot2', "
    "'readr'))`; then `R -e 'IRkernel::installspec()'`"
)


def _missing_kernel(name: str) -> str | None:
    """Why the Jupyter kernel ``name`` cannot start here, or None if it can."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return f"the Jupyter kernel {name!r} is not installed"
    if shutil.which(spec.argv[0]) is None:
        return f"the kernel {name!r} runs {spec.argv[0]!r}, which is not on PATH"
    return None


def _choose_kernels(items: list[pytest.Item]) -> None:
    """Python notebooks run in this Python; other notebooks in the kernel their metadata names.

    nbval's ``--nbval-current-env`` would force every notebook, R ones included, into this
    Python, so it is set per notebook here instead: nbval reads the kernel name from the
    notebook's metadata when it starts the kernel.
    """
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME

    missing: dict[str, str | None] = {}
    for item in items:
        notebook = getattr(item.parent, "nb", None)
        if notebook is None:
            continue
        spec = notebook.metadata.setdefault("kernelspec", {})
        if spec.get("language", "python").lower() == "python":
            spec["name"] = CURRENT_ENV_KERNEL_NAME
            continue
        name = spec.get("name", "")
        if name not in missing:
            missing[name] = _missing_kernel(name)
        if missing[name]:
            reason = f"{missing[name]}: {R_INSTALL}"
            if os.environ.get("CI") == "true":
                # CI installs R (.ci/run): a missing kernel there is a failure, not a skip.
                _KERNEL_FAILURES[item.nodeid] = f"CI=true, so R notebooks must run, but {reason}"
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


_KERNEL_FAILURES: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.nodeid in _KERNEL_FAILURES:
        pytest.fail(_KERNEL_FAILURES[item.nodeid], pytrace=False)


#: Which tests run where: the one place this is decided. `.ci/run` runs three suites, and three
#: whole suites do not fit its time, so:
#:
#: - `bash scripts/test --binder` (the Binder image's versions, what most attendees get) runs
#:   everything;
#: - `bash scripts/test` (the newest releases) runs everything but BINDER_ONLY;
#: - `bash scripts/test --colab` (Colab's older versions) runs the notebooks, the doctests and
#:   the modules in COLAB.
#:
#: BINDER_ONLY: the repository's own files, the image's build, and the servers and browser pages
#: that Binder and the hub serve; their result does not change with the library's versions, or
#: only the image runs them. COLAB: the data layer and the analysis the notebooks call, which
#: older pandas, numpy, matplotlib or scikit-learn can break in an attendee's Colab session.
#: Items get the `binder` and `colab` markers here. scripts/test sets PAYGAP_TEST_ENV; pytest
#: run directly runs everything.
BINDER_ONLY = frozenset(
    {
        "test_bench",
        "test_browser",
        "test_datasette",
        "test_deploy",
        "test_environment",
        "test_explorer_browser",
        "test_first_start",
        "test_links",
        "test_notebooks_slides",
        "test_package",
        "test_postbuild",
        "test_precommit",
        "test_public_api",
        "test_readme",
        "test_repo2docker",
        "test_site",
        "test_workflows",
    }
)
COLAB = frozenset(
    {
        "test_across_years",
        "test_cache",
        "test_checks",
        "test_clean",
        "test_explorer",
        "test_export",
        "test_frames",
        "test_loader",
        "test_model",
        "test_notebooks",
        "test_panel",
        "test_places",
        "test_plots",
        "test_published_figures",
        "test_quartiles",
        "test_r_notebooks",
        "test_sectors",
        "test_stats",
    }
)


def _suite(items: list[pytest.Item], config: pytest.Config) -> list[pytest.Item]:
    """Mark the items `binder` or `colab`, and keep those the environment runs."""
    for item in items:
        in_tests = item.path.parent.name == "tests"
        if in_tests and item.path.stem in BINDER_ONLY:
            item.add_marker(pytest.mark.binder)
        elif not in_tests or item.path.stem in COLAB:  # notebooks, doctests, entries, COLAB
            item.add_marker(pytest.mark.colab)
    environment = os.environ.get("PAYGAP_TEST_ENV")
    if environment == "default":
        keep = [item.get_closest_marker("binder") is None for item in items]
    elif environment == "colab":
        keep = [item.get_closest_marker("colab") is not None for item in items]
    else:
        return items
    left_out = [item for item, kept in zip(items, keep, strict=True) if not kept]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        _STATE["left_out"] = (len(left_out), environment)
    return [item for item, kept in zip(items, keep, strict=True) if kept]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = _suite(items, config)
    _use_recorded_outputs(items)
    _choose_kernels(items)
    reason = _STATE.get("skip")
    if not reason:
        return
    for item in items:
        if _needs_data(item):
            item.add_marker(pytest.mark.skip(reason=str(reason)))


@pytest.fixture(scope="session")
def mirror() -> FileServer:
    """The loopback server of ``../shared/data/ukgpg`` the session uses (skips without it)."""
    server = _STATE.get("mirror")
    if server is None:
        pytest.skip(
            str(_STATE.get("skip"))
            if _STATE.get("skip")
            else "needs ../shared/data/ukgpg served on loopback: set PAYGAP_SHARED_DIR to a folder "
            "holding data/ukgpg"
        )
    return server  # type: ignore[return-value]


@pytest.fixture(scope="session")
def session_data_home() -> Path:
    """The data folder every test shares unless it sets its own."""
    return _STATE["data_home"]  # type: ignore[return-value]
