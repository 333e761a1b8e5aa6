"""What the city tracks: goals, their measures, interim milestones and event annotations."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
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
    column,
    extract,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import history_guard
from models.base import Base, utcnow
from models.org import Department, _in
from models.progress import DEFAULT_AT_RISK_TOLERANCE, DEFAULT_ON_TRACK_TOLERANCE

UNITS = ("count", "percent", "usd", "days", "households")
# What a change to a published measure's plan can touch; each is kept as history with its reason.
PLAN_CHANGE_KINDS = ("target", "baseline", "milestones", "definition")
DIRECTIONS = ("increase", "decrease")
TRAJECTORIES = ("linear", "milestones", "constant")


def first_of_month_check(column_name: str) -> CheckConstraint:
    """A CHECK that a date column holds the first day of a month, compiled per dialect."""
    return CheckConstraint(extract("day", column(column_name)) == 1, name=f"{column_name}_first_of_month")


class Goal(Base):
    """A priority recovery goal, such as bringing flooded families home."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # No longer pursued: kept with its history, never public again (a retired goal is unpublished).
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    owner_department: Mapped[Department] = relationship()
    measures: Mapped[list[Measure]] = relationship(back_populates="goal", order_by="Measure.display_order")

    def __repr__(self) -> str:
        return f"<Goal {self.slug}>"


class Measure(Base):
    """A key performance indicator: how it is counted, who reports it and what it should reach by when."""

    __tablename__ = "measure"
    __table_args__ = (
        CheckConstraint(_in("unit", UNITS), name="unit"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("trajectory", TRAJECTORIES), name="trajectory"),
        CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals"),
        CheckConstraint("valid_min IS NULL OR valid_max IS NULL OR valid_min <= valid_max", name="valid_range"),
        CheckConstraint(
            "on_track_tolerance >= 0 AND on_track_tolerance <= at_risk_tolerance AND at_risk_tolerance <= 1",
            name="tolerances",
        ),
        CheckConstraint("baseline_period <= target_period", name="period_order"),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day"),
        first_of_month_check("baseline_period"),
        first_of_month_check("target_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20))
    decimals: Mapped[int] = mapped_column(Integer, default=0)
    direction: Mapped[str] = mapped_column(String(10))
    trajectory: Mapped[str] = mapped_column(String(12))
    baseline_value: Mapped[float] = mapped_column(Double)
    baseline_period: Mapped[date] = mapped_column(Date)
    target_value: Mapped[float] = mapped_column(Double)
    target_period: Mapped[date] = mapped_column(Date)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    data_source: Mapped[str] = mapped_column(String(300))
    citation: Mapped[str] = mapped_column(String(300), default="illustrative")
    valid_min: Mapped[float | None] = mapped_column(Double)
    valid_max: Mapped[float | None] = mapped_column(Double)
    on_track_tolerance: Mapped[float] = mapped_column(Double, default=DEFAULT_ON_TRACK_TOLERANCE)
    at_risk_tolerance: Mapped[float] = mapped_column(Double, default=DEFAULT_AT_RISK_TOLERANCE)
    due_day: Mapped[int] = mapped_column(Integer, default=15)
    # A running total (homes repaired to date): a month's figure below the month before needs a confirmed reason.
    cumulative: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # No longer tracked: kept with its values and history, never public again (a retired measure is unpublished).
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    goal: Mapped[Goal] = relationship(back_populates="measures")
    owner_department: Mapped[Department] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="measure", order_by="Milestone.period", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Measure {self.slug}>"


class Milestone(Base):
    """An interim target of a `milestones` trajectory."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("measure_id", "period"), first_of_month_check("period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    period: Mapped[date] = mapped_column(Date)
    target_value: Mapped[float] = mapped_column(Double)
    citation: Mapped[str] = mapped_column(String(300), default="illustrative")

    measure: Mapped[Measure] = relationship(back_populates="milestones")


class Annotation(Base):
    """A dated event that explains the numbers, optionally scoped to a goal or measure."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_date: Mapped[date] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(Text)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id"))
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"))
    citation: Mapped[str] = mapped_column(String(300), default="illustrative")


class MeasureChange(Base):
    """A change to a published measure's target, baseline, milestones or definition, with the reason given.

    Append-only, like revisions: the public measure page lists these, so a moved target is never a quiet one.
    `before` and `after` hold the plan as it was and became: {"value", "period"} for a target or baseline,
    {"milestones": [[period, value], ...]} for milestones, {"text"} for a definition.
    """

    __tablename__ = "measure_change"
    __table_args__ = (
        CheckConstraint(_in("kind", PLAN_CHANGE_KINDS), name="kind"),
        CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        Index("ix_measure_change_measure_id", "measure_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    kind: Mapped[str] = mapped_column(String(12))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    # The day the change took effect, as the program's clock tells it (models.clock): the month the page names.
    changed_on: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


history_guard.install(cast(Table, MeasureChange.__table__))
