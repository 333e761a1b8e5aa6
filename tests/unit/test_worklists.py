"""models/worklists.py: what each person may enter, stored values, the approvals queue and the dashboard ordering."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import clock
from models.catalog import Measure
from models.measurements import Measurement
from models.org import Department, User
from models.progress import add_months, judging_day, month_start
from models.queries import overview
from models.services import (
    Actor,
    approve_value,
    correct_value,
    return_value,
    submit_value,
)
from models.worklists import (
    FILTER_AWAITING,
    FILTER_LATE,
    FILTER_UNPUBLISHED,
    approval_queue,
    concern,
    enterable_measures,
    filter_measures,
    measure_for_entry,
    stored_value,
    worst_first,
)

TODAY = date(2026, 11, 28)  # the seed data runs to October 2026


def actor(session, email: str) -> Actor:
    """The write-service actor of a seeded test user."""
    return Actor.of(session.scalar(select(User).where(User.email == email)))


def department_measure_ids(session, slug: str) -> set[int]:
    """Ids of the measures a department owns, read straight from the table."""
    return set(session.scalars(
        select(Measure.id).join(Department, Department.id == Measure.owner_department_id).where(Department.slug == slug)
    ))


def measure_id(session, slug: str) -> int:
    """The id of a measure by slug."""
    return session.scalar(select(Measure.id).where(Measure.slug == slug))


@pytest.fixture
def editor(session) -> Actor:
    """The Office of Community Development editor."""
    return actor(session, "ocd.editor@example.org")


@pytest.fixture
def admin(session) -> Actor:
    """The performance team admin."""
    return actor(session, "admin@example.org")


# --- what a person may enter -------------------------------------------------------------------------------------


def test_editor_sees_only_their_departments_measures(session, editor):
    """An editor is offered exactly the measures their department owns."""
    measures = enterable_measures(session, editor)
    ocd = department_measure_ids(session, "ocd")
    assert ocd, "the seed gives the Office of Community Development measures"
    assert {m.id for m in measures} == ocd
    assert {m.department_name for m in measures} == {"Office of Community Development"}


def test_state_editor_sees_only_the_state_agencys_measures(session):
    """A state partner's editor sees the state agency's measures and none of the City-Parish's."""
    measures = enterable_measures(session, actor(session, "state.editor@example.org"))
    assert {m.id for m in measures} == department_measure_ids(session, "la-ocd-dru")
    assert not {m.id for m in measures} & department_measure_ids(session, "ocd")


def test_admin_sees_every_measure_in_display_order(session, admin):
    """The performance team may enter every measure, each listed once."""
    measures = enterable_measures(session, admin)
    assert len(measures) == session.scalar(select(func.count()).select_from(Measure))
    assert len({m.id for m in measures}) == len(measures)


@pytest.mark.parametrize("who", ["viewer", "anonymous"])
def test_viewers_and_strangers_may_enter_nothing(session, who):
    """The mayor's office and anonymous visitors are offered nothing to enter."""
    person = actor(session, "mayor@example.org") if who == "viewer" else None
    assert enterable_measures(session, person) == []
    assert measure_for_entry(session, person, measure_id(session, "ocd-rental-units-repaired")) is None


def test_measure_for_entry_checks_the_department(session, editor, admin):
    """One measure is found for its own department's editor and for admins only."""
    own, other = measure_id(session, "ocd-rental-units-repaired"), measure_id(session, "rla-homeowners-awarded-ebr")
    found = measure_for_entry(session, editor, own)
    assert found is not None and found.slug == "ocd-rental-units-repaired"
    assert found.unit == "count" and found.valid_max == 2000 and found.definition
    assert measure_for_entry(session, editor, other) is None
    assert measure_for_entry(session, admin, other).slug == "rla-homeowners-awarded-ebr"
    assert measure_for_entry(session, admin, 999_999) is None


# --- stored values ------------------------------------------------------------------------------------------------


def test_stored_value_for_a_measure_and_month(session):
    """The stored value of a measure and month matches the row, found by any day of the month."""
    rental = measure_id(session, "ocd-rental-units-repaired")
    stored = stored_value(session, rental, date(2026, 10, 1))
    row = session.scalar(select(Measurement).where(Measurement.measure_id == rental,
                                                   Measurement.period == date(2026, 10, 1)))
    assert stored is not None
    assert (stored.id, stored.value, stored.state, stored.version) == (row.id, row.value, row.state, row.version)
    assert stored_value(session, rental, date(2026, 10, 17)) == stored, "any day of the month finds the month"
    assert stored_value(session, rental, date(2030, 1, 1)) is None


def test_stored_value_names_who_entered_and_reviewed(session, editor, admin):
    """A returned value names who entered it, who reviewed it and why it came back."""
    rental = measure_id(session, "ocd-rental-units-repaired")
    period = month_start(clock.today())
    assert stored_value(session, rental, period) is None
    entered = submit_value(session, editor, measure_id=rental, period=period, value="1,000")
    session.flush()
    returned = return_value(session, admin, measurement_id=entered.id, expected_version=entered.version,
                            reason="This is the yearly total, not the running count.")
    session.commit()
    stored = stored_value(session, rental, period)
    assert (stored.value, stored.state, stored.version) == (1000, "returned", returned.version)
    names = dict(session.execute(select(User.id, User.display_name)).all())
    assert (stored.entered_by, stored.reviewed_by) == (names[editor.id], names[admin.id])
    assert stored.review_note.startswith("This is the yearly total")


# --- approvals queue ----------------------------------------------------------------------------------------------


def test_queue_lists_submitted_values_only(session):
    """The approvals queue holds every submitted value and nothing approved or returned."""
    queue = approval_queue(session)
    submitted = set(session.scalars(select(Measurement.id).where(Measurement.state == "submitted")))
    assert submitted, "the seed has values awaiting approval"
    assert {item.id for item in queue} == submitted
    returned = set(session.scalars(select(Measurement.id).where(Measurement.state == "returned")))
    assert returned and not returned & {item.id for item in queue}


def test_queue_shows_the_previous_month_and_the_change(session):
    """Each queued value carries the previous month's value and the change."""
    rental = measure_id(session, "ocd-rental-units-repaired")
    item = next(i for i in approval_queue(session) if i.measure_id == rental)
    before = session.scalar(select(Measurement.value).where(Measurement.measure_id == rental,
                                                            Measurement.period == add_months(item.period, -1)))
    assert item.previous_period == add_months(item.period, -1)
    assert item.previous_value == before
    assert item.change == pytest.approx(item.value - before)


def test_queue_drops_approved_values_and_shows_correction_reasons(session, editor, admin):
    """Approved values leave the queue; a correction shows its reason and old value."""
    queue = approval_queue(session)
    first = queue[0]
    approve_value(session, admin, measurement_id=first.id, expected_version=first.version)
    session.commit()
    assert first.id not in {i.id for i in approval_queue(session)}

    rental = measure_id(session, "ocd-rental-units-repaired")
    period = month_start(clock.today())
    entered = submit_value(session, editor, measure_id=rental, period=period, value=500)
    session.flush()
    correct_value(session, editor, measurement_id=entered.id, expected_version=entered.version, value=505,
                  reason="Five more units passed inspection.")
    session.commit()
    item = next(i for i in approval_queue(session) if i.id == entered.id)
    assert item.value == 505 and item.corrected_from == 500
    assert item.correction_reason == "Five more units passed inspection."
    assert item.previous_value is None or item.previous_period == add_months(period, -1)


# --- dashboard ordering and filters -------------------------------------------------------------------------------


def test_worst_first_orders_by_concern(session):
    """The dashboard order starts with off-track measures and never ranks better before worse."""
    measures = overview(session, today=TODAY).measures
    ordered = worst_first(measures)
    assert sorted(m.slug for m in ordered) == sorted(m.slug for m in measures)
    ranks = [concern(m) for m in ordered]
    assert ranks == sorted(ranks)
    assert ordered[0].status == "off_track"
    assert ordered[-1].status in ("achieved", "on_track")


def test_concern_ranks_late_figures_after_at_risk_and_before_good_news(session):
    """Off track, at risk, overdue, due, no data, on track: in that order."""
    sample = overview(session, today=TODAY).measures[0]
    at_risk = sample._replace(status="at_risk", freshness="current")
    overdue = sample._replace(status="on_track", freshness="overdue")
    due = sample._replace(status="achieved", freshness="due")
    no_data = sample._replace(status="no_data", freshness="current")
    on_track = sample._replace(status="on_track", freshness="current")
    off_track = sample._replace(status="off_track", freshness="overdue")
    shuffled = [on_track, due, no_data, overdue, off_track, at_risk]
    assert worst_first(shuffled) == [off_track, at_risk, overdue, due, no_data, on_track]


def test_filters_by_goal_status_and_worklist(session):
    """Goal, status and worklist filters keep only the matching measures."""
    measures = overview(session, today=TODAY).measures
    goal = measures[0].goal_slug
    assert {m.goal_slug for m in filter_measures(measures, goal=goal)} == {goal}
    assert filter_measures(measures, goal="all", status="all") == list(measures)
    assert all(m.status == "off_track" for m in filter_measures(measures, status="off_track"))
    awaiting = filter_measures(measures, status=FILTER_AWAITING)
    assert awaiting and all(m.latest_state == "submitted" for m in awaiting)
    unpublished = filter_measures(measures, status=FILTER_UNPUBLISHED)
    assert unpublished and not any(m.published for m in unpublished)
    assert all(m.freshness in ("due", "overdue") for m in filter_measures(measures, status=FILTER_LATE))


def test_judging_day_looks_back_from_the_month_after():
    """Past months are judged at the end of the month after; the latest month today."""
    assert judging_day(None, TODAY) == TODAY
    assert judging_day(date(2026, 10, 1), TODAY) == TODAY
    assert judging_day(date(2025, 6, 1), TODAY) == date(2025, 7, 31)
    assert judging_day(date(2025, 12, 1), TODAY) == date(2026, 1, 31)
