"""Exceptions of :mod:`paygap_utils`: each message names the file or value and what to do next."""

__all__ = [
    "PaygapError",
    "ManifestError",
    "DownloadError",
    "ChecksumMismatchError",
    "DataFormatError",
    "YearError",
    "SettingsError",
    "DataFolderError",
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


class YearError(PaygapError, ValueError):
    """A value that is not one of the data's reporting years; the message lists those there are."""


class SettingsError(PaygapError, ValueError):
    """An environment setting or a URL the package cannot use (e.g. plain http to the internet)."""


class DataFolderError(PaygapError, OSError):
    """The data folder cannot be written (read-only, disk full) or its lock cannot be taken."""
