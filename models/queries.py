"""The read path: one aggregated query set serves the public page, the internal views, the API and exports.

Audience switches select what a reader may see: the public variant is `published_only=True, approved_only=True`;
the internal variant sees everything, with each value's review state and each measure's published flag marked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, and_, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models import clock
from models.catalog import Goal, Measure, Milestone
from models.measurements import Measurement, Revision
from models.org import Department
from models.progress import (
    FORECAST_WINDOW,
    FRESHNESS_LABELS,
    STATUS_LABELS,
    MeasureSpec,
    add_months,
    evaluate,
    goal_status,
    last_complete_month,
    status,
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


def measure_visible(*, published_only: bool) -> ColumnElement[bool]:
    """SQL condition (on Measure joined to Goal): the audience may see the measure. The one home of that rule."""
    if published_only:
        return and_(Measure.published.is_(True), Goal.published.is_(True))
    return true()


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
    today = today or clock.today()
    as_of = as_of or last_complete_month(today)

    # Plain Core rows through the session's own connection and transaction: the ORM's per-row machinery would cost
    # more than the queries themselves. Pending changes are flushed first, as session.execute would.
    if session.autoflush:
        session.flush()
    conn = session.connection()

    # Goals and departments are few: read them once, not once per measure in a wider join.
    departments = {dept_id: (slug, name) for dept_id, slug, name in conn.execute(
        select(Department.id, Department.slug, Department.name)
    ).all()}
    goal_info: dict[int, tuple[str, str, str, bool, int]] = {
        goal_id: (slug, title, summary, published, owner) for goal_id, slug, title, summary, published, owner
        in conn.execute(
            select(Goal.id, Goal.slug, Goal.title, Goal.summary, Goal.published, Goal.owner_department_id)
        ).all()
    }
    measure_stmt = (
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
    measure_stmt = measure_stmt.where(measure_visible(published_only=published_only))
    measure_rows = conn.execute(measure_stmt).all()

    milestones: dict[int, list[tuple[date, float]]] = defaultdict(list)
    if any(row[7] == "milestones" for row in measure_rows):
        # Milestones of every milestones measure: a small table, one query, no list of ids to bind.
        for measure_id, period, target in conn.execute(
            select(Milestone.measure_id, Milestone.period, Milestone.target_value)
            .join(Measure, Measure.id == Milestone.measure_id)
            .where(Measure.trajectory == "milestones")
        ).all():
            milestones[measure_id].append((period, target))

    history, latest = _recent_values(conn, approved_only, as_of, history_months)
    missing = [row[0] for row in measure_rows if row[0] not in latest]
    if missing:
        latest.update(_latest_before(conn, approved_only, add_months(as_of, -history_months + 1), missing))

    goals: dict[int, list[MeasureStatus]] = {}
    no_history: list[tuple[date, float]] = []
    no_milestones: tuple[tuple[date, float], ...] = ()
    for row in measure_rows:
        (
            measure_id, slug, name, definition, unit, decimals, direction, trajectory, baseline_value,
            baseline_period, target_value, target_period, data_source, citation, published, on_track_tolerance,
            at_risk_tolerance, due_day, goal_id, department_id,
        ) = row  # type: ignore[misc]  # a Row of 20 columns; unpacked by position
        goal_slug, goal_title, _summary, goal_published, _owner = goal_info[goal_id]
        department_slug, department_name = departments[department_id]
        series = history.get(measure_id, no_history)
        last = latest.get(measure_id)
        if last and (not series or series[-1][0] != last[0]):
            series = [*series, (last[0], last[1])]
        # Every input of this measure's status, so an unchanged measure is not evaluated again after a write to
        # another one; the key holds all of them, so a memoized status can never be out of date.
        memo_key = (tuple(row), goal_slug, goal_title, goal_published, department_slug, department_name,
                    tuple(milestones.get(measure_id, ())), tuple(series), last[2] if last else None, today)
        measure = _EVALUATED.get(memo_key)
        if measure is not None:
            goals.setdefault(goal_id, []).append(measure)
            continue
        spec = MeasureSpec(
            name=name, unit=unit, decimals=decimals, direction=direction, trajectory=trajectory,
            baseline_value=baseline_value, baseline_period=baseline_period, target_value=target_value,
            target_period=target_period, milestones=tuple(milestones[measure_id]) if measure_id in milestones
            else no_milestones, on_track_tolerance=on_track_tolerance, at_risk_tolerance=at_risk_tolerance,
        )
        # The series is already one value a month in month order (unique key, ORDER BY), so the engine needs only
        # the months its pace forecast looks at: the same evaluation as from the whole series, for less work.
        evaluation = evaluate(spec, series[-FORECAST_WINDOW:], today, due_day=due_day)
        forecast = evaluation.forecast
        measure = _frozen(MeasureStatus, _MEASURE_STATUS_FIELDS, {
            "measure_id": measure_id, "slug": slug, "name": name, "definition": definition, "unit": unit,
            "decimals": decimals, "direction": direction, "trajectory": trajectory,
            "goal_slug": goal_slug, "goal_title": goal_title, "department_slug": department_slug,
            "department_name": department_name, "data_source": data_source, "citation": citation,
            "published": bool(published and goal_published), "baseline_value": baseline_value,
            "baseline_period": baseline_period, "target_value": target_value, "target_period": target_period,
            "latest_period": evaluation.latest_period, "latest_value": evaluation.latest_value,
            "latest_state": last[2] if last else None, "status": evaluation.status,
            "freshness": evaluation.freshness, "progress": evaluation.progress, "expected": evaluation.expected,
            "reason": evaluation.reason, "forecast": forecast.text if forecast else None,
            "history": tuple(series),
            "on_pace": forecast.on_pace if forecast and forecast.slope_per_month is not None else None,
        })
        if len(_EVALUATED) >= _EVALUATED_LIMIT:
            _EVALUATED.clear()
        _EVALUATED[memo_key] = measure
        goals.setdefault(goal_id, []).append(measure)

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


_MEASURE_STATUS_FIELDS = frozenset(f.name for f in fields(MeasureStatus))
# Evaluated measures by every input of their evaluation (see overview). Plain dict operations are atomic, so
# threads may share it; it is emptied when full rather than tracked as an LRU.
_EVALUATED: dict[tuple, MeasureStatus] = {}
_EVALUATED_LIMIT = 10_000


def _frozen(cls, names: frozenset[str], values: dict):
    """An instance of frozen dataclass `cls` from all of its field values, without its generated __init__.

    A frozen dataclass sets each field through object.__setattr__; for MeasureStatus's 31 fields that costs more
    per measure than reading the rows. The object is the same (fields, equality, hash, repr); should `values` not
    name every field exactly, the real constructor runs and says what is wrong.
    """
    if values.keys() != names:
        return cls(**values)
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


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


def _recent_values(conn: Connection, approved_only: bool, as_of: date, months: int):
    """Values of the last `months` months up to `as_of`, per measure, plus the latest (period, value, state)."""
    start = add_months(as_of, -months + 1)
    # One range of the (period, measure_id, state, value) index (migration 0002), read in index order: no table rows,
    # no sort. Month by month, each measure's list comes out in period order; its last row is its latest value.
    # The state is checked in Python, not in SQL: a state condition would tempt SQLite (no statistics unless someone
    # runs ANALYZE) into walking the (state, measure_id, period) index over all history instead of this window.
    # Thousands of rows of four plain columns: read as the driver's tuples (no Row object apiece), a chunk at a time
    # (one driver call per chunk, never all rows alive at once: less work for the garbage collector); each distinct
    # period is converted once.
    periods = _Periods(Date().dialect_impl(conn.dialect).result_processor(conn.dialect, None))
    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    last_state: dict[int, str] = {}
    result = conn.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
               Measurement.approved_value)
        .where(Measurement.period >= start, Measurement.period <= as_of)
        .order_by(Measurement.period, Measurement.measure_id)
    )
    try:
        cursor = result.cursor
        while rows := cursor.fetchmany(_CHUNK):
            for measure_id, period, value, state, approved_value in rows:
                seen = visible_value(value, state, approved_value, approved_only)
                if seen is not None:
                    history[measure_id].append((periods[period], seen[0]))
                    last_state[measure_id] = seen[1]
    finally:
        result.close()
    latest = {measure_id: (*series[-1], last_state[measure_id]) for measure_id, series in history.items()}
    return history, latest


_CHUNK = 1000


class _Periods(dict):
    """Periods as the driver returns them (a date, or ISO text on SQLite) to dates, each distinct one parsed once."""

    def __init__(self, parse):
        super().__init__()
        self.parse = parse  # the dialect's own conversion for a Date column, None where the driver gives dates

    def __missing__(self, raw) -> date:
        period = self.parse(raw) if self.parse else raw
        self[raw] = period
        return period


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
    """The calendar day of a stored timestamp (SQLite may hand back text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.date() if isinstance(moment, datetime) else moment


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
    """Values of visible measures whose approved figure changed after it was first approved, oldest first.

    Both figures of a correction are approved ones: a correction awaiting approval is not published, so it is not
    listed until it is approved (its reason is the one given when it was corrected).
    """
    stmt = (
        select(Revision.measurement_id, Measure.slug, Measurement.period, Revision.action, Revision.new_value,
               Revision.new_state, Revision.reason, Revision.created_at)
        .join(Measurement, Measurement.id == Revision.measurement_id)
        .join(Measure, Measure.id == Measurement.measure_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .where((Revision.new_state == "approved") | (Revision.action == "correct"))
        .order_by(Revision.measurement_id, Revision.id)
    )
    stmt = stmt.where(measure_visible(published_only=published_only))
    if measure_slug is not None:
        stmt = stmt.where(Measure.slug == measure_slug)
    found = []
    published: dict[int, float] = {}
    reasons: dict[int, str | None] = {}
    for measurement_id, slug, period, action, new_value, new_state, reason, created_at in session.execute(stmt):
        if action == "correct":
            reasons[measurement_id] = reason
            continue
        before = published.get(measurement_id)
        if before is not None and new_value is not None and new_value != before:
            found.append(CorrectionRow(measure=slug, period=period, old_value=before, new_value=new_value,
                                       revised_on=_as_date(created_at) or period,
                                       reason=reasons.get(measurement_id)))
        if new_state == "approved" and new_value is not None:
            published[measurement_id] = new_value
        reasons.pop(measurement_id, None)
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
    for slug, first, last, at, email in session.execute(stmt).tuples():
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
