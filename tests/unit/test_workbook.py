"""The workbook importer and exporter (models/workbook.py): the seed set, another city's program, broken workbooks,
the export -> import -> export round trip and idempotence, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import ROOT, SEED_FOLDER
from models.audit import AuditEvent, current_data_version
from models.catalog import Annotation, Goal, Measure, Milestone
from models.measurements import Measurement, Revision
from models.org import Department
from models.workbook import (
    SHEETS,
    export_sheets,
    import_workbook,
    read_csv_folder,
    read_upload,
    read_workbook,
    template_sheets,
    write_csv_folder,
    write_csv_zip,
    write_xlsx,
)

WORKBOOKS = ROOT / "tests" / "data" / "workbooks"
ENTITIES = {"departments": Department, "goals": Goal, "measures": Measure, "milestones": Milestone,
            "measurements": Measurement, "annotations": Annotation}
# Each broken workbook: the fault it must be refused for (sheet, row, column, words of the reason).
BROKEN = [
    ("broken-missing-sheet.xlsx", "milestones", 0, "", "the sheet is missing"),
    ("broken-unknown-column.xlsx", "measures", 1, "budget", "unknown column"),
    ("broken-duplicate-slug.xlsx", "departments", 3, "slug", "duplicate department 'riverton-housing'"),
    ("broken-unknown-goal.xlsx", "measures", 4, "goal", "unknown goal 'riverton-parks'"),
    ("broken-bad-month.xlsx", "measurements", 5, "period", "'2025-13' is not a month"),
    ("broken-text-in-number.xlsx", "measurements", 6, "value", "'about 130' is not a number"),
    ("broken-merged-header.xlsx", "measures", 1, "slug", "merged"),
]


def counts(session) -> dict[str, int]:
    found = {kind: session.scalar(select(func.count()).select_from(entity)) for kind, entity in ENTITIES.items()}
    found["revisions"] = session.scalar(select(func.count()).select_from(Revision))
    found["audit_events"] = session.scalar(select(func.count()).select_from(AuditEvent))
    return found


def cells(xlsx: bytes) -> dict[str, list[tuple]]:
    """Every data sheet's cell values, as a spreadsheet program reads them."""
    book = load_workbook(io.BytesIO(xlsx))
    return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in SHEETS}


def test_the_seed_set_as_csv_folder_imports_into_an_empty_database(empty_session, session):
    """The seed folder and its XLSX export give the same program as `flask seed`."""
    seeded = export_sheets(session)
    xlsx = write_xlsx(seeded)

    report = import_workbook(empty_session, read_csv_folder(SEED_FOLDER), apply=True)
    empty_session.commit()
    assert report.ok and report.applied, report.issues
    assert report.created == {kind: len(seeded[kind]) - 1 for kind in SHEETS}
    assert export_sheets(empty_session) == seeded
    # Every value carries an import revision; one audit event describes the import.
    assert counts(empty_session)["revisions"] == len(seeded["measurements"]) - 1
    assert [e.action for e in empty_session.scalars(select(AuditEvent))] == ["workbook.import"]

    # The same data as XLSX finds the database loaded by `flask seed` already holding exactly this.
    again = import_workbook(session, read_upload("seed.xlsx", xlsx), apply=False)
    assert again.ok and again.touched == 0


def test_xlsx_of_the_seed_into_an_empty_database(empty_session, session):
    """An XLSX workbook (the seed exported) imports into an empty database and exports to the same cells."""
    xlsx = write_xlsx(export_sheets(session))
    report = import_workbook(empty_session, read_upload("seed.xlsx", xlsx), apply=True)
    empty_session.commit()
    assert report.ok, report.issues
    assert cells(write_xlsx(export_sheets(empty_session))) == cells(xlsx)


def test_export_import_export_is_equal_and_a_second_import_changes_nothing(empty_session, session, tmp_path):
    """export -> import into an empty database -> export gives the same workbook data, as XLSX and as CSV."""
    first = write_xlsx(export_sheets(session))
    import_workbook(empty_session, read_upload("program.xlsx", first), apply=True)
    empty_session.commit()
    second = write_xlsx(export_sheets(empty_session))
    assert cells(second) == cells(first)

    folder = tmp_path / "export"
    write_csv_folder(export_sheets(session), folder)
    write_csv_folder(export_sheets(empty_session), tmp_path / "again")
    for name in SHEETS:
        assert (folder / f"{name}.csv").read_bytes() == (tmp_path / "again" / f"{name}.csv").read_bytes()

    before, version = counts(empty_session), current_data_version(empty_session)
    for book in (read_upload("program.xlsx", first), read_csv_folder(folder),
                 read_upload("program.zip", write_csv_zip(export_sheets(session)))):
        report = import_workbook(empty_session, book, apply=True)
        empty_session.commit()
        assert report.ok, report.issues
        assert report.touched == 0 and report.changes == []
        assert report.unchanged == {name: len(rows) - 1 for name, rows in export_sheets(session).items()}
    assert counts(empty_session) == before and current_data_version(empty_session) == version


def test_another_citys_workbook_imports_beside_the_seed(session):
    """Riverton's program (typed cells: numbers, Excel dates, TRUE/FALSE) joins the Baton Rouge program."""
    before = counts(session)
    for source in (WORKBOOKS / "riverton.xlsx", WORKBOOKS / "riverton"):
        preview = import_workbook(session, read_workbook(source), apply=False)
        assert preview.ok, preview.issues
        assert preview.created == {"departments": 2, "goals": 2, "measures": 3, "milestones": 2,
                                   "measurements": 64, "annotations": 2}
    assert counts(session) == before  # a preview writes nothing

    report = import_workbook(session, read_workbook(WORKBOOKS / "riverton.xlsx"), apply=True, actor="cli")
    session.commit()
    assert report.applied
    measure = session.scalar(select(Measure).where(Measure.slug == "riverton-repair-wait-days"))
    assert (measure.goal.slug, measure.owner_department.slug, measure.decimals, measure.direction) == \
        ("riverton-homes", "riverton-housing", 1, "decrease")
    assert (measure.on_track_tolerance, measure.at_risk_tolerance, measure.baseline_period.isoformat()) == \
        (0.1, 0.2, "2025-01-01")
    streets = session.scalar(select(Goal).where(Goal.slug == "riverton-streets"))
    assert streets.published is False
    returned = session.scalar(select(Measurement).join(Measure).where(Measure.slug == "riverton-streets-open",
                                                                      Measurement.state == "returned"))
    assert returned.value == 92 and returned.approved_value is None and "street miles" in returned.note
    # The CSV folder of the same program is now wholly unchanged.
    assert import_workbook(session, read_workbook(WORKBOOKS / "riverton"), apply=False).touched == 0


@pytest.mark.parametrize(("file", "sheet", "row", "column", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_workbook_is_refused_with_its_place_and_nothing_is_written(empty_session, file, sheet, row, column,
                                                                            words):
    """Each broken workbook is refused at its sheet, row and column, and the database stays empty."""
    before, version = counts(empty_session), current_data_version(empty_session)
    report = import_workbook(empty_session, read_workbook(WORKBOOKS / file), apply=True)
    empty_session.commit()
    assert not report.ok and not report.applied
    first = report.issues[0]
    assert (first.sheet, first.row, first.column) == (sheet, row, column), [str(i) for i in report.issues]
    assert words in first.reason
    where = f"{sheet}, row {row}, column {column}: " if row else f"{sheet}: "
    assert str(first).startswith(where)
    assert counts(empty_session) == before and current_data_version(empty_session) == version


def test_every_fault_is_reported_not_only_the_first(empty_session, tmp_path):
    """Validation goes through every row: two faults in two sheets are both named."""
    folder = tmp_path / "two-faults"
    shutil.copytree(WORKBOOKS / "riverton", folder)
    (folder / "goals.csv").write_text((folder / "goals.csv").read_text().replace(",1,true", ",first,true"))
    (folder / "annotations.csv").write_text((folder / "annotations.csv").read_text().replace("2025-05-01",
                                                                                           "2025-05-41"))
    report = import_workbook(empty_session, read_csv_folder(folder), apply=True)
    assert [(i.sheet, i.row, i.column) for i in report.issues] == [("goals", 2, "display_order"),
                                                                  ("annotations", 3, "date")]
    assert counts(empty_session)["goals"] == 0


def test_a_changed_workbook_changes_only_what_differs_with_revisions_and_an_audit(session, tmp_path):
    """A target moved and a value corrected in the workbook: two changes, each shown, revision and audit kept."""
    sheets = export_sheets(session)
    header = sheets["measures"][0]
    measure_row = sheets["measures"][1]
    slug = measure_row[0]
    measure_row[header.index("target_value")] = 18000
    value_header = sheets["measurements"][0]
    value_row = next(r for r in sheets["measurements"][1:] if r[0] == slug and r[3] == "approved")
    value_row[value_header.index("value")] = value_row[value_header.index("value")] + 1
    version = current_data_version(session)

    report = import_workbook(session, read_upload("changed.xlsx", write_xlsx(sheets)), apply=True,
                             actor="admin@example.org")
    session.commit()
    assert report.changed == {"departments": 0, "goals": 0, "measures": 1, "milestones": 0, "measurements": 1,
                              "annotations": 0}
    assert report.created == dict.fromkeys(SHEETS, 0)
    assert any(c.startswith(f"measures {slug}: target_value 17000 -> 18000") for c in report.changes), report.changes
    measure = session.scalar(select(Measure).where(Measure.slug == slug))
    assert measure.target_value == 18000
    changed = session.scalar(select(Measurement).where(Measurement.measure_id == measure.id,
                                                       Measurement.period == value_row_period(value_row)))
    assert changed.value == value_row[2] and changed.approved_value == value_row[2] and changed.version == 2
    revision = session.scalars(select(Revision).where(Revision.measurement_id == changed.id)
                               .order_by(Revision.id.desc())).first()
    assert (revision.action, revision.old_value, revision.new_value) == ("import", value_row[2] - 1, value_row[2])
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor, event.after["changed"]["measures"]) == ("workbook.import",
                                                                               "admin@example.org", 1)
    assert current_data_version(session) == version + 1


def value_row_period(row):
    from datetime import date

    year, month = row[1].split("-")
    return date(int(year), int(month), 1)


def test_upload_limits_and_kinds_are_refused_with_a_clear_message():
    """Only .xlsx and .zip, not above the size limit, and an .xlsx must be one."""
    assert "only an XLSX workbook" in str(read_upload("program.csv", b"slug\n").issues[0])
    assert "the limit is 1 MB" in str(read_upload("big.xlsx", b"x" * (1024 * 1024 + 1), limit=1024 * 1024).issues[0])
    assert "not an XLSX workbook" in str(read_upload("fake.xlsx", b"slug,name\n").issues[0])
    assert "not a zip archive" in str(read_upload("fake.zip", b"slug,name\n").issues[0])


def test_the_template_has_every_sheet_header_and_a_readme_for_every_column():
    """The template is the import format with no rows, and its README sheet explains each column."""
    book = load_workbook(io.BytesIO(write_xlsx(template_sheets())))
    assert book.sheetnames == ["README", *SHEETS]
    explained = {(r[0], r[1]) for r in book["README"].iter_rows(min_row=4, values_only=True) if r[0]}
    for name in SHEETS:
        header = [c.value for c in book[name][1]]
        assert book[name].max_row == 1 and header
        assert {(name, column) for column in header} <= explained
    # Seed column names are the template's column names.
    for name in SHEETS:
        seed_header = (SEED_FOLDER / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert set(seed_header) <= {c.value for c in book[name][1]}


def test_the_template_imports_as_an_empty_program(empty_session):
    """An untouched template is a valid workbook that creates nothing."""
    report = import_workbook(empty_session, read_upload("template.xlsx", write_xlsx(template_sheets())), apply=True)
    assert report.ok and report.touched == 0 and not report.applied


def test_csv_rows_with_too_many_or_too_few_fields_are_named(empty_session, tmp_path):
    """Field-count faults in a CSV folder name the row and the column where they start."""
    folder = tmp_path / "fields"
    shutil.copytree(WORKBOOKS / "riverton", folder)
    lines = (folder / "milestones.csv").read_text().splitlines()
    lines[1] += ",extra"
    lines[2] = lines[2].rsplit(",", 1)[0]
    (folder / "milestones.csv").write_text("\n".join(lines) + "\n")
    issues = import_workbook(empty_session, read_csv_folder(folder), apply=False).issues
    assert [(i.sheet, i.row, i.column) for i in issues] == [("milestones", 2, "source"), ("milestones", 3, "source")]
    assert "more fields" in issues[0].reason and "fewer fields" in issues[1].reason


def test_read_workbook_of_a_missing_path_says_so(tmp_path):
    """A path that does not exist is a fault, not a crash."""
    assert "no such file" in str(read_workbook(tmp_path / "nope.xlsx").issues[0])


def test_a_column_with_values_but_no_header_is_named_by_its_letter(empty_session, tmp_path):
    """A header cell left blank over a column of values is a fault at that column's letter."""
    folder = tmp_path / "blank-header"
    shutil.copytree(WORKBOOKS / "riverton", folder)
    lines = (folder / "departments.csv").read_text().splitlines()
    lines = [lines[0] + ","] + [line + ",extra" for line in lines[1:]]
    (folder / "departments.csv").write_text("\n".join(lines) + "\n")
    issues = import_workbook(empty_session, read_csv_folder(folder), apply=False).issues
    assert [(i.sheet, i.row, i.column) for i in issues] == [("departments", 1, "E")]
    assert "no header" in issues[0].reason
