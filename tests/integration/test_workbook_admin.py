"""/admin/import through the Flask test client and the workbook CLI commands, on SQLite and PostgreSQL.

The preview and apply callbacks and the template/export downloads are refused on the server for anonymous people,
viewers and editors; an admin previews a broken workbook (reasons, Apply disabled, nothing written), then a good
one, and applies it. The CLI imports (with --dry-run), refuses broken workbooks with exit 1 and exports a workbook
that imports into an empty database and exports again to the same cells.
"""
from __future__ import annotations

import base64
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import create_app
from conftest import ROOT, app_config, login
from extensions import EXTENSION_KEY
from models.audit import AuditEvent
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.workbook import SHEETS

UPDATE = "/_dash-update-component"
WORKBOOKS = ROOT / "tests" / "data" / "workbooks"
PREVIEW_OUTPUTS = "..admin-import-preview.children...admin-import-apply.disabled.."
APPLY_OUTPUTS = "..admin-import-result.children...admin-import-upload.contents.."
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = ("/admin/import/template.xlsx", "/admin/import/export.xlsx", "/admin/import/export.zip")


def contents(path) -> str:
    return f"data:{XLSX_TYPE};base64," + base64.b64encode(path.read_bytes()).decode()


def preview(client, data: str | None, filename: str):
    body = {"output": PREVIEW_OUTPUTS,
            "outputs": [{"id": "admin-import-preview", "property": "children"},
                        {"id": "admin-import-apply", "property": "disabled"}],
            "inputs": [{"id": "admin-import-upload", "property": "contents", "value": data}],
            "state": [{"id": "admin-import-upload", "property": "filename", "value": filename}],
            "changedPropIds": ["admin-import-upload.contents"]}
    return client.post(UPDATE, json=body)


def apply(client, data: str | None, filename: str):
    body = {"output": APPLY_OUTPUTS,
            "outputs": [{"id": "admin-import-result", "property": "children"},
                        {"id": "admin-import-upload", "property": "contents"}],
            "inputs": [{"id": "admin-import-apply", "property": "n_clicks", "value": 1}],
            "state": [{"id": "admin-import-upload", "property": "contents", "value": data},
                      {"id": "admin-import-upload", "property": "filename", "value": filename}],
            "changedPropIds": ["admin-import-apply.n_clicks"]}
    return client.post(UPDATE, json=body)


def strings(node) -> list[str]:
    """Every string child in a rendered component tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for n in node for s in strings(n)]
    if isinstance(node, dict):
        return strings(node.get("props", {}).get("children"))
    return []


def count(app, model) -> int:
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("who", [None, "viewer", "editor"])
def test_import_callbacks_and_downloads_are_refused_below_admin(dash_app, who):
    """Anonymous: 401 on callbacks, sent to sign in for downloads; viewers and editors: 403 on both."""
    client = dash_app.server.test_client()
    if who:
        login(client, who)
    goals = count(dash_app, Goal)
    good = contents(WORKBOOKS / "riverton.xlsx")
    expected = 401 if who is None else 403
    assert preview(client, good, "riverton.xlsx").status_code == expected
    assert apply(client, good, "riverton.xlsx").status_code == expected
    assert count(dash_app, Goal) == goals
    for path in DOWNLOADS:
        response = client.get(path)
        if who is None:
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
        else:
            assert response.status_code == 403, path
    page = client.get("/admin/import")
    assert page.status_code == (302 if who is None else 403)


def test_an_admin_previews_a_broken_workbook_then_imports_a_good_one(dash_app):
    """Broken: every reason with sheet/row/column, Apply disabled, nothing written. Good: preview counts, apply."""
    client = dash_app.server.test_client()
    login(client, "admin")
    before = {model: count(dash_app, model) for model in (Goal, Measure, Measurement, AuditEvent)}

    response = preview(client, contents(WORKBOOKS / "broken-unknown-goal.xlsx"), "broken-unknown-goal.xlsx")
    assert response.status_code == 200
    out = response.get_json()["response"]
    shown = strings(out["admin-import-preview"]["children"])
    assert out["admin-import-apply"]["disabled"] is True
    assert shown[shown.index("measures"):][:4] == ["measures", "4", "goal", "unknown goal 'riverton-parks'"], shown
    # Applying it anyway (a crafted request) writes nothing and says why.
    refused = apply(client, contents(WORKBOOKS / "broken-unknown-goal.xlsx"), "broken-unknown-goal.xlsx")
    assert "Nothing was imported" in " ".join(strings(refused.get_json()["response"]["admin-import-result"]["children"]))
    assert {model: count(dash_app, model) for model in before} == before

    good = contents(WORKBOOKS / "riverton.xlsx")
    out = preview(client, good, "riverton.xlsx").get_json()["response"]
    assert out["admin-import-apply"]["disabled"] is False
    text = strings(out["admin-import-preview"]["children"])
    assert "Preview of riverton.xlsx" in text and "64" in text
    assert {model: count(dash_app, model) for model in before} == before  # a preview writes nothing

    out = apply(client, good, "riverton.xlsx").get_json()["response"]
    assert "Imported riverton.xlsx: 75 records created and 0 changed." in " ".join(
        strings(out["admin-import-result"]["children"]))
    assert out["admin-import-upload"]["contents"] is None
    assert count(dash_app, Goal) == before[Goal] + 2 and count(dash_app, Measurement) == before[Measurement] + 64
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor) == ("workbook.import", "admin@example.org")

    again = preview(client, good, "riverton.xlsx").get_json()["response"]
    assert again["admin-import-apply"]["disabled"] is True  # nothing left to do
    assert any("already in RecoveryStat" in s for s in strings(again["admin-import-preview"]["children"]))


def test_uploads_of_the_wrong_kind_or_size_are_refused_with_a_message(dash_app):
    """A CSV file, a damaged upload and a file over the limit each get a message and Apply stays disabled."""
    client = dash_app.server.test_client()
    login(client, "admin")
    csv_file = "data:text/csv;base64," + base64.b64encode(b"slug,name\n").decode()
    cases = [(csv_file, "goals.csv", "only an XLSX workbook"),
             ("data:application/zip;base64,@@@", "program.zip", "arrived damaged"),
             ("data:application/zip;base64," + "A" * (8 * 1024 * 1024), "huge.zip", "larger than 5 MB")]
    for data, name, words in cases:
        out = preview(client, data, name).get_json()["response"]
        assert out["admin-import-apply"]["disabled"] is True
        assert words in json.dumps(out["admin-import-preview"]), (name, out)


def test_an_admin_downloads_the_template_and_the_export(dash_app):
    """The template has the README and header-only sheets; the export holds the program and is audited."""
    client = dash_app.server.test_client()
    login(client, "admin")
    template = client.get("/admin/import/template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX_TYPE
    book = load_workbook(io.BytesIO(template.data))
    assert book.sheetnames == ["README", *SHEETS] and all(book[name].max_row == 1 for name in SHEETS)

    export = client.get("/admin/import/export.xlsx")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(export.data))
    assert book["measurements"].max_row - 1 == count(dash_app, Measurement)
    assert book["goals"].max_row - 1 == count(dash_app, Goal)
    archive = client.get("/admin/import/export.zip")
    assert archive.status_code == 200 and archive.data.startswith(b"PK")
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action == "workbook.export")))
    assert len(actions) == 2


# --- CLI ----------------------------------------------------------------------------------------------------------


def _app(url, tmp_path):
    return create_app(app_config(url, INSTANCE_PATH=str(tmp_path / "instance")))


def test_cli_import_dry_run_apply_and_refusal(empty_db_url, tmp_path):
    """--dry-run writes nothing; an import prints its summary; a broken workbook exits 1 with its place."""
    app = _app(empty_db_url, tmp_path)
    runner = app.server.test_cli_runner()
    broken = runner.invoke(args=["import-workbook", str(WORKBOOKS / "broken-bad-month.xlsx")])
    assert broken.exit_code == 1
    assert "measurements, row 5, column period: '2025-13' is not a month" in broken.output
    assert "nothing was written" in broken.output and count(app, Goal) == 0

    dry = runner.invoke(args=["import-workbook", str(WORKBOOKS / "riverton.xlsx"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing was written" in dry.output and "measurements: 64 created" in dry.output
    assert count(app, Goal) == 0

    done = runner.invoke(args=["import-workbook", str(WORKBOOKS / "riverton")])
    assert done.exit_code == 0, done.output
    assert "goals: 2 created, 0 changed, 0 unchanged" in done.output and count(app, Goal) == 2
    again = runner.invoke(args=["import-workbook", str(WORKBOOKS / "riverton.xlsx")])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_cli_export_import_export_round_trip(db_url, empty_db_url, tmp_path):
    """export-workbook (XLSX and CSV folder) -> import-workbook into an empty database -> export: same data."""
    seeded = _app(db_url, tmp_path / "a").server.test_cli_runner()
    first = tmp_path / "first.xlsx"
    result = seeded.invoke(args=["export-workbook", str(first)])
    assert result.exit_code == 0 and "2826 measurements" in result.output, result.output
    folder = tmp_path / "csv"
    assert seeded.invoke(args=["export-workbook", f"{folder}/"]).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{name}.csv" for name in SHEETS] + ["README.csv"])

    empty = _app(empty_db_url, tmp_path / "b").server.test_cli_runner()
    assert empty.invoke(args=["import-workbook", str(first)]).exit_code == 0
    second = tmp_path / "second.xlsx"
    assert empty.invoke(args=["export-workbook", str(second)]).exit_code == 0
    assert empty.invoke(args=["export-workbook", str(tmp_path / "again") + "/"]).exit_code == 0

    def cells(path):
        book = load_workbook(path)
        return {name: list(book[name].iter_rows(values_only=True)) for name in SHEETS}

    assert cells(second) == cells(first)
    for name in SHEETS:
        assert (tmp_path / "again" / f"{name}.csv").read_bytes() == (folder / f"{name}.csv").read_bytes()
