"""Database triggers that make revisions and audit events append-only on SQLite and PostgreSQL.

The initial migration and `Base.metadata.create_all` both use these statements; change them only together with a
new migration.
"""
from __future__ import annotations

from sqlalchemy import DDL, Table, event

APPEND_ONLY_TABLES = ("revision", "audit_event")
# Made append-only by a later migration (0011_measure_change): the history of changes to published measures' plans.
LATER_APPEND_ONLY_TABLES = ("measure_change",)


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """Statements that make UPDATE and DELETE on `table` fail."""
    message = f"{table} is append-only: history is never changed or deleted"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return []


def drop_append_only_ddl(table: str, dialect: str) -> list[str]:
    """Statements that remove the triggers of `append_only_ddl`."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_append_only()"]
    return []


def install(table: Table) -> None:
    """Attach the triggers to `table` so metadata.create_all creates them too."""

    @event.listens_for(table, "after_create")
    def _create(target, connection, **_kw):
        for statement in append_only_ddl(target.name, connection.dialect.name):
            connection.execute(DDL(statement))
