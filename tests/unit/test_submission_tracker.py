"""The submission tracker query: complete / partial / missing / late per department and month, on both backends."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select, update

from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.stat import departments_not_submitted
from models.submissions import SubmissionCell, submission_cells, submission_tracker, tracker_months

NOVEMBER = date(2026, 11, 1)  # the seed has no figures for it; due on December 10 below
DUE_DAY = 10


def measures_of(session, department: str) -> list[Measure]:
    """The department's measures, by slug."""
    return list(session.scalars(select(Measure).join(Department, Department.id == Measure.owner_department_id)
                                .where(Department.slug == department).order_by(Measure.slug)))


def put(session, measure: Measure, period: date, at: datetime, *, state: str = "submitted",
        by: str = "admin@example.org") -> Measurement:
    """Store a figure first entered at `at` (its first revision, made by a person, carries the time)."""
    user_id = session.scalar(select(User.id).where(User.email == by))
    last = session.scalar(select(Measurement.value).where(Measurement.measure_id == measure.id)
                          .order_by(Measurement.period.desc())) or 0.0
    row = Measurement(measure_id=measure.id, period=period, value=last, state=state, entered_by_id=user_id,
                      entered_at=at, approved_value=last if state == "approved" else None)
    session.add(row)
    session.flush()
    session.add(Revision(measurement_id=row.id, action="enter", old_value=None, new_value=last, old_state=None,
                         new_state="submitted", user_id=user_id, created_at=at))
    session.flush()
    return row


@pytest.fixture
def ocd(session) -> list[Measure]:
    """The Office of Community Development's measures, all due on the 10th of the following month."""
    measures = measures_of(session, "ocd")
    assert len(measures) >= 2, "the seed gives OCD several measures"
    session.execute(update(Measure).where(Measure.id.in_([m.id for m in measures])).values(due_day=DUE_DAY))
    session.flush()
    return measures


def cell(session, today: date, department: str = "ocd", **audience) -> SubmissionCell:
    """The department's November cell as judged on `today`."""
    return submission_cells(session, [NOVEMBER], today, **audience)[department][NOVEMBER]


def test_nothing_in_is_missing_through_the_due_day_and_late_the_day_after(session, ocd):
    on_due_day = cell(session, date(2026, 12, DUE_DAY))
    assert (on_due_day.state, on_due_day.label, on_due_day.submitted, on_due_day.expected) == (
        "missing", "Missing", 0, len(ocd))
    assert on_due_day.due == date(2026, 12, DUE_DAY)
    day_after = cell(session, date(2026, 12, DUE_DAY + 1))
    assert (day_after.state, day_after.label, day_after.late) == ("late", f"Late 0/{len(ocd)}", len(ocd))


def test_figures_in_on_the_due_day_are_partial_then_complete_and_stay_on_time(session, ocd):
    put(session, ocd[0], NOVEMBER, datetime(2026, 12, DUE_DAY, 23, 59, tzinfo=UTC))
    partial = cell(session, date(2026, 12, DUE_DAY))
    assert (partial.state, partial.label) == ("partial", f"Partial 1/{len(ocd)}")
    # The rest still out the day after: late, and the count says how many came in.
    assert cell(session, date(2026, 12, DUE_DAY + 1)).label == f"Late 1/{len(ocd)}"
    for measure in ocd[1:]:
        put(session, measure, NOVEMBER, datetime(2026, 12, 1, 9, tzinfo=UTC))
    for today in (date(2026, 12, DUE_DAY), date(2027, 3, 1)):
        done = cell(session, today)
        assert (done.state, done.label, done.late, done.missing) == ("complete", "Complete", 0, 0)


def test_a_figure_that_came_in_after_the_due_day_makes_the_month_late_even_when_complete(session, ocd):
    for measure in ocd[:-1]:
        put(session, measure, NOVEMBER, datetime(2026, 12, 2, tzinfo=UTC))
    put(session, ocd[-1], NOVEMBER, datetime(2026, 12, DUE_DAY + 1, 0, 5, tzinfo=UTC))
    late = cell(session, date(2026, 12, 20))
    assert (late.state, late.submitted, late.missing, late.late) == ("late", len(ocd), 0, 1)
    assert late.label == f"Late {len(ocd)}/{len(ocd)}"


def test_correcting_a_figure_after_the_due_day_does_not_make_its_month_late(session, ocd):
    for measure in ocd:
        put(session, measure, NOVEMBER, datetime(2026, 12, 3, tzinfo=UTC))
    first = session.scalar(select(Measurement).where(Measurement.measure_id == ocd[0].id,
                                                     Measurement.period == NOVEMBER))
    user_id = session.scalar(select(User.id).where(User.email == "admin@example.org"))
    session.add(Revision(measurement_id=first.id, action="correct", old_value=first.value, new_value=first.value,
                         old_state="submitted", new_state="submitted", reason="Recounted", user_id=user_id,
                         created_at=datetime(2027, 1, 20, tzinfo=UTC)))
    session.flush()
    assert cell(session, date(2027, 2, 1)).state == "complete"
    # A seeded figure (no person's entry) corrected by a person long after its month is still on time.
    seeded = session.scalar(select(Measurement).where(Measurement.measure_id == ocd[0].id,
                                                      Measurement.period == date(2026, 9, 1)))
    session.add(Revision(measurement_id=seeded.id, action="correct", old_value=seeded.value, new_value=seeded.value,
                         old_state=seeded.state, new_state="submitted", reason="Restated", user_id=user_id,
                         created_at=datetime(2026, 11, 19, tzinfo=UTC)))
    session.flush()
    september = submission_cells(session, [date(2026, 9, 1)], date(2026, 11, 20))["ocd"][date(2026, 9, 1)]
    assert september.late == 0


def test_the_public_audience_counts_approved_figures_only_and_returned_ones_count_for_nobody(session, ocd):
    put(session, ocd[0], NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC))
    put(session, ocd[1], NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC), state="returned")
    assert cell(session, date(2026, 12, 5)).submitted == 1
    assert cell(session, date(2026, 12, 5), approved_only=True).submitted == 0


def test_the_tracker_covers_the_last_twelve_complete_months_every_department_and_its_contacts(session):
    tracker = submission_tracker(session, date(2026, 11, 20))
    assert tracker.months == tracker_months(date(2026, 11, 20))
    assert tracker.months[0] == date(2025, 11, 1) and tracker.months[-1] == date(2026, 10, 1)
    assert len(tracker.months) == 12
    owners = set(session.scalars(select(Department.slug).join(Measure, Measure.owner_department_id == Department.id)))
    assert {d.slug for d in tracker.departments} == owners
    assert [d.name for d in tracker.departments] == sorted(d.name for d in tracker.departments)
    ocd = next(d for d in tracker.departments if d.slug == "ocd")
    assert ocd.contact_email == "recovery-ocd@example.org"
    assert [e.email for e in ocd.editors] == ["ocd.editor@example.org"]
    assert all(len(d.cells) == 12 for d in tracker.departments)
    # Seeded figures carry no person's submission time: a month with every figure in counts as complete.
    full = [c for d in tracker.departments for c in d.cells if c is not None and c.missing == 0]
    assert full and {c.state for c in full} == {"complete"}


def test_who_has_not_submitted_is_the_tracker_query_for_one_month(session, ocd):
    # Before the due day nobody is late yet, though every department is missing November's figures.
    early = departments_not_submitted(session, NOVEMBER, today=date(2026, 12, 1))
    assert "ocd" in {d.slug for d in early} and not any(d.late for d in early)
    put(session, ocd[0], NOVEMBER, datetime(2026, 12, 12, tzinfo=UTC))
    today = date(2026, 12, 20)
    tracker = submission_tracker(session, today)
    assert tracker.months[-1] == NOVEMBER
    expected = {d.slug: (c.missing, c.expected, c.state == "late") for d in tracker.departments
                if (c := d.cell(NOVEMBER)) is not None and c.missing}
    found = departments_not_submitted(session, NOVEMBER, today=today)
    assert {d.slug: (d.missing, d.measures, d.late) for d in found} == expected
    assert expected["ocd"] == (len(ocd) - 1, len(ocd), True)
    assert [d.missing for d in found] == sorted((d.missing for d in found), reverse=True)
    assert {d.slug for d in tracker.late_in(NOVEMBER)} >= {"ocd"}


def test_the_tracker_takes_the_same_few_queries_however_many_departments_and_months(session):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        submission_tracker(session, date(2026, 11, 20), months=3)
        few = len(statements)
        statements.clear()
        tracker = submission_tracker(session, date(2026, 11, 20), months=24)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(tracker.departments) > 5 and len(tracker.months) == 24
    assert len(statements) == few <= 3  # the grid, the departments, their editors


def test_the_last_month_of_the_calendar_has_nothing_due(session):
    december_9999 = date(9999, 12, 1)
    assert submission_cells(session, [december_9999], date(2026, 11, 20)) == {}
    assert departments_not_submitted(session, december_9999, today=date(2026, 11, 20)) == []
