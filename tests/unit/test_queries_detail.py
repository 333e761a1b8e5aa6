"""The goal and measure pages' read path (measure_detail, goal_detail) on the seeded data set, both backends.

The public variant must never show an unpublished measure, a measure under an unpublished goal, or a figure that is
not approved; its status must be the overview's; corrections appear only after a published figure changed.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event, select, text

from conftest import TEST_USERS
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.org import User
from models.queries import GoalDetail, MeasureDetail, goal_detail, measure_detail, overview
from models.services import Actor, approve_value, correct_value, submit_value

TODAY = date(2026, 11, 20)
AS_OF = date(2026, 10, 1)
PUBLIC = {"published_only": True, "approved_only": True}
INTERNAL = {"published_only": False, "approved_only": False}


def admin(session) -> Actor:
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))


def test_public_detail_matches_the_overview_and_holds_approved_values_only(session):
    public_view = overview(session, today=TODAY, **PUBLIC)
    assert public_view.measures
    for status in public_view.measures:
        detail = measure_detail(session, status.slug, today=TODAY, **PUBLIC)
        assert isinstance(detail, MeasureDetail)
        assert detail.status == status, status.slug  # the same evaluation as the overview
        stored = session.execute(
            select(Measurement.period, Measurement.value).join(Measure, Measure.id == Measurement.measure_id)
            .where(Measure.slug == status.slug, Measurement.state == "approved", Measurement.period <= AS_OF)
            .order_by(Measurement.period)
        ).all()
        assert [(p.period, p.value) for p in detail.values] == [tuple(row) for row in stored]
        assert {p.state for p in detail.values} <= {"approved"}


def test_internal_detail_matches_the_internal_overview_and_marks_submitted_values(session):
    internal_view = overview(session, today=TODAY)
    states = set()
    for status in internal_view.measures:
        detail = measure_detail(session, status.slug, today=TODAY, **INTERNAL)
        assert detail is not None and detail.status == status, status.slug
        states |= {p.state for p in detail.values}
    assert states == {"approved", "submitted"}  # returned values count for no one


def test_public_never_sees_unknown_unpublished_or_hidden_goal_measures(session):
    assert measure_detail(session, "no-such-measure", today=TODAY, **PUBLIC) is None
    assert measure_detail(session, "no-such-measure", today=TODAY, **INTERNAL) is None
    unpublished = session.scalar(select(Measure).join(Goal).where(Measure.published.is_(False),
                                                                   Goal.published.is_(True)))
    assert unpublished is not None, "the seed needs an unpublished measure under a published goal"
    assert measure_detail(session, unpublished.slug, today=TODAY, **PUBLIC) is None
    assert measure_detail(session, unpublished.slug, today=TODAY, **INTERNAL) is not None

    # A published measure under an unpublished goal stays hidden: the goal's flag wins.
    hidden_goal = session.scalar(select(Goal).where(Goal.published.is_(False)))
    measure = session.scalar(select(Measure).where(Measure.goal_id == hidden_goal.id))
    measure.published = True
    session.flush()
    assert measure_detail(session, measure.slug, today=TODAY, **PUBLIC) is None
    assert goal_detail(session, hidden_goal.slug, today=TODAY, **PUBLIC) is None
    internal_goal = goal_detail(session, hidden_goal.slug, today=TODAY, **INTERNAL)
    assert internal_goal is not None and measure.slug in {d.slug for d in internal_goal.measures}


def test_goal_detail_holds_the_goal_and_its_visible_measures_in_order(session):
    overview_goal = next(g for g in overview(session, today=TODAY, **PUBLIC).goals if len(g.measures) > 1)
    detail = goal_detail(session, overview_goal.slug, today=TODAY, **PUBLIC)
    assert isinstance(detail, GoalDetail)
    assert (detail.title, detail.summary, detail.department_name) == (
        overview_goal.title, overview_goal.summary, overview_goal.department_name)
    assert [d.status for d in detail.measures] == list(overview_goal.measures)
    assert detail.status_counts == overview_goal.status_counts
    assert goal_detail(session, "no-such-goal", today=TODAY, **PUBLIC) is None


def test_milestones_annotations_forecast_and_next_due(session):
    detail = measure_detail(session, "rla-award-dollars-statewide", today=TODAY, **PUBLIC)
    assert detail.spec.trajectory == "milestones" and len(detail.milestones) == 3
    assert detail.milestones == detail.spec.milestones
    texts = [a.text for a in detail.annotations]
    # Scoped to its goal (recovery dollars) with no measure, or to this measure; in date order; never another goal's.
    assert any("HUD allocates the first $437.8M" in t for t in texts)
    assert not any("Restore Louisiana survey closes" in t for t in texts)  # another goal's event
    assert [a.event_date for a in detail.annotations] == sorted(a.event_date for a in detail.annotations)
    assert all(a.citation for a in detail.annotations)
    assert detail.forecast is not None and detail.forecast.text == "The target has already been met."
    assert (detail.next_period, detail.next_due) == (date(2026, 11, 1), date(2026, 12, 15))
    assert not detail.next_is_late


def test_corrections_of_published_values_reach_the_public_once_approved(session):
    detail = measure_detail(session, "rla-homeowners-awarded-ebr", today=TODAY, **PUBLIC)
    assert detail.corrections == ()
    september = session.scalar(select(Measurement).join(Measure).where(
        Measure.slug == "rla-homeowners-awarded-ebr", Measurement.period == date(2026, 9, 1)))
    old_value = september.value
    actor = admin(session)
    correct_value(session, actor, measurement_id=september.id, expected_version=september.version,
                  value=old_value + 100, reason="Duplicate awards were counted twice.")
    session.flush()
    # Staff see the correction at once; the public does not until the new value is approved.
    internal = measure_detail(session, "rla-homeowners-awarded-ebr", today=TODAY, **INTERNAL)
    assert [(c.period, c.old_value, c.new_value, c.reason) for c in internal.corrections] == [
        (date(2026, 9, 1), old_value, old_value + 100, "Duplicate awards were counted twice.")]
    assert measure_detail(session, "rla-homeowners-awarded-ebr", today=TODAY, **PUBLIC).corrections == ()

    correct_value(session, actor, measurement_id=september.id, expected_version=september.version,
                  value=old_value + 50, reason="Half of the duplicates were real awards.")
    # Another member of the performance team approves it (nobody approves their own correction).
    reviewer = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["reviewer"][0])))
    approve_value(session, reviewer, measurement_id=september.id, expected_version=september.version)
    session.flush()
    public = measure_detail(session, "rla-homeowners-awarded-ebr", today=TODAY, **PUBLIC)
    # From the figure the public had seen to the one it sees now, with the reason for the final change.
    assert [(c.period, c.old_value, c.new_value, c.reason) for c in public.corrections] == [
        (date(2026, 9, 1), old_value, old_value + 50, "Half of the duplicates were real awards.")]
    assert public.corrections[0].corrected_on is not None
    assert len(measure_detail(session, "rla-homeowners-awarded-ebr", today=TODAY, **INTERNAL).corrections) == 2


def test_correcting_a_never_published_value_is_not_a_correction(session):
    measure = session.scalar(select(Measure).where(Measure.slug == "hsep-alert-subscribers"))
    actor = admin(session)
    # A new month entered then fixed before anyone approved it: nothing published has changed.
    new = submit_value(session, actor, measure_id=measure.id, period=date(2026, 11, 1), value=100000,
                       today=date(2026, 12, 20))
    session.flush()
    correct_value(session, actor, measurement_id=new.id, expected_version=new.version, value=100100,
                  reason="Typo in the first entry.")
    session.flush()
    assert measure_detail(session, "hsep-alert-subscribers", today=TODAY, **INTERNAL).corrections == ()


def test_a_measure_detail_is_a_few_statements_with_one_series_query(session):
    session.execute(text("SELECT 1"))
    engine = session.get_bind()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        goal = goal_detail(session, "bring-families-home", today=TODAY, **PUBLIC)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert goal is not None and len(goal.measures) > 3
    # However many measures and months: goal, measures, goals, departments, milestones, values, events, revisions,
    # plan changes.
    assert len(statements) <= 9, statements
    series = [s for s in statements if re.search(r"\bFROM measurement\b(?!_)", s, re.I)]
    assert len(series) == 1 and re.search(r"\bIN\b", series[0]), series


def test_goal_detail_status_is_the_overview_goal_status(session):
    for overview_goal in overview(session, today=TODAY, **PUBLIC).goals:
        detail = goal_detail(session, overview_goal.slug, today=TODAY, **PUBLIC)
        assert detail.status == overview_goal.status, overview_goal.slug
