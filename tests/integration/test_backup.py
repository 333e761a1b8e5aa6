"""`flask backup` and `flask restore`: everything out, everything back, damaged or newer archives refused."""
from __future__ import annotations

import json
import zipfile

from sqlalchemy import func, select
from test_pages_callbacks import LAST_MONTH, measure_id, row, save_entry

from app import create_app
from conftest import TEST_USERS, app_config, login
from extensions import EXTENSION_KEY
from models.backup import _tables


def _app(url, tmp_path):
    return create_app(app_config(url, INSTANCE_PATH=str(tmp_path / "instance")))


def table_rows(app) -> dict[str, int]:
    with app.server.extensions[EXTENSION_KEY].engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in _tables()}


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_backup_restore_backup_gives_the_same_contents(db_url, empty_db_url, tmp_path):
    source = _app(db_url, tmp_path / "a")
    client = source.server.test_client()
    login(client, "editor")  # a sign-in, an audit event, a correction with its revision: history to carry over
    rental = measure_id(source, "ocd-rental-units-repaired")
    stored = row(source, rental, LAST_MONTH)
    from test_pages_callbacks import entry_panel
    seen = entry_panel(client, rental, LAST_MONTH)["entry-version"]["data"]
    save_entry(client, rental, LAST_MONTH, stored.value + 3, reason="Three late inspections passed.", version=seen)

    first = tmp_path / "first.zip"
    result = source.server.test_cli_runner().invoke(args=["backup", str(first)])
    assert result.exit_code == 0, result.output
    counts = table_rows(source)
    assert counts["measurement"] > 1000 and counts["revision"] > 1000 and counts["app_user"] == len(TEST_USERS)
    # Every table of the program is in the archive, whichever modules the app happened to import.
    from models.base import Base
    from models.summary import DERIVED_TABLES
    assert set(counts) == {t.name for t in Base.metadata.sorted_tables} - DERIVED_TABLES >= {"follow_up", "feedback",
                                                                                             "audit_event"}
    assert not set(counts) & DERIVED_TABLES  # rebuilt after a restore, never carried over

    target = _app(empty_db_url, tmp_path / "b")
    restored = target.server.test_cli_runner().invoke(args=["restore", str(first)])
    assert restored.exit_code == 0, restored.output
    assert table_rows(target) == counts
    second = tmp_path / "second.zip"
    assert target.server.test_cli_runner().invoke(args=["backup", str(second)]).exit_code == 0
    assert members(first) == members(second)

    # The restored program works: the corrected figure is there, people sign in with their own passwords,
    # and new rows get new ids.
    assert row(target, rental, LAST_MONTH).value == stored.value + 3
    restored_client = target.server.test_client()
    login(restored_client, "admin")
    assert restored_client.get("/review").status_code == 200


def test_restore_refuses_damaged_newer_or_misplaced_archives_and_changes_nothing(db_url, empty_db_url, tmp_path):
    source = _app(db_url, tmp_path / "a")
    good = tmp_path / "good.zip"
    assert source.server.test_cli_runner().invoke(args=["backup", str(good)]).exit_code == 0
    parts = members(good)

    def variant(name: str, change) -> str:
        changed = dict(parts)
        change(changed)
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            for member, data in changed.items():
                archive.writestr(member, data)
        return str(path)

    def newer(m):
        manifest = json.loads(m["manifest.json"])
        manifest["format_version"] = 99
        m["manifest.json"] = json.dumps(manifest).encode()

    def tampered(m):
        m["tables/measurement.json"] = m["tables/measurement.json"].replace(b'"value":', b'"value": 1e3 +', 1)

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    cases = {
        "damaged": (variant("damaged.zip", tampered), "damaged"),
        "newer": (variant("newer.zip", newer), "newer RecoveryStat"),
        "truncated": (str(truncated), "cannot be read as a backup"),
        "not a backup": (variant("other.zip", lambda m: m.update({"manifest.json": b'{"format": "x"}'})),
                         "not a RecoveryStat backup"),
    }
    target = _app(empty_db_url, tmp_path / "b")
    before = table_rows(target)
    for name, (path, words) in cases.items():
        result = target.server.test_cli_runner().invoke(args=["restore", path])
        assert result.exit_code == 1, name
        assert "Nothing was restored" in result.output and words in result.output, (name, result.output)
        assert table_rows(target) == before, name
    # A database that already holds data is never mixed with a backup.
    result = source.server.test_cli_runner().invoke(args=["restore", str(good)])
    assert result.exit_code == 1 and "not empty" in result.output
    # An existing file is never overwritten by a new backup.
    result = source.server.test_cli_runner().invoke(args=["backup", str(good)])
    assert result.exit_code == 1 and "exists already" in result.output
