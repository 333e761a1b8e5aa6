"""Load the illustrative seed data set from CSV files: validate every row first, then write in one transaction.

Loading is idempotent: records are matched by their natural keys (slugs, measure + month) and only missing ones
are added, so a second load changes nothing and a value corrected in the app is never overwritten.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import bump_data_version, record_audit
from models.catalog import (
    DIRECTIONS,
    TRAJECTORIES,
    UNITS,
    Annotation,
    Goal,
    Measure,
    Milestone,
)
from models.measurements import MEASUREMENT_STATES, Measurement, Revision
from models.org import DEPARTMENT_KINDS, Department
from models.progress import DEFAULT_AT_RISK_TOLERANCE, DEFAULT_ON_TRACK_TOLERANCE

SEED_FILES = ("departments", "goals", "measures", "milestones", "measurements", "annotations")


class SeedError(Exception):
    """A malformed seed row: names the file, line and column to fix."""

    def __init__(self, file: str, line: int, column: str | None, message: str):
        where = f"{file}, line {line}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column = file, line, column


@dataclass
class SeedReport:
    """How many records of each kind a load added and how many it found already there."""

    added: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per kind: added and unchanged counts."""
        return "\n".join(
            f"{kind}: {self.added.get(kind, 0)} added, {self.unchanged.get(kind, 0)} already present"
            for kind in SEED_FILES
        )


class _Row:
    """One CSV row with typed accessors that raise SeedError naming file, line and column."""

    def __init__(self, file: str, line: int, values: dict[str, str]):
        self.file, self.line, self.values = file, line, values

    def fail(self, column: str | None, message: str) -> SeedError:
        return SeedError(self.file, self.line, column, message)

    @overload
    def text(self, column: str) -> str: ...

    @overload
    def text(self, column: str, *, required: bool) -> str | None: ...

    def text(self, column: str, *, required: bool = True) -> str | None:
        """The stripped text of a column; a missing required value raises, a missing optional one is None."""
        value = (self.values.get(column) or "").strip()
        if not value:
            if required:
                raise self.fail(column, "a value is required")
            return None
        return value

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.fail(column, f"'{value}' is not one of {', '.join(allowed)}")
        return value

    def number(self, column: str, *, required: bool = True) -> float | None:
        raw = self.text(column, required=required)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.fail(column, f"'{raw}' is not a number")
        if not math.isfinite(value):
            raise self.fail(column, f"'{raw}' is not a finite number")
        return value

    def integer(self, column: str, default: int | None = None) -> int:
        raw = self.text(column, required=default is None)
        if raw is None:
            return default  # type: ignore[return-value]
        try:
            return int(raw)
        except ValueError:
            raise self.fail(column, f"'{raw}' is not a whole number")

    def boolean(self, column: str) -> bool:
        raw = (self.text(column) or "").lower()
        if raw not in ("true", "false"):
            raise self.fail(column, f"'{raw}' must be true or false")
        return raw == "true"

    def flag(self, column: str, default: bool = False) -> bool:
        """An optional true/false column: absent or empty gives `default`."""
        if not (self.values.get(column) or "").strip():
            return default
        return self.boolean(column)

    def month(self, column: str) -> date:
        raw = self.text(column)
        try:
            year, month = raw.split("-")[:2]
            if len(raw.split("-")) > 2 and raw.split("-")[2] != "01":
                raise ValueError
            return date(int(year), int(month), 1)
        except ValueError:
            raise self.fail(column, f"'{raw}' is not a month (YYYY-MM)")

    def day(self, column: str) -> date:
        raw = self.text(column)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(column, f"'{raw}' is not a date (YYYY-MM-DD)")

    def slug_ref(self, column: str, known: dict[str, Any], what: str) -> str | None:
        """An optional slug that, when given, must name a known record."""
        return self.text(column, required=False) if self.ref(column, known, what, required=False) else None

    def ref(self, column: str, known: dict[str, Any], what: str, *, required: bool = True) -> Any:
        slug = self.text(column, required=required)
        if slug is None:
            return None
        if slug not in known:
            raise self.fail(column, f"unknown {what} '{slug}'")
        return known[slug]


_T = TypeVar("_T")


def _default(value: _T | None, default: _T) -> _T:
    """`value`, or `default` only when the cell was empty (a stated 0 is a value, not a gap)."""
    return default if value is None else value


def _read(folder: Path, name: str, columns: tuple[str, ...]) -> list[_Row]:
    """Read one CSV file, checking that its header has every expected column."""
    path = folder / f"{name}.csv"
    file = path.name
    if not path.exists():
        raise SeedError(file, 0, None, "file is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        absent = [c for c in columns if c not in header]
        if absent:
            raise SeedError(file, 1, absent[0], f"header lacks column(s) {', '.join(absent)}")
        rows = []
        for values in reader:
            line = reader.line_num
            if None in values:
                raise SeedError(file, line, header[-1], "row has more fields than the header: the extra field "
                                "comes after this column (put text that contains a comma in double quotes)")
            empty = [c for c in header if c in columns and values.get(c) is None]
            if empty:
                raise SeedError(file, line, empty[0], "row has fewer fields than the header: this column and "
                                "the ones after it have no field")
            rows.append(_Row(file, line, values))
        return rows


def _parse(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Parse and cross-check every file, returning plain records keyed by kind; raises SeedError on the first fault."""
    parsed: dict[str, list[dict[str, Any]]] = {}
    departments: dict[str, dict[str, Any]] = {}
    for row in _read(folder, "departments", ("slug", "name", "kind", "contact_email")):
        slug = row.text("slug")
        if slug in departments:
            raise row.fail("slug", f"duplicate department '{slug}'")
        departments[slug] = dict(slug=slug, name=row.text("name"), kind=row.choice("kind", DEPARTMENT_KINDS),
                                 contact_email=row.text("contact_email", required=False))
    parsed["departments"] = list(departments.values())

    goals: dict[str, dict[str, Any]] = {}
    for row in _read(folder, "goals", ("slug", "title", "summary", "owner_department", "display_order", "published")):
        slug = row.text("slug")
        if slug in goals:
            raise row.fail("slug", f"duplicate goal '{slug}'")
        row.ref("owner_department", departments, "department")
        goals[slug] = dict(slug=slug, title=row.text("title"), summary=row.text("summary"),
                           owner_department=row.text("owner_department"),
                           display_order=row.integer("display_order", 0), published=row.boolean("published"))
    parsed["goals"] = list(goals.values())

    measures: dict[str, dict[str, Any]] = {}
    columns = ("slug", "goal", "name", "definition", "unit", "decimals", "direction", "trajectory", "baseline_value",
               "baseline_period", "target_value", "target_period", "owner_department", "data_source", "valid_min",
               "valid_max", "on_track_tolerance", "at_risk_tolerance", "published", "source")
    for order, row in enumerate(_read(folder, "measures", columns)):
        slug = row.text("slug")
        if slug in measures:
            raise row.fail("slug", f"duplicate measure '{slug}'")
        row.ref("goal", goals, "goal")
        row.ref("owner_department", departments, "department")
        record: dict[str, Any] = dict(
            slug=slug, goal=row.text("goal"), name=row.text("name"), definition=row.text("definition"),
            unit=row.choice("unit", UNITS), decimals=row.integer("decimals", 0),
            direction=row.choice("direction", DIRECTIONS), trajectory=row.choice("trajectory", TRAJECTORIES),
            baseline_value=row.number("baseline_value"), baseline_period=row.month("baseline_period"),
            target_value=row.number("target_value"), target_period=row.month("target_period"),
            owner_department=row.text("owner_department"), data_source=row.text("data_source"),
            valid_min=row.number("valid_min", required=False), valid_max=row.number("valid_max", required=False),
            on_track_tolerance=_default(row.number("on_track_tolerance", required=False), DEFAULT_ON_TRACK_TOLERANCE),
            at_risk_tolerance=_default(row.number("at_risk_tolerance", required=False), DEFAULT_AT_RISK_TOLERANCE),
            published=row.boolean("published"), citation=row.text("source", required=False) or "illustrative",
            display_order=order, cumulative=row.flag("cumulative"),
        )
        if not 0 <= record["decimals"] <= 6:
            raise row.fail("decimals", "must be between 0 and 6")
        if record["target_period"] < record["baseline_period"]:
            raise row.fail("target_period", "is before the baseline period")
        if record["valid_min"] is not None and record["valid_max"] is not None \
                and record["valid_min"] > record["valid_max"]:
            raise row.fail("valid_max", "is below valid_min")
        if not 0 <= record["on_track_tolerance"] <= record["at_risk_tolerance"] <= 1:
            raise row.fail("at_risk_tolerance", "tolerances must satisfy 0 <= on_track <= at_risk <= 1")
        measures[slug] = record
    parsed["measures"] = list(measures.values())

    seen: set[tuple[str, date]] = set()
    parsed["milestones"] = []
    for row in _read(folder, "milestones", ("measure", "period", "target_value", "source")):
        measure = row.ref("measure", measures, "measure")
        period = row.month("period")
        if (measure["slug"], period) in seen:
            raise row.fail("period", "duplicate milestone for this measure and month")
        seen.add((measure["slug"], period))
        parsed["milestones"].append(dict(measure=measure["slug"], period=period,
                                         target_value=row.number("target_value"),
                                         citation=row.text("source", required=False) or "illustrative"))

    seen = set()
    parsed["measurements"] = []
    for row in _read(folder, "measurements", ("measure", "period", "value", "state", "note", "source")):
        measure = row.ref("measure", measures, "measure")
        period = row.month("period")
        value = row.number("value")
        if (measure["slug"], period) in seen:
            raise row.fail("period", f"duplicate value for {measure['slug']} in {period:%Y-%m}")
        seen.add((measure["slug"], period))
        low, high = measure["valid_min"], measure["valid_max"]
        if (low is not None and value < low) or (high is not None and value > high):
            shown_low = "no minimum" if low is None else f"{low:g}"
            shown_high = "no maximum" if high is None else f"{high:g}"
            raise row.fail("value", f"{value:g} is outside the valid range {shown_low} to {shown_high}")
        parsed["measurements"].append(dict(measure=measure["slug"], period=period, value=value,
                                           state=row.choice("state", MEASUREMENT_STATES),
                                           note=row.text("note", required=False),
                                           source_ref=row.text("source", required=False) or "illustrative"))

    parsed["annotations"] = []
    for row in _read(folder, "annotations", ("date", "text", "goal", "measure", "source")):
        parsed["annotations"].append(dict(
            event_date=row.day("date"), text=row.text("text"),
            goal=row.slug_ref("goal", goals, "goal"),
            measure=row.slug_ref("measure", measures, "measure"),
            citation=row.text("source", required=False) or "illustrative",
        ))
    return parsed


def _upsert(session: Session, report: SeedReport, kind: str, records: list[dict[str, Any]],
            existing: dict[Any, Any], key: Callable[[dict[str, Any]], Any],
            build: Callable[[dict[str, Any]], Any]) -> dict[Any, Any]:
    """Add the records whose key is not in `existing`; return key -> entity for all of them."""
    report.added[kind] = report.unchanged[kind] = 0
    for record in records:
        k = key(record)
        if k in existing:
            report.unchanged[kind] += 1
            continue
        entity = build(record)
        session.add(entity)
        existing[k] = entity
        report.added[kind] += 1
    session.flush()
    return existing


def load_seed(session: Session, folder: Path) -> SeedReport:
    """Validate the whole data set, then add what is missing in the caller's transaction; the caller commits."""
    data = _parse(Path(folder))
    report = SeedReport()

    departments = _upsert(
        session, report, "departments", data["departments"],
        {d.slug: d for d in session.scalars(select(Department))}, lambda r: r["slug"],
        lambda r: Department(**r),
    )
    goals = _upsert(
        session, report, "goals", data["goals"], {g.slug: g for g in session.scalars(select(Goal))},
        lambda r: r["slug"],
        lambda r: Goal(owner_department=departments[r["owner_department"]],
                       **{k: v for k, v in r.items() if k != "owner_department"}),
    )
    measures = _upsert(
        session, report, "measures", data["measures"], {m.slug: m for m in session.scalars(select(Measure))},
        lambda r: r["slug"],
        lambda r: Measure(goal=goals[r["goal"]], owner_department=departments[r["owner_department"]],
                          **{k: v for k, v in r.items() if k not in ("goal", "owner_department")}),
    )
    by_id = {m.id: slug for slug, m in measures.items()}
    _upsert(
        session, report, "milestones", data["milestones"],
        {(by_id[m.measure_id], m.period): m for m in session.scalars(select(Milestone))},
        lambda r: (r["measure"], r["period"]),
        lambda r: Milestone(measure_id=measures[r["measure"]].id, period=r["period"],
                            target_value=r["target_value"], citation=r["citation"]),
    )
    existing_values = {
        (by_id[measure_id], period): True
        for measure_id, period in session.execute(select(Measurement.measure_id, Measurement.period))
    }
    added = _upsert(
        session, report, "measurements", data["measurements"], dict(existing_values),
        lambda r: (r["measure"], r["period"]),
        lambda r: Measurement(measure_id=measures[r["measure"]].id, period=r["period"], value=r["value"],
                              state=r["state"], note=r["note"], source_ref=r["source_ref"],
                              approved_value=r["value"] if r["state"] == "approved" else None),
    )
    new_measurements = [m for k, m in added.items() if k not in existing_values]
    for measurement in new_measurements:
        session.add(Revision(measurement_id=measurement.id, action="import", old_value=None,
                             new_value=measurement.value, old_state=None, new_state=measurement.state,
                             reason="Loaded from the illustrative seed data set"))
    existing_annotations = {
        (a.event_date, a.text): a for a in session.scalars(select(Annotation))
    }
    _upsert(
        session, report, "annotations", data["annotations"], existing_annotations,
        lambda r: (r["event_date"], r["text"]),
        lambda r: Annotation(event_date=r["event_date"], text=r["text"], citation=r["citation"],
                             goal_id=goals[r["goal"]].id if r["goal"] else None,
                             measure_id=measures[r["measure"]].id if r["measure"] else None),
    )
    if any(report.added.values()):
        record_audit(session, actor="system", action="seed.load", entity_type="dataset",
                     after={"added": report.added})
        bump_data_version(session)
    session.flush()
    return report
