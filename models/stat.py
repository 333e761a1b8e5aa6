"""The monthly Stat reads and writes: what changed since last month, who has not submitted, and follow-ups.

Reads aggregate in SQL and apply the audience's visibility through `models.queries.visible_to`/`visible_value`;
follow-up writes validate, change one row, audit and bump the data version in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from models import clock
from models.audit import bump_data_version, record_audit
from models.base import utcnow
from models.catalog import Goal, Measure
from models.errors import NotFound, ValidationError
from models.followups import MAX_ACTION_LENGTH, FollowUp
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.progress import STATUS_LABELS, add_months, last_complete_month, month_start
from models.queries import MeasureStatus, Overview, visible_to, visible_value
from models.services import Actor, require_admin
from models.submissions import submission_cells

# How bad a status is, for "up" and "down": higher is better. No data ranks below everything.
STATUS_RANK = {"no_data": 0, "off_track": 1, "at_risk": 2, "on_track": 3, "achieved": 4}
ATTENTION_STATUSES = ("off_track", "at_risk")


@dataclass(frozen=True)
class StatusMove:
    """A measure whose status differs between the month before and the month viewed."""

    slug: str
    name: str
    goal_slug: str
    department_slug: str
    department_name: str
    before: str
    after: str

    @property
    def direction(self) -> str:
        """"up" when the status improved, "down" when it worsened."""
        return "up" if STATUS_RANK[self.after] > STATUS_RANK[self.before] else "down"

    @property
    def text(self) -> str:
        """The move in words, e.g. "On track → At risk"."""
        return f"{STATUS_LABELS[self.before]} → {STATUS_LABELS[self.after]}"


def status_moves(current: Overview, previous: Overview) -> list[StatusMove]:
    """Measures whose status changed from the previous month's overview to this month's, worsened first."""
    before = {m.slug: m.status for m in previous.measures}
    moves = []
    for m in current.measures:
        old = before.get(m.slug)
        if old is not None and old != m.status:
            moves.append(StatusMove(m.slug, m.name, m.goal_slug, m.department_slug, m.department_name, old, m.status))
    return sorted(moves, key=lambda move: (move.direction == "up", move.name))


def needs_attention(measures: list[MeasureStatus] | tuple[MeasureStatus, ...]) -> list[MeasureStatus]:
    """Off-track, at-risk and overdue measures, worst first (off track, at risk, then overdue by how late)."""
    from models.worklists import worst_first

    return worst_first([m for m in measures if m.status in ATTENTION_STATUSES or m.freshness == "overdue"])


@dataclass(frozen=True)
class NewValue:
    """A figure for the month viewed, as the audience sees it."""

    slug: str
    name: str
    department_slug: str
    goal_slug: str
    unit: str
    decimals: int
    value: float
    state: str


@dataclass(frozen=True)
class CorrectionMade:
    """A past month's figure corrected while the month viewed was being reported, with its reason."""

    slug: str
    name: str
    department_slug: str
    goal_slug: str
    unit: str
    decimals: int
    period: date
    old_value: float | None
    new_value: float | None
    reason: str
    who: str
    at: datetime


@dataclass(frozen=True)
class MissingDepartment:
    """A department with measures but no figure (that the audience sees) for the month."""

    slug: str
    name: str
    missing: int
    measures: int
    late: bool = False  # past the due date (see models.submissions)
    due: date | None = None  # the earliest due date of the department's figures for the month


def _measure_filter(published_only: bool):
    return Measure.published.is_(True) if published_only else Measure.retired.is_(False)


def new_values(session: Session, month: date, *, published_only: bool = False,
               approved_only: bool = False) -> list[NewValue]:
    """Every measure's figure for `month` that the audience sees, by measure name."""
    month = month_start(month)
    rows = session.execute(
        select(Measure.slug, Measure.name, Department.slug, Goal.slug, Measure.unit, Measure.decimals,
               Measurement.value, Measurement.state, Measurement.approved_value)
        .join(Measure, Measure.id == Measurement.measure_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .where(Measurement.period == month, visible_to(approved_only), _measure_filter(published_only))
        .order_by(Measure.name)
    ).all()
    found = []
    for slug, name, dept, goal, unit, decimals, value, state, approved_value in rows:
        seen = visible_value(value, state, approved_value, approved_only)
        if seen is not None:
            found.append(NewValue(slug, name, dept, goal, unit, decimals, *seen))
    return found


def reporting_window(month: date) -> tuple[datetime, datetime]:
    """When a month is reported: from the first day of the next month to the first day of the one after (UTC)."""
    start = add_months(month_start(month), 1)
    return (datetime.combine(start, time(), tzinfo=UTC), datetime.combine(add_months(start, 1), time(), tzinfo=UTC))


def corrections_made(session: Session, month: date, *, published_only: bool = False) -> list[CorrectionMade]:
    """Corrections to months before `month`, recorded while `month` was reported (see reporting_window), newest first.

    Staff only: a correction is shown as it was entered, approved yet or not.
    """
    month = month_start(month)
    try:
        start, end = reporting_window(month)
    except ValueError:  # December 9999 has no reporting window: nothing can have been recorded in it
        return []
    who = aliased(User)
    rows = session.execute(
        select(Measure.slug, Measure.name, Department.slug, Goal.slug, Measure.unit, Measure.decimals,
               Measurement.period, Revision.old_value, Revision.new_value, Revision.reason,
               func.coalesce(who.display_name, "someone"), Revision.created_at)
        .join(Measurement, Measurement.id == Revision.measurement_id)
        .join(Measure, Measure.id == Measurement.measure_id)
        .join(Department, Department.id == Measure.owner_department_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .outerjoin(who, who.id == Revision.user_id)
        .where(Revision.action == "correct", Measurement.period < month, Revision.created_at >= start,
               Revision.created_at < end, _measure_filter(published_only))
        .order_by(Revision.created_at.desc(), Revision.id.desc())
    ).all()
    found = []
    for row in rows:
        slug, name, dept, goal, unit, decimals, period, old, new, reason, who_name, at = tuple(row)
        found.append(CorrectionMade(slug=slug, name=name, department_slug=dept, goal_slug=goal, unit=unit,
                                    decimals=decimals, period=period, old_value=old, new_value=new,
                                    reason=reason or "", who=who_name, at=at))
    return found


def departments_not_submitted(session: Session, month: date, *, published_only: bool = False,
                              approved_only: bool = False, today: date | None = None) -> list[MissingDepartment]:
    """Departments owning measures (tracked by `month`) with at least one lacking a figure for it, most missing first.

    The same query as the submission tracker (models.submissions), so "late" means the same on every screen.
    """
    month = month_start(month)
    cells = submission_cells(session, [month], today or clock.today(), published_only=published_only,
                             approved_only=approved_only)
    names = dict(session.execute(select(Department.slug, Department.name).where(Department.slug.in_(cells))).all())
    missing_departments = [
        MissingDepartment(slug, str(names[slug]), cell.missing, cell.expected, late=cell.state == "late", due=cell.due)
        for slug, by_month in cells.items() if (cell := by_month.get(month)) is not None and cell.missing
    ]
    return sorted(missing_departments, key=lambda d: (-d.missing, d.name))


# --- follow-ups ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpItem:
    """A follow-up as the pages show it."""

    id: int
    measure_slug: str
    measure_name: str
    action: str
    department_slug: str
    department_name: str
    due_date: date
    created_by: str
    created_at: datetime
    done_by: str | None
    done_at: datetime | None

    @property
    def done(self) -> bool:
        """Whether an admin has marked it done."""
        return self.done_at is not None

    def overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return not self.done and self.due_date < today


def follow_ups(session: Session, *, measure_slugs: list[str] | None = None,
               open_only: bool = False) -> list[FollowUpItem]:
    """Follow-ups (of the given measures, or all), open ones first by due date, then done ones newest first."""
    creator, closer = aliased(User), aliased(User)
    stmt = (
        select(FollowUp.id, Measure.slug, Measure.name, FollowUp.action, Department.slug, Department.name,
               FollowUp.due_date, func.coalesce(creator.display_name, "someone"), FollowUp.created_at,
               closer.display_name, FollowUp.done_at)
        .join(Measure, Measure.id == FollowUp.measure_id)
        .join(Department, Department.id == FollowUp.department_id)
        .outerjoin(creator, creator.id == FollowUp.created_by_id)
        .outerjoin(closer, closer.id == FollowUp.done_by_id)
    )
    if measure_slugs is not None:
        stmt = stmt.where(Measure.slug.in_(measure_slugs))
    if open_only:
        stmt = stmt.where(FollowUp.done_at.is_(None))
    items = [FollowUpItem(*row) for row in session.execute(stmt).all()]
    open_items = sorted((i for i in items if not i.done), key=lambda i: (i.due_date, i.id))
    done_items = sorted((i for i in items if i.done), key=lambda i: i.done_at or i.created_at, reverse=True)
    return open_items + done_items


def _check_admin(actor: Actor | None, what: str) -> Actor:
    return require_admin(actor, f"{what} follow-ups")


def _follow_up_snapshot(item: FollowUp) -> dict[str, Any]:
    return {"measure_id": item.measure_id, "action": item.action, "department_id": item.department_id,
            "due_date": item.due_date.isoformat(),
            "done_at": item.done_at.isoformat() if item.done_at else None, "done_by_id": item.done_by_id}


def create_follow_up(session: Session, actor: Actor | None, *, measure_slug: str, action: str | None,
                     department_slug: str | None, due_date: date | str | None) -> FollowUp:
    """Record an action item on a measure (admins only), audited, in the caller's transaction."""
    actor = _check_admin(actor, "record")
    measure = session.scalar(select(Measure).where(Measure.slug == measure_slug))
    if measure is None:
        raise NotFound("That measure no longer exists. Reload the page.")
    text = (action or "").strip()
    if not text:
        raise ValidationError("Say what will be done, e.g. “Housing to clear the 40 stalled inspections”.",
                              field="action")
    if len(text) > MAX_ACTION_LENGTH:
        raise ValidationError(f"The action is {len(text):,} characters long; it may have at most "
                              f"{MAX_ACTION_LENGTH:,}. Shorten it and save again.", field="action")
    department = session.scalar(select(Department).where(Department.slug == (department_slug or "")))
    if department is None:
        raise ValidationError("Choose the department that will do it.", field="department")
    if isinstance(due_date, str):
        try:
            due_date = date.fromisoformat(due_date)
        except ValueError:
            due_date = None
    if not isinstance(due_date, date):
        raise ValidationError("Give a due date (year-month-day), e.g. 2026-12-15.", field="due_date")
    if due_date < add_months(month_start(clock.today()), -1):
        raise ValidationError("The due date is more than a month in the past. Give the date it is now due.",
                              field="due_date")
    item = FollowUp(measure_id=measure.id, action=text, department_id=department.id, due_date=due_date,
                    created_by_id=actor.id, created_at=utcnow())
    session.add(item)
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="follow_up.create", entity_type="follow_up",
                 entity_id=item.id, after=_follow_up_snapshot(item))
    bump_data_version(session)
    return item


def mark_follow_up_done(session: Session, actor: Actor | None, follow_up_id: int) -> FollowUp:
    """Close an open follow-up (admins only), audited, in the caller's transaction."""
    actor = _check_admin(actor, "close")
    item = session.scalar(select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update())
    if item is None:
        raise NotFound("That follow-up no longer exists. Reload the page.")
    if item.done_at is not None:
        raise ValidationError("That follow-up was already marked done.", field="follow_up")
    before = _follow_up_snapshot(item)
    item.done_at = utcnow()
    item.done_by_id = actor.id
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="follow_up.done", entity_type="follow_up",
                 entity_id=item.id, before=before, after=_follow_up_snapshot(item))
    bump_data_version(session)
    return item


def open_follow_up_counts(session: Session) -> dict[str, int]:
    """Open follow-ups per measure slug."""
    rows = session.execute(
        select(Measure.slug, func.count(FollowUp.id))
        .join(FollowUp, and_(FollowUp.measure_id == Measure.id, FollowUp.done_at.is_(None)))
        .group_by(Measure.slug)
    ).all()
    return {slug: int(count) for slug, count in rows}


@dataclass(frozen=True)
class MonthChanges:
    """What came in for a month, staff view: new figures, corrections to earlier months, departments not in."""

    month: date
    new_values: tuple[NewValue, ...]
    corrections: tuple[CorrectionMade, ...]
    not_submitted: tuple[MissingDepartment, ...]


def month_changes(session: Session, month: date, today: date | None = None) -> MonthChanges:
    """New figures, corrections and missing departments for `month`, as staff see them on `today`."""
    month = month_start(month)
    return MonthChanges(month=month, new_values=tuple(new_values(session, month)),
                        corrections=tuple(corrections_made(session, month)),
                        not_submitted=tuple(departments_not_submitted(session, month, today=today)))


@dataclass(frozen=True)
class RevisionEntry:
    """One change to one month's figure of a measure: who, when, old -> new, why."""

    period: date
    action: str
    old_value: float | None
    new_value: float | None
    old_state: str | None
    new_state: str
    reason: str | None
    who: str
    at: datetime


def revision_history(session: Session, measure_slug: str, *, limit: int = 500) -> list[RevisionEntry]:
    """Every change to a measure's figures, newest first (staff only: it includes unapproved and returned ones)."""
    who = aliased(User)
    rows = session.execute(
        select(Measurement.period, Revision.action, Revision.old_value, Revision.new_value, Revision.old_state,
               Revision.new_state, Revision.reason, func.coalesce(who.display_name, "system"), Revision.created_at)
        .join(Measurement, Measurement.id == Revision.measurement_id)
        .join(Measure, Measure.id == Measurement.measure_id)
        .outerjoin(who, who.id == Revision.user_id)
        .where(Measure.slug == measure_slug)
        .order_by(Revision.created_at.desc(), Revision.id.desc())
        .limit(limit)
    ).all()
    return [RevisionEntry(*row) for row in rows]


def briefing_month(value: object, today: date | None = None) -> date:
    """The month of a briefing address ("2026-10"), else the last complete month; never a month not yet over."""
    latest = last_complete_month(today or clock.today())
    if isinstance(value, str) and len(value) == 7:
        try:
            return min(date.fromisoformat(f"{value}-01"), latest)
        except ValueError:
            return latest
    return latest
