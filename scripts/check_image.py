"""Whether the environment holds every part the README promises: postBuild's last step.

    python scripts/check_image.py

postBuild runs it in the Binder image once the data and the exports are in place, so a build
that lost a part fails there, loudly, instead of launching without it. It checks, in the
environment that runs it:

- the R kernel: a kernel spec named ``ir`` that Jupyter finds, whose R starts;
- the exports the R notebooks and Datasette read: the CSV with its column list and the SQLite
  database, in the data folder;
- the Datasette launcher: the ``datasette`` entry of jupyter-server-proxy, and Datasette;
- the Voila extension (``voila.server_extension``, behind the explorer badge) and
  jupyter-server-proxy's, enabled for the Jupyter server and importable.

Every missing part is one line that names it and says what to do; the exit status is 1 if any
part is missing. tests/test_postbuild.py runs it after postBuild, and with each part taken away.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Callable

#: The Jupyter server extensions the image serves: the explorer badge and the Datasette tile.
SERVER_EXTENSIONS = {
    "voila.server_extension": "voila (environment.yml) installs and enables it",
    "jupyter_server_proxy": "jupyter-server-proxy (environment.yml) installs and enables it",
}


def r_kernel() -> str:
    """The IR kernel Jupyter finds, and the R it starts."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("ir")
    except NoSuchKernel:
        raise LookupError(
            "the R kernel (`ir`) is not registered: environment.yml's conda-forge::r-irkernel "
            "did not install, or postBuild's IRkernel::installspec() did not run"
        ) from None
    r = shutil.which(spec.argv[0])
    if r is None:
        raise LookupError(f"the R kernel starts {spec.argv[0]}, which is not there")
    result = subprocess.run(
        [r, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise LookupError(f"the R kernel's R ({r}) does not start: {result.stderr.strip()}")
    return f"R kernel: {spec.resource_dir} ({result.stdout.splitlines()[0]})"


def exports() -> str:
    """The CSV, its column list and the SQLite database in the data folder."""
    from paygap_utils.organisers.export import columns_path, export_path

    csv, sqlite = export_path("csv"), export_path("sqlite")
    missing = [p for p in (csv, columns_path(csv), sqlite) if not p.is_file()]
    if missing:
        raise LookupError(
            f"the exports are missing ({', '.join(map(str, missing))}): run "
            "`python -m paygap_utils export --format csv` and `--format sqlite` as postBuild does"
        )
    return f"exports: {csv.parent}"


def datasette_entry() -> str:
    """jupyter-server-proxy's ``datasette`` entry (the package's metadata) and Datasette itself."""
    entries = importlib.metadata.entry_points(group="jupyter_serverproxy_servers")
    entry = next((e for e in entries if e.name == "datasette"), None)
    if entry is None:
        raise LookupError(
            "the Datasette launcher entry is missing: the package is not installed with its "
            "entry points (postBuild's `pip install --no-deps .`)"
        )
    server = entry.load()()
    if not {"command", "launcher_entry"} <= server.keys():
        raise LookupError(f"the Datasette entry {entry.value} has no command or launcher tile")
    try:
        version = importlib.metadata.version("datasette")
    except importlib.metadata.PackageNotFoundError:
        raise LookupError("datasette is not installed: it is in environment.yml") from None
    return f"Datasette launcher: {entry.value} (datasette {version})"


def server_extensions() -> str:
    """The Jupyter server extensions the badges need, enabled in the config the server reads."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyter_server.extension.manager import ExtensionPackage

    enabled = ExtensionConfigManager(read_config_path=jupyter_config_path())
    found = enabled.get_jpserver_extensions()
    for name, how in SERVER_EXTENSIONS.items():
        if not found.get(name):
            raise LookupError(f"the Jupyter server extension {name} is not enabled: {how}")
        if not ExtensionPackage(name=name, enabled=True).validate():
            raise LookupError(f"the Jupyter server extension {name} does not load: {how}")
    return f"server extensions: {', '.join(SERVER_EXTENSIONS)}"


CHECKS: dict[str, Callable[[], str]] = {
    "R kernel": r_kernel,
    "exports": exports,
    "Datasette launcher": datasette_entry,
    "server extensions": server_extensions,
}


def main() -> int:
    failed = 0
    for name, check in CHECKS.items():
        try:
            print(f"ok  {check()}")
        except Exception as exc:  # every failure is reported, then the build stops
            failed += 1
            print(f"MISSING  {name}: {exc}", file=sys.stderr)
    if failed:
        print(
            f"check_image: {failed} part(s) the README promises are missing from this "
            "environment (above); the image must not be used until they are there.",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
