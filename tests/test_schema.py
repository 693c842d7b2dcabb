"""The columns and layouts tables: what they say is what cleaning and layout detection do."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

import pytest

from paygap_utils.data import clean
from paygap_utils.data.clean import detect_layout
from paygap_utils.data.schema import COLUMNS, DERIVED_COLUMNS, LAYOUTS, Column, ColumnKind
from paygap_utils.errors import DataFormatError


def test_every_kind_of_column_has_a_parser_and_a_missing_value():
    kinds = set(get_args(ColumnKind))
    assert {c.kind for c in COLUMNS} <= kinds
    assert set(clean._PARSERS) == kinds
    assert set(clean._ABSENT) == kinds


def test_a_column_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind 'number' is not a ColumnKind"):
        Column("X", "x", "number", "a typo in the table")


def test_names_are_unique_and_derived_columns_have_no_official_header():
    names = [c.name for c in COLUMNS + DERIVED_COLUMNS]
    assert len(names) == len(set(names))
    assert len({c.official for c in COLUMNS}) == len(COLUMNS)
    assert all(c.official == "" for c in DERIVED_COLUMNS)
    assert all(c.name == c.name.lower() and " " not in c.name for c in COLUMNS + DERIVED_COLUMNS)


@pytest.mark.parametrize("layout", [lay for lay in LAYOUTS.values() if lay.date_format])
def test_each_layouts_dates_are_told_apart_from_its_neighbours(layout):
    written = datetime(2021, 3, 4, 5, 6, 7).strftime(layout.date_format)
    assert clean._date_shape(layout.date_format).match(written)
    for other in LAYOUTS.values():
        if other is layout or other.n_columns != layout.n_columns or not other.date_format:
            continue
        same = clean._date_shape(other.date_format).match(written) is not None
        # Layouts that write dates alike are told apart by their quoting.
        assert same == (other.date_format == layout.date_format), other.name
        if same:
            assert other.quoted != layout.quoted, other.name


def _header(n_columns: int, quoted: bool = False) -> str:
    names = [c.official for c in COLUMNS][:n_columns]
    return ",".join(f'"{n}"' if quoted else n for n in names)


def test_a_column_count_no_layout_has_is_refused_naming_the_ones_there_are(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(_header(24) + "\n")
    counts = sorted({lay.n_columns for lay in LAYOUTS.values()})
    with pytest.raises(DataFormatError) as caught:
        detect_layout(path)
    assert f"has 24 columns; the service's layouts have {counts[0]}, " in str(caught.value)
    assert f"or {counts[-1]}" in str(caught.value)


def test_a_layout_without_dates_is_known_by_its_columns_alone(tmp_path):
    (undated,) = [lay for lay in LAYOUTS.values() if lay.date_format is None]
    official = [c.official for c in COLUMNS if c.official not in ("EmployerId", "PostCode")]
    header = [n for n in official if n not in ("DueDate", "DateSubmitted")]
    assert len(header) == undated.n_columns
    path = tmp_path / "undated.csv"
    path.write_text(",".join(header) + "\n")
    assert detect_layout(path) is undated


def test_quoting_decides_between_layouts_that_write_dates_alike(tmp_path):
    official = [c.official for c in COLUMNS if c.official not in ("EmployerId", "PostCode")]
    row = ["x"] * len(official)
    row[official.index("DateSubmitted")] = "04/03/2021 05:06:07"
    for quoted, expected in ((False, "25-columns-dmy"), (True, "25-columns-quoted")):
        path = tmp_path / f"quoted-{quoted}.csv"
        cells = [f'"{n}"' for n in official] if quoted else official
        path.write_text(",".join(cells) + "\n" + ",".join(row) + "\n")
        assert detect_layout(path).name == expected


def test_the_tables_read_on_first_use_behave_as_tuples_and_dicts():
    from paygap_utils.data.lookups import REGION_CODES, REGIONS

    both = COLUMNS + DERIVED_COLUMNS
    assert isinstance(both, tuple) and both[: len(COLUMNS)] == tuple(COLUMNS)
    assert () + DERIVED_COLUMNS == tuple(DERIVED_COLUMNS)
    assert COLUMNS[0] == Column("EmployerName", "employer_name", "text", COLUMNS[0].description)
    assert REGIONS == tuple(REGION_CODES) and REGIONS[-1] == "Northern Ireland"
    assert dict(LAYOUTS) == LAYOUTS and "27-columns-ymd" in repr(LAYOUTS)
