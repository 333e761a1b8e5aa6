"""Follow-ups: action items recorded on a measure at or after the monthly Stat meeting, open until marked done."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.catalog import Measure
from models.org import Department, User

MAX_ACTION_LENGTH = 1000


class FollowUp(Base):
    """What will be done about a measure, by which department, by when; who recorded it and who closed it."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint("length(action) > 0", name="action_not_empty"),
        # Done by and done at are set together or not at all.
        CheckConstraint("(done_at IS NULL) = (done_by_id IS NULL)", name="done_pair"),
        Index("ix_follow_up_measure_done", "measure_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    action: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    due_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    measure: Mapped[Measure] = relationship()
    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
