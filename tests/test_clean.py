"""Cleaning one raw file: every layout the service has used, read right."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paygap_utils.data.clean import _dates, detect_layout, read_raw, read_year, sector_columns
from paygap_utils.data.lookups import SIC_SECTIONS, SIZE_BANDS, sic_section
from paygap_utils.data.manifest import read_manifest
from paygap_utils.data.schema import COLUMNS, DERIVED_COLUMNS, LAYOUTS
from paygap_utils.errors import DataFormatError
from tests.paths import need_shared

# Every layout, with the real files that use it: (file, first year, layout, data rows). The
# manifest's files as it describes them (test_manifest checks that against their bytes),
# then older snapshots of the service's downloads in the layouts no pinned file has.
FILES = [
    *((f.file_name, f.year, f.layout, f.rows) for f in read_manifest().files),
    (
        "snapshots/UK Gender Pay Gap Data - 2017 to 2018__committed-2019-01-20__1mwtt-wod1.csv",
        2017,
        "23-columns",
        10477,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2018 to 2019__committed-2019-01-20__1mwtt-wod1.csv",
        2018,
        "23-columns",
        150,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2018 to 2019__asof-2019-02-28__anumhirani.csv",
        2018,
        "25-columns-dmy",
        1393,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2019 to 2020__asof-2021-03-04__alifensome.csv",
        2019,
        "25-columns-quoted",
        6031,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2020 to 2021__asof-2021-05-14__morganwjh.csv",
        2020,
        "25-columns-quoted",
        3294,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2020 to 2021__asof-2021-07-23__drsotayo.csv",
        2020,
        "27-columns-ymd",
        4337,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2019 to 2020__asof-2023-02-03__kpw1000.csv",
        2019,
        "27-columns-ymd",
        6918,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2021 to 2022__asof-2023-02-03__kpw1000.csv",
        2021,
        "27-columns-ymd",
        10498,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2023 to 2024__asof-2024-03-04__alifensome.csv",
        2023,
        "27-columns-ymd",
        2351,
    ),
    (
        "snapshots/UK Gender Pay Gap Data - 2024 to 2025__asof-2024-04-25__NikitaNoviello.csv",
        2024,
        "27-columns-ymd",
        77,
    ),
]
TEXT = [c.name for c in COLUMNS if c.kind == "text"]


def _path(name: str) -> Path:
    return need_shared() / name


@pytest.fixture(scope="module", params=FILES, ids=[f[0].split("Data - ")[1][:40] for f in FILES])
def cleaned(request):
    name, year, layout, rows = request.param
    path = _path(name)
    return path, year, layout, rows, read_year(path, year)


def test_every_layout_of_the_table_has_a_real_file_here():
    assert {layout for _, _, layout, _ in FILES} == set(LAYOUTS)


def test_every_layout_is_recognised(cleaned):
    path, _, layout, _, _ = cleaned
    assert detect_layout(path).name == layout


def test_every_record_is_read_and_every_column_is_there(cleaned):
    _, year, _, rows, table = cleaned
    assert len(table) == rows
    assert table.columns.tolist() == [c.name for c in COLUMNS + DERIVED_COLUMNS]
    assert (table["year"] == year).all()


def test_columns_absent_from_the_layout_are_missing_values(cleaned):
    path, _, _, _, table = cleaned
    header = read_raw(path).columns
    for column in COLUMNS:
        if column.official not in header:
            assert table[column.name].isna().all(), column.name


def test_read_raw_reads_only_the_columns_asked_for(cleaned):
    path, _, _, rows, _ = cleaned
    whole = read_raw(path)
    some = read_raw(path, columns=["DateSubmitted", "EmployerId", "NoSuchColumn", "EmployerName"])
    assert some.columns.tolist() == [c for c in whole.columns if c in some.columns]
    assert set(some.columns) == {"DateSubmitted", "EmployerId", "EmployerName"} & set(whole)
    assert "EmployerName" in some
    assert len(some) == len(whole) == rows
    pd.testing.assert_frame_equal(some, whole[some.columns.tolist()])


def test_types(cleaned):
    path, *_, table = cleaned
    for column in COLUMNS:
        kind, values = column.kind, table[column.name]
        if kind == "float":
            assert values.dtype == "float64", column.name
        elif kind == "datetime":
            assert str(values.dtype) == "datetime64[ns]", column.name
        elif kind == "bool":
            assert str(values.dtype) == "boolean", column.name
        elif kind == "id":
            assert str(values.dtype) == "Int64", column.name
    size = table["employer_size"]
    assert isinstance(size.dtype, pd.CategoricalDtype) and size.dtype.ordered
    assert list(size.cat.categories) == list(SIZE_BANDS)
    # "Not Provided" is no band: it is missing, never the smallest band.
    raw = read_raw(path)["EmployerSize"].str.strip()
    assert (size.isna() == (raw == "Not Provided").to_numpy()).all()
    assert size.cat.categories[0] == "Less than 250"


def test_dates_are_never_read_day_for_month(cleaned):
    path, year, layout, _, table = cleaned
    if LAYOUTS[layout].date_format is None:
        return
    due = set(table["due_date"].dt.strftime("%m-%d"))
    # Deadlines are 4 April (private) and 30 March (public), or 5 October 2021 in 2020-21.
    assert due <= {"04-05", "03-31", "10-06"}, due
    assert (table["due_date"].dt.year == year + 1).all()
    submitted = table["date_submitted"]
    assert submitted.notna().all()
    # Returns can be filed from the snapshot date: 31 March (public sector) or 5 April.
    assert submitted.min() >= pd.Timestamp(f"{year}-03-31")
    if "asof-" in path.name:
        as_of = pd.Timestamp(path.name.split("asof-")[1][:10])
        assert submitted.max().normalize() == as_of


def test_company_numbers_keep_their_leading_zeros(cleaned):
    *_, table = cleaned
    numbers = table["company_number"].dropna()
    digits = numbers[numbers.str.fullmatch(r"\d+")]
    assert (digits.str.len() == 8).all(), digits[digits.str.len() != 8].head().tolist()
    assert (numbers == numbers.str.upper()).all()


def test_text_has_no_stray_whitespace_or_newlines(cleaned):
    *_, table = cleaned
    for column in TEXT:
        values = table[column].dropna()
        assert not values.str.contains(r"[\r\n\t]|\s{2,}|^\s|\s$", regex=True).any(), column
        assert not (values == "").any(), column


def test_sic_codes_are_lists_of_five_digit_codes(cleaned):
    *_, table = cleaned
    codes = table["sic_codes"].explode().dropna()
    assert codes.str.fullmatch(r"\d{5}").all()
    assert table["sic_codes"].map(lambda c: isinstance(c, list)).all()


def test_derived_columns_agree_with_their_sources(cleaned):
    *_, table = cleaned
    code = table["sic_codes"].map(lambda codes: "00001" in codes)
    due = table["due_date"].dt.strftime("%m-%d")
    by_date = due.isin(["03-31", "04-05"])
    rule = by_date.map({True: "due date", False: "sic code"})
    assert (table["public_sector_source"] == rule).all()
    assert (table.loc[by_date, "is_public_sector"] == (due[by_date] == "03-31")).all()
    assert (table.loc[~by_date, "is_public_sector"] == code[~by_date]).all()
    # sector is the industry whoever owns the employer: no X, and the first of sectors.
    assert table["sector"].notna().any() and not (table["sector"] == "X").any()
    first = table["sectors"].map(lambda found: found[0] if found else None)
    assert (table["sector"].astype(object).fillna("-") == first.fillna("-")).all()
    assert (table["submitted_late"] == table["submitted_after_the_deadline"]).all()
    assert (table["late_source"] == "service flag").all()
    assert table["region"].notna().mean() > 0.96
    assert (table["region_source"].isna() == table["nation"].isna()).all()
    from_address = table["region_source"] == "address"
    assert (from_address == (table["post_code"].isna() & table["nation"].notna())).all()


# (codes, is the employer a public body, sector, sectors): sector never asks is_public_sector.
SECTOR_RULE = [
    (["85310"], True, "P", ["P"]),  # an academy trust: education, not "public sector"
    (["00001", "85310"], True, "P", ["P"]),  # the placeholder first, then its industry
    (["00001"], True, None, []),  # a public body that lists only the placeholder
    (["00001"], False, None, []),
    (["84110", "85200", "86101"], True, "O", ["O", "P", "Q"]),  # a council, several codes
    (["47110", "10710", "47190"], False, "G", ["G", "C"]),  # each section once, as listed
    (["01470", "99999"], False, "A", ["A", "U"]),
    (["34000", "70100"], False, "M", ["M"]),  # division 34 is in no section
    ([], False, None, []),
]


@pytest.mark.parametrize(("codes", "public", "sector", "sectors"), SECTOR_RULE)
def test_sector_is_the_industry_of_the_first_code_other_than_the_placeholder(
    codes, public, sector, sectors
):
    rows = pd.DataFrame({"sic_codes": [codes], "is_public_sector": [public]})
    got_sector, name, got_sectors = sector_columns(rows)
    assert _values(got_sector) == [sector]
    assert _values(name) == [SIC_SECTIONS.get(sector)]
    assert got_sectors.tolist() == [sectors]


def _values(categorical) -> list:
    return [None if pd.isna(value) else value for value in categorical]


codes = st.lists(
    st.one_of(st.just("00001"), st.from_regex(r"[0-9]{5}", fullmatch=True)), max_size=5
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(codes, st.booleans()), min_size=1, max_size=20))
def test_sector_rule_on_any_codes(rows):
    table = pd.DataFrame(rows, columns=["sic_codes", "is_public_sector"])
    sector, _, sectors = sector_columns(table)
    for (listed, _public), got, found in zip(rows, sector, sectors, strict=True):
        industries = [sic_section(c) for c in listed if c != "00001" and sic_section(c)]
        assert found == list(dict.fromkeys(industries))
        assert (None if pd.isna(got) else got) == (industries[0] if industries else None)
    # Flipping is_public_sector changes nothing.
    flipped = table.assign(is_public_sector=~table["is_public_sector"])
    assert sector_columns(flipped)[0].equals(sector)


def test_a_blank_postcode_field_takes_the_region_of_the_address_and_says_so(tmp_path):
    def blank(raw):
        raw.loc[0, "Address"] = "1 Dock Street, Leeds, LS10 1JF"
        raw.loc[0, "PostCode"] = ""

    table = read_year(_sample(tmp_path, blank), 2022)
    assert table.loc[0, ["region", "region_source"]].tolist() == [
        "Yorkshire and The Humber",
        "address",
    ]
    assert pd.isna(table.loc[0, "post_code_raw"])
    others = table.iloc[1:]
    assert (others["region_source"].dropna() == "postcode").all()
    assert (others["post_code_raw"].notna() == others["post_code"].notna()).all()


@pytest.mark.parametrize(
    ("men", "women", "mean_gap", "median_gap", "pays"),
    [
        ("40", "0", "20", "10", True),
        ("0", "0", "0", "0", False),
        ("0", "0", "", "", False),
        ("0", "0", "-86.1", "-40", None),  # nobody paid a bonus, yet a bonus gap: unknown
        ("0", "", "", "", None),
    ],
)
def test_pays_bonus_is_missing_where_the_row_does_not_say(
    tmp_path, men, women, mean_gap, median_gap, pays
):
    def bonus(raw):
        raw.loc[0, ["MaleBonusPercent", "FemaleBonusPercent"]] = [men, women]
        raw.loc[0, ["DiffMeanBonusPercent", "DiffMedianBonusPercent"]] = [mean_gap, median_gap]

    got = read_year(_sample(tmp_path, bonus), 2022).loc[0, "pays_bonus"]
    assert (None if pd.isna(got) else bool(got)) == pays


def test_the_excel_resave_reads_like_the_original():
    excel = read_year(_path("UK Gender Pay Gap Data - 2018 to 2019.csv"), 2018)
    # The service's own early download:
    original = read_year(
        _path("snapshots/UK Gender Pay Gap Data - 2018 to 2019__asof-2019-02-28__anumhirani.csv"),
        2018,
    )
    original["minute"] = original["date_submitted"].dt.floor("min")
    excel["minute"] = excel["date_submitted"]  # the re-save dropped the seconds
    both = original.merge(excel, on=["employer_name", "minute"], suffixes=("", "_x"))
    assert len(both) > 1000
    for column in (
        "company_number",
        "diff_median_hourly_percent",
        "submitted_after_the_deadline",
        "female_top_quartile",
        "employer_size",
    ):
        same = (both[column] == both[f"{column}_x"]) | (
            both[column].isna() & both[f"{column}_x"].isna()
        )
        assert same.mean() > 0.99, column


def test_a_file_that_is_not_from_the_service_is_named(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Name,Gap\nA,1\n")
    with pytest.raises(DataFormatError, match=r"mine.csv does not look like .*'Name', 'Gap'"):
        read_year(path, 2020)


def _sample(tmp_path: Path, mutate) -> Path:
    source = _path(FILES[5][0])
    raw = read_raw(source).head(20)
    mutate(raw)
    path = tmp_path / source.name
    raw.to_csv(path, index=False)
    return path


def test_a_value_that_is_not_a_number_is_named(tmp_path):
    path = _sample(tmp_path, lambda raw: raw.__setitem__("DiffMeanHourlyPercent", "n/a"))
    with pytest.raises(
        DataFormatError, match=r"2022 to 2023.csv: column DiffMeanHourlyPercent holds 'n/a'"
    ):
        read_year(path, 2022)


def test_a_date_in_another_format_is_named(tmp_path):
    def swap(raw):
        raw.loc[3, "DateSubmitted"] = "31/12/2022 10:00:00"

    with pytest.raises(
        DataFormatError, match=r"DateSubmitted holds '31/12/2022 10:00:00'.*%Y/%m/%d"
    ):
        read_year(_sample(tmp_path, swap), 2022)


def test_an_unknown_size_band_is_named(tmp_path):
    path = _sample(tmp_path, lambda raw: raw.__setitem__("EmployerSize", "Huge"))
    with pytest.raises(DataFormatError, match=r"EmployerSize holds 'Huge'"):
        read_year(path, 2022)


def test_a_damaged_file_says_what_to_do(tmp_path):
    path = tmp_path / "UK Gender Pay Gap Data - 2022 to 2023.csv"
    path.write_bytes(b'EmployerName,Address\n"\xff\xfe broken\n')
    with pytest.raises(DataFormatError, match=r"could not be read.*python -m paygap_utils fetch"):
        read_raw(path)


@pytest.mark.parametrize("layout", [name for name, layout in LAYOUTS.items() if layout.date_format])
@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2017, 1, 1), max_value=datetime(2030, 12, 31)))
def test_dates_round_trip_in_every_layout(layout, moment):
    layout = LAYOUTS[layout]
    if "%S" not in layout.date_format:
        moment = moment.replace(second=0)
    moment = moment.replace(microsecond=0)
    text = pd.Series([moment.strftime(layout.date_format), ""])
    parsed = _dates(text, layout, "file.csv", "DateSubmitted")
    assert parsed.iloc[0] == pd.Timestamp(moment)
    assert pd.isna(parsed.iloc[1])


def test_manifest_layouts_are_the_detected_ones():
    for entry in read_manifest().files:
        assert detect_layout(_path(entry.file_name)).name == entry.layout


def test_the_2024_25_resave_is_recognised_by_its_content_not_its_year(tmp_path):
    source = _path("UK Gender Pay Gap Data - 2024 to 2025.csv")
    # The same bytes under another year's name are still the spreadsheet layout ...
    renamed = tmp_path / "UK Gender Pay Gap Data - 2021 to 2022.csv"
    renamed.write_bytes(source.read_bytes())
    assert detect_layout(renamed).name == "27-columns-spreadsheet"
    # ... and the service's own 2024-25 download is the usual one.
    pristine = _path(
        "snapshots/UK Gender Pay Gap Data - 2024 to 2025__asof-2024-04-25__NikitaNoviello.csv"
    )
    assert detect_layout(pristine).name == "27-columns-ymd"
    table = read_year(source, 2024)
    assert table["date_submitted"].max() == pd.Timestamp("2025-08-27 11:43")
    assert table["submitted_after_the_deadline"].sum() == 603
    assert table["address"].str.contains("\ufffd").sum() == 2
    assert (table["company_number"].dropna().str.len() == 8).all()


def test_a_file_whose_dates_fit_no_layout_says_what_to_do(tmp_path):
    def scramble(raw):
        raw["DateSubmitted"] = "2023.03.31"

    with pytest.raises(DataFormatError, match=r"DateSubmitted holds '2023.03.31'.*fetch"):
        read_year(_sample(tmp_path, scramble), 2022)
