"""The columns of the data: official names, the names :func:`paygap_utils.load` uses, meanings.

The service has published its CSVs in several layouts over the years (see
:data:`LAYOUTS`); this module is the one place that knows them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "COLUMNS", "DERIVED_COLUMNS", "LAYOUTS", "Layout", "snake_case", "columns"]


@dataclass(frozen=True)
class Column:
    """One column: its official CSV header, its name here, its kind and meaning."""

    official: str
    name: str
    kind: str  # "text", "id", "float", "bool", "datetime", "category", "codes"
    description: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "EmployerName",
        "employer_name",
        "text",
        "Name of the employer as it was when the return was filed.",
    ),
    Column(
        "EmployerId",
        "employer_id",
        "id",
        "The service's identifier of the employer; stable across years. Not published in "
        "the 2017-18 and 2018-19 files (see linked_employer_id).",
    ),
    Column(
        "Address",
        "address",
        "text",
        "The employer's latest registered address (not where its staff work), on one line.",
    ),
    Column(
        "PostCode",
        "post_code",
        "text",
        "Postcode of that address, upper case with one space. Not published in the 2017-18 "
        "and 2018-19 files.",
    ),
    Column(
        "CompanyNumber",
        "company_number",
        "text",
        "Companies House number as text with its leading zeros (e.g. '00226143', 'SC016876'); "
        "missing for bodies not registered there.",
    ),
    Column(
        "SicCodes",
        "sic_codes",
        "codes",
        "SIC 2007 codes as a list of five-digit strings; '00001' is the service's placeholder "
        "for the public sector.",
    ),
    Column(
        "DiffMeanHourlyPercent",
        "diff_mean_hourly_percent",
        "float",
        "Mean hourly pay gap: how much lower women's mean hourly pay is than men's, as a % of "
        "men's. Negative means women are paid more.",
    ),
    Column(
        "DiffMedianHourlyPercent",
        "diff_median_hourly_percent",
        "float",
        "Median hourly pay gap, as a % of men's median. Negative means women are paid more.",
    ),
    Column(
        "DiffMeanBonusPercent",
        "diff_mean_bonus_percent",
        "float",
        "Mean bonus gap, as a % of men's mean bonus. Blank or 0 when no bonus is paid.",
    ),
    Column(
        "DiffMedianBonusPercent",
        "diff_median_bonus_percent",
        "float",
        "Median bonus gap, as a % of men's median bonus. Blank or 0 when no bonus is paid.",
    ),
    Column(
        "MaleBonusPercent",
        "male_bonus_percent",
        "float",
        "Percentage of men who were paid a bonus.",
    ),
    Column(
        "FemaleBonusPercent",
        "female_bonus_percent",
        "float",
        "Percentage of women who were paid a bonus.",
    ),
    Column(
        "MaleLowerQuartile",
        "male_lower_quartile",
        "float",
        "Percentage of the lowest-paid quarter of employees who are men.",
    ),
    Column(
        "FemaleLowerQuartile",
        "female_lower_quartile",
        "float",
        "Percentage of the lowest-paid quarter of employees who are women.",
    ),
    Column(
        "MaleLowerMiddleQuartile",
        "male_lower_middle_quartile",
        "float",
        "Percentage of the lower-middle quarter of employees who are men.",
    ),
    Column(
        "FemaleLowerMiddleQuartile",
        "female_lower_middle_quartile",
        "float",
        "Percentage of the lower-middle quarter of employees who are women.",
    ),
    Column(
        "MaleUpperMiddleQuartile",
        "male_upper_middle_quartile",
        "float",
        "Percentage of the upper-middle quarter of employees who are men.",
    ),
    Column(
        "FemaleUpperMiddleQuartile",
        "female_upper_middle_quartile",
        "float",
        "Percentage of the upper-middle quarter of employees who are women.",
    ),
    Column(
        "MaleTopQuartile",
        "male_top_quartile",
        "float",
        "Percentage of the highest-paid quarter of employees who are men.",
    ),
    Column(
        "FemaleTopQuartile",
        "female_top_quartile",
        "float",
        "Percentage of the highest-paid quarter of employees who are women.",
    ),
    Column(
        "CompanyLinkToGPGInfo",
        "company_link_to_gpg_info",
        "text",
        "Link to the employer's own report and narrative, if it gave one.",
    ),
    Column(
        "ResponsiblePerson",
        "responsible_person",
        "text",
        "Name and job title of the person who signed the return (personal data: do not "
        "publish it in your results).",
    ),
    Column(
        "EmployerSize",
        "employer_size",
        "category",
        "Headcount band, an ordered category from 'Not Provided' and 'Less than 250' up to "
        "'20,000 or more'.",
    ),
    Column(
        "CurrentName",
        "current_name",
        "text",
        "The employer's name when the file was generated (may differ from employer_name).",
    ),
    Column(
        "SubmittedAfterTheDeadline",
        "submitted_after_the_deadline",
        "bool",
        "The service's own flag: the return was filed after the deadline.",
    ),
    Column(
        "DueDate",
        "due_date",
        "datetime",
        "The day after the filing deadline (e.g. 2018-04-05 for a 4 April 2018 deadline); "
        "public-sector bodies' deadline is 30 March.",
    ),
    Column(
        "DateSubmitted",
        "date_submitted",
        "datetime",
        "When the return was last submitted (a later correction moves this date).",
    ),
)

DERIVED_COLUMNS: tuple[Column, ...] = (
    Column(
        "",
        "year",
        "id",
        "First calendar year of the reporting year: 2017 means 2017-18 (snapshot date "
        "5 April 2017, or 31 March 2017 for the public sector).",
    ),
    Column(
        "",
        "linked_employer_id",
        "id",
        "employer_id, or for the files that do not publish it (2017-18, 2018-19) the id "
        "found by matching company_number, then current_name, to the later files. Use it "
        "to follow employers across years.",
    ),
    Column(
        "",
        "sector",
        "category",
        "SIC 2007 section letter (A-U) of the first listed SIC code, or 'X' (public sector) "
        "when the codes include the placeholder 1; missing without codes.",
    ),
    Column("", "sector_name", "category", "Name of that section."),
    Column(
        "",
        "sectors",
        "codes",
        "Every distinct section among the employer's SIC codes, in the order listed.",
    ),
    Column(
        "",
        "is_public_sector",
        "bool",
        "The employer's codes include the service's public-sector placeholder (SIC code 1).",
    ),
    Column(
        "",
        "region",
        "category",
        "ONS region (or nation) of the postcode's district, or of its postcode area when the "
        "district is not known. Taken from the address when the file has no PostCode column, "
        "and from the same employer's other years when the address has no postcode.",
    ),
    Column("", "nation", "category", "England, Wales, Scotland or Northern Ireland, likewise."),
    Column(
        "",
        "submitted_late",
        "bool",
        "date_submitted is on or after due_date; where the file has no dates, the service's "
        "own flag.",
    ),
)


@dataclass(frozen=True)
class Layout:
    """A column layout the service has published, recognised by its header and date style."""

    name: str
    n_columns: int
    date_format: str | None
    description: str


#: Every layout the service's downloads have used, keyed by the name used in the manifest.
LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "23-columns",
            23,
            None,
            "Mid-2018 downloads: no EmployerId, PostCode, DueDate or DateSubmitted.",
        ),
        Layout(
            "25-columns-dmy",
            25,
            "%d/%m/%Y %H:%M:%S",
            "2018-2021 downloads: no EmployerId or PostCode; dates dd/MM/yyyy HH:mm:ss; "
            "addresses over several lines.",
        ),
        Layout(
            "25-columns-quoted",
            25,
            "%d/%m/%Y %H:%M:%S",
            "Early 2021 downloads: every field quoted, addresses on one line, dates "
            "dd/MM/yyyy HH:mm:ss.",
        ),
        Layout(
            "27-columns-ymd",
            27,
            "%Y/%m/%d %H:%M:%S",
            "Downloads since mid-2021: EmployerId and PostCode added; dates yyyy/MM/dd HH:mm:ss.",
        ),
        Layout(
            "25-columns-excel",
            25,
            "%d/%m/%Y %H:%M",
            "A 25-column file re-saved by Excel: dates without seconds, TRUE/FALSE, leading "
            "zeros stripped from company numbers.",
        ),
    )
}


def snake_case(official: str) -> str:
    """Return the name :func:`paygap_utils.load` gives an official column.

    Examples
    --------
    >>> from paygap_utils.schema import snake_case
    >>> snake_case("DiffMedianHourlyPercent")
    'diff_median_hourly_percent'
    >>> snake_case("CompanyLinkToGPGInfo")
    'company_link_to_gpg_info'
    """
    for column in COLUMNS:
        if column.official == official:
            return column.name
    raise KeyError(
        f"{official!r} is not a column of the Gender Pay Gap data. "
        f"Known columns: {', '.join(c.official for c in COLUMNS)}."
    )


def columns():
    """Describe every column of :func:`paygap_utils.load`'s table.

    The terms the descriptions use (snapshot date, full-pay relevant employee,
    quartile, employer-weighted, late, linked employer, reporting year ...) are
    explained in the repository's glossary, ``docs/glossary.md``, which is also a
    page of the rendered site.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``name``, ``official`` header (blank for derived
        columns), ``kind`` and ``description``.

    Examples
    --------
    >>> from paygap_utils.schema import columns
    >>> table = columns()
    >>> table.loc[table.name == "diff_median_hourly_percent", "official"].item()
    'DiffMedianHourlyPercent'
    """
    import pandas as pd

    return pd.DataFrame(
        [
            {"name": c.name, "official": c.official, "kind": c.kind, "description": c.description}
            for c in COLUMNS + DERIVED_COLUMNS
        ]
    )
