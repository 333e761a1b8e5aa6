"""Figures sent by partner systems (the write API): read the JSON values, then save them through `save_figures`.

The same rules as the month grid, because the same service decides: unit, decimals, valid range, months that have
not started, months before the baseline, running totals, a reason for every correction, and the version check.
All values of a request are written in the caller's transaction or none: any refused value raises `ValuesRefused`,
so the caller's session scope rolls everything back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.audit import record_audit
from models.batch import FigureRow, save_figures
from models.catalog import Measure
from models.measurements import Measurement
from models.progress import format_value
from models.services import Actor

MAX_VALUES = 240  # twenty years of months in one request
FIELDS = ("period", "value", "note", "reason", "version", "confirm_drop")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
OUTCOME_NAMES = {"stored": "new", "corrected": "correction", "unchanged": "unchanged"}


class BadBody(Exception):
    """The body is JSON but not one value object or a list of them; nothing was read further."""


@dataclass(frozen=True)
class ValueProblem:
    """Why one value of the request was refused: its position, its month as sent, the field at fault."""

    index: int
    period: str | None
    field: str
    message: str


@dataclass(frozen=True)
class StoredFigure:
    """One value as stored: its month, the number, its review state, what happened and its version now."""

    period: date
    value: float
    state: str
    outcome: str
    version: int


@dataclass
class ValuesRefused(Exception):
    """At least one value was refused; nothing of the request was written."""

    problems: list[ValueProblem] = field(default_factory=list)
    count: int = 0

    def __str__(self) -> str:
        return (f"Nothing was written: {len(self.problems)} of {self.count} value"
                f"{'s' if self.count != 1 else ''} {'were' if len(self.problems) != 1 else 'was'} refused.")


@dataclass(frozen=True)
class _Item:
    index: int
    period: date
    sent_period: str
    value: Any
    note: str | None
    reason: str | None
    version: int | None
    confirm_drop: bool


def measure_by_slug(session: Session, slug: str) -> Measure | None:
    """The measure with this slug, published or not (an editor reports unpublished measures too)."""
    return session.scalar(select(Measure).where(Measure.slug == slug))


def may_write(actor: Actor, measure: Measure) -> bool:
    """Admins write any measure; editors only those their department reports; viewers none."""
    if actor.role == "admin":
        return True
    return actor.role == "editor" and actor.department_id is not None \
        and actor.department_id == measure.owner_department_id


def value_list(body: Any) -> list[Any]:
    """The values of a request body: one object or a non-empty list of at most MAX_VALUES; BadBody otherwise."""
    if isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise BadBody("The body must be one value object, or a list of them: "
                      '{"period": "2026-10", "value": 1234, "note": "...", "reason": "..."}.')
    if not body:
        raise BadBody("The list of values is empty; send at least one.")
    if len(body) > MAX_VALUES:
        raise BadBody(f"The request has {len(body):,} values; send at most {MAX_VALUES} at once.")
    return body


def _read_item(index: int, raw: Any, seen: dict[date, int]) -> _Item | ValueProblem:
    """One value object checked for shape: known fields, a YYYY-MM month, a JSON number, texts, a version."""
    if not isinstance(raw, dict):
        return ValueProblem(index, None, "value", "Each value must be a JSON object with at least period and value.")
    sent = raw.get("period")
    sent_period = sent if isinstance(sent, str) else None
    unknown = sorted(str(key) for key in raw if key not in FIELDS)
    if unknown:
        return ValueProblem(index, sent_period, unknown[0], f"Unknown field '{unknown[0][:40]}'. A value may have: "
                                                           f"{', '.join(FIELDS)}.")
    match = _MONTH.match(sent_period or "")
    if match is None or int(match.group(1)) < 1900:
        return ValueProblem(index, sent_period, "period", "Give the month as a text written YYYY-MM, e.g. "
                                                          "\"2026-10\".")
    period = date(int(match.group(1)), int(match.group(2)), 1)
    if period in seen:
        return ValueProblem(index, sent_period, "period", f"{sent_period} is sent twice (values {seen[period]} and "
                                                          f"{index}); send each month once.")
    seen[period] = index
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ValueProblem(index, sent_period, "value", "Give the value as a JSON number, e.g. 1234 or 62.5 "
                                                         "(not a text, not null).")
    texts: dict[str, str | None] = {}
    for name in ("note", "reason"):
        text = raw.get(name)
        if text is not None and not isinstance(text, str):
            return ValueProblem(index, sent_period, name, f"Give the {name} as a text, or leave it out.")
        texts[name] = text
    version = raw.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        return ValueProblem(index, sent_period, "version", "Give the version as a whole number (the version this "
                                                           "system last received), or leave it out.")
    confirm_drop = raw.get("confirm_drop", False)
    if not isinstance(confirm_drop, bool):
        return ValueProblem(index, sent_period, "confirm_drop", "Give confirm_drop as true or false, or leave it out.")
    return _Item(index, period, sent_period or "", value, texts["note"], texts["reason"], version, confirm_drop)


def save_measure_values(session: Session, actor: Actor, measure: Measure, body: Any, *, token_id: int | None = None,
                        today: date | None = None) -> list[StoredFigure]:
    """Save every value of a request for one measure, or raise ValuesRefused (BadBody for a malformed body)."""
    today = today or clock.today()
    raw_values = value_list(body)
    seen: dict[date, int] = {}
    problems: list[ValueProblem] = []
    items: list[_Item] = []
    for index, raw in enumerate(raw_values):
        read = _read_item(index, raw, seen)
        if isinstance(read, ValueProblem):
            problems.append(read)
        else:
            items.append(read)
    stored = {
        row.period: row
        for row in session.execute(
            select(Measurement.period, Measurement.value, Measurement.state, Measurement.version)
            .where(Measurement.measure_id == measure.id, Measurement.period.in_([item.period for item in items]))
        )
    } if items else {}
    results: list[StoredFigure] = []
    for item in items:
        current = stored.get(item.period)
        if item.version is not None and (current is None or current.version != item.version):
            problems.append(_stale(measure, item, current))
            continue
        saved = save_figures(session, actor, period=item.period, today=today, rows=[FigureRow(
            measure_id=measure.id, value=item.value, note=item.note, reason=item.reason,
            seen_version=current.version if current is not None else None, confirm_drop=item.confirm_drop)])
        outcome = saved.rows[0]
        if outcome.outcome == "refused":
            message = outcome.message or "This value was refused."
            if outcome.field == "confirm_drop":
                message += ' To confirm it, send "confirm_drop": true with a note saying why.'
            problems.append(ValueProblem(item.index, item.sent_period, outcome.field or "value", message))
            continue
        if outcome.outcome == "unchanged" and current is not None:
            state, version = current.state, current.version
        else:
            state, version = "submitted", (current.version + 1 if current is not None else 1)
        results.append(StoredFigure(item.period, float(outcome.value if outcome.value is not None else item.value),
                                    state, OUTCOME_NAMES[outcome.outcome], version))
    if problems:
        raise ValuesRefused(sorted(problems, key=lambda problem: problem.index), len(raw_values))
    counts = {name: sum(1 for figure in results if figure.outcome == name) for name in OUTCOME_NAMES.values()}
    record_audit(session, actor=actor.email, user_id=actor.id, action="api.values", entity_type="api_token",
                 entity_id=token_id, after={"measure": measure.slug, **counts,
                                            "periods": [figure.period.isoformat() for figure in results]})
    return sorted(results, key=lambda figure: figure.period)


def _stale(measure: Measure, item: _Item, current: Any) -> ValueProblem:
    """The refusal of a value sent against a version that is not the stored one, naming what is stored now."""
    if current is None:
        message = (f"{item.sent_period} has no stored value, but version {item.version} was sent. Leave version "
                   "out to send a new value.")
    else:
        shown = format_value(current.value, measure.unit, measure.decimals)
        message = (f"{item.sent_period} was changed after version {item.version}: it is now {shown} ({current.state}, "
                   f"version {current.version}). Nothing was written; compare the two and send again with version "
                   f"{current.version} if yours is right.")
    return ValueProblem(item.index, item.sent_period, "version", message)
