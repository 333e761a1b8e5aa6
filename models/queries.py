"""The read path: one aggregated query set serves the public page, the internal views, the API and exports.

Audience switches select what a reader may see: the public variant is `published_only=True, approved_only=True`;
the internal variant sees everything, with each value's review state and each measure's published flag marked.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, Date, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import clock
from models.catalog import Annotation, Goal, Measure, MeasureChange, Milestone
from models.measurements import Measurement, Revision
from models.org import Department
from models.progress import (
    FORECAST_WINDOW,
    FRESHNESS_LABELS,
    STATUS_LABELS,
    Forecast,
    MeasureSpec,
    add_months,
    evaluate,
    format_month,
    format_value,
    goal_status,
    last_complete_month,
    next_figure_due,
    pace_forecast,
    status,
)
from models.summary import INTERNAL, PUBLIC, MeasureStamp, MeasureSummary

# Values sent back for correction do not count for anyone's status.
INTERNAL_STATES = ("submitted", "approved")
PUBLIC_STATES = ("approved",)
STATUS_ORDER = ("off_track", "at_risk", "on_track", "achieved", "no_data")
HISTORY_MONTHS = 12  # months of figures a card's sparkline draws (the months models.summary keeps)

log = logging.getLogger(__name__)


class MeasureStatus(NamedTuple):
    """One measure as of a month: its definition, latest value, status, reason and short history.

    Immutable like every read-path result; a named tuple because an overview builds a thousand of them per read and
    a frozen dataclass of 31 fields costs three times as much to construct.
    """

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
    history: Sequence[tuple[date, float]]  # month order; a KeptHistory when read from measure_summary
    on_pace: bool | None = None  # whether the recent pace reaches the target in time (None: no forecast)

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
    status: str = "no_data"  # models.progress.goal_status of its measures

    @property
    def status_label(self) -> str:
        """Human label of the goal's status, e.g. "At risk"."""
        return STATUS_LABELS[self.status]


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
    history_months: int = HISTORY_MONTHS,
) -> Overview:
    """Every visible measure with latest value, status, freshness, reason and history.

    Each measure's evaluation is read from models.summary's kept rows while its change stamp and judging day still
    match; only measures written since (or on a new day) have their recent figures read and are evaluated again,
    and their rows are stored for the next reader. A view with another history length evaluates every measure.
    """
    today = today or clock.today()
    as_of = as_of or last_complete_month(today)
    audience = PUBLIC if approved_only else INTERNAL
    kept = history_months == HISTORY_MONTHS

    # Plain Core rows through the session's own connection and transaction. Pending changes are flushed first, as
    # session.execute would.
    if session.autoflush:
        session.flush()
    conn = session.connection()

    # Goals and departments are few: read them once, not once per measure in a wider join.
    departments = {dept_id: (slug, name) for dept_id, slug, name in conn.execute(
        select(Department.id, Department.slug, Department.name)
    ).all()}
    goal_info: dict[int, tuple[str, str, str, bool, int]] = {}
    goal_order: dict[int, int] = {}
    for goal_id, slug, title, summary, published, owner, order in conn.execute(
        select(Goal.id, Goal.slug, Goal.title, Goal.summary, Goal.published, Goal.owner_department_id,
               Goal.display_order)
    ).all():
        goal_info[goal_id] = (slug, title, summary, published, owner)
        goal_order[goal_id] = order
    # The stamps are read with the measures and before any figure: a figure written after this statement bumps the
    # stamp past the one a summary stored below is tagged with, so that summary is never used (see models.summary).
    stmt = _measure_select(published_only).order_by(None).add_columns(
        func.coalesce(MeasureStamp.stamp, 0), Measure.display_order,
    ).outerjoin(MeasureStamp, MeasureStamp.measure_id == Measure.id)
    if kept:
        stmt = stmt.add_columns(*_SUMMARY_COLUMNS).outerjoin(MeasureSummary, and_(
            MeasureSummary.measure_id == Measure.id, MeasureSummary.audience == audience,
            MeasureSummary.as_of == as_of))
    # Sorted here rather than by the database: PostgreSQL sorting a thousand wide rows cost more than the join.
    measure_rows = sorted(conn.execute(stmt).all(),
                          key=lambda row: (goal_order[row[18]], row[18], row[_ORDER], row[0]))

    evaluated: dict[int, _Evaluated] = {}
    stale: list = []
    kept_rows = []
    for row in measure_rows:
        if kept and row[_SUMMARY] == row[_STAMP] and row[_SUMMARY + 1] == today:
            kept_rows.append(row)
        else:
            stale.append(row)
    if kept_rows:
        evaluated.update(_from_summaries(kept_rows))
    if stale:
        fresh = _evaluate(conn, stale, as_of, today, approved_only, history_months)
        evaluated.update(fresh)
        if kept:
            _store_summaries(session, stale, fresh, audience, as_of, today)

    goals: dict[int, list[MeasureStatus]] = {}
    for row in measure_rows:
        goal_id, department_id = row[18], row[19]
        goals.setdefault(goal_id, []).append(
            _measure_status(row, goal_info[goal_id], departments[department_id], evaluated[row[0]]))

    goal_list = []
    for goal_id, measures in goals.items():
        goal_slug, goal_title, goal_summary, goal_published, owner_id = goal_info[goal_id]
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for m in measures:
            counts[m.status] += 1
        goal_list.append(GoalStatus(
            goal_id=goal_id, slug=goal_slug, title=goal_title, summary=goal_summary,
            published=bool(goal_published),
            department_name=departments[owner_id][1] if owner_id in departments else "",
            measures=tuple(measures), status_counts=counts, status=goal_status([m.status for m in measures]),
        ))
    return Overview(as_of=as_of, today=today, goals=tuple(goal_list))


# Positions in overview's rows: _measure_select's 20 columns, the change stamp, the display order, _SUMMARY_COLUMNS.
_STAMP, _ORDER, _SUMMARY = 20, 21, 22


class _Evaluated(NamedTuple):
    """What the status engine made of one measure: the parts of MeasureStatus that depend on its figures."""

    latest_period: date | None
    latest_value: float | None
    latest_state: str | None
    status: str
    freshness: str
    progress: float | None
    expected: float | None
    reason: str
    forecast: str | None
    history: Sequence[tuple[date, float]]
    on_pace: bool | None


# The evaluation is MeasureStatus's last fields, in its order; measure_summary has a column of the same name for each.
_EVALUATED_FIELDS = _Evaluated._fields
_SUMMARY_COLUMNS = (MeasureSummary.stamp, MeasureSummary.judged_on,
                    *(getattr(MeasureSummary, name) for name in _EVALUATED_FIELDS))


def _from_summaries(rows: list) -> dict[int, _Evaluated]:
    """Evaluations from kept measure_summary rows (see overview: the measure's columns, its stamp, _SUMMARY_COLUMNS)."""
    evaluated = {}
    for row in rows:
        *figures, history, on_pace = row[_SUMMARY + 2:]  # after the stamp and the judging day
        evaluated[row[0]] = _Evaluated._make((*figures, KeptHistory(history), None if on_pace is None else bool(on_pace)))
    return evaluated


class KeptHistory(Sequence[tuple[date, float]]):
    """A measure's recent (month, value) pairs as kept in measure_summary, decoded when first read.

    Only cards draw them (a sparkline each, a few dozen per page), so a thousand measures' overview does not decode
    twelve thousand months it will not show. Equal to, and hashed as, the tuple of pairs it stands for.
    """

    __slots__ = ("_pairs", "_text")

    def __init__(self, text: str):
        self._text = text
        self._pairs: tuple[tuple[date, float], ...] | None = None

    def _decoded(self) -> tuple[tuple[date, float], ...]:
        if self._pairs is None:
            self._pairs = tuple((date.fromisoformat(period), value) for period, value in json.loads(self._text))
        return self._pairs

    def __getitem__(self, index):
        return self._decoded()[index]

    def __len__(self) -> int:
        return len(self._decoded())

    def __iter__(self):
        return iter(self._decoded())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeptHistory):
            return self._text == other._text or self._decoded() == other._decoded()
        return isinstance(other, tuple) and self._decoded() == other

    def __hash__(self) -> int:
        return hash(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())

    def __getstate__(self) -> str:
        return self._text

    def __setstate__(self, text: str) -> None:
        self._text, self._pairs = text, None


def _evaluate(conn: Connection, rows: list, as_of: date, today: date, approved_only: bool,
              history_months: int) -> dict[int, _Evaluated]:
    """Read the recent figures of the measures in `rows` (see _measure_select) and evaluate each one."""
    measure_ids = [row[0] for row in rows]
    # Few measures (after a write): only theirs; many (a new day, a cold start): the whole window, unfiltered.
    only = measure_ids if len(measure_ids) <= _FEW else None
    milestones: dict[int, list[tuple[date, float]]] = defaultdict(list)
    if any(row[7] == "milestones" for row in rows):
        query = (select(Milestone.measure_id, Milestone.period, Milestone.target_value)
                 .join(Measure, Measure.id == Milestone.measure_id).where(Measure.trajectory == "milestones"))
        if only is not None:
            query = query.where(Milestone.measure_id.in_(only))
        for measure_id, period, target in conn.execute(query).all():
            milestones[measure_id].append((period, target))
    history, latest = _recent_values(conn, approved_only, as_of, history_months, only)
    missing = [measure_id for measure_id in measure_ids if measure_id not in latest]
    if missing:
        latest.update(_latest_before(conn, approved_only, add_months(as_of, -history_months + 1), missing))

    evaluated = {}
    for row in rows:
        measure_id = row[0]
        series = history.get(measure_id, [])
        last = latest.get(measure_id)
        if last and (not series or series[-1][0] != last[0]):
            series = [*series, (last[0], last[1])]
        evaluated[measure_id] = _evaluation(row, tuple(milestones.get(measure_id, ())), series, last, today)
    return evaluated


def _evaluation(row, milestones: tuple[tuple[date, float], ...], series: list[tuple[date, float]],
                last: tuple[date, float, str] | None, today: date) -> _Evaluated:
    """Evaluate one measure row (see _measure_select) from its recent series (month order) and latest value."""
    # The series is one value a month in month order (unique key, ORDER BY), so the engine needs only the months
    # its pace forecast looks at: the same evaluation as from the whole series, for less work.
    evaluation = evaluate(_spec(row, milestones), series[-FORECAST_WINDOW:], today, due_day=row[17])
    forecast = evaluation.forecast
    return _Evaluated(
        evaluation.latest_period, evaluation.latest_value, last[2] if last else None, evaluation.status,
        evaluation.freshness, evaluation.progress, evaluation.expected, evaluation.reason,
        forecast.text if forecast else None, tuple(series),
        forecast.on_pace if forecast and forecast.slope_per_month is not None else None,
    )


_FEW = 200  # up to this many measures to evaluate, their figures are read by id rather than the whole window


def _store_summaries(session: Session, rows: list, fresh: dict[int, _Evaluated], audience: str, as_of: date,
                     today: date) -> None:
    """Keep fresh evaluations for the next reader, each tagged with the stamp read before its figures.

    Best effort: a reader that cannot write (a concurrent writer on SQLite, a lock) still answers, and the next one
    evaluates again. A stored row never replaces one computed under a later stamp.
    """
    values = [{
        "measure_id": row[0], "audience": audience, "as_of": as_of, "judged_on": today, "stamp": row[_STAMP],
        **{name: getattr(fresh[row[0]], name) for name in _EVALUATED_FIELDS if name != "history"},
        "history": json.dumps([[period.isoformat(), value] for period, value in fresh[row[0]].history],
                              separators=(",", ":")),
    } for row in rows]
    insert_ = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(MeasureSummary)
    stmt = stmt.on_conflict_do_update(
        index_elements=["measure_id", "audience", "as_of"],
        set_={name: stmt.excluded[name] for name in ("judged_on", "stamp", *_EVALUATED_FIELDS)},
        where=MeasureSummary.stamp <= stmt.excluded.stamp,
    )
    try:
        with session.begin_nested():
            session.connection().execute(stmt, values)
    except DBAPIError as error:
        log.info("measure summaries not stored (%s); the next reader evaluates again", error.orig)


def _measure_select(published_only: bool):
    """The columns of every measure a status needs, in display order; the public switch hides unpublished ones.

    Column positions are fixed (see _measure_status): 0 id, 7 trajectory, 17 due_day, 18 goal_id, 19 department_id.
    """
    stmt = (
        select(
            Measure.id, Measure.slug, Measure.name, Measure.definition, Measure.unit, Measure.decimals,
            Measure.direction, Measure.trajectory, Measure.baseline_value, Measure.baseline_period,
            Measure.target_value, Measure.target_period, Measure.data_source, Measure.citation,
            Measure.published, Measure.on_track_tolerance, Measure.at_risk_tolerance, Measure.due_day,
            Measure.goal_id, Measure.owner_department_id,
        )
        .join(Goal, Goal.id == Measure.goal_id)
        .order_by(Goal.display_order, Goal.id, Measure.display_order, Measure.id)
    )
    return stmt.where(measure_visible(published_only=published_only))


def measure_visible(*, published_only: bool) -> ColumnElement[bool]:
    """SQL condition (on Measure joined to Goal): the audience may see the measure. The one home of that rule.

    A published measure under an unpublished goal stays hidden: the goal's flag wins.
    """
    if published_only:
        return and_(Measure.published.is_(True), Goal.published.is_(True))
    # Retired goals and measures are no longer tracked: they leave every view (their rows and history are kept).
    return and_(Measure.retired.is_(False), Goal.retired.is_(False))


def _spec(row, milestones: tuple[tuple[date, float], ...]) -> MeasureSpec:
    """The status engine's view of a measure row from _measure_select."""
    (
        _measure_id, _slug, name, _definition, unit, decimals, direction, trajectory, baseline_value,
        baseline_period, target_value, target_period, _source, _citation, _published, on_track_tolerance,
        at_risk_tolerance, *_rest,
    ) = row
    return MeasureSpec(
        name=name, unit=unit, decimals=decimals, direction=direction, trajectory=trajectory,
        baseline_value=baseline_value, baseline_period=baseline_period, target_value=target_value,
        target_period=target_period, milestones=milestones, on_track_tolerance=on_track_tolerance,
        at_risk_tolerance=at_risk_tolerance,
    )


def measure_specs(session: Session, measure_ids: list[int]) -> dict[int, MeasureSpec]:
    """The status engine's view of the given measures (with their milestones), by measure id, in two queries."""
    if not measure_ids:
        return {}
    wanted = sorted(set(measure_ids))
    milestones = _milestones(session, set(wanted))
    return {
        row[0]: _spec(row, tuple(milestones.get(row[0], ())))
        for row in session.execute(_measure_select(False).where(Measure.id.in_(wanted)))
    }


def _measure_status(row, goal_row, department: tuple[str, str], evaluated: _Evaluated) -> MeasureStatus:
    """One measure row (see _measure_select) with its evaluation, as the reader sees it."""
    goal_slug, goal_title, _summary, goal_published, _owner = goal_row
    # Positional, in MeasureStatus's field order (a thousand of these per overview: keywords cost a third more).
    return MeasureStatus._make((
        *row[:8],  # measure_id, slug, name, definition, unit, decimals, direction, trajectory
        goal_slug, goal_title, *department, row[12], row[13],  # ..., data_source, citation
        bool(row[14] and goal_published), *row[8:12],  # published; baseline value and period, target value and period
        *evaluated,  # latest_period ... on_pace
    ))


def visible_value(value: float, state: str, approved_value: float | None,
                  approved_only: bool) -> tuple[float, str] | None:
    """The figure an audience sees for one stored month, with the state it counts as; None when it sees none.

    The public sees the month's last approved figure, which stays in place while a correction of it waits for review
    or has been sent back. Staff see the newest figure entered or approved; a figure sent back does not count, though
    the approved figure it was meant to replace still stands.
    """
    if not approved_only and state in INTERNAL_STATES:
        return value, state
    return None if approved_value is None else (approved_value, "approved")


def _recent_values(conn: Connection, approved_only: bool, as_of: date, months: int,
                   measure_ids: list[int] | None = None):
    """Values of the last `months` months up to `as_of`, per measure, plus the latest (period, value, state)."""
    start = add_months(as_of, -months + 1)
    # One range of the (period, measure_id, state, value) index (migration 0002), read in index order: no table rows,
    # no sort. Month by month, each measure's list comes out in period order; its last row is its latest value.
    # The state is checked in Python, not in SQL: a state condition would tempt SQLite (no statistics unless someone
    # runs ANALYZE) into walking the (state, measure_id, period) index over all history instead of this window.
    query = (select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
                    Measurement.approved_value)
             .where(Measurement.period >= start, Measurement.period <= as_of)
             .order_by(Measurement.period, Measurement.measure_id))
    if measure_ids is not None:
        query = query.where(Measurement.measure_id.in_(measure_ids))
    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    last_state: dict[int, str] = {}
    for measure_id, period, value, state, approved_value in conn.execute(query):
        seen = visible_value(value, state, approved_value, approved_only)
        if seen is not None:
            history[measure_id].append((period, seen[0]))
            last_state[measure_id] = seen[1]
    latest = {measure_id: (*series[-1], last_state[measure_id]) for measure_id, series in history.items()}
    return history, latest


def visible_to(approved_only: bool):
    """SQL condition: the stored month has a figure the audience sees (see visible_value)."""
    if approved_only:
        return Measurement.approved_value.is_not(None)
    return or_(Measurement.state.in_(INTERNAL_STATES), Measurement.approved_value.is_not(None))


def _latest_before(conn: Connection, approved_only: bool, before: date, measure_ids: list[int]):
    """The latest value before `before` for measures with nothing recent, by one GROUP BY."""
    newest = (
        select(Measurement.measure_id, func.max(Measurement.period, type_=Date).label("period"))
        .where(Measurement.measure_id.in_(measure_ids), Measurement.period < before, visible_to(approved_only))
        .group_by(Measurement.measure_id)
        .subquery()
    )
    rows = conn.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
               Measurement.approved_value)
        .join(newest, and_(Measurement.measure_id == newest.c.measure_id, Measurement.period == newest.c.period))
    ).all()
    latest = {}
    for measure_id, period, value, state, approved_value in rows:
        seen = visible_value(value, state, approved_value, approved_only)
        if seen is not None:
            latest[measure_id] = (period, *seen)
    return latest


def earliest_period(session: Session, *, published_only: bool, approved_only: bool) -> date | None:
    """The first month of data the audience may see (None when there is none), for month pickers: the earliest
    figure or measure baseline, whichever comes first."""
    figures = select(func.min(Measurement.period)).where(visible_to(approved_only))
    baselines = select(func.min(Measure.baseline_period))
    if published_only:
        figures = (figures.join(Measure, Measure.id == Measurement.measure_id)
                   .join(Goal, Goal.id == Measure.goal_id).where(Measure.published.is_(True), Goal.published.is_(True)))
        baselines = baselines.join(Goal, Goal.id == Measure.goal_id).where(Measure.published.is_(True),
                                                                          Goal.published.is_(True))
    found = [_as_period(session.scalar(stmt)) for stmt in (figures, baselines)]
    return min((period for period in found if period is not None), default=None)


def _as_period(value: date | str | None) -> date | None:
    """A date from an aggregate (SQLite returns an aggregate of dates as text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


# --- one measure, one goal: the read path of the goal and measure pages -----------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    """One month's value of a measure and its review state ("approved" or "submitted")."""

    period: date
    value: float
    state: str


@dataclass(frozen=True)
class AnnotationNote:
    """A dated event that explains a measure's numbers, with where it comes from."""

    event_date: date
    text: str
    citation: str


@dataclass(frozen=True)
class Correction:
    """A change to a month's value after it had been published: old and new value, when and why."""

    period: date
    old_value: float | None
    new_value: float | None
    corrected_on: date
    reason: str


@dataclass(frozen=True)
class PlanChange:
    """A change to a published measure's target, baseline, milestones or definition, with its reason."""

    kind: str  # target | baseline | milestones | definition
    before: dict
    after: dict
    reason: str
    changed_on: date
    unit: str
    decimals: int

    def _value(self, value: float | None) -> str:
        return "–" if value is None else format_value(value, self.unit, self.decimals)

    def _point(self, part: dict, with_period: bool) -> str:
        shown = self._value(part.get("value"))
        if with_period and part.get("period"):
            month = format_month(date.fromisoformat(part["period"]))
            shown += f" by {month}" if self.kind == "target" else f" ({month})"
        return shown

    def _milestones(self, part: dict) -> str:
        items = part.get("milestones") or []
        if not items:
            return "none"
        return ", ".join(f"{self._value(value)} by {format_month(date.fromisoformat(period))}"
                         for period, value in items)

    @property
    def summary(self) -> str:
        """One sentence, e.g. "Target changed from 450 to 500 in March 2025" (the reason follows it)."""
        when = format_month(self.changed_on)
        if self.kind in ("target", "baseline"):
            moved = self.before.get("period") != self.after.get("period")
            label = "Target" if self.kind == "target" else "Baseline"
            return (f"{label} changed from {self._point(self.before, moved)} to {self._point(self.after, moved)} "
                    f"in {when}")
        if self.kind == "milestones":
            return (f"Milestones changed from {self._milestones(self.before)} to {self._milestones(self.after)} "
                    f"in {when}")
        return f"Definition changed in {when}"

    @property
    def text(self) -> str:
        """The summary with its reason: "Target changed from 450 to 500 in March 2025: <reason>"."""
        return f"{self.summary}: {self.reason}"


@dataclass(frozen=True)
class MeasureDetail:
    """Everything a measure's page and chart show: its status, every month's value, targets, events, corrections."""

    status: MeasureStatus
    spec: MeasureSpec
    values: tuple[SeriesPoint, ...]
    milestones: tuple[tuple[date, float], ...]
    annotations: tuple[AnnotationNote, ...]
    corrections: tuple[Correction, ...]
    forecast: Forecast | None
    as_of: date
    today: date
    next_period: date
    next_due: date
    plan_changes: tuple[PlanChange, ...] = ()  # newest first

    @property
    def slug(self) -> str:
        """The measure's slug."""
        return self.status.slug

    @property
    def next_is_late(self) -> bool:
        """Whether the next figure is past its due day."""
        return self.today > self.next_due


@dataclass(frozen=True)
class GoalDetail:
    """A goal with the details of every measure the reader may see."""

    slug: str
    title: str
    summary: str
    published: bool
    department_name: str
    as_of: date
    measures: tuple[MeasureDetail, ...]

    @property
    def status_counts(self) -> dict[str, int]:
        """How many of the goal's measures are in each status."""
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for detail in self.measures:
            counts[detail.status.status] += 1
        return counts

    @property
    def status(self) -> str:
        """The goal's own status: the worst of its measures with data (models.progress.goal_status)."""
        return goal_status([detail.status.status for detail in self.measures])


def measure_detail(session: Session, slug: str, *, published_only: bool, approved_only: bool,
                   today: date | None = None) -> MeasureDetail | None:
    """One measure's page data; None for an unknown slug and, for the public, an unpublished measure or goal."""
    details = _details(session, Measure.slug == slug, published_only=published_only, approved_only=approved_only,
                       today=today)
    return details[0] if details else None


def goal_detail(session: Session, slug: str, *, published_only: bool, approved_only: bool,
                today: date | None = None) -> GoalDetail | None:
    """A goal and the details of its visible measures; None for an unknown slug or, for the public, an unpublished goal."""
    today = today or clock.today()
    if session.autoflush:
        session.flush()
    conn = session.connection()
    stmt = (select(Goal.id, Goal.slug, Goal.title, Goal.summary, Goal.published, Department.name)
            .join(Department, Department.id == Goal.owner_department_id).where(Goal.slug == slug))
    if published_only:
        stmt = stmt.where(Goal.published.is_(True))
    row = conn.execute(stmt).one_or_none()
    if row is None:
        return None
    goal_id, goal_slug, title, summary, published, department_name = row
    details = _details(session, Measure.goal_id == goal_id, published_only=published_only,
                       approved_only=approved_only, today=today)
    return GoalDetail(slug=goal_slug, title=title, summary=summary, published=bool(published),
                      department_name=department_name, as_of=last_complete_month(today), measures=tuple(details))


def _details(session: Session, which, *, published_only: bool, approved_only: bool,
             today: date | None) -> list[MeasureDetail]:
    """MeasureDetail of each measure matching `which`, from one query per kind of row (not one per measure)."""
    today = today or clock.today()
    as_of = last_complete_month(today)
    if session.autoflush:
        session.flush()
    conn = session.connection()
    rows = conn.execute(_measure_select(published_only).where(which)).all()
    if not rows:
        return []
    measure_ids = [row[0] for row in rows]
    goal_ids = {row[18] for row in rows}
    goal_info: dict[int, tuple[str, str, str, bool, int]] = {
        goal_id: (slug, title, summary, published, owner) for goal_id, slug, title, summary, published, owner
        in conn.execute(
            select(Goal.id, Goal.slug, Goal.title, Goal.summary, Goal.published, Goal.owner_department_id)
            .where(Goal.id.in_(goal_ids))
        ).all()
    }
    departments = {dept_id: (dept_slug, name) for dept_id, dept_slug, name in conn.execute(
        select(Department.id, Department.slug, Department.name)
        .where(Department.id.in_({row[19] for row in rows}))
    ).all()}
    milestones: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for measure_id, period, target in conn.execute(
        select(Milestone.measure_id, Milestone.period, Milestone.target_value)
        .where(Milestone.measure_id.in_(measure_ids)).order_by(Milestone.measure_id, Milestone.period)
    ).all():
        milestones[measure_id].append((period, target))
    # The series of every measure at once: one query, in month order per measure.
    values: dict[int, list[SeriesPoint]] = defaultdict(list)
    for measure_id, period, value, state, approved_value in conn.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
               Measurement.approved_value)
        .where(Measurement.measure_id.in_(measure_ids), visible_to(approved_only), Measurement.period <= as_of)
        .order_by(Measurement.measure_id, Measurement.period)
    ).all():
        # The same figure per month as the overview shows this audience (see visible_value).
        seen = visible_value(value, state, approved_value, approved_only)
        if seen is not None:
            values[measure_id].append(SeriesPoint(period, seen[0], seen[1]))
    notes = _annotations(conn, measure_ids, goal_ids)
    corrections = _corrections(conn, measure_ids, approved_only=approved_only)
    plan_changes = _plan_changes(conn, measure_ids, {row[0]: (row[4], row[5]) for row in rows})

    window_start = add_months(as_of, -11)  # the overview's 12 months of history
    details = []
    for row in rows:
        measure_id, trajectory, due_day, goal_id, department_id = row[0], row[7], row[17], row[18], row[19]
        points = values.get(measure_id, [])
        # Milestones bend only a milestones trajectory; the overview passes them for those alone, and so must this.
        own_milestones = tuple(milestones.get(measure_id, ())) if trajectory == "milestones" else ()
        series = [(p.period, p.value) for p in points]
        last = (points[-1].period, points[-1].value, points[-1].state) if points else None
        history = [point for point in series if point[0] >= window_start]
        if last and (not history or history[-1][0] != last[0]):
            history.append((last[0], last[1]))
        status = _measure_status(row, goal_info[goal_id], departments[department_id],
                                 _evaluation(row, own_milestones, history, last, today))
        spec = _spec(row, own_milestones)
        next_period, next_due = next_figure_due(status.latest_period, today, due_day)
        details.append(MeasureDetail(
            status=status, spec=spec, values=tuple(points), milestones=own_milestones,
            annotations=tuple(note for scope_measure, scope_goal, note in notes
                              if scope_measure == measure_id or (scope_measure is None and scope_goal == goal_id)),
            corrections=tuple(corrections.get(measure_id, ())),
            forecast=pace_forecast(spec, series[-FORECAST_WINDOW:]), as_of=as_of, today=today,
            next_period=next_period, next_due=next_due, plan_changes=tuple(plan_changes.get(measure_id, ())),
        ))
    return details


def _plan_changes(conn: Connection, measure_ids: list[int],
                  units: dict[int, tuple[str, int]]) -> dict[int, list[PlanChange]]:
    """Recorded changes to these measures' plans (target, baseline, milestones, definition), newest first."""
    found: dict[int, list[PlanChange]] = defaultdict(list)
    rows = cast(list[tuple[int, str, dict | None, dict | None, str, date]], conn.execute(
        select(MeasureChange.measure_id, MeasureChange.kind, MeasureChange.before, MeasureChange.after,
               MeasureChange.reason, MeasureChange.changed_on)
        .where(MeasureChange.measure_id.in_(measure_ids))
        .order_by(MeasureChange.measure_id, MeasureChange.id.desc())
    ).all())
    for measure_id, kind, before, after, reason, changed_on in rows:
        unit, decimals = units[measure_id]
        found[measure_id].append(PlanChange(kind=kind, before=dict(before or {}), after=dict(after or {}),
                                            reason=reason, changed_on=_as_period(changed_on) or changed_on,
                                            unit=unit, decimals=decimals))
    return found


def _annotations(conn: Connection, measure_ids: list[int], goal_ids: set[int]):
    """(measure scope, goal scope, note) of events scoped to these measures or (with no measure) to their goals."""
    rows = conn.execute(
        select(Annotation.measure_id, Annotation.goal_id, Annotation.event_date, Annotation.text, Annotation.citation)
        .where(or_(Annotation.measure_id.in_(measure_ids),
                   and_(Annotation.measure_id.is_(None), Annotation.goal_id.in_(goal_ids))))
        .order_by(Annotation.event_date, Annotation.id)
    ).all()
    return [(measure_id, goal_id, AnnotationNote(event_date, text, citation))
            for measure_id, goal_id, event_date, text, citation in rows]


def _corrections(conn: Connection, measure_ids: list[int], *, approved_only: bool) -> dict[int, list[Correction]]:
    """Corrections to values that had been published (approved), per measure, newest first.

    Staff see every such correction as recorded. The public sees a correction once its new value is approved,
    from the value it had seen before (the last approved one) to the new approved value, with the reason given.
    """
    rows = conn.execute(
        select(Measurement.measure_id, Measurement.id, Measurement.period, Revision.action, Revision.old_value,
               Revision.new_value, Revision.old_state, Revision.new_state, Revision.reason, Revision.created_at)
        .join(Measurement, Measurement.id == Revision.measurement_id)
        .where(Measurement.measure_id.in_(measure_ids))
        .order_by(Measurement.id, Revision.id)
    ).all()
    found: dict[int, list[Correction]] = defaultdict(list)
    current: int | None = None
    published_value: float | None = None
    pending: list = []
    for measure_id, measurement_id, period, action, old_value, new_value, old_state, new_state, reason, at, *_ in rows:
        if measurement_id != current:
            current, published_value, pending = measurement_id, None, []
        if action == "correct" and (published_value is not None or old_state == "approved"):
            if published_value is None:
                published_value = old_value
            if approved_only:
                pending.append((at, reason))
            else:
                found[measure_id].append(Correction(period, old_value, new_value, _day(at), reason or ""))
        if new_state == "approved":
            if pending and new_value != published_value:
                at, reason = pending[-1]
                found[measure_id].append(Correction(period, published_value, new_value, _day(at), reason or ""))
            pending = []
            published_value = new_value
    for corrections in found.values():
        corrections.sort(key=lambda c: (c.corrected_on, c.period), reverse=True)
    return found


def _day(moment) -> date:
    """The calendar day of a stored timestamp (SQLite may hand back text)."""
    if isinstance(moment, str):
        return date.fromisoformat(moment[:10])
    return moment.date() if hasattr(moment, "date") else moment


# --- open data: every value, corrections, catalog facts ----------------------------------------------------------


@dataclass(frozen=True)
class ValueRow:
    """One visible monthly value with its status as of that month: a row of the downloads and the API."""

    goal: str
    measure: str
    period: date
    value: float
    unit: str
    status: str
    source: str
    citation: str
    last_revised: date | None


@dataclass(frozen=True)
class CorrectionRow:
    """A published value changed after its first publication: what it was, what it is, when and why."""

    measure: str
    period: date
    old_value: float
    new_value: float
    revised_on: date
    reason: str | None


@dataclass(frozen=True)
class DatasetFacts:
    """What a catalog entry says about one measure's values: months covered, last change, who to contact."""

    first_period: date | None
    last_period: date | None
    last_revised: date | None
    contact_email: str


def _as_date(moment: datetime | date | str | None) -> date | None:
    """The calendar day of a stored timestamp, or None (see _day)."""
    return None if moment is None else _day(moment)


def values(
    session: Session,
    *,
    published_only: bool,
    approved_only: bool,
    measure_slug: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[ValueRow]:
    """Every visible value of every visible measure (or of one), each judged as of its own month, in one query.

    Status comes from the status engine (`models.progress.status`) with one spec a measure, so a download says
    exactly what the page said that month.
    """
    last_change = (
        select(Revision.measurement_id, func.max(Revision.created_at, type_=Revision.created_at.type).label("at"))
        .where(Revision.new_state == "approved" if approved_only else Revision.new_state.in_(INTERNAL_STATES))
        .group_by(Revision.measurement_id)
        .subquery()
    )
    stmt = (
        select(
            Measure.id, Goal.slug, Measure.slug, Measure.unit, Measure.decimals, Measure.direction, Measure.trajectory,
            Measure.baseline_value, Measure.baseline_period, Measure.target_value, Measure.target_period,
            Measure.on_track_tolerance, Measure.at_risk_tolerance, Measure.data_source, Measure.citation,
            Measurement.period, Measurement.value, Measurement.state, Measurement.approved_value,
            Measurement.source_ref, last_change.c.at,
        )
        .join(Goal, Goal.id == Measure.goal_id)
        .join(Measurement, Measurement.measure_id == Measure.id)
        .outerjoin(last_change, last_change.c.measurement_id == Measurement.id)
        .where(visible_to(approved_only))
        .order_by(Goal.display_order, Goal.id, Measure.display_order, Measure.id, Measurement.period)
    )
    stmt = stmt.where(measure_visible(published_only=published_only))
    if measure_slug is not None:
        stmt = stmt.where(Measure.slug == measure_slug)
    if start is not None:
        stmt = stmt.where(Measurement.period >= start)
    if end is not None:
        stmt = stmt.where(Measurement.period <= end)
    rows = session.execute(stmt).all()
    milestones = _milestones(session, {row[0] for row in rows if row[6] == "milestones"})
    specs: dict[int, MeasureSpec] = {}
    result = []
    for row in rows:
        (measure_id, goal_slug, slug, unit, decimals, direction, trajectory, baseline_value, baseline_period,
         target_value, target_period, on_track, at_risk, data_source, citation, period, stored, state, approved_value,
         source_ref, changed_at) = row  # type: ignore[misc]  # a Row of 21 columns; unpacked by position
        seen = visible_value(stored, state, approved_value, approved_only)
        if seen is None:
            continue
        value = seen[0]
        spec = specs.get(measure_id)
        if spec is None:
            spec = specs[measure_id] = MeasureSpec(
                name=slug, unit=unit, decimals=decimals, direction=direction, trajectory=trajectory,
                baseline_value=baseline_value, baseline_period=baseline_period, target_value=target_value,
                target_period=target_period, milestones=tuple(milestones.get(measure_id, ())),
                on_track_tolerance=on_track, at_risk_tolerance=at_risk,
            )
        result.append(ValueRow(
            goal=goal_slug, measure=slug, period=period, value=value, unit=unit,
            status=status(spec, value, period), source=data_source, citation=source_ref or citation,
            last_revised=_as_date(changed_at),
        ))
    return result


def _milestones(session: Session, measure_ids: set[int]) -> dict[int, list[tuple[date, float]]]:
    """Interim targets of the given measures, by measure id."""
    found: dict[int, list[tuple[date, float]]] = defaultdict(list)
    if measure_ids:
        for measure_id, period, target in session.execute(
            select(Milestone.measure_id, Milestone.period, Milestone.target_value)
            .where(Milestone.measure_id.in_(sorted(measure_ids)))
        ):
            found[measure_id].append((period, target))
    return found


def corrections(session: Session, *, published_only: bool, measure_slug: str | None = None) -> list[CorrectionRow]:
    """Corrections of visible measures' published figures, oldest first, as the measure pages list them.

    The public audience (published_only) sees a correction once its new figure is approved: from the figure it had
    seen to the new one, dated when it was corrected, with the reason given (see _corrections).
    """
    stmt = select(Measure.id, Measure.slug).join(Goal, Goal.id == Measure.goal_id).where(
        measure_visible(published_only=published_only))
    if measure_slug is not None:
        stmt = stmt.where(Measure.slug == measure_slug)
    slugs: dict[int, str] = dict(session.execute(stmt).all())
    if not slugs:
        return []
    if session.autoflush:
        session.flush()
    found = [
        CorrectionRow(measure=slugs[measure_id], period=c.period, old_value=c.old_value, new_value=c.new_value,
                      revised_on=c.corrected_on, reason=c.reason or None)
        for measure_id, items in _corrections(session.connection(), list(slugs), approved_only=published_only).items()
        for c in items if c.old_value is not None and c.new_value is not None
    ]
    found.sort(key=lambda row: (row.revised_on, row.measure, row.period))
    return found


def dataset_facts(session: Session, *, published_only: bool, approved_only: bool) -> dict[str, DatasetFacts]:
    """Per visible measure slug: first and last month with a visible value, last change and contact, by GROUP BY."""
    spans = (
        select(Measurement.measure_id, func.min(Measurement.period, type_=Date).label("first"),
               func.max(Measurement.period, type_=Date).label("last"))
        .where(visible_to(approved_only))
        .group_by(Measurement.measure_id)
        .subquery()
    )
    changes = (
        select(Measurement.measure_id, func.max(Revision.created_at, type_=Revision.created_at.type).label("at"))
        .join(Revision, Revision.measurement_id == Measurement.id)
        .where(visible_to(approved_only),
               Revision.new_state == "approved" if approved_only else Revision.new_state.in_(INTERNAL_STATES))
        .group_by(Measurement.measure_id)
        .subquery()
    )
    stmt = (
        select(Measure.slug, spans.c.first, spans.c.last, changes.c.at, Department.contact_email)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .outerjoin(spans, spans.c.measure_id == Measure.id)
        .outerjoin(changes, changes.c.measure_id == Measure.id)
    )
    stmt = stmt.where(measure_visible(published_only=published_only))
    facts: dict[str, DatasetFacts] = {}
    rows = cast(list[tuple[str, date | None, date | None, datetime | str | None, str | None]],
                session.execute(stmt).all())
    for slug, first, last, at, email in rows:
        facts[slug] = DatasetFacts(first_period=first, last_period=last, last_revised=_as_date(at),
                                   contact_email=email or "")
    return facts


@dataclass(frozen=True)
class PublicReply:
    """The performance team's public answer to a resident's report about a measure."""

    period: date | None
    reply: str
    replied_on: date | None


def public_replies(session: Session, measure_slug: str) -> list[PublicReply]:
    """Public replies to resolved reports about a visible (published) measure, newest first."""
    from models.feedback import Feedback  # feedback's services build on this module

    stmt = (
        select(Feedback.period, Feedback.public_reply, Feedback.resolved_at)
        .join(Measure, Measure.id == Feedback.measure_id).join(Goal, Goal.id == Measure.goal_id)
        .where(Measure.slug == measure_slug, Feedback.state == "resolved", Feedback.public_reply.is_not(None),
               measure_visible(published_only=True))
        .order_by(Feedback.resolved_at.desc(), Feedback.id.desc())
    )
    return [PublicReply(period=period, reply=reply or "", replied_on=_as_date(at))
            for period, reply, at in session.execute(stmt)]
