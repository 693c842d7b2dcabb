"""Reference facts for the raw columns: SIC sections, size bands, postcodes and regions.

The service publishes SIC codes as integers in text, employer sizes as labels and
addresses as free text. This module turns those into things an analysis can group
by: a SIC 2007 section letter, an ordered size band, an ONS region and a nation.

The tables are data in ``paygap_utils/data/tables/``, read on first use:
``sic_sections.csv`` (each section's letter, first and last division, ONS name),
``regions.csv`` (each ONS region's GSS code and its tile on the map of
:func:`paygap_utils.plots.tile_map`) and ``postcode_regions.csv``: a ``prefix``, a
postcode area (``SY``) or district (``SY23``), its ``region`` (empty for the Crown
Dependencies) and ``nation`` (or ``Crown Dependencies`` for ``GY``, ``JE`` and ``IM``,
which are not in the UK). It has a row per area, giving the region that holds most of
its districts, and a row per district whose region differs. Districts were assigned by
where their centre lies (2017 district list), so a postcode near a boundary can be on
the other side of it; the ONS Postcode Directory is the authority for full postcodes. A
postcode here is the employer's latest registered address, not where its staff work.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .schema import _LazyMapping, _LazyTuple, _table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SIC_SECTIONS",
    "PUBLIC_SECTOR_CODE",
    "EMPLOYER_SIZES",
    "SIZE_BANDS",
    "REGIONS",
    "REGION_CODES",
    "NATIONS",
    "CROWN_DEPENDENCIES",
    "NATION_VALUES",
    "parse_sic_codes",
    "sic_section",
    "normalise_postcode",
    "parse_postcode",
    "postcode_from_address",
    "region_of_postcode",
    "regions_for_postcodes",
]

#: Section letter -> name: ``"X"`` (the service's public-sector placeholder), then A-U, as
#: in ``tables/sic_sections.csv`` (which also holds each section's SIC 2007 divisions).
SIC_SECTIONS: Mapping[str, str] = _LazyMapping(
    lambda: {
        "X": "Public sector",
        **{row["section"]: row["name"] for row in _table("sic_sections.csv")},
    }
)

#: The service's placeholder SIC code ``1`` ("public sector"), padded to five digits.
PUBLIC_SECTOR_CODE: str = "00001"

#: ``EmployerSize`` labels exactly as they appear in the data, smallest band first
#: after "Not Provided" (the service's enum order). "Not Provided" is a label, not a gap.
EMPLOYER_SIZES: tuple[str, ...] = (
    "Not Provided",
    "Less than 250",
    "250 to 499",
    "500 to 999",
    "1000 to 4999",
    "5000 to 19,999",
    "20,000 or more",
)

#: The six headcount bands, smallest first: ``employer_size``'s ordered categories.
#: "Not Provided" is no band (it would sort as the smallest), so it becomes missing.
SIZE_BANDS: tuple[str, ...] = EMPLOYER_SIZES[1:]

#: ONS region -> its GSS code (``tables/regions.csv``): England's nine regions, then Wales,
#: Scotland, Northern Ireland.
REGION_CODES: Mapping[str, str] = _LazyMapping(
    lambda: {row["region"]: row["code"] for row in _table("regions.csv")}
)

#: The twelve ONS regions (England's nine, then the three other nations), north to south.
REGIONS: Sequence[str] = _LazyTuple(lambda: tuple(REGION_CODES))

#: The four nations of the UK.
NATIONS: tuple[str, ...] = ("England", "Wales", "Scotland", "Northern Ireland")

#: ``nation`` of a Jersey (JE), Guernsey (GY) or Isle of Man (IM) postcode: not in the UK,
#: so no region, but known, unlike a postcode that is missing or abroad.
CROWN_DEPENDENCIES: str = "Crown Dependencies"

#: Every value of the ``nation`` column: the four nations, then :data:`CROWN_DEPENDENCIES`.
NATION_VALUES: tuple[str, ...] = (*NATIONS, CROWN_DEPENDENCIES)

_SIC_SEPARATORS = re.compile(r"[,\s]+")
_SIC_CODE = re.compile(r"[0-9]{1,5}")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_INWARD = re.compile(r"[0-9][A-Z]{2}")
_NORMALISED = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
# A postcode inside free text: not glued to other letters or digits, spaces allowed where
# people type them ("HP 21 8AL", "SW1A 2 HB", "B706QG"), never across a line break.
_POSTCODE_IN_TEXT = re.compile(
    r"(?<![0-9A-Z])[A-Z]{1,2}[ \t]?[0-9][A-Z0-9]?[ \t]*[0-9O][ \t]?[A-Z]{2}(?![0-9A-Z])"
)


def parse_sic_codes(text: str | int | float | None) -> list[str]:
    """Split the service's ``SicCodes`` text into five-digit SIC 2007 codes.

    Parameters
    ----------
    text : str, int, NaN or None
        One cell of ``SicCodes``: codes separated by commas and/or any whitespace
        (including ``\\r`` and ``\\n``). Codes that lost their leading zero (``1470``)
        are padded back to five digits; ``1`` becomes :data:`PUBLIC_SECTOR_CODE`.
        An integer is read as its digits, for a column that was read as numbers.

    Returns
    -------
    list of str
        Five-digit codes in the order listed, each once. A token that is not 1-5
        digits (a stray letter, a six-digit number) is not a SIC code and is dropped.
        Empty text and missing values (None, NaN, ``pandas.NA``) give ``[]``.

    Raises
    ------
    TypeError
        For any other value, such as a float: read the column as text with
        ``pandas.read_csv(..., dtype={"SicCodes": str})``.

    Examples
    --------
    >>> parse_sic_codes("93110,\\n93130,\\n93290")
    ['93110', '93130', '93290']
    >>> parse_sic_codes("1470,\\r\\n10910")
    ['01470', '10910']
    >>> parse_sic_codes("1")
    ['00001']
    >>> parse_sic_codes(None)
    []
    """
    if isinstance(text, numbers.Integral) and not isinstance(text, bool):
        text = str(text)
    elif not isinstance(text, str):
        try:  # None, NaN and pandas.NA do not equal themselves (NA refuses to say)
            missing = text is None or bool(text != text)
        except TypeError:
            missing = True
        if missing:
            return []
        raise TypeError(
            f"parse_sic_codes expects the SicCodes text, e.g. '93110,\\n93130', but got "
            f"{text!r} ({type(text).__name__}). Read the column as text: "
            "pandas.read_csv(..., dtype={'SicCodes': str})."
        )
    codes = (token.zfill(5) for token in _SIC_SEPARATORS.split(text) if _SIC_CODE.fullmatch(token))
    return list(dict.fromkeys(codes))


def sic_section(code: str) -> str | None:
    """Return the SIC 2007 section letter of one code.

    Parameters
    ----------
    code : str
        A SIC code of 1-5 digits, as :func:`parse_sic_codes` returns it. Shorter
        codes are padded with leading zeros first, so ``"1470"`` is ``01470``.

    Returns
    -------
    str or None
        A key of :data:`SIC_SECTIONS`: ``"X"`` for :data:`PUBLIC_SECTOR_CODE`,
        otherwise the section whose division range holds the code's first two
        digits. None when that division is not in SIC 2007 (e.g. ``04``, ``34``) or
        the value is not a code of 1-5 digits.

    Examples
    --------
    >>> sic_section("01470"), sic_section("47730"), sic_section("00001")
    ('A', 'G', 'X')
    >>> sic_section("1470")
    'A'
    >>> sic_section("34000") is None
    True
    """
    if not isinstance(code, str) or not _SIC_CODE.fullmatch(code.strip()):
        return None
    padded = code.strip().zfill(5)
    if padded == PUBLIC_SECTOR_CODE:
        return "X"
    return _section_of_division().get(int(padded[:2]))


def normalise_postcode(text: str | None) -> str | None:
    """Write a UK postcode the standard way, or return None if it is not one.

    Parameters
    ----------
    text : str or None
        A postcode as typed: any case, spaces and punctuation anywhere
        (``"hp 21 8al"``, ``"SW1A 2 HB"``, ``"M5 4WT,"``).

    Returns
    -------
    str or None
        Upper case with one space before the three-character inward code,
        e.g. ``"SW1A 2HB"``. A letter O typed where the inward code's digit belongs
        is read as zero (``"KT16 OPZ"`` -> ``"KT16 0PZ"``). None when the result does
        not have the shape of a UK postcode: one or two letters, a digit, an optional
        letter or digit, then a digit and two letters. Only the shape is checked,
        not whether the postcode exists.

    Examples
    --------
    >>> normalise_postcode("sy23 3fl")
    'SY23 3FL'
    >>> normalise_postcode("HP 21 8AL"), normalise_postcode("CM2 OLS")
    ('HP21 8AL', 'CM2 0LS')
    >>> normalise_postcode("HM 11") is None
    True
    """
    if not isinstance(text, str):
        return None
    if _NORMALISED.fullmatch(text):
        return text
    compact = _NOT_ALPHANUMERIC.sub("", text.upper())
    outward, inward = compact[:-3], compact[-3:]
    if inward.startswith("O"):
        inward = "0" + inward[1:]
    if _OUTWARD.fullmatch(outward) and _INWARD.fullmatch(inward):
        return f"{outward} {inward}"
    return None


def parse_postcode(text: str | None) -> str | None:
    """Read a ``PostCode`` field: a full postcode, or an outward code given alone.

    Parameters
    ----------
    text : str or None
        The field as typed in the file.

    Returns
    -------
    str or None
        The full postcode as :func:`normalise_postcode` writes it; else a
        postcode found inside the text (``"UK EC1V 4QJ"``, as
        :func:`postcode_from_address` finds it); else the outward code alone
        (``"LS1"``) when the text is just that and its postcode area exists, which
        is enough for a district's region. None for anything else (``"S023 9NA"``,
        a foreign code): the raw text stays in ``post_code_raw``.

    Examples
    --------
    >>> parse_postcode("ls1"), parse_postcode("LS1 4AP"), parse_postcode("UK EC1V 4QJ")
    ('LS1', 'LS1 4AP', 'EC1V 4QJ')
    >>> parse_postcode("S023 9NA") is None, parse_postcode("HM 11") is None
    (True, True)
    """
    if not isinstance(text, str):
        return None
    full = normalise_postcode(text)
    if full is not None:
        return full
    found = postcode_from_address(text)
    if found is not None:
        return found
    compact = _NOT_ALPHANUMERIC.sub("", text.upper())
    if _OUTWARD.fullmatch(compact) and _area(compact) in _postcode_table():
        return compact
    return None


def postcode_from_address(address: str | None) -> str | None:
    """Find the last UK postcode in a free-text address.

    Parameters
    ----------
    address : str or None
        An ``Address`` cell: lines separated by newlines or commas, sometimes
        followed by a country ("United Kingdom") or other text.

    Returns
    -------
    str or None
        The last postcode-shaped group whose leading letters are a known postcode
        area, normalised as by :func:`normalise_postcode`. None when there is none,
        as for foreign addresses ("Dublin 18, D18 W2X7, Ireland") and addresses
        without a postcode.

    Examples
    --------
    >>> postcode_from_address("Hestercombe House,\\r\\nTaunton,\\r\\nSomerset,\\r\\nTA2 8LG")
    'TA2 8LG'
    >>> postcode_from_address("Moat Road, Walsall, WS2 9PS., United Kingdom")
    'WS2 9PS'
    >>> postcode_from_address("131 Dartmouth Street, Boston, Ma 02116, United States") is None
    True
    """
    if not isinstance(address, str):
        return None
    areas = _postcode_table()
    for found in reversed(_POSTCODE_IN_TEXT.findall(address.upper())):
        postcode = normalise_postcode(found)
        if postcode is not None and _area(postcode) in areas:
            return postcode
    return None


def region_of_postcode(postcode: str | None) -> tuple[str | None, str | None]:
    """Return the ONS region and the nation of a UK postcode.

    Parameters
    ----------
    postcode : str or None
        A postcode, normalised or as typed, or an outward code alone (see
        :func:`parse_postcode`).

    Returns
    -------
    (str or None, str or None)
        ``(region, nation)``: one of :data:`REGIONS` and one of :data:`NATIONS`,
        from the postcode's district (outward code), or from its postcode area when
        the district is not in the table (new and non-geographic districts such as
        ``W1A`` or ``BN99``). Guernsey, Jersey and the Isle of Man are not in the UK:
        they give ``(None, "Crown Dependencies")``. A value that is not a postcode, or
        whose area is unknown, gives ``(None, None)``.

    Examples
    --------
    >>> region_of_postcode("SY23 3FL")
    ('Wales', 'Wales')
    >>> region_of_postcode("sy1 1aa")
    ('West Midlands', 'England')
    >>> region_of_postcode("JE2 3QB")
    (None, 'Crown Dependencies')
    >>> region_of_postcode("LS1")
    ('Yorkshire and The Humber', 'England')
    >>> region_of_postcode("HM 11")
    (None, None)
    """
    parsed = parse_postcode(postcode)
    if parsed is None:
        return None, None
    table = _postcode_table()
    district = parsed.split(" ")[0]
    place = table.get(district) or table.get(_area(parsed))
    return place if place is not None else (None, None)


def regions_for_postcodes(postcodes: pd.Series) -> pd.DataFrame:
    """Look up the region and nation of every postcode in a column.

    Parameters
    ----------
    postcodes : pandas.Series
        Postcodes, normalised or as typed; missing values are allowed.

    Returns
    -------
    pandas.DataFrame
        Columns ``region`` and ``nation`` with the same index as ``postcodes``,
        holding what :func:`region_of_postcode` returns for each value (missing
        where it returns None). Each distinct value is looked up once.

    Examples
    --------
    >>> import pandas as pd
    >>> places = regions_for_postcodes(pd.Series(["CH5 2NS", "ch1 1aa", None], index=[7, 8, 9]))
    >>> places.loc[7].tolist(), places.loc[8].tolist()
    (['Wales', 'Wales'], ['North West', 'England'])
    >>> places.loc[9].isna().tolist()
    [True, True]
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(postcodes)
    # One extra row for code -1 (a missing postcode), so that it maps to a missing place.
    places = np.array([*map(region_of_postcode, uniques), (None, None)], dtype=object)
    return pd.DataFrame(places[codes], columns=["region", "nation"], index=postcodes.index)


def _area(postcode: str) -> str:
    return postcode[:2] if postcode[1].isalpha() else postcode[:1]


@functools.cache
def _section_of_division() -> dict[int, str]:
    return {
        division: row["section"]
        for row in _table("sic_sections.csv")
        for division in range(int(row["first_division"]), int(row["last_division"]) + 1)
    }


@functools.cache
def _postcode_table() -> dict[str, tuple[str | None, str]]:
    rows = _table("postcode_regions.csv")
    return {row["prefix"]: (row["region"] or None, row["nation"]) for row in rows}
