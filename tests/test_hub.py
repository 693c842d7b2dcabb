"""The one-machine hub (deploy/one-machine/): its config, its setup script, and a small 9:00
rush through ``python -m bench.hub`` with three attendees.

The load test needs root (it makes system users and runs a systemd of its own), the hub's
environment and proxy built by ``bash deploy/one-machine/setup --prefix .hub --editable packages
env proxy`` (``.ci/run`` does it) and the shared data; where any is missing it is skipped, and
the reason says what to do.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest

from bench import hub
from tests.paths import REPO_ROOT, need_shared

SETUP = REPO_ROOT / "deploy" / "one-machine" / "setup"
CONFIG = REPO_ROOT / "deploy" / "one-machine" / "jupyterhub_config.py"


def load_config(tmp_path: Path, monkeypatch, **settings: str):
    """The config as JupyterHub reads it, with hub.env's settings in the environment."""
    loader = pytest.importorskip("traitlets.config.loader")
    pytest.importorskip("systemdspawner")
    monkeypatch.setenv("PAYGAP_HUB_PREFIX", str(tmp_path))
    monkeypatch.setenv("PAYGAP_HUB_PASSWORD", "event-password")
    monkeypatch.setenv("PAYGAP_HUB_ADMIN_PASSWORD", "a" * 40)
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(tmp_path / "data"))
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    return loader.PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def memory_bytes(spec: str) -> int:
    from jupyterhub.traitlets import ByteSpecification

    return ByteSpecification().validate(None, spec)


def test_the_memory_limit_is_above_every_measured_peak(tmp_path, monkeypatch):
    config = load_config(tmp_path, monkeypatch)
    peaks = [float(row["peak MB per attendee"]) for row in hub.measured()]
    assert peaks, "docs/performance.md has no bench.hub table"
    assert memory_bytes(config.Spawner.mem_limit) >= max(peaks) * 2**20


def test_each_attendee_is_a_system_user_with_a_memory_limit(tmp_path, monkeypatch):
    from systemdspawner import SystemdSpawner

    config = load_config(tmp_path, monkeypatch, PAYGAP_HUB_MEMORY_LIMIT="700M")
    assert issubclass(config.JupyterHub.spawner_class, SystemdSpawner)
    assert config.SystemdSpawner.username_template == "jupyter-{USERNAME}"
    assert config.Spawner.mem_limit == "700M"
    assert config.Spawner.environment == {"PAYGAP_DATA_DIR": str(tmp_path / "data")}


def test_organisers_are_the_admins_and_idle_servers_are_culled(tmp_path, monkeypatch):
    config = load_config(tmp_path, monkeypatch, PAYGAP_HUB_ADMINS="ann, bob")
    assert config.Authenticator.admin_users == {"ann", "bob"}
    [culler] = config.JupyterHub.services
    assert "jupyterhub_idle_culler" in culler["command"]
    [role] = config.JupyterHub.load_roles
    assert role["services"] == [culler["name"]] and "delete:servers" in role["scopes"]


def test_files_in_config_d_are_read_last(tmp_path, monkeypatch):
    (tmp_path / "jupyterhub_config.d").mkdir()
    (tmp_path / "jupyterhub_config.d" / "https.py").write_text(
        "c.JupyterHub.bind_url = 'https://:443'\n"
    )
    assert load_config(tmp_path, monkeypatch).JupyterHub.bind_url == "https://:443"


def test_setup_names_its_steps_when_given_a_wrong_one():
    answer = subprocess.run(["bash", str(SETUP), "servise"], capture_output=True, text=True)
    assert answer.returncode == 1
    assert "unknown argument 'servise'" in answer.stderr
    assert "packages env proxy data config service" in answer.stderr


@pytest.mark.skipif(Path("/run/systemd/system").exists(), reason="this machine runs systemd")
def test_setup_says_where_the_service_cannot_run(tmp_path):
    answer = subprocess.run(
        ["bash", str(SETUP), "--prefix", str(tmp_path), "service"], capture_output=True, text=True
    )
    assert answer.returncode == 1
    assert ("needs root" if os.geteuid() else "use a VM") in answer.stderr
    assert not Path("/etc/systemd/system/paygap-hub.service").exists()


@pytest.mark.data
def test_three_attendees_arrive_get_a_figure_stay_apart_and_are_cleaned_up():
    if Path(sys.prefix).resolve() != (REPO_ROOT / ".venv").resolve():
        pytest.skip("the hub's load test runs in the main test environment (bash scripts/test)")
    need_shared()
    problem = hub.missing()
    if problem:
        pytest.skip(f"python -m bench.hub cannot run here: {problem}")
    command = [sys.executable, "-m", "bench.hub", "--users", "3", "--window", "3", "--json"]
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=PIPE, stderr=PIPE, text=True) as run:
        try:
            out, err = run.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            run.terminate()  # bench.hub cleans up on SIGTERM as on Ctrl+C
            out, err = run.communicate(timeout=120)
            pytest.fail(f"bench.hub took over 240 s and was stopped:\n{out[-3000:]}\n{err[-3000:]}")
    report = f"{out[-3000:]}\n{err[-3000:]}"
    result = json.loads(out.splitlines()[-1])

    assert run.returncode == 0, report
    assert result["failed"] == 0, report
    for attendee in result["attendees"]:
        assert attendee["first_figure_s"] > 0, report
        # The figure came from the shared, read-only folder, not from a copy of their own.
        assert attendee["probe"]["data_dir"] == f"{result['run']}/data", report
        assert not attendee["probe"]["own_data_copy"], report
        assert attendee["probe"]["read_other_home"].startswith("denied"), report
        assert attendee["probe"]["write_shared_data"].startswith("denied"), report
        assert attendee["probe"]["change_shared_file"].startswith("denied"), report
    assert result["isolated"] and result["shared_data"], report
    assert len({a["probe"]["uid"] for a in result["attendees"]}) == 3, report
    limit = result["memory_limit"]
    assert limit["kernel_killed"] and limit["oom_kills_in_unit"] >= 1, report
    assert limit["server_survived"], report
    assert result["organiser_is_admin"] and result["organiser_needs_admin_password"], report
    assert result["idle_culler_running"], report
    assert result["fix_reaches_attendee"], report
    # Cleaned up: no user, home, folder or process of the run is left.
    assert result["cleaned_up"], report
    names = {f"jupyter-{attendee['name']}" for attendee in result["attendees"]}
    assert not names & {entry.pw_name for entry in pwd.getpwall()}
    for attendee in result["attendees"]:
        assert not Path("/home", f"jupyter-{attendee['name']}").exists()
    assert not Path(result["run"]).exists()
    leftover = subprocess.run(["pgrep", "-f", result["run"]], capture_output=True, text=True)
    assert leftover.stdout == "", leftover.stdout
