"""The corpus of awkward spreadsheets (tests/data/spreadsheets, made by make_corpus.py) through the importer.

Every good file imports the same four figures, and importing it again changes nothing; every bad file is refused with
its exact `file, row, column: reason` message and leaves every row as it was. SQLite and PostgreSQL: one seeded
database per backend for the module, each file's work rolled back after its test (cloning one per file is slow).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from test_services import actor, snapshot

from conftest import _session
from models.catalog import Measure
from models.importer import apply_import, preview_import
from models.measurements import Measurement

CORPUS = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"
NOVEMBER = date(2026, 11, 1)
EXPECTED = {"ocd-rental-units-repaired": 418.0, "ocd-homebuyers-assisted": 265.0,
            "ocd-vacant-addresses-flooded-tracts": 2698.0, "ocd-lmi-benefit-share": 78.9}
RENTAL = "Flooded rental units repaired with City-Parish recovery funds"
MONTH_HELP = "Write it as YYYY-MM, e.g. 2026-10 (a date such as 10/1/2026 is read month first, as October 2026)."
BAD = {
    "bad_empty.csv": "bad_empty.csv: the file is empty. Download the template, fill it in and upload it again.",
    "bad_only_header.csv": "bad_only_header.csv: the file has a header but no rows of figures. Type the figures under "
                           "the header and upload again.",
    "bad_wrong_columns.csv": "bad_wrong_columns.csv: the header (row 1) has no column named “measure”, “period” or "
                             "“value”. The first row must name the columns measure, period and value (note and reason "
                             "are optional); it names: slug, month, figure. Download the template for the right "
                             "columns.",
    "bad_duplicate_rows.csv": f"bad_duplicate_rows.csv, row 3, measure: {RENTAL} appears twice for November 2026; "
                              "keep one row.",
    "bad_unknown_slug.csv": "bad_unknown_slug.csv, row 3, measure: no measure has the slug “ocd-homebuyers-asisted”. "
                            "Use the slugs of the template's measure column.",
    "bad_other_department.csv": "bad_other_department.csv, row 6, measure: You may not enter values for Restore "
                                "Louisiana homeowners offered a grant award (East Baton Rouge Parish): it belongs to "
                                "Louisiana Office of Community Development – Disaster Recovery Unit.",
    "bad_future_month.csv": "bad_future_month.csv, row 5, period: December 2026 has not started yet. Values can be "
                            "entered up to November 2026.",
    "bad_text_value.csv": "bad_text_value.csv, row 2, value: 'about 420' is not a number. Type digits only, e.g. "
                          "12430 or 62.5.",
    "bad_month.csv": f"bad_month.csv, row 4, period: “2026-13” is not a month. {MONTH_HELP}",
    "bad_out_of_range.csv": "bad_out_of_range.csv, row 5, value: 178.9% is outside the valid range for Share of "
                            "City-Parish CDBG-DR spending that benefits low- and moderate-income residents (0.0% to "
                            "100.0%). Check the figure and its unit.",
    "bad_correction_without_reason.csv": "bad_correction_without_reason.csv, row 6, reason: Households helped to buy "
                                         "a home outside the high-risk flood zone already has a value for October "
                                         "2026: Give a reason (at least a few words) so others know why this changed.",
    "bad_decimal_comma.csv": "bad_decimal_comma.csv, row 5, value: '78,9' is ambiguous: commas separate thousands "
                             "here. Use a dot for decimals (12.5), or write thousands in full (12,500).",
    "bad_european_number.csv": "bad_european_number.csv, row 5, value: '1.234,5' looks like a number written with "
                               "dots for thousands and a comma for decimals. Here a dot marks decimals and commas (or "
                               "nothing) separate thousands: if you meant 1234.5, type 1234.5.",
    "bad_running_total_falls.csv": f"bad_running_total_falls.csv, row 2, value: 400 is lower than 412 for October "
                                   f"2026, but {RENTAL} is a running total, which should not fall. If it really fell, "
                                   "say why in the note column; otherwise check the figure.",
    "bad_measure_empty.csv": "bad_measure_empty.csv, row 3, measure: the measure is empty. Type the measure's slug, "
                             "as the template lists them (e.g. ocd-rental-units-repaired).",
    "bad_value_empty_with_note.csv": "bad_value_empty_with_note.csv, row 3, value: the value is empty, but the row "
                                     "has a note or a reason. Type the figure, or clear the row.",
    "bad_truncated.xlsx": "bad_truncated.xlsx: the workbook is damaged or incomplete and cannot be read. Open it in "
                          "Excel or Google Sheets, save it again as .xlsx (or CSV) and upload the new copy.",
    "bad_stray_cell_far_down.xlsx": "bad_stray_cell_far_down.xlsx: the first sheet runs past row 100,000 (a cell far "
                                    "down the sheet counts too). Copy the figures into a new workbook, or save the "
                                    "sheet as CSV, and upload that.",
    "bad_encrypted.xlsx": "bad_encrypted.xlsx: the workbook is password-protected, so it cannot be read. Open it in "
                          "Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, clear "
                          "it), save and upload it again.",
    "bad_macro.xlsm": "bad_macro.xlsm: macro-enabled workbooks (.xlsm) are not accepted. In Excel choose File > Save "
                      "As > Excel Workbook (.xlsx), or CSV, and upload that.",
    "bad_macro_renamed.xlsx": "bad_macro_renamed.xlsx: macro-enabled workbooks (.xlsm) are not accepted. In Excel "
                              "choose File > Save As > Excel Workbook (.xlsx), or CSV, and upload that.",
    "bad_zip_bomb.xlsx": "bad_zip_bomb.xlsx: the workbook unpacks to 100 MB, far more than a sheet of figures, so it "
                         "is refused (it may be a zip bomb). Copy the figures into a new workbook, or save the sheet "
                         "as CSV, and upload that.",
    "bad_garbage.csv": "bad_garbage.csv: this is not a text CSV file: its contents look like binary data. Save the "
                       "sheet from Excel or Google Sheets as CSV (comma separated) and upload that.",
    "bad_workbook_named.csv": "bad_workbook_named.csv: this is an Excel workbook with a .csv name. Rename it to end "
                              "in .xlsx, or save the sheet as CSV, and upload it again.",
    "bad_wrong_type.pdf": "bad_wrong_type.pdf: .pdf files cannot be read. Upload a .csv or .xlsx file (the templates "
                          "are both).",
    "bad_unquoted_thousands.csv": "bad_unquoted_thousands.csv: the file cannot be read as CSV: row 2 has 4 cells but "
                                  "the first row has 3 (a number with a comma needs quotes, \"1,234\", or no comma). "
                                  "Save it again as CSV from Excel or Google Sheets and upload that.",
    "bad_unclosed_quote.csv": "bad_unclosed_quote.csv: the file cannot be read as CSV: a quote opened in row 2 is never "
                              "closed. Save it again as CSV from Excel or Google Sheets and upload that.",
    "bad_huge.csv": "bad_huge.csv: the file is 5.5 MB; at most 5 MB can be uploaded. Split it into smaller files (one "
                    "per year, for example) and upload each.",
}
GOOD = sorted(path.name for path in CORPUS.glob("good_*"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def corpus_db(request, templates):
    """One seeded database per backend for the whole corpus."""
    from conftest import POSTGRES_URL, REQUIRE_POSTGRES, skip_or_fail

    if request.param == "postgres" and not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL", REQUIRE_POSTGRES)
    url, cleanup = templates.clone(request.param, True)
    yield url
    cleanup()


@pytest.fixture
def session(corpus_db):
    """A session on the module's database; whatever a test did is rolled back after it."""
    for opened in _session(corpus_db):
        yield opened
        opened.rollback()


def test_the_corpus_is_complete():
    """At least 25 files, every bad one has its expected message here, and nothing in the folder is left untested."""
    files = {path.name for path in CORPUS.iterdir() if path.name.startswith(("good_", "bad_"))}
    assert len(files) >= 25
    assert files == set(GOOD) | set(BAD)


def stored_november(session) -> dict[str, float]:
    """The November 2026 figures of the four OCD measures, as stored now."""
    return dict(session.execute(
        select(Measure.slug, Measurement.value).join(Measure, Measure.id == Measurement.measure_id)
        .where(Measure.slug.in_(EXPECTED), Measurement.period == NOVEMBER)
        .execution_options(populate_existing=True)).all())


@pytest.mark.parametrize("name", GOOD)
def test_every_good_file_imports_the_same_figures_and_a_second_upload_changes_nothing(session, name):
    content = (CORPUS / name).read_bytes()
    editor = actor(session, "editor")
    preview = preview_import(session, editor, name, content)
    assert preview.problems == [] and preview.can_apply
    assert preview.count("new") == 4 and not preview.applied
    assert stored_november(session) == {}
    result = apply_import(session, editor, name, content)
    session.flush()
    assert result.applied and result.count("new") == 4
    assert stored_november(session) == pytest.approx(EXPECTED)
    before = snapshot(session)
    again = apply_import(session, editor, name, content)
    session.flush()
    assert again.count("unchanged") == 4 and again.count("new") == again.count("correction") == 0
    assert snapshot(session) == before  # not a row, a revision, an audit event or the data version


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bad_file_is_refused_with_its_message_and_changes_nothing(session, name):
    content = (CORPUS / name).read_bytes()
    before = snapshot(session)
    result = apply_import(session, actor(session, "editor"), name, content)
    session.flush()
    assert not result.applied and not result.can_apply
    assert [problem.line() for problem in result.problems] == [BAD[name]]
    assert snapshot(session) == before
    assert stored_november(session) == {}
