"""Administration of what the city tracks: goals and measures, their publication, and the history of plan changes.

Every service takes what a person typed (plain strings, as a form sends them), checks all of it against the same
rules the database enforces (explained in words, one message per field), and writes in the caller's session: the
change, an audit event and a data-version bump, committed once by the caller. A change to a published measure's
target, baseline, milestones or definition needs a reason and is kept as a `MeasureChange`, which the public measure
page shows: targets are never moved quietly.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.audit import bump_data_version, record_audit
from models.catalog import DIRECTIONS, TRAJECTORIES, UNITS, Annotation, Goal, Measure, MeasureChange, Milestone
from models.errors import NotFound, ValidationError
from models.measurements import Measurement
from models.org import Department
from models.progress import (
    DEFAULT_AT_RISK_TOLERANCE,
    DEFAULT_ON_TRACK_TOLERANCE,
    format_month,
    format_value,
)
from models.services import MAX_REASON_LENGTH, MIN_REASON_LENGTH, Actor, require_admin
from models.values import parse_figure

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*$")
MILESTONE_LINE = re.compile(r"^\s*(\S+?)\s*[:=\s]\s*(.+?)\s*$")
GOAL_FIELDS = ("slug", "title", "summary", "owner_department", "display_order")
MEASURE_FIELDS = (
    "slug", "goal", "name", "definition", "unit", "decimals", "direction", "trajectory", "baseline_value",
    "baseline_month", "target_value", "target_month", "milestones", "on_track_tolerance", "at_risk_tolerance",
    "valid_min", "valid_max", "due_day", "owner_department", "data_source", "citation", "cumulative",
    "display_order",
)
# The parts of a published measure whose change the public is told about, with the reason.
PLAN_LABELS = {"target": "Target", "baseline": "Baseline", "milestones": "Milestones", "definition": "Definition"}
UNIT_LABELS = {"count": "Count", "percent": "Percent", "usd": "US dollars", "days": "Days",
               "households": "Households"}
TRAJECTORY_LABELS = {"linear": "Linear: a straight line from baseline to target",
                     "milestones": "Milestones: through interim targets",
                     "constant": "Constant: the target every month"}
DIRECTION_LABELS = {"increase": "Higher is better", "decrease": "Lower is better"}


class FormErrors(ValidationError):
    """Several fields are wrong at once: `errors` maps each field to what is wrong with it, in words."""

    def __init__(self, errors: dict[str, str]):
        count = len(errors)
        super().__init__(f"Nothing was saved: {count} field{'s' if count != 1 else ''} need{'' if count != 1 else 's'} "
                         "attention (marked below). Everything you typed is still in the form.",
                         field=next(iter(errors)))
        self.errors = errors


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return "" if value is None else str(value).strip()


def parse_month(raw: Any) -> date:
    """A month typed as YYYY-MM (or an ISO date) as its first day; ValueError with words otherwise."""
    found = MONTH_PATTERN.match(str(raw or ""))
    if not found:
        raise ValueError(f"“{str(raw or '').strip()[:20]}” is not a month. Enter it as YYYY-MM, e.g. 2025-03."
                         if str(raw or "").strip() else "Enter a month as YYYY-MM, e.g. 2025-03.")
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise ValueError(f"{str(raw).strip()} is not a real month. Enter it as YYYY-MM, e.g. 2025-03.")
    return date(year, month, 1)


def month_text(period: date | None) -> str:
    """A month as the forms show and take it (YYYY-MM)."""
    return "" if period is None else f"{period.year:04d}-{period.month:02d}"


def _int(raw: str, low: int, high: int, message: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        raise ValueError(message) from None
    if not low <= number <= high:
        raise ValueError(message)
    return number


def _length(errors: dict[str, str], form: Mapping[str, Any], name: str, label: str, limit: int,
            required: bool = True) -> str:
    text = _text(form, name)
    if required and not text:
        errors[name] = f"{label} is required."
    elif len(text) > limit:
        errors[name] = f"{label} is {len(text):,} characters long; it may have at most {limit:,}. Shorten it."
    return text


def _department(session: Session, errors: dict[str, str], form: Mapping[str, Any]) -> Department | None:
    slug = _text(form, "owner_department")
    if not slug:
        errors["owner_department"] = "Choose the department that owns it."
        return None
    department = session.scalar(select(Department).where(Department.slug == slug))
    if department is None:
        errors["owner_department"] = f"There is no department “{slug[:64]}”. Choose one from the list."
    return department


def _slug(session: Session, errors: dict[str, str], form: Mapping[str, Any], model: type[Goal] | type[Measure],
          what: str) -> str:
    slug = _text(form, "slug")
    if not slug:
        errors["slug"] = (f"Give the {what} a short address name (lower-case letters, digits and hyphens), e.g. "
                          "homes-repaired.")
    elif not SLUG_PATTERN.match(slug):
        errors["slug"] = (f"“{slug[:64]}” cannot be used in an address: use lower-case letters, digits and hyphens "
                          "only, starting with a letter or digit, at most 64 characters.")
    elif session.scalar(select(func.count()).select_from(model).where(model.slug == slug)):
        errors["slug"] = f"Another {what} already has the address name “{slug}”. Choose a different one."
    return slug


# --- goals -------------------------------------------------------------------------------------------------------


def _goal_snapshot(goal: Goal) -> dict[str, Any]:
    return {"slug": goal.slug, "title": goal.title, "summary": goal.summary,
            "owner_department_id": goal.owner_department_id, "display_order": goal.display_order,
            "published": goal.published, "retired": goal.retired}


def goal_form(goal: Goal | None) -> dict[str, str]:
    """The goal's fields as the form shows them (empty for a new goal)."""
    if goal is None:
        return dict.fromkeys(GOAL_FIELDS, "") | {"display_order": "0"}
    return {"slug": goal.slug, "title": goal.title, "summary": goal.summary,
            "owner_department": goal.owner_department.slug, "display_order": str(goal.display_order)}


def _load_goal(session: Session, goal_id: Any) -> Goal:
    goal = session.get(Goal, goal_id) if isinstance(goal_id, int) else None
    if goal is None:
        raise NotFound("That goal no longer exists. Reload the page.")
    return goal


def save_goal(session: Session, actor: Actor, *, goal_id: int | None, form: Mapping[str, Any]) -> Goal:
    """Create a goal (goal_id None, unpublished) or edit one's title, summary, owner department and order."""
    require_admin(actor, "change goals")
    goal = None if goal_id is None else _load_goal(session, goal_id)
    errors: dict[str, str] = {}
    slug = _slug(session, errors, form, Goal, "goal") if goal is None else goal.slug
    title = _length(errors, form, "title", "The title", 200)
    summary = _length(errors, form, "summary", "The summary", 2000)
    department = _department(session, errors, form)
    try:
        order = _int(_text(form, "display_order") or "0", -1000, 1000,
                     "The order is a whole number from -1000 to 1000 (lower comes first).")
    except ValueError as error:
        errors["display_order"] = str(error)
    if errors:
        raise FormErrors(errors)
    assert department is not None
    before = None if goal is None else _goal_snapshot(goal)
    if goal is None:
        goal = Goal(slug=slug, published=False, retired=False)
        session.add(goal)
    goal.title, goal.summary, goal.owner_department_id, goal.display_order = title, summary, department.id, order
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="goal.create" if before is None else "goal.update",
                 entity_type="goal", entity_id=goal.id, before=before, after=_goal_snapshot(goal))
    bump_data_version(session)
    return goal


def set_goal_published(session: Session, actor: Actor, *, goal_id: int, published: bool) -> Goal:
    """Publish a goal (its published measures become public) or unpublish it (all of it leaves the public page)."""
    require_admin(actor, "publish goals")
    goal = _load_goal(session, goal_id)
    if published and goal.retired:
        raise ValidationError(f"“{goal.title}” is retired, so it cannot be published.", field="published")
    if goal.published == published:
        raise ValidationError(f"“{goal.title}” is already {'published' if published else 'unpublished'}. "
                              "Reload to see its current state.", field="published")
    before = _goal_snapshot(goal)
    goal.published = published
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="goal.publish" if published else "goal.unpublish",
                 entity_type="goal", entity_id=goal.id, before=before, after=_goal_snapshot(goal))
    bump_data_version(session)
    return goal


def retire_goal(session: Session, actor: Actor, *, goal_id: int) -> Goal:
    """Retire a goal: it is unpublished and leaves every view; its measures and figures are kept."""
    require_admin(actor, "retire goals")
    goal = _load_goal(session, goal_id)
    if goal.retired:
        raise ValidationError(f"“{goal.title}” is already retired.", field="retired")
    before = _goal_snapshot(goal)
    goal.retired, goal.published = True, False
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="goal.retire", entity_type="goal",
                 entity_id=goal.id, before=before, after=_goal_snapshot(goal))
    bump_data_version(session)
    return goal


def goal_publish_consequence(session: Session, goal_id: int, published: bool) -> str:
    """What publishing or unpublishing a goal changes for the public, in words, for the confirmation."""
    goal = _load_goal(session, goal_id)
    shown = [m.name for m in goal.measures if m.published and not m.retired]
    if published:
        if not shown:
            return (f"Publish “{goal.title}”? Its title and summary become public on the progress page, its goal page "
                    "and the API. None of its measures is published yet, so no figures appear until you publish one.")
        return (f"Publish “{goal.title}”? It becomes public on the progress page, its goal page, the API and "
                f"data.json, with its {len(shown)} published measure{'s' if len(shown) != 1 else ''} "
                f"({', '.join(shown[:5])}{', …' if len(shown) > 5 else ''}) and their approved figures.")
    return (f"Unpublish “{goal.title}”? It disappears from the progress page, its goal page, the API and data.json"
            + (f", together with its {len(shown)} measure{'s' if len(shown) != 1 else ''} "
               f"({', '.join(shown[:5])}{', …' if len(shown) > 5 else ''})" if shown else "")
            + ". Staff still see it on the dashboard.")


# --- measures ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurePlan:
    """A measure's fields as read from a form: every value typed and checked."""

    values: dict[str, Any]
    milestones: tuple[tuple[date, float], ...]


def measure_form(measure: Measure | None) -> dict[str, str]:
    """The measure's fields as the form shows them (defaults for a new measure); tolerances in percent."""
    if measure is None:
        return dict.fromkeys(MEASURE_FIELDS, "") | {
            "unit": "count", "decimals": "0", "direction": "increase", "trajectory": "linear",
            "on_track_tolerance": _percent(DEFAULT_ON_TRACK_TOLERANCE),
            "at_risk_tolerance": _percent(DEFAULT_AT_RISK_TOLERANCE), "due_day": "15", "cumulative": "no",
            "citation": "", "display_order": "0",
        }

    def number(value: float | None) -> str:
        if value is None:
            return ""
        return f"{value:.{measure.decimals}f}" if measure.decimals else f"{value:.0f}" if value == int(value) \
            else repr(value)

    return {
        "slug": measure.slug, "goal": measure.goal.slug, "name": measure.name, "definition": measure.definition,
        "unit": measure.unit, "decimals": str(measure.decimals), "direction": measure.direction,
        "trajectory": measure.trajectory, "baseline_value": number(measure.baseline_value),
        "baseline_month": month_text(measure.baseline_period), "target_value": number(measure.target_value),
        "target_month": month_text(measure.target_period),
        "milestones": "\n".join(f"{month_text(m.period)} {number(m.target_value)}" for m in measure.milestones),
        "on_track_tolerance": _percent(measure.on_track_tolerance),
        "at_risk_tolerance": _percent(measure.at_risk_tolerance),
        "valid_min": number(measure.valid_min), "valid_max": number(measure.valid_max),
        "due_day": str(measure.due_day), "owner_department": measure.owner_department.slug,
        "data_source": measure.data_source, "citation": measure.citation,
        "cumulative": "yes" if measure.cumulative else "no", "display_order": str(measure.display_order),
    }


def _percent(fraction: float) -> str:
    shown = round(fraction * 100, 4)
    return f"{shown:g}"


def _figure(errors: dict[str, str], form: Mapping[str, Any], name: str, label: str, unit: str, decimals: int | None,
            required: bool = True) -> float | None:
    raw = _text(form, name)
    if not raw:
        if required:
            errors[name] = f"Enter the {label}."
        return None
    try:
        return parse_figure(raw, unit=unit, decimals=decimals).value
    except ValidationError as error:
        errors[name] = f"The {label}: {error.message}"
        return None


def _month(errors: dict[str, str], form: Mapping[str, Any], name: str, label: str) -> date | None:
    try:
        return parse_month(_text(form, name))
    except ValueError as error:
        errors[name] = f"The {label}: {error}"
        return None


def _tolerance(errors: dict[str, str], form: Mapping[str, Any], name: str, label: str, default: float) -> float | None:
    raw = _text(form, name).rstrip("%").strip()
    if not raw:
        return default
    try:
        number = parse_figure(raw, unit="percent").value
    except ValidationError:
        errors[name] = f"The {label} is a percentage from 0 to 100, e.g. 5."
        return None
    if not 0 <= number <= 100:
        errors[name] = f"The {label} is a percentage from 0 to 100; {raw} is outside that."
        return None
    return number / 100


def _milestones(errors: dict[str, str], raw: str, unit: str, decimals: int | None) -> tuple[tuple[date, float], ...]:
    found: list[tuple[date, float]] = []
    problems = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = MILESTONE_LINE.match(line)
        if not match:
            problems.append(f"line {number} (“{line.strip()[:40]}”) needs a month and a target, e.g. 2025-06 450")
            continue
        try:
            period = parse_month(match.group(1))
        except ValueError as error:
            problems.append(f"line {number}: {error}")
            continue
        try:
            value = parse_figure(match.group(2), unit=unit, decimals=decimals).value
        except ValidationError as error:
            problems.append(f"line {number}: {error.message}")
            continue
        if any(p == period for p, _ in found):
            problems.append(f"line {number}: {format_month(period)} has a milestone already (one a month)")
            continue
        found.append((period, value))
    if problems:
        errors["milestones"] = "Milestones: " + "; ".join(problems) + "."
    return tuple(sorted(found))


def read_measure_form(session: Session, form: Mapping[str, Any], *, measure: Measure | None) -> MeasurePlan:
    """Check every field of a measure form against the database's rules; FormErrors names each wrong field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if measure is None:
        values["slug"] = _slug(session, errors, form, Measure, "measure")
    goal_slug = _text(form, "goal")
    goal = session.scalar(select(Goal).where(Goal.slug == goal_slug)) if goal_slug else None
    if goal is None:
        errors["goal"] = "Choose the goal this measure belongs to." if not goal_slug else \
            f"There is no goal “{goal_slug[:64]}”. Choose one from the list."
    elif goal.retired and (measure is None or measure.goal_id != goal.id):
        errors["goal"] = f"“{goal.title}” is retired and takes no new measures. Choose another goal."
    values["goal_id"] = goal.id if goal else None
    values["name"] = _length(errors, form, "name", "The name", 200)
    values["definition"] = _length(errors, form, "definition", "The definition (how it is counted)", 5000)
    unit = _text(form, "unit")
    if unit not in UNITS:
        errors["unit"] = f"Choose a unit: {', '.join(UNITS)}."
    values["unit"] = unit
    decimals: int | None = None
    try:
        decimals = _int(_text(form, "decimals") or "0", 0, 6, "Decimals is a whole number from 0 to 6.")
    except ValueError as error:
        errors["decimals"] = str(error)
    values["decimals"] = decimals
    direction, trajectory = _text(form, "direction"), _text(form, "trajectory")
    if direction not in DIRECTIONS:
        errors["direction"] = "Choose whether higher or lower is better."
    if trajectory not in TRAJECTORIES:
        errors["trajectory"] = f"Choose a trajectory: {', '.join(TRAJECTORIES)}."
    values["direction"], values["trajectory"] = direction, trajectory
    figure_unit = unit if unit in UNITS else "count"
    baseline = _figure(errors, form, "baseline_value", "baseline value", figure_unit, decimals)
    target = _figure(errors, form, "target_value", "target value", figure_unit, decimals)
    baseline_month = _month(errors, form, "baseline_month", "baseline month")
    target_month = _month(errors, form, "target_month", "target month")
    values.update(baseline_value=baseline, target_value=target, baseline_period=baseline_month,
                  target_period=target_month)
    if baseline_month and target_month:
        if target_month < baseline_month:
            errors["target_month"] = (f"The target month ({format_month(target_month)}) is before the baseline month "
                                      f"({format_month(baseline_month)}). The target must come after the baseline.")
        elif target_month == baseline_month and trajectory in ("linear", "milestones"):
            errors["target_month"] = (f"The target month is the baseline month ({format_month(target_month)}): a "
                                      f"{trajectory} plan needs time between them. Choose a later target month.")
    if (baseline is not None and target is not None and trajectory in ("linear", "milestones")
            and direction in DIRECTIONS):
        shown_b = format_value(baseline, figure_unit, decimals or 0)
        shown_t = format_value(target, figure_unit, decimals or 0)
        if direction == "increase" and target <= baseline:
            errors["target_value"] = (f"Higher is better, so the target ({shown_t}) must be above the baseline "
                                      f"({shown_b}). Check the figures, or choose “Lower is better”.")
        elif direction == "decrease" and target >= baseline:
            errors["target_value"] = (f"Lower is better, so the target ({shown_t}) must be below the baseline "
                                      f"({shown_b}). Check the figures, or choose “Higher is better”.")
    on_track = _tolerance(errors, form, "on_track_tolerance", "on-track tolerance", DEFAULT_ON_TRACK_TOLERANCE)
    at_risk = _tolerance(errors, form, "at_risk_tolerance", "at-risk tolerance", DEFAULT_AT_RISK_TOLERANCE)
    if on_track is not None and at_risk is not None and on_track > at_risk:
        errors["at_risk_tolerance"] = (
            f"The at-risk tolerance ({_percent(at_risk)}%) must be at least the on-track tolerance "
            f"({_percent(on_track)}%): a measure is on track while within {_percent(on_track)}% of its plan, and at "
            "risk a little further behind, so the tolerances must be in that order.")
    values["on_track_tolerance"], values["at_risk_tolerance"] = on_track, at_risk
    valid_min = _figure(errors, form, "valid_min", "lowest valid figure", figure_unit, None, required=False)
    valid_max = _figure(errors, form, "valid_max", "highest valid figure", figure_unit, None, required=False)
    values["valid_min"], values["valid_max"] = valid_min, valid_max
    if valid_min is not None and valid_max is not None and valid_min > valid_max:
        errors["valid_max"] = (f"The highest valid figure ({format_value(valid_max, figure_unit, decimals or 0)}) is "
                               f"below the lowest ({format_value(valid_min, figure_unit, decimals or 0)}). Swap them "
                               "or correct one.")

    def outside(value: float | None) -> bool:
        return value is not None and ((valid_min is not None and value < valid_min)
                                      or (valid_max is not None and value > valid_max))

    def range_words() -> str:
        low = format_value(valid_min, figure_unit, decimals or 0) if valid_min is not None else "no minimum"
        high = format_value(valid_max, figure_unit, decimals or 0) if valid_max is not None else "no maximum"
        return f"the valid range ({low} to {high})"

    if "valid_max" not in errors:
        for name, value, label in (("baseline_value", baseline, "baseline"), ("target_value", target, "target")):
            if name not in errors and outside(value):
                errors[name] = (f"The {label} ({format_value(value or 0, figure_unit, decimals or 0)}) is outside "
                                f"{range_words()}: figures outside it are refused, so widen the range or correct "
                                f"the {label}.")
    milestones = _milestones(errors, _text(form, "milestones"), figure_unit, decimals)
    if "milestones" not in errors:
        problems = []
        if milestones and trajectory != "milestones":
            problems.append("only a “milestones” trajectory uses interim targets: choose that trajectory or clear "
                            "the milestones")
        if trajectory == "milestones" and not milestones:
            problems.append("a “milestones” trajectory needs at least one interim target, one a line, e.g. "
                            "2025-06 450")
        for period, value in milestones:
            if baseline_month and target_month and not baseline_month < period < target_month:
                problems.append(f"{format_month(period)} is outside the period from the baseline "
                                f"({format_month(baseline_month)}) to the target ({format_month(target_month)}); an "
                                "interim target must fall between them")
            if "valid_max" not in errors and outside(value):
                problems.append(f"the milestone for {format_month(period)} is outside {range_words()}")
        if problems:
            errors["milestones"] = "Milestones: " + "; ".join(problems) + "."
    try:
        values["due_day"] = _int(_text(form, "due_day") or "15", 1, 28,
                                 "The due day is a day of the following month from 1 to 28 (every month has it).")
    except ValueError as error:
        errors["due_day"] = str(error)
    department = _department(session, errors, form)
    values["owner_department_id"] = department.id if department else None
    values["data_source"] = _length(errors, form, "data_source", "The data source", 300)
    values["citation"] = _length(errors, form, "citation", "Where the baseline and target come from", 300)
    cumulative = _text(form, "cumulative") or "no"
    if cumulative not in ("yes", "no"):
        errors["cumulative"] = "Say whether this is a running total (yes or no)."
    values["cumulative"] = cumulative == "yes"
    try:
        values["display_order"] = _int(_text(form, "display_order") or "0", -1000, 1000,
                                       "The order is a whole number from -1000 to 1000 (lower comes first).")
    except ValueError as error:
        errors["display_order"] = str(error)
    if errors:
        raise FormErrors(errors)
    return MeasurePlan(values=values, milestones=milestones)


def _plan_of(measure: Measure) -> dict[str, dict[str, Any]]:
    """The parts of a measure's plan whose change is public history, as stored in a MeasureChange."""
    return {
        "target": {"value": measure.target_value, "period": measure.target_period.isoformat()},
        "baseline": {"value": measure.baseline_value, "period": measure.baseline_period.isoformat()},
        "milestones": {"milestones": [[m.period.isoformat(), m.target_value] for m in measure.milestones]},
        "definition": {"text": measure.definition},
    }


def _plan_of_form(plan: MeasurePlan) -> dict[str, dict[str, Any]]:
    v = plan.values
    return {
        "target": {"value": v["target_value"], "period": v["target_period"].isoformat()},
        "baseline": {"value": v["baseline_value"], "period": v["baseline_period"].isoformat()},
        "milestones": {"milestones": [[p.isoformat(), value] for p, value in plan.milestones]},
        "definition": {"text": v["definition"]},
    }


def changed_plan_parts(measure: Measure, plan: MeasurePlan) -> list[str]:
    """Which of target, baseline, milestones and definition the form changes (in that order)."""
    old, new = _plan_of(measure), _plan_of_form(plan)
    return [kind for kind in PLAN_LABELS if old[kind] != new[kind]]


def needs_reason(session: Session, measure_id: int | None, form: Mapping[str, Any]) -> list[str]:
    """The plan parts of a published measure a form would change (a reason is required); [] for anything else.

    Tolerant of a half-typed form: a part that cannot be read yet counts as changed if its text differs.
    """
    measure = session.get(Measure, measure_id) if isinstance(measure_id, int) else None
    if measure is None or not measure.published:
        return []
    shown = measure_form(measure)
    fields = {"target": ("target_value", "target_month"), "baseline": ("baseline_value", "baseline_month"),
              "milestones": ("milestones",), "definition": ("definition",)}
    try:
        plan = read_measure_form(session, form, measure=measure)
    except FormErrors:
        return [kind for kind, names in fields.items()
                if any(_text(form, name) != shown[name].strip() for name in names)]
    return changed_plan_parts(measure, plan)


def _measure_snapshot(measure: Measure) -> dict[str, Any]:
    return {
        "slug": measure.slug, "goal_id": measure.goal_id, "name": measure.name, "definition": measure.definition,
        "unit": measure.unit, "decimals": measure.decimals, "direction": measure.direction,
        "trajectory": measure.trajectory, "baseline_value": measure.baseline_value,
        "baseline_period": measure.baseline_period.isoformat(), "target_value": measure.target_value,
        "target_period": measure.target_period.isoformat(),
        "milestones": [[m.period.isoformat(), m.target_value] for m in measure.milestones],
        "on_track_tolerance": measure.on_track_tolerance, "at_risk_tolerance": measure.at_risk_tolerance,
        "valid_min": measure.valid_min, "valid_max": measure.valid_max, "due_day": measure.due_day,
        "owner_department_id": measure.owner_department_id, "data_source": measure.data_source,
        "citation": measure.citation, "cumulative": measure.cumulative, "display_order": measure.display_order,
        "published": measure.published, "retired": measure.retired,
    }


def _load_measure(session: Session, measure_id: Any) -> Measure:
    measure = session.get(Measure, measure_id) if isinstance(measure_id, int) else None
    if measure is None:
        raise NotFound("That measure no longer exists. Reload the page.")
    return measure


def _check_reason(reason: str | None, parts: list[str]) -> str:
    text = (reason or "").strip()
    named = ", ".join(PLAN_LABELS[p].lower() for p in parts)
    if len(text) < MIN_REASON_LENGTH:
        raise FormErrors({"reason": f"This measure is published and you changed its {named}. Say why (at least a "
                                    "few words): the reason is shown on the public measure page."})
    if len(text) > MAX_REASON_LENGTH:
        raise FormErrors({"reason": f"The reason is {len(text):,} characters long; it may have at most "
                                    f"{MAX_REASON_LENGTH:,}. Shorten it."})
    return text


def save_measure(session: Session, actor: Actor, *, measure_id: int | None, form: Mapping[str, Any],
                 reason: str | None = None, today: date | None = None) -> Measure:
    """Create a measure (measure_id None, unpublished) or edit every field of one.

    Editing a published measure's target, baseline, milestones or definition needs `reason`; each changed part is
    kept as a MeasureChange with it.
    """
    require_admin(actor, "change measures")
    measure = None if measure_id is None else _load_measure(session, measure_id)
    try:
        plan = read_measure_form(session, form, measure=measure)
        errors: dict[str, str] = {}
    except FormErrors as error:
        plan, errors = None, dict(error.errors)
    parts = changed_plan_parts(measure, plan) if measure is not None and plan is not None and measure.published \
        else needs_reason(session, measure_id, form) if measure is not None and measure.published else []
    reason_text = ""
    if parts:
        try:
            reason_text = _check_reason(reason, parts)
        except FormErrors as error:
            errors.update(error.errors)
    if errors or plan is None:
        raise FormErrors(errors)
    before = None if measure is None else _measure_snapshot(measure)
    old_plan = None if measure is None else _plan_of(measure)
    values = dict(plan.values)
    if measure is None:
        measure = Measure(slug=values.pop("slug"), published=False, retired=False)
        session.add(measure)
    for name, value in values.items():
        setattr(measure, name, value)
    wanted = dict(plan.milestones)
    for milestone in list(measure.milestones):
        if milestone.period not in wanted:
            measure.milestones.remove(milestone)
        else:
            milestone.target_value = wanted.pop(milestone.period)
    session.flush()  # removed milestones go before new ones take their months
    for period, value in wanted.items():
        measure.milestones.append(Milestone(period=period, target_value=value, citation=measure.citation))
    session.flush()
    session.refresh(measure, ["milestones"])
    if old_plan is not None and parts:
        new_plan = _plan_of(measure)
        changed_on = today or clock.today()
        for kind in parts:
            session.add(MeasureChange(measure_id=measure.id, kind=kind, before=old_plan[kind], after=new_plan[kind],
                                      reason=reason_text, changed_on=changed_on, user_id=actor.id))
    after = _measure_snapshot(measure)
    if parts:
        after["reason"] = reason_text
    record_audit(session, actor=actor.email, user_id=actor.id,
                 action="measure.create" if before is None else "measure.update", entity_type="measure",
                 entity_id=measure.id, before=before, after=after)
    bump_data_version(session)
    return measure


def set_measure_published(session: Session, actor: Actor, *, measure_id: int, published: bool) -> Measure:
    """Publish a measure (public once its goal is too) or unpublish it (it leaves every public page and file)."""
    require_admin(actor, "publish measures")
    measure = _load_measure(session, measure_id)
    if published and measure.retired:
        raise ValidationError(f"“{measure.name}” is retired, so it cannot be published.", field="published")
    if measure.published == published:
        raise ValidationError(f"“{measure.name}” is already {'published' if published else 'unpublished'}. "
                              "Reload to see its current state.", field="published")
    before = _measure_snapshot(measure)
    measure.published = published
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id,
                 action="measure.publish" if published else "measure.unpublish", entity_type="measure",
                 entity_id=measure.id, before=before, after=_measure_snapshot(measure))
    bump_data_version(session)
    return measure


def measure_value_count(session: Session, measure_id: int) -> int:
    """How many monthly figures a measure has (any state)."""
    return session.scalar(select(func.count()).select_from(Measurement)
                          .where(Measurement.measure_id == measure_id)) or 0


def retire_measure(session: Session, actor: Actor, *, measure_id: int) -> Measure:
    """Retire a measure: unpublished, off the dashboards and the entry page; its figures and history are kept."""
    require_admin(actor, "retire measures")
    measure = _load_measure(session, measure_id)
    if measure.retired:
        raise ValidationError(f"“{measure.name}” is already retired.", field="retired")
    before = _measure_snapshot(measure)
    measure.retired, measure.published = True, False
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="measure.retire", entity_type="measure",
                 entity_id=measure.id, before=before, after=_measure_snapshot(measure))
    bump_data_version(session)
    return measure


def delete_measure(session: Session, actor: Actor, *, measure_id: int) -> str:
    """Delete a measure that has no figures and no history (returns its name); one with any is retired instead."""
    require_admin(actor, "delete measures")
    measure = _load_measure(session, measure_id)
    from models.feedback import Feedback
    from models.followups import FollowUp

    kept = []
    if measure_value_count(session, measure.id):
        kept.append("monthly figures")
    for model, words in ((MeasureChange, "recorded plan changes"), (FollowUp, "follow-ups"),
                         (Feedback, "residents' reports"), (Annotation, "chart events")):
        if session.scalar(select(func.count()).select_from(model).where(model.measure_id == measure.id)):
            kept.append(words)
    if kept:
        raise ValidationError(f"“{measure.name}” has {' and '.join(kept)}, so it cannot be deleted: that history "
                              "stays. Unpublish it to take it off the public page, or retire it to stop tracking it.",
                              field="delete")
    before = _measure_snapshot(measure)
    name = measure.name
    session.delete(measure)
    session.flush()
    record_audit(session, actor=actor.email, user_id=actor.id, action="measure.delete", entity_type="measure",
                 entity_id=measure_id, before=before, after=None)
    bump_data_version(session)
    return name


def measure_publish_consequence(session: Session, measure_id: int, published: bool) -> str:
    """What publishing or unpublishing a measure changes for the public, in words, for the confirmation."""
    measure = _load_measure(session, measure_id)
    goal = measure.goal
    if published:
        if not goal.published:
            return (f"Publish “{measure.name}”? Its goal “{goal.title}” is not published, so nothing becomes public "
                    "yet: the measure appears once the goal is published.")
        return (f"Publish “{measure.name}”? It becomes public under “{goal.title}” on the progress page, its own "
                "measure page, the API, the downloads and data.json, with its approved figures, definition, source, "
                "target and milestones.")
    return (f"Unpublish “{measure.name}”? Its measure page, its figures in the downloads and API, and its data.json "
            "entry disappear from public view; links to it will say the page is not found. Staff still see it.")


# --- lists for the admin pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    """A goal as the admin list shows it."""

    id: int
    slug: str
    title: str
    department: str
    display_order: int
    published: bool
    retired: bool
    measures: int


@dataclass(frozen=True)
class MeasureRow:
    """A measure as the admin list shows it."""

    id: int
    slug: str
    name: str
    goal: str
    department: str
    published: bool
    goal_published: bool
    retired: bool
    values: int


def goal_rows(session: Session) -> list[GoalRow]:
    """Every goal with its owner and number of measures, in display order."""
    counts = dict(session.execute(select(Measure.goal_id, func.count()).group_by(Measure.goal_id)).all())
    rows = session.execute(
        select(Goal.id, Goal.slug, Goal.title, Department.name, Goal.display_order, Goal.published, Goal.retired)
        .join(Department, Department.id == Goal.owner_department_id).order_by(Goal.retired, Goal.display_order, Goal.id)
    ).all()
    return [GoalRow(id=r[0], slug=r[1], title=r[2], department=r[3], display_order=r[4], published=bool(r[5]),
                    retired=bool(r[6]), measures=counts.get(r[0], 0)) for r in rows]


def measure_rows(session: Session) -> list[MeasureRow]:
    """Every measure with its goal, owner, state and number of figures, in display order."""
    counts = dict(session.execute(select(Measurement.measure_id, func.count()).group_by(Measurement.measure_id)).all())
    rows = session.execute(
        select(Measure.id, Measure.slug, Measure.name, Goal.title, Department.name, Measure.published,
               Goal.published, Measure.retired)
        .join(Goal, Goal.id == Measure.goal_id).join(Department, Department.id == Measure.owner_department_id)
        .order_by(Measure.retired, Goal.display_order, Goal.id, Measure.display_order, Measure.id)
    ).all()
    return [MeasureRow(id=r[0], slug=r[1], name=r[2], goal=r[3], department=r[4], published=bool(r[5]),
                       goal_published=bool(r[6]), retired=bool(r[7]), values=counts.get(r[0], 0)) for r in rows]


def choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options of the forms' lists: departments and goals (not retired)."""
    return {
        "departments": [(slug, name) for slug, name in session.execute(
            select(Department.slug, Department.name).order_by(Department.name))],
        "goals": [(slug, title) for slug, title in session.execute(
            select(Goal.slug, Goal.title).where(Goal.retired.is_(False)).order_by(Goal.display_order, Goal.id))],
    }
