"""Each measure's evaluated status, kept in the database so the read path need not re-read history or re-evaluate.

`measure_stamp` counts the changes to each measure's figures, plan (the measure row) and milestones. Database
triggers (below) bump it inside the writer's own transaction, whoever wrote: the services, an import, a migration,
SQL typed by hand. `measure_summary` keeps what the status engine made of one measure for one audience and month,
tagged with the stamp it was computed under and the day it was judged on. The read path (models.queries.overview)
uses a stored row only while both still match, and otherwise evaluates the measure again and stores the result.

Why a stamp and not a deletion: a reader computes from what it read, then stores. Had a writer committed in between,
deleting rows would not stop the reader storing an out-of-date one; a stamp read *before* the figures makes such a
row carry a stamp that is already behind, so it is never used.

The initial schema (`Base.metadata.create_all`) and migration 0013 both use these statements; change them only
together with a new migration.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    DDL,
    Boolean,
    Date,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# Derived from the other tables and rebuilt by reading: not part of a backup (models.backup), never restored.
DERIVED_TABLES = frozenset({"measure_stamp", "measure_summary"})
PUBLIC = "public"  # approved figures only
INTERNAL = "internal"  # figures entered or approved


class MeasureStamp(Base):
    """How many times a measure's figures, plan or milestones have changed (bumped by database triggers)."""

    __tablename__ = "measure_stamp"

    # No foreign key: a trigger may bump the stamp of a measure being deleted in the same statement.
    measure_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(Integer, default=1)


class MeasureSummary(Base):
    """One measure's evaluated status for an audience and month, as computed under `stamp` and judged on a day."""

    __tablename__ = "measure_summary"

    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(8), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    judged_on: Mapped[date] = mapped_column(Date)
    stamp: Mapped[int] = mapped_column(Integer)
    latest_period: Mapped[date | None] = mapped_column(Date)
    latest_value: Mapped[float | None] = mapped_column(Double)
    latest_state: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    freshness: Mapped[str] = mapped_column(String(12))
    progress: Mapped[float | None] = mapped_column(Double)
    expected: Mapped[float | None] = mapped_column(Double)
    reason: Mapped[str] = mapped_column(Text)
    forecast: Mapped[str | None] = mapped_column(Text)
    on_pace: Mapped[bool | None] = mapped_column(Boolean)
    # The months a card's sparkline draws, as JSON [["YYYY-MM-DD", value], ...].
    history: Mapped[str] = mapped_column(Text)


# (table, column naming the measure) whose rows feed a measure's status.
STAMPED_TABLES = (("measurement", "measure_id"), ("milestone", "measure_id"), ("measure", "id"))


def stamp_trigger_ddl(dialect: str) -> list[str]:
    """Statements that make every insert, update and delete on a stamped table bump its measures' stamps."""
    statements: list[str] = []
    if dialect == "sqlite":
        bump = ("INSERT INTO measure_stamp (measure_id, stamp) VALUES ({row}.{column}, 1) "
                "ON CONFLICT (measure_id) DO UPDATE SET stamp = stamp + 1;")
        for table, column in STAMPED_TABLES:
            verbs = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
            if table == "measure":
                verbs = {"UPDATE": ("NEW",)}  # a new measure has no status yet; a deleted one takes its rows along
            for verb, rows in verbs.items():
                body = " ".join(bump.format(row=row, column=column) for row in rows)
                statements.append(f"CREATE TRIGGER IF NOT EXISTS {table}_stamp_{verb.lower()} AFTER {verb} ON {table} "
                                  f"BEGIN {body} END")
        return statements
    if dialect == "postgresql":
        # Statement-level triggers: a 10,000-row import bumps each measure once, in measure order (so two writers
        # lock stamps in the same order), instead of running 10,000 row triggers.
        upsert = ("INSERT INTO measure_stamp (measure_id, stamp) SELECT DISTINCT measure_id, 1 FROM ({rows}) AS touched "
                  "ORDER BY measure_id ON CONFLICT (measure_id) DO UPDATE SET stamp = measure_stamp.stamp + 1")
        for table, column in STAMPED_TABLES:
            changed = f"SELECT {column} AS measure_id FROM changed_rows"
            moved = f"{changed} UNION SELECT {column} FROM old_rows"
            for name, source in (("stamp", changed), ("stamp_moved", moved)):
                statements.append(
                    f"CREATE OR REPLACE FUNCTION {table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"{upsert.format(rows=source)}; RETURN NULL; END $$"
                )
            verbs = {"INSERT": ("NEW TABLE AS changed_rows", "stamp"),
                     "UPDATE": ("OLD TABLE AS old_rows NEW TABLE AS changed_rows", "stamp_moved"),
                     "DELETE": ("OLD TABLE AS changed_rows", "stamp")}
            if table == "measure":
                verbs = {"UPDATE": ("NEW TABLE AS changed_rows", "stamp")}
            for verb, (transitions, function) in verbs.items():
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {table}_stamp_{verb.lower()} AFTER {verb} ON {table} "
                    f"REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION {table}_{function}()"
                )
        return statements
    return statements


def drop_stamp_trigger_ddl(dialect: str) -> list[str]:
    """Statements that remove the triggers of `stamp_trigger_ddl`."""
    statements = []
    for table, _column in STAMPED_TABLES:
        for verb in (("update",) if table == "measure" else ("insert", "update", "delete")):
            on = f" ON {table}" if dialect == "postgresql" else ""
            statements.append(f"DROP TRIGGER IF EXISTS {table}_stamp_{verb}{on}")
        if dialect == "postgresql":
            statements += [f"DROP FUNCTION IF EXISTS {table}_stamp()", f"DROP FUNCTION IF EXISTS {table}_stamp_moved()"]
    return statements


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(target: MetaData, connection, **_kw) -> None:
    """Create the stamp triggers once every table exists (metadata.create_all)."""
    needed = ("measure_stamp", *(table for table, _column in STAMPED_TABLES))
    if not all(connection.dialect.has_table(connection, table) for table in needed):
        return  # a partial create_all (tables=...) that left some of them out
    for statement in stamp_trigger_ddl(connection.dialect.name):
        connection.execute(DDL(statement))
