"""The write API for partner systems, POST /api/v1/measures/<slug>/values, through the Flask test client.

Same rules as the month grid (save_figures), all or nothing, token only (never a cookie), and every refusal leaves
every row as it was. Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from conftest import TEST_USERS, app_config, login
from models.audit import AuditEvent, DataVersion
from models.base import make_engine
from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.org import ApiToken, User
from models.services import Actor
from models.tokens import create_token, new_secret, revoke_token

PLAIN = "ocd-vacant-addresses-flooded-tracts"  # OCD, a count, not a running total, October 2026 stored (2,705)
PERCENT = "ocd-lmi-benefit-share"  # OCD, percent with one decimal, 0 to 100
STATE_MEASURE = "rla-homeowners-awarded-ebr"  # the state recovery office's
URL = "/api/v1/measures/{}/values"
NOVEMBER, OCTOBER = "2026-11", "2026-10"


def _engine_session(db_url: str):
    engine = make_engine(db_url)
    return engine, Session(engine)


def make_token(db_url: str, who: str, name: str = "Partner system") -> str:
    """A fresh token of one of the seeded test accounts, created through the service."""
    engine, session = _engine_session(db_url)
    with session:
        user = session.scalar(select(User).where(User.email == TEST_USERS[who][0]))
        _, secret = create_token(session, user, name, actor="test")
        session.commit()
    engine.dispose()
    return secret


def state(db_url: str) -> dict[str, Any]:
    """Every stored figure, the revision count and the data version: what a refused write must leave as it was."""
    engine, session = _engine_session(db_url)
    with session:
        table = Measurement.__table__
        rows = sorted(tuple(row) for row in session.execute(
            select(table.c.id, table.c.measure_id, table.c.period, table.c.value, table.c.state, table.c.version,
                   table.c.note)))
        result = {"rows": rows, "revisions": len(session.scalars(select(Revision.id)).all()),
                  "version": session.scalar(select(DataVersion.version))}
    engine.dispose()
    return result


def stored(db_url: str, slug: str, period: date) -> Measurement | None:
    engine, session = _engine_session(db_url)
    with session:
        found = session.scalar(select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
                               .where(Measure.slug == slug, Measurement.period == period))
        if found is not None:
            _ = found.entered_by
    engine.dispose()
    return found


def post(client, slug: str, body: Any, token: str | None, **headers):
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {token}")
    return client.post(URL.format(slug), json=body, headers=headers)


def check_documented(client, response) -> None:
    """The answer's status and body are those the OpenAPI document gives for the POST."""
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/measures/{slug}/values"]["post"]
    status = str(response.status_code)
    assert status in operation["responses"], f"undocumented status {status}"
    schema = {**operation["responses"][status]["content"]["application/json"]["schema"],
              "components": document["components"]}
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(response.get_json()))
    assert not errors, "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


# --- success --------------------------------------------------------------------------------------------------


def test_a_new_value_is_stored_awaiting_approval(client, db_url):
    token = make_token(db_url, "editor")
    response = post(client, PLAIN, {"period": NOVEMBER, "value": 2710, "note": "From the November survey"}, token)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"measure": PLAIN, "count": 1, "values": [
        {"period": NOVEMBER, "value": 2710, "state": "submitted", "outcome": "new", "version": 1}]}
    assert response.headers["Cache-Control"] == "no-store"
    check_documented(client, response)
    saved = stored(db_url, PLAIN, date(2026, 11, 1))
    assert saved is not None and saved.value == 2710 and saved.state == "submitted"
    assert saved.note == "From the November survey" and saved.entered_by.email == TEST_USERS["editor"][0]
    # Awaiting approval: the public read API does not show it.
    public = client.get(URL.format(PLAIN) + "?from=2026-11").get_json()
    assert public["count"] == 0
    engine, session = _engine_session(db_url)
    with session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "api.values"))
        assert event is not None and event.actor == TEST_USERS["editor"][0]
        assert event.after == {"measure": PLAIN, "new": 1, "correction": 0, "unchanged": 0, "periods": ["2026-11-01"]}
    engine.dispose()


def test_a_list_mixes_new_values_corrections_with_a_reason_and_unchanged_ones(client, db_url):
    token = make_token(db_url, "editor")
    october = stored(db_url, PLAIN, date(2026, 10, 1))
    assert october is not None and october.value == 2705
    body = [{"period": NOVEMBER, "value": 2699},
            {"period": OCTOBER, "value": 2701, "reason": "The October survey was re-counted"}]
    response = post(client, PLAIN, body, token)
    assert response.status_code == 201, response.get_json()
    values = response.get_json()["values"]
    assert [(v["period"], v["outcome"], v["state"], v["version"]) for v in values] == [
        (OCTOBER, "correction", "submitted", october.version + 1), (NOVEMBER, "new", "submitted", 1)]
    corrected = stored(db_url, PLAIN, date(2026, 10, 1))
    assert corrected.value == 2701 and corrected.state == "submitted" and corrected.version == october.version + 1
    engine, session = _engine_session(db_url)
    with session:
        revision = session.scalar(select(Revision).where(Revision.measurement_id == corrected.id,
                                                         Revision.action == "correct"))
        assert revision.old_value == 2705 and revision.reason == "The October survey was re-counted"
    engine.dispose()
    # Sending the same figures again changes nothing.
    before = state(db_url)
    again = post(client, PLAIN, body, token)
    assert again.status_code == 201
    assert [v["outcome"] for v in again.get_json()["values"]] == ["unchanged", "unchanged"]
    assert state(db_url) == before


def test_percent_values_keep_the_measures_decimals(client, db_url):
    token = make_token(db_url, "editor")
    response = post(client, PERCENT, [{"period": NOVEMBER, "value": 45, "note": "New survey method"}], token)
    assert response.status_code == 201 and response.get_json()["values"][0]["value"] == 45
    refused = post(client, PERCENT, {"period": "2026-09", "value": 45.25, "reason": "More precise figure"}, token)
    assert refused.status_code == 422 and "1 decimal" in refused.get_json()["errors"][0]["message"]


def test_an_admin_token_writes_any_departments_measure(client, db_url):
    token = make_token(db_url, "admin")
    response = post(client, STATE_MEASURE, {"period": NOVEMBER, "value": 6880, "note": "Two months of awards"}, token)
    assert response.status_code == 201
    assert stored(db_url, STATE_MEASURE, date(2026, 11, 1)).state == "submitted"


def test_last_used_time_is_kept(client, db_url):
    token = make_token(db_url, "editor")
    engine, session = _engine_session(db_url)
    with session:
        assert session.scalar(select(ApiToken.last_used_at)) is None
    assert post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token).status_code == 201
    with session:
        first = session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token)
    with session:
        assert session.scalar(select(ApiToken.last_used_at)) >= first
    engine.dispose()


def test_the_secret_is_never_stored_only_its_hash(client, db_url):
    token = make_token(db_url, "editor")
    assert post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token).status_code == 201
    engine = make_engine(db_url)
    with engine.connect() as conn:
        from models.base import Base

        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                assert token not in " ".join(str(cell) for cell in row), f"the token is stored in {table.name}"
                assert token[3:] not in " ".join(str(cell) for cell in row), f"the token is stored in {table.name}"
    engine.dispose()


def test_the_read_api_on_the_same_address_still_answers(client, db_url):
    response = client.get(URL.format(PLAIN))
    assert response.status_code == 200 and response.get_json()["measure"] == PLAIN
    put = client.put(URL.format(PLAIN))
    assert put.status_code == 405 and "POST" in put.headers["Allow"] and "GET" in put.headers["Allow"]


# --- refusals: nothing is written ----------------------------------------------------------------------------


REFUSED_VALUES = [
    ("a month not started", [{"period": "2026-12", "value": 10}], "period", "has not started"),
    ("before the baseline", [{"period": "2016-01", "value": 10}], "period", "baseline"),
    ("outside the valid range", [{"period": NOVEMBER, "value": 60001}], "value", "outside the valid range"),
    ("a fraction of a count", [{"period": NOVEMBER, "value": 10.5}], "value", "whole"),
    ("a text for the value", [{"period": NOVEMBER, "value": "2,710"}], "value", "JSON number"),
    ("a missing value", [{"period": NOVEMBER}], "value", "JSON number"),
    ("a malformed month", [{"period": "11/2026", "value": 10}], "period", "YYYY-MM"),
    ("an unknown field", [{"period": NOVEMBER, "value": 10, "comment": "x"}], "comment", "Unknown field"),
    ("a month sent twice", [{"period": NOVEMBER, "value": 10}, {"period": NOVEMBER, "value": 11}], "period",
     "sent twice"),
    ("a correction without a reason", [{"period": NOVEMBER, "value": 10}, {"period": OCTOBER, "value": 2701}],
     "reason", "Give a reason"),
    ("a stale version", [{"period": NOVEMBER, "value": 10}, {"period": OCTOBER, "value": 2701, "version": 99,
                                                            "reason": "Re-counted"}], "version", "2,705"),
    ("a note too long", [{"period": NOVEMBER, "value": 10, "note": "x" * 2001}], "note", "at most 2,000"),
    ("a value that is not an object", [{"period": NOVEMBER, "value": 10}, 42], "value", "JSON object"),
]


def test_refused_values_get_422_with_a_message_each_and_nothing_is_written(client, db_url):
    token = make_token(db_url, "editor")
    before = state(db_url)
    for label, body, field, message in REFUSED_VALUES:
        response = post(client, PLAIN, body, token)
        assert response.status_code == 422, (label, response.get_json())
        answer = response.get_json()
        assert answer["error"] == "invalid_values" and "Nothing was written" in answer["message"], label
        refused = [e for e in answer["errors"] if e["field"] == field]
        assert refused and message in refused[0]["message"], (label, answer["errors"])
        check_documented(client, response)
        assert state(db_url) == before, f"{label}: a refused request changed the database"


def test_a_running_total_that_falls_needs_a_confirmation_and_a_note(client, db_url):
    token = make_token(db_url, "editor")
    before = state(db_url)
    falls = post(client, "ocd-rental-units-repaired", {"period": NOVEMBER, "value": 400}, token)
    assert falls.status_code == 422 and falls.get_json()["errors"][0]["field"] == "confirm_drop"
    assert "\"confirm_drop\": true" in falls.get_json()["errors"][0]["message"]
    assert state(db_url) == before
    confirmed = post(client, "ocd-rental-units-repaired", {"period": NOVEMBER, "value": 400, "confirm_drop": True,
                                                          "note": "Twelve units were withdrawn from the programme"},
                     token)
    assert confirmed.status_code == 201, confirmed.get_json()


@pytest.mark.parametrize("content_type, data, status", [
    ("application/json", "{not json", 400),
    ("application/json", "42", 400),
    ("application/json", "[]", 400),
    ("application/json", "null", 400),
    ("text/plain", '{"period": "2026-11", "value": 10}', 415),
    ("application/x-www-form-urlencoded", "period=2026-11&value=10", 415),
])
def test_bodies_that_are_not_json_values_are_refused(client, db_url, content_type, data, status):
    token = make_token(db_url, "editor")
    before = state(db_url)
    response = client.post(URL.format(PLAIN), data=data, content_type=content_type,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_json()
    check_documented(client, response)
    assert state(db_url) == before


def test_too_many_values_in_one_request_are_refused(client, db_url):
    token = make_token(db_url, "editor")
    body = [{"period": f"{2000 + i // 12}-{i % 12 + 1:02d}", "value": 1} for i in range(241)]
    response = post(client, PLAIN, body, token)
    assert response.status_code == 400 and "at most 240" in response.get_json()["message"]


def test_an_unknown_slug_gets_the_read_apis_404(client, db_url):
    token = make_token(db_url, "editor")
    response = post(client, "no-such-measure", {"period": NOVEMBER, "value": 1}, token)
    assert response.status_code == 404
    assert response.get_json() == client.get(URL.format("no-such-measure")).get_json()
    check_documented(client, response)


# --- the token matrix -----------------------------------------------------------------------------------------


def _revoked(db_url: str) -> str:
    secret = make_token(db_url, "editor")
    engine, session = _engine_session(db_url)
    with session:
        token = session.scalar(select(ApiToken))
        editor = session.get(User, token.user_id)
        revoke_token(session, Actor.of(editor), token.id)
        session.commit()
    engine.dispose()
    return secret


def _of_deactivated_user(db_url: str) -> str:
    secret = make_token(db_url, "editor")
    engine, session = _engine_session(db_url)
    with session:
        session.execute(update(User).where(User.email == TEST_USERS["editor"][0]).values(active=False))
        session.commit()
    engine.dispose()
    return secret


def _of_viewer(db_url: str) -> str:
    """A token made while its owner was an editor, whose account is now a viewer's."""
    secret = make_token(db_url, "editor")
    engine, session = _engine_session(db_url)
    with session:
        session.execute(update(User).where(User.email == TEST_USERS["editor"][0])
                        .values(role="viewer", department_id=None))
        session.commit()
    engine.dispose()
    return secret


TOKEN_MATRIX = {
    "missing": (lambda db_url: None, {}, 401),
    "malformed": (lambda db_url: "not-a-token", {}, 401),
    "basic scheme": (lambda db_url: None, {"Authorization": "Basic ZWRpdG9yOnBhc3N3b3Jk"}, 401),
    "bearer without token": (lambda db_url: None, {"Authorization": "Bearer "}, 401),
    "unknown": (lambda db_url: new_secret(), {}, 401),
    "revoked": (_revoked, {}, 401),
    "deactivated user": (_of_deactivated_user, {}, 401),
    "another department's editor": (lambda db_url: make_token(db_url, "state_editor"), {}, 403),
    "viewer": (_of_viewer, {}, 403),
}


@pytest.mark.parametrize("case", list(TOKEN_MATRIX))
def test_token_matrix_each_refusal_changes_no_row(client, db_url, case):
    make, headers, status = TOKEN_MATRIX[case]
    token = make(db_url)
    before = state(db_url)
    response = post(client, PLAIN, [{"period": NOVEMBER, "value": 2710},
                                    {"period": OCTOBER, "value": 2701, "reason": "Re-counted"}], token, **headers)
    assert response.status_code == status, response.get_json()
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    check_documented(client, response)
    assert state(db_url) == before


def test_a_signed_in_browser_session_cannot_write_here(client, db_url):
    """Token only: the editor's own cookie is refused, same-site or not; a token works without any cookie."""
    login(client, "editor")
    before = state(db_url)
    response = client.post(URL.format(PLAIN), json={"period": NOVEMBER, "value": 2710})
    assert response.status_code == 401 and "API tokens only" in response.get_json()["message"]
    cross_site = client.post(URL.format(PLAIN), json={"period": NOVEMBER, "value": 2710},
                             headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    assert state(db_url) == before


def test_a_partner_system_without_cookies_is_not_taken_for_a_cross_site_page(dash_app, db_url):
    token = make_token(db_url, "editor")
    fresh = dash_app.server.test_client(use_cookies=False)
    response = fresh.post(URL.format(PLAIN), json={"period": NOVEMBER, "value": 2710},
                          headers={"Authorization": f"Bearer {token}", "Origin": "https://partner.example"})
    assert response.status_code == 201, response.get_json()


def test_requests_are_rate_limited_per_token(db_url):
    from app import create_app

    app = create_app(app_config(db_url, RATELIMIT_ENABLED=True, API_WRITE_RATE_LIMIT="2 per minute"))
    client = app.server.test_client()
    token, other = make_token(db_url, "editor", "One"), make_token(db_url, "editor", "Two")
    statuses = [post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token)
    assert limited.status_code == 429 and limited.get_json()["error"] == "too_many_requests"
    assert post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, other).status_code == 201
    from extensions import EXTENSION_KEY

    app.server.extensions[EXTENSION_KEY].engine.dispose()


def test_the_openapi_document_describes_the_write_with_bearer_auth(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/measures/{slug}/values"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {"201", "400", "401", "403", "404", "415", "422", "429"} <= set(operation["responses"])
    assert "get" in document["paths"]["/api/v1/measures/{slug}/values"]


def test_a_bearer_header_does_not_exempt_a_cookie_post_elsewhere_from_the_cross_site_check(client, db_url):
    """Only the token-authenticated API skips the cross-site check; a callback or the sign-out form does not."""
    login(client, "editor")
    forged = {"Authorization": "Bearer " + new_secret(), "Origin": "https://elsewhere.example",
              "Sec-Fetch-Site": "cross-site"}
    assert client.post("/logout", headers=forged).status_code == 403
    callback = {"output": "entry-token-list.children", "outputs": {"id": "entry-token-list", "property": "children"},
                "inputs": [{"id": "entry-token-changed", "property": "data", "value": 1}], "state": [],
                "changedPropIds": ["entry-token-changed.data"]}
    assert client.post("/_dash-update-component", json=callback).status_code == 200  # same site: allowed
    assert client.post("/_dash-update-component", json=callback, headers=forged).status_code == 403


def test_an_oversized_body_is_refused_unread(client, db_url):
    token = make_token(db_url, "editor")
    before = state(db_url)
    body = [{"period": NOVEMBER, "value": 1, "note": "x" * 2000}] * 300
    response = post(client, PLAIN, body, token)
    assert response.status_code == 413 and "larger than" in response.get_json()["error"]
    assert state(db_url) == before


ROLE_MATRIX = {"anonymous": (None, 401), "editor of the measure's department": ("editor", 201),
               "editor of another department": ("state_editor", 403), "admin": ("admin", 201)}


@pytest.mark.parametrize("role", list(ROLE_MATRIX))
def test_role_matrix_for_the_write_api(client, db_url, role):
    """Who may send a value for an OCD measure (a viewer's token is in the token matrix above: viewers get none)."""
    who, status = ROLE_MATRIX[role]
    token = make_token(db_url, who) if who else None
    before = state(db_url)
    response = post(client, PLAIN, {"period": NOVEMBER, "value": 2710}, token)
    assert response.status_code == status, response.get_json()
    if status == 201:
        assert stored(db_url, PLAIN, date(2026, 11, 1)).state == "submitted"
    else:
        assert state(db_url) == before


def test_no_other_site_may_send_a_token_from_a_browser(client):
    """A page elsewhere would need a CORS preflight for POST with Authorization; it is not granted."""
    response = client.options(URL.format(PLAIN), headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert "POST" not in response.headers.get("Access-Control-Allow-Methods", "")
    assert "authorization" not in response.headers.get("Access-Control-Allow-Headers", "").lower()


def test_a_month_stored_by_a_simultaneous_request_answers_409_and_keeps_nothing(client, db_url, monkeypatch):
    """The unique key catches a month another request inserted after this one read: 409, this request's rows gone."""
    from sqlalchemy.exc import IntegrityError

    import models.partner

    real = models.partner.save_figures
    calls = []

    def racing(session, actor, *, period, rows, today=None):
        calls.append(period)
        if len(calls) == 2:  # the first month was written in this transaction; the second loses the race
            raise IntegrityError("INSERT INTO measurement ...", {}, Exception("duplicate key (measure_id, period)"))
        return real(session, actor, period=period, rows=rows, today=today)

    monkeypatch.setattr(models.partner, "save_figures", racing)
    token = make_token(db_url, "editor")
    before = state(db_url)
    response = post(client, PLAIN, [{"period": NOVEMBER, "value": 2710}, {"period": "2026-09", "value": 2700,
                                                                         "reason": "Re-counted"}], token)
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    check_documented(client, response)
    assert state(db_url) == before
