"""KeptAnswers, in front of Flask: the kept public answers byte for byte, never stale, and nothing else.

Each test makes the overview's answer "hot" (asked three times: Flask builds it, Flask repeats it from its kept
responses, then KeptAnswers repeats that), and counts the requests that reached Flask.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from test_resilience import free_port, own_redis  # noqa: F401  (a fixture)

import data_version
from app import create_app
from callbacks import response_cache
from conftest import app_config, callback_body, login
from extensions import EXTENSION_KEY
from layouts import ids
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.services import Actor, approve_value

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-10-01"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                    "Permissions-Policy")


def overview_body(month: str = MONTH) -> dict:
    """The public page's data callback, as the browser posts it."""
    return callback_body(f"{ids.PUB_OVERVIEW}.children", [{"id": ids.PUB_MONTH, "property": "value", "value": month}])


def ask(client, month: str = MONTH, encoding: str = "gzip", **headers):
    """POST the overview callback; the response."""
    return client.post("/_dash-update-component", json=overview_body(month),
                       headers={"Accept-Encoding": encoding, **headers})


def parts(response) -> tuple[str, list[tuple[str, str]], bytes]:
    """Everything a client receives from the app: status, headers in order, body bytes."""
    return response.status, list(response.headers.items()), response.get_data()


def text(response) -> str:
    """The response's JSON text, decompressed when it came compressed."""
    data = response.get_data()
    return (gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data).decode()


class FlaskCalls:
    """Counts the requests KeptAnswers hands on to Flask."""

    def __init__(self, dash_app):
        self.front = dash_app.server.wsgi_app
        assert isinstance(self.front, response_cache.KeptAnswers)
        self.inner = self.front.app
        self.count = 0

        def counting(environ, start_response):
            self.count += 1
            return self.inner(environ, start_response)

        self.front.app = counting


def shared_prefix(url: str) -> str:
    """The cache prefix every worker of the app on `url` uses (app.load_settings)."""
    return "recoverystat:" + hashlib.sha1(url.encode()).hexdigest()[:10] + ":"


def submitted_figure(dash_app) -> tuple[int, int, str]:
    """(id, version, month) of the latest figure awaiting approval of a published measure of a published goal."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        row = session.execute(
            select(Measurement.id, Measurement.version, Measurement.period)
            .join(Measure, Measure.id == Measurement.measure_id).join(Goal, Goal.id == Measure.goal_id)
            .where(Measurement.state == "submitted", Measure.published.is_(True), Goal.published.is_(True),
                   Measurement.period <= date.fromisoformat(MONTH))
            .order_by(Measurement.period.desc(), Measurement.id)).first()
    assert row is not None, "the seed needs a published figure awaiting approval"
    return row.id, row.version, row.period.isoformat()


ADMIN = Actor(id=None, email="admin@example.org", role="admin", department_id=None)


@pytest.mark.parametrize("encoding", ["gzip", "identity", "gzip, deflate, br"])
def test_a_hot_answer_is_repeated_without_flask_with_the_same_bytes_and_headers(dash_app, client, encoding):
    calls = FlaskCalls(dash_app)
    built, kept, repeated = ask(client, encoding=encoding), ask(client, encoding=encoding), ask(client,
                                                                                                encoding=encoding)
    assert calls.count == 2, "the third request must be answered in front of Flask"
    assert parts(repeated) == parts(kept), "the same status, headers (in order) and bytes as the app's kept answer"
    assert repeated.status_code == 200
    if encoding != "gzip, deflate, br":  # flask-compress may choose brotli for a freshly built answer
        assert text(repeated) == text(built)
        assert sorted(repeated.headers.items()) == sorted(built.headers.items())
    for name in SECURITY_HEADERS:
        assert repeated.headers[name] == built.headers[name], name
    assert {"Accept-Encoding", "Cookie"} <= {v.strip() for v in repeated.headers["Vary"].split(",")}
    assert (repeated.headers.get("Content-Encoding") == "gzip") == encoding.startswith("gzip")
    assert ask(client, encoding=encoding).get_data() == repeated.get_data() and calls.count == 2


def test_the_page_frame_is_repeated_with_the_same_bytes_and_headers(dash_app, client):
    response_cache.clear_local()  # the frame is kept per process, whichever app built it
    calls = FlaskCalls(dash_app)
    built, kept, repeated = (client.get("/", headers={"Accept-Encoding": "gzip"}) for _ in range(3))
    assert calls.count == 2
    assert parts(repeated) == parts(kept)
    assert gzip.decompress(repeated.get_data()) == gzip.decompress(built.get_data())
    assert all(repeated.headers[name] == built.headers[name] for name in SECURITY_HEADERS)


def test_each_month_and_each_data_version_has_its_own_answer(dash_app, client):
    calls = FlaskCalls(dash_app)
    october = [ask(client) for _ in range(3)][-1]
    september = [ask(client, "2026-09-01") for _ in range(3)][-1]
    assert calls.count == 4 and text(october) != text(september)
    assert ask(client, "not a month").get_data() == october.get_data() and calls.count == 4


def test_a_write_through_a_service_is_seen_by_the_very_next_request(dash_app, client):
    figure_id, version, month = submitted_figure(dash_app)
    calls = FlaskCalls(dash_app)
    before = [ask(client, month) for _ in range(3)][-1]
    assert calls.count == 2
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        approve_value(session, ADMIN, measurement_id=figure_id, expected_version=version)
        session.commit()
    after = ask(client, month)
    assert calls.count == 3, "the new data version must send the request to Flask"
    assert text(after) != text(before)
    reference = create_app(app_config(dash_app.server.config["DATABASE_URL"]))  # nothing kept: built afresh
    try:
        assert text(after) == text(ask(reference.server.test_client(), month))
    finally:
        reference.server.extensions[EXTENSION_KEY].engine.dispose()


def test_a_write_committed_by_another_worker_is_seen_by_the_very_next_request(db_url):
    """Two processes as two gunicorn workers (one database, one Redis, one cache prefix): no stale answer."""
    worker = create_app(app_config(db_url, CACHE_KEY_PREFIX=shared_prefix(db_url)))
    try:
        client = worker.server.test_client()
        figure_id, version, month = submitted_figure(worker)
        # The other worker starts (seconds), then waits for the word to write: the copy of the data version the
        # requests below leave in Redis is then seconds younger than its expiry, so only the write can end it.
        other_worker = (
            "import sys\n"
            "from app import server\n"
            "from extensions import EXTENSION_KEY\n"
            "from models.services import Actor, approve_value\n"
            "print('ready', flush=True)\n"
            "sys.stdin.readline()\n"
            "with server.extensions[EXTENSION_KEY].sessions() as session:\n"
            "    approve_value(session, Actor(id=None, email='admin@example.org', role='admin', department_id=None),\n"
            "                  measurement_id=int(sys.argv[1]), expected_version=int(sys.argv[2]))\n"
            "    session.commit()\n"
            "print('done', flush=True)\n")
        env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen([sys.executable, "-c", other_worker, str(figure_id), str(version)], cwd=ROOT,
                                   env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout.readline().strip() == "ready"
            before = [ask(client, month) for _ in range(3)][-1]
            shared = data_version.shared_version(worker.server)
            if shared.client is not None:  # a fresh copy of the version in Redis, as a busy server has
                shared.client.delete(shared.key)
                shared.current()
            started = time.monotonic()
            assert ask(client, month).get_data() == before.get_data()
            process.stdin.write("go\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "done"
            # No timeout: it has said it is done, and a timed wait sleeps through libfaketime under `make test-clock`.
            assert process.wait() == 0
        finally:
            if process.poll() is None:
                process.kill()
        assert time.monotonic() - started < data_version.VERSION_TTL_MS / 1000, "too slow to tell: run it again"
        after = ask(client, month)
        assert text(after) != text(before)
        assert [text(ask(client, month)) for _ in range(2)] == [text(after)] * 2
    finally:
        worker.server.extensions[EXTENSION_KEY].engine.dispose()


def test_requests_it_must_not_answer_go_to_flask_untouched(dash_app, client):
    calls = FlaskCalls(dash_app)
    hot = [ask(client) for _ in range(3)][-1]
    assert calls.count == 2

    def through_flask(response, status: int) -> None:
        nonlocal expected
        expected += 1
        assert calls.count == expected and response.status_code == status, response.get_data(as_text=True)[:300]

    expected = 2
    # Another site's page, however the browser says so: never repeated in front of Flask, whose hooks judge it.
    for cross_site in ({"Origin": "https://elsewhere.example"}, {"Sec-Fetch-Site": "cross-site"},
                       {"Origin": "null"}):
        for _ in range(3):
            refused = ask(client, **cross_site)
            expected += 1
            assert calls.count == expected, cross_site
            # and Flask refuses it before its own kept answers are looked at (they are served after every check)
            assert refused.status_code == 403 and b"another site" in refused.get_data(), cross_site
    # Not a kept output, another content type, a query string, a token: Flask (and the guard) decide.
    exec_body = callback_body("exec-overview.children", [{"id": "exec-month", "property": "value", "value": MONTH}])
    through_flask(client.post("/_dash-update-component", json=exec_body, headers={"Accept-Encoding": "gzip"}), 401)
    through_flask(client.post("/_dash-update-component", data=json.dumps(overview_body()),
                              content_type="text/plain", headers={"Accept-Encoding": "gzip"}), 401)
    through_flask(client.post("/_dash-update-component?x=1", json=overview_body(),
                              headers={"Accept-Encoding": "gzip"}), 200)
    through_flask(ask(client, Authorization="Bearer not-a-token"), 200)
    through_flask(client.post("/_dash-update-component", data=b"{not json", content_type="application/json"), 401)
    # The same site's page, as a browser says it: answered in front of Flask.
    same_site = ask(client, Origin="http://localhost", **{"Sec-Fetch-Site": "same-origin"})
    assert calls.count == expected and parts(same_site) == parts(hot)

    # A signed-in person always goes through Flask (the session is renewed, the answer marked not to be stored),
    # and the body read in front of Flask reaches it whole.
    login(client, "viewer")
    expected = calls.count
    for _ in range(3):
        signed_in = ask(client)
        through_flask(signed_in, 200)
        assert signed_in.headers["Cache-Control"] == "no-store"
        assert text(signed_in) == text(hot)


def test_without_redis_the_answers_are_still_fresh(db_url):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    worker = create_app(app_config(db_url, REDIS_URL=nowhere, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=nowhere))
    try:
        calls = FlaskCalls(worker)
        client = worker.server.test_client()
        figure_id, version, month = submitted_figure(worker)
        before = [ask(client, month) for _ in range(3)][-1]
        assert calls.count == 2 and before.status_code == 200
        with worker.server.extensions[EXTENSION_KEY].sessions() as session:
            approve_value(session, ADMIN, measurement_id=figure_id, expected_version=version)
            session.commit()
        after = ask(client, month)
        assert calls.count == 3 and text(after) != text(before)
    finally:
        worker.server.extensions[EXTENSION_KEY].engine.dispose()


@pytest.mark.services
def test_redis_going_away_after_a_write_never_serves_the_old_answer(db_url, own_redis):  # noqa: F811
    redis_url, stop_redis = own_redis
    worker = create_app(app_config(db_url, REDIS_URL=redis_url, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url))
    try:
        client = worker.server.test_client()
        figure_id, version, month = submitted_figure(worker)
        before = [ask(client, month) for _ in range(3)][-1]
        stop_redis()
        with worker.server.extensions[EXTENSION_KEY].sessions() as session:
            approve_value(session, ADMIN, measurement_id=figure_id, expected_version=version)
            session.commit()
        after = ask(client, month)
        assert after.status_code == 200 and text(after) != text(before)
    finally:
        worker.server.extensions[EXTENSION_KEY].engine.dispose()


def test_a_reader_cannot_put_back_a_version_older_than_a_committed_write(db_url):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("this test needs REDIS_URL")
    worker = create_app(app_config(db_url, CACHE_KEY_PREFIX=f"recoverystat-test-{uuid.uuid4().hex}:"))
    try:
        shared = data_version.shared_version(worker.server)
        client = shared.client
        assert client is not None
        first = shared.current()
        assert int(client.get(shared.key)) == first and 0 < client.pttl(shared.key) <= data_version.VERSION_TTL_MS

        # A reader finds no copy and reads the database; a write commits before it stores what it read.
        client.delete(shared.key)
        _, generation = client.mget(shared.key, shared.generation_key)
        stale = shared.read_database()
        with worker.server.extensions[EXTENSION_KEY].sessions() as session:
            from models.audit import bump_data_version

            bump_data_version(session)
            session.commit()
        assert shared._store(keys=[shared.key, shared.generation_key],
                             args=[generation or b"", stale, data_version.VERSION_TTL_MS]) == 0
        assert client.get(shared.key) is None
        assert shared.current() == stale + 1 == shared.read_database()
    finally:
        worker.server.extensions[EXTENSION_KEY].engine.dispose()
