"""Helpers for the UK Gender Pay Gap hackathon: fetch, verify, load and plot the data.

Importing the package is free: it touches no network, reads no data and imports
neither pandas nor any plotting or modelling library; each function imports
what it needs when it is called.

Examples
--------
>>> import paygap_utils
>>> paygap_utils.available_years()
['2017-18', '2018-19', '2019-20', '2020-21', '2021-22', '2022-23', '2024-25']
>>> paygap_utils.missing_years()
['2023-24']
"""

from __future__ import annotations

from ._version import __version__
from .data.download import fetch, verify
from .data.loader import load
from .data.manifest import parse_year, read_manifest
from .data.schema import columns
from .data.settings import data_dir
from .doctor import doctor
from .errors import (
    ChecksumMismatchError,
    DataFolderError,
    DataFormatError,
    DownloadError,
    ManifestError,
    PaygapError,
    SettingsError,
    YearError,
)
from .stats import filed_by_deadline

__all__ = [
    "__version__",
    "available_years",
    "missing_years",
    "load",
    "filed_by_deadline",
    "fetch",
    "verify",
    "columns",
    "doctor",
    "read_manifest",
    "parse_year",
    "data_dir",
    "PaygapError",
    "DownloadError",
    "ChecksumMismatchError",
    "DataFormatError",
    "ManifestError",
    "YearError",
    "SettingsError",
    "DataFolderError",
]


def available_years() -> list[str]:
    """Return the reporting years the data covers, oldest first.

    Examples
    --------
    >>> import paygap_utils
    >>> paygap_utils.available_years()[0]
    '2017-18'
    """
    return [f.label for f in read_manifest().files]


def missing_years() -> list[str]:
    """Return the reporting years inside the data's span that it does not have.

    The service publishes every year, but a year is only in this data set when a
    complete copy of its file could be pinned by its checksum; the manifest's
    ``missing`` notes say why a year is absent. Charts and tables over time
    should say that they skip these years.

    Examples
    --------
    >>> import paygap_utils
    >>> paygap_utils.missing_years()
    ['2023-24']
    """
    from .data.manifest import year_label

    return [year_label(year) for year in read_manifest().gaps]
