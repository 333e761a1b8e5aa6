"""Residents' reports of a number that looks wrong: the record, and the services that take and resolve them.

Anyone may send a report without an account; only the performance team reads and resolves them. What a resident
typed is stored as plain text and is never shown to the public: only the team's optional reply is.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import clock
from models.audit import bump_data_version, record_audit
from models.base import Base, utcnow
from models.catalog import Goal, Measure, first_of_month_check
from models.errors import NotFound, PermissionDenied, ValidationError
from models.org import User, _in
from models.progress import format_month, month_start
from models.queries import measure_visible
from models.services import Actor

FEEDBACK_STATES = ("open", "resolved")
MAX_MESSAGE_LENGTH = 1000
MIN_MESSAGE_LENGTH = 5
MAX_EMAIL_LENGTH = 254
MAX_REPLY_LENGTH = 1000
# Enough to catch a typo ("name@", "name example.org"); the address is only ever used by a person replying.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Feedback(Base):
    """A resident's report that a published number looks wrong, and how the performance team resolved it."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_in("state", FEEDBACK_STATES), name="state"),
        CheckConstraint(f"length(message) BETWEEN 1 AND {MAX_MESSAGE_LENGTH}", name="message_length"),
        CheckConstraint(f"public_reply IS NULL OR length(public_reply) <= {MAX_REPLY_LENGTH}", name="reply_length"),
        first_of_month_check("period"),
        Index("ix_feedback_state_created_at", "state", "created_at"),
        Index("ix_feedback_measure_id", "measure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"))
    period: Mapped[date | None] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LENGTH))
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    public_reply: Mapped[str | None] = mapped_column(Text)

    measure: Mapped[Measure] = relationship()
    resolved_by: Mapped[User | None] = relationship()


def _clean_text(raw: object) -> str:
    """What a person typed, as plain text: stripped, with control characters (other than newlines) removed."""
    text = str(raw or "").replace("\r\n", "\n").strip()
    return "".join(ch for ch in text if ch == "\n" or ch == "\t" or ord(ch) >= 32 and ord(ch) != 127)


def submit_feedback(session: Session, *, measure_slug: str, period: date | None, message: object,
                    email: object = None, today: date | None = None) -> Feedback:
    """Store a resident's report about a published measure (and month); audited as anonymous."""
    today = today or clock.today()
    measure = session.scalar(
        select(Measure).join(Goal, Goal.id == Measure.goal_id)
        .where(Measure.slug == measure_slug, measure_visible(published_only=True))
    )
    if measure is None:
        raise NotFound("That measure is not published. Reload the page.")
    text = _clean_text(message)
    if len(text) < MIN_MESSAGE_LENGTH:
        raise ValidationError("Say what looks wrong (at least a few words).", field="message")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(f"Keep the report to {MAX_MESSAGE_LENGTH:,} characters or fewer; it has {len(text):,}. "
                              "Shorten it and send again.", field="message")
    address = _clean_text(email) or None
    if address is not None and (len(address) > MAX_EMAIL_LENGTH or not _EMAIL.match(address)):
        raise ValidationError("That email address does not look complete (e.g. name@example.org). Correct it, or "
                              "leave it empty to send without one.", field="email")
    if period is not None:
        period = month_start(period)
        if period > month_start(today):
            raise ValidationError(f"{format_month(period)} has not started yet. Choose a past month.", field="period")
    feedback = Feedback(measure_id=measure.id, period=period, message=text, email=address, state="open")
    session.add(feedback)
    session.flush()
    # The audit trail records that a report arrived, not what it says or who sent it (a resident's words and address
    # stay in one place, which an admin can read and nobody else).
    record_audit(session, actor="anonymous", action="feedback.submit", entity_type="feedback", entity_id=feedback.id,
                 after={"measure": measure.slug, "period": period.isoformat() if period else None,
                        "length": len(text), "email_given": address is not None})
    return feedback


def resolve_feedback(session: Session, actor: Actor, *, feedback_id: int, public_reply: object = None) -> Feedback:
    """Mark a report resolved with an optional reply shown on the measure page (performance team only)."""
    if actor.role != "admin":
        raise PermissionDenied("Only the performance team can resolve reports.")
    feedback = session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound("That report no longer exists. Reload the page.")
    if feedback.state == "resolved":
        raise ValidationError("This report is already resolved. Reload to see the current list.", field="state")
    reply = _clean_text(public_reply) or None
    if reply is not None and len(reply) > MAX_REPLY_LENGTH:
        raise ValidationError(f"Keep the public reply to {MAX_REPLY_LENGTH:,} characters or fewer; it has "
                              f"{len(reply):,}.", field="reply")
    before = {"state": feedback.state, "public_reply": feedback.public_reply}
    feedback.state = "resolved"
    feedback.resolved_at = utcnow()
    feedback.resolved_by_id = actor.id
    feedback.public_reply = reply
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="feedback.resolve", entity_type="feedback",
                 entity_id=feedback.id, before=before, after={"state": "resolved", "public_reply": reply})
    bump_data_version(session)  # a public reply changes what the measure page shows
    return feedback


def feedback_list(session: Session, *, state: str | None = None) -> list[Feedback]:
    """Reports for the performance team, open ones first, newest first (measure loaded)."""
    stmt = select(Feedback).join(Measure, Measure.id == Feedback.measure_id)
    if state is not None:
        stmt = stmt.where(Feedback.state == state)
    items = list(session.scalars(stmt.order_by(Feedback.state, Feedback.created_at.desc(), Feedback.id.desc())))
    for item in items:
        _ = item.measure.name
    return items
