"""Residents' reports: sent without an account from the public form, length- and rate-limited, audited, listed and
resolved by admins, the public reply shown with the measure and nothing a resident typed ever rendered as HTML."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from conftest import app_config, login
from models.audit import AuditEvent, current_data_version
from models.base import make_engine, make_session_factory
from models.feedback import MAX_MESSAGE_LENGTH, Feedback
from models.queries import public_replies

UPDATE = "/_dash-update-component"
MEASURE = "ocd-rental-units-repaired"
SEND_OUTPUTS = "..pub-report-result.children...pub-report-message.value.."
RESOLVE_OUTPUTS = "..admin-reports-result.children...admin-reports-done.data.."
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script> The October figure is double September\'s.'


def send(client, message, *, measure=MEASURE, month="2026-09-01", email=None, address="127.0.0.1"):
    body = {
        "output": SEND_OUTPUTS,
        "outputs": [{"id": "pub-report-result", "property": "children"}, {"id": "pub-report-message", "property": "value"}],
        "inputs": [{"id": "pub-report-send", "property": "n_clicks", "value": 1}],
        "state": [{"id": "pub-report-measure", "property": "data", "value": measure},
                  {"id": "pub-report-month", "property": "value", "value": month},
                  {"id": "pub-report-message", "property": "value", "value": message},
                  {"id": "pub-report-email", "property": "value", "value": email}],
        "changedPropIds": ["pub-report-send.n_clicks"],
    }
    return client.post(UPDATE, json=body, environ_base={"REMOTE_ADDR": address})


def result_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.dumps(response.get_json()["response"]["pub-report-result"]["children"])


def reports_list(client, show="open"):
    body = {"output": "admin-reports.children", "outputs": {"id": "admin-reports", "property": "children"},
            "inputs": [{"id": "admin-reports-show", "property": "value", "value": show},
                       {"id": "admin-reports-done", "property": "data", "value": 0}],
            "state": [], "changedPropIds": ["admin-reports-show.value"]}
    return client.post(UPDATE, json=body)


def resolve(client, feedback_ids, pressed, reply):
    body = {
        "output": RESOLVE_OUTPUTS,
        "outputs": [{"id": "admin-reports-result", "property": "children"}, {"id": "admin-reports-done", "property": "data"}],
        "inputs": [[{"id": {"type": "admin-report-resolve", "id": i}, "property": "n_clicks", "value": int(i == pressed)}
                    for i in feedback_ids]],
        "state": [[{"id": {"type": "admin-report-reply", "id": i}, "property": "value",
                    **({"value": reply} if i == pressed else {})} for i in feedback_ids],
                  {"id": "admin-reports-done", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps({"id": pressed, "type": "admin-report-resolve"}, separators=(",", ":"))
                           + ".n_clicks"],
    }
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


def types(node) -> set[str]:
    """Every component type in a rendered component tree."""
    if isinstance(node, list):
        return {t for n in node for t in types(n)}
    if isinstance(node, dict) and "type" in node:
        return {node["type"]} | types(node.get("props", {}).get("children"))
    return set()


def stored(db_url) -> list[Feedback]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        items = list(session.scalars(select(Feedback).order_by(Feedback.id)))
        session.expunge_all()
    engine.dispose()
    return items


def test_a_resident_reports_without_an_account_and_an_admin_resolves_with_a_public_reply(client, db_url, dash_app):
    response = send(client, HOSTILE, email="resident@example.net")
    assert "Thank you" in result_text(response)
    assert response.get_json()["response"]["pub-report-message"]["value"] == "", "a sent report clears the box"
    (item,) = stored(db_url)
    assert item.message == HOSTILE and item.email == "resident@example.net" and item.state == "open"
    assert item.period.isoformat() == "2026-09-01"

    assert reports_list(client).status_code == 401, "anonymous people cannot read reports"
    login(client, "editor")
    assert reports_list(client).status_code == 403, "editors cannot read reports"
    login(client, "admin")
    listed = reports_list(client)
    assert listed.status_code == 200
    tree = listed.get_json()["response"]["admin-reports"]["children"]
    # The resident's words come back as one plain string child (React renders it as text), never as components.
    assert HOSTILE in strings(tree)
    assert not {"Img", "Script", "Markdown", "HtmlBlock"} & types(tree)

    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        version_before = current_data_version(session)
    answer = resolve(client, [item.id], item.id, "Thank you: the October figure was entered twice. <b>Fixed</b>.")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert "Resolved report" in json.dumps(answer.get_json()["response"]["admin-reports-result"]["children"])
    with make_session_factory(engine)() as session:
        assert current_data_version(session) > version_before, "a public reply must refresh cached pages"
        (reply,) = public_replies(session, MEASURE)
        assert reply.reply == "Thank you: the October figure was entered twice. <b>Fixed</b>."
        assert reply.period.isoformat() == "2026-09-01"
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "feedback")
                                       .order_by(AuditEvent.id)))
        assert actions == ["feedback.submit", "feedback.resolve"]
        submitted = session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.submit"))
        assert submitted.actor == "anonymous" and "resident@example.net" not in json.dumps(submitted.after)
    engine.dispose()
    assert stored(db_url)[0].state == "resolved"
    assert "No reports to show" in reports_list(client).get_data(as_text=True)
    again = resolve(client, [item.id], item.id, "twice")
    assert "already resolved" in json.dumps(again.get_json()["response"])


@pytest.mark.parametrize(("message", "email", "expected"), [
    ("", None, "at least a few words"),
    ("bad", None, "at least a few words"),
    ("x" * (MAX_MESSAGE_LENGTH + 1), None, "1,000 characters or fewer"),
    ("The September figure looks wrong.", "not-an-address", "does not look complete"),
])
def test_a_report_that_cannot_be_sent_says_why_and_keeps_the_text(client, db_url, message, email, expected):
    response = send(client, message, email=email)
    assert expected in result_text(response)
    assert "value" not in response.get_json()["response"].get("pub-report-message", {}), "the typed text is kept"
    assert stored(db_url) == []


def test_reports_about_hidden_measures_are_refused_like_unknown_ones(client, db_url):
    for slug in ("sba-ebr-home-loans-current", "no-such-measure"):
        assert "not published" in result_text(send(client, "This number looks wrong to me.", measure=slug))
    assert stored(db_url) == []


def test_reports_are_rate_limited_per_address(db_url):
    from app import create_app
    from extensions import EXTENSION_KEY

    app = create_app(app_config(db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    try:
        client = app.server.test_client()
        texts = [result_text(send(client, f"Report number {n}: this looks wrong.")) for n in range(6)]
        assert all("Thank you" in t for t in texts[:5])
        assert "Many reports have come from your connection" in texts[5]
        response = send(app.server.test_client(), "A different address is not limited.", address="10.0.0.9")
        assert "Thank you" in result_text(response)
    finally:
        app.server.extensions[EXTENSION_KEY].engine.dispose()
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 6, "the refused report was not stored"
    engine.dispose()
