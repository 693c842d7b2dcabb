"""Write every Binder and Colab link from the one setting in pyproject.toml.

The setting is ``[tool.paygap-starter]`` (``github = "owner/name"``, ``branch``).
From it this script writes:

- the badge block (Binder, Colab, and Datasette on Binder) and the table of notebooks in
  README.md (between the
  ``<!-- links:start -->`` / ``<!-- links:end -->`` and ``<!-- notebooks:start -->`` /
  ``<!-- notebooks:end -->`` markers);
- in each notebook (``notebooks/*.ipynb`` and the R ones in ``notebooks/r/``), the badges
  line of the first (markdown) cell and the whole second cell, which installs the package
  in Colab (in R: and writes the CSV export) and does nothing elsewhere.
- the dashboard link: the employer explorer (``notebooks/explorer.ipynb``) as a Voila app
  on Binder, and the link to the rendered site on GitHub Pages;

Usage: ``python scripts/sync_links.py`` rewrites; ``--check`` only reports files
that are out of step and exits 1 if there are any (the tests run this).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from paygap_utils.notebook_cells import SETUP_TAG

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
DATASETTE_BADGE = "https://img.shields.io/badge/SQL-Datasette-0072b2"
EXPLORER = "explorer.ipynb"
EXPLORER_BADGE = "https://img.shields.io/badge/Voila-employer%20explorer-579ACA"
SITE_BADGE = "https://img.shields.io/badge/site-executed%20notebooks-0072B2"


def settings(root: Path = ROOT) -> tuple[str, str]:
    """Return the (``owner/name``, branch) the repository is published under."""
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["paygap-starter"]
    return config["github"], config["branch"]


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """Return the notebooks: ``notebooks/*.ipynb``, then the R ones in ``notebooks/r/``."""
    folder = root / "notebooks"
    return sorted(folder.glob("*.ipynb")) + sorted(folder.glob("r/*.ipynb"))


def relative_name(path: Path) -> str:
    """The notebook's path below ``notebooks/``, e.g. ``r/00_start_here_r.ipynb``."""
    return f"r/{path.name}" if path.parent.name == "r" else path.name


def is_r(notebook: dict) -> bool:
    return notebook.get("metadata", {}).get("kernelspec", {}).get("language", "").lower() == "r"


def colab_url(repo: str, branch: str, notebook: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook}"


def binder_url(repo: str, branch: str, notebook: str | None = None) -> str:
    target = f"lab/tree/notebooks/{notebook}" if notebook else "lab/tree/notebooks"
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath={target}"


def datasette_url(repo: str, branch: str) -> str:
    """Binder straight into Datasette, which jupyter-server-proxy serves at ``datasette/``."""
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=datasette/"


def voila_url(repo: str, branch: str, notebook: str = EXPLORER) -> str:
    """The notebook as a Voila dashboard (code hidden) on mybinder.org."""
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=voila/render/notebooks/{notebook}"


def site_url(repo: str) -> str:
    """Where .github/workflows/site.yml publishes the rendered site (GitHub Pages)."""
    owner, name = repo.split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def notebook_table(
    repo: str, branch: str, notebooks: list[Path], prefix: str = "notebooks/"
) -> str:
    """The table of notebooks with their badges: the README's, and the site's landing page."""
    rows = ["| Notebook | Open in |", "| --- | --- |"]
    for path in notebooks:
        name = relative_name(path)
        rows.append(
            f"| [{notebook_title(path)}]({prefix}{name}) | "
            f"[![Open In Colab]({COLAB_BADGE})]({colab_url(repo, branch, name)}) "
            f"[![Binder]({BINDER_BADGE})]({binder_url(repo, branch, name)}) |"
        )
    return "\n".join(rows)


def badges(repo: str, branch: str, notebook: str) -> str:
    """A notebook's badges line: Colab and Binder, and for the explorer its app on Binder."""
    line = (
        f"[![Open In Colab]({COLAB_BADGE})]({colab_url(repo, branch, notebook)}) "
        f"[![Binder]({BINDER_BADGE})]({binder_url(repo, branch, notebook)})"
    )
    if notebook == EXPLORER:
        line += f" [![Employer explorer]({EXPLORER_BADGE})]({voila_url(repo, branch)})"
    return line


def setup_cell_source(repo: str, branch: str) -> str:
    return (
        "# In Google Colab, install the helper library; elsewhere it is already installed.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "paygap-utils @ git+https://github.com/{repo}@{branch}"'
    )


def r_setup_cell_source(repo: str, branch: str) -> str:
    """The R notebooks' first code cell: in Colab's R runtime, install the package and export."""
    return (
        "# In Google Colab, install the helper library and write the data export; elsewhere it\n"
        "# is already there. The R notebooks read the CSV that the Python package writes.\n"
        'if (nzchar(Sys.getenv("COLAB_RELEASE_TAG"))) {\n'
        f"  system(\"python3 -m pip install -q 'paygap-utils @ git+https://github.com/{repo}@{branch}'\")\n"
        '  system("python3 -m paygap_utils export --format csv --quiet")\n'
        "}"
    )


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def notebook_title(path: Path) -> str:
    """Return the notebook's title: the text of the first heading of its first cell."""
    cells = json.loads(path.read_text())["cells"]
    match = re.search(r"^#\s+(.+)$", _source(cells[0]), flags=re.M)
    if not match:
        raise SystemExit(f"{path.name}: the first cell must start with a '# Title' heading.")
    return match[1].strip()


def sync_notebook(path: Path, repo: str, branch: str) -> str:
    """Return the notebook's JSON text with its badges and set-up cell written from the setting."""
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    if len(cells) < 2 or cells[0]["cell_type"] != "markdown" or cells[1]["cell_type"] != "code":
        raise SystemExit(
            f"{path.name}: expected a markdown title cell followed by the Colab set-up code cell."
        )
    title_lines = _source(cells[0]).split("\n")
    line = badges(repo, branch, relative_name(path))
    kept = [ln for ln in title_lines if not ln.startswith("[![Open In Colab]")]
    kept.insert(1, "")
    kept.insert(2, line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).rstrip("\n")
    cells[0]["source"] = _lines(text)
    setup = r_setup_cell_source if is_r(notebook) else setup_cell_source
    cells[1]["source"] = _lines(setup(repo, branch))
    cells[1].setdefault("metadata", {})["tags"] = [SETUP_TAG]
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def readme_text(text: str, repo: str, branch: str, notebooks: list[Path]) -> str:
    """Return README.md with its link block and notebook table written from the setting."""
    links = f"[![Binder]({BINDER_BADGE})]({binder_url(repo, branch)})"
    if notebooks:
        links += f" [![Open In Colab]({COLAB_BADGE})]({colab_url(repo, branch, notebooks[0].name)})"
        links += f" [![Datasette]({DATASETTE_BADGE})]({datasette_url(repo, branch)})"
    if any(path.name == EXPLORER for path in notebooks):
        links += f" [![Employer explorer]({EXPLORER_BADGE})]({voila_url(repo, branch)})"
    links += f" [![Site]({SITE_BADGE})]({site_url(repo)})"
    rows = notebook_table(repo, branch, notebooks)
    for name, block in (("links", links), ("notebooks", rows)):
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(
                f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block."
            )
        text = pattern.sub(lambda m, block=block: m[1] + block + "\n" + m[2], text)
    return text


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    """Rewrite (or with ``--check``, report) the files of the repository at ``root``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report files out of step; exit 1")
    args = parser.parse_args(argv)
    repo, branch = settings(root)
    notebooks = notebook_paths(root)
    wanted = {path: sync_notebook(path, repo, branch) for path in notebooks}
    readme = root / "README.md"
    wanted[readme] = readme_text(readme.read_text(), repo, branch, notebooks)
    stale = [path for path, text in wanted.items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(root)} is out of step with [tool.paygap-starter]")
        if stale:
            print("Run `python scripts/sync_links.py` to rewrite them.")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path])
        print(f"rewrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
