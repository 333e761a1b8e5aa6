"""The app when its surroundings misbehave: oversized bodies, a shared cache that goes away, cached private pages."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from test_pages_callbacks import text_of

from conftest import app_config, login, post_callback, post_login, post_logout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_large_anonymous_callback_body_is_refused_unread(client):
    body = b'{"output": "pub-overview.children", "inputs": [], "junk": "' + b"x" * 200_000 + b'"}'
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the 64 kB" in response.get_json()["error"]


def test_a_malformed_callback_body_is_refused_not_a_server_error(client):
    for body in ([1, 2], "text", None, {"output": 5}, {"output": ["a"]}):
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code in (400, 401), (body, response.status_code)


def test_signed_in_responses_are_never_stored_and_public_ones_may_be(client):
    anonymous = client.get("/healthz")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    login(client, "viewer")
    for path in ("/dashboard", "/healthz"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Cookie" in response.headers.get("Vary", ""), path


@pytest.fixture
def own_redis():
    """A Redis server of this test's own on a free port; yields (url, stop)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield f"redis://127.0.0.1:{port}/0", stop
    if process.poll() is None:
        stop()


@pytest.mark.services
def test_the_app_keeps_serving_when_redis_goes_away(db_url, own_redis, caplog):
    from app import create_app

    redis_url, stop_redis = own_redis
    app = create_app(app_config(db_url, REDIS_URL=redis_url, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url,
                                RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_ENABLED=True))
    client = app.server.test_client()
    month = [{"id": "pub-month", "property": "value"}]
    before = post_callback(client, "pub-overview.children", month)
    assert before.status_code == 200
    assert client.get("/healthz").get_json()["cache"] == "ok"

    stop_redis()
    started = time.monotonic()
    after = post_callback(client, "pub-overview.children", month)
    assert after.status_code == 200
    assert text_of(after.get_json()["response"]) == text_of(before.get_json()["response"])
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["cache"] == "unavailable"
    login(client, "viewer")  # the sign-in rate limit falls back to counting in this process
    assert client.get("/dashboard").status_code == 200
    assert time.monotonic() - started < 10, "a dead cache must not make every request wait"
    warnings = [r for r in caplog.records if "shared cache unavailable" in r.getMessage()]
    assert len(warnings) == 1, "the outage is logged once, not on every request"


def test_a_session_cookie_saved_before_sign_out_no_longer_works(client, dash_app):
    login(client, "admin")
    saved = client.get_cookie("session").value
    assert client.get("/review").status_code == 200
    post_logout(client)
    client.set_cookie("session", saved)  # the copy an attacker kept, replayed
    assert client.get("/review").status_code == 302
    refused = post_callback(client, "admin-queue.children", [{"id": "admin-refresh", "property": "n_clicks"},
                                                             {"id": "admin-done", "property": "data"},
                                                             {"id": "admin-filter-department", "property": "value"},
                                                             {"id": "admin-filter-month", "property": "value"}])
    assert refused.status_code == 401


def test_a_password_change_ends_every_session(client, dash_app):
    from sqlalchemy import select

    from conftest import TEST_USERS
    from extensions import EXTENSION_KEY
    from models.accounts import set_password
    from models.org import User

    login(client, "viewer")
    assert client.get("/dashboard").status_code == 200
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        user = session.scalar(select(User).where(User.email == TEST_USERS["viewer"][0]))
        set_password(session, user, "a-brand-new-long-password", actor="admin@example.org")
        session.commit()
    assert client.get("/dashboard").status_code == 302


def test_sessions_are_fresh_at_sign_in_and_expire_when_idle(client, dash_app):
    from datetime import timedelta

    with client.session_transaction() as before:
        before["left-over"] = "from before sign-in"
    login(client, "editor")
    with client.session_transaction() as after:
        assert "left-over" not in after and after.permanent
    assert dash_app.server.permanent_session_lifetime == timedelta(hours=8)


CROSS_SITE = [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
              {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.localhost"}]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_writes_are_refused_and_change_nothing(client, dash_app, headers):
    from test_pages_callbacks import LAST_MONTH, counts, measure_id, multi_body, prop

    login(client, "admin")
    before = counts(dash_app)
    rental = measure_id(dash_app, "ocd-rental-units-repaired")
    body = multi_body(["entry-feedback.children", "entry-saved.data", "entry-reason.value", "entry-value.value",
                       "entry-note.value", "entry-confirm-drop.value"],
                      [prop("entry-save", "n_clicks", 1), prop("entry-value", "n_submit")],
                      [prop("entry-measure", "value", str(rental)), prop("entry-period", "value", LAST_MONTH.isoformat()),
                       prop("entry-value", "value", "5"), prop("entry-note", "value"), prop("entry-reason", "value"),
                       prop("entry-version", "data"), prop("entry-saved", "data", 0),
                       prop("entry-confirm-drop", "value", False)], changed=["entry-save.n_clicks"])
    assert client.post("/_dash-update-component", json=body, headers=headers).status_code == 403
    assert client.post("/logout", headers=headers).status_code == 403
    assert client.post("/login", data={"email": "admin@example.org", "password": "x"}, headers=headers).status_code == 403
    assert counts(dash_app) == before
    assert client.get("/review").status_code == 200, "still signed in: the forged sign-out did nothing"


def test_same_origin_browser_writes_keep_working(client, dash_app):
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    response = post_login(client, {"email": "mayor@example.org", "password": "correct-horse-battery-staple"},
                           headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    ok = post_callback(client, "exec-summary.children", [{"id": "exec-month", "property": "value"},
                                                         {"id": "exec-goal", "property": "value", "value": "all"},
                                                         {"id": "exec-department", "property": "value"}])
    assert ok.status_code == 200
