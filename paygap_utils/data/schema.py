"""The columns of the data: official names, the names :func:`paygap_utils.load` uses, meanings.

The service has published its CSVs in several layouts over the years (see
:data:`LAYOUTS`); this module is the one place that knows them. The columns and the layouts
are data, in ``paygap_utils/data/tables/`` (``columns.csv``, ``layouts.json``), read on
first use: importing the package reads neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "Column",
    "COLUMNS",
    "DERIVED_COLUMNS",
    "LAYOUTS",
    "Layout",
    "LINK_METHODS",
    "PUBLIC_SECTOR_SOURCES",
    "REGION_SOURCES",
    "LATE_SOURCES",
    "ColumnKind",
    "columns",
]

#: How a row's ``linked_employer_id`` was found (missing: not linked).
LINK_METHODS: tuple[str, ...] = ("employer_id", "company_number", "name")
#: Which rule decided ``is_public_sector``.
PUBLIC_SECTOR_SOURCES: tuple[str, ...] = ("due date", "other year", "sic code")
#: Where ``region`` and ``nation`` came from (missing: nowhere).
REGION_SOURCES: tuple[str, ...] = ("postcode", "address", "other year")
#: Where ``submitted_late`` came from.
LATE_SOURCES: tuple[str, ...] = ("service flag", "dates", "earlier report")


#: What a column holds, which decides how :mod:`paygap_utils.data.clean` parses it: free text,
#: a whole-number identifier, a number, True/False, a date and time, one of a fixed set of
#: labels, or a list of codes.
ColumnKind = Literal["text", "id", "float", "bool", "datetime", "category", "codes"]


@dataclass(frozen=True)
class Column:
    """One column: its official CSV header, its name here, its kind and meaning."""

    official: str
    name: str
    kind: ColumnKind
    description: str

    def __post_init__(self) -> None:
        if self.kind not in get_args(ColumnKind):
            raise ValueError(f"Column {self.name!r}: kind {self.kind!r} is not a ColumnKind.")


def _table(name: str) -> Any:
    """The rows of ``tables/<name>``: a list of dicts of text for CSV, the document for JSON."""
    import csv
    import io
    import json
    from importlib.resources import files

    text = (files("paygap_utils.data") / "tables" / name).read_text("utf-8")
    return json.loads(text) if name.endswith(".json") else list(csv.DictReader(io.StringIO(text)))


class _LazyMapping(Mapping[str, Any]):
    """A mapping built from a table on first use, so that importing the package reads no file."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build

    @functools.cached_property
    def _all(self) -> dict[str, Any]:
        return self._build()

    def __getitem__(self, key: str) -> Any:
        return self._all[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __repr__(self) -> str:
        return repr(self._all)


class _LazyTuple(Sequence[Any]):
    """A tuple built from a table on first use; ``+`` joins it to another sequence as a tuple."""

    def __init__(self, build: Callable[[], tuple[Any, ...]]) -> None:
        self._build = build

    @functools.cached_property
    def _all(self) -> tuple[Any, ...]:
        return self._build()

    def __getitem__(self, index: Any) -> Any:
        return self._all[index]

    def __len__(self) -> int:
        return len(self._all)

    def __add__(self, other: Sequence[Any]) -> tuple[Any, ...]:
        return (*self._all, *other)

    def __radd__(self, other: Sequence[Any]) -> tuple[Any, ...]:
        return (*other, *self._all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._all == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all)


@functools.cache
def _all_columns() -> tuple[Column, ...]:
    return tuple(Column(**row) for row in _table("columns.csv"))


#: The columns of the service's files, in their order: official header, name, kind, meaning.
#: A new column is a new row of ``tables/columns.csv`` (derived ones without ``official``).
COLUMNS: Sequence[Column] = _LazyTuple(lambda: tuple(c for c in _all_columns() if c.official))
#: The columns cleaning adds (``year``, ``sector``, ``region`` ...), after :data:`COLUMNS`.
DERIVED_COLUMNS: Sequence[Column] = _LazyTuple(
    lambda: tuple(c for c in _all_columns() if not c.official)
)


@dataclass(frozen=True)
class Layout:
    """A column layout the service has published, recognised by its header and date style.

    :func:`paygap_utils.data.clean.detect_layout` picks the layout from this table: the
    number of columns in the header, then how ``DateSubmitted`` is written
    (``date_format``, None for a layout without dates), then whether the header
    is ``quoted``.
    """

    name: str
    n_columns: int
    date_format: str | None
    description: str
    quoted: bool = False


#: Every layout the service's downloads have used, keyed by the name used in the manifest.
#: A new layout is a new entry of ``tables/layouts.json``.
LAYOUTS: Mapping[str, Layout] = _LazyMapping(
    lambda: {name: Layout(name, **spec) for name, spec in _table("layouts.json").items()}
)


def columns():
    """Describe every column of :func:`paygap_utils.load`'s table.

    The terms the descriptions use (snapshot date, full-pay relevant employee,
    quartile, employer-weighted, late, linked employer, reporting year ...) are
    explained in the repository's glossary, ``docs/glossary.md``, which is also a
    page of the rendered site.

    The columns of kind ``codes`` (``sic_codes``, ``sectors``) hold lists of text, as
    pandas' Arrow lists (dtype ``list<item: string>[pyarrow]``, in pandas 2.2 and 3 alike);
    an employer without codes has an empty list. ``df.explode("sectors")`` gives one row
    per listed section; ``df["sectors"].list.len()`` counts them. A single value
    (``df["sic_codes"].iloc[0]``, a loop over the column) is a Python list, but
    ``.map`` and ``.apply`` hand each value over as a numpy array: test it with
    ``len(codes) > 0``, not ``if codes``. The CSV and SQLite exports write them as
    comma-separated text.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``name``, ``official`` header (blank for derived
        columns), ``kind`` and ``description``.

    Examples
    --------
    >>> from paygap_utils.data.schema import columns
    >>> table = columns()
    >>> table.loc[table.name == "diff_median_hourly_percent", "official"].item()
    'DiffMedianHourlyPercent'
    >>> import paygap_utils
    >>> codes = paygap_utils.load(2022, columns=["sectors"], progressbar=False)["sectors"]
    >>> str(codes.dtype), codes.list.len().max(), codes.explode().nunique()
    ('list<item: string>[pyarrow]', 4, 21)
    """
    import pandas as pd

    return pd.DataFrame(
        [
            {"name": c.name, "official": c.official, "kind": c.kind, "description": c.description}
            for c in COLUMNS + DERIVED_COLUMNS
        ]
    )
