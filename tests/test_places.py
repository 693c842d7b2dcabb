"""Where employers are registered: reasons for a missing region, shares registered in a region."""

from __future__ import annotations

import pandas as pd
import pytest

from paygap_utils.data.lookups import EMPLOYER_SIZES
from paygap_utils.places import MISSING_REGION_REASONS, region_missing_reason, share_in_region


def test_every_reason_for_a_missing_region():
    rows = pd.DataFrame(
        {
            "region": ["Wales", None, None, None, None, None, None],
            "address": [
                "Penglais, Aberystwyth, SY23 3FL",
                None,
                "Royal Bank House, St Helier, Jersey, JE4 8PJ",
                "70 St Mary Axe, London, United Kingdom, EC3A 8BE",
                "Somewhere",
                "Suite 7, Sandyford, Dublin 18, Ireland",
                "7 College Street, Winchester, S023 9NA",
            ],
            "post_code": ["SY23 3FL", None, "JE4 8PJ", None, "ZZ1 1AA", None, None],
        },
        index=[5, 6, 7, 8, 9, 10, 11],
    )
    reasons = region_missing_reason(rows)
    assert reasons.index.tolist() == rows.index.tolist()
    assert pd.isna(reasons[5])
    assert reasons.iloc[1:].tolist() == [
        "no address",
        "Crown Dependencies",
        "postcode only in the address",
        "postcode area not recognised",
        "no UK postcode found",
        "no UK postcode found",
    ]
    assert list(reasons.cat.categories) == list(MISSING_REGION_REASONS)


def test_a_blank_address_counts_as_no_address():
    rows = pd.DataFrame({"region": [None], "address": ["   "], "post_code": [None]})
    assert region_missing_reason(rows).tolist() == ["no address"]


def test_share_in_region_keeps_the_order_of_size_bands_and_counts_unknown_regions():
    sizes = pd.Categorical(
        ["20,000 or more", "250 to 499", "250 to 499", "250 to 499", None],
        categories=EMPLOYER_SIZES,
        ordered=True,
    )
    rows = pd.DataFrame(
        {"employer_size": sizes, "region": ["London", "London", None, "Wales", "London"]}
    )
    table = share_in_region(rows, "employer_size")
    assert table.index.tolist() == ["250 to 499", "20,000 or more"]
    assert table["employers"].tolist() == [3, 1]
    assert table["in_region"].tolist() == [1, 1]
    assert table["share"].tolist() == pytest.approx([1 / 3, 1.0])


def test_share_in_region_names_the_regions_it_knows():
    rows = pd.DataFrame({"sector": ["C"], "region": ["London"]})
    with pytest.raises(ValueError, match="North East.*'Londres'"):
        share_in_region(rows, "sector", region="Londres")


@pytest.mark.data
def test_places_on_the_real_data():
    import paygap_utils

    df = paygap_utils.load(progressbar=False)
    reasons = region_missing_reason(df)
    assert reasons.notna().sum() == df["region"].isna().sum()
    # Addresses abroad are the commonest reason in every year.
    assert reasons.value_counts().idxmax() == "no UK postcode found"
    latest = df[df["year"] == df["year"].max()]
    london = share_in_region(latest, "employer_size")["share"]
    assert london["20,000 or more"] > london["250 to 499"]


def test_share_in_region_and_missing_reasons_name_what_is_missing():
    rows = pd.DataFrame({"region": ["London"], "codes": [["1", "2"]]})
    with pytest.raises(KeyError, match="share_in_region: the table has no column 'size'"):
        share_in_region(rows, "size")
    with pytest.raises(TypeError, match="share_in_region: column 'codes' holds lists"):
        share_in_region(rows, "codes")
    with pytest.raises(KeyError, match="region_missing_reason: .* no column 'address'"):
        region_missing_reason(rows)
