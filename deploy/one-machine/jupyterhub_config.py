"""JupyterHub on one machine for a hackathon day: read by the paygap-hub systemd unit.

Every setting an organiser changes lives in ``$PAYGAP_HUB_PREFIX/hub.env`` (written by
``deploy/one-machine/setup``); the numbers below come from ``python -m bench.hub`` runs, in
docs/performance.md. Files in ``$PAYGAP_HUB_PREFIX/jupyterhub_config.d/*.py`` are read last
and may change anything (HTTPS, ports), as in The Littlest JupyterHub.
"""

import os
import pwd
import subprocess
import sys
from pathlib import Path

from systemdspawner import SystemdSpawner

c = get_config()  # noqa: F821 - JupyterHub defines it when it reads this file
prefix = Path(os.environ["PAYGAP_HUB_PREFIX"])


# The comment marks the users the hub made (bench.hub deletes only those).
ADD_USER = ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", "paygap hub"]


class AttendeeSpawner(SystemdSpawner):
    """SystemdSpawner that makes the attendee's system user at their first start, home 0700."""

    async def start(self):
        name = self._expand_user_vars(self.username_template)
        try:
            pwd.getpwnam(name)
        except KeyError:
            # Blocking on purpose: one useradd at a time, so none fails on /etc/passwd's lock.
            subprocess.run([*ADD_USER, name], check=True)
            Path(pwd.getpwnam(name).pw_dir).chmod(0o700)
        return await super().start()


# Login: one event password for attendees; the organisers in PAYGAP_HUB_ADMINS log in with
# the admin password and are the hub's admins. Anyone with the event password can log in as
# any attendee: fine for a day of public data, not for anything private.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["PAYGAP_HUB_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["PAYGAP_HUB_ADMIN_PASSWORD"]
c.Authenticator.admin_users = set(os.environ.get("PAYGAP_HUB_ADMINS", "").replace(",", " ").split())
c.Authenticator.allow_all = True
# The hub name becomes the system user jupyter-<name>, which must stay a valid user name.
c.Authenticator.username_pattern = r"^[a-z][a-z0-9-]{0,23}$"
c.JupyterHub.template_vars = {
    "announcement_login": "Username: lower-case letters, digits and dashes, starting with a letter."
}

c.JupyterHub.spawner_class = AttendeeSpawner
c.SystemdSpawner.username_template = "jupyter-{USERNAME}"
c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}"
c.SystemdSpawner.default_shell = "/bin/bash"
c.SystemdSpawner.isolate_tmp = True
c.SystemdSpawner.extra_paths = [str(prefix / "env" / "bin")]
c.Spawner.cmd = [str(prefix / "env" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# One read-only copy of the data and its cleaned cache for everyone (setup's data step).
c.Spawner.environment = {"PAYGAP_DATA_DIR": os.environ["PAYGAP_DATA_DIR"]}
# systemd's MemoryMax= on each attendee's unit: a kernel over it is killed, its server lives.
# mybinder.org's kill line, so what runs on Binder runs here; bench.hub measured a peak of
# 348 MB per attendee (server and kernel at notebook 00's first figure), docs/performance.md.
c.Spawner.mem_limit = os.environ.get("PAYGAP_HUB_MEMORY_LIMIT", "2G")
# bench.hub, 60 attendees at once on 2 busy cores: servers were ready up to 112 s after their
# attendee logged in, far past JupyterHub's default of 30 s for a server to answer.
c.Spawner.http_timeout = 600
# Servers keep running while the hub restarts (a config change during the day).
c.JupyterHub.cleanup_servers = False
c.JupyterHub.bind_url = "http://:80"
c.ConfigurableHTTPProxy.command = [str(prefix / "proxy/node_modules/.bin/configurable-http-proxy")]

# Stop servers nobody has used for PAYGAP_HUB_IDLE_TIMEOUT seconds; their files stay.
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={os.environ.get('PAYGAP_HUB_IDLE_TIMEOUT', '2700')}",  # 45 minutes
            "--cull-every=300",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]

for extra in sorted((prefix / "jupyterhub_config.d").glob("*.py")):
    load_subconfig(str(extra))  # noqa: F821 - defined by traitlets while it reads this file
