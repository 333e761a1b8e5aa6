"""`flask --app app import-values FILE --as EMAIL [--dry-run]` through Flask's CLI runner, on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from conftest import TEST_USERS, app_config
from extensions import EXTENSION_KEY
from models.audit import AuditEvent
from models.measurements import Measurement, Revision

CORPUS = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"
EDITOR = TEST_USERS["editor"][0]


@pytest.fixture
def cli_app(db_url, tmp_path):
    """The app on a fresh seeded database, for its CLI."""
    app = create_app(app_config(db_url, INSTANCE_PATH=str(tmp_path / "instance")))
    yield app
    app.server.extensions[EXTENSION_KEY].engine.dispose()


def invoke(app, *args: str):
    """Run `flask import-values ARGS` and return click's result (stdout and stderr apart)."""
    return app.server.test_cli_runner().invoke(args=["import-values", *args])


def counts(app) -> tuple[int, int, int]:
    """Measurements, revisions and audit events stored now."""
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Measurement, Revision, AuditEvent))


def test_a_good_file_is_imported_once_and_a_second_run_changes_nothing(cli_app):
    before = counts(cli_app)
    first = invoke(cli_app, str(CORPUS / "good_excel.xlsx"), "--as", EDITOR.upper())
    assert first.exit_code == 0, first.output
    assert "good_excel.xlsx: 4 rows: 4 new, 0 corrected, 0 unchanged" in first.stdout and first.stderr == ""
    after = counts(cli_app)
    # Four figures, their revisions and audit events, and one audit event for the import itself.
    assert after == (before[0] + 4, before[1] + 4, before[2] + 5)
    second = invoke(cli_app, str(CORPUS / "good_excel.xlsx"), "--as", EDITOR)
    assert second.exit_code == 0 and "0 new, 0 corrected, 4 unchanged" in second.stdout
    assert counts(cli_app) == after


def test_dry_run_says_what_would_change_and_writes_nothing(cli_app):
    before = counts(cli_app)
    result = invoke(cli_app, str(CORPUS / "good_semicolon.csv"), "--as", EDITOR, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Dry run, nothing was written. good_semicolon.csv: 4 rows: 4 new")
    assert counts(cli_app) == before


@pytest.mark.parametrize("name", ["bad_other_department.csv", "bad_truncated.xlsx"])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_bad_file_exits_1_with_file_row_column_lines_and_writes_nothing(cli_app, name, dry_run):
    before = counts(cli_app)
    result = invoke(cli_app, str(CORPUS / name), "--as", EDITOR, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    if name == "bad_other_department.csv":
        assert lines[0].startswith("bad_other_department.csv, row 6, measure: You may not enter values for ")
        assert lines[-1] == "Nothing was written: 1 row needs attention. Fix the file and run the command again."
    else:
        assert lines[0].startswith("bad_truncated.xlsx: the workbook is damaged")
        assert lines[-1].startswith("Nothing was written: the file was refused.")
    assert result.stdout == ""
    assert counts(cli_app) == before


@pytest.mark.parametrize(("email", "message"), [
    ("nobody@example.org", "no active account has the email nobody@example.org"),
    (TEST_USERS["viewer"][0], "is a viewer; only editors and admins enter figures"),
])
def test_an_unknown_or_viewer_account_exits_2_and_writes_nothing(cli_app, email, message):
    before = counts(cli_app)
    result = invoke(cli_app, str(CORPUS / "good_plain.csv"), "--as", email)
    assert result.exit_code == 2 and message in result.stderr
    assert counts(cli_app) == before


def test_a_missing_file_or_email_is_a_usage_error(cli_app, tmp_path):
    assert invoke(cli_app, str(tmp_path / "absent.csv"), "--as", EDITOR).exit_code == 2
    assert invoke(cli_app, str(CORPUS / "good_plain.csv")).exit_code == 2
