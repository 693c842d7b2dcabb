"""The first start: one download figure, from the manifest; quiet installs; root handled."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from paygap_utils.data.manifest import read_manifest
from tests.paths import REPO_ROOT
from tests.servers import free_port, wait_until


def download_mb() -> int:
    return round(sum(f.size for f in read_manifest().files) / 1e6)


def test_the_readme_gives_the_download_size_of_the_manifest():
    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    figures = {int(n) for n in re.findall(r"about (\d+) MB", readme)}
    assert figures == {download_mb()}, (
        f"README.md says the data is about {sorted(figures)} MB; data_manifest.json's files add "
        f"up to {download_mb()} MB. Say 'about {download_mb()} MB'."
    )


def test_the_guides_give_the_download_size_of_the_manifest():
    for name in ("organisers.md", "infrastructure.md"):
        text = " ".join((REPO_ROOT / "docs" / name).read_text().split())
        figures = {int(n) for n in re.findall(r"(\d+) MB of CSV", text)}
        assert figures == {download_mb()}, (
            f"docs/{name} gives the data as {sorted(figures)} MB of CSV; data_manifest.json's "
            f"files add up to {download_mb()} MB."
        )


def test_installs_send_pips_details_to_a_log_and_show_its_tail_on_failure():
    shared = (REPO_ROOT / "scripts" / "_venv.sh").read_text()
    for name in ("lab", "test", "site"):
        script = (REPO_ROOT / "scripts" / name).read_text()
        assert 'source "$ROOT/scripts/_venv.sh"' in script, name
        assert "-m pip install" not in script, f"scripts/{name} installs through _venv.sh"
    assert (
        'exec bash "$(dirname "${BASH_SOURCE[0]}")/lab" --explorer'
        in (REPO_ROOT / "scripts" / "explorer").read_text()
    )
    installs = [line for line in shared.splitlines() if "-m pip install" in line]
    assert installs
    for line in installs:
        block = shared[shared.index(line) :].split("\n\n")[0]
        assert '>"$VENV/pip-install.log" 2>&1' in block or '>"$LOG" 2>&1' in block, line
    assert 'tail -n 20 "$LOG"' in shared


@pytest.mark.data
def test_scripts_lab_tells_a_short_story_and_starts_jupyterlab(mirror, tmp_path):
    """``bash scripts/lab`` in a copy of the repository, its ``.venv`` already installed.

    The copy's ``.venv`` is a real virtual environment whose packages are this one's, with
    the stamp a finished install leaves, so the script goes on to download the data from
    the loopback mirror and start the real JupyterLab. A beginner sees a few lines: what is
    happening, the address (which opens notebook 00) and how to stop it; JupyterLab's own
    messages are in a log file. Ctrl+C stops it.
    """
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    for script in ("lab", "_venv.sh"):
        shutil.copy(REPO_ROOT / "scripts" / script, repo / "scripts" / script)
    shutil.copy(REPO_ROOT / "pyproject.toml", repo / "pyproject.toml")
    shutil.copy(REPO_ROOT / "notebooks" / "00_start_here.ipynb", repo / "notebooks")
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    here = sysconfig.get_paths()["purelib"]
    Path(site, "this-environment.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    os.symlink(Path(sys.executable).parent / "jupyter", venv / "bin" / "jupyter")
    digest = hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".paygap-notebooks").write_text(f"notebooks {digest}\n")

    port = free_port()
    env = {
        **os.environ,
        "PAYGAP_DATA_URL": mirror.url,
        "PAYGAP_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
    }
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        lab = subprocess.Popen(
            [
                "bash",
                "scripts/lab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--IdentityProvider.token=first-start",
            ],
            cwd=repo,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # JupyterLab prints a token it was given as "...": the address is the rest.
    first = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token="
    try:

        def printed_the_address() -> bool:
            return f"{first}..." in log.read_text()

        wait_until(
            printed_the_address, 120, "bash scripts/lab to print its address", process=lab, log=log
        )
        # The printed address is notebook 00's (not the Launcher's), and it answers.
        with urllib.request.urlopen(f"{first}first-start", timeout=10) as page:
            assert page.status == 200
    finally:
        os.killpg(lab.pid, signal.SIGINT)  # Ctrl+C in the terminal
        lab.wait(timeout=60)
    text = log.read_text()
    lines = text.splitlines()
    assert 8 <= len(lines) <= 18, text
    assert f"Data: {len(read_manifest().files)} file(s), {download_mb()} MB" in text
    assert "Cleaned table cached:" in text
    assert "JupyterLab is running at:" in text and "Open that address in your browser." in text
    assert "Press Ctrl+C here to stop it" in text and lines[-1] == "JupyterLab has stopped."
    for noise in ("[I ", "[W ", "DeprecationWarning", "Skipped non-installed", "%|", "Requirement"):
        assert noise not in text, f"{noise!r} in what a beginner sees:\n{text}"
    # JupyterLab's own messages are kept for whoever needs them.
    assert "Jupyter Server" in (venv / "jupyterlab.log").read_text()
    if os.geteuid() == 0:
        assert "running as root" in text and "--allow-root" in text
    else:
        assert "running as root" not in text
