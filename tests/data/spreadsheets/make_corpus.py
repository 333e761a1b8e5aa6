"""Write the corpus of awkward spreadsheets the importer tests read (run from anywhere; it rewrites this folder).

Every good file holds the same four figures of the Office of Community Development for November 2026, written the
ways Excel and Google Sheets write them; every bad file has one thing wrong (see tests/unit/test_importer_corpus.py
for the message each must give). The files are checked in; this script says how each was made.
"""
from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
RENTAL, BUYERS, VACANT, LMI = ("ocd-rental-units-repaired", "ocd-homebuyers-assisted",
                               "ocd-vacant-addresses-flooded-tracts", "ocd-lmi-benefit-share")
GOOD_ROWS = [(RENTAL, "2026-11", "418"), (BUYERS, "2026-11", "265"), (VACANT, "2026-11", "2,698"),
             (LMI, "2026-11", "78.9")]


def csv_text(rows: list[list[str]], sep: str = ",", end: str = "\n") -> str:
    """Rows joined as a CSV, quoting cells that hold the separator, a quote or a line end."""
    def cell(text: str) -> str:
        if any(c in text for c in (sep, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text
    return "".join(sep.join(cell(c) for c in row) + end for row in rows)


def good_rows(header=("measure", "period", "value", "note")) -> list[list[str]]:
    """The four good figures under a header, each with the same note."""
    return [list(header)] + [[slug, period, value, "From the monthly report"] for slug, period, value in GOOD_ROWS]


def write(name: str, data: bytes | str, encoding: str = "utf-8") -> None:
    """Write one corpus file."""
    (HERE / name).write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def workbook_bytes(build) -> bytes:
    """An .xlsx workbook made by `build(workbook)`."""
    workbook = Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_like(workbook) -> None:
    """As Excel keeps it: a name column, real dates, numbers as numbers, a percent-formatted 0.789, a second sheet."""
    sheet = workbook.active
    sheet.title = "Figures"
    sheet.append(["measure", "name", "period", "value", "note", "reason"])
    names = ["Rental units repaired", "Homebuyers assisted", "Vacant addresses", "Low- and moderate-income share"]
    for (slug, _period, value), name in zip(GOOD_ROWS, names, strict=True):
        number = 0.789 if slug == LMI else int(value.replace(",", ""))
        sheet.append([slug, name, datetime(2026, 11, 1), number, "From the monthly report", None])
    for row in range(2, 6):
        sheet.cell(row, 3).number_format = "mmm-yy"
    sheet.cell(4, 4).number_format = "#,##0"
    sheet.cell(5, 4).number_format = "0.0%"
    workbook.create_sheet("Notes").append(["Figures from the OCD monthly report"])


def text_cells(workbook) -> None:
    """As Google Sheets exports a sheet typed as plain text, with formatted empty rows after the figures."""
    sheet = workbook.active
    for row in good_rows():
        sheet.append(row)
    sheet.cell(5, 3).value = "78.9%"
    for row in range(6, 40):
        sheet.cell(row, 1).number_format = "@"
        sheet.cell(row, 3).value = None


def stray_cell(workbook) -> None:
    """The good figures, and one stray cell a million rows down (the sheet then reads as a million rows)."""
    sheet = workbook.active
    for row in good_rows():
        sheet.append(row)
    sheet.cell(1_000_000, 1).value = "x"


def macro_workbook() -> bytes:
    """A workbook with a VBA project inside, as Excel saves a macro-enabled .xlsm."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(excel_like)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(512))
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A small .xlsx whose worksheet unpacks to 100 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        target.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        target.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        target.writestr("xl/worksheets/sheet1.xml", b" " * (100 * 1024 * 1024))
    return buffer.getvalue()


def encrypted() -> bytes:
    """The start of a password-protected .xlsx: an OLE compound file holding EncryptionInfo and EncryptedPackage."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    names = "EncryptionInfo".encode("utf-16-le") + bytes(50) + "EncryptedPackage".encode("utf-16-le")
    return header + names + random.Random(7).randbytes(4096)


def main() -> None:
    """Write every corpus file."""
    for old in HERE.iterdir():
        if old.name.startswith(("good_", "bad_")):
            old.unlink()
    # --- good: the same four figures every time ---
    write("good_plain.csv", csv_text(good_rows()))
    write("good_bom_crlf.csv", "\ufeff" + csv_text(good_rows(), end="\r\n"))
    write("good_semicolon.csv", csv_text(good_rows(), sep=";", end="\r\n"))
    rows = good_rows()
    rows[4][2] = "78.9%"
    write("good_percent.csv", csv_text(rows))
    rows = good_rows()
    rows[3][2] = "2\u00a0698"  # a non-breaking space as the thousands separator, as some locales type it
    write("good_thousands.csv", csv_text(rows))
    rows = good_rows()
    for row, period in zip(rows[1:], ("11/1/2026", "11/30/2026", "Nov-26", "November 2026"), strict=True):
        row[1] = period
    write("good_us_dates.csv", csv_text(rows, end="\r\n"))
    write("good_trailing_empty_rows.csv", csv_text(good_rows(), end="\r\n") + ",,,\r\n" * 6 + "\r\n\r\n")
    rows = [["name", "value", "unit", "measure", "comments", "period", "note"]]
    for slug, period, value in GOOD_ROWS:
        rows.append([f"The measure {slug}", value, "count", slug, "checked by Ana", period, "From the monthly report"])
    write("good_extra_columns.csv", csv_text(rows))
    write("good_header_case.csv", csv_text(good_rows(header=(" Measure", "Period ", "VALUE", "Note"))))
    rows = good_rows()
    rows[1][3] = "Café – résumé of the month"
    write("good_windows1252.csv", csv_text(rows, end="\r\n"), encoding="cp1252")
    write("good_unicode_text.txt", "\ufeff" + csv_text(good_rows(), sep="\t", end="\r\n"), encoding="utf-16-le")
    rows = good_rows(header=("measure", "name", "period", "value", "note", "reason"))
    rows = [rows[0]] + [[r[0], "", r[1], r[2], r[3], ""] for r in rows[1:]]
    rows += [[RENTAL, "", "2026-10", "", "", ""], [LMI, "", "2026-10", "", "", ""]]
    write("good_template_partly_filled.csv", "\ufeff" + csv_text(rows, end="\r\n"))
    write("good_excel.xlsx", workbook_bytes(excel_like))
    write("good_text_cells.xlsx", workbook_bytes(text_cells))
    # --- bad: one thing wrong each ---
    write("bad_empty.csv", b"")
    write("bad_only_header.csv", "measure,period,value,note,reason\r\n")
    write("bad_wrong_columns.csv", csv_text([["slug", "month", "figure"], [RENTAL, "2026-11", "418"]]))
    rows = good_rows()
    rows.insert(2, [RENTAL, "2026-11", "419", ""])
    write("bad_duplicate_rows.csv", csv_text(rows))
    rows = good_rows()
    rows[2][0] = "ocd-homebuyers-asisted"
    write("bad_unknown_slug.csv", csv_text(rows))
    rows = good_rows() + [["rla-homeowners-awarded-ebr", "2026-11", "7,000", ""]]
    write("bad_other_department.csv", csv_text(rows))
    rows = good_rows()
    rows[4][1] = "2026-12"
    write("bad_future_month.csv", csv_text(rows))
    rows = good_rows()
    rows[1][2] = "about 420"
    write("bad_text_value.csv", csv_text(rows))
    rows = good_rows()
    rows[3][1] = "2026-13"
    write("bad_month.csv", csv_text(rows))
    rows = good_rows()
    rows[4][2] = "178.9%"
    write("bad_out_of_range.csv", csv_text(rows))
    rows = good_rows(header=("measure", "period", "value", "note", "reason"))
    rows.append([BUYERS, "2026-10", "263", "", ""])
    write("bad_correction_without_reason.csv", csv_text(rows))
    rows = good_rows()
    rows[4][2] = "78,9"
    write("bad_decimal_comma.csv", csv_text(rows, sep=";"))
    rows = good_rows()
    rows[1][2] = "400"
    rows[1][3] = ""
    write("bad_running_total_falls.csv", csv_text(rows))
    rows = good_rows()
    rows[2][0] = ""
    write("bad_measure_empty.csv", csv_text(rows))
    rows = good_rows()
    rows[2][2] = ""
    write("bad_value_empty_with_note.csv", csv_text(rows))
    rows = good_rows()
    rows[4][2] = "1.234,5"
    write("bad_european_number.csv", csv_text(rows))
    write("bad_unquoted_thousands.csv", "measure,period,value\r\n" + f"{VACANT},2026-11,2,698\r\n")
    write("bad_unclosed_quote.csv", "measure,period,value,note\r\n" + f'{VACANT},2026-11,2698,"From the report\r\n')
    good = workbook_bytes(excel_like)
    write("bad_truncated.xlsx", good[: len(good) // 2])
    write("bad_stray_cell_far_down.xlsx", workbook_bytes(stray_cell))
    write("bad_encrypted.xlsx", encrypted())
    write("bad_macro.xlsm", macro_workbook())
    write("bad_macro_renamed.xlsx", macro_workbook())
    write("bad_zip_bomb.xlsx", zip_bomb())
    write("bad_garbage.csv", random.Random(42).randbytes(3000))
    write("bad_workbook_named.csv", good)
    write("bad_wrong_type.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    line = f"{RENTAL},2026-11,418,{'x' * 80}\r\n"
    write("bad_huge.csv", "measure,period,value,note\r\n" + line * (int(5.5 * 1024 * 1024) // len(line)))


if __name__ == "__main__":
    main()
