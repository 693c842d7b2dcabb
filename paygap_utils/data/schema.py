"""The columns of the data: official names, the names :func:`paygap_utils.load` uses, meanings.

The service has published its CSVs in several layouts over the years (see
:data:`LAYOUTS`); this module is the one place that knows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

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
        "Postcode of that address, upper case with one space; the outward code alone (e.g. "
        "'LS1') where only that was typed; missing where the field holds no postcode (its "
        "text is in post_code_raw). Not published in the 2017-18 and 2018-19 files.",
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
        "Headcount band, an ordered category from 'Less than 250' up to '20,000 or more'. "
        "Missing where the file says 'Not Provided' (no band, so it is not ordered with them).",
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
        "The day after the filing deadline: 5 April for private and voluntary employers "
        "(deadline 4 April), 31 March for public bodies (deadline 30 March); 2021-10-06 for "
        "everyone in 2020-21, whose deadline was extended.",
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
        "The employer across years: employer_id where the file publishes it (2019-20 on). "
        "In 2017-18 and 2018-19: the id of the later employer with the same company_number "
        "(only when that number belongs to one id), else with the same current_name (only "
        "when the name belongs to one id and the company numbers do not conflict); rows "
        "found in both early years by company number alone get a negative id of their own. "
        "No two rows of one year share an id: where several would, the weaker links are "
        "dropped. See link_method.",
    ),
    Column(
        "",
        "link_method",
        "category",
        "How linked_employer_id was found: 'employer_id' (published), 'company_number' or "
        "'name' (matched); missing where the row could not be linked.",
    ),
    Column(
        "",
        "sector",
        "category",
        "The employer's industry, public bodies included: the SIC 2007 section letter (A-U) "
        "of its first listed SIC code other than the public-sector placeholder 1; missing "
        "where no other code is listed. Whether it is a public body is is_public_sector.",
    ),
    Column("", "sector_name", "category", "Name of that section."),
    Column(
        "",
        "sectors",
        "codes",
        "Every distinct section among the employer's SIC codes, in the order listed (the "
        "placeholder code 1 counts in none): the first is sector.",
    ),
    Column(
        "",
        "is_public_sector",
        "bool",
        "A public body, as the service tells them apart: due_date 31 March (public bodies' "
        "deadline) rather than 5 April. Where the row's due date says neither (every 2020-21 "
        "row: the deadline was extended), the same employer's classification in the nearest "
        "other year (linked_employer_id); failing that, the SIC placeholder code 1, which most "
        "public bodies stopped listing after 2018-19. See public_sector_source.",
    ),
    Column(
        "",
        "public_sector_source",
        "category",
        "Which rule decided is_public_sector: 'due date', 'other year' or 'sic code'.",
    ),
    Column(
        "",
        "post_code_raw",
        "text",
        "The PostCode field exactly as in the file, on every row (missing where blank, and in "
        "the 2017-18 and 2018-19 files, which have none): compare it with post_code.",
    ),
    Column(
        "",
        "region",
        "category",
        "ONS region (or nation) of the postcode's district, or of its postcode area when the "
        "district is not known: from post_code (an outward code alone is enough), or, where "
        "post_code is missing (the 2017-18 and 2018-19 files have no PostCode column), from "
        "the last postcode in the address. A row whose own postcode gives no place takes the "
        "place of the same employer's most recent other year that has one. See region_source.",
    ),
    Column(
        "",
        "nation",
        "category",
        "England, Wales, Scotland or Northern Ireland, likewise; 'Crown Dependencies' for "
        "Jersey, Guernsey and Isle of Man postcodes (JE, GY, IM), which have no region.",
    ),
    Column(
        "",
        "region_source",
        "category",
        "Where region and nation came from: 'postcode' (post_code), 'address' (the last "
        "postcode in the address, where post_code is missing), 'other year' (the same "
        "employer's place in another year, only where the row's own gives none), missing "
        "where none gives a place.",
    ),
    Column(
        "",
        "submitted_late",
        "bool",
        "The service's own SubmittedAfterTheDeadline flag, which every layout has (it is "
        "False for all of 2019-20, when enforcement was suspended); only where a row lacks "
        "the flag, date_submitted on or after due_date; False where the employer re-submitted "
        "after the deadline a report it had filed on time (the kept row has the later "
        "figures). See late_source. paygap_utils.filed_by_deadline(df) keeps the reports "
        "that were on time.",
    ),
    Column(
        "",
        "late_source",
        "category",
        "Where submitted_late came from: 'service flag', 'dates' or 'earlier report' (an "
        "earlier submission of the same year was on time).",
    ),
    Column(
        "",
        "pays_bonus",
        "bool",
        "Someone received a bonus: male_bonus_percent or female_bonus_percent above 0; False "
        "where both are 0 and no bonus gap other than 0 is given; missing where the row does "
        "not say (a share blank) or contradicts itself (both shares 0 but a bonus gap, as in "
        "6 rows of 2017-18 and 1 of 2018-19). Compare bonus gaps among these employers only: "
        "when nobody is paid a bonus the gap is written 0 in some years and left blank in "
        "others.",
    ),
    Column(
        "",
        "has_impossible_value",
        "bool",
        "The row holds a value that cannot be right (a share outside 0-100, quartile shares "
        "not adding up to 100, an hourly gap of 100% or more, a bonus gap above 100%): any "
        "check of paygap_utils.checks.IMPOSSIBLE_CHECKS. Flagged, not dropped; counts per "
        "check and year are in df.attrs['impossible_values'].",
    ),
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
            quoted=True,
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
        Layout(
            "27-columns-spreadsheet",
            27,
            "%d-%m-%Y %H:%M",
            "A 27-column file re-saved by a spreadsheet program: dates dd-MM-yyyy HH:mm "
            "(dashes, no seconds), TRUE/FALSE, CRLF record ends, numbers reformatted.",
        ),
    )
}


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
    >>> from paygap_utils.data.schema import columns
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
