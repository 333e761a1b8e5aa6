"""The app when PostgreSQL goes away or stops answering, against a PostgreSQL of the test's own (started, stopped,
frozen and thawed here on a free port), and a hung database simulated by a lock on the shared test server.

What a person sees: pages and callbacks say the figures are temporarily unavailable (nothing typed is lost: the
callback leaves its outputs alone), the API answers 503 JSON, `/healthz` answers 503 quickly, and when the database
is back the same app serves again without a restart.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from test_pages_callbacks import text_of

from conftest import (
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    SEED_FOLDER,
    TEST_PASSWORD,
    TEST_USERS,
    app_config,
    migrate,
    post_callback,
    skip_or_fail,
)
from extensions import EXTENSION_KEY

MONTH = [{"id": "pub-month", "property": "value"}]
UNAVAILABLE = "temporarily unavailable"
# What a callback's alert says when the database does not answer (callbacks.errors).
NOT_ANSWERING = "database is not answering"


def _says_unavailable(body: str) -> bool:
    return UNAVAILABLE in body.lower() or NOT_ANSWERING in body.lower()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.iterdir(), reverse=True) if root.is_dir() else []
    for version in versions:
        if (version / "bin" / "initdb").exists():
            return version / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free port, run as the `postgres` system user when the test runs as root."""

    def __init__(self, bin_dir: Path, folder: Path):
        self.bin_dir = bin_dir
        self.data = folder / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/recoverystat"
        self.folder = folder

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        """Create the cluster (trust authentication on loopback only)."""
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        """Stop the server at once (open connections are cut)."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def pids(self) -> list[int]:
        """The postmaster and every server process under it."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """Make the server hang: every process stops (connections stay open, nothing answers)."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server go on."""
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A seeded database on a PostgreSQL server of this test's own; stopped and removed afterwards."""
    bin_dir = _postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed", REQUIRE_POSTGRES)
    folder = Path(tempfile.mkdtemp(prefix="recoverystat-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    server = OwnPostgres(bin_dir, folder)
    try:
        server.init()
        server.start()
        admin = create_engine(server.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE recoverystat"))
        admin.dispose()
        migrate(server.url)
        _seed(server.url)
        yield server
    finally:
        try:
            server.thaw()
        except (OSError, ValueError):
            pass
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _seed(url: str) -> None:
    from models.accounts import create_user
    from models.base import make_engine
    from models.seed import load_seed

    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session, SEED_FOLDER)
        for email, role, department in TEST_USERS.values():
            create_user(session, email=email, password=TEST_PASSWORD, role=role, department_slug=department)
        session.commit()
    engine.dispose()


def _wait_until(check, seconds: float) -> float:
    """Call `check` until it is true; the seconds it took (fails after `seconds`)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _signed_in_client(app):
    from conftest import login

    client = app.server.test_client()
    login(client, "editor")
    return client


@pytest.mark.services
@pytest.mark.postgres
def test_postgres_stopped_then_back_the_app_says_so_and_recovers_without_a_restart(own_postgres):
    """Stopped: health 503, API 503 JSON, callbacks the app's message, signed-in pages a plain 503. Started again:
    the same app object serves everything again."""
    from app import create_app

    app = create_app(app_config(own_postgres.url, HEALTH_TIMEOUT_SECONDS=3))
    public = app.server.test_client()
    staff = _signed_in_client(app)
    before = post_callback(public, "pub-overview.children", MONTH)
    assert before.status_code == 200
    assert public.get("/healthz").status_code == 200

    own_postgres.stop()
    started = time.monotonic()
    health = public.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "error"
    api = public.get("/api/v1/measures")
    assert api.status_code == 503 and api.is_json and UNAVAILABLE in api.get_json()["error"]
    callback = post_callback(staff, "exec-table.children", [{"id": "exec-month", "property": "value"}])
    body = callback.get_data(as_text=True)
    assert callback.status_code in (200, 503) and _says_unavailable(body), body[:300]
    assert '"response":{}' in body.replace(" ", "") or callback.status_code == 503, "the outputs are left alone"
    page = staff.get("/dashboard")
    assert page.status_code == 503 and UNAVAILABLE in page.get_data(as_text=True)
    assert time.monotonic() - started < 15, "an absent database must be reported quickly"

    own_postgres.start()
    recovery = _wait_until(lambda: public.get("/healthz").status_code == 200, 30)
    after = post_callback(public, "pub-overview.children", MONTH)
    assert after.status_code == 200 and text_of(after.get_json()["response"]) == text_of(before.get_json()["response"])
    assert public.get("/api/v1/measures").status_code == 200
    assert staff.get("/dashboard").status_code == 200, "the signed-in session survives the outage"
    print(f"recovered {recovery:.1f} s after PostgreSQL came back")
    app.server.extensions[EXTENSION_KEY].engine.dispose()


@pytest.mark.services
@pytest.mark.postgres
def test_a_frozen_postgres_does_not_hang_the_health_check_or_the_public_frame(own_postgres):
    """Every server process stopped (connections open, nothing answers): /healthz answers 503 within its timeout,
    and the page frame, which needs no database, still loads. Thawed, everything answers again."""
    from app import create_app

    app = create_app(app_config(own_postgres.url, HEALTH_TIMEOUT_SECONDS=2))
    client = app.server.test_client()
    assert client.get("/healthz").status_code == 200

    own_postgres.freeze()
    try:
        started = time.monotonic()
        health = client.get("/healthz")
        took = time.monotonic() - started
        assert health.status_code == 503 and health.get_json()["database"] == "not answering"
        assert took < 4, f"the health check waited {took:.1f} s"
        again = time.monotonic()
        assert client.get("/healthz").status_code == 503
        assert time.monotonic() - again < 4, "a second check does not queue behind the stuck one"
        frame = time.monotonic()
        assert client.get("/").status_code == 200
        assert time.monotonic() - frame < 2, "the public page frame needs no database"
    finally:
        own_postgres.thaw()
    _wait_until(lambda: client.get("/healthz").status_code == 200, 30)
    assert post_callback(client, "pub-overview.children", MONTH).status_code == 200


@pytest.mark.postgres
def test_a_database_that_hangs_on_a_lock_is_cut_off_by_the_statement_timeout(templates):
    """A table locked by someone else (a stuck migration, a long report): reads give up after the statement timeout
    with the app's message and a 503, instead of holding every worker thread; when the lock goes, all is well."""
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL", REQUIRE_POSTGRES)
    from app import create_app

    url, cleanup = templates.clone("postgres", True)
    app = create_app(app_config(url, DATABASE_STATEMENT_TIMEOUT_MS=800, HEALTH_TIMEOUT_SECONDS=3))
    client = app.server.test_client()
    locker = create_engine(url)
    try:
        with locker.connect() as conn:
            transaction = conn.begin()
            conn.execute(text("LOCK TABLE measurement, data_version IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            api = client.get("/api/v1/measures")
            assert api.status_code == 503 and UNAVAILABLE in api.get_json()["error"]
            callback = post_callback(client, "pub-overview.children", MONTH)
            assert _says_unavailable(callback.get_data(as_text=True))
            assert callback.get_json()["response"] == {}, "the page keeps what it shows and what was typed"
            assert client.get("/healthz").status_code == 503
            assert time.monotonic() - started < 10, "each read gave up after the statement timeout"
            transaction.rollback()
        assert client.get("/api/v1/measures").status_code == 200
        assert post_callback(client, "pub-overview.children", MONTH).status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        locker.dispose()
        cleanup()
