"""The data manifest: which files make up the data set, where they come from, and their checksums.

``data_manifest.json`` at the repository root is the one source of truth for the
data. Everything else (the download registry, ``postBuild``, the docs' tables, the
tests) reads it through :func:`read_manifest`. Wheels carry the same file inside the
package; a checkout reads it from the repository root.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeAlias

from ..errors import ManifestError, YearError

__all__ = [
    "DataFile",
    "Manifest",
    "manifest_path",
    "read_manifest",
    "parse_manifest",
    "parse_year",
    "year_label",
    "deadline",
    "missing_entries",
    "SCHEMA_PATH",
    "YearLike",
    "Years",
]

#: One reporting year in any spelling :func:`parse_year` accepts: ``2017``, ``"2017-18"``,
#: a numpy integer ...
YearLike: TypeAlias = int | str | numbers.Integral
#: What a ``years`` argument takes: one year, any collection of them, or None for every year.
Years: TypeAlias = YearLike | Iterable[YearLike] | None

#: The JSON Schema of ``data_manifest.json``, shipped in the package; the manifest names it
#: in its ``$schema`` key (relative to the repository root), so editors check it too.
SCHEMA_PATH = Path(__file__).resolve().parent / "manifest.schema.json"
_SCHEMA_REF = f"paygap_utils/data/{SCHEMA_PATH.name}"

# Private and voluntary employers must report by 4 April of the year after the snapshot
# (public bodies by 30 March); the service moved the deadline once, for COVID-19.
_EXTENDED_DEADLINES = {2020: date(2021, 10, 5)}


def deadline(year: int) -> date:
    """Return the last day private and voluntary employers could report for a reporting year.

    4 April of the following year (public bodies: 30 March), except 2020-21, whose
    deadline was extended to 5 October 2021. For 2019-20 enforcement was suspended,
    but the deadline stayed 4 April 2020.

    Examples
    --------
    >>> from paygap_utils.data.manifest import deadline
    >>> deadline(2017), deadline(2020)
    (datetime.date(2018, 4, 4), datetime.date(2021, 10, 5))
    """
    return _EXTENDED_DEADLINES.get(year, date(year + 1, 4, 4))


@dataclass(frozen=True)
class DataFile:
    """One published file: a reporting year of the Gender Pay Gap Service data.

    Attributes
    ----------
    year : int
        First calendar year of the reporting year (2017 for 2017-18).
    file_name : str
        The name the service gives the download; also the name in the cache.
    url : str
        Immutable download URL whose bytes match ``sha256``.
    source_url : str
        The official download address (its file is regenerated hourly).
    sha256, size, rows, layout, as_of, notes
        Checksum, bytes, data rows, column layout, latest submission date in the
        file, and free-text quirks.

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
    notes: str

    @property
    def label(self) -> str:
        """The reporting year as people write it, e.g. ``'2017-18'``."""
        return year_label(self.year)

    @property
    def deadline(self) -> date:
        """The reporting deadline of private and voluntary employers (:func:`deadline`)."""
        return deadline(self.year)

    @property
    def days_after_deadline(self) -> int:
        """How long after the deadline the copy was made (its ``as_of``), in days.

        Late filings keep arriving for years, so a copy made soon after the
        deadline has fewer rows and fewer late filings than one made later.
        """
        return (date.fromisoformat(self.as_of) - self.deadline) // timedelta(days=1)

    def to_json(self) -> dict[str, Any]:
        """Return the entry as it is written in ``data_manifest.json``."""
        entry = asdict(self)
        entry["year"] = self.label
        return entry


@dataclass(frozen=True)
class Manifest:
    """The whole data set: its description, source page, licence and one :class:`DataFile` per year.

    ``source`` is the official page the files are downloaded from, and
    ``source_url_template`` the official download of one year (see :meth:`official_url`).
    ``missing`` lists the reporting years in the span of ``files`` that the data set
    lacks, each as ``{"year": "2023-24", "notes": "why"}``.
    """

    name: str
    description: str
    source: str
    source_url_template: str
    licence: dict[str, str]
    files: tuple[DataFile, ...]
    missing: tuple[dict[str, str], ...] = ()

    @property
    def years(self) -> list[int]:
        """First years of the reporting years, oldest first."""
        return [f.year for f in self.files]

    @property
    def gaps(self) -> dict[int, str]:
        """The reporting years the data set lacks (first year -> why), oldest first.

        Every year between the first and the last file that has no file is a gap,
        with the manifest's note on it where there is one.

        Examples
        --------
        >>> from paygap_utils.data.manifest import read_manifest
        >>> read_manifest().gaps  # doctest: +ELLIPSIS
        {2023: 'No complete public copy of 2023-24 ...'}
        """
        notes = {parse_year(gap["year"]): gap["notes"] for gap in self.missing}
        years = set(self.years)
        span = range(min(years), max(years) + 1) if years else range(0)
        absent = [year for year in span if year not in years]
        return {year: notes.get(year, "not in data_manifest.json") for year in absent}

    def official_url(self, year: YearLike) -> str:
        """Return the service's own download of one reporting year (``source_url_template``).

        Its file is regenerated every hour, so it is where :func:`missing_entries` and
        ``refresh`` download a year from, never a pinned ``url``.

        Examples
        --------
        >>> from paygap_utils.data.manifest import read_manifest
        >>> read_manifest().official_url("2023-24")
        'https://gender-pay-gap.service.gov.uk/viewing/download-data/2023'
        """
        return self.source_url_template.format(year=parse_year(year))

    def file(self, year: YearLike) -> DataFile:
        """Return the entry for ``year`` (any spelling :func:`parse_year` accepts).

        Raises
        ------
        YearError
            (a ``ValueError``) if ``year`` is not a reporting year of the
            manifest; the message lists the years it has.
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

        Parameters
        ----------
        years : year, list of years, or None
            One year in any spelling :func:`parse_year` accepts (``numpy``
            integers too), or any collection of them (list, tuple, set, range,
            array, Series); ``None`` means every year.

        Raises
        ------
        YearError
            For a value that is not a year of the manifest, or an empty collection.

        Examples
        --------
        >>> import numpy as np
        >>> from paygap_utils.data.manifest import read_manifest
        >>> [f.label for f in read_manifest().select(np.array([2020, 2019]))]
        ['2019-20', '2020-21']
        """
        if years is None:
            return list(self.files)
        if isinstance(years, (str, bytes, numbers.Number)) or not _is_collection(years):
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
        return {
            "$schema": _SCHEMA_REF,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "source_url_template": self.source_url_template,
            "licence": dict(self.licence),
            "files": [f.to_json() for f in self.files],
            "missing": [
                {"year": year_label(year), "notes": notes} for year, notes in self.gaps.items()
            ],
        }


def _is_collection(value: Any) -> bool:
    if isinstance(value, dict):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


_YEAR_PATTERNS = (
    re.compile(r"^(?P<first>\d{4})$"),
    re.compile(r"^(?P<first>\d{4})\s*[-/]\s*(?P<second>\d{2}|\d{4})$"),
    re.compile(r"^(?P<first>\d{4})\s+to\s+(?P<second>\d{4})$", re.IGNORECASE),
)


_SPELLINGS = "Write it as 2017, '2017-18', '2017/18' or '2017 to 2018'."


def missing_entries(manifest: Manifest) -> list[DataFile]:
    """Return an entry to download for each year the manifest lacks (:attr:`Manifest.gaps`).

    Its checksum, size and rows are unknown (empty and 0) until
    :func:`paygap_utils.organisers.refresh.refresh_manifest` downloads the service's file for
    that year and measures it; ``url`` and ``source_url`` are the official address.

    Examples
    --------
    >>> from paygap_utils.data.manifest import missing_entries, read_manifest
    >>> [(e.label, e.file_name) for e in missing_entries(read_manifest())]
    [('2023-24', 'UK Gender Pay Gap Data - 2023 to 2024.csv')]
    """
    entries = []
    for year in manifest.gaps:
        official = manifest.official_url(year)
        entries.append(
            DataFile(
                year=year,
                file_name=f"UK Gender Pay Gap Data - {year} to {year + 1}.csv",
                url=official,
                source_url=official,
                sha256="",
                size=0,
                rows=0,
                layout="",
                as_of="",
                notes=(
                    "Added by `python -m paygap_utils refresh` from the service's download; "
                    "its file is regenerated hourly, so publish this copy (--publish-url) "
                    "before committing the manifest."
                ),
            )
        )
    return entries


def parse_year(year: Any) -> int:
    """Turn any usual spelling of a reporting year into its first calendar year.

    Parameters
    ----------
    year : int or str
        ``2017``, ``"2017"``, ``"2017-18"``, ``"2017/18"``, ``"2017-2018"`` or
        ``"2017 to 2018"`` all mean the reporting year 2017-18. Any whole-number
        type works (``numpy.int64(2017)``, a value taken from a DataFrame);
        floats do not, even ``2017.0``: a year is not a measurement.

    Returns
    -------
    int
        The first calendar year, e.g. ``2017``.

    Raises
    ------
    YearError
        (a ``ValueError``) if ``year`` is not a reporting year in one of those
        spellings.

    Examples
    --------
    >>> import numpy as np
    >>> from paygap_utils.data.manifest import parse_year
    >>> [parse_year(y) for y in (2017, "2017", "2017-18", "2017/18", "2017 to 2018")]
    [2017, 2017, 2017, 2017, 2017]
    >>> parse_year(np.int64(2021))
    2021
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
    elif isinstance(year, numbers.Number):
        raise YearError(
            f"{shown} is not a reporting year: it is a {type(year).__name__}, and a year is a "
            f"whole number. {_SPELLINGS}"
        )
    elif isinstance(year, str):
        text = year.strip()
        for pattern in _YEAR_PATTERNS:
            match = pattern.match(text)
            if match:
                break
        else:
            raise YearError(f"{shown} is not a reporting year. {_SPELLINGS}")
        first = int(match["first"])
        second = match.groupdict().get("second")
        if second is not None:
            expected = str(first + 1)
            if second not in (expected, expected[2:]):
                raise YearError(
                    f"{shown} is not a reporting year: a reporting year runs from one year to "
                    f"the next, e.g. '{first}-{expected[2:]}'."
                )
    else:
        raise YearError(
            f"{shown} is not a reporting year: it is a {type(year).__name__}. {_SPELLINGS}"
        )
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
    """Return the path of ``data_manifest.json`` this installation uses.

    A wheel carries the manifest inside the package; a checkout (including an
    editable install) reads the one at the repository root.

    Examples
    --------
    >>> from paygap_utils.data.manifest import manifest_path
    >>> manifest_path().name
    'data_manifest.json'
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "data_manifest.json", here.parents[1] / "data_manifest.json"):
        if candidate.is_file():
            return candidate
    raise ManifestError(
        f"data_manifest.json was not found next to the package ({here}) or at the "
        "repository root. Reinstall the package (pip install --force-reinstall ...) or "
        "run from a complete checkout of the repository."
    )


def read_manifest(path: str | Path | None = None) -> Manifest:
    """Read and validate ``data_manifest.json``.

    Parameters
    ----------
    path : str or Path, optional
        A manifest file; by default the one this installation ships
        (:func:`manifest_path`).

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        If the file is missing, is not JSON, or an entry is malformed; the
        message names the entry and the field.

    Examples
    --------
    >>> from paygap_utils.data.manifest import read_manifest
    >>> manifest = read_manifest()
    >>> manifest.years[0]
    2017
    >>> manifest.file("2018/19").file_name
    'UK Gender Pay Gap Data - 2018 to 2019.csv'
    """
    path = Path(path) if path is not None else manifest_path()
    return _read_manifest_cached(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read_manifest_cached(path: str, mtime_ns: int) -> Manifest:
    """The manifest at ``path``; the schema check is skipped if this text has passed it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"Cannot read the data manifest {path}: {exc}.") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"The data manifest {path} is not valid JSON ({exc.msg} at line {exc.lineno}). "
            "Restore it with `git checkout data_manifest.json` or rewrite it with "
            "`python -m paygap_utils refresh`."
        ) from None
    digest = _text_digest(text)
    if digest in _PASSED or _is_marked(digest):
        return _parse(raw, source=path, check_schema=False)
    manifest = parse_manifest(raw, source=path)
    _PASSED.add(digest)
    return manifest


# The schema check needs jsonschema, whose import takes about a second and 20 MB in a
# kernel with the Jupyter stack installed. A manifest text that has passed is marked, in the
# library's own corner of the data folder, when the cleaned table is cached there; later
# kernels skip the check for that text. The mark is named by a digest of the schema and the
# text, so any edit to either is checked again. A warm load only looks for the mark.

#: Digests of the manifest texts that passed the schema in this process.
_PASSED: set[str] = set()


def _text_digest(text: str) -> str:
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes() + b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:24]


def _mark(folder: Path, digest: str) -> Path:
    from .datafolder import PRIVATE_DIR

    return folder / PRIVATE_DIR / f"manifest-checked-{digest}"


def _is_marked(digest: str) -> bool:
    from .settings import data_dir

    return _mark(data_dir(), digest).is_file()


def _mark_checked(folder: Path) -> None:
    """Mark in ``folder`` the manifest texts that passed the schema in this process.

    Only the default data folder, where :func:`read_manifest` looks, is marked. The loader
    calls this once it has cached the cleaned table there, holding the folder's lock; a
    folder that cannot be written is left as it is, and the check runs in every kernel.
    """
    from .settings import data_dir

    if Path(folder).resolve() != data_dir().resolve():
        return
    for digest in sorted(_PASSED):
        mark = _mark(folder, digest)
        try:
            mark.parent.mkdir(exist_ok=True)
            mark.touch()
        except OSError:
            return


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


_JSON_TYPES = {"integer": "whole number", "string": "str", "object": "dict", "array": "list"}


def _where(raw: Any, path: list[Any], source: str) -> str:
    """How an error message names the part of the manifest at ``path``."""
    if len(path) >= 2 and path[0] == "files":
        entry = raw["files"][path[1]]
        label = entry.get("year") if isinstance(entry, dict) else None
        return f"{source}: entry {label if isinstance(label, str) else f'#{path[1] + 1}'}"
    if len(path) >= 2 and path[0] == "missing":
        return f"{source}: missing entry #{path[1] + 1}"
    if len(path) >= 2 and path[0] == "licence":
        return f"{source}: licence"
    return source


def _schema_message(error: Any, raw: Any, source: str) -> str:
    """Say what one schema violation means, naming the entry and the field, as a person would."""
    path = list(error.absolute_path)
    value = error.instance
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in value]
        return f"{_where(raw, [*path, ''], source)} is missing the field(s) {', '.join(missing)}."
    if path == ["files"] and error.validator == "minItems":
        return f"{source}: 'files' is empty; the manifest must list at least one year."
    where = _where(raw, path, source)
    field = path[-1] if path and isinstance(path[-1], str) else None
    if error.validator == "type":
        wanted = _JSON_TYPES.get(error.validator_value, error.validator_value)
        if field is None:
            return f"{where} must be a JSON {error.validator_value}, found {type(value).__name__}."
        if error.validator_value == "integer":
            return f"{where}: '{field}' must be a whole number, found {value!r}."
        return f"{where}: '{field}' must be a {wanted}, found {type(value).__name__}."
    described = error.schema.get("description")
    if field is not None and described:
        return f"{where}: {field} must be {described}, found {value!r}."
    return f"{where}: {error.message}."


def _check_schema(raw: Any, source: str) -> None:
    errors = list(_validator().iter_errors(raw))
    if errors:
        # The shallowest first: a missing entry field before what is wrong inside it.
        first = min(errors, key=lambda e: len(e.absolute_path))
        raise ManifestError(
            f"{_schema_message(first, raw, source)} Restore it with `git checkout "
            "data_manifest.json` or rewrite it with `python -m paygap_utils refresh`."
        )


def _check_file_name(name: str, where: str) -> None:
    # The file name becomes a path inside the cache folder: it must stay there.
    unsafe = (
        not name.strip()
        or name != name.strip()
        or name in (".", "..")
        or len(PurePosixPath(name).parts) != 1
        or len(PureWindowsPath(name).parts) != 1
        or "\x00" in name
    )
    if unsafe:
        raise ManifestError(
            f"{where}: file_name {name!r} is not a plain file name; it would be written "
            "outside the data folder. Use the name the service gives the download."
        )


def parse_manifest(raw: Any, source: str = "data_manifest.json") -> Manifest:
    """Validate a manifest already read from JSON and return it as a :class:`Manifest`.

    Parameters
    ----------
    raw : dict
        The decoded JSON.
    source : str
        How to name the manifest in error messages.

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        On a missing or mistyped field, a bad checksum or date (what the JSON
        Schema :data:`SCHEMA_PATH` says), a year written twice (in any spelling), a
        URL that is not https, or a file name that would escape the cache folder.

    Examples
    --------
    >>> from paygap_utils.data.manifest import parse_manifest
    >>> parse_manifest({"name": "x", "description": "y", "source": "https://example.org/",
    ...                 "source_url_template": "https://example.org/{year}",
    ...                 "licence": {"name": "OGL"}, "files": []})
    Traceback (most recent call last):
    ...
    paygap_utils.errors.ManifestError: data_manifest.json: licence is missing the field(s) url, ...
    """
    return _parse(raw, source, check_schema=True)


def _parse(raw: Any, source: str, check_schema: bool) -> Manifest:
    from .settings import check_url

    if check_schema:
        _check_schema(raw, source)
    files: list[DataFile] = []
    seen_years: set[int] = set()
    seen_names: set[str] = set()
    for entry in raw["files"]:
        where = f"{source}: entry {entry['year']}"
        try:
            year = parse_year(entry["year"])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
        if year in seen_years:
            raise ManifestError(f"{where}: the year {year_label(year)} is listed twice.")
        _check_file_name(entry["file_name"], where)
        if entry["file_name"] in seen_names:
            raise ManifestError(f"{where}: the file name {entry['file_name']!r} is listed twice.")
        for key in ("url", "source_url"):
            try:
                check_url(entry[key], what=f"{where}: {key}")
            except ValueError as exc:
                raise ManifestError(str(exc)) from None
        seen_years.add(year)
        seen_names.add(entry["file_name"])
        fields = {f.name: entry[f.name] for f in dataclass_fields(DataFile)}
        files.append(DataFile(**{**fields, "year": year}))
    files.sort(key=lambda f: f.year)
    gaps: list[dict[str, str]] = []
    for index, gap in enumerate(raw.get("missing", [])):
        try:
            year = parse_year(gap["year"])
        except ValueError as exc:
            raise ManifestError(f"{source}: missing entry #{index + 1}: {exc}") from None
        if year not in seen_years:  # a year that has since been added is no longer missing
            gaps.append({"year": year_label(year), "notes": gap["notes"]})
    return Manifest(
        name=raw["name"],
        description=raw["description"],
        source=raw["source"],
        source_url_template=raw["source_url_template"],
        licence=dict(raw["licence"]),
        files=tuple(files),
        missing=tuple(gaps),
    )
