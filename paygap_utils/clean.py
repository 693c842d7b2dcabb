"""Turning one raw CSV of the service into a clean table: layouts, dates, numbers, text.

Each function here works on one reporting year's file. Combining the years,
linking employers across them and removing duplicates is :mod:`paygap_utils.loader`'s job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataFormatError
from .lookups import (
    EMPLOYER_SIZES,
    NATIONS,
    PUBLIC_SECTOR_CODE,
    REGIONS,
    SIC_SECTIONS,
    normalise_postcode,
    parse_sic_codes,
    postcode_from_address,
    regions_for_postcodes,
    sic_section,
)
from .schema import COLUMNS, DERIVED_COLUMNS, LAYOUTS, Layout

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["detect_layout", "read_raw", "clean", "read_year", "as_of"]

_OFFICIAL = [c.official for c in COLUMNS]
_BY_KIND = {kind: [c.name for c in COLUMNS if c.kind == kind] for kind in {c.kind for c in COLUMNS}}
_DATE_COLUMNS = ("DueDate", "DateSubmitted")
# How each layout writes DateSubmitted: the layout is recognised by its content, never by
# the year it holds (a re-save can give any year any of these).
_DATE_SHAPES = {
    "27-columns-ymd": re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$"),
    "27-columns-spreadsheet": re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$"),
    "25-columns-excel": re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"),
    "25-columns-dmy": re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$"),
}


def _header_line(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return handle.readline().rstrip("\r\n")


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
        One of :data:`paygap_utils.schema.LAYOUTS`.

    Raises
    ------
    DataFormatError
        If the header is not one the service has published.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.clean import detect_layout
    >>> path = paygap_utils.fetch(2019, progressbar=False)[2019]
    >>> detect_layout(path).name
    '27-columns-ymd'
    """
    path = Path(path)
    header = _header_line(path)
    names = [name.strip('"') for name in header.split(",")]
    unknown = [name for name in names if name not in _OFFICIAL]
    if unknown or not names or names[0] != "EmployerName":
        raise DataFormatError(
            f"{path.name} does not look like a Gender Pay Gap Service download: its header has "
            f"{', '.join(repr(n) for n in unknown) or 'no EmployerName first'}. Download the file "
            "again with `python -m paygap_utils fetch`, or check that it is the service's CSV."
        )
    if len(names) == 23:
        return LAYOUTS["23-columns"]
    if len(names) not in (25, 27):
        raise DataFormatError(
            f"{path.name} has {len(names)} columns; the service's layouts have 23, 25 or 27. "
            "Download the file again with `python -m paygap_utils fetch`."
        )
    if raw is None:
        raw = read_raw(path)
    submitted = raw["DateSubmitted"].str.strip()
    sample = submitted[submitted != ""].head(50)
    for name, shape in _DATE_SHAPES.items():
        if LAYOUTS[name].n_columns == len(names) and len(sample) and sample.str.match(shape).all():
            if name == "25-columns-dmy" and header.startswith('"EmployerName"'):
                return LAYOUTS["25-columns-quoted"]
            return LAYOUTS[name]
    example = sample.iloc[0] if len(sample) else "nothing"
    raise DataFormatError(
        f"{path.name}: its {len(names)} columns are a layout of the service's, but DateSubmitted "
        f"holds {example!r}, a date written in none of its formats "
        f"({', '.join(sorted({LAYOUTS[n].date_format for n in _DATE_SHAPES}))}). The file may "
        "have been re-saved by a spreadsheet: delete it and run `python -m paygap_utils fetch`."
    )


def read_raw(path: str | Path) -> pd.DataFrame:
    """Read a service CSV exactly as published: every field as text, nothing treated as missing.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.clean import read_raw
    >>> raw = read_raw(paygap_utils.fetch(2019, progressbar=False)[2019])
    >>> raw.columns[:3].tolist()
    ['EmployerName', 'EmployerId', 'Address']
    """
    import pandas as pd

    path = Path(path)
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(
            f"{path.name} could not be read as a CSV file ({type(exc).__name__}: {exc}). It may be "
            "damaged or re-saved by a spreadsheet: delete it and run "
            "`python -m paygap_utils fetch`."
        ) from None


def _text(values: pd.Series) -> pd.Series:
    # Addresses and names span lines in some layouts; carriage returns and runs of spaces too.
    cleaned = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return cleaned.mask(cleaned == "")


def _numbers(values: pd.Series, file_name: str, column: str) -> pd.Series:
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


def _booleans(values: pd.Series, file_name: str, column: str) -> pd.Series:
    lowered = values.str.strip().str.lower()
    mapped = lowered.map({"true": True, "false": False, "": None})
    if mapped.isna().sum() != (lowered == "").sum():
        bad = lowered[mapped.isna() & (lowered != "")].iloc[0]
        raise DataFormatError(f"{file_name}: column {column} holds {bad!r}, not True or False.")
    return mapped.astype("boolean")


def _company_numbers(values: pd.Series) -> pd.Series:
    cleaned = _text(values).str.upper()
    # A spreadsheet re-save turns '00226143' into 226143: Companies House numbers have 8 characters.
    short_digits = cleaned.str.fullmatch(r"\d{1,7}", na=False)
    return cleaned.mask(short_digits, cleaned.str.zfill(8))


def _categorical(values: pd.Series, categories: tuple[str, ...], ordered: bool = False):
    import pandas as pd

    # Values outside the categories (a Crown Dependency is no UK nation) become missing.
    known = values.where(values.isin(categories))
    return pd.Categorical(known, categories=list(categories), ordered=ordered)


def _map_unique(values: pd.Series, func) -> pd.Series:
    # The same SIC strings and postcodes repeat thousands of times: parse each once.
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(func, uniques), strict=True)))


def clean(raw: pd.DataFrame, layout: Layout, year: int, file_name: str) -> pd.DataFrame:
    """Clean one year's raw table: snake_case columns, proper types, derived columns.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file as :func:`read_raw` returns it.
    layout : Layout
        Its layout, from :func:`detect_layout`.
    year : int
        First year of the reporting year.
    file_name : str
        The file's name, for error messages.

    Returns
    -------
    pandas.DataFrame
        Every official column (missing values where the layout lacks it), then
        ``year`` and the derived columns of :data:`paygap_utils.schema.DERIVED_COLUMNS`
        except ``linked_employer_id``, which needs all years.
    """
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(index=raw.index)
    for column in COLUMNS:
        if column.official not in raw.columns:
            out[column.name] = _absent(column.kind, len(raw))
            continue
        values = raw[column.official]
        if column.name == "company_number":
            out[column.name] = _company_numbers(values)
        elif column.name == "post_code":
            out[column.name] = _map_unique(_text(values), normalise_postcode)
        elif column.kind == "text":
            out[column.name] = _text(values)
        elif column.kind == "id":
            out[column.name] = _numbers(values, file_name, column.official).astype("Int64")
        elif column.kind == "float":
            out[column.name] = _numbers(values, file_name, column.official)
        elif column.kind == "bool":
            out[column.name] = _booleans(values, file_name, column.official)
        elif column.kind == "datetime":
            out[column.name] = _dates(values, layout, file_name, column.official)
        elif column.kind == "codes":
            out[column.name] = _map_unique(values, parse_sic_codes)
        elif column.kind == "category":
            labels = _text(values)
            unknown = sorted(set(labels.dropna()) - set(EMPLOYER_SIZES))
            if unknown:
                raise DataFormatError(
                    f"{file_name}: EmployerSize holds {unknown[0]!r}, which is not one of the "
                    f"service's size bands ({', '.join(EMPLOYER_SIZES)})."
                )
            out[column.name] = _categorical(labels, EMPLOYER_SIZES, ordered=True)

    out["year"] = np.int64(year)
    out["linked_employer_id"] = out["employer_id"]
    sectors = out["sic_codes"].map(_sections)
    out["sector"] = _categorical(sectors.map(_main_sector), tuple(SIC_SECTIONS))
    out["sector_name"] = _categorical(
        out["sector"].map(SIC_SECTIONS).astype(object), tuple(SIC_SECTIONS.values())
    )
    out["sectors"] = sectors
    out["is_public_sector"] = out["sic_codes"].map(lambda codes: PUBLIC_SECTOR_CODE in codes)
    postcodes = out["post_code"]
    if "PostCode" not in raw.columns:
        postcodes = _map_unique(out["address"], postcode_from_address)
    places = regions_for_postcodes(postcodes)
    out["region"] = _categorical(places["region"], REGIONS)
    out["nation"] = _categorical(places["nation"], NATIONS)
    if "DateSubmitted" in raw.columns:
        late = out["date_submitted"] >= out["due_date"]
        out["submitted_late"] = late.astype("boolean").mask(
            out["date_submitted"].isna() | out["due_date"].isna()
        )
    else:
        out["submitted_late"] = out["submitted_after_the_deadline"]
    return out[[c.name for c in COLUMNS + DERIVED_COLUMNS]]


def _absent(kind: str, n: int):
    import numpy as np
    import pandas as pd

    if kind == "id":
        return pd.array([pd.NA] * n, dtype="Int64")
    if kind == "bool":
        return pd.array([pd.NA] * n, dtype="boolean")
    if kind == "datetime":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind == "float":
        return np.full(n, np.nan)
    return pd.Series([None] * n, dtype=object)


def _sections(codes: list[str]) -> list[str]:
    found: list[str] = []
    for code in codes:
        section = sic_section(code)
        if section is not None and section not in found:
            found.append(section)
    return found


def _main_sector(sections: list[str]) -> str | None:
    # The public-sector placeholder wins; otherwise the first listed code's section.
    if "X" in sections:
        return "X"
    return sections[0] if sections else None


def read_year(path: str | Path, year: int) -> pd.DataFrame:
    """Read and clean one year's file.

    Examples
    --------
    >>> import paygap_utils
    >>> from paygap_utils.clean import read_year
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
    >>> from paygap_utils.clean import as_of
    >>> as_of(paygap_utils.fetch(2020, progressbar=False)[2020])
    '2022-02-13'
    """
    path = Path(path)
    if raw is None:
        raw = read_raw(path)
    if "DateSubmitted" not in raw.columns:
        return None
    layout = detect_layout(path, raw)
    latest = _dates(raw["DateSubmitted"], layout, path.name, "DateSubmitted").max()
    return latest.date().isoformat()
