"""The read path: one aggregated query set serves the public page, the internal views, the API and exports.

Audience switches select what a reader may see: the public variant is `published_only=True, approved_only=True`;
the internal variant sees everything, with each value's review state and each measure's published flag marked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, and_, func, select
from sqlalchemy.orm import Session

from models.catalog import Goal, Measure, Milestone
from models.measurements import Measurement
from models.org import Department
from models.progress import (
    FRESHNESS_LABELS,
    STATUS_LABELS,
    MeasureSpec,
    add_months,
    evaluate,
    last_complete_month,
)

# Values sent back for correction do not count for anyone's status.
INTERNAL_STATES = ("submitted", "approved")
PUBLIC_STATES = ("approved",)
STATUS_ORDER = ("off_track", "at_risk", "on_track", "achieved", "no_data")


@dataclass(frozen=True)
class MeasureStatus:
    """One measure as of a month: its definition, latest value, status, reason and short history."""

    measure_id: int
    slug: str
    name: str
    definition: str
    unit: str
    decimals: int
    direction: str
    trajectory: str
    goal_slug: str
    goal_title: str
    department_slug: str
    department_name: str
    data_source: str
    citation: str
    published: bool
    baseline_value: float
    baseline_period: date
    target_value: float
    target_period: date
    latest_period: date | None
    latest_value: float | None
    latest_state: str | None
    status: str
    freshness: str
    progress: float | None
    expected: float | None
    reason: str
    forecast: str | None
    history: tuple[tuple[date, float], ...]

    @property
    def status_label(self) -> str:
        """Human label of the status, e.g. "On track"."""
        return STATUS_LABELS[self.status]

    @property
    def freshness_label(self) -> str:
        """Human label of the freshness, e.g. "Overdue"."""
        return FRESHNESS_LABELS[self.freshness]


@dataclass(frozen=True)
class GoalStatus:
    """A goal with its measures and how many are in each status."""

    goal_id: int
    slug: str
    title: str
    summary: str
    published: bool
    department_name: str
    measures: tuple[MeasureStatus, ...]
    status_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    """Every goal and measure a reader may see, as of one month."""

    as_of: date
    today: date
    goals: tuple[GoalStatus, ...]

    @property
    def measures(self) -> tuple[MeasureStatus, ...]:
        """All measures of all goals, in display order."""
        return tuple(m for g in self.goals for m in g.measures)

    @property
    def status_counts(self) -> dict[str, int]:
        """How many measures are in each status across every goal."""
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for m in self.measures:
            counts[m.status] += 1
        return counts

    @property
    def last_updated(self) -> date | None:
        """The most recent month any measure has a value for."""
        periods = [m.latest_period for m in self.measures if m.latest_period]
        return max(periods) if periods else None


def overview(
    session: Session,
    *,
    as_of: date | None = None,
    today: date | None = None,
    published_only: bool = False,
    approved_only: bool = False,
    history_months: int = 12,
) -> Overview:
    """Every visible measure with latest value, status, freshness, reason and history, by aggregated SQL."""
    today = today or date.today()
    as_of = as_of or last_complete_month(today)
    states = PUBLIC_STATES if approved_only else INTERNAL_STATES

    measure_stmt = (
        select(
            Measure.id, Measure.slug, Measure.name, Measure.definition, Measure.unit, Measure.decimals,
            Measure.direction, Measure.trajectory, Measure.baseline_value, Measure.baseline_period,
            Measure.target_value, Measure.target_period, Measure.data_source, Measure.citation,
            Measure.published, Measure.on_track_tolerance, Measure.at_risk_tolerance, Measure.due_day,
            Goal.id.label("goal_id"), Goal.slug.label("goal_slug"), Goal.title.label("goal_title"),
            Goal.summary.label("goal_summary"), Goal.published.label("goal_published"),
            Department.slug.label("department_slug"), Department.name.label("department_name"),
        )
        .join(Goal, Goal.id == Measure.goal_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .order_by(Goal.display_order, Goal.id, Measure.display_order, Measure.id)
    )
    if published_only:
        measure_stmt = measure_stmt.where(Measure.published.is_(True), Goal.published.is_(True))
    measure_rows = session.execute(measure_stmt).all()
    goal_owner = dict(session.execute(
        select(Goal.id, Department.name).join(Department, Department.id == Goal.owner_department_id)
    ).all())

    milestones: dict[int, list[tuple[date, float]]] = defaultdict(list)
    milestone_ids = [r.id for r in measure_rows if r.trajectory == "milestones"]
    if milestone_ids:
        for measure_id, period, target in session.execute(
            select(Milestone.measure_id, Milestone.period, Milestone.target_value)
            .where(Milestone.measure_id.in_(milestone_ids))
        ):
            milestones[measure_id].append((period, target))

    history, latest = _recent_values(session, states, as_of, history_months)
    missing = [r.id for r in measure_rows if r.id not in latest]
    if missing:
        latest.update(_latest_before(session, states, add_months(as_of, -history_months + 1), missing))

    goals: dict[int, list[MeasureStatus]] = defaultdict(list)
    goal_rows = {}
    for row in measure_rows:
        spec = MeasureSpec(
            name=row.name, unit=row.unit, decimals=row.decimals, direction=row.direction,
            trajectory=row.trajectory, baseline_value=row.baseline_value, baseline_period=row.baseline_period,
            target_value=row.target_value, target_period=row.target_period,
            milestones=tuple(milestones.get(row.id, ())), on_track_tolerance=row.on_track_tolerance,
            at_risk_tolerance=row.at_risk_tolerance,
        )
        series = history.get(row.id, [])
        last = latest.get(row.id)
        if last and (not series or series[-1][0] != last[0]):
            series = [*series, (last[0], last[1])]
        evaluation = evaluate(spec, series, today, due_day=row.due_day)
        goals[row.goal_id].append(MeasureStatus(
            measure_id=row.id, slug=row.slug, name=row.name, definition=row.definition, unit=row.unit,
            decimals=row.decimals, direction=row.direction, trajectory=row.trajectory,
            goal_slug=row.goal_slug, goal_title=row.goal_title, department_slug=row.department_slug,
            department_name=row.department_name, data_source=row.data_source, citation=row.citation,
            published=bool(row.published and row.goal_published), baseline_value=row.baseline_value,
            baseline_period=row.baseline_period, target_value=row.target_value, target_period=row.target_period,
            latest_period=evaluation.latest_period, latest_value=evaluation.latest_value,
            latest_state=last[2] if last else None, status=evaluation.status, freshness=evaluation.freshness,
            progress=evaluation.progress, expected=evaluation.expected, reason=evaluation.reason,
            forecast=evaluation.forecast.text if evaluation.forecast else None,
            history=tuple(series),
        ))
        goal_rows[row.goal_id] = row

    goal_list = []
    for goal_id, measures in goals.items():
        row = goal_rows[goal_id]
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for m in measures:
            counts[m.status] += 1
        goal_list.append(GoalStatus(
            goal_id=goal_id, slug=row.goal_slug, title=row.goal_title, summary=row.goal_summary,
            published=bool(row.goal_published), department_name=goal_owner.get(goal_id, ""),
            measures=tuple(measures), status_counts=counts,
        ))
    return Overview(as_of=as_of, today=today, goals=tuple(goal_list))


def _recent_values(session: Session, states: tuple[str, ...], as_of: date, months: int):
    """Values of the last `months` months up to `as_of`, per measure, plus the latest (period, value, state)."""
    start = add_months(as_of, -months + 1)
    rows = session.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state)
        .where(Measurement.period >= start, Measurement.period <= as_of, Measurement.state.in_(states))
        .order_by(Measurement.measure_id, Measurement.period)
    )
    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    latest: dict[int, tuple[date, float, str]] = {}
    for measure_id, period, value, state in rows:
        history[measure_id].append((period, value))
        latest[measure_id] = (period, value, state)
    return history, latest


def _latest_before(session: Session, states: tuple[str, ...], before: date, measure_ids: list[int]):
    """The latest value before `before` for measures with nothing recent, by one GROUP BY."""
    newest = (
        select(Measurement.measure_id, func.max(Measurement.period, type_=Date).label("period"))
        .where(Measurement.measure_id.in_(measure_ids), Measurement.period < before, Measurement.state.in_(states))
        .group_by(Measurement.measure_id)
        .subquery()
    )
    rows = session.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state)
        .join(newest, and_(Measurement.measure_id == newest.c.measure_id, Measurement.period == newest.c.period))
    )
    return {measure_id: (period, value, state) for measure_id, period, value, state in rows}
