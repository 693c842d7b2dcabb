"""Load test of the one-machine hub (deploy/one-machine/): N attendees arrive at 9:00.

Run as root from the repository folder, once the hub's environment and proxy are built::

    bash deploy/one-machine/setup --prefix .hub --editable packages env proxy
    python -m bench.hub --users N [--window S] [--json]

It puts the hub on this machine as setup puts it on a VM: setup's own ``config``, ``data`` and
``service`` steps, with the environment and proxy of its ``env`` and ``proxy`` steps (in .hub).
The data is fetched once, from a loopback mirror of ``../shared/data/ukgpg``, and is read-only
for the attendees. This machine's PID 1 is not systemd, so the hub gets a systemd of its own:
PID 1 of private PID, mount and cgroup namespaces, with no units but the hub and the
attendees' servers, so the memory limit is set by systemd as on a VM. The hub answers on
127.0.0.1 over HTTPS (a certificate of the run's own, through ``jupyterhub_config.d``); the
notebooks reach the attendees through the nbgitpuller link, from a git daemon serving this
checkout's HEAD.

Then N attendees arrive at even intervals within ``--window`` seconds. Each logs in with the
event password, starts a server, pulls the notebooks, opens notebook 00 through the REST and
websocket API and runs its code cells until one draws a figure. Measured: each attendee's time
to first figure, peak memory (the summed VmHWM of their server and kernel) and CPU; failures;
the hub's CPU and memory; the peak memory of everything in the namespace; how much of the
machine's CPU the namespace had. Then, with every kernel still running, each attendee tries to
read another's home and to write the shared data; a fix pushed to the repository is pulled
again by one attendee; and one kernel allocates more than the memory limit (it must be killed,
and its server live on). The last line with ``--json`` is one JSON object.

Everything it makes (its folder in .hub/runs, the system users and their homes, the namespace
and its processes, the cgroups, the git daemon) is removed at the end, also after a failure,
Ctrl+C or SIGTERM; if the run itself is killed, its processes die with it and the next run
removes the rest.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pwd
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench._common import ROOT, FileServer, machine, mirror_folder
from tests.servers import free_port

ONE_MACHINE = ROOT / "deploy" / "one-machine"
BUILT = ROOT / ".hub"  # the environment and proxy setup made with --prefix .hub
MAKE_BUILT = "bash deploy/one-machine/setup --prefix .hub --editable packages env proxy"
NOTEBOOK = "paygap-starter/notebooks/00_start_here.ipynb"
# Not in /tmp: the hub's unit has a private /tmp (PrivateTmp=yes).
RUNS = BUILT / "runs"
SYSTEMD = Path("/usr/lib/systemd/systemd")
COMMANDS = ("unshare", "nsenter", "setpriv", "useradd", "userdel", "git", "bash", "openssl")
PROXY = BUILT / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
# The units of the private systemd besides the hub: empty stand-ins for the targets every
# service orders itself after, so nothing of this machine's own boot is pulled in.
TARGETS = ("sysinit", "basic", "shutdown", "sockets", "timers", "paths", "slices", "local-fs")
TARGETS += ("swap", "network-online")
# What the JSON keeps of each attendee's record.
KEPT = ("name", "spawn_s", "pull_s", "kernel_s", "first_figure_s", "peak_mb", "kernel_mb")
KEPT += ("cpu_s", "probe", "error")
# PID 1 of the namespace: mounts its own /proc, cgroups and /run, shows systemd only the
# units above (not this machine's), and becomes systemd.
INNER = r"""set -eu
run="$1"; shift
mount -t proc proc /proc
mount -t tmpfs -o mode=0755 cgroups /sys/fs/cgroup
while [ $# -gt 0 ]; do mkdir -p "$3"; mount -t "$1" -o "$2" cgroup "$3"; shift 3; done
mount -t tmpfs -o mode=0755 run /run
mkdir /run/empty
mount --bind "$run/units" /usr/lib/systemd/system
mount --bind /run/empty /etc/systemd/system
mount --bind /run/empty /usr/lib/systemd/system-generators
exec env -i container=paygap-bench PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/lib/systemd/systemd \
    --unit=sysinit.target --show-status=no
"""
# The launcher joins the run's cgroups, so that they are the namespace's root, then unshares.
OUTER = (
    'while [ "$1" != -- ]; do echo $$ > "$1"; shift; done; shift; '
    "exec unshare --pid --fork --kill-child --mount --uts --ipc --cgroup --propagation private "
    'bash -c "$PAYGAP_BENCH_INNER" inner "$@"'
)
# Run in each attendee's kernel once every attendee has a figure.
PROBE = """
import json as _json, os as _os
def _attempt(action):
    try:
        action()
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"denied ({error.strerror})"
    return "allowed"
_data = _os.environ["PAYGAP_DATA_DIR"]
_file = next(f.path for f in _os.scandir(_data) if f.is_file())
print("PROBE", _json.dumps({
    "uid": _os.getuid(),
    "data_dir": _data,
    "read_other_home": _attempt(lambda: _os.listdir(OTHER)) if OTHER else "no other attendee",
    "write_shared_data": _attempt(lambda: open(_os.path.join(_data, "bench-probe"), "x").close()),
    "change_shared_file": _attempt(lambda: open(_file, "a").close()),
    "own_data_copy": _os.path.exists(_os.path.expanduser("~/.cache/paygap")),
}))
"""


def missing() -> str | None:
    """Why the load test cannot run on this machine, as an instruction; None if it can."""
    if os.geteuid() != 0:
        return "it needs root (it makes system users and runs a systemd of its own): run it as root"
    absent = [name for name in COMMANDS if shutil.which(name) is None]
    if absent or not SYSTEMD.exists():
        return (
            f"it needs {', '.join(absent or ['systemd'])}: install them (apt-get install systemd "
            "util-linux passwd git) and run it again"
        )
    if not (BUILT / "env" / "bin" / "jupyterhub").exists() or not PROXY.exists():
        return f"the hub's environment and proxy are not built: run `{MAKE_BUILT}` first"
    if not any("memory" in options.split(",") for _, options, _, _ in hierarchies("")):
        return (
            "it runs its systemd on cgroup v1 controllers, and this machine has no v1 memory "
            "controller; on a VM with systemd, install the hub with deploy/one-machine/setup"
        )
    return None


def hierarchies(name: str) -> list[tuple[str, str, str, Path]]:
    """(type, mount options, mount point, folder ``name`` under this process's cgroup) of each
    cgroup hierarchy: the run's cgroups nest inside the caller's, never beside them."""
    own = dict(
        line.split(":", 2)[1:] for line in Path("/proc/self/cgroup").read_text().splitlines()
    )
    found = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, fstype_etc = line.split(" - ")
        root, mountpoint = fields.split()[3:5]
        fstype, _, options = fstype_etc.split()[:3]
        if fstype == "cgroup2":
            key = ""
        elif fstype == "cgroup":
            wanted = set(options.split(","))
            key = next((k for k in own if k and set(k.split(",")) <= wanted), None)
        else:
            continue
        if key in own and key not in found:
            inside = os.path.relpath(own[key], root)
            found[key] = (fstype, options, mountpoint, Path(mountpoint, inside, name).resolve())
    return list(found.values())


def cmdline(pid: int) -> bytes:
    """The command line of ``pid``; empty if it has ended meanwhile."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def vmhwm_mb(pids: list[int]) -> float:
    """The summed peak resident memory of those ``pids`` still running, in MB."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM"))
    return total / 1024


def remove_cgroups(paths: list[Path]) -> None:
    """Remove cgroup folders, children first; a cgroup empties a moment after its last process."""
    for path in paths:
        for _ in range(50):
            if not path.exists():
                break
            try:
                for folder in sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True):
                    folder.rmdir()
                path.rmdir()
            except OSError:
                time.sleep(0.1)


class Machine:
    """The hub's own systemd: PID 1 of private namespaces, with a cgroup in each hierarchy."""

    def __init__(self, run: Path, processes: int):
        self.run = run
        self.processes = processes
        self.hierarchies = hierarchies(run.name)
        self.cgroups = [path for *_, path in self.hierarchies]
        self.log = run / "machine.log"
        self.hub_log = run / "hub.log"
        self.process: subprocess.Popen | None = None

    def cgroup(self, controller: str, unit: str = "") -> Path:
        """The folder of ``unit`` in ``controller``'s hierarchy (the namespace's root if empty)."""
        base = next(p for _, options, _, p in self.hierarchies if controller in options.split(","))
        return base / "system.slice" / unit if unit else base

    def pids(self, unit: str) -> list[int]:
        try:
            return [
                int(pid)
                for pid in (self.cgroup("memory", unit) / "cgroup.procs").read_text().split()
            ]
        except OSError:
            return []

    def start(self) -> None:
        """Boot the namespace's systemd, with no unit but the stand-in targets."""
        units = self.run / "units"
        units.mkdir()
        for target in TARGETS:
            (units / f"{target}.target").write_text(f"[Unit]\nDescription={target}\n")
        (units / "system.slice").write_text("[Unit]\nDescription=system services\n")
        # The hub's log in the run's folder (on a VM it goes to the journal).
        (units / "paygap-hub.service.d").mkdir()
        (units / "paygap-hub.service.d" / "log.conf").write_text(
            f"[Service]\nStandardOutput=append:{self.hub_log}\nStandardError=inherit\n"
        )
        self.log.touch()
        procs, mounts = [], []
        for fstype, options, mountpoint, path in self.hierarchies:
            path.mkdir()
            if "cpuset" in options.split(","):  # a cpuset takes no process before it has cpus
                for name in ("cpuset.cpus", "cpuset.mems"):
                    (path / name).write_text((path.parent / name).read_text())
            if "cpu" in options.split(","):
                # A cgroup competes for the CPU as one process would: weigh it as the busy
                # processes it holds, so that the namespace shares a busy machine as they would.
                (path / "cpu.shares").write_text(str(1024 * self.processes))
            procs.append(str(path / "cgroup.procs"))
            mounts += [fstype, options, mountpoint]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "--", "bash", "-c", OUTER, "outer", *procs]
                + ["--", str(self.run), *mounts],
                env={**os.environ, "PAYGAP_BENCH_INNER": INNER},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def init(self) -> int:
        """The host's id of the namespace's PID 1 (systemd), once unshare has made it."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for _ in range(100):
            pids = children.read_text().split()
            if pids:
                return int(pids[0])
            time.sleep(0.1)
        raise RuntimeError(f"unshare made no namespace; the end of its log:\n{self.log_tail()}")

    def run_inside(self, command: list[str]) -> subprocess.CompletedProcess:
        """Run ``command`` in the namespace, as a root shell of that machine would."""
        private = Path(f"/proc/{self.init()}/root/run/systemd/private")
        for _ in range(300):  # systemd's socket for systemctl, once it has booted
            if private.exists():
                break
            time.sleep(0.1)
        with self.log.open("ab") as log:
            return subprocess.run(
                ["nsenter", "-t", str(self.init()), "-m", "-p", "--", *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The end of the hub's log, and of the namespace's own output if it has any."""
        tails = []
        for log in (self.log, self.hub_log):
            text = log.read_text(errors="replace") if log.exists() else ""
            tails += [f"{log.name}:", *text.splitlines()[-lines:]] if text else []
        return "\n".join(tails) or "(no log)"

    def hub_problems(self, lines: int = 30) -> str:
        """The last warnings and errors of the hub and its proxy, to show why an attendee failed."""
        text = self.hub_log.read_text(errors="replace") if self.hub_log.exists() else ""
        problems = [
            ln
            for ln in text.splitlines()
            if ln.startswith(("[E", "[W")) or ("[ConfigProxy]" in ln and "error" in ln)
        ]
        return "\n".join(problems[-lines:])

    def stop(self) -> None:
        """Power the namespace off: every process in it ends; then its cgroups go."""
        if self.alive():
            try:
                # systemd's immediate power-off (poweroff -ff); its end ends the namespace.
                os.kill(self.init(), signal.SIGRTMIN + 14)
                self.process.wait(timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                self.process.kill()  # unshare's death kills its child, PID 1 (--kill-child)
                self.process.wait(timeout=30)
        remove_cgroups(self.cgroups)


class Kernel:
    """One kernel of an attendee's server, driven over its websocket as JupyterLab does. A
    thread reads the socket all along, as a browser does, so that the server's pings are
    answered while the attendee waits (the server closes a socket that stops answering)."""

    def __init__(self, url: str, token: str, timeout: float):
        import websocket

        headers = [f"Authorization: token {token}"]
        self.socket = websocket.create_connection(url, header=headers, timeout=timeout)
        self.session = uuid.uuid4().hex
        self.timeout = timeout
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        import websocket

        while True:
            try:
                text = self.socket.recv()  # answers the pings that come in meanwhile
            except websocket.WebSocketTimeoutException:
                continue
            except (OSError, websocket.WebSocketException):
                text = ""
            self.replies.put(json.loads(text) if text else None)
            if not text:
                return

    def run(self, code: str) -> list[dict]:
        """Execute ``code`` and return its outputs; raise if it fails or the kernel dies."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session}
        content = {"code": code, "silent": False, "store_history": True, "allow_stdin": False}
        self.socket.send(
            json.dumps(
                {
                    "header": {**header, "username": "", "version": "5.3"},
                    "parent_header": {},
                    "metadata": {},
                    "content": {**content, "user_expressions": {}},
                    "channel": "shell",
                }
            )
        )
        outputs = []
        while True:
            try:
                reply = self.replies.get(timeout=self.timeout)
            except queue.Empty:
                raise RuntimeError(f"no answer from the kernel in {self.timeout:g} s") from None
            if reply is None:
                raise RuntimeError("the server closed the kernel's websocket")
            kind = reply["msg_type"]
            state = reply["content"].get("execution_state") if kind == "status" else None
            if state in ("restarting", "dead"):
                raise RuntimeError(f"the kernel died ({state})")
            if reply["parent_header"].get("msg_id") != msg_id or reply["channel"] != "iopub":
                continue
            if state == "idle":
                return outputs
            if kind == "error":
                raise RuntimeError(f"{reply['content']['ename']}: {reply['content']['evalue']}")
            outputs.append(reply)

    def close(self) -> None:
        self.socket.close()


def session():
    """An HTTP session that, as a browser does, sends a request again on a new connection when
    the one it reused was closed before any answer came (the proxy closes idle connections
    after 5 s, and a client starved of CPU in the rush can be idle that long)."""
    import requests
    from urllib3.util import Retry

    http = requests.Session()
    again = Retry(total=3, connect=3, read=3, status=0, other=0, allowed_methods=None)
    http.mount("https://", requests.adapters.HTTPAdapter(max_retries=again))
    return http


def log_in(hub: str, name: str, password: str, timeout: float):
    """Log in through the login form as a browser does; return the session and the answer."""
    http = session()
    http.get(f"{hub}/hub/login", timeout=timeout).raise_for_status()
    form = {"username": name, "password": password, "_xsrf": http.cookies["_xsrf"]}
    return http, http.post(f"{hub}/hub/login", data=form, allow_redirects=False, timeout=timeout)


def pull(http, user: str, repo: str, timeout: float) -> None:
    """What the nbgitpuller link does once the server is up: pull ``repo`` into the home."""
    query = {"repo": repo, "branch": "main"}
    with http.get(f"{user}/git-pull/api", params=query, stream=True, timeout=timeout) as answer:
        answer.raise_for_status()
        events = [json.loads(ln[5:]) for ln in answer.iter_lines() if ln.startswith(b"data:")]
    if not events or events[-1].get("phase") != "finished":
        raise RuntimeError(f"nbgitpuller did not finish: {events[-1:] or 'no answer'}")


def fix_on_the_day(run: Path, hub: str, record: dict, repo: str) -> bool:
    """Push a new file to the notebooks' repository, then follow the link again as one
    attendee: True if the file reached their copy."""

    work = run / "fix"
    subprocess.run(
        ["git", "clone", "--quiet", str(run / "git" / "paygap-starter"), str(work)], check=True
    )
    (work / "FIX_ON_THE_DAY.md").write_text("A fix pushed during the event.\n")
    git = ["git", "-C", str(work), "-c", "user.name=bench.hub", "-c", "user.email=bench@localhost"]
    for command in (
        ["add", "FIX_ON_THE_DAY.md"],
        ["commit", "--quiet", "-m", "Fix"],
        ["push", "--quiet", "origin", "HEAD:main"],
    ):
        subprocess.run([*git, *command], check=True)
    http = session()
    http.headers["Authorization"] = f"token {record['token']}"
    user = f"{hub}/user/{record['name']}"
    pull(http, user, repo, 300)
    return http.get(f"{user}/api/contents/paygap-starter/FIX_ON_THE_DAY.md", timeout=60).ok


def attendee(hub: str, record: dict, password: str, repo: str, at: float, timeout: float) -> None:
    """Arrive at ``at``; log in, start a server, pull the notebooks, open notebook 00 and run
    its code cells until one draws a figure. Fills ``record``; a failure goes in its error."""
    name = record["name"]
    time.sleep(max(0.0, at - time.monotonic()))
    start = time.monotonic()
    record["stage"] = "login"
    try:
        http, answer = log_in(hub, name, password, timeout)
        if answer.status_code != 302:
            raise RuntimeError(f"the login answered {answer.status_code}")
        answer = http.post(
            f"{hub}/hub/api/users/{name}/tokens",
            json={"note": "bench.hub", "expires_in": 3600},
            headers={"X-XSRFToken": http.cookies["_xsrf"]},
            timeout=timeout,
        )
        answer.raise_for_status()
        record["token"] = token = answer.json()["token"]
        http.headers["Authorization"] = f"token {token}"

        record["stage"] = "spawn"
        answer = http.post(f"{hub}/hub/api/users/{name}/server", timeout=timeout)
        if answer.status_code not in (
            201,
            202,
            400,
        ):  # 400: already starting (a request sent again)
            answer.raise_for_status()
        while True:
            servers = http.get(f"{hub}/hub/api/users/{name}", timeout=timeout).json()["servers"]
            if servers.get("", {}).get("ready"):
                break
            if not servers or time.monotonic() - start > timeout:
                raise RuntimeError("the server stopped or did not start")
            time.sleep(0.5)
        record["spawn_s"] = time.monotonic() - start

        record["stage"] = "pull"
        user = f"{hub}/user/{name}"
        pull(http, user, repo, timeout)
        record["pull_s"] = time.monotonic() - start

        record["stage"] = "kernel"
        notebook = http.get(f"{user}/api/contents/{NOTEBOOK}", timeout=timeout)
        notebook.raise_for_status()
        body = {"path": NOTEBOOK, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
        answer = http.post(f"{user}/api/sessions", json=body, timeout=timeout)
        answer.raise_for_status()
        channels = f"{user}/api/kernels/{answer.json()['kernel']['id']}/channels"
        record["kernel"] = kernel = Kernel(channels.replace("http", "ws", 1), token, timeout)
        record["kernel_s"] = time.monotonic() - start

        for cell in notebook.json()["content"]["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            record["stage"] = f"cell {source.splitlines()[0][:50]!r}"
            if any("image/png" in out["content"].get("data", {}) for out in kernel.run(source)):
                break
        else:
            raise RuntimeError(f"no cell of {NOTEBOOK} drew a figure")
        record["first_figure_s"] = time.monotonic() - start
        record["stage"] = "done"
    except Exception as error:  # noqa: BLE001 - any failure is this attendee's result
        record["error"] = f"{record['stage']}: {type(error).__name__}: {error}"[:400]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with ``share`` of ``values`` at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cpu_s(pids: list[int]) -> float:
    """CPU seconds used by ``pids`` and their children that have ended (useradd, say)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def machine_cpu(box: Machine) -> tuple[float, float, float]:
    """Seconds of CPU since boot: (every core's capacity, used by anything, used in the
    namespace), so that a run shows how much of the machine it had to itself."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    ticks = os.sysconf("SC_CLK_TCK")
    inside = int((box.cgroup("cpuacct") / "cpuacct.usage").read_text()) / 1e9
    return sum(fields) / ticks, (sum(fields) - fields[3] - fields[4]) / ticks, inside


class Sampler(threading.Thread):
    """Once a second: the CPU the hub's processes use."""

    def __init__(self, box: Machine):
        super().__init__(daemon=True)
        self.box = box
        self.stopping = threading.Event()
        self.cpu_percent: list[float] = []

    def hub_cpu_s(self) -> float:
        return cpu_s(self.box.pids("paygap-hub.service"))

    def run(self) -> None:
        cpu, then = self.hub_cpu_s(), time.monotonic()
        while not self.stopping.wait(1.0):
            now, was = time.monotonic(), cpu
            cpu = self.hub_cpu_s()
            self.cpu_percent.append(100 * (cpu - was) / (now - then))
            then = now


def oom_kills(box: Machine, unit: str) -> int:
    text = (box.cgroup("memory", unit) / "memory.oom_control").read_text()
    return int(dict(line.split() for line in text.splitlines()).get("oom_kill", 0))


def over_the_limit(box: Machine, hub: str, record: dict, limit_mb: float) -> dict:
    """Allocate 256 MB more than the limit in one kernel: it must die and its server live."""
    import requests

    unit = f"jupyter-{record['name']}.service"
    before = oom_kills(box, unit)
    try:
        record["kernel"].run(f"_hog = b'x' * {int((limit_mb + 256) * 2**20)}")
        killed = False
    except RuntimeError as error:  # the kernel dying is what should happen
        killed = str(error).startswith("the kernel died")
    status = requests.get(
        f"{hub}/user/{record['name']}/api/status",
        headers={"Authorization": f"token {record['token']}"},
        timeout=60,
    )
    return {
        "kernel_killed": killed,
        "oom_kills_in_unit": oom_kills(box, unit) - before,
        "server_survived": status.ok,
    }


def probe(box: Machine, records: list[dict]) -> bool:
    """With every kernel still running: peak memory, and the isolation probe in each kernel.
    True if every attendee has their own user and was refused the other's home and the data."""
    for i, record in enumerate(records):
        pids = box.pids(f"jupyter-{record['name']}.service")
        record["peak_mb"], record["cpu_s"] = vmhwm_mb(pids), cpu_s(pids)
        kernels = [pid for pid in pids if b"ipykernel" in cmdline(pid)]
        record["kernel_mb"] = vmhwm_mb(kernels)
        other = records[(i + 1) % len(records)]["name"] if len(records) > 1 else ""
        home = pwd.getpwnam(f"jupyter-{other}").pw_dir if other else ""
        outputs = record["kernel"].run(PROBE.replace("OTHER", repr(home)))
        printed = "".join(out["content"].get("text", "") for out in outputs)
        found = [ln for ln in printed.splitlines() if ln.startswith("PROBE ")]
        if not found:
            raise RuntimeError(
                f"the isolation probe printed no answer in {record['name']}'s kernel: {printed!r}"
            )
        record["probe"] = json.loads(found[-1].removeprefix("PROBE "))
    uids = {r["probe"]["uid"] for r in records}
    return (
        bool(records)
        and len(uids) == len(records)
        and 0 not in uids
        and all(
            r["probe"]["read_other_home"].startswith(("denied", "no other"))
            and r["probe"]["write_shared_data"].startswith("denied")
            and r["probe"]["change_shared_file"].startswith("denied")
            for r in records
        )
    )


def prepare(run: Path, mirror: str, ports: dict[str, int], organiser: str) -> dict[str, str]:
    """The hub's folder as setup makes it (its config and data steps, the environment and
    proxy linked from .hub), this run's ports, and the notebooks' repository; return hub.env."""
    for part in ("env", "proxy"):
        (run / part).symlink_to(BUILT / part)
    subprocess.run(
        ["bash", str(ONE_MACHINE / "setup"), "--prefix", str(run), "config", "data"],
        env={**os.environ, "PAYGAP_DATA_URL": mirror},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    with (run / "hub.env").open("a") as settings:
        settings.write(f"PAYGAP_HUB_ADMINS={organiser}\n")
    # HTTPS as docs/organisers.md sets it up, with a certificate of its own for 127.0.0.1.
    tls = run / "tls"
    tls.mkdir(mode=0o700)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
        capture_output=True,
        check=True,
    )
    (run / "jupyterhub_config.d" / "bench.py").write_text(
        "# bench.hub: this run's ports on 127.0.0.1, and its certificate\n"
        f"c.JupyterHub.bind_url = 'https://127.0.0.1:{ports['hub']}'\n"
        f"c.JupyterHub.ssl_cert = '{tls / 'cert.pem'}'\n"
        f"c.JupyterHub.ssl_key = '{tls / 'key.pem'}'\n"
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{ports['api']}'\n"
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{ports['proxy']}'\n"
    )
    repository = run / "git" / "paygap-starter"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repository)], check=True
    )
    push = ["git", "-C", str(ROOT), "push", "--quiet", str(repository), "HEAD:refs/heads/main"]
    subprocess.run(push, check=True)
    lines = (run / "hub.env").read_text().splitlines()
    return dict(ln.split("=", 1) for ln in lines if "=" in ln and not ln.startswith("#"))


def start_hub(box: Machine, run: Path, hub: str) -> None:
    import requests

    box.start()
    # setup's own service step: it installs and enables the unit and starts the hub.
    if box.run_inside(
        ["bash", str(ONE_MACHINE / "setup"), "--prefix", str(run), "service"]
    ).returncode:
        raise RuntimeError(f"setup's service step failed; the end of its log:\n{box.log_tail()}")
    deadline = time.monotonic() + 300  # a busy machine can take minutes
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{hub}/hub/api/", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if not box.alive():
            break
        time.sleep(0.5)
    raise RuntimeError(f"the hub did not answer; the end of its log:\n{box.log_tail()}")


def organiser_checks(hub: str, name: str, settings: dict[str, str]) -> dict[str, bool]:
    """An organiser logs in with the admin password and is an admin; a wrong one is refused."""
    http, answer = log_in(hub, name, settings["PAYGAP_HUB_ADMIN_PASSWORD"], 60)
    me = http.get(f"{hub}/hub/api/user", headers={"X-XSRFToken": http.cookies["_xsrf"]}, timeout=60)
    _, wrong = log_in(hub, name, settings["PAYGAP_HUB_PASSWORD"], 60)
    return {
        "organiser_is_admin": answer.status_code == 302 and me.ok and me.json()["admin"] is True,
        "organiser_needs_admin_password": wrong.status_code == 403,
    }


def remove_run(run: Path, users: list[str], cgroups: list[Path]) -> list[str]:
    """Remove what a run made (its users, only those the hub made, its cgroups and folder);
    return what is left."""
    for user in users:
        if _gecos(user) == "paygap hub":  # the comment AttendeeSpawner gives its users
            subprocess.run(["userdel", "--remove", user], stderr=subprocess.DEVNULL, check=False)
    remove_cgroups(cgroups)
    shutil.rmtree(run, ignore_errors=True)
    left = [f"user {user}" for user in users if _gecos(user) is not None]
    return left + [str(path) for path in [*cgroups, run] if path.exists()]


def _gecos(user: str) -> str | None:
    try:
        return pwd.getpwnam(user).pw_gecos
    except KeyError:
        return None


def remove_stale_runs() -> None:
    """Clean up after runs that were killed: their processes died with them, the rest did not."""
    for run in sorted(RUNS.glob("*")):
        try:
            state = json.loads((run / "run.json").read_text())
        except (OSError, ValueError):
            continue
        if not Path(f"/proc/{state['pid']}").exists():
            remove_run(run, state["users"], [Path(p) for p in state["cgroups"]])


# The row this run adds to docs/performance.md, column by column: (header, value from the JSON).
ROW = (
    ("attendees", lambda r: r["users"]),
    ("failed", lambda r: r["failed"]),
    ("server up p95 (s)", lambda r: r["server_up_s_p95"]),
    ("first figure p50 (s)", lambda r: r["first_figure_s"]["p50"]),
    ("p95 (s)", lambda r: r["first_figure_s"]["p95"]),
    ("max (s)", lambda r: r["first_figure_s"]["max"]),
    ("peak MB per attendee", lambda r: r["peak_mb_per_user"]),
    ("machine MB per attendee", lambda r: r["machine_mb_per_user"]),
    ("CPU s per attendee", lambda r: r["cpu_s_per_user"]),
    (
        "hub CPU mean / peak (%)",
        lambda r: f"{r['hub']['cpu_percent_mean']} / {r['hub']['cpu_percent_peak']}",
    ),
    ("hub MB", lambda r: r["hub"]["peak_mb"]),
    ("load before", lambda r: r["load_before"]),
    (
        "CPU busy: all / hub (%)",
        lambda r: f"{r['machine_cpu_percent']} / {r['hub_machine_cpu_percent']}",
    ),
)


def markdown_row(result: dict) -> str:
    return "| " + " | ".join(str(value(result)) for _, value in ROW) + " |"


def measured(page: Path = ROOT / "docs" / "performance.md") -> list[dict[str, str]]:
    """The rows of this benchmark's table in ``page``, each a dict keyed by column header."""
    header = "| " + " | ".join(name for name, _ in ROW) + " |"
    lines = page.read_text().splitlines()
    if header not in lines:
        return []
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows.append(dict(zip((name for name, _ in ROW), cells, strict=True)))
    return rows


def versions() -> str:
    """What the hub ran: the environment setup built in .hub, Node.js and systemd."""
    code = (
        "import importlib.metadata as m, platform; print(f'Python {platform.python_version()}, ' + "
        "', '.join(f'{p} {m.version(p)}' for p in ('jupyterhub', 'jupyterhub-systemdspawner', "
        "'jupyterhub-idle-culler', 'nbgitpuller', 'jupyterlab', 'pandas')))"
    )
    python = subprocess.run(
        [str(BUILT / "env" / "bin" / "python"), "-c", code], capture_output=True, text=True
    )
    proxy = subprocess.run([str(PROXY), "--version"], capture_output=True, text=True)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    systemd = subprocess.run([str(SYSTEMD), "--version"], capture_output=True, text=True)
    return (
        f"{python.stdout.strip()}; configurable-http-proxy {proxy.stdout.strip()} on Node.js "
        f"{node.stdout.strip()}; {systemd.stdout.splitlines()[0]}; Linux {os.uname().release}"
    )


def table(records: list[dict]) -> str:
    lines = [
        "| attendee | server up (s) | notebooks pulled (s) | first figure (s) | peak MB | error |"
    ]
    lines.append("|---|---:|---:|---:|---:|---|")
    for r in records:
        cells = [
            f"{r[key]:.1f}" if key in r else "" for key in ("spawn_s", "pull_s", "first_figure_s")
        ]
        peak = f"{r['peak_mb']:.0f}" if "peak_mb" in r else ""
        lines.append(f"| {r['name']} | {' | '.join(cells)} | {peak} | {r.get('error', '')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hub", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, required=True, help="how many attendees arrive")
    parser.add_argument("--window", type=float, default=10.0, help="seconds they arrive within")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds each may take")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error("--users must be 1 or more")
    problem = missing()
    if problem:
        print(f"bench.hub: {problem}.", file=sys.stderr)
        return 2
    remove_stale_runs()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill cleans up as Ctrl+C does

    tag = uuid.uuid4().hex[:6]
    records = [{"name": f"bench{tag}-{i:02d}"} for i in range(1, args.users + 1)]
    users = [f"jupyter-{r['name']}" for r in records]
    RUNS.mkdir(exist_ok=True)
    run = RUNS / tag
    run.mkdir(mode=0o755)  # the attendees reach the environment and the data through it
    box = Machine(run, processes=args.users + 1)  # a kernel or server per attendee, the hub
    state = {"pid": os.getpid(), "users": users, "cgroups": [str(p) for p in box.cgroups]}
    (run / "run.json").write_text(json.dumps(state))
    ports = {key: free_port() for key in ("hub", "api", "proxy", "git")}
    hub = f"https://127.0.0.1:{ports['hub']}"
    sampler = Sampler(box)
    git = None
    result: dict = {"users": args.users, "run": str(run)}
    load_before = os.getloadavg()[0]
    try:
        print(f"bench.hub: preparing {run} with setup's config and data steps ...", file=sys.stderr)
        with FileServer(mirror_folder()) as mirror:
            settings = prepare(run, mirror.url, ports, organiser=f"bench{tag}-organiser")
        # Every client of this process (requests, websocket-client) trusts the run's certificate.
        os.environ["REQUESTS_CA_BUNDLE"] = str(run / "tls" / "cert.pem")
        os.environ["WEBSOCKET_CLIENT_CA_BUNDLE"] = str(run / "tls" / "cert.pem")
        git = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL", "--", "git", "daemon", "--reuseaddr", "--export-all"]
            + [f"--base-path={run / 'git'}"]
            + ["--listen=127.0.0.1", f"--port={ports['git']}", str(run / "git")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        start_hub(box, run, hub)
        checks = organiser_checks(hub, f"bench{tag}-organiser", settings)

        print(
            f"bench.hub: {args.users} attendees arrive within {args.window:g} s ...",
            file=sys.stderr,
        )
        sampler.start()
        hub_cpu_before, cpu_before = sampler.hub_cpu_s(), machine_cpu(box)
        rush = time.monotonic()
        repo = f"git://127.0.0.1:{ports['git']}/paygap-starter"
        threads = []
        for i, record in enumerate(records):
            at = rush + i * args.window / args.users
            work = (hub, record, settings["PAYGAP_HUB_PASSWORD"], repo, at, args.timeout)
            threads.append(threading.Thread(target=attendee, args=work, daemon=True))
            threads[-1].start()
        for thread in threads:
            thread.join(max(1.0, rush + args.window + args.timeout - time.monotonic()))
        rush_s = time.monotonic() - rush
        hub_cpu_s = sampler.hub_cpu_s() - hub_cpu_before
        capacity, busy, inside = (b - a for a, b in zip(cpu_before, machine_cpu(box), strict=True))
        sampler.stopping.set()
        for record in records:
            if "first_figure_s" not in record:
                record.setdefault("error", f"{record.get('stage', 'waiting')}: no answer in time")

        # The peak of everything the hub's machine ran, the page cache it filled included
        # (read before the probes, one of which allocates more than the limit).
        machine_mb = int((box.cgroup("memory") / "memory.max_usage_in_bytes").read_text()) / 2**20
        done = [r for r in records if "first_figure_s" in r]
        isolated = probe(box, done)
        fix_arrived = bool(done) and fix_on_the_day(run, hub, done[-1], repo)
        hub_pids = box.pids("paygap-hub.service")
        limit = {"limit_mb": None, "enforced_by": "none found"}
        if done:
            unit = box.cgroup("memory", f"jupyter-{done[0]['name']}.service")
            limit_mb = int((unit / "memory.limit_in_bytes").read_text()) / 2**20
            limit = {
                "limit_mb": round(limit_mb),
                "enforced_by": "systemd MemoryMax= on the attendee's unit (cgroup v1 memory limit)",
                **over_the_limit(box, hub, done[0], limit_mb),
            }
        figures = [r["first_figure_s"] for r in done]
        result = {
            "users": args.users,
            "run": str(run),
            "failed": args.users - len(done),
            "first_figure_s": {
                "p50": round(statistics.median(figures), 1) if figures else None,
                "p95": round(percentile(figures, 0.95), 1) if figures else None,
                "max": round(max(figures), 1) if figures else None,
            },
            "server_up_s_p95": round(percentile([r["spawn_s"] for r in done], 0.95), 1)
            if done
            else None,
            "peak_mb_per_user": round(max(r["peak_mb"] for r in done)) if done else None,
            "kernel_mb_per_user": round(max(r["kernel_mb"] for r in done)) if done else None,
            "cpu_s_per_user": round(statistics.median(r["cpu_s"] for r in done), 1)
            if done
            else None,
            "isolated": isolated,
            "shared_data": bool(done)
            and all(
                r["probe"]["data_dir"] == str(run / "data") and not r["probe"]["own_data_copy"]
                for r in done
            ),
            "machine_mb_per_user": round(machine_mb / args.users),
            "hub": {
                "cpu_s": round(hub_cpu_s, 1),
                "cpu_percent_mean": round(100 * hub_cpu_s / rush_s),
                "cpu_percent_peak": round(max(sampler.cpu_percent, default=0)),
                "peak_mb": round(vmhwm_mb(hub_pids)),
            },
            "fix_reaches_attendee": fix_arrived,
            "idle_culler_running": any(b"jupyterhub_idle_culler" in cmdline(p) for p in hub_pids),
            "memory_limit": limit,
            **checks,
            "rush_s": round(rush_s, 1),
            "window_s": args.window,
            "load_before": round(load_before, 1),
            # Of all cores during the rush: busy, and busy with the hub and its attendees.
            "machine_cpu_percent": round(100 * busy / capacity),
            "hub_machine_cpu_percent": round(100 * inside / capacity),
            "attendees": [
                {k: round(v, 1) if isinstance(v, float) else v for k, v in r.items() if k in KEPT}
                for r in records
            ],
        }
    except KeyboardInterrupt:
        result["error"] = "interrupted"
    except Exception as error:  # noqa: BLE001 - reported, then everything is cleaned up
        result["error"] = f"{type(error).__name__}: {error}"
    finally:
        sampler.stopping.set()
        if "error" in result or any("error" in record for record in records):
            print(
                f"bench.hub: the hub's last warnings and errors:\n{box.hub_problems()}",
                file=sys.stderr,
            )
        for record in records:
            if "kernel" in record:
                record.pop("kernel").close()
        box.stop()
        if git is not None:
            git.terminate()
            git.wait(timeout=30)
        leftovers = remove_run(run, users, box.cgroups)
    result["cleaned_up"] = not leftovers
    if leftovers:
        result["left_over"] = leftovers

    print(f"\n{machine().split(', Python')[0]}\n{versions()}\n\n{table(records)}\n")
    for key, value in result.items():
        if key != "attendees":
            print(f"{key}: {value}")
    if "error" not in result:
        header = "| " + " | ".join(name for name, _ in ROW) + " |"
        print(
            f"\nFor docs/performance.md:\n\n{header}\n|{'---:|' * len(ROW)}\n{markdown_row(result)}"
        )
    if args.json:
        print(json.dumps(result))
    return 0 if "error" not in result and not result.get("failed") and not leftovers else 1


if __name__ == "__main__":
    sys.exit(main())
