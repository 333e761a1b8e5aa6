"""Write services for monthly values: enter, correct, approve, return.

Each service validates, changes the measurement, appends a Revision, records an AuditEvent and bumps the data
version, all in the caller's session; the caller commits once (see `models.base.session_scope`), so a failure at
any step leaves nothing half-written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import clock
from models.audit import bump_data_version, record_audit
from models.base import utcnow
from models.catalog import Measure
from models.errors import NotFound, PermissionDenied, StaleEditError, ValidationError
from models.measurements import Measurement, Revision
from models.org import User
from models.progress import add_months, format_value, month_start, running_total_fell
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


def require_admin(actor: Actor | None, what: str) -> Actor:
    """The actor, if they are on the performance team (admin); PermissionDenied saying who may `what` otherwise."""
    if actor is None or actor.role != "admin":
        raise PermissionDenied(f"Only the performance team can {what}.")
    return actor


def _check_admin(actor: Actor, what: str) -> None:
    require_admin(actor, f"{what} values")


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
    if last is None or not running_total_fell(number, last, measure.cumulative):
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
            old_value: float | None, old_state: str | None, reason: str | None,
            extra: dict[str, Any] | None = None, bump: bool = True) -> None:
    """Append the revision and audit event (with `extra` facts in its "after") and bump the data version."""
    session.add(Revision(
        measurement_id=measurement.id, action=action, old_value=old_value, new_value=measurement.value,
        old_state=old_state, new_state=measurement.state, reason=reason, user_id=actor.id,
    ))
    record_audit(session, actor=actor.email, user_id=actor.id, action=f"measurement.{action}",
                 entity_type="measurement", entity_id=measurement.id, before=before,
                 after={**_snapshot(measurement), **(extra or {})})
    if bump:
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


# Revisions whose author wrote the figure a measurement holds now (approve and return only judge it).
AUTHOR_ACTIONS = ("enter", "correct", "import")
TWO_PERSON_MESSAGE = ("You entered or corrected this figure yourself, so another member of the performance team must "
                      "approve it (two-person rule).")


@dataclass(frozen=True)
class Author:
    """Who entered or corrected the figure a measurement holds now (id None: the data import or seed)."""

    user_id: int | None
    email: str | None


def current_authors(session: Session, measurement_ids: list[int]) -> dict[int, Author]:
    """The author of each measurement's current figure, from its revision history (one query)."""
    if not measurement_ids:
        return {}
    authors: dict[int, Author] = {}
    for measurement_id, user_id, email in session.execute(
        select(Revision.measurement_id, Revision.user_id, User.email)
        .outerjoin(User, User.id == Revision.user_id)
        .where(Revision.measurement_id.in_(sorted(set(measurement_ids))), Revision.action.in_(AUTHOR_ACTIONS))
        .order_by(Revision.id)
    ):
        authors[measurement_id] = Author(user_id=user_id, email=email)  # the newest one wins
    return authors


def approved_by_author(author: Author | None, actor: Actor) -> bool:
    """Tell whether `actor` entered or corrected the figure they are about to approve."""
    return author is not None and author.user_id is not None and author.user_id == actor.id


def _check_reviewable(measurement: Measurement, expected_version: int) -> None:
    """Refuse a review of a figure that changed since it was shown, or that no longer awaits approval."""
    if measurement.version != expected_version:
        raise _stale(measurement, None)
    if measurement.state != "submitted":
        raise ValidationError(
            f"This value is {measurement.state}, not awaiting approval. Reload to see its current state.",
            field="state",
        )


def _set_review(actor: Actor, measurement: Measurement, new_state: str,
                note: str | None) -> tuple[dict[str, Any], str]:
    """Record the decision on the measurement; returns its snapshot before and its state before."""
    before = _snapshot(measurement)
    old_state = measurement.state
    measurement.state = new_state
    if new_state == "approved":
        measurement.approved_value = measurement.value
    measurement.reviewed_by_id = actor.id
    measurement.reviewed_at = utcnow()
    measurement.review_note = note
    return before, old_state


def _review(session: Session, actor: Actor, measurement: Measurement, new_state: str, note: str | None,
            extra: dict[str, Any] | None = None) -> Measurement:
    """Decide on one measurement: flush (a lost race becomes a StaleEditError), then revision, audit, data version."""
    before, old_state = _set_review(actor, measurement, new_state, note)
    _flush(session, measurement, None)
    _finish(session, actor, measurement, "approve" if new_state == "approved" else "return", before,
            measurement.value, old_state, note, extra)
    return measurement


def _approval_facts(author: Author | None, actor: Actor, two_person_rule: bool) -> dict[str, Any]:
    """What the approval's audit event records about who entered the figure and who approved it."""
    return {"entered_by": author.email if author else None,
            "approver_also_entered": approved_by_author(author, actor),
            "two_person_rule": two_person_rule}


def approve_value(session: Session, actor: Actor, *, measurement_id: int, expected_version: int,
                  note: str | None = None, two_person_rule: bool = True) -> Measurement:
    """Approve a submitted value so it counts for the public page (performance team only; never one's own figure
    while the two-person rule is on)."""
    _check_admin(actor, "approve")
    measurement = _load_measurement(session, measurement_id)
    _check_reviewable(measurement, expected_version)
    author = current_authors(session, [measurement.id]).get(measurement.id)
    if two_person_rule and approved_by_author(author, actor):
        raise PermissionDenied(TWO_PERSON_MESSAGE)
    return _review(session, actor, measurement, "approved", (note or "").strip() or None,
                   _approval_facts(author, actor, two_person_rule))


@dataclass(frozen=True)
class ApprovalRow:
    """What happened to one selected value: "approved" or "refused" (with why)."""

    measurement_id: int
    outcome: str
    subject: str | None = None
    message: str | None = None
    shown: str | None = None  # the figure, formatted in its unit


@dataclass
class ApprovalResult:
    """Every selected value's result; `approved` is True when all of them were approved (none was refused)."""

    rows: list[ApprovalRow] = field(default_factory=list)
    approved: bool = False

    @property
    def refused(self) -> list[ApprovalRow]:
        """The selected values that could not be approved (nothing was approved when there is any)."""
        return [row for row in self.rows if row.outcome == "refused"]


def approve_values(session: Session, actor: Actor, *, selections: list[tuple[int, int]],
                   two_person_rule: bool = True, note: str | None = None) -> ApprovalResult:
    """Approve every selected (measurement id, version seen) in the caller's transaction, or none when any is
    refused: changed since it was shown, no longer awaiting approval, gone, or the approver's own figure."""
    _check_admin(actor, "approve")
    chosen: dict[int, int] = {}
    for measurement_id, version in selections:
        chosen.setdefault(measurement_id, version)
    if not chosen:
        raise ValidationError("Select at least one value to approve, then press “Approve selected” again.",
                              field="selection")
    note = _check_length(note, "note", MAX_NOTE_LENGTH, "note")
    # One read of every selected row, locked (PostgreSQL) so the versions compared here stay true until commit.
    found = {
        m.id: m for m in session.scalars(
            select(Measurement).where(Measurement.id.in_(sorted(chosen)))
            .options(selectinload(Measurement.measure), selectinload(Measurement.entered_by))
            .execution_options(populate_existing=True).with_for_update()
        )
    }
    authors = current_authors(session, list(found))
    result = ApprovalResult()
    for measurement_id, version in chosen.items():
        measurement = found.get(measurement_id)
        if measurement is None:
            result.rows.append(ApprovalRow(measurement_id, "refused", None,
                                           "That value no longer exists. Refresh the queue."))
            continue
        measure = measurement.measure
        subject = f"{measure.name}, {_month_label(measurement.period)}"
        refusal = None
        if measurement.version != version:
            who = measurement.entered_by.email if measurement.entered_by else "someone else"
            shown = format_value(measurement.value, measure.unit, measure.decimals)
            refusal = (f"{who} changed it to {shown} ({measurement.state}) after the queue was shown. Check the "
                       "current figure, then decide again.")
        elif measurement.state != "submitted":
            refusal = f"It is {measurement.state} already, no longer awaiting approval."
        elif two_person_rule and approved_by_author(authors.get(measurement.id), actor):
            refusal = TWO_PERSON_MESSAGE
        result.rows.append(ApprovalRow(measurement_id, "refused" if refusal else "approved", subject, refusal,
                                       format_value(measurement.value, measure.unit, measure.decimals)))
    if result.refused:
        return result
    decided = [(found[measurement_id], *_set_review(actor, found[measurement_id], "approved", note))
               for measurement_id in chosen]
    _flush(session, decided[0][0], None)
    for measurement, before, old_state in decided:
        _finish(session, actor, measurement, "approve", before, measurement.value, old_state, note,
                _approval_facts(authors.get(measurement.id), actor, two_person_rule), bump=False)
    bump_data_version(session)
    result.approved = True
    return result


def return_value(session: Session, actor: Actor, *, measurement_id: int, expected_version: int,
                 reason: str) -> Measurement:
    """Send a submitted value back to its department with a reason (performance team only)."""
    _check_admin(actor, "return")
    reason = _check_reason(reason)
    measurement = _load_measurement(session, measurement_id)
    _check_reviewable(measurement, expected_version)
    return _review(session, actor, measurement, "returned", reason)
