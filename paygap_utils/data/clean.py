"""Turning one raw CSV of the service into a clean table: layouts, dates, numbers, text.

Each function here works on one reporting year's file; :mod:`.across_years` combines them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataFormatError
from .impossible import impossible_value_flags
from .lookups import (
    EMPLOYER_SIZES,
    NATION_VALUES,
    PUBLIC_SECTOR_CODE,
    REGIONS,
    SIC_SECTIONS,
    SIZE_BANDS,
    parse_postcode,
    parse_sic_codes,
    postcode_from_address,
    regions_for_postcodes,
    sic_section,
)
from .schema import (
    COLUMNS,
    DERIVED_COLUMNS,
    LATE_SOURCES,
    LAYOUTS,
    LINK_METHODS,
    PUBLIC_SECTOR_SOURCES,
    REGION_SOURCES,
    ColumnKind,
    Layout,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "detect_layout",
    "read_raw",
    "clean",
    "read_year",
    "as_of",
    "public_sector_from_due_date",
    "sector_columns",
    "PUBLIC_DUE",
    "PRIVATE_DUE",
]

#: ``DueDate`` month and day of public bodies (deadline 30 March) and of private and
#: voluntary employers (deadline 4 April): the service tells them apart this way.
PUBLIC_DUE: tuple[int, int] = (3, 31)
PRIVATE_DUE: tuple[int, int] = (4, 5)


def _date_shape(date_format: str) -> re.Pattern[str]:
    """The text a date written in ``date_format`` matches, e.g. ``%d/%m/%Y`` -> ``dd/dd/dddd``."""
    shape = re.sub(r"%[dmHMS]", r"\\d{2}", re.escape(date_format).replace("%Y", r"\d{4}"))
    return re.compile(f"^{shape}$")


def detect_layout(path: str | Path, raw: pd.DataFrame | None = None) -> Layout:
    """Recognise which of the service's column layouts a file uses.

    Parameters
    ----------
    path : str or Path
        A CSV downloaded from the Gender Pay Gap Service.
    raw : pandas.DataFrame, optional
        The file already read by :func:`read_raw`, to avoid reading it twice.

    Returns
    -------
    Layout
        One of :data:`paygap_utils.data.schema.LAYOUTS`.

    Raises
    ------
    DataFormatError
        If the header is not one the service has published.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.data.clean import detect_layout
    >>> path = paygap_utils.fetch(2019, progressbar=False)[2019]
    >>> detect_layout(path).name
    '27-columns-ymd'
    """
    path = Path(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = handle.readline().rstrip("\r\n")
    names = [name.strip('"') for name in header.split(",")]
    official = {column.official for column in COLUMNS}
    unknown = [name for name in names if name not in official]
    if unknown or names[0] != "EmployerName":
        raise DataFormatError(
            f"{path.name} does not look like a Gender Pay Gap Service download: its header has "
            f"{', '.join(repr(n) for n in unknown) or 'no EmployerName first'}. Download the file "
            "again with `python -m paygap_utils fetch`, or check that it is the service's CSV."
        )
    candidates = [layout for layout in LAYOUTS.values() if layout.n_columns == len(names)]
    if not candidates:
        counts = sorted({layout.n_columns for layout in LAYOUTS.values()})
        raise DataFormatError(
            f"{path.name} has {len(names)} columns; the service's layouts have "
            f"{', '.join(map(str, counts[:-1]))} or {counts[-1]}. Download the file again with "
            "`python -m paygap_utils fetch`."
        )
    dated = [layout for layout in candidates if layout.date_format is not None]
    if not dated:
        return candidates[0]
    raw = read_raw(path, columns=["DateSubmitted"]) if raw is None else raw
    submitted = raw["DateSubmitted"].str.strip()
    sample = submitted[submitted != ""].head(50)
    quoted = header.startswith('"')

    # The layout most of the first dates fit (the date parser then names a stray value and its
    # format); between layouts that write dates alike, the one quoted as the header is.
    def score(layout: Layout) -> tuple[int, bool]:
        return int(sample.str.match(_date_shape(layout.date_format)).sum()), layout.quoted == quoted

    best = max(dated, key=score)
    if score(best)[0] == 0:
        example = sample.iloc[0] if len(sample) else "nothing"
        formats = ", ".join(dict.fromkeys(layout.date_format for layout in dated))
        raise DataFormatError(
            f"{path.name}: DateSubmitted holds {example!r}, a date written in none of the "
            f"formats of the service's {len(names)}-column layouts ({formats}). The file may "
            "have been re-saved by a spreadsheet: delete it and run `python -m paygap_utils fetch`."
        )
    return best


def read_raw(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a service CSV exactly as published: every field as text, nothing treated as missing.

    Parameters
    ----------
    path : str or Path
        A CSV downloaded from the Gender Pay Gap Service.
    columns : sequence of str, optional
        Read only these of its columns (those the file lacks are left out), in the file's
        order: a whole file of text takes tens of MB. All columns by default.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.data.clean import read_raw
    >>> path = paygap_utils.fetch(2019, progressbar=False)[2019]
    >>> read_raw(path).columns[:3].tolist()
    ['EmployerName', 'EmployerId', 'Address']
    >>> read_raw(path, columns=["EmployerId", "NoSuchColumn", "EmployerName"]).columns.tolist()
    ['EmployerName', 'EmployerId']
    """
    import pandas as pd

    path = Path(path)
    try:
        return pd.read_csv(
            path,
            dtype=str,
            na_filter=False,
            encoding="utf-8-sig",
            usecols=None if columns is None else set(columns).__contains__,
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(
            f"{path.name} could not be read as a CSV file ({type(exc).__name__}: {exc}). It may be "
            "damaged or re-saved by a spreadsheet: delete it and run "
            "`python -m paygap_utils fetch`."
        ) from None


def _text(values: pd.Series, *_: object) -> pd.Series:
    # Addresses and names span lines in some layouts; carriage returns and runs of spaces too.
    cleaned = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return cleaned.mask(cleaned == "")


# The parsers below take (raw text, layout, file name, official column) and return the values.
def _numbers(values: pd.Series, layout: Layout, file_name: str, column: str) -> pd.Series:
    import pandas as pd

    stripped = values.str.strip()
    numbers = pd.to_numeric(stripped.mask(stripped == ""), errors="coerce").astype("float64")
    bad = numbers.isna() & (stripped != "")
    if bad.any():
        raise DataFormatError(
            f"{file_name}: column {column} holds {stripped[bad].iloc[0]!r}, which is not a number "
            f"({int(bad.sum())} such values). The file may be damaged: delete it and run "
            "`python -m paygap_utils fetch`."
        )
    return numbers


def _dates(values: pd.Series, layout: Layout, file_name: str, column: str) -> pd.Series:
    import pandas as pd

    stripped = values.str.strip()
    present = stripped != ""
    # An explicit format for each layout: dd/MM/yyyy and yyyy/MM/dd are never guessed,
    # so a day is never read as a month.
    parsed = pd.to_datetime(stripped.mask(~present), format=layout.date_format, errors="coerce")
    bad = parsed.isna() & present
    if bad.any():
        raise DataFormatError(
            f"{file_name}: column {column} holds {stripped[bad].iloc[0]!r}, which is not a date "
            f"in the {layout.name} layout's format {layout.date_format!r}. Delete the file and run "
            "`python -m paygap_utils fetch`."
        )
    return parsed.astype("datetime64[ns]")


def _booleans(values: pd.Series, layout: Layout, file_name: str, column: str) -> pd.Series:
    lowered = values.str.strip().str.lower()
    mapped = lowered.map({"true": True, "false": False, "": None})
    if mapped.isna().sum() != (lowered == "").sum():
        bad = lowered[mapped.isna() & (lowered != "")].iloc[0]
        raise DataFormatError(f"{file_name}: column {column} holds {bad!r}, not True or False.")
    return mapped.astype("boolean")


def _company_numbers(values: pd.Series, *_: object) -> pd.Series:
    cleaned = _text(values).str.upper()
    # A spreadsheet re-save turns '00226143' into 226143: Companies House numbers have 8 characters.
    short_digits = cleaned.str.fullmatch(r"\d{1,7}", na=False)
    return cleaned.mask(short_digits, cleaned.str.zfill(8))


def _size_bands(values: pd.Series, layout: Layout, file_name: str, column: str):
    labels = _text(values)
    unknown = sorted(set(labels.dropna()) - set(EMPLOYER_SIZES))
    if unknown:
        raise DataFormatError(
            f"{file_name}: {column} holds {unknown[0]!r}, which is not one of the "
            f"service's size bands ({', '.join(EMPLOYER_SIZES)})."
        )
    return _categorical(labels, SIZE_BANDS, ordered=True)


def _categorical(values: Any, categories: Sequence[str], ordered: bool = False):
    import pandas as pd

    # Values outside the categories ("Not Provided" is no size band) become missing.
    values = pd.Series(values)
    known = values.where(values.isin(categories))
    return pd.Categorical(known, categories=list(categories), ordered=ordered)


def _map_unique(values: pd.Series, func) -> pd.Series:
    # The same SIC strings and postcodes repeat thousands of times: parse each once.
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(func, uniques), strict=True)))


_PARSERS: dict[ColumnKind, Callable[[pd.Series, Layout, str, str], Any]] = {
    "text": _text,
    "id": lambda *args: _numbers(*args).astype("Int64"),
    "float": _numbers,
    "bool": _booleans,
    "datetime": _dates,
    "codes": lambda values, *_: _map_unique(values, parse_sic_codes),
    "category": _size_bands,
}
# Columns whose text needs more than their kind's parser.
_BY_NAME: dict[str, Callable[[pd.Series, Layout, str, str], Any]] = {
    "company_number": _company_numbers,
    "post_code": lambda values, *_: _map_unique(_text(values), parse_postcode),
}
# The type of a column that a layout lacks (all missing there), by its kind.
_ABSENT: dict[ColumnKind, str] = {
    "text": "object",
    "id": "Int64",
    "float": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "codes": "object",
    "category": "object",
}


def clean(raw: pd.DataFrame, layout: Layout, year: int, file_name: str) -> pd.DataFrame:
    """Clean one year's raw table: snake_case columns, proper types, derived columns.

    ``raw`` is the file as :func:`read_raw` returns it, ``layout`` its :func:`detect_layout`,
    ``year`` the first year of the reporting year and ``file_name`` the name errors give.
    Returns every official column (missing where the layout lacks it), then ``year`` and
    the derived columns of :data:`paygap_utils.data.schema.DERIVED_COLUMNS` (those that need
    all years, such as ``linked_employer_id``, from this year alone).
    """
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(index=raw.index)
    for column in COLUMNS:
        if column.official not in raw.columns:
            out[column.name] = pd.Series(None, index=out.index, dtype=_ABSENT[column.kind])
            continue
        parse = _BY_NAME.get(column.name) or _PARSERS[column.kind]
        out[column.name] = parse(raw[column.official], layout, file_name, column.official)

    out["year"] = np.int64(year)
    out["linked_employer_id"] = out["employer_id"]
    has_id = out["employer_id"].notna()
    out["link_method"] = _categorical(np.where(has_id, "employer_id", None), LINK_METHODS)
    out["is_public_sector"], out["public_sector_source"] = public_sector_from_due_date(out)
    out["sector"], out["sector_name"], out["sectors"] = sector_columns(out)
    typed = raw["PostCode"] if "PostCode" in raw else pd.Series("", index=raw.index)
    out["post_code_raw"] = typed.where(typed != "", None).astype(object)
    # No PostCode column, or a blank or unreadable field: the address ends with the postcode.
    from_address = out["post_code"].isna()
    in_address = _map_unique(out["address"][from_address], postcode_from_address)
    places = regions_for_postcodes(out["post_code"].astype(object).fillna(in_address))
    out["region"] = _categorical(places["region"], REGIONS)
    out["nation"] = _categorical(places["nation"], NATION_VALUES)
    source = np.where(from_address, "address", "postcode")
    found = np.where(places["nation"].notna(), source, None)
    out["region_source"] = _categorical(found, REGION_SOURCES)

    flag = out["submitted_after_the_deadline"]
    submitted, due = out["date_submitted"], out["due_date"]
    by_dates = (submitted >= due).astype("boolean").mask(submitted.isna() | due.isna())
    out["submitted_late"] = flag.where(flag.notna(), by_dates).astype("boolean")
    source = np.select([flag.notna(), by_dates.notna()], ["service flag", "dates"], default=None)
    out["late_source"] = _categorical(source, LATE_SOURCES)

    men, women = out["male_bonus_percent"], out["female_bonus_percent"]
    pays = (men > 0) | (women > 0)
    # Nobody paid a bonus, yet a bonus gap other than 0: the row contradicts itself.
    gaps = out[["diff_mean_bonus_percent", "diff_median_bonus_percent"]].fillna(0)
    known = pays | (men.notna() & women.notna() & (gaps == 0).all(axis=1))
    out["pays_bonus"] = pays.astype("boolean").where(known)
    out["has_impossible_value"] = impossible_value_flags(out).any(axis=1).to_numpy()
    return out[[c.name for c in COLUMNS + DERIVED_COLUMNS]]


def public_sector_from_due_date(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Tell public bodies from private and voluntary employers by their ``due_date``.

    The service gives public bodies the 30 March deadline (``DueDate`` 31 March) and everyone
    else 4 April (``DueDate`` 5 April). Where a row's due date is neither (2020-21: every
    deadline was moved to 5 October 2021; the 23-column layout has no dates), the public-sector
    SIC code ``1`` decides, until :func:`.across_years.public_sector_from_other_years` replaces
    that guess with the employer's classification in another year.

    Returns
    -------
    (pandas.Series, pandas.Series)
        ``is_public_sector`` (boolean) and ``public_sector_source``
        (``"due date"`` or ``"sic code"``), indexed like ``table``.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.clean import public_sector_from_due_date
    >>> rows = pd.DataFrame({
    ...     "due_date": pd.to_datetime(["2023-03-31", "2023-04-05", "2021-10-06"]),
    ...     "sic_codes": [["85310"], ["00001"], ["00001", "84110"]],
    ... })
    >>> public, source = public_sector_from_due_date(rows)
    >>> public.tolist(), source.tolist()
    ([True, False, True], ['due date', 'due date', 'sic code'])
    """
    import numpy as np
    import pandas as pd

    due = table["due_date"]
    deadlines = {PUBLIC_DUE: True, PRIVATE_DUE: False}
    month_day = zip(due.dt.month, due.dt.day, strict=True)
    by_date = pd.Series([deadlines.get(md) for md in month_day], index=table.index)
    by_code = table["sic_codes"].map(lambda codes: PUBLIC_SECTOR_CODE in codes)
    decided = by_date.notna()
    public = by_date.where(decided, by_code).astype("boolean")
    return public, _categorical(np.where(decided, "due date", "sic code"), PUBLIC_SECTOR_SOURCES)


def sector_columns(table: pd.DataFrame):
    """``sector``, ``sector_name`` and ``sectors``: the employer's industry, from ``sic_codes``.

    ``sectors`` lists the SIC 2007 section of every listed code, each once, in the
    order listed; the service's public-sector placeholder ``1`` is no industry and counts
    in no section. ``sector`` is the first of them, missing where no other code is
    listed. Public bodies are in the section of their activity like everyone else:
    whether an employer is a public body is ``is_public_sector``'s question.

    Examples
    --------
    >>> import pandas as pd
    >>> from paygap_utils.data.clean import sector_columns
    >>> rows = pd.DataFrame({"sic_codes": [["00001", "85310"], ["84110", "86900"], ["00001"]]})
    >>> sector, name, sectors = sector_columns(rows)
    >>> sector.tolist(), sectors.tolist()
    (['P', 'O', nan], [['P'], ['O', 'Q'], []])
    """

    def sections(codes: list[str]) -> list[str]:
        found = (sic_section(code) for code in codes if code != PUBLIC_SECTOR_CODE)
        return list(dict.fromkeys(section for section in found if section is not None))

    sectors = table["sic_codes"].map(sections).astype(object)
    # sector's values: the SIC sections A-U, without the service's public-sector placeholder X.
    industries = [section for section in SIC_SECTIONS if section != "X"]
    sector = _categorical(sectors.map(lambda found: found[0] if found else None), industries)
    return sector, sector.rename_categories(SIC_SECTIONS), sectors


def read_year(path: str | Path, year: int) -> pd.DataFrame:
    """Read and clean one year's file.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.data.clean import read_year
    >>> table = read_year(paygap_utils.fetch(2019, progressbar=False)[2019], 2019)
    >>> str(table["date_submitted"].dtype)
    'datetime64[ns]'
    """
    path = Path(path)
    raw = read_raw(path)
    return clean(raw, detect_layout(path, raw), year, path.name)


def as_of(path: str | Path, raw: pd.DataFrame | None = None) -> str | None:
    """Return the latest submission date in a file (YYYY-MM-DD): a lower bound on when it was made.

    Returns ``None`` for the 23-column layout, which has no dates. ``raw`` is the file
    already read by :func:`read_raw`, to avoid reading it twice.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.data.clean import as_of
    >>> as_of(paygap_utils.fetch(2020, progressbar=False)[2020])
    '2022-02-13'
    """
    path = Path(path)
    raw = read_raw(path, columns=["DateSubmitted"]) if raw is None else raw
    if "DateSubmitted" not in raw.columns:
        return None
    layout = detect_layout(path, raw)
    latest = _dates(raw["DateSubmitted"], layout, path.name, "DateSubmitted").max()
    return latest.date().isoformat()
