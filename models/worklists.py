"""Read functions for the staff work pages: what a person may enter, what is stored, what waits for approval.

Also the pure ordering and filtering of the internal dashboard's rows (worst first). No screen, no Dash, no Flask.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from models.catalog import Goal, Measure
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.progress import JUMP_WINDOW, add_months, expected_value, figure_flags, month_start
from models.queries import MeasureStatus, measure_specs, visible_value
from models.services import TWO_PERSON_MESSAGE, Actor, approved_by_author, current_authors

# Dashboard filter values besides the status names themselves.
FILTER_ALL = "all"
FILTER_LATE = "late"  # figure due or overdue
FILTER_AWAITING = "awaiting"  # latest value awaits approval
FILTER_UNPUBLISHED = "unpublished"
# Worst first: off track, at risk, then figures that are late, then no data, then the good news.
_CONCERN_BY_STATUS = {"off_track": 0, "at_risk": 1, "no_data": 4, "on_track": 5, "achieved": 6}
_CONCERN_BY_FRESHNESS = {"overdue": 2, "due": 3}
_FRESHNESS_RANK = {"overdue": 0, "due": 1, "current": 2}


@dataclass(frozen=True)
class EnterableMeasure:
    """A measure someone may enter values for, with what they need to enter it right."""

    id: int
    slug: str
    name: str
    goal_title: str
    department_name: str
    unit: str
    decimals: int
    valid_min: float | None
    valid_max: float | None
    definition: str
    data_source: str
    cumulative: bool = False


@dataclass(frozen=True)
class StoredValue:
    """The value stored for one measure and month, its review state and who touched it when."""

    id: int
    measure_id: int
    period: date
    value: float
    state: str
    version: int
    note: str | None
    entered_by: str | None
    entered_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


@dataclass(frozen=True)
class QueueItem:
    """A submitted value awaiting approval, with last month's figure, the expected one and its anomaly flags."""

    id: int
    version: int
    measure_id: int
    measure_name: str
    department_name: str
    unit: str
    decimals: int
    period: date
    value: float
    note: str | None
    entered_by: str | None
    entered_at: datetime | None
    previous_period: date | None  # None only for a stored month with no month before it (year 1)
    previous_value: float | None
    correction_reason: str | None
    corrected_from: float | None
    department_id: int | None = None
    expected_value: float | None = None
    flags: tuple[str, ...] = ()
    # Why the person looking at the queue may not approve this value (None: they may).
    blocked: str | None = None

    @property
    def change(self) -> float | None:
        """This month's value minus the previous month's, or None when there is nothing to compare."""
        return None if self.previous_value is None else self.value - self.previous_value


def _enterable_select(actor: Actor | None) -> Select | None:
    """The measures `actor` may enter: all for admins, their department's for editors, None for anyone else."""
    stmt = (
        select(
            Measure.id, Measure.slug, Measure.name, Goal.title.label("goal_title"),
            Department.name.label("department_name"), Measure.unit, Measure.decimals, Measure.valid_min,
            Measure.valid_max, Measure.definition, Measure.data_source, Measure.cumulative,
        )
        .join(Goal, Goal.id == Measure.goal_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .where(Measure.retired.is_(False), Goal.retired.is_(False))  # retired measures take no more figures
        .order_by(Goal.display_order, Goal.id, Measure.display_order, Measure.id)
    )
    if actor is None:
        return None
    if actor.role == "admin":
        return stmt
    if actor.role == "editor" and actor.department_id is not None:
        return stmt.where(Measure.owner_department_id == actor.department_id)
    return None


def enterable_measures(session: Session, actor: Actor | None) -> list[EnterableMeasure]:
    """Measures the person may enter values for, in display order (admins: all; editors: own department's)."""
    stmt = _enterable_select(actor)
    if stmt is None:
        return []
    return [EnterableMeasure(**row._asdict()) for row in session.execute(stmt)]


def measure_for_entry(session: Session, actor: Actor | None, measure_id: int) -> EnterableMeasure | None:
    """One measure the person may enter values for, or None when it does not exist or is not theirs to enter."""
    stmt = _enterable_select(actor)
    if stmt is None:
        return None
    row = session.execute(stmt.where(Measure.id == measure_id)).first()
    return EnterableMeasure(**row._asdict()) if row else None


def stored_value(session: Session, measure_id: int, period: date) -> StoredValue | None:
    """The value stored for a measure and month (any review state), or None when the month has none yet."""
    entered, reviewed = aliased(User), aliased(User)
    row = session.execute(
        select(Measurement, entered.display_name, reviewed.display_name)
        .outerjoin(entered, entered.id == Measurement.entered_by_id)
        .outerjoin(reviewed, reviewed.id == Measurement.reviewed_by_id)
        .where(Measurement.measure_id == measure_id, Measurement.period == month_start(period))
    ).first()
    if row is None:
        return None
    m, entered_name, reviewed_name = row
    return StoredValue(
        id=m.id, measure_id=m.measure_id, period=m.period, value=m.value, state=m.state, version=m.version,
        note=m.note, entered_by=entered_name, entered_at=m.entered_at, reviewed_by=reviewed_name,
        reviewed_at=m.reviewed_at, review_note=m.review_note,
    )


def month_before(period: date) -> date | None:
    """The month before `period`, or None for January of year 1 (a stored row must never break a worklist)."""
    return None if (period.year, period.month) == (1, 1) else add_months(period, -1)


def approval_queue(session: Session, *, department_id: int | None = None, period: date | None = None,
                   reviewer: Actor | None = None, two_person_rule: bool = True) -> list[QueueItem]:
    """Submitted values (of one department and/or month when given), oldest month first, each with last month's
    figure, the expected one, its anomaly flags, any correction reason, and why `reviewer` may not approve it."""
    entered = aliased(User)
    stmt = (
        select(
            Measurement.id, Measurement.version, Measurement.measure_id, Measurement.period, Measurement.value,
            Measurement.note, Measurement.entered_at, Measure.name, Measure.unit, Measure.decimals,
            Measure.cumulative, Department.id.label("department_id"), Department.name.label("department_name"),
            entered.display_name.label("entered_by"),
        )
        .join(Measure, Measure.id == Measurement.measure_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .outerjoin(entered, entered.id == Measurement.entered_by_id)
        .where(Measurement.state == "submitted")
        .order_by(Measurement.period, Department.name, Measure.display_order, Measure.id)
    )
    if department_id is not None:
        stmt = stmt.where(Measure.owner_department_id == department_id)
    if period is not None:
        stmt = stmt.where(Measurement.period == month_start(period))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    measure_ids = sorted({r.measure_id for r in rows})
    history = _recent_history(session, measure_ids, min(r.period for r in rows), max(r.period for r in rows))
    specs = measure_specs(session, measure_ids)
    authors = current_authors(session, [r.id for r in rows])
    latest_revision: dict[int, Revision] = {}
    for stored in session.scalars(
        select(Revision).where(Revision.measurement_id.in_([r.id for r in rows])).order_by(Revision.id)
    ):
        latest_revision[stored.measurement_id] = stored
    items = []
    for r in rows:
        revision = latest_revision.get(r.id)
        correction = revision if revision is not None and revision.action == "correct" else None
        previous_period = month_before(r.period)
        before = [(p, v) for p, v in history.get(r.measure_id, []) if p < r.period][-(JUMP_WINDOW + 1):]
        previous = dict(before).get(previous_period) if previous_period else None
        spec = specs.get(r.measure_id)
        blocked = None
        if reviewer is not None and two_person_rule and approved_by_author(authors.get(r.id), reviewer):
            blocked = TWO_PERSON_MESSAGE
        items.append(QueueItem(
            id=r.id, version=r.version, measure_id=r.measure_id, measure_name=r.name,
            department_name=r.department_name, unit=r.unit, decimals=r.decimals, period=r.period, value=r.value,
            note=r.note, entered_by=r.entered_by, entered_at=r.entered_at, previous_period=previous_period,
            previous_value=previous,
            correction_reason=correction.reason if correction else None,
            corrected_from=correction.old_value if correction else None,
            department_id=r.department_id,
            expected_value=expected_value(spec, r.period) if spec is not None else None,
            flags=figure_flags(r.value, before, r.cumulative),
            blocked=blocked,
        ))
    return items


def _recent_history(session: Session, measure_ids: list[int], first: date, last: date) -> dict[int, list]:
    """Each measure's figures as staff see them (see visible_value), from JUMP_WINDOW + 1 months before `first`
    up to the month before `last`, in month order."""
    history: dict[int, list[tuple[date, float]]] = {}
    for measure_id, period, value, state, approved_value in session.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
               Measurement.approved_value)
        .where(Measurement.measure_id.in_(measure_ids), Measurement.period < last,
               Measurement.period >= _months_before(first, JUMP_WINDOW + 1))
        .order_by(Measurement.measure_id, Measurement.period)
    ):
        seen = visible_value(value, state, approved_value, approved_only=False)
        if seen is not None:
            history.setdefault(measure_id, []).append((period, seen[0]))
    return history


def _months_before(period: date, count: int) -> date:
    """The month `count` months before `period`, or January of year 1 when that would be earlier."""
    return date.min if period.year * 12 + period.month - 1 - count < 12 else add_months(period, -count)


def review_departments(session: Session) -> list[tuple[int, str]]:
    """Every department (id, name) by name, for the approvals page's department filter."""
    return [(row.id, row.name) for row in session.execute(select(Department.id, Department.name)
                                                          .order_by(Department.name))]


def pending_months(session: Session) -> list[date]:
    """The months that have values awaiting approval, newest first, for the approvals page's month filter."""
    return list(session.scalars(select(Measurement.period).where(Measurement.state == "submitted")
                                .distinct().order_by(Measurement.period.desc())))


def concern(measure: MeasureStatus) -> int:
    """How urgently a measure needs attention: 0 off track, 1 at risk, 2 overdue, 3 due, ... 6 achieved."""
    if measure.status in ("off_track", "at_risk"):
        return _CONCERN_BY_STATUS[measure.status]
    return _CONCERN_BY_FRESHNESS.get(measure.freshness, _CONCERN_BY_STATUS[measure.status])


def worst_first(measures: Iterable[MeasureStatus]) -> list[MeasureStatus]:
    """Measures ordered worst first (off track, at risk, overdue, due, no data, on track, achieved), stably."""
    return sorted(measures, key=lambda m: (concern(m), _FRESHNESS_RANK.get(m.freshness, 2)))


def filter_measures(measures: Iterable[MeasureStatus], *, goal: str | None = None,
                    status: str | None = None, department: str | None = None) -> list[MeasureStatus]:
    """Measures of one goal and owner department (slugs; None or "all" for every one) in one status or worklist
    (see FILTER_*)."""
    chosen = []
    for m in measures:
        if department and department != FILTER_ALL and m.department_slug != department:
            continue
        if goal and goal != FILTER_ALL and m.goal_slug != goal:
            continue
        if status and status != FILTER_ALL:
            if status == FILTER_LATE and m.freshness not in ("due", "overdue"):
                continue
            if status == FILTER_AWAITING and m.latest_state != "submitted":
                continue
            if status == FILTER_UNPUBLISHED and m.published:
                continue
            if status not in (FILTER_LATE, FILTER_AWAITING, FILTER_UNPUBLISHED) and m.status != status:
                continue
        chosen.append(m)
    return chosen
