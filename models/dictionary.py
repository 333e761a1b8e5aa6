"""The data dictionary of the open-data downloads: every column of the values table, its type and meaning.

One list serves the CSV and JSON downloads (column order), the dictionary CSV, the dictionary page and the API
document, so they cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from models.progress import STATUS_LABELS, STATUSES


@dataclass(frozen=True)
class Column:
    """One column of the values table."""

    name: str
    type: str
    meaning: str


VALUE_COLUMNS: tuple[Column, ...] = (
    Column("goal", "string", "Slug of the recovery goal the measure belongs to, e.g. bring-families-home."),
    Column("measure", "string", "Slug of the measure (a key performance indicator), e.g. ocd-rental-units-repaired. "
           "/api/v1/measures/<measure> describes it."),
    Column("period", "date (YYYY-MM-DD)", "The month the value is for, as its first day, e.g. 2026-10-01."),
    Column("value", "number", "The approved figure for that month, in the measure's unit (percent as 0-100, dollars "
           "as plain numbers, no thousands separators)."),
    Column("unit", "string", "Unit of the value: count, households, percent, usd or days."),
    Column("status", "string", "Where the measure stood that month against its plan, judged by the same rules as the "
           "progress page: " + ", ".join(f"{s} ({STATUS_LABELS[s].lower()})" for s in STATUSES if s != "no_data")
           + "."),
    Column("source", "string", "Where the figure comes from (the reporting system or publication)."),
    Column("citation", "string", "The publication this figure passes through, or 'illustrative' for figures of the "
           "illustrative data set."),
    Column("last_revised", "date (YYYY-MM-DD)", "The day this month's figure was last approved (first published or "
           "corrected)."),
)

VALUE_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in VALUE_COLUMNS)
