"""Build the test workbooks in this folder from riverton/ (run: python tests/data/workbooks/make_workbooks.py).

riverton.xlsx is a small city's program typed the way people type spreadsheets: numbers as numbers, months as
Excel dates, booleans as TRUE/FALSE. Each broken-*.xlsx is riverton.xlsx with one fault; the tests name the sheet,
row and column each must be refused at. The files are checked in; this script says exactly how they were made.
"""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

HERE = Path(__file__).resolve().parent
SHEETS = ("departments", "goals", "measures", "milestones", "measurements", "annotations")
MONTH_COLUMNS = {"baseline_period", "target_period", "period"}
NUMBER_COLUMNS = {"display_order", "decimals", "baseline_value", "target_value", "valid_min", "valid_max",
                  "on_track_tolerance", "at_risk_tolerance", "value"}


def typed(column: str, text: str):
    """A CSV cell as a spreadsheet keeps it."""
    if text == "":
        return None
    if column in MONTH_COLUMNS:
        year, month = text.split("-")
        return datetime(int(year), int(month), 1)
    if column in NUMBER_COLUMNS:
        number = float(text)
        return int(number) if number.is_integer() else number
    if text in ("true", "false"):
        return text == "true"
    return text


def riverton() -> Workbook:
    """The Riverton program as a typed workbook."""
    book = Workbook()
    book.remove(book.active)
    for name in SHEETS:
        sheet = book.create_sheet(name)
        with (HERE / "riverton" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([typed(column, cell) for column, cell in zip(rows[0], row)])
    return book


def broken(name: str, change) -> None:
    """Save riverton.xlsx with one change as broken-NAME.xlsx."""
    book = load_workbook(HERE / "riverton.xlsx")
    change(book)
    book.save(HERE / f"broken-{name}.xlsx")


def _set(sheet: str, cell: str, value):
    def change(book):
        book[sheet][cell] = value
    return change


def _unknown_column(book):
    sheet = book["measures"]
    sheet.cell(1, sheet.max_column + 1, "budget")
    sheet.cell(2, sheet.max_column, 125000)


def _merged_header(book):
    book["measures"].merge_cells("A1:B1")


def main() -> None:
    """Write riverton.xlsx and every broken workbook."""
    riverton().save(HERE / "riverton.xlsx")
    broken("missing-sheet", lambda book: book.remove(book["milestones"]))
    broken("unknown-column", _unknown_column)
    broken("duplicate-slug", _set("departments", "A3", "riverton-housing"))
    broken("unknown-goal", _set("measures", "B4", "riverton-parks"))
    broken("bad-month", _set("measurements", "B5", "2025-13"))
    broken("text-in-number", _set("measurements", "C6", "about 130"))
    broken("merged-header", _merged_header)


if __name__ == "__main__":
    main()
