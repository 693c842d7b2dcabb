"""SIC sections, size bands, postcodes and regions, checked against the shared reference tables."""

from __future__ import annotations

import csv
import re
import string
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paygap_utils.data import lookups
from paygap_utils.data.lookups import (
    EMPLOYER_SIZES,
    NATIONS,
    PUBLIC_SECTOR_CODE,
    REGION_CODES,
    REGIONS,
    SIC_SECTIONS,
    normalise_postcode,
    parse_postcode,
    parse_sic_codes,
    postcode_from_address,
    region_of_postcode,
    regions_for_postcodes,
    sic_section,
)
from tests.paths import need_shared

CROWN_DEPENDENCY = "Crown Dependencies"
_DISTRICTS = "postcode_district_to_region.csv"


def _table_rows() -> list[dict[str, str]]:
    text = (files("paygap_utils.data") / "tables" / "postcode_regions.csv").read_text(
        encoding="utf-8"
    )
    return list(csv.DictReader(text.splitlines()))


AREAS = sorted(row["prefix"] for row in _table_rows() if row["prefix"].isalpha())


@pytest.fixture(scope="module")
def reference() -> Path:
    return need_shared("data/reference")


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _expected_place(region: str, nation: str) -> tuple[str | None, str]:
    # The reference labels the Crown Dependencies' region "Crown Dependencies (not UK regions)".
    # Its nation is "Crown Dependency"; the library's is "Crown Dependencies".
    return (None, CROWN_DEPENDENCY) if nation == "Crown Dependency" else (region, nation)


# Constants


def test_regions_nations_and_codes_agree_with_reference(reference):
    codes = {row["ons_region"]: row["ons_region_code"] for row in _read(reference, _DISTRICTS)}
    assert REGION_CODES == {region: codes[region] for region in REGIONS}
    assert REGIONS[:9] == (
        "North East",
        "North West",
        "Yorkshire and The Humber",
        "East Midlands",
        "West Midlands",
        "East of England",
        "London",
        "South East",
        "South West",
    )
    assert REGIONS[9:] == ("Wales", "Scotland", "Northern Ireland")
    assert NATIONS == ("England", "Wales", "Scotland", "Northern Ireland")


def test_size_labels_are_the_service_labels_in_enum_order(reference):
    rows = sorted(_read(reference, "employer_size_bands.csv"), key=lambda r: int(r["enum_value"]))
    assert EMPLOYER_SIZES == tuple(row["EmployerSize_label"] for row in rows)


# SIC codes


def test_every_division_maps_to_its_ons_section(reference):
    covered = set()
    for row in _read(reference, "sic2007_sections.csv"):
        assert SIC_SECTIONS[row["section"]] == row["section_name"]
        for division in range(int(row["division_from"]), int(row["division_to"]) + 1):
            assert sic_section(f"{division:02d}123") == row["section"], division
            covered.add(division)
    for division in set(range(100)) - covered:
        assert sic_section(f"{division:02d}999") is None, division


def test_sections_are_the_service_sections(reference):
    service = _read(reference, "gpg_service_SicSections.csv")

    def words(name: str) -> str:
        return re.sub(r"[^a-z]", "", name.lower())

    assert list(SIC_SECTIONS) == [row["SicSectionId"] for row in service]
    for row in service:
        assert words(SIC_SECTIONS[row["SicSectionId"]]) == words(row["Description"])


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("93110,\n93130,\n93290", ["93110", "93130", "93290"]),
        ("56210,\r\n70229", ["56210", "70229"]),
        ("1470,\n10910", ["01470", "10910"]),
        ("1", [PUBLIC_SECTOR_CODE]),
        ("82990, 82990,1", ["82990", PUBLIC_SECTOR_CODE]),
        ("70100,x,123456,", ["70100"]),
        ("", []),
        (None, []),
        (float("nan"), []),
        (pd.NA, []),
        (1470, ["01470"]),
    ],
)
def test_parse_sic_codes_examples(text, codes):
    assert parse_sic_codes(text) == codes


def test_parse_sic_codes_refuses_numbers_read_as_floats():
    with pytest.raises(TypeError, match="dtype"):
        parse_sic_codes(93110.0)


@pytest.mark.parametrize(
    ("code", "section"),
    [("01470", "A"), ("1470", "A"), ("00001", "X"), ("1", "X"), ("47730", "G"), ("84110", "O")],
)
def test_sic_section_examples(code, section):
    assert sic_section(code) == section


@pytest.mark.parametrize("code", ["00000", "00002", "04000", "99999x", "", "abc"])
def test_sic_section_of_a_non_code_is_none(code):
    assert sic_section(code) is None


_SIC_SEPARATORS = ",\t\r\n "


@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 99_999), st.text(_SIC_SEPARATORS, min_size=1, max_size=4)),
        max_size=8,
    ),
    padded=st.booleans(),
    lead=st.text(_SIC_SEPARATORS, max_size=3),
)
def test_parse_sic_codes_round_trips(pairs, padded, lead):
    numbers = [n for n, _ in pairs]
    text = lead + "".join((f"{n:05d}" if padded else str(n)) + sep for n, sep in pairs)
    codes = parse_sic_codes(text)
    assert codes == list(dict.fromkeys(f"{n:05d}" for n in numbers))
    assert all(re.fullmatch(r"[0-9]{5}", code) for code in codes)


# Postcodes

postcodes = st.builds(
    lambda area, digit, extra, inward_digit, letters: (
        f"{area}{digit}{extra}",
        f"{inward_digit}{letters}",
    ),
    st.sampled_from(AREAS),
    st.integers(0, 9),
    st.sampled_from(["", *"0123456789ABCEHJKMNPRSTUVWXY"]),
    st.integers(0, 9),
    st.from_regex(r"[A-Z]{2}", fullmatch=True),
)


@st.composite
def typed(draw, postcode: tuple[str, str]) -> str:
    """The postcode as someone might type it: any case, spaces anywhere."""
    chars = "".join(postcode)
    return "".join(
        (c.lower() if draw(st.booleans()) else c) + draw(st.sampled_from(["", "", " ", "  "]))
        for c in chars
    )


@given(data=st.data(), postcode=postcodes)
def test_normalise_postcode_survives_case_and_spacing(data, postcode):
    text = data.draw(typed(postcode))
    assert normalise_postcode(" " + text) == " ".join(postcode)


@given(st.one_of(st.text(max_size=12), st.text("AB12 OXYZ ", max_size=10)))
def test_normalise_postcode_is_idempotent(text):
    once = normalise_postcode(text)
    assert once is None or normalise_postcode(once) == once


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("sy23 3fl", "SY23 3FL"),
        ("HP 21 8AL", "HP21 8AL"),
        ("SW1A 2 HB", "SW1A 2HB"),
        ("KT16 OPZ", "KT16 0PZ"),
        ("CM2 OLS", "CM2 0LS"),
        ("B706QG", "B70 6QG"),
        ("G2   5AD", "G2 5AD"),
        (" SW1 H0TL", "SW1H 0TL"),
        ("M5 4WT,", "M5 4WT"),
        ("W1A 1AA", "W1A 1AA"),
    ],
)
def test_normalise_postcode_examples(text, postcode):
    assert normalise_postcode(text) == postcode


@pytest.mark.parametrize("text", ["HM 11", "DT1 2J", "HMJX", "LS1", "UK EC1V 4QJ", "", None])
def test_normalise_postcode_of_a_non_postcode_is_none(text):
    assert normalise_postcode(text) is None


@given(
    data=st.data(),
    postcode=postcodes,
    before=st.text(string.ascii_letters + string.digits + " ,\r\n", max_size=60),
    glue=st.sampled_from([", ", ",\r\n", ",", "\n"]),
    after=st.sampled_from(["", ",", ", United Kingdom", ",\r\nUNITED KINGDOM", ", England."]),
)
def test_postcode_from_address_finds_the_postcode_at_the_end(data, postcode, before, glue, after):
    written = data.draw(st.sampled_from([" ".join(postcode), "".join(postcode)]))
    if data.draw(st.booleans()):
        written = written.lower()
    assert postcode_from_address(before + glue + written + after) == " ".join(postcode)


@pytest.mark.parametrize(
    ("address", "postcode"),
    [
        (
            "The Sunderland Stadium Of Light,,\r\nSunderland,\r\nTyne And Wear,\r\nSR5 1SU",
            "SR5 1SU",
        ),
        ("Fairview Mill, Ingliston, Newbridge, Midlothian, EH28 8NB", "EH28 8NB"),
        ("Mile End, Colchester, Essex, United Kingdom, CO4 5UP, CO5 0LX", "CO5 0LX"),
        ("Moat Road, Walsall, West-Midlands, WS2 9PS.", "WS2 9PS"),
        ("1 Old Park Lane, Trafford City, Manchester, England, M41 7HA", "M41 7HA"),
        ("10 Downing Street, London, SW1A 2AA, United Kingdom", "SW1A 2AA"),
        ("Chelmsford, Essex, CM2 OLS", "CM2 0LS"),
    ],
)
def test_postcode_from_address_examples(address, postcode):
    assert postcode_from_address(address) == postcode


@pytest.mark.parametrize(
    "address",
    [
        "Clarendon House 2 Church Street,\r\nHamilton,\r\nBermuda,\r\nHM 11",
        "Block F1 Cherrywood Business Park, Cherrywood, Dublin 18, D18 W2x7, Ireland",
        "131 Dartmouth Street, 8th Floor, Boston, Ma 02116, United States",
        "Aeschenvorstadt 1, 4051 Basel, Switzerland",
        "C/O Pricewaterhousecoopers Llp Central Square, 29 Wellington Street, Leeds, LS1",
        "No 1 Old Park Lane, Manchester",
        "",
        None,
    ],
)
def test_postcode_from_address_without_a_uk_postcode_is_none(address):
    assert postcode_from_address(address) is None


# Regions


def test_every_reference_district_gets_its_region_and_nation(reference):
    for row in _read(reference, _DISTRICTS):
        expected = _expected_place(row["ons_region"], row["nation"])
        assert region_of_postcode(f"{row['outward_code']} 1AA") == expected, row["outward_code"]


def test_unknown_districts_get_their_areas_majority_region(reference):
    districts = {row["outward_code"] for row in _read(reference, _DISTRICTS)}
    nation_of = {row["ons_region"]: row["nation"] for row in _read(reference, _DISTRICTS)}
    areas = _read(reference, "postcode_area_to_region.csv")
    assert sorted(row["postcode_area"] for row in areas) == AREAS
    for row in areas:
        area = row["postcode_area"]
        unknown = next(f"{area}{n}" for n in range(1, 100) if f"{area}{n}" not in districts)
        region, nation = region_of_postcode(f"{unknown} 9ZZ")
        if row["majority_region"] == "South East | London (tie)":
            assert region in {"South East", "London"}, area
            assert nation == "England"
        else:
            majority = row["majority_region"]
            assert (region, nation) == _expected_place(majority, nation_of[majority]), area


def test_lincolnshire_districts_are_east_midlands(reference):
    corrected = [row for row in _read(reference, _DISTRICTS) if row["corrected_note"]]
    assert len(corrected) == 31
    for row in corrected:
        assert region_of_postcode(f"{row['outward_code']} 1AA") == ("East Midlands", "England")


@pytest.mark.parametrize(
    ("postcode", "place"),
    [
        ("SY23 3FL", ("Wales", "Wales")),
        ("SY1 1AA", ("West Midlands", "England")),
        ("SY14 8AA", ("North West", "England")),
        ("CH5 2NS", ("Wales", "Wales")),
        ("CH1 1AA", ("North West", "England")),
        ("DA1 1AA", ("South East", "England")),
        ("DA5 1AA", ("London", "England")),
        ("TD15 1AA", ("North East", "England")),
        ("TD1 1AA", ("Scotland", "Scotland")),
        ("LN2 1AA", ("East Midlands", "England")),
        ("BT1 1AA", ("Northern Ireland", "Northern Ireland")),
    ],
)
def test_straddling_areas_resolve_by_district(postcode, place):
    assert region_of_postcode(postcode) == place


@pytest.mark.parametrize(
    ("postcode", "region"),
    [("W1A 1AA", "London"), ("BN99 3LF", "South East"), ("M50 2EQ", "North West")],
)
def test_non_geographic_districts_fall_back_to_their_area(postcode, region):
    assert region_of_postcode(postcode) == (region, "England")


@pytest.mark.parametrize("postcode", ["GY1 1AA", "JE2 3QB", "IM1 1AA"])
def test_crown_dependencies_have_a_nation_but_no_region(postcode):
    assert region_of_postcode(postcode) == (None, CROWN_DEPENDENCY)


@pytest.mark.parametrize("postcode", ["HM 11", "DT1 2J", "XX1 1AA", "", None, float("nan")])
def test_region_of_a_non_postcode_is_missing(postcode):
    assert region_of_postcode(postcode) == (None, None)


def test_table_is_compact_and_consistent():
    rows = _table_rows()
    by_prefix = {row["prefix"]: (row["region"], row["nation"]) for row in rows}
    assert len(by_prefix) == len(rows)
    for row in rows:
        region, nation = row["region"], row["nation"]
        if region:
            assert region in REGIONS
            assert nation == ("England" if REGIONS.index(region) < 9 else region)
        else:
            assert nation == CROWN_DEPENDENCY
        if not row["prefix"].isalpha():
            area = re.match(r"[A-Z]+", row["prefix"]).group()
            assert by_prefix[area] != (region, nation), "a district row must be an exception"


def test_regions_for_postcodes_matches_one_by_one_lookups():
    raw = pd.Series(
        ["CH5 2NS", "ch1 1aa", None, "SY23 3FL", "HM 11", "JE2 3QB", "CH5 2NS", "sw1a2hb"],
        index=[10, 3, 7, 1, 2, 9, 4, 0],
    )
    places = regions_for_postcodes(raw)
    assert list(places.columns) == ["region", "nation"]
    assert places.index.equals(raw.index)
    for key, postcode in raw.items():
        expected = region_of_postcode(postcode)
        got = tuple(None if pd.isna(v) else v for v in places.loc[key])
        assert got == expected, postcode


def test_regions_for_postcodes_looks_up_each_distinct_value_once(monkeypatch):
    calls = []

    def counting(postcode):
        calls.append(postcode)
        return ("London", "England")

    monkeypatch.setattr(lookups, "region_of_postcode", counting)
    places = regions_for_postcodes(pd.Series(["E1 6AN", "N1 9GU", None] * 20_000))
    assert sorted(calls) == ["E1 6AN", "N1 9GU"]
    assert places["region"].notna().sum() == 40_000


def test_importing_lookups_is_cheap():
    # A fresh interpreter, so that nothing imported pandas or read the table before.
    code = (
        "import sys\n"
        "from paygap_utils.data import lookups\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
        "assert lookups._postcode_table.cache_info().currsize == 0, 'table read'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# Reading the PostCode field: full postcodes, outward codes alone, Crown Dependencies, garbage

CROWN_AREAS = ("JE", "GY", "IM")


@given(data=st.data(), postcode=postcodes)
def test_parse_postcode_reads_an_outward_code_alone(data, postcode):
    outward = postcode[0]
    text = data.draw(typed((outward, "")))
    assert parse_postcode(text) == outward
    # An outward code alone gives its district's (or area's) place, as the full postcode does.
    assert region_of_postcode(text) == region_of_postcode(" ".join(postcode))


@given(data=st.data(), postcode=postcodes, prefix=st.sampled_from(["UK ", "GB, ", "uk: "]))
def test_parse_postcode_finds_a_full_postcode_behind_a_country(data, postcode, prefix):
    assert parse_postcode(prefix + " ".join(postcode)) == " ".join(postcode)
    assert parse_postcode(data.draw(typed(postcode))) == " ".join(postcode)


@given(
    area=st.sampled_from(CROWN_AREAS),
    digit=st.integers(1, 9),
    inward=st.from_regex(r"[0-9][A-Z]{2}", fullmatch=True),
    outward_only=st.booleans(),
)
def test_crown_dependency_postcodes_are_their_own_nation(area, digit, inward, outward_only):
    text = f"{area}{digit}" if outward_only else f"{area}{digit} {inward}"
    assert region_of_postcode(text) == (None, "Crown Dependencies")


@given(st.text(alphabet=string.ascii_letters + string.digits + " ,.-/'", max_size=14))
def test_parse_postcode_of_garbage_is_none_or_a_postcode_of_a_known_area(text):
    parsed = parse_postcode(text)
    if parsed is not None:
        assert re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9][A-Z]{2})?", parsed), parsed
        # A full postcode is checked for its shape only (its area may be unknown: the
        # region is then missing); an outward code alone must name a known area.
        if " " not in parsed:
            area = parsed[:2] if parsed[1].isalpha() else parsed[:1]
            assert area in AREAS
            assert region_of_postcode(text)[1] is not None


@pytest.mark.parametrize("text", ["S023 9NA", "HM 11", "D18 W2X7", "75013", "N/A", "", None])
def test_parse_postcode_of_a_non_postcode_is_none(text):
    assert parse_postcode(text) is None
    assert region_of_postcode(text) == (None, None)
