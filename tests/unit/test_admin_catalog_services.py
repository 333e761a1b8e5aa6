"""Administration services for goals and measures (models/admin_catalog.py): each rule, history and audit.

Every test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the `session` fixture).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from conftest import TEST_USERS
from models.admin_catalog import (
    FormErrors,
    delete_measure,
    goal_form,
    measure_form,
    needs_reason,
    retire_goal,
    retire_measure,
    save_goal,
    save_measure,
    set_goal_published,
    set_measure_published,
)
from models.audit import AuditEvent, current_data_version
from models.catalog import Goal, Measure, MeasureChange, Milestone
from models.errors import PermissionDenied, ValidationError
from models.org import User
from models.queries import measure_detail, overview
from models.services import Actor, submit_value

MILESTONE_MEASURE = "rla-homeowners-awarded-statewide"  # milestones trajectory, published, has figures


def actor(session, who: str = "admin") -> Actor:
    """The Actor of one of the conftest TEST_USERS."""
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS[who][0])))


def new_measure_form(**changes: str) -> dict[str, str]:
    """A valid form for a new measure of the seed's first goal, owned by OCD, with milestones."""
    form = {
        "slug": "homes-elevated", "goal": "bring-families-home", "name": "Homes elevated",
        "definition": "Flooded homes raised above the base flood elevation, counted when inspected.",
        "unit": "count", "decimals": "0", "direction": "increase", "trajectory": "milestones",
        "baseline_value": "0", "baseline_month": "2025-01", "target_value": "450", "target_month": "2026-12",
        "milestones": "2025-06 100\n2025-12: 250", "on_track_tolerance": "5", "at_risk_tolerance": "15",
        "valid_min": "0", "valid_max": "5,000", "due_day": "15", "owner_department": "ocd",
        "data_source": "OCD elevation program case log", "citation": "illustrative", "cumulative": "yes",
        "display_order": "9",
    }
    form.update(changes)
    return form


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def errors_of(session, **changes: str) -> dict[str, str]:
    with pytest.raises(FormErrors) as refused:
        save_measure(session, actor(session), measure_id=None, form=new_measure_form(**changes))
    return refused.value.errors


def test_a_new_measure_is_created_unpublished_with_milestones_audited_and_the_version_bumped(session):
    version = current_data_version(session)
    measure = save_measure(session, actor(session), measure_id=None, form=new_measure_form())
    session.commit()
    assert (measure.slug, measure.published, measure.retired, measure.cumulative) == \
        ("homes-elevated", False, False, True)
    assert (measure.valid_max, measure.target_value, measure.baseline_period) == (5000, 450, date(2025, 1, 1))
    assert [(m.period, m.target_value) for m in measure.milestones] == [(date(2025, 6, 1), 100),
                                                                        (date(2025, 12, 1), 250)]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "measure.create"))
    assert event.entity_id == str(measure.id) and event.after["milestones"] == [["2025-06-01", 100.0],
                                                                                ["2025-12-01", 250.0]]
    assert current_data_version(session) == version + 1
    # The form shows what was saved, so opening it again and saving changes nothing.
    assert measure_form(measure)["milestones"] == "2025-06 100\n2025-12 250"
    assert measure_form(measure)["valid_max"] == "5000"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"target_month": "2024-06"}, "target_month", "before the baseline month"),
    ({"target_month": "2025-01", "trajectory": "linear", "milestones": ""}, "target_month", "needs time between"),
    ({"on_track_tolerance": "20", "at_risk_tolerance": "10"}, "at_risk_tolerance", "must be at least the on-track"),
    ({"on_track_tolerance": "120"}, "on_track_tolerance", "from 0 to 100"),
    ({"milestones": "2027-06 300"}, "milestones", "outside the period from the baseline"),
    ({"milestones": "2025-01 50"}, "milestones", "outside the period from the baseline"),
    ({"milestones": "2025-06 100\n2025-06 120"}, "milestones", "has a milestone already"),
    ({"milestones": "June 100"}, "milestones", "is not a month"),
    ({"milestones": ""}, "milestones", "needs at least one interim target"),
    ({"trajectory": "linear"}, "milestones", "only a “milestones” trajectory"),
    ({"milestones": "2025-06 9000"}, "milestones", "outside the valid range"),
    ({"valid_min": "100", "valid_max": "50"}, "valid_max", "is below the lowest"),
    ({"valid_min": "10"}, "baseline_value", "outside the valid range"),
    ({"valid_max": "400"}, "target_value", "outside the valid range"),
    ({"target_value": "0"}, "target_value", "must be above the baseline"),
    ({"direction": "decrease"}, "target_value", "must be below the baseline"),
    ({"target_value": "450.5"}, "target_value", "target value"),
    ({"baseline_month": "2025-13"}, "baseline_month", "not a real month"),
    ({"baseline_month": ""}, "baseline_month", "Enter a month"),
    ({"decimals": "9"}, "decimals", "0 to 6"),
    ({"due_day": "31"}, "due_day", "1 to 28"),
    ({"unit": "furlongs"}, "unit", "Choose a unit"),
    ({"trajectory": "zigzag"}, "trajectory", "Choose a trajectory"),
    ({"slug": "Homes Elevated"}, "slug", "cannot be used in an address"),
    ({"slug": MILESTONE_MEASURE}, "slug", "already has the address name"),
    ({"goal": "no-such-goal"}, "goal", "no goal"),
    ({"owner_department": "nowhere"}, "owner_department", "no department"),
    ({"name": ""}, "name", "required"),
    ({"data_source": "x" * 301}, "data_source", "at most 300"),
])
def test_each_rule_of_the_database_is_explained_for_its_field_and_nothing_is_written(session, changes, field, words):
    before = (count(session, Measure), count(session, Milestone), count(session, AuditEvent))
    errors = errors_of(session, **changes)
    assert field in errors, errors
    assert words in errors[field], errors[field]
    assert (count(session, Measure), count(session, Milestone), count(session, AuditEvent)) == before


def test_a_retired_goal_takes_no_new_measures(session):
    goal = session.scalar(select(Goal).where(Goal.slug == "bring-families-home"))
    retire_goal(session, actor(session), goal_id=goal.id)
    assert "is retired" in errors_of(session)["goal"]
    assert MILESTONE_MEASURE not in {m.slug for m in overview(session).measures}


def test_several_wrong_fields_are_reported_together(session):
    errors = errors_of(session, target_month="2024-01", due_day="0", name="")
    assert {"target_month", "due_day", "name"} <= set(errors)


def published_measure(session) -> Measure:
    return session.scalar(select(Measure).where(Measure.slug == MILESTONE_MEASURE))


def test_a_published_measure_s_target_change_needs_a_reason_and_is_kept_as_history(session):
    measure = published_measure(session)
    old_target = measure.target_value
    form = measure_form(measure) | {"target_value": "18,000"}
    assert needs_reason(session, measure.id, form) == ["target"]
    with pytest.raises(FormErrors) as refused:
        save_measure(session, actor(session), measure_id=measure.id, form=form, reason="")
    assert "reason" in refused.value.errors and "public measure page" in refused.value.errors["reason"]
    assert count(session, MeasureChange) == 0
    session.refresh(measure)
    assert measure.target_value == old_target

    save_measure(session, actor(session), measure_id=measure.id, form=form,
                 reason="The state extended the program to 1,000 more homeowners.", today=date(2025, 3, 10))
    session.commit()
    change = session.scalar(select(MeasureChange))
    assert (change.kind, change.before["value"], change.after["value"], change.changed_on) == \
        ("target", old_target, 18000, date(2025, 3, 10))
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "measure.update"))
    assert audit.after["reason"].startswith("The state extended")
    detail = measure_detail(session, MILESTONE_MEASURE, published_only=True, approved_only=True)
    assert [c.text for c in detail.plan_changes] == [
        "Target changed from 17,000 to 18,000 in March 2025: The state extended the program to 1,000 more "
        "homeowners."]


def test_baseline_milestones_and_definition_changes_are_each_recorded_with_the_one_reason(session):
    measure = published_measure(session)
    form = measure_form(measure)
    first_milestone = form["milestones"].splitlines()[0]
    form = form | {"baseline_month": "2017-03", "definition": "Homeowners offered an award, counted once.",
                   "milestones": "\n".join(form["milestones"].splitlines()[1:])}
    assert needs_reason(session, measure.id, form) == ["baseline", "milestones", "definition"]
    save_measure(session, actor(session), measure_id=measure.id, form=form, reason="Program rules were restated.")
    session.commit()
    changes = session.scalars(select(MeasureChange).order_by(MeasureChange.id)).all()
    assert [c.kind for c in changes] == ["baseline", "milestones", "definition"]
    assert {c.reason for c in changes} == {"Program rules were restated."}
    assert len(changes[1].before["milestones"]) == len(changes[1].after["milestones"]) + 1
    detail = measure_detail(session, MILESTONE_MEASURE, published_only=True, approved_only=True)
    texts = [c.text for c in detail.plan_changes]
    assert texts[0].startswith("Definition changed in ")
    assert "Baseline changed from 0 (April 2017) to 0 (March 2017) in November 2026: Program rules were restated." \
        in texts
    assert first_milestone.split()[0] not in str(changes[1].after)


def test_an_unpublished_measure_or_a_change_outside_the_plan_needs_no_reason(session):
    measure = published_measure(session)
    form = measure_form(measure) | {"data_source": "Restore Louisiana final report"}
    assert needs_reason(session, measure.id, form) == []
    save_measure(session, actor(session), measure_id=measure.id, form=form)
    created = save_measure(session, actor(session), measure_id=None, form=new_measure_form())
    save_measure(session, actor(session), measure_id=created.id,
                 form=measure_form(created) | {"target_value": "500"})
    assert count(session, MeasureChange) == 0


def test_plan_history_is_append_only_in_the_database(session):
    measure = published_measure(session)
    save_measure(session, actor(session), measure_id=measure.id,
                 form=measure_form(measure) | {"target_value": "17,500"}, reason="Revised award pipeline.")
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(update(MeasureChange).values(reason="quietly changed"))
    session.rollback()


def test_a_measure_with_values_cannot_be_deleted_but_can_be_retired(session):
    measure = published_measure(session)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        delete_measure(session, actor(session), measure_id=measure.id)
    assert session.get(Measure, measure.id) is not None
    retire_measure(session, actor(session), measure_id=measure.id)
    session.commit()
    assert (measure.retired, measure.published) == (True, False)
    assert MILESTONE_MEASURE not in {m.slug for m in overview(session).measures}
    with pytest.raises(ValidationError, match="retired"):
        set_measure_published(session, actor(session), measure_id=measure.id, published=True)
    with pytest.raises(PermissionDenied, match="retired"):
        submit_value(session, actor(session), measure_id=measure.id, period=date(2026, 10, 1), value="5")


def test_a_measure_without_values_is_deleted_with_its_milestones_and_audited(session):
    measure = save_measure(session, actor(session), measure_id=None, form=new_measure_form())
    session.commit()
    measure_id = measure.id
    assert delete_measure(session, actor(session), measure_id=measure_id) == "Homes elevated"
    session.commit()
    assert session.get(Measure, measure_id) is None
    assert session.scalar(select(func.count()).select_from(Milestone).where(Milestone.measure_id == measure_id)) == 0
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "measure.delete"))
    assert event.before["slug"] == "homes-elevated" and event.after is None


def test_goals_are_created_edited_published_and_retired_with_an_audit_each(session):
    admin = actor(session)
    with pytest.raises(FormErrors) as refused:
        save_goal(session, admin, goal_id=None, form={"slug": "bring-families-home", "title": "", "summary": "x",
                                                       "owner_department": "ocd", "display_order": "x"})
    assert set(refused.value.errors) == {"slug", "title", "display_order"}
    goal = save_goal(session, admin, goal_id=None, form={"slug": "clear-drains", "title": "Clear the drains",
                                                         "summary": "Keep storm drains clear.",
                                                         "owner_department": "ocd", "display_order": "5"})
    assert (goal.published, goal.retired, goal.display_order) == (False, False, 5)
    save_goal(session, admin, goal_id=goal.id, form=goal_form(goal) | {"title": "Clear every drain",
                                                                        "slug": "ignored-on-edit"})
    set_goal_published(session, admin, goal_id=goal.id, published=True)
    with pytest.raises(ValidationError, match="already published"):
        set_goal_published(session, admin, goal_id=goal.id, published=True)
    retire_goal(session, admin, goal_id=goal.id)
    session.commit()
    assert (goal.slug, goal.title, goal.published, goal.retired) == ("clear-drains", "Clear every drain", False, True)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "goal")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["goal.create", "goal.update", "goal.publish", "goal.retire"]


def test_publishing_a_measure_puts_it_on_the_public_read_path(session):
    goal = session.scalar(select(Goal).where(Goal.slug == "bring-families-home"))
    measure = save_measure(session, actor(session), measure_id=None, form=new_measure_form())
    assert measure_detail(session, "homes-elevated", published_only=True, approved_only=True) is None
    set_measure_published(session, actor(session), measure_id=measure.id, published=True)
    session.commit()
    assert goal.published
    detail = measure_detail(session, "homes-elevated", published_only=True, approved_only=True)
    assert detail is not None and detail.milestones == ((date(2025, 6, 1), 100.0), (date(2025, 12, 1), 250.0))
    set_measure_published(session, actor(session), measure_id=measure.id, published=False)
    assert measure_detail(session, "homes-elevated", published_only=True, approved_only=True) is None


@pytest.mark.parametrize("who", ["viewer", "editor"])
def test_only_the_performance_team_may_change_goals_and_measures(session, who):
    person = actor(session, who)
    measure = published_measure(session)
    goal = measure.goal
    calls = [
        lambda: save_goal(session, person, goal_id=None, form={"slug": "x", "title": "x", "summary": "x",
                                                               "owner_department": "ocd"}),
        lambda: set_goal_published(session, person, goal_id=goal.id, published=False),
        lambda: retire_goal(session, person, goal_id=goal.id),
        lambda: save_measure(session, person, measure_id=None, form=new_measure_form()),
        lambda: save_measure(session, person, measure_id=measure.id, form=measure_form(measure)),
        lambda: set_measure_published(session, person, measure_id=measure.id, published=False),
        lambda: retire_measure(session, person, measure_id=measure.id),
        lambda: delete_measure(session, person, measure_id=measure.id),
    ]
    before = count(session, AuditEvent)
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert count(session, AuditEvent) == before
    assert (measure.published, measure.retired, goal.published, goal.retired) == (True, False, True, False)


def test_plan_change_sentences_name_what_moved_and_when():
    from models.queries import PlanChange

    def sentence(kind, before, after, unit="count", decimals=0):
        return PlanChange(kind=kind, before=before, after=after, reason="New funding.", changed_on=date(2025, 3, 4),
                          unit=unit, decimals=decimals).text

    assert sentence("target", {"value": 450, "period": "2026-12-01"}, {"value": 500, "period": "2026-12-01"}) == \
        "Target changed from 450 to 500 in March 2025: New funding."
    assert sentence("target", {"value": 450, "period": "2026-12-01"}, {"value": 500, "period": "2027-06-01"}) == \
        "Target changed from 450 by December 2026 to 500 by June 2027 in March 2025: New funding."
    assert sentence("baseline", {"value": 62.5, "period": "2017-01-01"}, {"value": 60, "period": "2017-01-01"},
                    unit="percent", decimals=1) == "Baseline changed from 62.5% to 60.0% in March 2025: New funding."
    assert sentence("milestones", {"milestones": [["2025-06-01", 100]]}, {"milestones": []}) == \
        "Milestones changed from 100 by June 2025 to none in March 2025: New funding."
    assert sentence("definition", {"text": "old"}, {"text": "new"}) == "Definition changed in March 2025: New funding."
