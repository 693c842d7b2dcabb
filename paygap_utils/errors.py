"""Exceptions raised by :mod:`paygap_utils`.

Every message says what went wrong, names the file, year or value involved, and
says what to do next, because the people who read them are at a hackathon with
no maintainer at their elbow.
"""

from __future__ import annotations

__all__ = [
    "PaygapError",
    "ManifestError",
    "DownloadError",
    "ChecksumMismatchError",
    "DataFormatError",
]


class PaygapError(Exception):
    """Base class for every error this package raises on purpose."""


class ManifestError(PaygapError, ValueError):
    """``data_manifest.json`` is missing, malformed or unsafe."""


class DownloadError(PaygapError, ConnectionError):
    """A data file could not be downloaded and is not in the cache."""


class ChecksumMismatchError(PaygapError):
    """A downloaded or cached file is not the file the manifest pins."""


class DataFormatError(PaygapError, ValueError):
    """A data file does not look like any layout the service has used."""
