"""The upload page's callbacks through /_dash-update-component, and the template downloads; who may do what.

SQLite and, when TEST_DATABASE_URL is set, PostgreSQL (the `client` fixture's database).
"""
from __future__ import annotations

import base64
import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from test_pages_callbacks import UPDATE, multi_body, prop, text_of

from conftest import login
from extensions import EXTENSION_KEY
from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.services import Actor, correct_value

CORPUS = Path(__file__).resolve().parents[1] / "data" / "spreadsheets"
PREVIEW_OUTPUTS = ["entry-upload-preview.children", "entry-upload-apply.disabled", "entry-upload-checked.data",
                   "entry-upload-result.children"]
OCD = {"ocd-rental-units-repaired", "ocd-homebuyers-assisted", "ocd-vacant-addresses-flooded-tracts",
       "ocd-lmi-benefit-share"}


def data_url(content: bytes) -> str:
    """What dcc.Upload sends as `contents`."""
    return "data:application/octet-stream;base64," + base64.b64encode(content).decode()


def preview(client, name: str, content: bytes):
    """Post the preview callback as the browser does after a file is chosen."""
    body = multi_body(PREVIEW_OUTPUTS, [prop("entry-upload", "contents", data_url(content))],
                      [prop("entry-upload", "filename", name)], changed=["entry-upload.contents"])
    return client.post(UPDATE, json=body)


def apply(client, dash_app, name: str, content: bytes, checked):
    """Post the Apply callback with the file still in the upload component and the preview's store."""
    key = next(k for k in dash_app.callback_map if k.startswith("..entry-upload-result.children@"))
    outputs = key.strip(".").split("...")
    body = multi_body(outputs, [prop("entry-upload-apply", "n_clicks", 1)],
                      [prop("entry-upload", "contents", data_url(content)), prop("entry-upload", "filename", name),
                       prop("entry-upload-checked", "data", checked)], changed=["entry-upload-apply.n_clicks"])
    body["output"] = key
    return client.post(UPDATE, json=body)


def counts(dash_app) -> tuple[int, int]:
    """Measurements and revisions stored now."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        return (session.scalar(select(func.count()).select_from(Measurement)),
                session.scalar(select(func.count()).select_from(Revision)))


def test_an_editor_previews_applies_and_a_second_upload_changes_nothing(client, dash_app):
    login(client, "editor")
    content = (CORPUS / "good_excel.xlsx").read_bytes()
    response = preview(client, "good_excel.xlsx", content).get_json()["response"]
    assert response["entry-upload-apply"]["disabled"] is False
    checked = response["entry-upload-checked"]["data"]
    shown = text_of(response["entry-upload-preview"]["children"])
    assert "4 new" in shown and "Rejected" not in shown and "78.9%" in shown
    assert "Apply to save them" in text_of(response["entry-upload-result"]["children"])
    before = counts(dash_app)
    applied = apply(client, dash_app, "good_excel.xlsx", content, checked).get_json()["response"]
    assert "Saved." in text_of(applied["entry-upload-result"]["children"])
    assert applied["entry-upload-apply"]["disabled"] is True
    assert counts(dash_app) == (before[0] + 4, before[1] + 4)
    again = preview(client, "good_excel.xlsx", content).get_json()["response"]
    assert "4 unchanged" in text_of(again["entry-upload-preview"]["children"])
    assert again["entry-upload-apply"]["disabled"] is True and again["entry-upload-checked"]["data"] is None


def test_editor_a_cannot_import_department_bs_measure_even_by_forcing_apply(client, dash_app):
    login(client, "editor")
    content = (CORPUS / "bad_other_department.csv").read_bytes()
    response = preview(client, "bad_other_department.csv", content).get_json()["response"]
    assert response["entry-upload-apply"]["disabled"] is True
    shown = text_of(response["entry-upload-preview"]["children"])
    assert "bad_other_department.csv, row 6, measure: You may not enter values for" in shown
    assert "1 rejected" in shown and "Nothing can be applied yet" in text_of(response["entry-upload-result"]["children"])
    before = counts(dash_app)
    forced = apply(client, dash_app, "bad_other_department.csv", content,
                   {"fingerprint": "forged", "filename": "bad_other_department.csv"})
    assert forced.status_code == 200
    assert "Nothing was written" in text_of(forced.get_json()["response"]["entry-upload-result"]["children"])
    assert counts(dash_app) == before


def test_a_state_editor_uploading_ocd_figures_has_every_row_rejected(client, dash_app):
    login(client, "state_editor")
    content = (CORPUS / "good_plain.csv").read_bytes()
    response = preview(client, "good_plain.csv", content).get_json()["response"]
    assert response["entry-upload-apply"]["disabled"] is True
    assert "4 rejected" in text_of(response["entry-upload-preview"]["children"])


def test_figures_changed_after_the_preview_are_not_overwritten(client, dash_app):
    login(client, "editor")
    content = b"measure,period,value,note,reason\r\nocd-vacant-addresses-flooded-tracts,2026-10,2710,,Recount done\r\n"
    response = preview(client, "october.csv", content).get_json()["response"]
    checked = response["entry-upload-checked"]["data"]
    assert "1 correction," in text_of(response["entry-upload-preview"]["children"])
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        stored = session.execute(select(Measurement).join(Measure).where(
            Measure.slug == "ocd-vacant-addresses-flooded-tracts", Measurement.period == date(2026, 10, 1))).scalar()
        admin = Actor(id=None, email="admin@example.org", role="admin", department_id=None)
        correct_value(session, admin, measurement_id=stored.id, expected_version=stored.version, value=2720,
                      reason="Admin recount")
        session.commit()
    before = counts(dash_app)
    stale = apply(client, dash_app, "october.csv", content, checked).get_json()["response"]
    assert "changed since this preview" in text_of(stale["entry-upload-result"]["children"])
    assert counts(dash_app) == before
    fresh = stale["entry-upload-checked"]["data"]
    assert fresh and fresh["fingerprint"] != checked["fingerprint"]
    applied = apply(client, dash_app, "october.csv", content, fresh).get_json()["response"]
    assert "Saved." in text_of(applied["entry-upload-result"]["children"])


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("viewer", 403)])
def test_anonymous_and_viewers_are_refused_on_the_server(client, dash_app, who, status):
    if who:
        login(client, who)
    content = (CORPUS / "good_plain.csv").read_bytes()
    before = counts(dash_app)
    assert preview(client, "good_plain.csv", content).status_code == status
    assert apply(client, dash_app, "good_plain.csv", content, {"fingerprint": "x", "filename": "good_plain.csv"}
                 ).status_code == status
    assert counts(dash_app) == before


def test_the_templates_hold_the_editors_measures_for_the_month(client):
    login(client, "editor")
    response = client.get("/entry/template.csv?month=2026-10")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="recoverystat-figures-ocd-2026-10.csv"' in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "measure,name,period,value,note,reason"
    assert {line.split(",")[0] for line in lines[1:]} == OCD
    workbook = load_workbook(io.BytesIO(client.get("/entry/template.xlsx?month=2026-10").data))
    sheet = workbook.worksheets[0]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == OCD


def test_an_admins_template_lists_every_measure(client, dash_app):
    login(client, "admin")
    lines = client.get("/entry/template.csv").data.decode("utf-8-sig").splitlines()
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        assert len(lines) - 1 == session.scalar(select(func.count()).select_from(Measure))
    assert {row["period"] for row in csv.DictReader(lines)} == {"2026-10"}  # the month now due


@pytest.mark.parametrize(("who", "query", "status"), [
    (None, "month=2026-10", 302), ("viewer", "month=2026-10", 403), ("editor", "month=2026-12", 400),
    ("editor", "month=soon", 400),
])
def test_templates_are_refused_to_others_and_for_bad_months(client, who, query, status):
    if who:
        login(client, who)
    for kind in ("csv", "xlsx"):
        response = client.get(f"/entry/template.{kind}?{query}")
        assert response.status_code == status
        if status == 302:
            assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("viewer", 403), ("editor", 200), ("admin", 200)])
def test_the_upload_page_is_for_editors_and_admins(client, who, status):
    if who:
        login(client, who)
    assert client.get("/entry/upload").status_code == status
