"""Reminders: an email to each department with figures missing for the month now due, at most one a day.

What is due and missing comes from the submission tracker's queries (models.submissions). Composing a reminder is
pure; sending it is the caller's (the `send-reminders` command). Each reminder sent is recorded, and the record's
unique key (department, day) is taken before the message leaves, so two runs on one day cannot both send.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit import record_audit
from models.base import Base, utcnow
from models.catalog import first_of_month_check
from models.org import Department
from models.progress import last_complete_month
from models.submissions import MissingFigure, department_contacts, missing_figures


class Reminder(Base):
    """A reminder emailed to a department about a month's missing figures: to whom, on which day, about what."""

    __tablename__ = "reminder"
    __table_args__ = (
        # One reminder per department per day, whoever runs the command and how often.
        UniqueConstraint("department_id", "sent_on"),
        first_of_month_check("period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    period: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date)
    recipients: Mapped[str] = mapped_column(Text)
    missing: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )


@dataclass(frozen=True)
class PlannedReminder:
    """The reminder a department is due today: recipients, subject and text."""

    department_id: int
    department_slug: str
    department_name: str
    period: date
    recipients: tuple[str, ...]
    missing: tuple[MissingFigure, ...]
    subject: str
    body: str
    already_sent: bool

    def message(self, sender: str) -> EmailMessage:
        """The email to send, from `sender`."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = self.subject
        message.set_content(self.body)
        return message


def _day(day: date) -> str:
    """"November 15, 2026"."""
    return f"{day:%B} {day.day}, {day.year}"


def entry_link(base_url: str, period: date) -> str:
    """The address of the entry grid for a month, under the public base address."""
    return f"{base_url.rstrip('/')}/entry?month={period:%Y-%m}"


def compose(department_name: str, period: date, missing: list[MissingFigure], base_url: str,
            today: date) -> tuple[str, str]:
    """Subject and plain text of a department's reminder: what is missing, by when, and where to enter it."""
    month = f"{period:%B %Y}"
    first_due = min(m.due for m in missing)
    count = len(missing)
    one = count == 1
    subject = (f"RecoveryStat: {count} {month} figure{'' if one else 's'} missing for {department_name} "
               f"(due {_day(first_due)})")
    if today > first_due:
        timing = (f"{'It was' if one else 'They were'} due on {_day(first_due)}, so {month} shows as late on the "
                  "mayor's office's submission tracker until it is in.")
    else:
        timing = ("A figure entered after its due date shows as late on the mayor's office's submission "
                  "tracker.")
    lines = [
        f"Hello {department_name},",
        "",
        f"RecoveryStat has no {month} figure yet for {'this measure' if one else f'these {count} measures'}:",
        "",
        *(f"  - {m.name} (due {_day(m.due)})" for m in missing),
        "",
        f"Enter {'it' if one else 'them'} in the month grid: {entry_link(base_url, period)}",
        "",
        timing,
        "If a figure cannot be reported this month, reply to the performance team and say why.",
        "",
        "This reminder is sent once a day while figures are missing.",
    ]
    return subject, "\n".join(lines)


def plan_reminders(session: Session, today: date, base_url: str) -> list[PlannedReminder]:
    """The reminder each department with figures missing for the month now due gets today, by department name.

    The month now due is the last complete month; recipients are the department's contact address and its active
    editors (each once). `already_sent` marks departments reminded earlier today.
    """
    period = last_complete_month(today)
    by_department: dict[str, list[MissingFigure]] = {}
    for figure in missing_figures(session, period):
        by_department.setdefault(figure.department_slug, []).append(figure)
    if not by_department:
        return []
    contacts = department_contacts(session)
    sent_today = set(session.scalars(select(Reminder.department_id).where(Reminder.sent_on == today)))
    planned = []
    for slug, missing in by_department.items():
        department_id, name, contact_email, editors = contacts[slug]
        recipients: list[str] = []
        for address in (contact_email, *(e.email for e in editors)):
            if address and address.lower() not in {r.lower() for r in recipients}:
                recipients.append(address)
        subject, body = compose(name, period, missing, base_url, today)
        planned.append(PlannedReminder(department_id=department_id, department_slug=slug, department_name=name,
                                       period=period, recipients=tuple(recipients), missing=tuple(missing),
                                       subject=subject, body=body, already_sent=department_id in sent_today))
    return sorted(planned, key=lambda p: p.department_name)


def claim_reminder(session: Session, planned: PlannedReminder, today: date) -> bool:
    """Record today's reminder of a department (audited) in the session's transaction; False if one is recorded.

    Call it first in a transaction of its own: on a conflict (another run claimed the day) the transaction is rolled
    back. The caller sends the message after claiming and commits only when it was sent, so a failed send leaves no
    record and a second run the same day sends nothing twice.
    """
    session.add(Reminder(department_id=planned.department_id, period=planned.period, sent_on=today,
                         recipients=", ".join(planned.recipients), missing=len(planned.missing),
                         subject=planned.subject[:300], sent_at=utcnow()))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    record_audit(session, actor="send-reminders", action="reminder.send", entity_type="department",
                 entity_id=planned.department_id,
                 after={"period": planned.period.isoformat(), "recipients": list(planned.recipients),
                        "missing": [m.slug for m in planned.missing]})
    return True


def reminders_sent(session: Session, day: date) -> list[tuple[str, str]]:
    """(department slug, recipients) of the reminders recorded on a day, by slug."""
    rows = session.execute(
        select(Department.slug, Reminder.recipients).join(Department, Department.id == Reminder.department_id)
        .where(Reminder.sent_on == day).order_by(Department.slug)
    ).all()
    return [(str(slug), str(recipients)) for slug, recipients in rows]
