"""Reading the audit trail: every change and sign-in, by whom and when, filtered by person, kind and dates.

The trail is append-only (database triggers refuse UPDATE and DELETE, see models/history_guard.py) and this module
only reads it: there is no function to change or remove an event, for any role.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.errors import ValidationError
from models.services import Actor, require_admin

PAGE_LIMIT = 500
CSV_COLUMNS = ("id", "at_utc", "person", "action", "entity_type", "entity_id", "before", "after")


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: one person (actor), one kind (action), and a range of days (UTC), each optional."""

    person: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def parse(cls, person: object = None, action: object = None, start: object = None,
              end: object = None) -> AuditFilter:
        """A filter from what a page or an address gave; a bad date or an inverted range is a ValidationError."""
        def day(raw: object, name: str) -> date | None:
            if raw in (None, ""):
                return None
            try:
                return date.fromisoformat(str(raw))
            except ValueError:
                raise ValidationError(f"'{raw}' is not a date; use YYYY-MM-DD.", field=name) from None
        first, last = day(start, "from"), day(end, "to")
        if first and last and first > last:
            raise ValidationError("The 'from' date is after the 'to' date. Swap them or clear one.", field="from")
        return cls(person=str(person) if person else None, action=str(action) if action else None,
                   start=first, end=last)

    def query_args(self) -> dict[str, str]:
        """The filter as address parameters (for the CSV download link)."""
        args = {"person": self.person, "action": self.action,
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class AuditRow:
    """One event as the page and the CSV show it."""

    id: int
    at: datetime
    person: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def csv_cells(self) -> list[Any]:
        """The cells of this event's CSV row (before/after as JSON text)."""
        return [self.id, self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), self.person, self.action,
                self.entity_type, self.entity_id or "", _json(self.before), _json(self.after)]


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _filtered(stmt: Select, chosen: AuditFilter) -> Select:
    if chosen.person:
        stmt = stmt.where(AuditEvent.actor == chosen.person)
    if chosen.action:
        stmt = stmt.where(AuditEvent.action == chosen.action)
    if chosen.start:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(chosen.start, time.min, tzinfo=UTC))
    if chosen.end:
        stmt = stmt.where(AuditEvent.at < datetime.combine(chosen.end + timedelta(days=1), time.min, tzinfo=UTC))
    return stmt


def audit_events(session: Session, actor: Actor | None, chosen: AuditFilter, *,
                 limit: int | None = PAGE_LIMIT) -> tuple[list[AuditRow], int]:
    """The matching events, newest first (at most `limit`, None for all), and how many match (admin only)."""
    require_admin(actor, "read the audit log")
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEvent), chosen)) or 0
    stmt = _filtered(select(AuditEvent), chosen).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [AuditRow(e.id, _aware(e.at), e.actor, e.action, e.entity_type, e.entity_id, e.before, e.after)
            for e in session.scalars(stmt)]
    return rows, total


def audit_choices(session: Session, actor: Actor | None) -> tuple[list[str], list[str]]:
    """The people and the kinds of action present in the trail, sorted, for the filters (admin only)."""
    require_admin(actor, "read the audit log")
    people = list(session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))
    actions = list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    return people, actions
