"""Test set-up shared by the unit tests, the doctests and the notebooks (nbval).

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
    from paygap_utils.download import verify
    from paygap_utils.settings import data_dir

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
    if _STATE.get("binder_only"):
        terminalreporter.write_line(
            f"{_STATE['binder_only']} test(s) marked binder were left out here: they run in "
            "the image's environment, `bash scripts/test --binder` (BINDER_ONLY in conftest.py)."
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


EXPECTED_OUTPUTS = Path(__file__).parent / "tests" / "notebook_outputs.json"
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


#: Which suite runs where: the test modules that run only in the Binder image's environment
#: (`bash scripts/test --binder`), the one place this is decided. They check the repository's
#: own files and the image's build, or drive the servers and the browser pages that only
#: Binder and the hub serve; the library, the doctests and the notebooks run in every
#: environment. `bash scripts/test` and `--colab` set PAYGAP_TEST_ENV and leave these out, so
#: that the three suites of .ci/run fit its time; pytest run directly runs everything.
BINDER_ONLY = frozenset(
    {
        "test_bench",
        "test_browser",
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
        "test_serve",
        "test_site",
        "test_workflows",
    }
)


def _binder_only(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    """Mark the BINDER_ONLY modules' tests `binder`; outside that environment, deselect them."""
    for item in items:
        if item.path.stem in BINDER_ONLY and item.path.parent.name == "tests":
            item.add_marker(pytest.mark.binder)
    if os.environ.get("PAYGAP_TEST_ENV") not in ("default", "colab"):
        return items
    kept = [item for item in items if item.get_closest_marker("binder") is None]
    deselected = [item for item in items if item.get_closest_marker("binder") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        _STATE["binder_only"] = len(deselected)
    return kept


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = _binder_only(config, items)
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
