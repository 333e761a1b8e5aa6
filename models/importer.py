"""Importing monthly figures from a spreadsheet (CSV or XLSX), and the templates to fill in.

A file is read as Excel and Google Sheets write it (a byte-order mark, CRLF line ends, `;` or tab separators,
Windows-1252 text, thousands separators, US dates, percent-formatted cells, trailing empty rows, extra columns),
then every row is checked and decided by `models.batch.save_figures`, the one place that tells a new value from a
correction or an unchanged one. A preview writes nothing; applying writes every row in the caller's transaction, or
none while any row is rejected. Every problem reads `file, row, column: reason`, the row being the spreadsheet's own
row number (the header is row 1). Files that are too large, of the wrong type, password-protected, damaged,
macro-enabled or that unpack to far more than a sheet of figures are refused with a message saying what to do.
No screen, no Dash, no Flask.
"""
from __future__ import annotations

import calendar
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.audit import record_audit
from models.batch import FigureRow, RowResult, save_figures
from models.catalog import Measure
from models.errors import ValidationError
from models.measurements import Measurement
from models.progress import month_start
from models.services import Actor
from models.worklists import enterable_measures

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A workbook is a zip: its parts may unpack to this much in all, and no part may be packed tighter than this ratio
# (a sheet of figures packs about 5-10 times; a zip bomb thousands of times).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_PACKING_RATIO = 100
MAX_ROWS = 50_000
MAX_COLUMNS = 60
# Rows of a worksheet looked at, empty ones included (a stray cell far down the sheet makes a million empty rows).
MAX_SCANNED_ROWS = 100_000
REQUIRED_COLUMNS = ("measure", "period", "value")
OPTIONAL_COLUMNS = ("note", "reason")
TEMPLATE_COLUMNS = ("measure", "name", "period", "value", "note", "reason")
ACCEPTED_TYPES = (".csv", ".txt", ".xlsx")
OUTCOMES = ("new", "correction", "unchanged", "skipped", "rejected")
OUTCOME_LABELS = {"new": "New", "correction": "Correction", "unchanged": "Unchanged", "skipped": "Skipped: no value",
                  "rejected": "Rejected"}
_FROM_BATCH = {"stored": "new", "corrected": "correction", "unchanged": "unchanged", "refused": "rejected"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls workbooks and password-protected .xlsx files
_ZIP_MAGIC = b"PK\x03\x04"
_MACRO_CONTENT = b"macroEnabled"
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_EXAMPLE = "2026-10"


class UploadRefused(Exception):
    """The whole file cannot be read; the message says why and what to do."""

    def __init__(self, filename: str, reason: str):
        super().__init__(f"{filename}: {reason}")
        self.problem = Problem(filename, None, None, reason)


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: the file, its row (the header is row 1) and the column."""

    filename: str
    row: int | None
    column: str | None
    reason: str

    def line(self) -> str:
        """`file, row, column: reason` (row and column left out when the whole file is meant)."""
        where = [self.filename]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.reason}"


@dataclass(frozen=True)
class SheetRow:
    """One data row as read: its spreadsheet row number and the raw cells of the known columns."""

    row: int
    cells: dict[str, Any]


@dataclass(frozen=True)
class Sheet:
    """The rows of an uploaded file that hold anything in the known columns."""

    filename: str
    rows: list[SheetRow]


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file as the importer understood it, and what applying does with it."""

    row: int
    measure: str
    name: str
    period: date | None
    value: str
    note: str
    outcome: str
    problem: Problem | None = None

    @property
    def label(self) -> str:
        """The outcome in words ("New", "Correction", ...)."""
        return OUTCOME_LABELS[self.outcome]


@dataclass
class ImportResult:
    """Every row's outcome, the problems of the file as a whole, and whether the figures were written."""

    filename: str
    rows: list[PreviewRow] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    fingerprint: str = ""

    @property
    def problems(self) -> list[Problem]:
        """Every problem, the file's first, then the rows' in file order."""
        return self.file_problems + [row.problem for row in self.rows if row.problem is not None]

    @property
    def can_apply(self) -> bool:
        """Whether applying would write: the file was read and no row is rejected."""
        return not self.problems and any(row.outcome != "skipped" for row in self.rows)

    def count(self, outcome: str) -> int:
        """How many rows have this outcome."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    def summary(self) -> str:
        """One sentence: how many rows, and what each kind is (or was) to become."""
        counts = ", ".join(f"{self.count(outcome):,} {word}" for outcome, word in
                           (("new", "new"), ("correction", "corrected" if self.applied else
                                                          "correction" if self.count("correction") == 1 else "corrections"),
                            ("unchanged", "unchanged"), ("skipped", "skipped (no value)"),
                            ("rejected", "rejected")))
        rows = len(self.rows)
        return f"{self.filename}: {rows:,} row{'s' if rows != 1 else ''}: {counts}."


# --- reading a file ---------------------------------------------------------------------------------------------


def display_name(filename: str | None) -> str:
    """The file's own name, without folders, as messages show it (shortened when very long)."""
    name = PurePath(str(filename or "").replace("\\", "/")).name.strip() or "the file"
    return name if len(name) <= 80 else name[:77] + "..."


def read_sheet(filename: str, content: bytes) -> Sheet:
    """The rows of an uploaded CSV or XLSX file; raises UploadRefused when the file as a whole cannot be read."""
    name = display_name(filename)
    if not content:
        raise UploadRefused(name, "the file is empty. Download the template, fill it in and upload it again.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRefused(name, f"the file is {len(content) / 1024 / 1024:.1f} MB; at most "
                                  f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB can be uploaded. Split it into smaller files "
                                  "(one per year, for example) and upload each.")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsm":
        raise UploadRefused(name, _MACRO_MESSAGE)
    if suffix == ".xls":
        raise UploadRefused(name, "old Excel 97-2003 workbooks (.xls) are not read here. In Excel choose File > Save "
                                  "As > Excel Workbook (.xlsx), or CSV, and upload that.")
    if suffix == ".xlsx":
        return _read_xlsx(name, content)
    if suffix in (".csv", ".txt"):
        return _read_csv(name, content)
    kind = f"{suffix} files" if suffix else "files without a .csv or .xlsx name"
    raise UploadRefused(name, f"{kind} cannot be read. Upload a .csv or .xlsx file (the templates are both).")


_MACRO_MESSAGE = ("macro-enabled workbooks (.xlsm) are not accepted. In Excel choose File > Save As > Excel Workbook "
                  "(.xlsx), or CSV, and upload that.")
_DAMAGED_MESSAGE = ("the workbook is damaged or incomplete and cannot be read. Open it in Excel or Google Sheets, save "
                    "it again as .xlsx (or CSV) and upload the new copy.")


def _read_xlsx(name: str, content: bytes) -> Sheet:
    """The first worksheet of an .xlsx workbook, after checking it is a real, safe, unprotected workbook."""
    if content.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in content or b"EncryptionInfo" in content \
                or "EncryptionInfo".encode("utf-16-le") in content:
            raise UploadRefused(name, "the workbook is password-protected, so it cannot be read. Open it in Excel, "
                                      "remove the password (File > Info > Protect Workbook > Encrypt with Password, "
                                      "clear it), save and upload it again.")
        raise UploadRefused(name, "this is an old-format Excel workbook (.xls) named .xlsx. In Excel choose File > "
                                  "Save As > Excel Workbook (.xlsx), or CSV, and upload that.")
    if not content.startswith(_ZIP_MAGIC):
        raise UploadRefused(name, "this is not an Excel workbook: its contents are not in the .xlsx format. Save the "
                                  "sheet from Excel or Google Sheets as .xlsx (or CSV) and upload that.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise UploadRefused(name, _DAMAGED_MESSAGE)
    unpacked = sum(part.file_size for part in parts)
    packed_tight = any(part.file_size > 1024 * 1024 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1)
                       for part in parts)
    if unpacked > MAX_UNPACKED_BYTES or packed_tight:
        raise UploadRefused(name, f"the workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB, far more than a sheet of "
                                  "figures, so it is refused (it may be a zip bomb). Copy the figures into a new "
                                  "workbook, or save the sheet as CSV, and upload that.")
    names = {part.filename for part in parts}
    if any(part.lower().endswith("vbaproject.bin") for part in names):
        raise UploadRefused(name, _MACRO_MESSAGE)
    try:
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UploadRefused(name, _DAMAGED_MESSAGE)
        if _MACRO_CONTENT in archive.read("[Content_Types].xml"):
            raise UploadRefused(name, _MACRO_MESSAGE)
        return _sheet_from_rows(name, _xlsx_rows(name, content))
    except UploadRefused:
        raise
    except Exception:  # openpyxl and zipfile raise many kinds of error on a damaged part; each means the same here
        raise UploadRefused(name, _DAMAGED_MESSAGE)


def _xlsx_rows(name: str, content: bytes) -> list[tuple[int, list[Any]]]:
    """(row number, cell values) of the first worksheet's non-empty rows, percent-formatted numbers as "45%"."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        worksheet = workbook.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        for number, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            if number > MAX_SCANNED_ROWS:
                raise UploadRefused(name, f"the first sheet runs past row {MAX_SCANNED_ROWS:,} (a cell far down the "
                                          "sheet counts too). Copy the figures into a new workbook, or save the "
                                          "sheet as CSV, and upload that.")
            values = [_cell_value(cell) for cell in cells]
            if any(value != "" for value in values):
                rows.append((next((cell.row for cell in cells if getattr(cell, "row", None)), number), values))
                if len(rows) > MAX_ROWS + 1:
                    break
        return rows
    finally:
        workbook.close()


def _cell_value(cell: Any) -> Any:
    """A workbook cell as the importer reads it: text stripped, dates kept, a percent-formatted 0.45 as "45%"."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (int, float)):
        if "%" in str(getattr(cell, "number_format", "") or ""):
            return f"{_plain(round(value * 100, 9))}%"
        return round(float(value), 9) if isinstance(value, float) else value
    return str(value).strip()


def _plain(number: float) -> str:
    """A number without exponent or trailing zeros: 78.9, 1234."""
    text = f"{number:.9f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _decode(content: bytes) -> str:
    """The text of a CSV: UTF-16 and UTF-8 (with or without a byte-order mark), else Windows-1252 as Excel writes."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _read_csv(name: str, content: bytes) -> Sheet:
    """The rows of a CSV (or tab-separated text) file, whichever separator its header uses."""
    if content.startswith(_ZIP_MAGIC) or content.startswith(_OLE_MAGIC):
        raise UploadRefused(name, "this is an Excel workbook with a .csv name. Rename it to end in .xlsx, or save "
                                  "the sheet as CSV, and upload it again.")
    text = _decode(content)
    controls = sum(1 for character in text[:4096] if ord(character) < 32 and character not in "\r\n\t")
    if "\x00" in text or controls > 2 or "\ufffd" in text[:4096] and text[:4096].count("\ufffd") > 8:
        raise UploadRefused(name, "this is not a text CSV file: its contents look like binary data. Save the sheet "
                                  "from Excel or Google Sheets as CSV (comma separated) and upload that.")
    header = next((line for line in text.splitlines() if line.strip(" ,;\t")), "")
    separator = max((",", ";", "\t"), key=header.count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, header=None, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, quotechar='"', engine="c")
    except (pd.errors.ParserError, csv_error_types()) as error:
        raise UploadRefused(name, f"the file cannot be read as CSV: {_csv_problem(str(error))}. Save it again as CSV "
                                  "from Excel or Google Sheets and upload that.")
    except pd.errors.EmptyDataError:
        raise UploadRefused(name, "the file is empty. Download the template, fill it in and upload it again.")
    rows: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        cells = ["" if value is None or pd.isna(value) else str(value).strip() for value in values][:MAX_COLUMNS]
        if any(cells):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:
                break
    return _sheet_from_rows(name, rows)


def _csv_problem(error: str) -> str:
    """What a CSV parser's complaint means, in the spreadsheet's rows."""
    if found := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error):
        return (f"row {found[2]} has {found[3]} cells but the first row has {found[1]} (a number with a comma needs "
                "quotes, \"1,234\", or no comma)")
    if found := re.search(r"EOF inside string starting at row (\d+)", error):
        return f"a quote opened in row {int(found[1]) + 1} is never closed"
    return "its quoting or separators are broken"


def csv_error_types() -> type[Exception]:
    """The csv module's error type (pandas' Python engine raises it for broken quoting)."""
    import csv

    return csv.Error


def _sheet_from_rows(name: str, rows: list[tuple[int, list[Any]]]) -> Sheet:
    """Find the header (the first non-empty row), check its columns, and keep the known columns of every row."""
    if not rows:
        raise UploadRefused(name, "the file has no rows. Download the template, fill it in and upload it again.")
    header_row, header = rows[0]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        title = str(cell).strip().lstrip("\ufeff").strip().lower()
        if title in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            if title in columns:
                raise UploadRefused(name, f"the header (row {header_row}) has two columns named “{title}”. Keep one "
                                          "and upload again.")
            columns[title] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        found = ", ".join(str(cell).strip() for cell in header if str(cell).strip())
        quoted = [f"“{column}”" for column in missing]
        what = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        raise UploadRefused(name, f"the header (row {header_row}) has no column named {what}. The first row must name "
                                  "the columns measure, period and value (note and reason are optional); it names: "
                                  f"{found[:120]}. Download the template for the right columns.")
    if len(rows) == 1:
        raise UploadRefused(name, "the file has a header but no rows of figures. Type the figures under the header "
                                  "and upload again.")
    if len(rows) - 1 > MAX_ROWS:
        raise UploadRefused(name, f"the file has more than {MAX_ROWS:,} rows of figures. Split it into smaller files "
                                  "and upload each.")
    sheet_rows = []
    for number, cells in rows[1:]:
        known = {column: cells[index] if index < len(cells) else "" for column, index in columns.items()}
        if any(value not in ("", None) for value in known.values()):
            sheet_rows.append(SheetRow(number, known))
    if not sheet_rows:
        raise UploadRefused(name, "the file has a header but no rows of figures. Type the figures under the header "
                                  "and upload again.")
    return Sheet(name, sheet_rows)


# --- reading a month --------------------------------------------------------------------------------------------


def parse_period(raw: Any) -> date:
    """The month a cell names: 2026-10, 2026-10-01, 10/1/2026 (US: month first), 10/2026, Oct 2026, Oct-26, a date.

    Raises ValidationError saying how to write it.
    """
    if isinstance(raw, datetime):
        return date(raw.year, raw.month, 1)
    if isinstance(raw, date):
        return month_start(raw)
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValidationError(f"the month is empty. Write it as YYYY-MM, e.g. {_EXAMPLE}.", field="period")
    year = month = None
    day = 1
    if found := re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text):
        year, month = int(found[1]), int(found[2])
    elif found := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", text):
        year, month, day = int(found[1]), int(found[2]), int(found[3])
    elif found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?: 0?0:00(?::00)?)?", text):
        month, day, year = int(found[1]), int(found[2]), int(found[3])
        year += 2000 if year < 100 else 0
    elif found := re.fullmatch(r"(\d{1,2})[/-](\d{4})", text):
        month, year = int(found[1]), int(found[2])
    elif found := re.fullmatch(r"([A-Za-z]+)\.?[ \-]+(\d{4}|\d{2})", text):
        month = _MONTHS.get(found[1].lower())
        year = int(found[2]) + (2000 if len(found[2]) == 2 else 0)
    try:
        if year is None or month is None or year < 1900:
            raise ValueError
        date(year, month, day)  # a day that does not exist (2/30/2026) makes the whole cell doubtful
        return date(year, month, 1)
    except ValueError:
        shown = text if len(text) <= 20 else text[:17] + "..."
        raise ValidationError(f"“{shown}” is not a month. Write it as YYYY-MM, e.g. {_EXAMPLE} (a date such as "
                              "10/1/2026 is read month first, as October 2026).", field="period")


# --- checking and applying --------------------------------------------------------------------------------------


def preview_import(session: Session, actor: Actor, filename: str, content: bytes,
                   today: date | None = None) -> ImportResult:
    """What importing the file would do, row by row; nothing is written."""
    return _import(session, actor, filename, content, write=False, today=today)


def apply_import(session: Session, actor: Actor, filename: str, content: bytes, *, expected: str | None = None,
                 today: date | None = None) -> ImportResult:
    """Write every row of the file in the caller's transaction, or nothing while any row is rejected.

    With `expected` (the fingerprint of a preview the person saw), nothing is written when the file or the stored
    figures it touches changed since: the result then is the new preview, not applied.
    """
    if expected is not None:
        checked = _import(session, actor, filename, content, write=False, today=today)
        if checked.fingerprint != expected or not checked.can_apply:
            return checked
    return _import(session, actor, filename, content, write=True, today=today)


def _import(session: Session, actor: Actor, filename: str, content: bytes, *, write: bool,
            today: date | None) -> ImportResult:
    """Read, check and decide every row; write them when asked and nothing is wrong."""
    today = today or clock.today()
    name = display_name(filename)
    result = ImportResult(filename=name)
    try:
        sheet = read_sheet(filename, content)
    except UploadRefused as refused:
        result.file_problems.append(refused.problem)
        return result
    slugs = {str(row.cells.get("measure", "")).strip().lower() for row in sheet.rows} - {""}
    known = {slug: (measure_id, measure_name) for measure_id, slug, measure_name in session.execute(
        select(Measure.id, Measure.slug, Measure.name).where(Measure.slug.in_(sorted(slugs))))}
    rows: list[PreviewRow] = []
    figures: list[tuple[int, FigureRow]] = []
    for sheet_row in sheet.rows:
        preview, figure = _check_row(name, sheet_row, known)
        rows.append(preview)
        if figure is not None:
            figures.append((len(rows) - 1, figure))
    if not figures and not any(row.problem for row in rows):
        result.rows = rows
        result.file_problems.append(Problem(name, None, None, "every row's value is empty, so there is nothing to "
                                                              "import. Type the figures in the value column."))
        return result
    clean = not any(row.problem for row in rows)
    saved = save_figures(session, actor, rows=[figure for _, figure in figures], today=today,
                         dry_run=not (write and clean))
    for (index, _figure), outcome in zip(figures, saved.rows, strict=True):
        rows[index] = _decided(name, rows[index], outcome)
    result.rows = rows
    result.applied = saved.saved
    result.fingerprint = _fingerprint(content, saved.rows)
    if saved.saved and result.count("new") + result.count("correction"):
        record_audit(session, actor=actor.email, user_id=actor.id, action="measurement.import",
                     entity_type="upload", entity_id=name[:64],
                     after={"file": name, **{outcome: result.count(outcome) for outcome in OUTCOMES}})
        session.flush()
    return result


def _check_row(name: str, sheet_row: SheetRow, known: dict[str, tuple[int, str]]
               ) -> tuple[PreviewRow, FigureRow | None]:
    """The importer's own checks of one row (measure, month, empty value), and the figure to decide when it passes."""
    cells = sheet_row.cells
    slug = str(cells.get("measure", "")).strip()
    raw_value = cells.get("value", "")
    value_text = raw_value if isinstance(raw_value, str) else _plain(float(raw_value)) \
        if isinstance(raw_value, (int, float)) else str(raw_value)
    note = str(cells.get("note", "") or "").strip()
    reason = str(cells.get("reason", "") or "").strip()
    found = known.get(slug.lower())
    period: date | None = None
    problem: tuple[str, str] | None = None
    try:
        period = parse_period(cells.get("period", ""))
    except ValidationError as error:
        problem = ("period", error.message)
    if not slug:
        problem = ("measure", "the measure is empty. Type the measure's slug, as the template lists them "
                              "(e.g. ocd-rental-units-repaired).")
    elif found is None:
        shown = slug if len(slug) <= 60 else slug[:57] + "..."
        problem = ("measure", f"no measure has the slug “{shown}”. Use the slugs of the template's measure column.")
    empty = value_text.strip() == ""
    if problem is None and empty and (note or reason):
        problem = ("value", "the value is empty, but the row has a note or a reason. Type the figure, or clear the "
                            "row.")
    preview = PreviewRow(row=sheet_row.row, measure=slug, name=found[1] if found else "", period=period,
                         value=value_text, note=note, outcome="rejected" if problem else "skipped",
                         problem=Problem(name, sheet_row.row, problem[0], problem[1]) if problem else None)
    if problem or empty or found is None or period is None:
        return preview, None
    figure = FigureRow(measure_id=found[0], value=raw_value, note=note or None, reason=reason or None,
                       period=period, check_version=False, confirm_drop=bool(note))
    return preview, figure


def _decided(name: str, preview: PreviewRow, outcome: RowResult) -> PreviewRow:
    """A checked row with save_figures' decision: its outcome, the figure as understood, or why it is refused."""
    state = _FROM_BATCH[outcome.outcome]
    if state != "rejected":
        return PreviewRow(row=preview.row, measure=preview.measure, name=preview.name, period=preview.period,
                          value=outcome.shown or preview.value, note=preview.note, outcome=state)
    column = outcome.field if outcome.field in REQUIRED_COLUMNS + OPTIONAL_COLUMNS else "value"
    message = (outcome.message or "this row cannot be imported.").replace(
        "confirm the drop and say why in the note", "say why in the note column")
    return PreviewRow(row=preview.row, measure=preview.measure, name=preview.name, period=preview.period,
                      value=preview.value, note=preview.note, outcome="rejected",
                      problem=Problem(name, preview.row, column, message))


def _fingerprint(content: bytes, outcomes: list[RowResult]) -> str:
    """Names this file and the stored figures its rows were compared with: a preview applies only while it holds."""
    digest = hashlib.sha256(content)
    for outcome in outcomes:
        digest.update(f"|{outcome.measure_id}:{outcome.period}:{outcome.outcome}:{outcome.value}:"
                      f"{outcome.stored_version}".encode())
    return digest.hexdigest()


# --- templates --------------------------------------------------------------------------------------------------


def template_rows(session: Session, actor: Actor | None, period: date) -> list[dict[str, str]]:
    """One row per measure the person may enter, for `period`, with the stored figure and note when there is one."""
    period = month_start(period)
    measures = enterable_measures(session, actor)
    stored = {
        measure_id: (value, note)
        for measure_id, value, note in session.execute(
            select(Measurement.measure_id, Measurement.value, Measurement.note)
            .where(Measurement.measure_id.in_([m.id for m in measures]), Measurement.period == period))
    }
    rows = []
    for measure in measures:
        value, note = stored.get(measure.id, (None, None))
        rows.append({"measure": measure.slug, "name": measure.name, "period": period.strftime("%Y-%m"),
                     "value": "" if value is None else f"{value:.{max(measure.decimals, 0)}f}",
                     "note": note or "", "reason": ""})
    return rows


def template_csv(rows: list[dict[str, str]]) -> bytes:
    """The template as CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends."""
    frame = pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS))
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def template_xlsx(rows: list[dict[str, str]], period: date) -> bytes:
    """The template as an .xlsx workbook: the figures sheet first (months as text), then how to fill it in."""
    from openpyxl.styles import Font

    frame = pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS))
    frame["value"] = [float(value) if value != "" else None for value in frame["value"]]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Figures", index=False)
        help_rows = pd.DataFrame({"How to fill in this template": [
            f"Type each measure's figure for {period.strftime('%B %Y')} in the value column of the Figures sheet.",
            "Keep the measure and period columns as they are; the name column is only for reading.",
            "Numbers as you type them: 1,234 or 1234; a dot for decimals; 45% for a percent measure.",
            "A month that already has a figure is corrected: say why in the reason column.",
            "A running total that really fell needs a note saying why.",
            "Rows with an empty value are left out. Upload the file on the Upload a spreadsheet page.",
        ]})
        help_rows.to_excel(writer, sheet_name="How to fill in", index=False)
        figures = writer.sheets["Figures"]
        for cell in figures[1]:
            cell.font = Font(bold=True)
        for row in figures.iter_rows(min_row=2, min_col=3, max_col=3):
            for cell in row:
                cell.number_format = "@"  # a month typed as text stays "2026-10", never a date
        for letter, width in zip("ABCDEF", (38, 60, 10, 14, 40, 40), strict=True):
            figures.column_dimensions[letter].width = width
        figures.freeze_panes = "A2"
        writer.sheets["How to fill in"].column_dimensions["A"].width = 110
    return buffer.getvalue()
