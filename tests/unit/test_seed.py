"""The seed loader (models/seed.py) and the shape of the illustrative data set in data/seed/.

Expected counts come from reading the CSV files, so the tests follow the data set when it grows.
"""
from __future__ import annotations

import csv
import re
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import SEED_FOLDER, TEST_USERS
from models.audit import AuditEvent, DataVersion, current_data_version
from models.catalog import Annotation, Goal, Measure, Milestone
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.seed import SEED_FILES, SeedError, load_seed
from models.services import Actor, correct_value

ENTITIES = {
    "departments": Department,
    "goals": Goal,
    "measures": Measure,
    "milestones": Milestone,
    "measurements": Measurement,
    "annotations": Annotation,
}
LAST_MONTH = "2026-10"


def read(name: str, folder: Path = SEED_FOLDER) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def month_index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def count(session, entity) -> int:
    return session.scalar(select(func.count()).select_from(entity))


def table_counts(session) -> dict[str, int]:
    kinds = {kind: count(session, entity) for kind, entity in ENTITIES.items()}
    return {**kinds, "revisions": count(session, Revision), "audit_events": count(session, AuditEvent),
            "users": count(session, User), "data_version_rows": count(session, DataVersion)}


# --- loading --------------------------------------------------------------------------------------------------


def test_seed_loads_every_row_into_an_empty_database(empty_session):
    assert current_data_version(empty_session) == 1
    expected = {kind: len(read(kind)) for kind in SEED_FILES}

    report = load_seed(empty_session, SEED_FOLDER)
    empty_session.commit()

    assert report.added == expected
    assert report.unchanged == dict.fromkeys(SEED_FILES, 0)
    assert {kind: count(empty_session, entity) for kind, entity in ENTITIES.items()} == expected
    assert all(f"{kind}: {n} added" in report.summary() for kind, n in expected.items())

    # Every value arrives as written, with the state the file gives it and an "import" revision.
    rows = empty_session.execute(
        select(Measure.slug, Measurement.period, Measurement.value, Measurement.state, Measurement.source_ref)
        .join(Measure, Measure.id == Measurement.measure_id)
    ).all()
    stored = {(slug, f"{period:%Y-%m}"): (value, state, source) for slug, period, value, state, source in rows}
    assert stored == {(r["measure"], r["period"]): (float(r["value"]), r["state"], r["source"])
                      for r in read("measurements")}
    assert empty_session.scalar(select(func.count()).select_from(Revision).where(Revision.action == "import")) \
        == expected["measurements"]
    assert [e.action for e in empty_session.scalars(select(AuditEvent))] == ["seed.load"]
    assert current_data_version(empty_session) == 2

    # References are resolved to the right rows.
    owners = {r["slug"]: (r["goal"], r["owner_department"]) for r in read("measures")}
    for measure in empty_session.scalars(select(Measure)):
        assert (measure.goal.slug, measure.owner_department.slug) == owners[measure.slug]

    # Every stored number carries its source.
    for entity, column in ((Measurement, Measurement.source_ref), (Measure, Measure.citation),
                           (Measure, Measure.data_source), (Annotation, Annotation.citation),
                           (Milestone, Milestone.citation)):
        sources = empty_session.scalars(select(column)).all()
        assert sources and all(s and s.strip() for s in sources), f"{entity.__name__}.{column.key} has a blank"


def test_a_second_load_adds_nothing_and_does_not_bump_the_data_version(session):
    before_counts, before_version = table_counts(session), current_data_version(session)
    report = load_seed(session, SEED_FOLDER)
    session.commit()
    assert report.added == dict.fromkeys(SEED_FILES, 0)
    assert report.unchanged == {kind: len(read(kind)) for kind in SEED_FILES}
    assert table_counts(session) == before_counts
    assert current_data_version(session) == before_version


def test_a_reload_keeps_a_value_corrected_in_the_app(session):
    admin = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))
    target = session.scalar(select(Measurement).where(Measurement.state == "approved")
                            .order_by(Measurement.period.desc(), Measurement.id).limit(1))
    seeded_value = target.value
    correct_value(session, admin, measurement_id=target.id, expected_version=target.version,
                  value=seeded_value + 1, reason="Corrected after the department's audit")
    session.commit()
    version_after_correction = current_data_version(session)
    revisions = count(session, Revision)

    load_seed(session, SEED_FOLDER)
    session.commit()
    session.expire_all()
    reloaded = session.get(Measurement, target.id)
    assert (reloaded.value, reloaded.state, reloaded.version) == (seeded_value + 1, "submitted", 2)
    assert count(session, Revision) == revisions
    assert current_data_version(session) == version_after_correction


# --- malformed files ------------------------------------------------------------------------------------------


def _rewrite(folder: Path, name: str, change) -> int:
    """Rewrite folder/name.csv after `change(rows)` (rows include the header); return the line change() names."""
    path = folder / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    index = change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    # The physical line of row `index`, counted the way a CSV reader does (quoted fields may hold line breaks).
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for position, _ in enumerate(reader):
            if position == index:
                return reader.line_num
    raise AssertionError(f"row {index} not found in {name}.csv")


def _set(column: str, value: str, row: int = 40):
    def change(rows):
        rows[row][rows[0].index(column)] = value
        return row
    return change


def _value_outside_range(rows):
    maxima = {r["slug"]: float(r["valid_max"]) for r in read("measures") if r["valid_max"]}
    header, row = rows[0], 40
    rows[row][header.index("value")] = str(maxima[rows[row][header.index("measure")]] * 10 + 1)
    return row


def _duplicate_row(rows):
    rows.append(list(rows[25]))
    return len(rows) - 1


def _drop_column(column: str):
    def change(rows):
        position = rows[0].index(column)
        for row in rows:
            del row[position]
        return 0
    return change


def _extra_field(rows):
    rows[30].append("an extra field")
    return 30


def _missing_field(rows):
    del rows[30][-1]
    return 30


def _no_maximum_and_value_below_minimum(folder: Path) -> int:
    """Give one measure a minimum but no maximum, then put a value below the minimum: still a SeedError."""
    slug = read("measurements", folder)[39]["measure"]  # the measure of file row 40 (row 0 is the header)

    def drop_maximum(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("slug")] == slug:
                row[header.index("valid_max")] = ""
        return 0

    _rewrite(folder, "measures", drop_maximum)
    return _rewrite(folder, "measurements", _set("value", "-5"))


MALFORMED = [
    # id, file, change, column, words in the message
    ("non-numeric value", "measurements", _set("value", "12,4x0"), "value", ["'12,4x0' is not a number"]),
    ("unknown goal slug", "measures", _set("goal", "no-such-goal", row=3), "goal", ["unknown goal 'no-such-goal'"]),
    ("duplicate measure and month", "measurements", _duplicate_row, "period", ["duplicate"]),
    ("value outside the valid range", "measurements", _value_outside_range, "value", ["outside the valid range"]),
    ("bad month", "measurements", _set("period", "2026-13"), "period", ["'2026-13' is not a month"]),
    ("month written as a day", "milestones", _set("period", "2019-06-15", row=2), "period", ["not a month"]),
    ("unknown state", "measurements", _set("state", "final"), "state", ["'final' is not one of"]),
    ("missing column", "measurements", _drop_column("state"), "state", ["header lacks"]),
    # A row's field count is wrong as a whole; the column named is where the extra field starts or the first one
    # left empty.
    ("row with an extra field", "measurements", _extra_field, "source", ["more fields"]),
    ("row with a missing field", "measurements", _missing_field, "source", ["fewer fields"]),
    ("blank required cell", "departments", _set("name", "", row=2), "name", ["required"]),
]


def test_a_malformed_row_names_file_line_and_column_and_nothing_is_written(empty_session, tmp_path, subtests):
    assert all(n == 0 for kind, n in table_counts(empty_session).items() if kind != "data_version_rows")
    cases = [(name, file, lambda folder, c=change, f=file: _rewrite(folder, f, c), column, words)
             for name, file, change, column, words in MALFORMED]
    cases.append(("value below the minimum of a measure without a maximum", "measurements",
                  _no_maximum_and_value_below_minimum, "value", ["outside the valid range"]))
    for number, (name, file, break_it, column, words) in enumerate(cases):
        with subtests.test(case=name):
            folder = tmp_path / f"case-{number}"
            shutil.copytree(SEED_FOLDER, folder)
            line = break_it(folder)
            before = table_counts(empty_session)

            with pytest.raises(SeedError) as caught:
                load_seed(empty_session, folder)
            error, message = caught.value, str(caught.value)
            assert (error.file, error.line) == (f"{file}.csv", line), message
            assert message.startswith(f"{file}.csv, line {error.line}"), message
            if column is not None:
                assert error.column == column, message
            # Every message points at a column, even when the fault is the number of fields.
            assert error.column and f"column '{error.column}'" in message, message
            for word in words:
                assert word in message, message

            # The whole file set is checked before anything is written: the database stays empty.
            assert table_counts(empty_session) == before
            assert current_data_version(empty_session) == 1


# --- the shape of the illustrative data set -------------------------------------------------------------------


def test_the_data_set_has_the_promised_breadth():
    departments, goals, measures = read("departments"), read("goals"), read("measures")
    assert len(goals) >= 5
    assert len(measures) >= 18
    assert len(departments) >= 8
    assert {"city-parish", "state", "federal"} <= {d["kind"] for d in departments}
    # Measures are owned across levels of government, not by one office.
    kinds = {d["slug"]: d["kind"] for d in departments}
    assert {"city-parish", "state", "federal"} <= {kinds[m["owner_department"]] for m in measures}
    # Every goal has measures, and there is something to hide from and show to the public.
    assert {g["slug"] for g in goals} == {m["goal"] for m in measures}
    assert {"true", "false"} <= {g["published"] for g in goals}
    assert {"true", "false"} <= {m["published"] for m in measures}


def test_the_data_set_has_monthly_values_from_2017_to_october_2026():
    measurements = read("measurements")
    baselines = {m["slug"]: m["baseline_period"] for m in read("measures")}
    by_measure: dict[str, list[str]] = defaultdict(list)
    for row in measurements:
        by_measure[row["measure"]].append(row["period"])
    assert set(by_measure) == set(baselines), "every measure has values"

    periods = [row["period"] for row in measurements]
    assert min(periods).startswith("2017-") and max(periods) == LAST_MONTH
    every_month = set(range(month_index("2017-01"), month_index(LAST_MONTH) + 1))
    assert every_month <= {month_index(p) for p in periods}, "some month has no value at all"
    for slug, months in by_measure.items():
        indexes = sorted(month_index(p) for p in months)
        assert indexes == list(range(indexes[0], indexes[-1] + 1)), f"{slug} skips a month"
        assert indexes[0] >= month_index(baselines[slug]), f"{slug} has values before its baseline"
    current = [slug for slug, months in by_measure.items() if LAST_MONTH in months]
    assert len(current) >= len(by_measure) - 3, "most measures are reported up to the last month"
    # The review states the dashboards explain are all present.
    assert {"approved", "submitted", "returned"} <= {row["state"] for row in measurements}


def test_every_row_of_the_data_set_names_its_source():
    for name in ("measurements", "measures", "milestones", "annotations"):
        for line, row in enumerate(read(name), start=2):
            assert row["source"].strip(), f"{name}.csv line {line} has no source"
    for line, row in enumerate(read("measures"), start=2):
        assert row["data_source"].strip(), f"measures.csv line {line} has no data_source"
    for row in read("annotations"):
        date.fromisoformat(row["date"])


def test_the_data_set_readme_says_the_data_is_illustrative():
    readme = (SEED_FOLDER / "README.md").read_text(encoding="utf-8")
    assert re.search(r"data set is illustrative", readme, re.IGNORECASE)
    assert re.search(r"not official", readme, re.IGNORECASE)
    for name in SEED_FILES:
        assert f"{name}.csv" in readme, f"README.md does not describe {name}.csv"


def test_a_stated_tolerance_of_zero_is_kept_and_an_empty_one_takes_the_default(empty_session, tmp_path):
    """0 is a tolerance (no slack at all), not a missing cell: only an empty cell falls back to the default."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED_FOLDER, folder)
    rows = read("measures", folder)
    strict, default = rows[0]["slug"], rows[1]["slug"]
    rows[0]["on_track_tolerance"], rows[0]["at_risk_tolerance"] = "0", "0"
    rows[1]["on_track_tolerance"], rows[1]["at_risk_tolerance"] = "", ""
    with (folder / "measures.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    load_seed(empty_session, folder)

    tolerances = {slug: (on, risk) for slug, on, risk in empty_session.execute(
        select(Measure.slug, Measure.on_track_tolerance, Measure.at_risk_tolerance))}
    assert tolerances[strict] == (0.0, 0.0)
    assert tolerances[default] == (0.05, 0.15)
