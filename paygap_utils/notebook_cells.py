"""The marks the starter notebooks put on their cells, for everything that reads them.

Cells are the ``.ipynb`` format's dictionaries, as ``json.load`` or ``nbformat`` returns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CHECK_MARKER", "SETUP_TAG", "cell_source", "is_checked_cell", "is_setup_cell"]

#: The tag of the Colab set-up cell (every notebook's second, written by scripts/sync_links.py),
#: which installs the package in Colab and does nothing elsewhere.
SETUP_TAG = "colab-setup"
#: The first line of a code cell whose output nbval compares with tests/notebook_outputs.json.
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"


def cell_source(cell: Mapping[str, Any]) -> str:
    """Return a cell's source as one string (the format allows a list of lines too).

    Examples
    --------
    >>> cell_source({"cell_type": "code", "source": ["x = 1\\n", "x"]})
    'x = 1\\nx'
    """
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_setup_cell(cell: Mapping[str, Any]) -> bool:
    """Whether ``cell`` is the Colab set-up cell (tagged :data:`SETUP_TAG`).

    Examples
    --------
    >>> is_setup_cell({"cell_type": "code", "metadata": {"tags": [SETUP_TAG]}, "source": ""})
    True
    >>> is_setup_cell({"cell_type": "code", "metadata": {}, "source": ""})
    False
    """
    return SETUP_TAG in cell.get("metadata", {}).get("tags", [])


def is_checked_cell(cell: Mapping[str, Any]) -> bool:
    """Whether ``cell`` is a code cell whose output the tests check (:data:`CHECK_MARKER`).

    Examples
    --------
    >>> is_checked_cell({"cell_type": "code", "source": CHECK_MARKER + "\\nprint(1)"})
    True
    >>> is_checked_cell({"cell_type": "markdown", "source": CHECK_MARKER})
    False
    """
    return cell.get("cell_type") == "code" and cell_source(cell).lstrip().startswith(CHECK_MARKER)
