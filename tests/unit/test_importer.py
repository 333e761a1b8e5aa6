"""The spreadsheet importer's service (models/importer.py): months, previews that hold, templates, statement counts.

SQLite and, when TEST_DATABASE_URL is set, PostgreSQL (the `session` fixture).
"""
from __future__ import annotations

import io
import time
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select
from test_batch import add_copies
from test_services import actor, snapshot

from models.catalog import Measure
from models.errors import ValidationError
from models.importer import apply_import, parse_period, preview_import, template_csv, template_rows, template_xlsx
from models.measurements import Measurement, Revision

OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


@pytest.mark.parametrize("raw", ["2026-10", "2026-10-01", "10/1/2026", "10/31/2026", "10/1/26", "10/2026",
                                 "Oct 2026", "October 2026", "Oct-26", "2026/10", "2026-10-01 00:00:00",
                                 datetime(2026, 10, 17, 9, 30), date(2026, 10, 5)])
def test_months_are_read_as_people_and_spreadsheets_write_them(raw):
    assert parse_period(raw) == OCTOBER


@pytest.mark.parametrize("raw", ["", "2026-13", "13/1/2026", "2/30/2026", "Octember 2026", "1999", "20261", "soon"])
def test_anything_else_is_not_a_month(raw):
    with pytest.raises(ValidationError) as refused:
        parse_period(raw)
    assert refused.value.field == "period" and "YYYY-MM" in refused.value.message


def csv_file(*rows: str, header: str = "measure,period,value,note,reason") -> bytes:
    """A small CSV upload."""
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def test_a_running_total_is_judged_against_the_files_own_month_before(session):
    editor = actor(session, "editor")
    # October corrected up to 430 (stored 412): November's 418 is then a fall, though it is above the stored October.
    content = csv_file("ocd-rental-units-repaired,2026-10,430,Invoices from September arrived late,Late invoices counted",
                       "ocd-rental-units-repaired,2026-11,418,,")
    result = preview_import(session, editor, "series.csv", content)
    assert [row.outcome for row in result.rows] == ["correction", "rejected"]
    assert "lower than 430 for October 2026" in result.problems[0].line()
    fixed = csv_file("ocd-rental-units-repaired,2026-10,430,Invoices from September arrived late,Late invoices counted",
                     "ocd-rental-units-repaired,2026-11,431,,")
    applied = apply_import(session, editor, "series.csv", fixed)
    assert applied.applied and [row.outcome for row in applied.rows] == ["correction", "new"]
    revisions = session.scalars(select(Revision.action).join(Measurement).join(Measure)
                                .where(Measure.slug == "ocd-rental-units-repaired",
                                       Measurement.period.in_([OCTOBER, NOVEMBER]))).all()
    assert {"correct", "enter"} <= set(revisions)


def test_a_preview_applies_only_while_the_figures_it_showed_hold(session):
    editor, admin = actor(session, "editor"), actor(session, "admin")
    content = csv_file("ocd-vacant-addresses-flooded-tracts,2026-10,2710,,Recount of the October list")
    previewed = preview_import(session, editor, "october.csv", content)
    assert previewed.can_apply and previewed.rows[0].outcome == "correction"
    # Someone corrects the same month after the preview was shown.
    apply_import(session, admin, "other.csv",
                 csv_file("ocd-vacant-addresses-flooded-tracts,2026-10,2720,,Admin recount"))
    session.flush()
    before = snapshot(session)
    stale = apply_import(session, editor, "october.csv", content, expected=previewed.fingerprint)
    assert not stale.applied and stale.fingerprint != previewed.fingerprint
    assert snapshot(session) == before
    fresh = apply_import(session, editor, "october.csv", content, expected=stale.fingerprint)
    assert fresh.applied and fresh.count("correction") == 1


def test_a_viewer_imports_nothing(session):
    content = csv_file("ocd-vacant-addresses-flooded-tracts,2026-11,2698,,")
    before = snapshot(session)
    result = apply_import(session, actor(session, "viewer"), "v.csv", content)
    assert not result.applied and result.problems[0].column == "measure"
    assert "You may not enter values" in result.problems[0].reason
    assert snapshot(session) == before


def test_the_template_round_trips_unchanged_and_lists_only_the_editors_measures(session):
    editor = actor(session, "editor")
    rows = template_rows(session, editor, OCTOBER)
    assert {row["measure"] for row in rows} == {"ocd-rental-units-repaired", "ocd-homebuyers-assisted",
                                                "ocd-vacant-addresses-flooded-tracts", "ocd-lmi-benefit-share"}
    assert all(row["period"] == "2026-10" and row["value"] for row in rows)
    for name, content in (("t.csv", template_csv(rows)), ("t.xlsx", template_xlsx(rows, OCTOBER))):
        result = preview_import(session, editor, name, content)
        assert result.problems == [] and result.count("unchanged") == len(rows), name
    assert template_csv(rows).startswith(b"\xef\xbb\xbfmeasure,name,period,value,note,reason\r\n")
    sheet = load_workbook(io.BytesIO(template_xlsx(rows, OCTOBER))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["measure", "name", "period", "value", "note", "reason"]
    assert sheet["C2"].value == "2026-10" and sheet["C2"].number_format == "@"
    empty_month = template_rows(session, editor, NOVEMBER)
    assert all(row["value"] == "" for row in empty_month)


def _count_statements(session, content: bytes) -> tuple[int, float]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        result = apply_import(session, actor(session, "editor"), "many.csv", content)
        session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.applied, [problem.line() for problem in result.problems]
    return len(statements), time.perf_counter() - started


def test_importing_5_or_50_rows_issues_the_same_number_of_statements(session):
    template = session.scalar(select(Measure).where(Measure.slug == "ocd-vacant-addresses-flooded-tracts"))
    add_copies(session, template, 50)
    session.commit()
    slugs = [f"{template.slug}-copy-{number}" for number in range(50)]
    # Each file also corrects a stored month, so new rows, corrections and their history are all written.
    correction = "ocd-lmi-benefit-share,2026-10,78.5,,Rounding fixed"
    few, _ = _count_statements(session, csv_file(correction, *(f"{slug},2026-11,\"1,2{n:02d}\",," for n, slug
                                                               in enumerate(slugs[:4]))))
    session.rollback()
    many, elapsed = _count_statements(session, csv_file(correction, *(f"{slug},2026-11,\"1,2{n:02d}\",," for n, slug
                                                                      in enumerate(slugs))))
    assert many == few
    assert elapsed < 5


def test_save_figures_rows_carry_their_own_month_and_a_dry_run_writes_nothing(session):
    from models.batch import FigureRow, save_figures

    editor = actor(session, "editor")
    vacant = session.scalar(select(Measure).where(Measure.slug == "ocd-vacant-addresses-flooded-tracts"))
    rows = [FigureRow(vacant.id, "2,698", period=NOVEMBER, check_version=False),
            FigureRow(vacant.id, "2,711", period=OCTOBER, check_version=False, reason="Late cases counted"),
            FigureRow(vacant.id, "2,700", period=date(2026, 12, 1), check_version=False)]
    before = snapshot(session)
    dry = save_figures(session, editor, rows=rows, dry_run=True)
    assert [row.outcome for row in dry.rows] == ["stored", "corrected", "refused"] and not dry.saved
    assert dry.rows[0].period == NOVEMBER and dry.rows[1].stored_version is not None
    assert dry.rows[2].field == "period" and "has not started yet" in dry.rows[2].message
    assert snapshot(session) == before
    saved = save_figures(session, editor, rows=rows[:2])
    assert saved.saved and saved.rows[0].measurement_id is not None
    assert snapshot(session)["measurements"] == before["measurements"] + 1
