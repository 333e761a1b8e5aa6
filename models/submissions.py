"""The submission tracker: for each department and month, whether its figures are complete, partial, missing or late.

A month's figure of a measure is due on the measure's due day of the following month (models.progress.due_date).
A department's month is *late* when any of its measures' figures came in after that day, or is still missing after
it; otherwise *complete* (every figure in), *partial* (some in) or *missing* (none in yet). One aggregated query
answers every department and month at once; the executive view's "who has not submitted" (models.stat) and the
reminders (models.reminders) read the same query.

When a figure came in is the time of its first entry (or import) by a person; a later correction does not move it.
Figures loaded by the system (the seed data set) carry no submission time of their own and count as on time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Date, Integer, and_, case, func, literal, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from models import clock
from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.progress import add_months, due_date, last_complete_month, month_start
from models.queries import visible_to

TRACKER_MONTHS = 12
SUBMISSION_STATES = ("complete", "partial", "missing", "late")
SUBMISSION_LABELS = {"complete": "Complete", "partial": "Partial", "missing": "Missing", "late": "Late"}
# Text symbols beside the words, so the state never rests on colour alone.
SUBMISSION_ICONS = {"complete": "✓", "partial": "◐", "missing": "○", "late": "!"}
_EPOCH = date(1970, 1, 1)
# The revisions that bring a month's figure in; corrections, approvals and returns come later and do not count.
ENTRY_ACTIONS = ("enter", "import")


class utc_day(FunctionElement):
    """SQL: the day number (days since 1970-01-01, UTC) of a timestamp, on SQLite and PostgreSQL alike."""

    type = Integer()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    # Timestamps are stored as UTC text; julianday of 1970-01-01 00:00 is 2440587.5.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(utc_day)
def _utc_day_default(element, compiler, **kw):
    return f"CAST(floor(extract(epoch from {compiler.process(element.clauses, **kw)}) / 86400) AS INTEGER)"


def day_number(day: date) -> int:
    """Days since 1970-01-01, the unit `utc_day` counts in."""
    return (day - _EPOCH).days


@dataclass(frozen=True)
class SubmissionCell:
    """One department's figures for one month: how many are expected, in, and late, and the verdict."""

    period: date
    expected: int
    submitted: int
    late: int
    due: date  # the earliest due date among the department's measures that month

    @property
    def missing(self) -> int:
        """Measures without a figure for the month."""
        return self.expected - self.submitted

    @property
    def state(self) -> str:
        """complete, partial, missing or late (late wins: a figure came in after its due date or is still out)."""
        if self.late:
            return "late"
        if self.submitted >= self.expected:
            return "complete"
        return "missing" if self.submitted == 0 else "partial"

    @property
    def label(self) -> str:
        """The verdict in words, e.g. "Complete", "Partial 3/5", "Missing", "Late 0/5"."""
        state = self.state
        if state in ("partial", "late"):
            return f"{SUBMISSION_LABELS[state]} {self.submitted}/{self.expected}"
        return SUBMISSION_LABELS[state]

    @property
    def icon(self) -> str:
        """A text symbol for the verdict (shown with the words, never instead of them)."""
        return SUBMISSION_ICONS[self.state]


@dataclass(frozen=True)
class Contact:
    """A person who enters a department's figures."""

    name: str
    email: str


@dataclass(frozen=True)
class DepartmentSubmissions:
    """A department's row of the tracker: who to contact and one cell per month (None: nothing tracked yet)."""

    id: int
    slug: str
    name: str
    contact_email: str | None
    editors: tuple[Contact, ...]
    cells: tuple[SubmissionCell | None, ...]

    def cell(self, period: date) -> SubmissionCell | None:
        """The cell of a month shown in the row, or None."""
        return next((c for c in self.cells if c is not None and c.period == period), None)


@dataclass(frozen=True)
class SubmissionTracker:
    """Departments × months of the tracker, judged on `today`; months oldest first."""

    today: date
    months: tuple[date, ...]
    departments: tuple[DepartmentSubmissions, ...]

    def late_in(self, period: date) -> list[DepartmentSubmissions]:
        """Departments whose figures for a month are late, by name."""
        return [d for d in self.departments if (c := d.cell(period)) is not None and c.state == "late"]


def tracker_months(today: date, count: int = TRACKER_MONTHS) -> tuple[date, ...]:
    """The last `count` complete months as of `today`, oldest first (the newest is the month now due)."""
    newest = last_complete_month(today)
    return tuple(add_months(newest, -i) for i in range(count - 1, -1, -1))


def _measure_filter(published_only: bool) -> ColumnElement[bool]:
    return Measure.published.is_(True) if published_only else true()


def _months_table(periods: list[date]):
    """A derived table of the months asked for, each with the day number of the first of the following month."""
    selects = [select(literal(p, Date).label("period"), literal(day_number(add_months(p, 1)), Integer).label("base"))
               for p in periods]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("months")


def _count(value: object) -> int:
    """A count or sum from a result row (None when nothing was summed)."""
    return int(cast(int, value or 0))


def submission_cells(session: Session, periods: list[date], today: date | None = None, *,
                     published_only: bool = False, approved_only: bool = False) -> dict[str, dict[date, SubmissionCell]]:
    """Per department slug and month: measures expected, figures in and late, by one GROUP BY over every month.

    A measure is expected from its baseline month on; a figure is "in" when the audience sees one (see
    models.queries.visible_to); it is late when it came in after its due day, or is still out after it.
    """
    today = today or clock.today()
    # December 9999 has no following month, so nothing for it can be due: it is left out.
    periods = sorted({month_start(p) for p in periods if (p.year, p.month) != (9999, 12)})
    if not periods:
        return {}
    months = _months_table(periods)
    first_in = (
        select(Revision.measurement_id, func.min(Revision.created_at).label("at"))
        .join(Measurement, Measurement.id == Revision.measurement_id)
        .where(Revision.action.in_(ENTRY_ACTIONS), Revision.user_id.is_not(None),
               Measurement.period >= periods[0], Measurement.period <= periods[-1])
        .group_by(Revision.measurement_id)
        .subquery("first_in")
    )
    # The due date is the measure's due day of the following month: day number base + due_day - 1.
    deadline_passed = months.c.base + Measure.due_day <= day_number(today)
    came_in_late = utc_day(first_in.c.at) >= months.c.base + Measure.due_day
    late = case((and_(Measurement.id.is_(None), deadline_passed), 1),
                (and_(first_in.c.at.is_not(None), came_in_late), 1), else_=0)
    rows = session.execute(
        select(Department.slug, months.c.period, func.count(Measure.id), func.count(Measurement.id),
               func.sum(late), func.min(Measure.due_day))
        .select_from(Department)
        .join(Measure, Measure.owner_department_id == Department.id)
        .join(months, Measure.baseline_period <= months.c.period)
        .outerjoin(Measurement, and_(Measurement.measure_id == Measure.id, Measurement.period == months.c.period,
                                     visible_to(approved_only)))
        .outerjoin(first_in, first_in.c.measurement_id == Measurement.id)
        .where(_measure_filter(published_only))
        .group_by(Department.slug, months.c.period)
    ).all()
    cells: dict[str, dict[date, SubmissionCell]] = {}
    for row in rows:
        slug, period, expected, submitted, late_count, first_due_day = tuple(row)
        period = period if isinstance(period, date) else date.fromisoformat(str(period))
        cells.setdefault(str(slug), {})[period] = SubmissionCell(
            period=period, expected=_count(expected), submitted=_count(submitted), late=_count(late_count),
            due=due_date(period, _count(first_due_day)))
    return cells


def department_contacts(session: Session) -> dict[str, tuple[int, str, str | None, tuple[Contact, ...]]]:
    """Per department slug: (id, name, contact email, active editors by name), in two queries."""
    departments = session.execute(select(Department.id, Department.slug, Department.name,
                                         Department.contact_email)).all()
    editors: dict[str, list[Contact]] = {}
    for slug, name, email in session.execute(
        select(Department.slug, User.display_name, User.email)
        .join(User, User.department_id == Department.id)
        .where(User.role == "editor", User.active.is_(True))
        .order_by(User.display_name, User.email)
    ):
        editors.setdefault(slug, []).append(Contact(name, email))
    return {slug: (id_, name, contact, tuple(editors.get(slug, ()))) for id_, slug, name, contact in departments}


def submission_tracker(session: Session, today: date | None = None, *, months: int = TRACKER_MONTHS,
                       published_only: bool = False, approved_only: bool = False) -> SubmissionTracker:
    """The tracker: every department owning a measure × the last `months` complete months, with its contacts."""
    today = today or clock.today()
    periods = tracker_months(today, months)
    cells = submission_cells(session, list(periods), today, published_only=published_only,
                             approved_only=approved_only)
    contacts = department_contacts(session)
    rows = []
    for slug, by_month in cells.items():
        department_id, name, contact_email, editors = contacts[slug]
        rows.append(DepartmentSubmissions(id=department_id, slug=slug, name=name, contact_email=contact_email, editors=editors,
                                          cells=tuple(by_month.get(p) for p in periods)))
    return SubmissionTracker(today=today, months=periods, departments=tuple(sorted(rows, key=lambda d: d.name)))


@dataclass(frozen=True)
class MissingFigure:
    """A measure of a department without a figure for a month, and the day it is due."""

    department_slug: str
    slug: str
    name: str
    due: date


def missing_figures(session: Session, period: date, *, published_only: bool = False,
                    approved_only: bool = False) -> list[MissingFigure]:
    """Every measure expected for `period` that has no figure the audience sees, by department and name."""
    period = month_start(period)
    rows = session.execute(
        select(Department.slug, Measure.slug, Measure.name, Measure.due_day)
        .join(Measure, Measure.owner_department_id == Department.id)
        .outerjoin(Measurement, and_(Measurement.measure_id == Measure.id, Measurement.period == period,
                                     visible_to(approved_only)))
        .where(Measurement.id.is_(None), Measure.baseline_period <= period, _measure_filter(published_only))
        .order_by(Department.slug, Measure.name)
    ).all()
    return [MissingFigure(dept, slug, name, due_date(period, int(due_day))) for dept, slug, name, due_day in rows]
