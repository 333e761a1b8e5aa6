"""The monthly Stat reads and follow-up services (models/stat.py), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from conftest import TEST_USERS
from models.audit import AuditEvent, current_data_version
from models.base import utcnow
from models.catalog import Measure
from models.errors import PermissionDenied, ValidationError
from models.followups import FollowUp
from models.measurements import Measurement
from models.org import Department, User
from models.progress import add_months, month_start
from models.queries import overview
from models.services import Actor, correct_value, submit_value
from models.stat import (
    corrections_made,
    create_follow_up,
    departments_not_submitted,
    follow_ups,
    mark_follow_up_done,
    needs_attention,
    new_values,
    status_moves,
)

LAST_SEEDED_MONTH = date(2026, 10, 1)
UNSEEDED_MONTH = date(2026, 11, 1)


def actor(session, who: str) -> Actor:
    """The Actor of one of the TEST_USERS."""
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS[who][0])))


def test_new_values_staff_see_every_figure_the_public_only_approved_ones_of_published_measures(session):
    staff = new_values(session, LAST_SEEDED_MONTH)
    public = new_values(session, LAST_SEEDED_MONTH, published_only=True, approved_only=True)
    stored = session.scalar(select(func.count()).select_from(Measurement)
                            .where(Measurement.period == LAST_SEEDED_MONTH, Measurement.state != "returned"))
    assert len(staff) == stored > 0
    assert any(v.state == "submitted" for v in staff), "the seed has figures awaiting approval"
    assert {v.state for v in public} == {"approved"}
    assert len(public) < len(staff)
    unpublished = set(session.scalars(select(Measure.slug).where(Measure.published.is_(False))))
    assert not unpublished & {v.slug for v in public}


def test_departments_not_submitted_counts_missing_figures_and_drops_as_they_arrive(session):
    before = {d.slug: d for d in departments_not_submitted(session, UNSEEDED_MONTH)}
    owned = dict(session.execute(select(Department.slug, func.count(Measure.id))
                                 .join(Measure, Measure.owner_department_id == Department.id)
                                 .group_by(Department.slug)).all())
    assert {slug: d.missing for slug, d in before.items()} == owned  # nothing is in for a month not yet reported
    measure = session.scalar(select(Measure).join(Department, Department.id == Measure.owner_department_id)
                             .where(Department.slug == "ocd").order_by(Measure.slug))
    last = session.scalar(select(Measurement.value).where(Measurement.measure_id == measure.id)
                          .order_by(Measurement.period.desc()))
    submit_value(session, actor(session, "admin"), measure_id=measure.id, period=UNSEEDED_MONTH, value=last,
                 today=date(2026, 11, 20), confirm_drop=True, note="test figure")
    after = {d.slug: d for d in departments_not_submitted(session, UNSEEDED_MONTH)}
    assert after.get("ocd") is None or after["ocd"].missing == before["ocd"].missing - 1
    # The public counts only approved figures: a submitted one does not count as in.
    public = {d.slug: d.missing for d in departments_not_submitted(session, UNSEEDED_MONTH, approved_only=True)}
    assert public["ocd"] == before["ocd"].missing or measure.published is False


def test_corrections_made_lists_a_past_months_correction_with_its_reason_in_the_next_reporting_window(session):
    # The window of month M runs through month M+1: the month before the one the correction is made in.
    reported = add_months(month_start(utcnow().date()), -1)
    old = session.scalar(select(Measurement).where(Measurement.period < reported, Measurement.state == "approved")
                         .order_by(Measurement.period, Measurement.id))
    correct_value(session, actor(session, "admin"), measurement_id=old.id, expected_version=old.version,
                  value=old.value, reason="The agency restated its count")
    found = corrections_made(session, reported)
    assert [(c.period, c.reason, c.who) for c in found] == [(old.period, "The agency restated its count",
                                                              session.scalar(select(User.display_name).where(
                                                                  User.email == TEST_USERS["admin"][0])))]
    assert corrections_made(session, add_months(reported, -1)) == []  # not in an earlier month's window


def test_status_moves_name_the_direction_and_needs_attention_is_worst_first(session):
    current = overview(session, as_of=LAST_SEEDED_MONTH, today=date(2026, 11, 20))
    previous = overview(session, as_of=date(2025, 10, 1), today=date(2025, 11, 20))
    moves = status_moves(current, previous)
    assert moves, "a year apart, the seed has measures whose status changed"
    for move in moves:
        assert move.before != move.after and move.direction in ("up", "down")
    directions = [m.direction for m in moves]
    assert directions == sorted(directions, key=lambda d: d == "up")  # worsened first
    attention = needs_attention(current.measures)
    assert attention and all(m.status in ("off_track", "at_risk") or m.freshness == "overdue" for m in attention)
    assert attention[0].status == "off_track" or "off_track" not in {m.status for m in attention}


def test_follow_up_create_and_done_are_admin_only_audited_and_bump_the_data_version(session):
    measure_slug = session.scalar(select(Measure.slug).order_by(Measure.slug))
    for who in ("viewer", "editor"):
        with pytest.raises(PermissionDenied):
            create_follow_up(session, actor(session, who), measure_slug=measure_slug, action="Do it",
                             department_slug="ocd", due_date=date(2026, 12, 15))
    with pytest.raises(ValidationError) as refused:
        create_follow_up(session, actor(session, "admin"), measure_slug=measure_slug, action="  ",
                         department_slug="ocd", due_date=date(2026, 12, 15))
    assert refused.value.field == "action"
    with pytest.raises(ValidationError) as refused:
        create_follow_up(session, actor(session, "admin"), measure_slug=measure_slug, action="Clear the backlog",
                         department_slug="ocd", due_date="15/12/2026")
    assert refused.value.field == "due_date"
    assert session.scalar(select(func.count()).select_from(FollowUp)) == 0
    version = current_data_version(session)
    item = create_follow_up(session, actor(session, "admin"), measure_slug=measure_slug, action="Clear the backlog",
                            department_slug="ocd", due_date="2026-11-01")
    assert current_data_version(session) == version + 1
    listed = follow_ups(session, measure_slugs=[measure_slug])
    assert [(i.action, i.department_slug, i.done) for i in listed] == [("Clear the backlog", "ocd", False)]
    assert listed[0].overdue(date(2026, 11, 20)) and not listed[0].overdue(date(2026, 11, 1))
    with pytest.raises(PermissionDenied):
        mark_follow_up_done(session, actor(session, "viewer"), item.id)
    mark_follow_up_done(session, actor(session, "admin"), item.id)
    assert current_data_version(session) == version + 2
    done = follow_ups(session, measure_slugs=[measure_slug])[0]
    assert done.done and done.done_by and not done.overdue(date(2026, 11, 20))
    assert follow_ups(session, open_only=True) == []
    with pytest.raises(ValidationError):
        mark_follow_up_done(session, actor(session, "admin"), item.id)
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "follow_up")
                                   .order_by(AuditEvent.id)))
    assert actions == ["follow_up.create", "follow_up.done"]
