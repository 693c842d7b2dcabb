"""postBuild, run as repo2docker runs it: the image holds the package and the verified data.

The script runs with bash in a temporary HOME, with a fresh virtual environment first on
PATH (it sees this interpreter's packages, so only the package itself is installed) and
PAYGAP_DATA_URL pointing at a loopback mirror of ../shared/data/ukgpg. Then the mirror is
stopped and a new Python process, with no mirror and no network, loads the data from
$HOME/.cache/paygap, as a notebook in the built image does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import Any

import pytest

from paygap_utils.data.manifest import read_manifest
from tests.paths import REPO_ROOT, need_shared
from tests.servers import FileServer

POSTBUILD = REPO_ROOT / "postBuild"
CHECK_IMAGE = REPO_ROOT / "scripts" / "check_image.py"
#: Variables of this test session that would point postBuild elsewhere than $HOME/.cache.
CLEARED = (
    "PAYGAP_DATA_DIR",
    "PAYGAP_DATA_URL",
    "XDG_CACHE_HOME",
    "PYTHONPATH",
    "PYTHONHOME",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_USER",
    "PIP_REQUIRE_VIRTUALENV",
)

# What a notebook does in the image, with every network connection refused.
LOAD_OFFLINE = textwrap.dedent(
    """
    import json, socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args!r}")

    socket.socket.connect = refuse
    socket.create_connection = refuse

    import paygap_utils

    df = paygap_utils.load(progressbar=False)
    print(json.dumps({
        "module": paygap_utils.__file__,
        "data_dir": str(paygap_utils.data_dir()),
        "rows": {str(year): int(n) for year, n in df.groupby("year").size().items()},
        "attrs": df.attrs,
    }))
    """
)


def scratch_venv(folder: Path) -> Path:
    """Create a venv whose python also sees this interpreter's packages; return its bin dir.

    ``--system-site-packages`` would expose the base interpreter's packages, not those of the
    environment the tests run in, so the latter's site-packages are listed in a .pth file.
    """
    venv.EnvBuilder(with_pip=False).create(folder)
    site_packages = next((folder / "lib").glob("python3*/site-packages"))
    ours = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    (site_packages / "_test_interpreter.pth").write_text("\n".join(ours) + "\n")
    return folder / "bin"


def test_postbuild_is_an_executable_strict_bash_script():
    text = POSTBUILD.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    assert os.access(POSTBUILD, os.X_OK), "run `chmod +x postBuild` and commit the mode"
    assert "python -m paygap_utils fetch" in text
    assert "--no-deps" in text and "pip check" in text
    assert "-e ." not in text and "--editable" not in text


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """postBuild run once, as repo2docker runs it, against the loopback mirror."""
    mirror_folder = need_shared()  # the mirror postBuild fetches from
    if shutil.which("R") is None:
        pytest.skip(
            "postBuild requires R, as the image has it: install R with IRkernel (.ci/run's "
            "DEBIAN_PACKAGES: r-base-core r-cran-irkernel ...) to run this test"
        )
    tmp_path = tmp_path_factory.mktemp("postbuild")
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = scratch_venv(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        HOME=str(home),
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        VIRTUAL_ENV=str(bin_dir.parent),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # In the image the packages and their Jupyter configuration share one prefix; here the
        # packages are the test environment's, so its configuration is read too.
        JUPYTER_CONFIG_PATH=str(Path(sys.prefix) / "etc" / "jupyter"),
    )
    with FileServer(mirror_folder) as mirror:
        build = subprocess.run(
            ["bash", str(POSTBUILD)],
            cwd=REPO_ROOT,
            env={**env, "PAYGAP_DATA_URL": mirror.url},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        requests = dict(mirror.requests)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return {"home": home, "bin_dir": bin_dir, "env": env, "build": build, "requests": requests}


def check_image(env: dict[str, str], bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """postBuild's last step, scripts/check_image.py, with the scratch venv's Python."""
    return subprocess.run(
        [str(bin_dir / "python"), str(CHECK_IMAGE)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_postbuild_bakes_the_verified_data_into_home(baked, tmp_path):
    manifest = read_manifest()
    home, bin_dir, env, build = baked["home"], baked["bin_dir"], baked["env"], baked["build"]
    requests = baked["requests"]
    assert "No broken requirements found." in build.stdout
    assert "Cleaned table cached" in build.stdout
    assert requests == {f.file_name: 1 for f in manifest.files}, "each file downloaded once"

    cache = home / ".cache" / "paygap"
    for entry in manifest.files:
        assert (cache / entry.file_name).stat().st_size == entry.size
    assert list(cache.glob("paygap-clean-*.parquet")), "postBuild did not build the cleaned cache"

    # The mirror is gone and PAYGAP_DATA_URL unset: everything must come from $HOME/.cache.
    load = subprocess.run(
        [str(bin_dir / "python"), "-c", LOAD_OFFLINE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert load.returncode == 0, load.stderr[-3000:]
    result = json.loads(load.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).is_relative_to(bin_dir.parent), "not the installed copy"
    assert Path(result["data_dir"]) == cache
    attrs = result["attrs"]
    # attrs' rows are the table's: the file's rows minus the duplicates removed.
    expected = {f["year"][:4]: f["rows"] for f in attrs["files"]}
    for f in attrs["files"]:
        file_rows = manifest.file(f["year"]).rows
        assert f["rows"] == file_rows - attrs["duplicates_removed"][f["year"]]
    assert expected.keys() == {str(f.year) for f in manifest.files}
    assert result["rows"] == expected


def test_postbuild_switches_off_the_jupyter_news_pop_up(tmp_path):
    """The image's JupyterLab has the announcements plugin disabled, as postBuild leaves it."""
    text = POSTBUILD.read_text()
    line = next(ln for ln in text.splitlines() if "labextensions disable" in ln)
    prefix = tmp_path / "env"
    bin_dir = scratch_venv(prefix)
    command = line.split()
    assert command[:4] == ["python", "-m", "jupyterlab.labextensions", "disable"]
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(prefix))
    result = subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    page_config = json.loads((prefix / "etc/jupyter/labconfig/page_config.json").read_text())
    assert page_config["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"]


def test_postbuild_ends_by_checking_every_promised_part(baked):
    out = baked["build"].stdout
    for part in ("R kernel", "exports", "Datasette launcher", "server extensions"):
        assert f"ok  {part}: " in out, f"postBuild did not check the {part}"
    assert POSTBUILD.read_text().rstrip().endswith("python scripts/check_image.py")


def test_the_check_fails_loudly_without_the_exports(baked, tmp_path):
    result = check_image({**baked["env"], "HOME": str(tmp_path)}, baked["bin_dir"])
    assert result.returncode == 1
    assert "MISSING  exports: the exports are missing" in result.stderr
    assert "python -m paygap_utils export" in result.stderr
    assert "ok  R kernel" in result.stdout, "one missing part must not hide the others' results"


def test_the_check_fails_loudly_without_the_voila_extension(baked):
    env = {k: v for k, v in baked["env"].items() if k != "JUPYTER_CONFIG_PATH"}
    result = check_image(env, baked["bin_dir"])
    assert result.returncode == 1
    assert "the Jupyter server extension voila.server_extension is not enabled" in result.stderr


def test_the_check_fails_loudly_when_the_r_kernel_has_no_r(baked, tmp_path):
    # A kernel spec found first (JUPYTER_PATH) whose R is gone, as after a broken R install.
    spec = tmp_path / "kernels" / "ir" / "kernel.json"
    spec.parent.mkdir(parents=True)
    missing_r = tmp_path / "no-r" / "R"
    spec.write_text(json.dumps({"argv": [str(missing_r), "--slave"], "language": "R"}))
    result = check_image({**baked["env"], "JUPYTER_PATH": str(tmp_path)}, baked["bin_dir"])
    assert result.returncode == 1
    assert f"MISSING  R kernel: the R kernel starts {missing_r}, which is not there" in (
        result.stderr
    )


def test_the_check_fails_loudly_without_the_datasette_entry(monkeypatch, capsys):
    import importlib.metadata
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_image", CHECK_IMAGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    monkeypatch.setattr(module, "CHECKS", {"Datasette launcher": module.datasette_entry})
    assert module.main() == 1
    assert "the Datasette launcher entry is missing" in capsys.readouterr().err
