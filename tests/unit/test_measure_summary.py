"""The kept evaluations (models.summary): used only while nothing they depend on has changed, equal to evaluating.

overview() keeps each measure's evaluation per audience and month, tagged with the measure's change stamp (bumped by
database triggers on every write to its figures, plan or milestones) and the day it was judged on.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, insert, select, text, update

from conftest import statements_sent
from models import queries
from models.catalog import Measure, Milestone
from models.measurements import Measurement
from models.progress import add_months
from models.summary import INTERNAL, MeasureStamp, MeasureSummary

TODAY = date(2026, 11, 28)
SLUG = "hsep-flood-insurance-share"
AUDIENCES = ({}, {"published_only": True, "approved_only": True})


def _find(data, slug):
    return next(m for m in data.measures if m.slug == slug)


def _measure(session, slug):
    return session.scalar(select(Measure).where(Measure.slug == slug))


def _stamp(session, measure_id) -> int:
    return session.scalar(select(MeasureStamp.stamp).where(MeasureStamp.measure_id == measure_id)) or 0


def _cold(session, **switches):
    """The overview evaluated from the figures alone: every kept evaluation removed first."""
    session.execute(delete(MeasureSummary))
    return queries.overview(session, **switches)


def _figure_reads(session, **switches) -> tuple[object, list[str]]:
    """overview(**switches) and the statements it ran that read the measurement table."""
    with statements_sent(session.get_bind()) as statements:
        view = queries.overview(session, **switches)
    return view, [s for s in statements if re.search(r"\b(FROM|JOIN)\s+measurement\b(?!_)", s, re.I)]


def test_changing_a_target_or_goal_is_seen_at_once(session):
    """Editing a measure's target or its goal's title changes what overview() returns on the next call."""
    first = _find(queries.overview(session, today=TODAY), SLUG)
    again, reads = _figure_reads(session, today=TODAY)
    assert _find(again, SLUG) == first and reads == []  # unchanged: the kept evaluation, no figures read

    measure = _measure(session, SLUG)
    measure.target_value = 18.0
    measure.goal.title = "Be ready for the next flood, together"
    session.commit()

    changed = _find(queries.overview(session, today=TODAY), SLUG)
    assert changed.target_value == 18.0 and changed.goal_title.endswith("together")
    assert changed.status != first.status and "18.0%" in changed.reason


def test_a_new_day_re_evaluates_freshness(session):
    """The same data judged on a later day can become overdue: the judging day is part of what is kept."""
    on_time = _find(queries.overview(session, today=date(2026, 11, 10), as_of=date(2026, 10, 1)), "blight-open-flood-cases")
    later = _find(queries.overview(session, today=date(2026, 12, 20), as_of=date(2026, 10, 1)), "blight-open-flood-cases")
    assert later.freshness == "overdue" and on_time.freshness != "overdue"
    back = _find(queries.overview(session, today=date(2026, 11, 10), as_of=date(2026, 10, 1)), "blight-open-flood-cases")
    assert back == on_time


def test_every_kind_of_write_bumps_the_stamp_in_the_database(session):
    """Writes that bypass the services (plain SQL) still reach the triggers: figures, milestones, the measure row."""
    measure = _measure(session, SLUG)
    before = _stamp(session, measure.id)
    latest = session.scalar(select(Measurement).where(Measurement.measure_id == measure.id)
                            .order_by(Measurement.period.desc()).limit(1))
    steps = [
        update(Measurement).where(Measurement.id == latest.id).values(value=latest.value + 1, version=latest.version + 1),
        insert(Measurement).values(measure_id=measure.id, period=add_months(latest.period, 1), value=1.0,
                                   state="submitted", version=1),
        delete(Measurement).where(Measurement.measure_id == measure.id, Measurement.period == add_months(latest.period, 1)),
        insert(Milestone).values(measure_id=measure.id, period=date(2030, 1, 1), target_value=1.0, citation="test"),
        update(Milestone).where(Milestone.measure_id == measure.id, Milestone.period == date(2030, 1, 1))
        .values(target_value=2.0),
        delete(Milestone).where(Milestone.measure_id == measure.id, Milestone.period == date(2030, 1, 1)),
        update(Measure).where(Measure.id == measure.id).values(due_day=20),
    ]
    seen = before
    for statement in steps:
        session.execute(statement)
        assert _stamp(session, measure.id) > seen, statement
        seen = _stamp(session, measure.id)
    session.rollback()
    assert _stamp(session, measure.id) == before  # rolled back with the write


def test_a_figure_written_with_plain_sql_is_seen_at_once(session):
    """A kept evaluation is not used once the measure's figures changed, however they were written."""
    measure = _measure(session, "hsep-flood-insurance-share")
    shown = _find(queries.overview(session, today=TODAY), SLUG)
    row = session.scalar(select(Measurement).where(Measurement.measure_id == measure.id,
                                                   Measurement.period == shown.latest_period))
    session.execute(text("UPDATE measurement SET value = value + 5 WHERE id = :id"), {"id": row.id})
    session.commit()
    now = _find(queries.overview(session, today=TODAY), SLUG)
    assert now.latest_value == pytest.approx(shown.latest_value + 5)
    assert now == _find(_cold(session, today=TODAY), SLUG)


def test_an_evaluation_kept_under_an_older_stamp_or_another_day_is_never_used(session):
    """A reader that stored its evaluation after a writer committed (the race the stamp exists for) misleads no one."""
    view = queries.overview(session, today=TODAY)
    measure_id = _find(view, SLUG).measure_id
    current = _stamp(session, measure_id)
    where = (MeasureSummary.measure_id == measure_id, MeasureSummary.audience == INTERNAL,
             MeasureSummary.as_of == view.as_of)
    for stamp, judged_on in ((current - 1, TODAY), (current, date(2026, 11, 27))):
        session.execute(update(MeasureSummary).where(*where).values(
            stamp=stamp, judged_on=judged_on, latest_value=-1.0, status="achieved", reason="stale"))
        session.commit()
        again = _find(queries.overview(session, today=TODAY), SLUG)
        assert again.latest_value != -1.0 and again.reason != "stale"
        assert again == _find(view, SLUG)
        # and the reader stored the right one in its place
        assert session.scalar(select(MeasureSummary.reason).where(*where)) == again.reason


def test_an_older_evaluation_never_replaces_a_newer_one(session):
    """Of two readers storing the same measure, the one that read the older stamp does not overwrite the other."""
    view = queries.overview(session, today=TODAY)
    measure_id = _find(view, SLUG).measure_id
    where = (MeasureSummary.measure_id == measure_id, MeasureSummary.audience == INTERNAL,
             MeasureSummary.as_of == view.as_of)
    stored = session.scalar(select(MeasureSummary.stamp).where(*where))
    session.execute(update(MeasureSummary).where(*where).values(stamp=stored + 10))
    session.commit()
    row = session.execute(queries._measure_select(False).where(Measure.id == measure_id)).one()
    stale_row = (*row, stored)  # as read by a slower reader, before the newer evaluation was kept
    fresh = queries._evaluate(session.connection(), [stale_row], view.as_of, TODAY, False, queries.HISTORY_MONTHS)
    queries._store_summaries(session, [stale_row], fresh, INTERNAL, view.as_of, TODAY)
    session.commit()
    assert session.scalar(select(MeasureSummary.stamp).where(*where)) == stored + 10


@pytest.mark.parametrize("as_of", [None, date(2026, 6, 1), date(2022, 1, 1), date(2019, 6, 1)])
def test_kept_evaluations_equal_evaluating_everything_on_the_seed(session, as_of):
    """Seed data, both audiences, several months: kept, partly kept (after writes) and cold views are equal."""
    for switches in AUDIENCES:
        options = {"today": TODAY, "as_of": as_of, **switches}
        cold = _cold(session, **options)
        kept, reads = _figure_reads(session, **options)
        assert kept == cold and reads == []
    # Write to a few measures, then views that mix kept and fresh evaluations equal cold ones.
    for measure in session.scalars(select(Measure).order_by(Measure.id).limit(3)):
        latest = session.scalar(select(Measurement).where(Measurement.measure_id == measure.id)
                                .order_by(Measurement.period.desc()).limit(1))
        if latest is not None:
            latest.value = latest.value * 1.5 + 1
            latest.approved_value = latest.value
            latest.state = "approved"
    session.commit()
    for switches in AUDIENCES:
        options = {"today": TODAY, "as_of": as_of, **switches}
        mixed = queries.overview(session, **options)
        assert mixed == _cold(session, **options)


def test_kept_evaluations_equal_evaluating_everything_on_synthetic_data(empty_session):
    """A synthetic program (60 measures x 48 months, milestones, every review state), both audiences, 4 months."""
    import benchmark

    data = benchmark.generate(60, 48, seed=7, today=TODAY)
    benchmark.load(empty_session.get_bind(), data)
    for as_of in (None, add_months(date(2026, 10, 1), -1), date(2025, 3, 1), date(2024, 1, 1)):
        for switches in AUDIENCES:
            options = {"today": TODAY, "as_of": as_of, **switches}
            cold = _cold(empty_session, **options)
            assert len(cold.measures) > 20
            kept, reads = _figure_reads(empty_session, **options)
            assert kept == cold and reads == []
            assert {m.status for m in cold.measures} - {"no_data"}, (as_of, switches)


def test_an_evaluation_is_the_tail_of_a_measure_status_and_a_summary_row():
    """overview() builds a MeasureStatus from the measure's columns followed by its evaluation, in field order."""
    fields = queries._EVALUATED_FIELDS
    assert queries.MeasureStatus._fields[-len(fields):] == fields
    assert [c.name for c in queries._SUMMARY_COLUMNS] == ["stamp", "judged_on", *fields]
