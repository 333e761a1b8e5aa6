"""Annotations: the dated events drawn on charts ("HUD allocates $1.2B CDBG-DR"), managed by the performance team.

An event is scoped to one measure (drawn on its chart), to a goal (drawn on every chart of the goal), or to
neither (kept with the program's history, drawn on no chart). Each change is one transaction, audited, and bumps
the data version so every chart shows it at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import bump_data_version, record_audit
from models.catalog import Annotation, Goal, Measure
from models.errors import NotFound, ValidationError
from models.services import Actor, require_admin

MAX_TEXT_LENGTH = 500
MAX_SOURCE_LENGTH = 300  # the width of annotation.citation
EARLIEST = date(1900, 1, 1)
WHAT = "manage the events shown on charts"


@dataclass(frozen=True)
class AnnotationRow:
    """An event as the admin page lists it."""

    id: int
    event_date: date
    text: str
    source: str
    goal_id: int | None
    goal_title: str | None
    measure_id: int | None
    measure_name: str | None

    @property
    def scope(self) -> str:
        """The scope value of the page's choice: "measure:<id>", "goal:<id>" or "none"."""
        if self.measure_id is not None:
            return f"measure:{self.measure_id}"
        if self.goal_id is not None:
            return f"goal:{self.goal_id}"
        return "none"

    @property
    def scope_label(self) -> str:
        """Where the event is drawn, in words."""
        if self.measure_name is not None:
            return f"Measure: {self.measure_name}"
        if self.goal_title is not None:
            return f"Goal: {self.goal_title} (every chart of the goal)"
        return "No goal or measure (drawn on no chart)"


def annotation_list(session: Session) -> list[AnnotationRow]:
    """Every event, newest first, with the title of its goal and the name of its measure."""
    rows = session.execute(
        select(Annotation, Goal.title, Measure.name)
        .outerjoin(Goal, Goal.id == Annotation.goal_id).outerjoin(Measure, Measure.id == Annotation.measure_id)
        .order_by(Annotation.event_date.desc(), Annotation.id.desc())).all()
    return [AnnotationRow(a.id, a.event_date, a.text, a.citation, a.goal_id, title, a.measure_id, name)
            for a, title, name in rows]


def scope_choices(session: Session) -> list[tuple[str, str]]:
    """(value, label) of every scope an event can have: none, each goal, each measure (under its goal)."""
    choices = [("none", "No goal or measure (drawn on no chart)")]
    goals = list(session.scalars(select(Goal).order_by(Goal.display_order, Goal.id)))
    for goal in goals:
        choices.append((f"goal:{goal.id}", f"Goal: {goal.title} (every chart of the goal)"))
    for measure, title in session.execute(select(Measure, Goal.title).join(Goal, Goal.id == Measure.goal_id)
                                          .order_by(Goal.display_order, Goal.id, Measure.display_order, Measure.id)):
        choices.append((f"measure:{measure.id}", f"Measure: {measure.name} ({title})"))
    return choices


def _fields(session: Session, event_date: object, text: object, scope: object, source: object) -> dict:
    """Validated annotation fields, or a ValidationError naming the field to fix."""
    when: date | None = event_date if isinstance(event_date, date) else None
    if when is None and event_date not in (None, ""):
        try:
            when = date.fromisoformat(str(event_date))
        except ValueError:
            raise ValidationError(f"'{event_date}' is not a date. Use the date picker or type YYYY-MM-DD.",
                                  field="date") from None
    if when is None:
        raise ValidationError("Give the date the event happened.", field="date")
    if when < EARLIEST:
        raise ValidationError("That date is too far in the past; check the year.", field="date")
    words = str(text or "").replace("\r\n", "\n").strip()
    words = "".join(c for c in words if c == "\n" or c.isprintable())
    if not words:
        raise ValidationError("Say what happened, in a sentence residents will understand.", field="text")
    if len(words) > MAX_TEXT_LENGTH:
        raise ValidationError(f"Keep the text to {MAX_TEXT_LENGTH} characters or fewer; it has {len(words)}.",
                              field="text")
    origin = "".join(c for c in str(source or "") if c.isprintable()).strip()
    if not origin:
        raise ValidationError("Name the source (a publication, or 'illustrative').", field="source")
    if len(origin) > MAX_SOURCE_LENGTH:
        raise ValidationError(f"Keep the source to {MAX_SOURCE_LENGTH} characters or fewer; it has {len(origin)}.",
                              field="source")
    goal_id = measure_id = None
    kind, _, ident = str(scope or "none").partition(":")
    if kind == "goal" and ident.isdigit():
        goal = session.get(Goal, int(ident))
        if goal is None:
            raise ValidationError("That goal no longer exists. Reload the page and choose again.", field="scope")
        goal_id = goal.id
    elif kind == "measure" and ident.isdigit():
        measure = session.get(Measure, int(ident))
        if measure is None:
            raise ValidationError("That measure no longer exists. Reload the page and choose again.", field="scope")
        measure_id, goal_id = measure.id, measure.goal_id
    elif kind != "none":
        raise ValidationError("Choose where the event is shown: a measure, a goal, or neither.", field="scope")
    return {"event_date": when, "text": words, "citation": origin, "goal_id": goal_id, "measure_id": measure_id}


def _record(a: Annotation) -> dict:
    return {"date": a.event_date.isoformat(), "text": a.text, "source": a.citation, "goal_id": a.goal_id,
            "measure_id": a.measure_id}


def create_annotation(session: Session, actor: Actor | None, *, event_date: object, text: object, scope: object,
                      source: object) -> Annotation:
    """Add an event to the charts (admin only); audited."""
    admin = require_admin(actor, WHAT)
    annotation = Annotation(**_fields(session, event_date, text, scope, source))
    session.add(annotation)
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="annotation.create", entity_type="annotation",
                 entity_id=annotation.id, after=_record(annotation))
    bump_data_version(session)
    return annotation


def _find(session: Session, annotation_id: object) -> Annotation:
    annotation = session.get(Annotation, annotation_id) if isinstance(annotation_id, int) else None
    if annotation is None:
        raise NotFound("That event no longer exists (someone may have deleted it). Reload the page.")
    return annotation


def update_annotation(session: Session, actor: Actor | None, *, annotation_id: object, event_date: object,
                      text: object, scope: object, source: object) -> Annotation:
    """Change an event's date, text, scope or source (admin only); audited with before and after."""
    admin = require_admin(actor, WHAT)
    annotation = _find(session, annotation_id)
    fields = _fields(session, event_date, text, scope, source)
    before = _record(annotation)
    for key, value in fields.items():
        setattr(annotation, key, value)
    after = _record(annotation)
    if before == after:
        raise ValidationError("Nothing was changed: the event already reads like this.", field="unchanged")
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="annotation.update", entity_type="annotation",
                 entity_id=annotation.id, before=before, after=after)
    bump_data_version(session)
    return annotation


def delete_annotation(session: Session, actor: Actor | None, *, annotation_id: object) -> dict:
    """Remove an event from the charts (admin only); the audit event keeps what it said. Returns that record."""
    admin = require_admin(actor, WHAT)
    annotation = _find(session, annotation_id)
    before = _record(annotation)
    session.delete(annotation)
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="annotation.delete", entity_type="annotation",
                 entity_id=annotation_id, before=before)
    bump_data_version(session)
    return before
