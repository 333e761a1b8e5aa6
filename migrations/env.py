"""Alembic environment: migrates the database named by the `sqlalchemy.url` option or DATABASE_URL."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import context
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import audit, catalog, feedback, followups, measurements, org, reminders, summary  # noqa: F401  (register every table)
from models.base import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database connection."""
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection (batch mode so ALTERs work on SQLite too)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # No pool: the migration's connection closes with it, so nothing lingers on the database afterwards.
    engine = make_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a table by copying it and dropping the old one (batch mode); with foreign keys enforced,
        # dropping a table that other rows point at fails. Switch the check off for the migration (it can only be
        # switched outside a transaction) and verify every reference afterwards instead.
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at missing rows: {broken[:5]}")
    finally:
        if sqlite:
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
