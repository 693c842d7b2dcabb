"""The first start: one download figure, from the manifest; quiet installs; root handled."""

from __future__ import annotations

import re
from pathlib import Path

from paygap_utils.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]


def download_mb() -> int:
    return round(sum(f.size for f in read_manifest().files) / 1e6)


def test_the_readme_gives_the_download_size_of_the_manifest():
    readme = " ".join((ROOT / "README.md").read_text().split())
    figures = {int(n) for n in re.findall(r"about (\d+) MB", readme)}
    assert figures == {download_mb()}, (
        f"README.md says the data is about {sorted(figures)} MB; data_manifest.json's files add "
        f"up to {download_mb()} MB. Say 'about {download_mb()} MB'."
    )


def test_installs_send_pips_details_to_a_log_and_show_its_tail_on_failure():
    for name in ("lab", "test"):
        script = (ROOT / "scripts" / name).read_text()
        installs = [line for line in script.splitlines() if "-m pip install" in line]
        assert installs, name
        for line in installs:
            block = script[script.index(line) :].split("\n\n")[0]
            assert '>"$VENV/pip-install.log" 2>&1' in block or '>"$LOG" 2>&1' in block, line
        assert 'tail -n 20 "$LOG"' in script, name
