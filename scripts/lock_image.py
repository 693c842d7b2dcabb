"""The Binder image's Python packages, written once: image-requirements.txt -> environment.yml.

image-requirements.txt holds the exact version of every Python package the image installs, in
three parts:

- ``[conda]``: what environment.yml asks conda-forge for: pyproject.toml's runtime and
  ``notebooks`` requirements and the few packages only the image adds (``IMAGE_ONLY``), each
  with the feedstock evidence that conda-forge builds that version for Python 3.12;
- ``[pip]``: what conda-forge does not publish, installed by environment.yml's ``pip:`` section;
- ``[resolved]``: everything beneath them, as pip resolves them together with repo2docker's base
  environment, at the versions of its lock.

``bash scripts/test --binder`` installs exactly these versions (``pip install --no-deps -r``),
and this script writes environment.yml's pins from the first two parts::

    python scripts/lock_image.py             # write environment.yml's pinned block
    python scripts/lock_image.py --check     # exit 1, saying what differs, if it does not follow
    .venv-binder/bin/python scripts/lock_image.py --resolve
        # also rewrite [resolved]: needs Python 3.12, PyPI and jupyter-repo2docker (for its
        # base lock), which .venv-binder has

After changing pyproject.toml's requirements: edit the ``[conda]`` (or ``[pip]``) line, then run
the ``--resolve`` command. docs/contributing.md ("The image's packages") has the steps.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = "image-requirements.txt"
ENVIRONMENT = "environment.yml"
SECTIONS = ("conda", "pip", "resolved")
#: conda-forge's name for a package where it differs from PyPI's. The ``-base`` packages hold what
#: pip installs (conda-forge's ``matplotlib`` adds Qt, its ``seaborn`` adds statsmodels);
#: the rest appear in repo2docker's base lock.
CONDA_NAMES = {
    "matplotlib": "matplotlib-base",
    "seaborn": "seaborn-base",
    "fastjsonschema": "python-fastjsonschema",
    "jupyterhub": "jupyterhub-base",
    "nbconvert": "nbconvert-core",
    "brotli": "brotli-python",
}
#: What the image installs that pyproject.toml does not require, and why.
IMAGE_ONLY = {
    "jupyter-resource-usage": "the memory in use against mybinder.org's limit, in the status bar",
    "sphinx": "sphinx-revealjs's one heavy requirement, from conda-forge rather than by pip",
}
BEGIN = "  # --- written by scripts/lock_image.py from image-requirements.txt: edit the lock ---"
END = "  # --- end of the block scripts/lock_image.py writes ---"
_LINE = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s#]+)\s*(?:#.*)?")


def normalise(name: str) -> str:
    """PyPI's normalised form of a project name (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def conda_name(name: str) -> str:
    """conda-forge's name for the PyPI project ``name``."""
    name = normalise(name)
    return CONDA_NAMES.get(name, name)


def pypi_name(conda: str) -> str:
    """PyPI's name for the conda-forge package ``conda``."""
    by_conda = {c: p for p, c in CONDA_NAMES.items()}
    conda = normalise(conda)
    return by_conda.get(conda, conda)


def read_lock(text: str) -> dict[str, dict[str, str]]:
    """The lock's sections: section -> {normalised PyPI name: version}, in file order."""
    sections: dict[str, dict[str, str]] = {name: {} for name in SECTIONS}
    current = None
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.fullmatch(r"#\s*\[(\w+)\].*", line.strip())
        if header:
            if header[1] not in sections:
                raise ValueError(f"{LOCK}:{number}: unknown section [{header[1]}]")
            current = header[1]
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line.strip())
        if current is None or not match:
            raise ValueError(
                f"{LOCK}:{number}: {line.strip()!r} is not `name==version` under a "
                f"[{'], ['.join(SECTIONS)}] header"
            )
        name = normalise(match["name"])
        if name in seen:
            raise ValueError(f"{LOCK}:{number}: {name} is listed twice")
        seen.add(name)
        sections[current][name] = match["version"]
    return sections


def pinned_block(sections: dict[str, dict[str, str]]) -> list[str]:
    """environment.yml's lines for the lock's [conda] and [pip] parts."""
    lines = [BEGIN]
    lines += [f"  - {conda_name(name)}={version}" for name, version in sections["conda"].items()]
    if sections["pip"]:
        lines.append("  - pip:")
        lines += [f"      - {name}=={version}" for name, version in sections["pip"].items()]
    lines.append(END)
    return lines


def environment_text(environment: str, sections: dict[str, dict[str, str]]) -> str:
    """environment.yml's text with its pinned block written from the lock."""
    lines = environment.splitlines()
    if BEGIN not in lines or END not in lines:
        raise ValueError(
            f"{ENVIRONMENT} lacks the lines that mark the pinned block; put these two lines "
            f"under `dependencies:` and run the command again:\n{BEGIN}\n{END}"
        )
    start, end = lines.index(BEGIN), lines.index(END)
    return "\n".join([*lines[:start], *pinned_block(sections), *lines[end + 1 :]]) + "\n"


def python_packages(conda_lock: str) -> dict[str, str]:
    """The Python packages of a conda explicit lock (noarch or CPython builds): PyPI name ->
    version. Its other packages (tzdata, openssl, nodejs ...) are not pip's business."""
    versions = {}
    for line in conda_lock.splitlines():
        if line.startswith(("#", "@")) or not line.strip():
            continue
        stem = re.sub(r"\.(conda|tar\.bz2)(#.*)?$", "", line.rsplit("/", 1)[-1])
        name, version, build = stem.rsplit("-", 2)
        if build.startswith("py"):
            versions[pypi_name(name)] = version
    return versions


def base_lock() -> tuple[dict[str, str], list[str]]:
    """repo2docker's base environment for Python 3.12: its Python packages' versions from its
    linux-64 lock (PyPI names), and the names its spec asks for."""
    try:
        import repo2docker.buildpacks.conda as conda_pack
    except ImportError:
        raise SystemExit(
            "--resolve reads repo2docker's base lock from jupyter-repo2docker: run it with "
            ".venv-binder/bin/python (bash scripts/test --binder makes it)."
        ) from None
    folder = Path(conda_pack.__file__).parent
    versions = python_packages((folder / "environment.py-3.12-linux-64.lock").read_text())
    spec = (folder / "environment.py-3.12.yml").read_text()
    asked = [pypi_name(m) for m in re.findall(r"^- ([A-Za-z0-9_.-]+)", spec, flags=re.M)]
    # jupyterhub-singleuser is a metapackage over jupyterhub-base
    asked = ["jupyterhub" if name == "jupyterhub-singleuser" else name for name in asked]
    return versions, [name for name in asked if name in versions]


def resolve(sections: dict[str, dict[str, str]]) -> dict[str, str]:
    """pip's resolution of [conda], [pip] and the base spec, constrained to the base lock."""
    if sys.version_info[:2] != (3, 12):
        raise SystemExit("--resolve needs Python 3.12, the image's: use .venv-binder/bin/python.")
    versions, asked = base_lock()
    wanted = {**sections["conda"], **sections["pip"]}
    for name in asked:
        wanted.setdefault(name, versions[name])
    with tempfile.TemporaryDirectory() as folder:
        requirements = Path(folder, "requirements.txt")
        requirements.write_text("".join(f"{n}=={v}\n" for n, v in wanted.items()))
        constraints = Path(folder, "constraints.txt")
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in versions.items()))
        venv.EnvBuilder(with_pip=True).create(Path(folder, "venv"))
        python = str(Path(folder, "venv", "bin", "python"))
        pip = [python, "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "-r", requirements, "-c", constraints], check=True)
        subprocess.run([*pip, "check"], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--all", "--exclude", "pip"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    direct = sections["conda"].keys() | sections["pip"].keys()
    resolved = {}
    for line in frozen.splitlines():
        match = _LINE.fullmatch(line.strip())
        if match and normalise(match["name"]) not in direct:
            resolved[normalise(match["name"])] = match["version"]
    return dict(sorted(resolved.items()))


def lock_text(text: str, resolved: dict[str, str]) -> str:
    """The lock's text with its [resolved] part replaced."""
    head = re.split(r"^#\s*\[resolved\].*$", text, maxsplit=1, flags=re.M)
    header = re.search(r"^#\s*\[resolved\].*$", text, flags=re.M)
    if header is None:
        raise ValueError(f"{LOCK} has no [resolved] header")
    body = "".join(f"{name}=={version}\n" for name, version in resolved.items())
    return f"{head[0]}{header[0]}\n{body}"


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only say whether files differ")
    mode.add_argument("--resolve", action="store_true", help="also re-resolve [resolved]")
    args = parser.parse_args(argv)
    lock_path, environment_path = root / LOCK, root / ENVIRONMENT
    try:
        sections = read_lock(lock_path.read_text())
        if args.resolve:
            text = lock_text(lock_path.read_text(), resolve(sections))
            lock_path.write_text(text)
            sections = read_lock(text)
            print(f"{LOCK}: [resolved] rewritten ({len(sections['resolved'])} packages)")
        expected = environment_text(environment_path.read_text(), sections)
    except ValueError as exc:
        print(f"lock_image: {exc}", file=sys.stderr)
        return 2
    if environment_path.read_text() == expected:
        print(f"{ENVIRONMENT} follows {LOCK}.")
        return 0
    if args.check:
        print(
            f"{ENVIRONMENT} does not follow {LOCK}: run `python scripts/lock_image.py` and "
            "commit both files.",
            file=sys.stderr,
        )
        return 1
    environment_path.write_text(expected)
    print(f"{ENVIRONMENT}: pinned block written from {LOCK}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
