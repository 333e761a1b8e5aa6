"""Monthly values and their append-only history of changes."""
from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import history_guard
from models.base import Base, utcnow
from models.catalog import Measure, first_of_month_check
from models.org import User, _in

MEASUREMENT_STATES = ("submitted", "approved", "returned")
REVISION_ACTIONS = ("enter", "correct", "approve", "return", "import")


class Measurement(Base):
    """The value of one measure for one month, with its review state and optimistic-lock version."""

    __tablename__ = "measurement"
    __table_args__ = (
        UniqueConstraint("measure_id", "period"),
        CheckConstraint(_in("state", MEASUREMENT_STATES), name="state"),
        CheckConstraint("version >= 1", name="version"),
        first_of_month_check("period"),
        # The read path asks "latest approved value per measure"; this index answers it without a table scan.
        Index("ix_measurement_state_measure_period", "state", "measure_id", "period"),
        # The overview reads every measure's last months: one range of this index, in order, covering every column
        # it needs, instead of a scan of all history (migrations 0002, 0003).
        Index("ix_measurement_period_measure_state_values", "period", "measure_id", "state", "value", "approved_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    period: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Double)
    # The figure last approved for this month (None until one is): a correction or a return leaves it in place, so
    # the public keeps seeing the approved figure while a correction waits for review.
    approved_value: Mapped[float | None] = mapped_column(Double)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="submitted")
    source_ref: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    entered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)

    measure: Mapped[Measure] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    # SQLAlchemy adds "AND version = :old" to every UPDATE, so two writers can never both win.
    __mapper_args__ = {"version_id_col": version}


class Revision(Base):
    """One change to a measurement: never updated, never deleted."""

    __tablename__ = "revision"
    __table_args__ = (CheckConstraint(_in("action", REVISION_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurement.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    old_value: Mapped[float | None] = mapped_column(Double)
    new_value: Mapped[float | None] = mapped_column(Double)
    old_state: Mapped[str | None] = mapped_column(String(10))
    new_state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )

    measurement: Mapped[Measurement] = relationship()
    user: Mapped[User | None] = relationship()


history_guard.install(cast(Table, Revision.__table__))
