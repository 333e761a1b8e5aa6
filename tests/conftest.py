"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), seeded copies, apps.

Every database fixture yields a fresh, isolated database: a SQLite file copied from a seeded template, or a
PostgreSQL database cloned from a seeded template database, so tests never see each other's writes.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
SEED_FOLDER = ROOT / "data" / "seed"

# Importing `app` builds the module-level app; keep it away from the developer's database and secret.
_SCRATCH = Path(tempfile.mkdtemp(prefix="recoverystat-tests-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["DATABASE_URL"] = f"sqlite:///{_SCRATCH / 'module-app.db'}"
# Every test judges the seed data (values through October 2026) on one fixed day, whatever the machine's clock says;
# the environment variable carries it to CLI subprocesses and the app's own reading of the clock.
TEST_TODAY = "2026-11-20"
os.environ["RECOVERYSTAT_TODAY"] = TEST_TODAY

from models import (  # noqa: E402,F401
    audit,
    catalog,
    clock,
    feedback,
    measurements,
    org,
    reminders,
)
from models.accounts import create_user  # noqa: E402
from models.base import make_engine, make_session_factory  # noqa: E402
from models.seed import load_seed  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]
# Accounts present in every seeded test database, all with TEST_PASSWORD.
TEST_PASSWORD = "correct-horse-battery-staple"
TEST_USERS = {
    "admin": ("admin@example.org", "admin", None),
    # A second member of the performance team: nobody approves a figure they entered themselves (two-person rule).
    "reviewer": ("reviewer@example.org", "admin", None),
    "viewer": ("mayor@example.org", "viewer", None),
    "editor": ("ocd.editor@example.org", "editor", "ocd"),
    "state_editor": ("state.editor@example.org", "editor", "la-ocd-dru"),
}


clock.set_today(TEST_TODAY)

# CI runs the property tests on a fixed sequence of examples, so a run's verdict does not depend on luck; locally
# every run draws new ones (and keeps failures in .hypothesis/ to replay).
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    """Every test starts on TEST_TODAY; a test may move the clock with clock.set_today and it is put back after."""
    clock.set_today(TEST_TODAY)
    yield
    clock.set_today(TEST_TODAY)


def pytest_sessionfinish(session, exitstatus):
    """Remove the scratch folder of SQLite files."""
    shutil.rmtree(_SCRATCH, ignore_errors=True)


def skip_or_fail(reason: str, required: bool) -> None:
    """Skip with a printed reason, or fail when the environment says this must run."""
    if required:
        pytest.fail(f"{reason} (required by the environment)")
    pytest.skip(reason)


def _postgres_admin_url():
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")


def _create_pg_database(name: str, template: str | None = None) -> str:
    url = _postgres_admin_url()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate(url: str) -> None:
    """Create the schema with the project's Alembic migration (the path production takes)."""
    from alembic import command

    from app import alembic_config

    command.upgrade(alembic_config(url), "head")


class _Templates:
    """Seeded template databases, built once per test session per backend."""

    def __init__(self):
        self.built: dict[tuple[str, bool], str] = {}
        self.pg_names: list[str] = []

    def get(self, backend: str, seeded: bool) -> str:
        key = (backend, seeded)
        if key not in self.built:
            self.built[key] = self._build(backend, seeded)
        return self.built[key]

    def _build(self, backend: str, seeded: bool) -> str:
        if backend == "sqlite":
            path = _SCRATCH / f"template-{'seeded' if seeded else 'empty'}.db"
            url = f"sqlite:///{path}"
        else:
            name = f"rs_tpl_{'seeded' if seeded else 'empty'}_{uuid.uuid4().hex[:8]}"
            url = _create_pg_database(name)
            self.pg_names.append(name)
        migrate(url)
        if seeded:
            engine = make_engine(url)
            with Session(engine) as session:
                load_seed(session, SEED_FOLDER)
                for email, role, department in TEST_USERS.values():
                    create_user(session, email=email, password=TEST_PASSWORD, role=role, department_slug=department)
                session.commit()
            engine.dispose()
        if backend == "sqlite":
            engine = make_engine(url)
            with engine.connect() as conn:  # fold the WAL into the file so a plain copy is complete
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
        return url

    def clone(self, backend: str, seeded: bool) -> tuple[str, callable]:
        template = self.get(backend, seeded)
        if backend == "sqlite":
            source = Path(make_url(template).database)
            target = _SCRATCH / f"db-{uuid.uuid4().hex}.db"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}", lambda: target.unlink(missing_ok=True)
        name = f"rs_test_{uuid.uuid4().hex[:12]}"
        url = _create_pg_database(name, template=make_url(template).database)
        return url, lambda: _drop_pg_database(name)


@pytest.fixture(scope="session")
def templates() -> Iterator[_Templates]:
    """The per-session template databases (dropped at the end)."""
    registry = _Templates()
    yield registry
    for name in registry.pg_names:
        _drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each test using a database runs on SQLite and, when configured, on PostgreSQL."""
    if request.param == "postgres" and not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL", REQUIRE_POSTGRES)
    return request.param


def _database(templates: _Templates, backend: str, seeded: bool) -> Iterator[str]:
    url, cleanup = templates.clone(backend, seeded)
    try:
        yield url
    finally:
        cleanup()


@pytest.fixture
def empty_db_url(templates, backend) -> Iterator[str]:
    """URL of a fresh migrated database without data."""
    yield from _database(templates, backend, seeded=False)


@pytest.fixture
def db_url(templates, backend) -> Iterator[str]:
    """URL of a fresh migrated database holding the seed data set."""
    yield from _database(templates, backend, seeded=True)


def _session(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


@pytest.fixture
def session(db_url) -> Iterator[Session]:
    """A session on a fresh seeded database."""
    yield from _session(db_url)


@pytest.fixture
def empty_session(empty_db_url) -> Iterator[Session]:
    """A session on a fresh empty database."""
    yield from _session(empty_db_url)


def app_config(url: str, **overrides) -> dict:
    """Settings for a test app on `url`: its own cache namespace, no rate limits unless asked."""
    config = {
        "DATABASE_URL": url,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "CACHE_KEY_PREFIX": f"recoverystat-test-{uuid.uuid4().hex}:",
        # Each test app counts its own attempts, even when test processes run side by side on one Redis.
        "RATELIMIT_KEY_PREFIX": f"recoverystat-test-{uuid.uuid4().hex}",
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": os.environ.get("REDIS_URL"),
    }
    config.update(overrides)
    return config


@pytest.fixture
def dash_app(db_url):
    """The Dash app on a fresh seeded database."""
    from app import create_app

    app = create_app(app_config(db_url))
    yield app
    from extensions import EXTENSION_KEY

    app.server.extensions[EXTENSION_KEY].engine.dispose()


@pytest.fixture
def client(dash_app):
    """A Flask test client of the seeded app."""
    return dash_app.server.test_client()


def form_token(client) -> str:
    """The session's CSRF token for an HTML form, fetched the way the sign-in page gets it (its own callback)."""
    response = post_callback(client, "pub-login-token.value", [{"id": "pub-login-token", "property": "id",
                                                                "value": "pub-login-token"}])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]["pub-login-token"]["value"]


def post_login(client, data: dict, **kwargs):
    """POST the sign-in form as the browser does: with the session's CSRF token unless `data` has one."""
    return client.post("/login", data={"csrf_token": form_token(client), **data}, **kwargs)


def post_logout(client, **kwargs):
    """POST the sign-out form as the app's header does: with the session's CSRF token."""
    return client.post("/logout", data={"csrf_token": form_token(client)}, **kwargs)


def login(client, who: str) -> None:
    """Sign a test client in as one of TEST_USERS through the real /login form route."""
    email = TEST_USERS[who][0]
    response = post_login(client, {"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and "error" not in response.headers["Location"], response.headers


def callback_body(output: str, inputs: list[dict], state: list[dict] | None = None,
                  changed: list[str] | None = None) -> dict:
    """The JSON Dash's renderer posts to /_dash-update-component for a single-output callback.

    `output` is "component-id.property"; inputs/state are [{"id": ..., "property": ..., "value": ...}].
    """
    component, prop = output.rsplit(".", 1)
    return {
        "output": output,
        "outputs": {"id": component, "property": prop},
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": changed or [f"{i['id']}.{i['property']}" for i in inputs[:1]],
    }


def post_callback(client, output: str, inputs: list[dict], state: list[dict] | None = None):
    """POST a callback request the way the browser does; returns the Flask response."""
    return client.post("/_dash-update-component", json=callback_body(output, inputs, state))


@contextmanager
def statements_sent(engine) -> Iterator[list[str]]:
    """The SQL statements sent through `engine` inside the block, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
