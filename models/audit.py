"""Accountability: the audit trail of every action and the data version that keys every cache."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CheckConstraint,
    CursorResult,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import history_guard
from models.base import Base, utcnow

log = logging.getLogger("recoverystat.data_version")
# Set in a session's info by bump_data_version; read (and cleared) when its outermost transaction ends.
_BUMPED = "recoverystat.data_version_bumped"
# Called with the engine after a transaction that bumped the data version has committed (see on_version_committed).
_COMMITTED: list[Callable[[Engine], None]] = []


class AuditEvent(Base):
    """Who did what to which record, when, with the record before and after."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp(), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(254))  # email or "system"/"anonymous", kept even if a user goes
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DataVersion(Base):
    """A single counter that every committed write bumps, so caches keyed by it are never stale."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    version: Mapped[int] = mapped_column(Integer, default=1)


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object = None,
    user_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session's current transaction."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        user_id=user_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def bump_data_version(session: Session) -> None:
    """Increase the data version inside the caller's transaction (creating the row on first use)."""
    session.info[_BUMPED] = True
    result = session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))
    if cast(CursorResult, result).rowcount == 0:
        session.add(DataVersion(id=1, version=2))
        session.flush()


def current_data_version(session: Session) -> int:
    """The committed data version (1 before any write)."""
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 1


def on_version_committed(listener: Callable[[Engine], None]) -> None:
    """Call `listener(engine)` each time a transaction that bumped the data version has committed.

    It runs inside `Session.commit()`, after the database committed and before commit() returns, so whatever it
    does (the web side drops its shared copy of the version) is done before the writer answers anyone.
    """
    if listener not in _COMMITTED:
        _COMMITTED.append(listener)


@event.listens_for(Session, "after_commit")
def _version_committed(session: Session) -> None:
    # SQLAlchemy also reports a savepoint's release as a commit: wait for the outermost transaction.
    if session.in_nested_transaction() or not session.info.pop(_BUMPED, False):
        return
    try:
        bind = session.get_bind()
    except UnboundExecutionError:
        return
    engine = bind.engine if isinstance(bind, Connection) else bind
    for listener in list(_COMMITTED):
        try:
            listener(engine)
        except Exception:  # the write has committed: a listener's failure must not turn it into an error
            log.exception("after-commit listener of the data version failed")


@event.listens_for(Session, "after_rollback")
def _version_rolled_back(session: Session) -> None:
    # A savepoint's rollback leaves the outer transaction's bump in place (a spare notice later is harmless).
    if not session.in_nested_transaction():
        session.info.pop(_BUMPED, None)


history_guard.install(cast(Table, AuditEvent.__table__))
