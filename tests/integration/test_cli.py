"""Operations commands through Flask's CLI runner: db upgrade, seed, create-user, demo-accounts."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, inspect, select

from app import create_app
from conftest import SEED_FOLDER, app_config, post_login
from extensions import EXTENSION_KEY
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.org import User


def _app(url, tmp_path):
    return create_app(app_config(url, INSTANCE_PATH=str(tmp_path / "instance")))


def _count(app, model) -> int:
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_db_upgrade_creates_every_table_on_a_new_database(tmp_path):
    """`flask db upgrade` migrates an empty database to the current schema."""
    app = _app(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    result = app.server.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(app.server.extensions[EXTENSION_KEY].engine).get_table_names())
    assert {"department", "app_user", "goal", "measure", "milestone", "measurement", "revision", "annotation",
            "audit_event", "data_version", "alembic_version"} <= tables


def test_seed_loads_once_and_is_idempotent(empty_db_url, tmp_path):
    """`flask seed` loads the data set; running it again adds nothing; --if-empty skips a loaded database."""
    app = _app(empty_db_url, tmp_path)
    runner = app.server.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    measurements = _count(app, Measurement)
    assert _count(app, Goal) >= 5 and _count(app, Measure) >= 18 and measurements > 1000
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0 and "measurements: 0 added" in second.output
    assert _count(app, Measurement) == measurements
    skipped = runner.invoke(args=["seed", "--if-empty"])
    assert "already loaded" in skipped.output


def test_seed_with_a_malformed_row_names_the_place_and_writes_nothing(empty_db_url, tmp_path):
    """A broken cell stops the load with file, line and column; the database stays empty."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED_FOLDER, folder)
    lines = (folder / "measurements.csv").read_text().splitlines()
    fields = lines[40].split(",")
    fields[2] = "twelve"
    lines[40] = ",".join(fields)
    (folder / "measurements.csv").write_text("\n".join(lines) + "\n")
    app = _app(empty_db_url, tmp_path)
    result = app.server.test_cli_runner().invoke(args=["seed", "--folder", str(folder)])
    assert result.exit_code == 1
    assert "measurements.csv, line 41, column 'value'" in result.output
    assert "'twelve' is not a number" in result.output
    assert _count(app, Goal) == 0 and _count(app, Measurement) == 0


def test_create_user_reads_the_password_from_stdin_and_hashes_it(db_url, tmp_path):
    """The password never comes from argv; it is stored hashed."""
    app = _app(db_url, tmp_path)
    runner = app.server.test_cli_runner()
    assert "--password" not in runner.invoke(args=["create-user", "--help"]).output
    result = runner.invoke(args=["create-user", "New.Person@Example.org", "--role", "editor", "--department", "fema"],
                           input="a-long-enough-password\n")
    assert result.exit_code == 0, result.output
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        user = session.scalar(select(User).where(User.email == "new.person@example.org"))
        assert user is not None and user.role == "editor" and user.department.slug == "fema"
        assert user.password_hash != "a-long-enough-password" and "a-long-enough-password" not in user.password_hash


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "superuser"], "Invalid value for '--role'"),
        (["--role", "editor", "--department", "nasa"], "Unknown department 'nasa'"),
        (["--role", "editor"], "An editor must belong to a department"),
    ],
)
def test_create_user_refuses_bad_role_or_department_with_exit_2(db_url, tmp_path, args, message):
    """Unknown role or department: a clear message, exit code 2, nothing written."""
    app = _app(db_url, tmp_path)
    before = _count(app, User)
    result = app.server.test_cli_runner().invoke(args=["create-user", "someone@example.org", *args],
                                                 input="a-long-enough-password\n")
    assert result.exit_code == 2
    assert message in result.output
    assert _count(app, User) == before


def test_demo_accounts_are_created_once_and_their_passwords_saved(empty_db_url, tmp_path):
    """One account per role (editors in two departments), passwords printed once and saved under instance/."""
    app = _app(empty_db_url, tmp_path)
    runner = app.server.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    first = runner.invoke(args=["demo-accounts"])
    assert first.exit_code == 0, first.output
    saved = (tmp_path / "instance" / "demo-accounts.txt").read_text()
    assert len(saved.strip().splitlines()) == 4
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        users = session.scalars(select(User)).all()
        assert sorted(u.role for u in users) == ["admin", "editor", "editor", "viewer"]
        assert len({u.department_id for u in users if u.role == "editor"}) == 2
    for line in saved.strip().splitlines():
        email, _role, password = line.split("\t")
        assert email in first.output and password in first.output
        client = app.server.test_client()
        response = post_login(client, {"email": email, "password": password})
        assert "error" not in response.headers["Location"]
    second = runner.invoke(args=["demo-accounts"])
    assert second.exit_code == 0 and "exist" in second.output
    assert (tmp_path / "instance" / "demo-accounts.txt").read_text() == saved


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    """Outside development the app will not run with a missing SECRET_KEY."""
    from app import load_settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("RECOVERYSTAT_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        load_settings({"DATABASE_URL": "sqlite://"})
