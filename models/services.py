"""Write services for monthly values: enter, correct, approve, return.

Each service validates, changes the measurement, appends a Revision, records an AuditEvent and bumps the data
version, all in the caller's session; the caller commits once (see `models.base.session_scope`), so a failure at
any step leaves nothing half-written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import clock
from models.audit import bump_data_version, record_audit
from models.base import utcnow
from models.catalog import Measure
from models.errors import NotFound, PermissionDenied, StaleEditError, ValidationError
from models.measurements import Measurement, Revision
from models.org import User
from models.progress import add_months, format_value, month_start
from models.values import parse_figure

MIN_REASON_LENGTH = 5
# Long enough for any real explanation; anything longer is refused (and never echoed back in full).
MAX_NOTE_LENGTH = 2000
MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class Actor:
    """The person asking for a change, as the services need to know them."""

    id: int | None
    email: str
    role: str
    department_id: int | None

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a stored user."""
        return cls(id=user.id, email=user.email, role=user.role, department_id=user.department_id)


def parse_value(raw: Any) -> float:
    """The number in what a person typed, with no unit or decimals check (see models.values.parse_figure)."""
    return parse_figure(raw).value


def _month_label(period: date) -> str:
    return period.strftime("%B %Y")


def _check_range(measure: Measure, value: float) -> None:
    """Refuse a value outside the measure's valid range, naming the range."""
    low, high = measure.valid_min, measure.valid_max
    if (low is not None and value < low) or (high is not None and value > high):
        shown_low = format_value(low, measure.unit, measure.decimals) if low is not None else "no minimum"
        shown_high = format_value(high, measure.unit, measure.decimals) if high is not None else "no maximum"
        raise ValidationError(
            f"{format_value(value, measure.unit, measure.decimals)} is outside the valid range for "
            f"{measure.name} ({shown_low} to {shown_high}). Check the figure and its unit.",
            field="value",
        )


def _check_period(period: date, today: date) -> date:
    """Normalise to the first of the month and refuse months that have not started."""
    if not isinstance(period, date):
        raise ValidationError("Choose a month.", field="period")
    period = month_start(period)
    if period > month_start(today):
        raise ValidationError(
            f"{_month_label(period)} has not started yet. Values can be entered up to {_month_label(month_start(today))}.",
            field="period",
        )
    return period


def _check_may_enter(actor: Actor, measure: Measure) -> None:
    """Admins enter any measure; editors only their own department's; a retired measure takes no more figures."""
    if measure.retired:
        raise PermissionDenied(f"{measure.name} is retired: it takes no more figures.")
    if actor.role == "admin":
        return
    if actor.role == "editor" and actor.department_id is not None and actor.department_id == measure.owner_department_id:
        return
    raise PermissionDenied(
        f"You may not enter values for {measure.name}: it belongs to {measure.owner_department.name}."
    )


def _check_admin(actor: Actor, what: str) -> None:
    if actor.role != "admin":
        raise PermissionDenied(f"Only the performance team can {what} values.")


def _check_length(text: str | None, field: str, limit: int, what: str) -> str | None:
    """Strip a free text and refuse one longer than `limit` characters, saying how long it is and may be."""
    text = (text or "").strip()
    if len(text) > limit:
        raise ValidationError(f"The {what} is {len(text):,} characters long; it may have at most {limit:,}. Shorten it "
                              "and save again.", field=field)
    return text or None


def _figure(measure: Measure, value: Any) -> float:
    """The typed value read for this measure's unit and decimals (one parser for every entry path)."""
    return parse_figure(value, unit=measure.unit, decimals=measure.decimals).value


def _check_since_baseline(measure: Measure, period: date) -> None:
    """Figures start at the measure's baseline month: an earlier month is a typing or a choosing mistake."""
    if period < measure.baseline_period:
        raise ValidationError(
            f"{measure.name} is tracked from {_month_label(measure.baseline_period)} (its baseline); "
            f"{_month_label(period)} is before that. Choose a month from {_month_label(measure.baseline_period)} on.",
            field="period",
        )


def _check_running_total(session: Session, measure: Measure, period: date, number: float,
                         confirm_drop: bool, note: str | None) -> None:
    """A running total that falls below last month's needs an explicit confirmation and a note saying why."""
    if not measure.cumulative:
        return
    previous = session.execute(
        select(Measurement.value, Measurement.state, Measurement.approved_value)
        .where(Measurement.measure_id == measure.id, Measurement.period == add_months(period, -1))
    ).first()
    if previous is None:
        return
    value, state, approved_value = previous
    last = value if state in ("submitted", "approved") else approved_value
    if last is None or number >= last:
        return
    if confirm_drop and note:
        return
    raise ValidationError(
        f"{format_value(number, measure.unit, measure.decimals)} is lower than "
        f"{format_value(last, measure.unit, measure.decimals)} for {_month_label(add_months(period, -1))}, but "
        f"{measure.name} is a running total, which should not fall. If it really fell (e.g. awards withdrawn), tick "
        "“The total really fell” and say why in the note; otherwise check the figure.",
        field="confirm_drop",
    )


def _check_reason(reason: str | None, field: str = "reason") -> str:
    reason = _check_length(reason, field, MAX_REASON_LENGTH, "reason") or ""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError("Give a reason (at least a few words) so others know why this changed.", field=field)
    return reason


def _snapshot(m: Measurement) -> dict[str, Any]:
    return {"measure_id": m.measure_id, "period": m.period.isoformat(), "value": m.value, "state": m.state,
            "approved_value": m.approved_value, "version": m.version, "note": m.note}


def _load_measure(session: Session, measure_id: int) -> Measure:
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("That measure no longer exists. Reload the page.")
    return measure


def _load_measurement(session: Session, measurement_id: int) -> Measurement:
    # populate_existing: a copy already in this session's identity map may be stale; read the row as stored now.
    stmt = select(Measurement).where(Measurement.id == measurement_id).execution_options(populate_existing=True)
    # Lock the row (PostgreSQL) so a concurrent change waits and is then seen as a newer version.
    stmt = stmt.with_for_update()
    measurement = session.scalar(stmt)
    if measurement is None:
        raise NotFound("That value no longer exists. Reload the page.")
    return measurement


def _stale(measurement: Measurement, attempted: float | None) -> StaleEditError:
    measure = measurement.measure
    shown = format_value(measurement.value, measure.unit, measure.decimals)
    who = measurement.entered_by.email if measurement.entered_by else "someone else"
    return StaleEditError(
        f"{who} changed {measure.name} for {_month_label(measurement.period)} to {shown} "
        f"({measurement.state}) after you opened it. Your figure was not saved and is still in the form: "
        "compare the two and save again if yours is right.",
        current_value=measurement.value,
        current_version=measurement.version,
        attempted_value=attempted,
    )


def _flush(session: Session, measurement: Measurement, attempted: float | None) -> None:
    """Flush, turning a lost race (version or unique key) into a StaleEditError that keeps both values."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError):
        session.rollback()
        raise StaleEditError(
            "Someone else saved this month at the same moment. Your figure was not saved and is still in the "
            "form: reload to see theirs, then save again if yours is right.",
            current_value=None,
            current_version=None,
            attempted_value=attempted,
        )


def _finish(session: Session, actor: Actor, measurement: Measurement, action: str, before: dict[str, Any] | None,
            old_value: float | None, old_state: str | None, reason: str | None) -> None:
    """Append the revision and audit event and bump the data version."""
    session.add(Revision(
        measurement_id=measurement.id, action=action, old_value=old_value, new_value=measurement.value,
        old_state=old_state, new_state=measurement.state, reason=reason, user_id=actor.id,
    ))
    record_audit(session, actor=actor.email, user_id=actor.id, action=f"measurement.{action}",
                 entity_type="measurement", entity_id=measurement.id, before=before, after=_snapshot(measurement))
    bump_data_version(session)


def submit_value(session: Session, actor: Actor, *, measure_id: int, period: date, value: Any,
                 note: str | None = None, source_ref: str | None = None, today: date | None = None,
                 confirm_drop: bool = False) -> Measurement:
    """Enter a new monthly value (state `submitted`); a month that has a value already must be corrected instead."""
    today = today or clock.today()
    measure = _load_measure(session, measure_id)
    _check_may_enter(actor, measure)
    number = _figure(measure, value)
    period = _check_period(period, today)
    _check_since_baseline(measure, period)
    _check_range(measure, number)
    note = _check_length(note, "note", MAX_NOTE_LENGTH, "note")
    _check_running_total(session, measure, period, number, confirm_drop, note)
    existing = session.scalar(
        select(Measurement).where(Measurement.measure_id == measure.id, Measurement.period == period)
    )
    if existing is not None:
        raise _stale(existing, number)
    measurement = Measurement(measure_id=measure.id, period=period, value=number, note=note,
                              source_ref=(source_ref or "").strip() or None, state="submitted",
                              entered_by_id=actor.id, entered_at=utcnow())
    session.add(measurement)
    _flush(session, measurement, number)
    _finish(session, actor, measurement, "enter", None, None, None, measurement.note)
    return measurement


def correct_value(session: Session, actor: Actor, *, measurement_id: int, expected_version: int, value: Any,
                  reason: str, note: str | None = None, confirm_drop: bool = False) -> Measurement:
    """Correct a stored value with a reason; it goes back to `submitted` for approval.

    The same checks as a new value (unit, decimals, valid range, running totals); `note` None keeps the stored note.
    """
    measurement = _load_measurement(session, measurement_id)
    measure = measurement.measure
    _check_may_enter(actor, measure)
    number = _figure(measure, value)
    reason = _check_reason(reason)
    _check_range(measure, number)
    if note is not None:
        note = _check_length(note, "note", MAX_NOTE_LENGTH, "note") or ""
    _check_running_total(session, measure, measurement.period, number, confirm_drop,
                         note if note is not None else measurement.note)
    if measurement.version != expected_version:
        raise _stale(measurement, number)
    before = _snapshot(measurement)
    old_value, old_state = measurement.value, measurement.state
    measurement.value = number
    measurement.state = "submitted"
    if note is not None:
        measurement.note = note or None
    measurement.entered_by_id = actor.id
    measurement.entered_at = utcnow()
    measurement.reviewed_by_id = None
    measurement.reviewed_at = None
    measurement.review_note = None
    _flush(session, measurement, number)
    _finish(session, actor, measurement, "correct", before, old_value, old_state, reason)
    return measurement


def _review(session: Session, actor: Actor, measurement_id: int, expected_version: int, new_state: str,
            note: str | None) -> Measurement:
    measurement = _load_measurement(session, measurement_id)
    if measurement.version != expected_version:
        raise _stale(measurement, None)
    if measurement.state != "submitted":
        raise ValidationError(
            f"This value is {measurement.state}, not awaiting approval. Reload to see its current state.",
            field="state",
        )
    before = _snapshot(measurement)
    old_state = measurement.state
    measurement.state = new_state
    if new_state == "approved":
        measurement.approved_value = measurement.value
    measurement.reviewed_by_id = actor.id
    measurement.reviewed_at = utcnow()
    measurement.review_note = note
    _flush(session, measurement, None)
    _finish(session, actor, measurement, "approve" if new_state == "approved" else "return", before,
            measurement.value, old_state, note)
    return measurement


def approve_value(session: Session, actor: Actor, *, measurement_id: int, expected_version: int,
                  note: str | None = None) -> Measurement:
    """Approve a submitted value so it counts for the public page (performance team only)."""
    _check_admin(actor, "approve")
    return _review(session, actor, measurement_id, expected_version, "approved", (note or "").strip() or None)


def return_value(session: Session, actor: Actor, *, measurement_id: int, expected_version: int,
                 reason: str) -> Measurement:
    """Send a submitted value back to its department with a reason (performance team only)."""
    _check_admin(actor, "return")
    return _review(session, actor, measurement_id, expected_version, "returned", _check_reason(reason))
