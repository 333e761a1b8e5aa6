"""Save many monthly figures at once (the month grid and the spreadsheet importer), all or nothing.

`save_figures` is the one place that decides, per row, whether a typed figure is a new value, a correction of a
stored one, or unchanged, and checks the version the person saw. Every row goes through the same rules as
`models.services.submit_value` / `correct_value`. The number of SQL statements does not grow with the number of
rows: measures, stored months and the previous months are read in two queries, and the writes are one executemany
per table. Rows may carry their own month (a spreadsheet spans several); a running total is then judged against the
batch's own figure for the month before when it has one.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, cast

import psycopg
from psycopg import sql as psycopg_sql
from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from models import clock
from models.audit import AuditEvent, bump_data_version
from models.base import utcnow
from models.catalog import Measure
from models.errors import ValidationError
from models.measurements import Measurement, Revision
from models.org import Department
from models.progress import JUMP_WINDOW, add_months, format_value, jumped, month_start, running_total_fell, typical_change
from models.queries import visible_value
from models.services import (
    MAX_NOTE_LENGTH,
    Actor,
    _check_length,
    _check_period,
    _check_range,
    _check_reason,
    _check_since_baseline,
    _month_label,
)
from models.values import parse_figure

# Core, not the ORM: one executemany for every correction (the rows are locked above, so versions stay true).
MEASUREMENT_TABLE = cast(Table, Measurement.__table__)
OUTCOMES = ("stored", "corrected", "unchanged", "refused")


@dataclass(frozen=True)
class FigureRow:
    """One typed figure: which measure, what was typed, and the stored version the person saw (None: none)."""

    measure_id: int
    value: Any
    note: str | None = None
    reason: str | None = None
    seen_version: int | None = None
    confirm_drop: bool = False
    # The row's own month (first of the month), for batches spanning several; None: the batch's `period`.
    period: date | None = None
    # False when the person saw no stored version (an uploaded file): a stored month is then corrected, with a reason.
    check_version: bool = True


@dataclass(frozen=True)
class RowResult:
    """What happened to one row: an outcome in OUTCOMES, the figure as understood, and a message for a refusal."""

    measure_id: int
    outcome: str
    value: float | None = None
    shown: str | None = None
    message: str | None = None
    field: str | None = None
    measurement_id: int | None = None
    period: date | None = None
    # The version of the stored month the row was compared with (None: the month had no value).
    stored_version: int | None = None


@dataclass
class SaveResult:
    """Every row's result; `saved` is True when the changed rows were written (no row was refused)."""

    rows: list[RowResult] = field(default_factory=list)
    saved: bool = False

    @property
    def refused(self) -> list[RowResult]:
        """The rows that were refused (nothing was written when there is any)."""
        return [row for row in self.rows if row.outcome == "refused"]

    def count(self, outcome: str) -> int:
        """How many rows had this outcome."""
        return sum(1 for row in self.rows if row.outcome == outcome)


def _refused(row: FigureRow, error: ValidationError | str, field_name: str = "value") -> RowResult:
    message = str(error)
    where = getattr(error, "field", None) or field_name
    return RowResult(measure_id=row.measure_id, outcome="refused", message=message, field=where)


def _may_enter(actor: Actor, measure: Measure) -> bool:
    if actor.role == "admin":
        return True
    return actor.role == "editor" and actor.department_id is not None \
        and actor.department_id == measure.owner_department_id


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("measure_id", "period", "value", "state", "approved_value", "version", "note")}


def save_figures(session: Session, actor: Actor, *, period: date | None = None, rows: list[FigureRow],
                 today: date | None = None, dry_run: bool = False) -> SaveResult:
    """Check every row, then write all changed rows in the caller's transaction, or none when any row is refused.

    `period` is the month of every row without one of its own. With `dry_run` nothing is written: the result says
    what saving would do (the rows read are still locked until the caller's transaction ends).
    """
    today = today or clock.today()
    result = SaveResult()
    if period is not None:
        try:
            period = _check_period(period, today)
        except ValidationError as error:
            result.rows = [_refused(row, error) for row in rows]
            return result
    months: list[date | ValidationError] = []
    for row in rows:
        if row.period is None:
            months.append(period if period is not None else ValidationError("Choose a month.", field="period"))
            continue
        try:
            months.append(_check_period(row.period, today))
        except ValidationError as error:
            months.append(error)
    periods = {month for month in months if isinstance(month, date)}
    measure_ids = sorted({row.measure_id for row in rows})
    measures: dict[int, tuple[Measure, str]] = {
        measure.id: (measure, department_name)
        for measure, department_name in session.execute(
            select(Measure, Department.name).join(Department, Department.id == Measure.owner_department_id)
            .where(Measure.id.in_(measure_ids))
        )
    }
    # The rows' months and the months before, locked (PostgreSQL) so versions compared here stay true until commit.
    wanted_months = sorted(periods | {add_months(month, -1) for month in periods})
    stored: dict[tuple[int, date], Any] = {
        (found.measure_id, found.period): found
        for found in session.execute(
            select(Measurement.id, Measurement.measure_id, Measurement.period, Measurement.value,
                   Measurement.state, Measurement.approved_value, Measurement.version, Measurement.note)
            .where(Measurement.measure_id.in_(measure_ids), Measurement.period.in_(wanted_months))
            .with_for_update()
        )
    }
    # The figures of the months before each row's month (as staff see them), to tell a jump far beyond the recent
    # monthly changes: one read for every row, not locked (they are not written here).
    window = sorted({add_months(month, -back) for month in periods for back in range(1, JUMP_WINDOW + 2)})
    recent: dict[int, list[tuple[date, float]]] = {}
    for found in session.execute(
        select(Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
               Measurement.approved_value)
        .where(Measurement.measure_id.in_(measure_ids), Measurement.period.in_(window))
    ):
        shown = visible_value(found.value, found.state, found.approved_value, approved_only=False)
        if shown is not None:
            recent.setdefault(found.measure_id, []).append((found.period, float(shown[0])))
    seen: set[tuple[int, date]] = set()
    planned: dict[tuple[int, date], float] = {}
    new_rows: list[dict[str, Any]] = []
    changes: list[tuple[dict[str, Any], dict[str, Any], str | None]] = []
    decided: list[RowResult | None] = [None] * len(rows)
    # Oldest month first, so a running total is judged against the batch's own figure for the month before.
    def oldest_first(index: int) -> date:
        month = months[index]
        return month if isinstance(month, date) else date.min

    for index in sorted(range(len(rows)), key=oldest_first):
        month = months[index]
        if isinstance(month, ValidationError):
            decided[index] = _refused(rows[index], month)
            continue
        decided[index] = _decide(actor, rows[index], month, measures, stored, seen, planned, new_rows, changes,
                                 recent)
    outcomes = [outcome for outcome in decided if outcome is not None]
    result.rows = outcomes
    if result.refused or dry_run:
        return result
    now = utcnow()
    inserted: dict[tuple[int, date], int] = {}
    if new_rows:
        for values in new_rows:
            values.update(entered_by_id=actor.id, entered_at=now, version=1, state="submitted")
        if _copies(session):
            for values, new_id in zip(new_rows, _next_ids(session, MEASUREMENT_TABLE, len(new_rows)), strict=True):
                values["id"] = new_id
            _copy_rows(session, MEASUREMENT_TABLE, new_rows)
            inserted = {(values["measure_id"], values["period"]): values["id"] for values in new_rows}
        else:
            created = session.execute(
                insert(Measurement).returning(Measurement.id, Measurement.measure_id, Measurement.period),
                new_rows,
            )
            inserted = {(measure_id, month): new_id for new_id, measure_id, month in created}
    if changes:
        session.execute(
            update(MEASUREMENT_TABLE)
            .where(MEASUREMENT_TABLE.c.id == bindparam("b_id"))
            .values(value=bindparam("b_value"), note=bindparam("b_note"), state="submitted",
                    version=bindparam("b_version"), entered_by_id=actor.id, entered_at=now,
                    reviewed_by_id=None, reviewed_at=None, review_note=None),
            [{"b_id": before["id"], "b_value": after["value"], "b_note": after["note"],
              "b_version": after["version"]} for before, after, _ in changes],
        )
    revisions: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for values in new_rows:
        measurement_id = inserted[(values["measure_id"], values["period"])]
        after = {"measure_id": values["measure_id"], "period": values["period"].isoformat(), "value": values["value"],
                 "state": "submitted", "approved_value": None, "version": 1, "note": values["note"]}
        revisions.append({"measurement_id": measurement_id, "action": "enter", "old_value": None,
                          "new_value": values["value"], "old_state": None, "new_state": "submitted",
                          "reason": values["note"], "user_id": actor.id, "created_at": now})
        audits.append({"actor": actor.email, "user_id": actor.id, "action": "measurement.enter", "at": now,
                       "entity_type": "measurement", "entity_id": str(measurement_id), "before": None, "after": after})
    for before, after, reason in changes:
        revisions.append({"measurement_id": before["id"], "action": "correct", "old_value": before["value"],
                          "new_value": after["value"], "old_state": before["state"], "new_state": "submitted",
                          "reason": reason, "user_id": actor.id, "created_at": now})
        audits.append({"actor": actor.email, "user_id": actor.id, "action": "measurement.correct", "at": now,
                       "entity_type": "measurement", "entity_id": str(before["id"]),
                       "before": _snapshot(before), "after": _snapshot(after)})
    if revisions:
        _insert_rows(session, cast(Table, Revision.__table__), revisions)
        _insert_rows(session, cast(Table, AuditEvent.__table__), audits)
        bump_data_version(session)
    result.rows = [
        replace(outcome, measurement_id=inserted[(outcome.measure_id, outcome.period)])
        if outcome.outcome == "stored" and outcome.period is not None else outcome
        for outcome in outcomes
    ]
    result.saved = True
    return result


def _copies(session: Session) -> bool:
    """Whether this batch's inserts go by COPY: on PostgreSQL through psycopg (SQLite gets one executemany).

    COPY sends every row in one stream, with no statement for psycopg to build and the server to parse every few
    hundred rows: a 10,000-row file spent three of its four seconds in such inserts (PERFORMANCE.md)."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


def _next_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` new ids from the table's own id sequence, in one round trip (COPY returns no ids)."""
    return list(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
        {"table": table.name, "count": count}))


def _insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` in one statement: `COPY` on PostgreSQL, one executemany elsewhere."""
    if _copies(session):
        _copy_rows(session, table, rows)
    else:
        session.execute(insert(table), rows)


def _copy_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` with PostgreSQL's COPY, in the session's transaction.

    Values go through each column type's own bind processing first (a JSON column's value is serialised exactly as an
    INSERT would store it); the table's triggers fire as they do for an INSERT.
    """
    session.flush()  # anything the ORM still holds goes first, as an INSERT through the session would
    names = list(rows[0])
    dialect = session.get_bind().dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table.name), psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, names)))
    driver_connection = cast(psycopg.Connection, session.connection().connection.driver_connection)
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([process(row[name]) if process else row[name]
                            for name, process in zip(names, processors, strict=True)])


def _decide(actor: Actor, row: FigureRow, period: date, measures: dict[int, tuple[Measure, str]],
            stored: dict[tuple[int, date], Any], seen: set[tuple[int, date]], planned: dict[tuple[int, date], float],
            new_rows: list[dict[str, Any]],
            changes: list[tuple[dict[str, Any], dict[str, Any], str | None]],
            recent: dict[int, list[tuple[date, float]]] | None = None) -> RowResult:
    """Check one row and queue its write; the result says what it will be (or why it is refused)."""
    found = measures.get(row.measure_id)
    if found is None:
        return _refused(row, "That measure no longer exists. Reload the page.", "measure")
    measure, department_name = found
    if (row.measure_id, period) in seen:
        return _refused(row, f"{measure.name} appears twice for {_month_label(period)}; keep one row.", "measure")
    seen.add((row.measure_id, period))
    if not _may_enter(actor, measure):
        return _refused(row, f"You may not enter values for {measure.name}: it belongs to {department_name}.",
                        "measure")
    try:
        figure = parse_figure(row.value, unit=measure.unit, decimals=measure.decimals)
        _check_since_baseline(measure, period)
        _check_range(measure, figure.value)
        note = _check_length(row.note, "note", MAX_NOTE_LENGTH, "note")
    except ValidationError as error:
        return _refused(row, error)
    current = stored.get((measure.id, period))
    if row.check_version and current is not None and row.seen_version != current.version:
        return _refused(row, f"{measure.name} for {_month_label(period)} was changed by someone else after you "
                             "opened it. Your figure was kept: reload to compare, then save again.", "value")
    if row.check_version and current is None and row.seen_version is not None:
        return _refused(row, f"{measure.name} for {_month_label(period)} no longer has a stored value. Reload the "
                             "page.", "value")

    def understood(outcome: str, measurement_id: int | None = None) -> RowResult:
        planned[(measure.id, period)] = figure.value
        return RowResult(measure_id=measure.id, outcome=outcome, value=figure.value, shown=figure.shown,
                         measurement_id=measurement_id, period=period,
                         stored_version=current.version if current is not None else None)

    if current is not None and current.value == figure.value and (note or None) == (current.note or None) \
            and current.state != "returned":
        return understood("unchanged", current.id)
    month_before = add_months(period, -1)
    if measure.cumulative:
        last: float | None = planned.get((measure.id, month_before))
        previous = stored.get((measure.id, month_before))
        if last is None and previous is not None:
            seen_previous = visible_value(previous.value, previous.state, previous.approved_value, approved_only=False)
            last = seen_previous[0] if seen_previous else None
        if last is not None and running_total_fell(figure.value, last, measure.cumulative) \
                and not (row.confirm_drop and note):
            return _refused(row, (
                f"{format_value(figure.value, measure.unit, measure.decimals)} is lower than "
                f"{format_value(last, measure.unit, measure.decimals)} for {_month_label(month_before)}, "
                f"but {measure.name} is a running total, which should not fall. If it really fell, confirm the drop "
                "and say why in the note; otherwise check the figure."), "confirm_drop")
    # A figure far beyond the recent monthly changes may be right (a backlog cleared), but it needs a word on why.
    before_points = {month: value for month, value in (recent or {}).get(measure.id, []) if month < period}
    for back in range(1, JUMP_WINDOW + 2):  # the batch's own figures for those months count too
        month = add_months(period, -back)
        if (measure.id, month) in planned:
            before_points[month] = planned[(measure.id, month)]
    points = sorted(before_points.items())
    if not note and jumped(figure.value, points):
        last_month, last_value = points[-1]
        return _refused(row, (
            f"{format_value(figure.value, measure.unit, measure.decimals)} for {_month_label(period)} is "
            f"{format_value(abs(figure.value - last_value), measure.unit, measure.decimals)} away from "
            f"{format_value(last_value, measure.unit, measure.decimals)} in {_month_label(last_month)}, far beyond the "
            f"recent monthly changes (typically about "
            f"{format_value(typical_change(points), measure.unit, measure.decimals)}). If it is right, say why in the "
            "note; otherwise check the figure."), "note")
    if current is None:
        new_rows.append({"measure_id": measure.id, "period": month_start(period), "value": figure.value,
                         "note": note})
        return understood("stored")
    try:
        reason = _check_reason(row.reason)
    except ValidationError as error:
        return _refused(row, f"{measure.name} already has a value for {_month_label(period)}: {error}", "reason")
    before = dict(current._mapping)
    before["period"] = period.isoformat()
    after = {**before, "value": figure.value, "note": note, "state": "submitted", "version": current.version + 1}
    changes.append((before, after, reason))
    return understood("corrected", current.id)


GRID_STATE_LABELS = {None: "Empty", "submitted": "Awaiting approval", "approved": "Saved and approved",
                     "returned": "Returned"}


def month_grid_rows(session: Session, actor: Actor | None, period: date) -> list[dict[str, Any]]:
    """One row per measure the person may enter for `period`: last month's figure, the expected one, the stored one."""
    from models.catalog import Milestone
    from models.worklists import enterable_measures

    measures = enterable_measures(session, actor)
    measure_ids = [measure.id for measure in measures]
    if not measure_ids:
        return []
    months = {
        (found.measure_id, found.period): found
        for found in session.execute(
            select(Measurement.id, Measurement.measure_id, Measurement.period, Measurement.value, Measurement.state,
                   Measurement.approved_value, Measurement.version, Measurement.note, Measurement.review_note)
            .where(Measurement.measure_id.in_(measure_ids), Measurement.period.in_([period, add_months(period, -1)]))
        )
    }
    expected = dict(session.execute(
        select(Milestone.measure_id, Milestone.target_value)
        .where(Milestone.measure_id.in_(measure_ids), Milestone.period == period)
    ).all())
    rows = []
    for measure in measures:
        current = months.get((measure.id, period))
        previous = months.get((measure.id, add_months(period, -1)))
        shown_previous = (visible_value(previous.value, previous.state, previous.approved_value, approved_only=False)
                          if previous else None)
        state = current.state if current else None
        label = GRID_STATE_LABELS[state]
        if current is not None and current.state == "returned" and current.review_note:
            label = f"Returned: {current.review_note}"
        rows.append({
            "measure_id": measure.id, "measure": measure.name, "unit": measure.unit,
            "last_month": format_value(shown_previous[0], measure.unit, measure.decimals) if shown_previous else "",
            "expected": (format_value(expected[measure.id], measure.unit, measure.decimals)
                         if measure.id in expected else ""),
            "value": format_value(current.value, measure.unit, measure.decimals) if current else "",
            "note": (current.note or "") if current else "", "reason": "",
            "state": label, "version": current.version if current else None,
            "understood": "", "problem": "", "changed": False,
        })
    return rows
