"""Twenty editors at once: under gunicorn (4 workers, PostgreSQL, Redis), twenty people of one department save and
correct the same month's figures through the month grid for a while. No update may be lost: every accepted save
gets a version of its own and a revision, the stored figure is the last accepted one, nothing answers 500 or
deadlocks, and every worker serves the same data version and the same public figures afterwards.

The run lasts CONCURRENT_EDITORS_SECONDS (default 60).
"""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import POSTGRES_URL, REQUIRE_POSTGRES, TEST_PASSWORD, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
EDITORS = 20
DEPARTMENT = "ocd"
MONTH = "2026-10-01"  # a month the seed has figures for: every save is a correction of a stored figure
SECONDS = float(os.environ.get("CONCURRENT_EDITORS_SECONDS", "60"))
WORKERS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Save:
    """One accepted save of one row: who, which measure, the figure and the version the server gave it."""

    editor: int
    measure_id: int
    value: int
    version: int


class Editor:
    """One person in a browser: a cookie jar, the callback keys of the grid, their own saves and surprises."""

    def __init__(self, index: int, base: str, keys: dict[str, str]):
        self.index = index
        self.base = base
        self.keys = keys
        self.http = requests.Session()
        self.http.headers["Origin"] = base  # a same-origin browser
        self.saves: list[Save] = []
        self.refused = 0
        self.problems: set[str] = set()
        self.failures: list[str] = []

    def callback(self, output_key: str, outputs: list[dict], inputs: list[dict], state: list[dict] | None = None):
        """POST a callback as Dash's renderer does; returns the parsed answer."""
        body = {"output": output_key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
                "state": state or [], "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        response = self.http.post(f"{self.base}/_dash-update-component", json=body, timeout=60)
        if response.status_code != 200:
            self.failures.append(f"{response.status_code} {response.text[:200]}")
            return None
        return response.json()["response"]

    def sign_in(self) -> None:
        """Sign in through the real form, with the form's CSRF token from the sign-in page's callback."""
        answer = self.callback(self.keys["token"], [{"id": "pub-login-token", "property": "value"}],
                               [{"id": "pub-login-token", "property": "id", "value": "pub-login-token"}])
        token = answer["pub-login-token"]["value"]
        response = self.http.post(f"{self.base}/login", data={"email": f"editor{self.index}@example.org",
                                                                "password": TEST_PASSWORD, "csrf_token": token},
                                  allow_redirects=False, timeout=30)
        assert response.status_code == 302 and "error" not in response.headers["Location"], response.headers

    def load(self) -> list[dict]:
        """The month grid's rows as the page loads them."""
        answer = self.callback(self.keys["load"], [{"id": "entry-grid", "property": "rowData"}],
                               [{"id": "entry-grid-month", "property": "value", "value": MONTH}])
        return answer["entry-grid"]["rowData"] if answer else []

    def save(self, rows: list[dict]) -> tuple[list[dict] | None, str]:
        """Press Save with these rows; the fresh rows (None when nothing was saved) and the message."""
        answer = self.callback(
            self.keys["save"],
            [{"id": "entry-grid", "property": "rowData"}, {"id": "entry-grid-feedback", "property": "children"}],
            [{"id": "entry-grid-save", "property": "n_clicks", "value": 1}],
            [{"id": "entry-grid-month", "property": "value", "value": MONTH},
             {"id": "entry-grid", "property": "rowData", "value": rows}])
        if answer is None:
            return None, ""
        message = str(answer.get("entry-grid-feedback", {}).get("children"))
        return answer.get("entry-grid", {}).get("rowData"), message

    def work(self, until: float, measure_ids: list[int]) -> None:
        """Until `until`: load the grid, change one or two of the shared figures, save; a refusal is reloaded."""
        chooser = random.Random(self.index)
        while time.monotonic() < until:
            rows = self.load()
            if not rows:
                continue
            chosen = set(chooser.sample(measure_ids, k=chooser.choice((1, 2))))
            typed = []
            sent: dict[int, tuple[int, int]] = {}  # measure -> (the figure sent, the version a saved correction gets)
            for row in rows:
                row = dict(row)
                if row["measure_id"] in chosen:
                    current = int(str(row["value"]).replace(",", ""))
                    row["value"] = str(current + chooser.randint(1, 3))
                    sent[row["measure_id"]] = (int(row["value"]), int(row["version"]) + 1)
                    row["note"] = f"editor {self.index}"
                    row["reason"] = f"Corrected by editor {self.index} in the concurrency test"
                else:
                    row["value"] = ""  # untouched rows are not typed
                typed.append(row)
            fresh, message = self.save(typed)
            if fresh is None:
                continue
            if "Nothing was saved" in message:
                self.refused += 1
                self.problems.update(row["problem"] for row in fresh if row.get("problem"))
                continue
            if "Saved" not in message:
                self.failures.append(f"unexpected answer: {message[:200]}")
                continue
            # The fresh rows are read after the commit and may already show a colleague's later save: what this
            # save stored is the figure sent, under the version after the one it was checked against.
            for measure_id, (value, version) in sent.items():
                self.saves.append(Save(self.index, measure_id, value, version))


@pytest.fixture
def served(templates, tmp_path):
    """gunicorn (4 workers, production settings) on a seeded PostgreSQL copy with twenty editors, and Redis."""
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL", REQUIRE_POSTGRES)
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("this test needs REDIS_URL (the shared cache of several workers)")
    from models.accounts import create_user
    from models.base import make_engine

    url, cleanup = templates.clone("postgres", True)
    engine = make_engine(url)
    with Session(engine) as session:
        for index in range(EDITORS):
            create_user(session, email=f"editor{index}@example.org", password=TEST_PASSWORD, role="editor",
                        department_slug=DEPARTMENT)
        session.commit()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "concurrency-test-secret",
           "PORT": str(port), "HOST": "127.0.0.1", "HOME": str(tmp_path), "WEB_CONCURRENCY": str(WORKERS),
           "RECOVERYSTAT_ENV": "production"}
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:server"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        yield base, engine, tmp_path / "gunicorn.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        engine.dispose()
        cleanup()


def _callback_keys() -> dict[str, str]:
    """The callback_map keys the browser posts for the grid and the sign-in token (the same in every process)."""
    from app import app

    keys = {}
    for key in app.callback_map:
        if key == "pub-login-token.value":
            keys["token"] = key
        elif key.startswith("entry-grid.rowData") and "entry-grid-feedback" not in key:
            if app.callback_map[key]["inputs"][0]["id"] == "entry-grid-month":
                keys["load"] = key
        elif "entry-grid.rowData" in key and "entry-grid-feedback.children" in key:
            keys["save"] = key
    assert set(keys) == {"token", "load", "save"}, keys
    return keys


@pytest.mark.services
@pytest.mark.postgres
def test_twenty_editors_saving_the_same_figures_lose_nothing(served):
    from models.catalog import Measure
    from models.measurements import Measurement, Revision
    from models.org import Department

    base, engine, log_path = served
    with Session(engine) as session:
        measure_ids = list(session.scalars(
            select(Measure.id).join(Department, Department.id == Measure.owner_department_id)
            .where(Department.slug == DEPARTMENT, Measure.unit.in_(("count", "households", "homes")),
                   Measure.decimals == 0)
            .order_by(Measure.id)))[:4]
        assert len(measure_ids) >= 2, "the seed's department needs whole-number measures"
        revisions_before = dict(session.execute(
            select(Measurement.measure_id, func.count(Revision.id))
            .join(Revision, Revision.measurement_id == Measurement.id)
            .where(Measurement.period == date.fromisoformat(MONTH), Measurement.measure_id.in_(measure_ids))
            .group_by(Measurement.measure_id)).all())

    keys = _callback_keys()
    editors = [Editor(index, base, keys) for index in range(EDITORS)]
    for editor in editors:
        editor.sign_in()
    until = time.monotonic() + SECONDS
    threads = [threading.Thread(target=editor.work, args=(until, measure_ids)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    assert not any(thread.is_alive() for thread in threads), "a save hung (deadlock?)"

    failures = [failure for editor in editors for failure in editor.failures]
    assert not failures, failures[:5]
    saves = [save for editor in editors for save in editor.saves]
    refused = sum(editor.refused for editor in editors)
    problems = {problem for editor in editors for problem in editor.problems}
    assert all("changed by someone else" in problem for problem in problems), problems
    assert saves, "nothing was saved at all"

    by_measure: dict[int, list[Save]] = defaultdict(list)
    for save in saves:
        by_measure[save.measure_id].append(save)
    with Session(engine) as session:
        for measure_id, accepted in by_measure.items():
            versions = [save.version for save in accepted]
            # Two saves with the same resulting version would mean one overwrote the other unseen: a lost update.
            assert len(versions) == len(set(versions)), f"measure {measure_id}: a version was given twice"
            stored = session.scalars(select(Measurement).where(
                Measurement.measure_id == measure_id, Measurement.period == date.fromisoformat(MONTH))).one()
            last = max(accepted, key=lambda save: save.version)
            assert (int(stored.value), stored.version) == (last.value, last.version), "the last accepted save stands"
            revisions = session.scalar(select(func.count(Revision.id)).where(Revision.measurement_id == stored.id))
            assert revisions - revisions_before.get(measure_id, 0) == len(accepted), "one revision per accepted save"

    # Every worker now serves the same data version and the same public figures.
    answers = set()
    versions = set()
    for _ in range(WORKERS * 6):
        with requests.Session() as fresh:  # a new connection: gunicorn hands it to any worker
            versions.add(fresh.get(f"{base}/healthz", timeout=10).json()["data_version"])
            answers.add(fresh.get(f"{base}/api/v1/measures", timeout=10).text)
    assert len(versions) == 1 and len(answers) == 1
    assert "Traceback" not in log_path.read_text()
    print(f"{len(saves)} saves accepted, {refused} refused as stale, 0 lost, across {len(by_measure)} figures "
          f"in {SECONDS:.0f} s")
