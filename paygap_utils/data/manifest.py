"""The data manifest, ``data_manifest.json``: the files that make up the data set, read as records.

Its schema (:data:`SCHEMA_PATH`) is checked where it is written: by ``refresh`` and the tests.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeAlias

from ..errors import ManifestError, YearError

__all__ = [
    "DataFile",
    "Manifest",
    "manifest_path",
    "read_manifest",
    "SCHEMA_PATH",
    "parse_year",
    "year_label",
    "YearLike",
    "Years",
]

#: One reporting year in any spelling :func:`parse_year` accepts (``2017``, ``"2017-18"``...).
YearLike: TypeAlias = int | str | numbers.Integral
#: What a ``years`` argument takes: one year, any collection of them, or None for every year.
Years: TypeAlias = YearLike | Iterable[YearLike] | None

#: The JSON Schema of ``data_manifest.json``, which names it (``$schema``) for editors too.
SCHEMA_PATH = Path(__file__).resolve().parent / "manifest.schema.json"
_RESTORE = (
    "Restore it with `git checkout data_manifest.json`, or rewrite it with "
    "`python -m paygap_utils.organisers refresh`."
)


@dataclass(frozen=True)
class DataFile:
    """One published file: a reporting year of the Gender Pay Gap Service data.

    An entry of ``data_manifest.json`` (see its schema), ``year`` as an int, ``deadline`` a date.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> entry = read_manifest().file("2022-23")
    >>> entry.deadline.isoformat(), entry.days_after_deadline
    ('2023-04-04', 48)
    """

    year: int
    file_name: str
    url: str
    source_url: str
    sha256: str
    size: int
    rows: int
    layout: str
    as_of: str
    deadline: date
    notes: str

    @property
    def label(self) -> str:
        """The reporting year as people write it, e.g. ``'2017-18'``."""
        return year_label(self.year)

    @property
    def days_after_deadline(self) -> int:
        """Days from the deadline to ``as_of`` (an early copy lacks the late filings)."""
        return (date.fromisoformat(self.as_of) - self.deadline) // timedelta(days=1)


@dataclass(frozen=True)
class Manifest:
    """The whole data set, as ``data_manifest.json`` and its schema describe it (files by year)."""

    name: str
    description: str
    source: str
    source_url_template: str
    licence: dict[str, str]
    files: tuple[DataFile, ...]
    missing: tuple[dict[str, str], ...] = ()

    @property
    def gaps(self) -> dict[int, str]:
        """The reporting years the data set lacks (first year -> why), oldest first.

        Examples
        --------
        >>> from paygap_utils.data.manifest import read_manifest
        >>> read_manifest().gaps  # doctest: +ELLIPSIS
        {2023: 'No complete public copy of 2023-24 ...'}
        """
        return {parse_year(gap["year"]): gap["notes"] for gap in self.missing}

    def file(self, year: YearLike) -> DataFile:
        """Return the entry for ``year``; another year raises ``YearError`` naming those there are.

        Examples
        --------
        >>> from paygap_utils.data.manifest import read_manifest
        >>> read_manifest().file("2018/19").file_name
        'UK Gender Pay Gap Data - 2018 to 2019.csv'
        """
        available = f"Available years: {', '.join(f.label for f in self.files)}."
        try:
            wanted = parse_year(year)
        except YearError as exc:
            raise YearError(f"{exc} {available}") from None
        for entry in self.files:
            if entry.year == wanted:
                return entry
        raise YearError(
            f"There is no data for the reporting year {year_label(wanted)}. {available}"
        )

    def select(self, years: Years = None) -> list[DataFile]:
        """Return the entries for ``years``, oldest first.

        ``years`` is one year, any collection of them (list, set, range, array, Series), or
        ``None`` for every year; an empty collection raises ``YearError``.

        Examples
        --------
        >>> import numpy as np
        >>> from paygap_utils.data.manifest import read_manifest
        >>> [f.label for f in read_manifest().select(np.array([2020, 2019]))]
        ['2019-20', '2020-21']
        """
        if years is None:
            return list(self.files)
        if isinstance(years, (str, bytes, dict)) or not isinstance(years, Iterable):
            years = [years]
        chosen = {self.file(y).year for y in years}
        if not chosen:
            raise YearError(
                "No years were given. Pass one or more years, e.g. 2021 or ['2020-21', 2021], "
                f"or leave years out for all of them: {', '.join(f.label for f in self.files)}."
            )
        return [f for f in self.files if f.year in chosen]

    def to_json(self) -> dict[str, Any]:
        """Return the manifest as it is written in ``data_manifest.json``."""
        files = [{**asdict(f), "year": f.label, "deadline": str(f.deadline)} for f in self.files]
        missing, schema = [dict(g) for g in self.missing], f"paygap_utils/data/{SCHEMA_PATH.name}"
        return {"$schema": schema, **asdict(self), "files": files, "missing": missing}


_YEAR = re.compile(r"(?P<first>\d{4})((\s*[-/]\s*|\s+to\s+)(?P<second>\d{2}|\d{4}))?", re.I)
_SPELLINGS = "Write it as 2017, '2017-18', '2017/18' or '2017 to 2018'."


def parse_year(year: Any) -> int:
    """Turn any usual spelling of a reporting year into its first calendar year.

    Any whole-number type works (``numpy.int64``, a value from a DataFrame); floats do not,
    even ``2017.0``: a year is not a measurement. Anything else raises
    :class:`~paygap_utils.errors.YearError` (a ``ValueError``).

    Examples
    --------
    >>> from paygap_utils.data.manifest import parse_year
    >>> [parse_year(y) for y in (2017, "2017", "2017-18", "2017/18", "2017 to 2018")]
    [2017, 2017, 2017, 2017, 2017]
    >>> parse_year(2017.5)
    Traceback (most recent call last):
    ...
    paygap_utils.errors.YearError: 2017.5 is not a reporting year: ... Write it as 2017, ...
    """
    shown = repr(year) if len(repr(year)) <= 40 else repr(year)[:37] + "..."
    if isinstance(year, bool) or type(year).__name__ in ("bool", "bool_"):
        raise YearError(f"{shown} is not a reporting year: it is True or False. {_SPELLINGS}")
    if isinstance(year, numbers.Integral):
        first = int(year)
    elif isinstance(year, str) and (match := _YEAR.fullmatch(year.strip())):
        first, second = int(match["first"]), match["second"]
        if second is not None and second not in (str(first + 1), str(first + 1)[2:]):
            raise YearError(
                f"{shown} is not a reporting year: a reporting year runs from one year to "
                f"the next, e.g. '{first}-{str(first + 1)[2:]}'."
            )
    else:
        what = "" if isinstance(year, str) else f": it is a {type(year).__name__}"
        what += ", and a year is a whole number" if isinstance(year, numbers.Number) else ""
        raise YearError(f"{shown} is not a reporting year{what}. {_SPELLINGS}")
    if not 1000 <= first <= 9998:
        raise YearError(f"{shown} is not a reporting year. Write it as e.g. 2017 or '2017-18'.")
    return first


def year_label(year: int) -> str:
    """Return the usual label of a reporting year.

    Examples
    --------
    >>> from paygap_utils.data.manifest import year_label
    >>> year_label(2019)
    '2019-20'
    """
    return f"{year}-{(year + 1) % 100:02d}"


def manifest_path() -> Path:
    """Return the ``data_manifest.json`` in use: the package's (a wheel), or the checkout's.

    Examples
    --------
    >>> from paygap_utils.data.manifest import manifest_path
    >>> manifest_path().name
    'data_manifest.json'
    """
    here = Path(__file__).resolve().parent
    packaged = here / "data_manifest.json"  # a wheel's; a checkout's is at the repository root
    return packaged if packaged.is_file() else here.parents[1] / "data_manifest.json"


def read_manifest(path: str | Path | None = None) -> Manifest:
    """Read ``data_manifest.json`` (by default :func:`manifest_path`'s), oldest year first.

    Only the fields are read (``refresh`` checks the rest where it writes the manifest). A file
    that cannot be read, is not JSON or lacks a field raises ``ManifestError``, saying what to do.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> manifest = read_manifest()
    >>> manifest.files[0].label, manifest.file(2017).rows
    ('2017-18', 10534)
    """
    path = Path(path) if path is not None else manifest_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = []
        for f in raw["files"]:
            deadline = date.fromisoformat(f["deadline"])
            files.append(DataFile(**{**f, "year": parse_year(f["year"]), "deadline": deadline}))
        manifest = Manifest(
            **{key: raw[key] for key in ("name", "description", "source", "source_url_template")},
            licence=dict(raw["licence"]),
            files=tuple(sorted(files, key=lambda f: f.year)),
            missing=tuple(dict(gap) for gap in raw.get("missing", ())),
        )
        manifest.gaps  # noqa: B018 - every missing year must parse too
    except KeyError as exc:
        raise ManifestError(f"{path} lacks the field {exc}. {_RESTORE}") from None
    except (OSError, TypeError, ValueError, AttributeError) as exc:
        raise ManifestError(f"{path} is not a readable data manifest: {exc}. {_RESTORE}") from None
    return manifest
