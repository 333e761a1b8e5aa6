"""The Alembic migration builds exactly the schema the models declare, and can be undone and redone."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from app import alembic_config
from conftest import TEST_USERS
from models import audit, catalog, measurements, org  # noqa: F401  (register every table)
from models.audit import AuditEvent, DataVersion
from models.base import Base, make_engine
from models.history_guard import APPEND_ONLY_TABLES


def metadata_checks() -> dict[str, set[str]]:
    """Names of the CHECK constraints each table declares in the models."""
    return {
        table.name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        for table in Base.metadata.sorted_tables
    }


def triggers(conn) -> set[str]:
    """Names of the user-defined triggers in the database."""
    if conn.dialect.name == "sqlite":
        return set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    return set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))


def assert_append_only(conn) -> None:
    """An audit event can be added but not changed."""
    event_id = conn.execute(insert(AuditEvent).values(actor="system", action="probe", entity_type="schema")
                            .returning(AuditEvent.id)).scalar_one()
    conn.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(action="changed"))
    conn.rollback()


def test_the_migration_matches_the_models(empty_db_url):
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        # Nothing is ignored: tables, columns, types, nullability, server defaults, indexes, unique and foreign keys.
        assert compare_metadata(context, Base.metadata) == []

        # Alembic's comparison does not look at CHECK constraints or triggers; check those by name.
        inspector = inspect(conn)
        stored = {name: {c["name"] for c in inspector.get_check_constraints(name)}
                  for name in metadata_checks()}
        assert stored == metadata_checks()
        assert sum(len(names) for names in stored.values()) >= 15
        assert len(triggers(conn)) >= len(APPEND_ONLY_TABLES)
        assert_append_only(conn)

        # The migration leaves the data version counter at its starting value.
        assert conn.execute(select(DataVersion.id, DataVersion.version)).all() == [(1, 1)]
    engine.dispose()


def test_downgrade_to_base_and_upgrade_to_head_again(empty_db_url):
    config = alembic_config(empty_db_url)
    engine = make_engine(empty_db_url)
    model_tables = set(Base.metadata.tables)

    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert not model_tables & set(inspect(conn).get_table_names())
        assert triggers(conn) == set()
        if conn.dialect.name == "postgresql":
            functions = set(conn.scalars(text(
                "SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace "
                "WHERE n.nspname = 'public'")))
            assert not {f"{table}_append_only" for table in APPEND_ONLY_TABLES} & functions

    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert model_tables <= set(inspect(conn).get_table_names())
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.execute(select(DataVersion.version)).scalar_one() == 1
        assert_append_only(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()

    # Running upgrade again at head changes nothing.
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == revision
    engine.dispose()


def test_upgrading_a_database_that_holds_data_keeps_every_row(db_url):
    """Deployments upgrade with their data in place: step back to the foundation's schema and forward again."""
    config = alembic_config(db_url)
    engine = make_engine(db_url)

    def counts(conn) -> dict[str, int]:
        return {table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in ("department", "goal", "measure", "measurement", "revision", "app_user", "audit_event")}

    with engine.connect() as conn:
        before = counts(conn)
        approved = conn.execute(text("SELECT COUNT(*) FROM measurement WHERE state = 'approved'")).scalar_one()
    assert before["measurement"] > 1000 and before["app_user"] == len(TEST_USERS)
    engine.dispose()

    command.downgrade(config, "0002")
    command.upgrade(config, "head")

    with engine.connect() as conn:
        assert counts(conn) == before
        assert conn.execute(text("SELECT COUNT(*) FROM measurement WHERE approved_value IS NOT NULL "
                                 "AND state = 'approved'")).scalar_one() == approved
        tokens = conn.execute(text("SELECT session_token FROM app_user")).scalars().all()
        assert all(tokens) and len(set(tokens)) == len(tokens)
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
