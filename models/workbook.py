"""The program as a workbook: read, check, preview and import it (all or nothing), and export it in the same format.

A workbook is an XLSX file, or a folder (or zip) of CSV files, with the sheets `departments`, `goals`, `measures`,
`milestones`, `measurements` and `annotations`, whose columns are those of the seed files in data/seed/. Import
checks every cell first and reports each fault as `sheet, row, column: reason`; only a workbook without faults is
written, in the caller's transaction. Records are matched by their natural keys (slugs, measure + month, date +
text), so a second import of the same workbook creates and changes nothing. Nothing is ever deleted by an import.
"""
from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import bump_data_version, record_audit
from models.catalog import DIRECTIONS, TRAJECTORIES, UNITS, Annotation, Goal, Measure, Milestone
from models.errors import ValidationError
from models.measurements import MEASUREMENT_STATES, Measurement, Revision
from models.org import DEPARTMENT_KINDS, Department
from models.progress import DEFAULT_AT_RISK_TOLERANCE, DEFAULT_ON_TRACK_TOLERANCE
from models.values import parse_figure

SHEETS = ("departments", "goals", "measures", "milestones", "measurements", "annotations")
# Required columns, in the order the seed files and every export write them.
REQUIRED: dict[str, tuple[str, ...]] = {
    "departments": ("slug", "name", "kind", "contact_email"),
    "goals": ("slug", "title", "summary", "owner_department", "display_order", "published"),
    "measures": ("slug", "goal", "name", "definition", "unit", "decimals", "direction", "trajectory",
                 "baseline_value", "baseline_period", "target_value", "target_period", "owner_department",
                 "data_source", "valid_min", "valid_max", "on_track_tolerance", "at_risk_tolerance", "published",
                 "source"),
    "milestones": ("measure", "period", "target_value", "source"),
    "measurements": ("measure", "period", "value", "state", "note", "source"),
    "annotations": ("date", "text", "goal", "measure", "source"),
}
# Columns a sheet may leave out (an absent or empty cell takes the default the README sheet names).
OPTIONAL: dict[str, tuple[str, ...]] = {
    "measures": ("cumulative", "due_day"),
    "measurements": ("approved_value", "review_note"),
}
# The column order of an export: the seed files' order, optional columns where the seed files put them.
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    **REQUIRED,
    "measures": REQUIRED["measures"][:18] + ("cumulative", "published", "source", "due_day"),
    "measurements": REQUIRED["measurements"] + OPTIONAL["measurements"],
}
README_SHEET = "README"
COLUMN_HELP: dict[str, dict[str, str]] = {
    "departments": {
        "slug": "Key other sheets refer to: lower-case letters, digits and hyphens, e.g. ocd.",
        "name": "Display name.",
        "kind": "city-parish, state, federal or partner.",
        "contact_email": "Optional contact address.",
    },
    "goals": {
        "slug": "Key other sheets refer to.",
        "title": "Short public title.",
        "summary": "Plain-language public summary (one or two sentences).",
        "owner_department": "departments.slug of the department that leads the goal.",
        "display_order": "Whole number; lower comes first. Empty means 0.",
        "published": "true if the goal appears on the public page, else false.",
    },
    "measures": {
        "slug": "Key other sheets refer to.",
        "goal": "goals.slug of the goal this measure belongs to.",
        "name": "Display name; say statewide or the parish where the geography matters.",
        "definition": "How the figure is counted.",
        "unit": "count, percent, usd, days or households.",
        "decimals": "Digits after the decimal point (0 to 6); values may not have more. Empty means 0.",
        "direction": "increase (higher is better) or decrease (lower is better).",
        "trajectory": "linear (straight line from baseline to target), milestones (through the interim targets "
                      "of the milestones sheet) or constant (the target applies every month).",
        "baseline_value": "Starting value.",
        "baseline_period": "Month of the baseline, YYYY-MM.",
        "target_value": "Target value.",
        "target_period": "Month the target should be reached, YYYY-MM; not before the baseline month.",
        "owner_department": "departments.slug of who enters the monthly figure.",
        "data_source": "Where the monthly figure comes from.",
        "valid_min": "Optional lowest allowed monthly value.",
        "valid_max": "Optional highest allowed monthly value.",
        "on_track_tolerance": "Optional status tolerance between 0 and 1; empty means 0.05.",
        "at_risk_tolerance": "Optional status tolerance between on_track_tolerance and 1; empty means 0.15.",
        "cumulative": "Optional; true for a running total (a month below the month before needs a reason). "
                      "Empty means false.",
        "published": "true if the measure appears on the public page, else false.",
        "source": "The publication the baseline or target comes from, or illustrative. Empty means illustrative.",
        "due_day": "Optional day of the following month a figure is due (1 to 28); empty means 15.",
    },
    "milestones": {
        "measure": "measures.slug of a measure whose trajectory is milestones.",
        "period": "Month of the interim target, YYYY-MM, strictly between the baseline and target months.",
        "target_value": "The interim target.",
        "source": "Where the interim target comes from; empty means illustrative.",
    },
    "measurements": {
        "measure": "measures.slug.",
        "period": "Month of the value, YYYY-MM; one row per measure and month.",
        "value": "The value in the measure's unit, within valid_min and valid_max.",
        "state": "approved, submitted (awaiting approval) or returned (sent back to the department).",
        "note": "Optional note explaining the figure.",
        "source": "The publication the figure comes from, or illustrative. Empty means illustrative.",
        "approved_value": "Optional; for a submitted or returned value, the figure approved before it (the "
                          "public keeps seeing that one until the new one is approved).",
        "review_note": "Optional; why the value was returned.",
    },
    "annotations": {
        "date": "Date of the event, YYYY-MM-DD.",
        "text": "What happened, in plain language.",
        "goal": "Optional goals.slug; empty with an empty measure applies to the whole dashboard.",
        "measure": "Optional measures.slug (a measure of goal when both are given).",
        "source": "The publication the event comes from; empty means illustrative.",
    },
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ROWS = 200_000
# Uploaded files and the CSV files inside a zip are refused above these sizes, before they are parsed.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
_EXTRA_FIELD = "\x00extra-field\x00"
XLSX_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True, order=True)
class Issue:
    """One fault of a workbook: where it is and what to do about it."""

    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet}, row {self.row}" if self.row else self.sheet
        return f"{where}, column {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


@dataclass
class SheetData:
    """One sheet as read: its header and its rows (row number as a spreadsheet shows it, cells by column)."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


@dataclass
class WorkbookData:
    """Every sheet of a workbook as read, with the faults found while reading."""

    source: str
    sheets: dict[str, SheetData] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import creates, changes and leaves alone per sheet, and every fault that stops it."""

    source: str
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHEETS, 0))
    changed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHEETS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHEETS, 0))
    issues: list[Issue] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        """Whether the workbook has no fault (so it can be applied)."""
        return not self.issues

    @property
    def touched(self) -> int:
        """How many records the import creates or changes."""
        return sum(self.created.values()) + sum(self.changed.values())

    def summary(self) -> str:
        """One line per sheet: created, changed and unchanged counts."""
        return "\n".join(f"{sheet}: {self.created[sheet]} created, {self.changed[sheet]} changed, "
                         f"{self.unchanged[sheet]} unchanged" for sheet in SHEETS)


# --- reading ----------------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str)
                                                                                 and not value.strip())


def _frame_to_sheet(book: WorkbookData, name: str, frame: pd.DataFrame, merged_header: dict[int, str], *,
                    from_csv: bool) -> None:
    """Turn a header-less frame (first row = header) into a SheetData, reporting header faults."""
    values = frame.astype(object).values.tolist()
    # The sheet's first non-empty row is its header.
    start = next((i for i, row in enumerate(values) if not all(_blank(v) for v in row)), None)
    if start is None:
        book.issues.append(Issue(name, 1, "", "the sheet is empty: it needs a header row with its columns"))
        return
    header_row = values[start]
    header_line = start + 1
    header: list[str] = []
    positions: list[tuple[int, str]] = []
    bad_header = False
    for index, cell in enumerate(header_row):
        if index in merged_header:
            book.issues.append(Issue(name, header_line, merged_header[index],
                                     "the header cell is merged with the cells beside it: unmerge it and give each "
                                     "column its own header"))
            bad_header = True
            continue
        if _blank(cell):
            if any(not _blank(row[index]) for row in values[start + 1:] if index < len(row)):
                book.issues.append(Issue(name, header_line, get_column_letter(index + 1),
                                         "this column has values but no header: give it one of the sheet's "
                                         "column names"))
                bad_header = True
            continue
        label = _text(cell)
        if label in header:
            book.issues.append(Issue(name, header_line, label, "the column appears twice in the header"))
            bad_header = True
            continue
        header.append(label)
        positions.append((index, label))
    known = set(REQUIRED[name]) | set(OPTIONAL.get(name, ()))
    for label in header:
        if label not in known:
            book.issues.append(Issue(name, header_line, label,
                                     f"unknown column; the columns of {name} are {', '.join(EXPORT_COLUMNS[name])}"))
            bad_header = True
    absent = [c for c in REQUIRED[name] if c not in header]
    if absent and not merged_header:
        for column in absent:
            book.issues.append(Issue(name, header_line, column, "the header lacks this column"))
        bad_header = True
    if bad_header or absent:
        return
    rows = []
    for offset, raw in enumerate(values[start + 1:], start=header_line + 1):
        if all(_blank(v) for v in raw):
            continue
        cells = {label: raw[index] if index < len(raw) else None for index, label in positions}
        if any(v == _EXTRA_FIELD for v in raw):
            book.issues.append(Issue(name, offset, header[-1],
                                     "the row has more fields than the header: the extra field comes after this "
                                     "column (put text that contains a comma in double quotes)"))
            continue
        short = [label for index, label in positions if _is_nan(raw[index] if index < len(raw) else None)]
        if short and from_csv:
            book.issues.append(Issue(name, offset, short[0], "the row has fewer fields than the header: this column "
                                     "and the ones after it have no field"))
            continue
        rows.append((offset, cells))
        if len(rows) > MAX_ROWS:
            book.issues.append(Issue(name, offset, "", f"the sheet has more than {MAX_ROWS:,} rows"))
            return
    book.sheets[name] = SheetData(name, header, rows)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _read_csv(book: WorkbookData, name: str, data: bytes) -> None:
    """Read one CSV file with pandas; rows with too many fields are marked, rows with too few keep NaN cells."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        book.issues.append(Issue(name, 0, "", "the file is not UTF-8 text: save it as CSV UTF-8"))
        return

    def mark_extra(fields: list[str]) -> list[str]:
        return [*fields[:width - 1], _EXTRA_FIELD]

    first = next(csv.reader(io.StringIO(text)), [])
    width = max(len(first), 1)
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="python", on_bad_lines=mark_extra,
                            names=list(range(width)))
    except (pd.errors.ParserError, csv.Error, ValueError) as error:
        book.issues.append(Issue(name, 0, "", f"the file cannot be read as CSV ({error})"))
        return
    _frame_to_sheet(book, name, frame, {}, from_csv=True)


def _read_csv_files(source: str, files: dict[str, bytes]) -> WorkbookData:
    """A workbook from CSV files named after the sheets (`goals.csv`, ...)."""
    book = WorkbookData(source)
    for name in SHEETS:
        if name not in files:
            book.issues.append(Issue(name, 0, "", f"the sheet is missing: add {name}.csv"))
            continue
        _read_csv(book, name, files[name])
    book.ignored = sorted(set(files) - set(SHEETS))
    return book


def read_csv_folder(folder: Path) -> WorkbookData:
    """Read a folder of CSV files (`departments.csv`, `goals.csv`, ...)."""
    folder = Path(folder)
    files = {path.stem: path.read_bytes() for path in sorted(folder.glob("*.csv"))}
    return _read_csv_files(f"{folder.name}/", files)


def read_csv_zip(data: bytes, source: str = "workbook.zip") -> WorkbookData:
    """Read a zip of CSV files (at its top or in one folder), refusing one that unpacks to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return WorkbookData(source, issues=[Issue(source, 0, "", "the file is not a zip archive")])
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")
                   and not Path(i.filename).name.startswith((".", "__MACOSX"))
                   and "__MACOSX" not in i.filename]
        if sum(i.file_size for i in members) > MAX_UNZIPPED_BYTES:
            return WorkbookData(source, issues=[Issue(source, 0, "", "the CSV files in the zip are larger than "
                                                      f"{MAX_UNZIPPED_BYTES // 1024 // 1024} MB together")])
        files = {Path(i.filename).stem: archive.read(i) for i in members}
    return _read_csv_files(source, files)


def read_xlsx(data: bytes, source: str = "workbook.xlsx") -> WorkbookData:
    """Read an XLSX workbook with pandas (openpyxl), noting merged header cells, which pandas reads as blanks."""
    book = WorkbookData(source)
    if not data.startswith(XLSX_SIGNATURE):
        book.issues.append(Issue(source, 0, "", "the file is not an XLSX workbook (save it as Excel Workbook "
                                 ".xlsx)"))
        return book
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        book.issues.append(Issue(source, 0, "", f"the workbook cannot be opened ({type(error).__name__})"))
        return book
    names = {title.strip().lower(): title for title in workbook.sheetnames}
    book.ignored = [t for t in workbook.sheetnames if t.strip().lower() not in SHEETS
                    and t.strip().lower() != README_SHEET.lower()]
    with pd.ExcelFile(workbook, engine="openpyxl") as excel:
        for name in SHEETS:
            title = names.get(name)
            if title is None:
                book.issues.append(Issue(name, 0, "", f"the sheet is missing: add a sheet named {name}"))
                continue
            sheet = workbook[title]
            first_row = sheet.min_row
            merged: dict[int, str] = {}
            for cells in sheet.merged_cells.ranges:
                if cells.min_row <= first_row <= cells.max_row:
                    label = sheet.cell(cells.min_row, cells.min_col).value
                    for column in range(cells.min_col, cells.max_col + 1):
                        merged[column - 1] = _text(label) or get_column_letter(column)
            frame = pd.read_excel(excel, sheet_name=title, header=None, dtype=object)
            _frame_to_sheet(book, name, frame, merged, from_csv=False)
    return book


def read_workbook(path: Path) -> WorkbookData:
    """Read a workbook file (.xlsx or .zip of CSV files) or a folder of CSV files."""
    path = Path(path)
    if path.is_dir():
        return read_csv_folder(path)
    if not path.exists():
        return WorkbookData(path.name, issues=[Issue(path.name, 0, "", "no such file or folder")])
    return read_upload(path.name, path.read_bytes(), limit=None)


def read_upload(filename: str, data: bytes, *, limit: int | None = MAX_UPLOAD_BYTES) -> WorkbookData:
    """Read an uploaded file by its name: .xlsx, or .zip of CSV files; refuse other kinds and files over `limit`."""
    name = Path(filename or "upload").name
    if limit is not None and len(data) > limit:
        return WorkbookData(name, issues=[Issue(name, 0, "", f"the file is {len(data) / 1024 / 1024:.1f} MB; "
                                                f"the limit is {limit // 1024 // 1024} MB")])
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(data, name)
    if suffix == ".zip":
        return read_csv_zip(data, name)
    return WorkbookData(name, issues=[Issue(name, 0, "", "only an XLSX workbook (.xlsx) or a zip of CSV files "
                                            "(.zip) can be imported")])


# --- checking ---------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates as ISO, blanks as ""."""
    if _blank(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class _Row:
    """One row of a sheet with typed accessors; a bad cell is recorded as an Issue and read as None."""

    def __init__(self, issues: list[Issue], sheet: str, line: int, cells: dict[str, Any]):
        self.issues, self.sheet, self.line, self.cells = issues, sheet, line, cells
        self.bad = False

    def fail(self, column: str, reason: str) -> None:
        """Record a fault in `column` of this row."""
        self.issues.append(Issue(self.sheet, self.line, column, reason))
        self.bad = True

    def text(self, column: str, *, required: bool = True, limit: int | None = None) -> str | None:
        """The cell as stripped text; an empty required cell is a fault, an empty optional one None."""
        value = _text(self.cells.get(column))
        if not value:
            if required:
                self.fail(column, "a value is required")
            return None
        if limit is not None and len(value) > limit:
            self.fail(column, f"the text is {len(value):,} characters long; it may have at most {limit:,}")
            return None
        return value

    def slug(self, column: str) -> str | None:
        """A key: lower-case letters, digits and hyphens."""
        value = self.text(column, limit=64)
        if value is not None and not SLUG.match(value):
            self.fail(column, f"'{value}' is not a slug: use lower-case letters, digits and hyphens, e.g. "
                              "homes-repaired")
        return value

    def choice(self, column: str, allowed: tuple[str, ...]) -> str | None:
        """One of `allowed` (case as written in the allowed list)."""
        value = self.text(column)
        if value is None:
            return None
        if value.lower() not in allowed:
            self.fail(column, f"'{value}' is not one of {', '.join(allowed)}")
            return None
        return value.lower()

    def number(self, column: str, *, required: bool = True, unit: str = "count",
               decimals: int | None = None) -> float | None:
        """A number read by the one figure parser (so '12,430' is read as everywhere else)."""
        raw = self.cells.get(column)
        if _blank(raw):
            if required:
                self.fail(column, "a value is required")
            return None
        try:
            return parse_figure(raw if isinstance(raw, (int, float)) else _text(raw), unit=unit,
                                decimals=decimals).value
        except ValidationError as error:
            shown = _text(raw)
            prefix = "" if f"'{shown}' is not a number" in error.message else f"'{shown[:40]}' is not a number: "
            self.fail(column, prefix + error.message)
            return None

    def integer(self, column: str, default: int) -> int | None:
        """A whole number; an empty cell gives `default`."""
        raw = self.cells.get(column)
        if _blank(raw):
            return default
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            return int(raw)
        text = _text(raw)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        self.fail(column, f"'{text[:40]}' is not a whole number")
        return None

    def boolean(self, column: str, default: bool | None = None) -> bool | None:
        """true or false; an empty cell gives `default` (or is a fault when there is none)."""
        raw = self.cells.get(column)
        if isinstance(raw, bool):
            return raw
        text = _text(raw).lower()
        if not text and default is not None:
            return default
        if text not in ("true", "false"):
            self.fail(column, f"'{text}' must be true or false")
            return None
        return text == "true"

    def month(self, column: str) -> date | None:
        """A month, YYYY-MM (a date on the first of a month is accepted too)."""
        raw = self.cells.get(column)
        if isinstance(raw, datetime):
            raw = raw.date()
        if isinstance(raw, date):
            if raw.day == 1:
                return raw
            self.fail(column, f"'{raw.isoformat()}' is not a month (YYYY-MM)")
            return None
        text = self.text(column)
        if text is None:
            return None
        found = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-01)?", text)
        if found and 1 <= int(found.group(2)) <= 12:
            return date(int(found.group(1)), int(found.group(2)), 1)
        self.fail(column, f"'{text[:40]}' is not a month (YYYY-MM)")
        return None

    def day(self, column: str) -> date | None:
        """A date, YYYY-MM-DD."""
        raw = self.cells.get(column)
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = self.text(column)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(column, f"'{text[:40]}' is not a date (YYYY-MM-DD)")
            return None

    def ref(self, column: str, known: Iterable[str] | None, what: str, *, required: bool = True) -> str | None:
        """A slug that must name a record of the workbook or of the database (None: that sheet is unreadable)."""
        value = self.text(column, required=required)
        if value is not None and known is not None and value not in known:
            self.fail(column, f"unknown {what} '{value}'")
            return None
        return value


def _rows(book: WorkbookData, sheet: str, issues: list[Issue]) -> list[_Row]:
    data = book.sheets.get(sheet)
    return [_Row(issues, sheet, number, cells) for number, cells in data.rows] if data else []


@dataclass
class _MeasureInfo:
    """What checking a measure's milestones and values needs, from the workbook or the database."""

    goal: str | None
    unit: str
    decimals: int
    trajectory: str
    baseline_period: date | None
    target_period: date | None
    valid_min: float | None
    valid_max: float | None


def _check(session: Session, book: WorkbookData) -> tuple[dict[str, list[dict[str, Any]]], list[Issue]]:
    """Check every cell and reference; return the records of each sheet and every fault found."""
    issues = list(book.issues)
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in SHEETS}
    db_departments = set(session.scalars(select(Department.slug)))
    db_goals = set(session.scalars(select(Goal.slug)))
    db_measures = {
        m.slug: _MeasureInfo(goal, m.unit, m.decimals, m.trajectory, m.baseline_period, m.target_period,
                             m.valid_min, m.valid_max)
        for m, goal in session.execute(select(Measure, Goal.slug).join(Goal, Goal.id == Measure.goal_id))
    }

    # A sheet that could not be read is reported once; references to its records are not reported again.
    unreadable = set(SHEETS) - set(book.sheets)
    seen: set[Any] = set()
    record: dict[str, Any]
    sheet_departments: set[str] = set()
    for row in _rows(book, "departments", issues):
        slug = row.slug("slug")
        if slug in sheet_departments:
            row.fail("slug", f"duplicate department '{slug}'")
        elif slug:
            sheet_departments.add(slug)
        record = dict(slug=slug, name=row.text("name", limit=200), kind=row.choice("kind", DEPARTMENT_KINDS),
                      contact_email=row.text("contact_email", required=False, limit=254))
        if not row.bad:
            records["departments"].append(record)
    departments = None if "departments" in unreadable else db_departments | sheet_departments

    sheet_goals: set[str] = set()
    for row in _rows(book, "goals", issues):
        slug = row.slug("slug")
        if slug in sheet_goals:
            row.fail("slug", f"duplicate goal '{slug}'")
        elif slug:
            sheet_goals.add(slug)
        record = dict(slug=slug, title=row.text("title", limit=200), summary=row.text("summary"),
                      owner_department=row.ref("owner_department", departments, "department"),
                      display_order=row.integer("display_order", 0), published=row.boolean("published"))
        if not row.bad:
            records["goals"].append(record)
    goals = None if "goals" in unreadable else db_goals | sheet_goals

    measures: dict[str, _MeasureInfo] = dict(db_measures)
    sheet_measures: set[str] = set()
    for order, row in enumerate(_rows(book, "measures", issues)):
        slug = row.slug("slug")
        if slug in sheet_measures:
            row.fail("slug", f"duplicate measure '{slug}'")
            slug = None
        elif slug:
            sheet_measures.add(slug)
        unit = row.choice("unit", UNITS)
        record = dict(
            slug=slug, goal=row.ref("goal", goals, "goal"), name=row.text("name", limit=200),
            definition=row.text("definition"), unit=unit, decimals=row.integer("decimals", 0),
            direction=row.choice("direction", DIRECTIONS), trajectory=row.choice("trajectory", TRAJECTORIES),
            baseline_value=row.number("baseline_value", unit=unit or "count"),
            baseline_period=row.month("baseline_period"),
            target_value=row.number("target_value", unit=unit or "count"), target_period=row.month("target_period"),
            owner_department=row.ref("owner_department", departments, "department"),
            data_source=row.text("data_source", limit=300),
            valid_min=row.number("valid_min", required=False, unit=unit or "count"),
            valid_max=row.number("valid_max", required=False, unit=unit or "count"),
            on_track_tolerance=row.number("on_track_tolerance", required=False),
            at_risk_tolerance=row.number("at_risk_tolerance", required=False),
            published=row.boolean("published"),
            citation=row.text("source", required=False, limit=300) or "illustrative",
            cumulative=row.boolean("cumulative", False), due_day=row.integer("due_day", 15), display_order=order,
        )
        # An empty cell takes the default; a stated 0 is a tolerance (no slack), not a gap.
        if record["on_track_tolerance"] is None:
            record["on_track_tolerance"] = DEFAULT_ON_TRACK_TOLERANCE
        if record["at_risk_tolerance"] is None:
            record["at_risk_tolerance"] = DEFAULT_AT_RISK_TOLERANCE
        if record["decimals"] is not None and not 0 <= record["decimals"] <= 6:
            row.fail("decimals", "must be between 0 and 6")
        if record["due_day"] is not None and not 1 <= record["due_day"] <= 28:
            row.fail("due_day", "must be between 1 and 28")
        if record["baseline_period"] and record["target_period"] and record["target_period"] < record["baseline_period"]:
            row.fail("target_period", "is before the baseline period")
        if record["valid_min"] is not None and record["valid_max"] is not None \
                and record["valid_min"] > record["valid_max"]:
            row.fail("valid_max", "is below valid_min")
        on, risk = record["on_track_tolerance"], record["at_risk_tolerance"]
        if on is not None and risk is not None and not 0 <= on <= risk <= 1:
            row.fail("at_risk_tolerance", "tolerances must satisfy 0 <= on_track <= at_risk <= 1")
        if slug:
            # Known even when the row has a fault, so its milestones and values are not all reported again.
            measures[slug] = _MeasureInfo(record["goal"], unit or "count", record["decimals"] or 0,
                                          record["trajectory"] or "", record["baseline_period"],
                                          record["target_period"], record["valid_min"], record["valid_max"])
        if not row.bad:
            records["measures"].append(record)

    for row in _rows(book, "milestones", issues):
        slug = row.ref("measure", None if "measures" in unreadable else measures, "measure")
        period = row.month("period")
        info = measures.get(slug or "")
        target = row.number("target_value", unit=info.unit if info else "count")
        if slug and period:
            if (slug, period) in seen:
                row.fail("period", "duplicate milestone for this measure and month")
            seen.add((slug, period))
        if info and info.trajectory and info.trajectory != "milestones":
            row.fail("measure", f"'{slug}' has trajectory {info.trajectory}: milestones apply only to measures "
                                "whose trajectory is milestones")
        elif info and period and info.baseline_period and info.target_period \
                and not info.baseline_period < period < info.target_period:
            row.fail("period", f"{period:%Y-%m} is not between the measure's baseline ({info.baseline_period:%Y-%m}) "
                               f"and target ({info.target_period:%Y-%m}) months")
        record = dict(measure=slug, period=period, target_value=target,
                      citation=row.text("source", required=False, limit=300) or "illustrative")
        if not row.bad:
            records["milestones"].append(record)

    seen = set()
    for row in _rows(book, "measurements", issues):
        slug = row.ref("measure", None if "measures" in unreadable else measures, "measure")
        period = row.month("period")
        info = measures.get(slug or "")
        value = row.number("value", unit=info.unit if info else "count", decimals=info.decimals if info else None)
        if slug and period:
            if (slug, period) in seen:
                row.fail("period", f"duplicate value for {slug} in {period:%Y-%m}")
            seen.add((slug, period))
        if info and value is not None:
            low, high = info.valid_min, info.valid_max
            if (low is not None and value < low) or (high is not None and value > high):
                shown_low = "no minimum" if low is None else f"{low:g}"
                shown_high = "no maximum" if high is None else f"{high:g}"
                row.fail("value", f"{value:g} is outside the valid range {shown_low} to {shown_high}")
        state = row.choice("state", MEASUREMENT_STATES)
        approved = row.number("approved_value", required=False, unit=info.unit if info else "count")
        if state == "approved" and approved is not None and approved != value:
            row.fail("approved_value", "an approved value is its own approved figure: leave this cell empty")
        record = dict(measure=slug, period=period, value=value, state=state,
                      note=row.text("note", required=False, limit=2000),
                      source_ref=row.text("source", required=False, limit=300) or "illustrative",
                      approved_value=value if state == "approved" else approved,
                      review_note=row.text("review_note", required=False, limit=2000))
        if not row.bad:
            records["measurements"].append(record)

    seen = set()
    for row in _rows(book, "annotations", issues):
        goal = row.ref("goal", goals, "goal", required=False)
        measure = row.ref("measure", None if "measures" in unreadable else measures, "measure", required=False)
        if goal and measure and measure in measures and measures[measure].goal and measures[measure].goal != goal:
            row.fail("measure", f"'{measure}' is a measure of goal '{measures[measure].goal}', not of '{goal}'")
        record = dict(event_date=row.day("date"), text=row.text("text"), goal=goal, measure=measure,
                      citation=row.text("source", required=False, limit=300) or "illustrative")
        if (record["event_date"], record["text"]) in seen:
            row.fail("text", "the same event (date and text) appears twice")
        seen.add((record["event_date"], record["text"]))
        if not row.bad:
            records["annotations"].append(record)
    unique = list(dict.fromkeys(issues))
    return records, sorted(unique, key=lambda i: (SHEETS.index(i.sheet) if i.sheet in SHEETS else -1, i.row))


# --- previewing and importing -----------------------------------------------------------------------------------

_FIELDS: dict[str, tuple[str, ...]] = {
    "departments": ("name", "kind", "contact_email"),
    "goals": ("title", "summary", "owner_department", "display_order", "published"),
    "measures": ("goal", "name", "definition", "unit", "decimals", "direction", "trajectory", "baseline_value",
                 "baseline_period", "target_value", "target_period", "owner_department", "data_source", "valid_min",
                 "valid_max", "on_track_tolerance", "at_risk_tolerance", "published", "citation", "cumulative",
                 "due_day"),
    "milestones": ("target_value", "citation"),
    "measurements": ("value", "state", "note", "source_ref", "approved_value", "review_note"),
    "annotations": ("goal", "measure", "citation"),
}
MAX_LISTED_CHANGES = 500


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, date):
        return f"{value:%Y-%m}" if value.day == 1 else value.isoformat()
    text = _cell_text(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _differences(record: dict[str, Any], current: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [f"{name} {_shown(current[name])} -> {_shown(record[name])}" for name in fields
            if record[name] != current[name]]


def _current(entity: Any, fields: tuple[str, ...], refs: dict[str, str | None]) -> dict[str, Any]:
    """An entity's comparable fields, with references given as slugs."""
    return {name: refs[name] if name in refs else getattr(entity, name) for name in fields}


def import_workbook(session: Session, book: WorkbookData, *, apply: bool, actor: str = "system",
                    user_id: int | None = None, update_existing: bool = True, audit_action: str = "workbook.import",
                    reason: str | None = None) -> ImportReport:
    """Check a workbook and work out what it creates and changes; with `apply` and no fault, write it all.

    Writes happen in the caller's transaction (the caller commits once): records are added or changed, every new or
    changed value gets an "import" revision, one audit event describes the import, and the data version is bumped.
    With `update_existing=False`, records already present are kept as they are (the seed loader's rule).
    """
    report = ImportReport(book.source, ignored=list(book.ignored))
    records, report.issues = _check(session, book)
    if report.issues:
        return report
    reason = reason or f"Imported from workbook {book.source}"

    departments = {d.slug: d for d in session.scalars(select(Department))}
    goals = {g.slug: g for g in session.scalars(select(Goal))}
    measures = {m.slug: m for m in session.scalars(select(Measure))}
    slug_of_department = {d.id: s for s, d in departments.items()}
    slug_of_goal = {g.id: s for s, g in goals.items()}
    writes: list[tuple[str, str, dict[str, Any], Any]] = []  # (sheet, "create"|"change", record, entity)

    def judge(sheet: str, key: Any, label: str, record: dict[str, Any], entity: Any,
              refs: dict[str, str | None]) -> None:
        if entity is None:
            report.created[sheet] += 1
            writes.append((sheet, "create", record, None))
            return
        differences = _differences(record, _current(entity, _FIELDS[sheet], refs), _FIELDS[sheet])
        if not differences or not update_existing:
            report.unchanged[sheet] += 1
            return
        report.changed[sheet] += 1
        if len(report.changes) < MAX_LISTED_CHANGES:
            report.changes.append(f"{sheet} {label}: " + "; ".join(differences))
        writes.append((sheet, "change", record, entity))

    for record in records["departments"]:
        judge("departments", record["slug"], record["slug"], record, departments.get(record["slug"]), {})
    for record in records["goals"]:
        goal = goals.get(record["slug"])
        judge("goals", record["slug"], record["slug"], record, goal,
              {"owner_department": slug_of_department.get(goal.owner_department_id) if goal else None})
    for record in records["measures"]:
        measure = measures.get(record["slug"])
        refs = {"goal": slug_of_goal.get(measure.goal_id), "owner_department":
                slug_of_department.get(measure.owner_department_id)} if measure else {}
        judge("measures", record["slug"], record["slug"], record, measure, refs)
    slug_of_measure = {m.id: s for s, m in measures.items()}
    milestones = {(slug_of_measure[m.measure_id], m.period): m for m in session.scalars(select(Milestone))}
    for record in records["milestones"]:
        key = (record["measure"], record["period"])
        judge("milestones", key, f"{key[0]} {key[1]:%Y-%m}", record, milestones.get(key), {})
    wanted = {measures[r["measure"]].id for r in records["measurements"] if r["measure"] in measures}
    values: dict[tuple[str, date], Any] = {}
    if wanted:
        for row in session.execute(select(Measurement.id, Measurement.measure_id, Measurement.period,
                                          *(getattr(Measurement, f) for f in _FIELDS["measurements"]))
                                   .where(Measurement.measure_id.in_(wanted))):
            values[(slug_of_measure[row.measure_id], row.period)] = row
    for record in records["measurements"]:
        key = (record["measure"], record["period"])
        judge("measurements", key, f"{key[0]} {key[1]:%Y-%m}", record, values.get(key), {})
    annotations = {(a.event_date, a.text): a for a in session.scalars(select(Annotation))}
    for record in records["annotations"]:
        annotation = annotations.get((record["event_date"], record["text"]))
        refs = {"goal": slug_of_goal.get(annotation.goal_id) if annotation and annotation.goal_id else None,
                "measure": slug_of_measure.get(annotation.measure_id) if annotation and annotation.measure_id
                else None}
        judge("annotations", record["event_date"], f"{record['event_date']:%Y-%m-%d}", record, annotation, refs)

    if not apply or not writes:
        return report
    _write(session, writes, departments, goals, measures, user_id, reason)
    record_audit(session, actor=actor, action=audit_action, entity_type="workbook", entity_id=book.source[:64],
                 user_id=user_id, after={"created": report.created, "changed": report.changed,
                                         "changes": report.changes[:MAX_LISTED_CHANGES]})
    bump_data_version(session)
    session.flush()
    report.applied = True
    return report


def _write(session: Session, writes: list[tuple[str, str, dict[str, Any], Any]], departments: dict[str, Department],
           goals: dict[str, Goal], measures: dict[str, Measure], user_id: int | None, reason: str) -> None:
    """Add and change the records an import found, sheet by sheet, with a revision for every value."""
    by_sheet: dict[str, list[tuple[str, dict[str, Any], Any]]] = {name: [] for name in SHEETS}
    for sheet, kind, record, entity in writes:
        by_sheet[sheet].append((kind, record, entity))

    def assign(entity: Any, record: dict[str, Any], skip: tuple[str, ...]) -> None:
        for name, value in record.items():
            if name not in skip:
                setattr(entity, name, value)

    for kind, record, entity in by_sheet["departments"]:
        if kind == "create":
            departments[record["slug"]] = entity = Department(slug=record["slug"])
            session.add(entity)
        assign(entity, record, ("slug",))
    session.flush()
    for kind, record, entity in by_sheet["goals"]:
        if kind == "create":
            goals[record["slug"]] = entity = Goal(slug=record["slug"])
            session.add(entity)
        assign(entity, record, ("slug", "owner_department"))
        entity.owner_department = departments[record["owner_department"]]
    session.flush()
    for kind, record, entity in by_sheet["measures"]:
        if kind == "create":
            measures[record["slug"]] = entity = Measure(slug=record["slug"], display_order=record["display_order"])
            session.add(entity)
        assign(entity, record, ("slug", "goal", "owner_department", "display_order"))
        entity.goal = goals[record["goal"]]
        entity.owner_department = departments[record["owner_department"]]
    session.flush()
    for kind, record, entity in by_sheet["milestones"]:
        if kind == "create":
            session.add(Milestone(measure_id=measures[record["measure"]].id, period=record["period"],
                                  target_value=record["target_value"], citation=record["citation"]))
        else:
            entity.target_value, entity.citation = record["target_value"], record["citation"]
    session.flush()
    created: list[Measurement] = []
    for kind, record, row in by_sheet["measurements"]:
        fields = {name: record[name] for name in _FIELDS["measurements"]}
        if kind == "create":
            measurement = Measurement(measure_id=measures[record["measure"]].id, period=record["period"], **fields)
            session.add(measurement)
            created.append(measurement)
            continue
        measurement = session.get_one(Measurement, row.id)
        old_value, old_state = measurement.value, measurement.state
        for name, value in fields.items():
            setattr(measurement, name, value)
        session.add(Revision(measurement=measurement, action="import", old_value=old_value, new_value=record["value"],
                             old_state=old_state, new_state=record["state"], reason=reason, user_id=user_id))
    session.flush()
    for measurement in created:
        session.add(Revision(measurement_id=measurement.id, action="import", old_value=None,
                             new_value=measurement.value, old_state=None, new_state=measurement.state,
                             reason=reason, user_id=user_id))
    for kind, record, entity in by_sheet["annotations"]:
        if kind == "create":
            entity = Annotation(event_date=record["event_date"], text=record["text"])
            session.add(entity)
        entity.citation = record["citation"]
        entity.goal_id = goals[record["goal"]].id if record["goal"] else None
        entity.measure_id = measures[record["measure"]].id if record["measure"] else None
    session.flush()


# --- exporting --------------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """How a cell is written to CSV: whole numbers without ".0", other numbers exactly, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _number(value: float | None) -> int | float | None:
    """A stored number as a cell: whole numbers as integers (so CSV and XLSX read the same), None as blank."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def export_sheets(session: Session) -> dict[str, list[list[Any]]]:
    """The whole program as sheets of cells (header first), in the import's format and a stable order."""
    departments = list(session.scalars(select(Department).order_by(Department.slug)))
    goals = list(session.scalars(select(Goal).order_by(Goal.display_order, Goal.slug)))
    measures = list(session.scalars(select(Measure).order_by(Measure.display_order, Measure.id)))
    department_slug = {d.id: d.slug for d in departments}
    goal_slug = {g.id: g.slug for g in goals}
    measure_slug = {m.id: m.slug for m in measures}
    position = {m.id: i for i, m in enumerate(measures)}
    sheets: dict[str, list[list[Any]]] = {name: [list(EXPORT_COLUMNS[name])] for name in SHEETS}
    sheets["departments"] += [[d.slug, d.name, d.kind, d.contact_email] for d in departments]
    sheets["goals"] += [[g.slug, g.title, g.summary, department_slug[g.owner_department_id], g.display_order,
                         _flag(g.published)] for g in goals]
    for m in measures:
        row = dict(slug=m.slug, goal=goal_slug[m.goal_id], name=m.name, definition=m.definition, unit=m.unit,
                   decimals=m.decimals, direction=m.direction, trajectory=m.trajectory,
                   baseline_value=_number(m.baseline_value), baseline_period=f"{m.baseline_period:%Y-%m}",
                   target_value=_number(m.target_value), target_period=f"{m.target_period:%Y-%m}",
                   owner_department=department_slug[m.owner_department_id], data_source=m.data_source,
                   valid_min=_number(m.valid_min), valid_max=_number(m.valid_max),
                   on_track_tolerance=_number(m.on_track_tolerance), at_risk_tolerance=_number(m.at_risk_tolerance),
                   cumulative=_flag(m.cumulative), published=_flag(m.published), source=m.citation,
                   due_day=m.due_day)
        sheets["measures"].append([row[c] for c in EXPORT_COLUMNS["measures"]])
    milestones = sorted(session.scalars(select(Milestone)), key=lambda s: (position[s.measure_id], s.period))
    sheets["milestones"] += [[measure_slug[s.measure_id], f"{s.period:%Y-%m}", _number(s.target_value), s.citation]
                             for s in milestones]
    values = session.execute(select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
                                    Measurement.note, Measurement.source_ref, Measurement.approved_value,
                                    Measurement.review_note)).all()
    for v in sorted(values, key=lambda v: (position[v.measure_id], v.period)):
        earlier = None if v.state == "approved" else _number(v.approved_value)
        sheets["measurements"].append([measure_slug[v.measure_id], f"{v.period:%Y-%m}", _number(v.value), v.state,
                                       v.note, v.source_ref, earlier, v.review_note])
    annotations = session.scalars(select(Annotation).order_by(Annotation.event_date, Annotation.id))
    sheets["annotations"] += [[a.event_date.isoformat(), a.text, goal_slug.get(a.goal_id) if a.goal_id else None,
                               measure_slug.get(a.measure_id) if a.measure_id else None, a.citation]
                              for a in annotations]
    return sheets


def template_sheets() -> dict[str, list[list[Any]]]:
    """The empty template: every sheet with its header only."""
    return {name: [list(EXPORT_COLUMNS[name])] for name in SHEETS}


def _readme_rows() -> list[list[str]]:
    rows = [["sheet", "column", "required", "meaning"]]
    for name in SHEETS:
        for column in EXPORT_COLUMNS[name]:
            rows.append([name, column, "yes" if column in REQUIRED[name] else "no", COLUMN_HELP[name][column]])
    return rows


README_INTRO = (
    "A RecoveryStat workbook: one sheet per kind of record. Months are YYYY-MM, dates YYYY-MM-DD, booleans true or "
    "false; an empty cell means not given. Slugs (lower-case, hyphens) are the keys other sheets refer to. Import "
    "matches records by slug (values by measure and month, annotations by date and text): it adds new records and "
    "changes existing ones to match the workbook, and never deletes. Import it on /admin/import or with "
    "flask --app app import-workbook FILE."
)


def write_xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An XLSX workbook of the sheets, with a README sheet explaining each column first."""
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README_SHEET
    readme.append([README_INTRO])
    readme.append([])
    for row in _readme_rows():
        readme.append(row)
    readme["A3"].font = readme["B3"].font = readme["C3"].font = readme["D3"].font = Font(bold=True)
    for column, width in zip("ABCD", (14, 22, 10, 100)):
        readme.column_dimensions[column].width = width
    for name in SHEETS:
        sheet = workbook.create_sheet(name)
        for row in sheets[name]:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[_cell_text(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def write_csv_folder(sheets: dict[str, list[list[Any]]], folder: Path) -> None:
    """One CSV file per sheet in `folder` (created if needed), plus README.csv explaining each column."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHEETS:
        (folder / f"{name}.csv").write_bytes(_csv_bytes(sheets[name]))
    (folder / "README.csv").write_bytes(_csv_bytes(_readme_rows()))


def write_csv_zip(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A zip of one CSV file per sheet, plus README.csv explaining each column."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in SHEETS:
            archive.writestr(f"{name}.csv", _csv_bytes(sheets[name]))
        archive.writestr("README.csv", _csv_bytes(_readme_rows()))
    return buffer.getvalue()
