"""Bad input everywhere a person types, driven by Hypothesis through the real callback endpoint.

Values, notes and reasons typed into the month grid, and residents' reports, are drawn from the nastiest inputs
(non-numbers, NaN, +-inf, 1e309, huge integers, unicode digits, right-to-left text, long strings, HTML and script,
formula-injection strings, control characters). Whatever is typed: never a server error; a refused save changes no
row; an accepted figure is exactly what the one value parser understood; text is stored as typed (never run).
"""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conftest import app_config, login
from extensions import EXTENSION_KEY
from models.audit import AuditEvent, current_data_version
from models.catalog import Measure
from models.errors import ValidationError
from models.feedback import Feedback
from models.feedback import _clean_text as clean_text
from models.measurements import Measurement, Revision
from models.values import parse_figure

MONTH = "2026-11-01"  # the month now open for entry (the test clock is 2026-11-20)
NASTY_TEXT = st.sampled_from([
    "NaN", "nan", "-inf", "inf", "Infinity", "1e309", "-1e309", "9" * 400, "0x1F", "1_000", "١٢٣", "１２３",
    "\u202e123\u202c", "\u200f45", "12.430,5", "1 234", "$1.2M", "45%", "-0", "+7", " ", "\t", "\x00", "12\x0034",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0",
    "@SUM(1+1)", "-2+3", "𝟙𝟚𝟛", "½", "Ⅻ", "\u0661\u066b\u0665", "1,2,3", "1..2", "--5", "∞", "—", "null", "None",
    "true", "[]", "{}", "0" * 2000, "x" * 5000,
])
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=300), st.just("ن" * 3000))


def _count(session, entity) -> int:
    return session.scalar(select(func.count()).select_from(entity))


def _fingerprint(session) -> str:
    """A digest of every stored figure, revision count, audit count and the data version."""
    rows = session.execute(select(Measurement.id, Measurement.value, Measurement.state, Measurement.version,
                                  Measurement.note).order_by(Measurement.id)).all()
    summary = repr((rows, _count(session, Revision), _count(session, AuditEvent), current_data_version(session)))
    return hashlib.sha256(summary.encode()).hexdigest()


def _key(app, first_output: str, second_output: str | None = None) -> str:
    for key in app.callback_map:
        if first_output in key and (second_output is None or second_output in key):
            return key
    raise AssertionError(f"no callback writes {first_output}")


@pytest.fixture(scope="module")
def sweep_app(templates):
    """One seeded app (SQLite) for the whole sweep; every example checks its own before/after."""
    from app import create_app

    url, cleanup = templates.clone("sqlite", True)
    app = create_app(app_config(url))
    yield app
    app.server.extensions[EXTENSION_KEY].engine.dispose()
    cleanup()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=TEXT, note=TEXT, reason=TEXT)
def test_whatever_is_typed_into_the_grid_nothing_breaks_and_a_refusal_changes_nothing(sweep_app, value, note, reason):
    client = sweep_app.server.test_client()
    login(client, "editor")
    sessions = sweep_app.server.extensions[EXTENSION_KEY].sessions
    key = _key(sweep_app, "entry-grid.rowData", "entry-grid-feedback.children")
    rows = client.post("/_dash-update-component", json={
        "output": next(k for k in sweep_app.callback_map if k.startswith("entry-grid.rowData")
                       and sweep_app.callback_map[k]["inputs"][0]["id"] == "entry-grid-month"),
        "outputs": {"id": "entry-grid", "property": "rowData"},
        "inputs": [{"id": "entry-grid-month", "property": "value", "value": MONTH}], "state": [],
        "changedPropIds": ["entry-grid-month.value"]}).get_json()["response"]["entry-grid"]["rowData"]
    # The first measure with no figure this month gets a new value; when all have one, the typed value corrects one.
    target = next((row for row in rows if not row["value"]), rows[len(value) % len(rows)])
    typed = [{**row, "value": value, "note": note, "reason": reason} if row is target else {**row, "value": ""}
             for row in rows]
    with sessions() as session:
        before = _fingerprint(session)
        measure = session.get(Measure, target["measure_id"])
        unit, decimals = measure.unit, measure.decimals
        old = session.execute(select(Measurement.value, Measurement.version).where(
            Measurement.measure_id == target["measure_id"], Measurement.period == MONTH)).first()
    response = client.post("/_dash-update-component", json={
        "output": key,
        "outputs": [{"id": "entry-grid", "property": "rowData"}, {"id": "entry-grid-feedback", "property": "children"}],
        "inputs": [{"id": "entry-grid-save", "property": "n_clicks", "value": 1}],
        "state": [{"id": "entry-grid-month", "property": "value", "value": MONTH},
                  {"id": "entry-grid", "property": "rowData", "value": typed}],
        "changedPropIds": ["entry-grid-save.n_clicks"]})
    assert response.status_code in (200, 204, 413), response.get_data(as_text=True)[:300]
    body = response.get_data(as_text=True)
    with sessions() as session:
        new = session.execute(select(Measurement.value, Measurement.version, Measurement.note).where(
            Measurement.measure_id == target["measure_id"], Measurement.period == MONTH)).first()
        try:
            understood = parse_figure(value, unit=unit, decimals=decimals).value
        except ValidationError:
            understood = None
        if new is None or (old is not None and tuple(new[:2]) == tuple(old)):
            assert _fingerprint(session) == before, "a refused save changed something"
            assert "Saved " not in body or "Nothing was saved" in body
            if not str(value).strip():
                assert "nothing to save yet" in body
        else:
            assert understood is not None and new.value == pytest.approx(understood), (value, new.value)
            assert new.note in (None, note.strip(), note), "notes are stored as typed"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=TEXT, email=st.one_of(NASTY_TEXT, st.emails(), st.just("")))
def test_whatever_a_resident_reports_nothing_breaks_and_text_is_kept_as_text(sweep_app, message, email):
    client = sweep_app.server.test_client()
    sessions = sweep_app.server.extensions[EXTENSION_KEY].sessions
    key = _key(sweep_app, "pub-report-result.children")
    with sessions() as session:
        before = _count(session, Feedback)
    response = client.post("/_dash-update-component", json={
        "output": key,
        "outputs": [{"id": "pub-report-result", "property": "children"},
                    {"id": "pub-report-message", "property": "value"}],
        "inputs": [{"id": "pub-report-send", "property": "n_clicks", "value": 1}],
        "state": [{"id": "pub-report-measure", "property": "data", "value": "rla-homeowners-awarded-ebr"},
                  {"id": "pub-report-month", "property": "value", "value": "2026-10-01"},
                  {"id": "pub-report-message", "property": "value", "value": message},
                  {"id": "pub-report-email", "property": "value", "value": email}],
        "changedPropIds": ["pub-report-send.n_clicks"]})
    assert response.status_code in (200, 204, 413, 429), response.get_data(as_text=True)[:300]
    with sessions() as session:
        after = _count(session, Feedback)
        if after > before:
            newest = session.scalar(select(Feedback).order_by(Feedback.id.desc()).limit(1))
            assert newest.message == clean_text(message), "a report is stored as typed (less control characters)"
        assert after - before in (0, 1)
