"""Review at scale: the anomaly flags, approving many values in one transaction, the two-person rule, the filtered
queue with expected values, and a returned value's comment in the editor's month grid.

Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the `session` fixture).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from test_services import actor, last_audit, row_of, snapshot

from models.audit import AuditEvent
from models.batch import month_grid_rows
from models.catalog import Measure
from models.errors import PermissionDenied, ValidationError
from models.measurements import Measurement, Revision
from models.progress import FLAG_FELL, FLAG_JUMP, add_months, expected_value, figure_flags
from models.queries import measure_specs
from models.services import TWO_PERSON_MESSAGE, approve_value, approve_values, return_value, submit_value
from models.worklists import approval_queue

THIS_MONTH = date(2026, 11, 1)


def months(values: list[float], last: date = date(2026, 10, 1)) -> list[tuple[date, float]]:
    """A monthly history ending in `last`."""
    return [(add_months(last, i - len(values) + 1), float(v)) for i, v in enumerate(values)]


def pending(session, how_many: int) -> list[Measurement]:
    """Seeded values awaiting approval (entered by the data import, so anyone on the team may approve them)."""
    rows = list(session.scalars(select(Measurement).where(Measurement.state == "submitted")
                                .order_by(Measurement.period.desc(), Measurement.id).limit(how_many)))
    assert len(rows) == how_many, f"the seed needs {how_many} values awaiting approval"
    return rows


def fresh_measure(session, department: str = "ocd") -> Measure:
    """A measure of `department` with no value for this month yet (so one can be entered)."""
    from models.org import Department

    taken = select(Measurement.measure_id).where(Measurement.period == THIS_MONTH)
    measure = session.scalar(
        select(Measure).join(Department, Department.id == Measure.owner_department_id)
        .where(Department.slug == department, Measure.id.not_in(taken), Measure.cumulative.is_(False))
        .order_by(Measure.slug))
    assert measure is not None
    return measure


def typed(measure: Measure) -> float:
    """A number inside the measure's valid range."""
    low = measure.valid_min if measure.valid_min is not None else 0
    high = measure.valid_max if measure.valid_max is not None else low + 1000
    return float(int(low + (high - low) / 2))


# --- the flags (pure) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, history, cumulative, expected", [
    (95, [70, 80, 90, 100], True, (FLAG_FELL,)),  # a running total that fell
    (95, [70, 80, 90, 100], False, ()),  # the same fall of an ordinary measure is no flag
    (110, [70, 80, 90, 100], True, ()),  # the usual step of 10
    (130, [70, 80, 90, 100], True, ()),  # three times the usual step is still not far beyond it
    (131, [70, 80, 90, 100], True, (FLAG_JUMP,)),  # beyond three times the usual step
    (40, [70, 80, 90, 100], True, (FLAG_FELL, FLAG_JUMP)),
    (500, [90, 100], True, ()),  # one earlier change says nothing about what is usual
    (101, [100, 100, 100, 100], False, (FLAG_JUMP,)),  # any move after months of none
    (100, [100, 100, 100, 100], False, ()),
    (5, [], True, ()),  # nothing to compare with
])
def test_figure_flags(value, history, cumulative, expected):
    assert figure_flags(value, months(history), cumulative) == expected


def test_jump_looks_only_at_recent_changes():
    """An old burst of large changes does not hide a jump today: only the last six changes count."""
    history = [0, 1000, 0, 1000, *range(2000, 2008)]
    assert figure_flags(2100, months(history), False) == (FLAG_JUMP,)


# --- approving many values at once --------------------------------------------------------------------------------


def test_selected_values_are_approved_in_one_transaction_with_history(session):
    admin = actor(session, "admin")
    chosen = pending(session, 3)
    before = snapshot(session)
    result = approve_values(session, admin, selections=[(m.id, m.version) for m in chosen])
    session.flush()
    assert result.approved and not result.refused
    assert [row.measurement_id for row in result.rows] == [m.id for m in chosen]
    for m in chosen:
        assert row_of(session, m.id)[1:] == ("approved", 2)
        revision = session.scalar(select(Revision).where(Revision.measurement_id == m.id)
                                  .order_by(Revision.id.desc()).limit(1))
        assert (revision.action, revision.user_id) == ("approve", admin.id)
    # One bump of the data version for the whole decision, one revision and one audit event per value.
    assert snapshot(session) == {**before, "data_version": before["data_version"] + 1,
                                 "revisions": before["revisions"] + 3, "audit_events": before["audit_events"] + 3}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "measurement.approve")).all()
    assert {int(e.entity_id) for e in events} == {m.id for m in chosen}
    assert all(e.after["approver_also_entered"] is False and e.after["entered_by"] is None for e in events)


def test_one_stale_row_refuses_the_whole_selection(session):
    admin = actor(session, "admin")
    chosen = pending(session, 3)
    stale = chosen[1]
    before = snapshot(session)
    rows_before = [row_of(session, m.id) for m in chosen]
    result = approve_values(session, admin, selections=[(m.id, m.version) for m in chosen[:1]]
                            + [(stale.id, stale.version + 1)] + [(m.id, m.version) for m in chosen[2:]])
    session.flush()
    assert not result.approved
    assert [(r.measurement_id, r.outcome) for r in result.refused] == [(stale.id, "refused")]
    assert "after the queue was shown" in result.refused[0].message and result.refused[0].subject
    assert snapshot(session) == before
    assert [row_of(session, m.id) for m in chosen] == rows_before


def test_decided_and_missing_rows_are_refused_by_name(session):
    admin = actor(session, "admin")
    first, second = pending(session, 2)
    approve_values(session, admin, selections=[(first.id, first.version)])
    session.flush()
    before = snapshot(session)
    result = approve_values(session, admin, selections=[(first.id, 2), (second.id, second.version), (10**9, 1)])
    assert not result.approved
    messages = {r.measurement_id: r.message for r in result.refused}
    assert "approved already" in messages[first.id] and "no longer exists" in messages[10**9]
    assert second.id not in messages
    assert snapshot(session) == before and row_of(session, second.id)[1] == "submitted"


def test_only_the_performance_team_approves_and_something_must_be_chosen(session):
    chosen = pending(session, 1)[0]
    before = snapshot(session)
    for who in ("editor", "viewer"):
        with pytest.raises(PermissionDenied):
            approve_values(session, actor(session, who), selections=[(chosen.id, chosen.version)])
    with pytest.raises(ValidationError) as caught:
        approve_values(session, actor(session, "admin"), selections=[])
    assert caught.value.field == "selection"
    assert snapshot(session) == before and row_of(session, chosen.id)[1] == "submitted"


# --- the two-person rule ----------------------------------------------------------------------------------------


def test_nobody_approves_a_figure_they_entered(session):
    admin, reviewer = actor(session, "admin"), actor(session, "reviewer")
    measure = fresh_measure(session)
    own = submit_value(session, admin, measure_id=measure.id, period=THIS_MONTH, value=typed(measure))
    other = pending(session, 1)[0]
    session.flush()
    before = snapshot(session)
    result = approve_values(session, admin, selections=[(other.id, other.version), (own.id, own.version)])
    assert not result.approved
    assert [(r.measurement_id, r.message) for r in result.refused] == [(own.id, TWO_PERSON_MESSAGE)]
    with pytest.raises(PermissionDenied) as caught:
        approve_value(session, admin, measurement_id=own.id, expected_version=own.version)
    assert caught.value.message == TWO_PERSON_MESSAGE
    assert snapshot(session) == before and row_of(session, other.id)[1] == "submitted"

    result = approve_values(session, reviewer, selections=[(own.id, own.version)])
    session.flush()
    assert result.approved and row_of(session, own.id)[1] == "approved"
    event = last_audit(session)
    assert (event.action, event.actor) == ("measurement.approve", "reviewer@example.org")
    assert (event.after["entered_by"], event.after["approver_also_entered"], event.after["two_person_rule"]) == (
        "admin@example.org", False, True)


def test_the_author_is_whoever_entered_or_corrected_the_current_figure(session):
    admin, editor = actor(session, "admin"), actor(session, "editor")
    measure = fresh_measure(session, "ocd")
    entered = submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=typed(measure))
    session.flush()
    # The editor entered it: the admin may approve it ...
    assert [i.blocked for i in approval_queue(session, reviewer=admin) if i.id == entered.id] == [None]
    from models.services import correct_value

    corrected = correct_value(session, admin, measurement_id=entered.id, expected_version=entered.version,
                              value=typed(measure) + 1, reason="The state report was revised.")
    session.flush()
    # ... but once the admin corrected it, the figure is theirs.
    assert [i.blocked for i in approval_queue(session, reviewer=admin) if i.id == entered.id] == [TWO_PERSON_MESSAGE]
    result = approve_values(session, admin, selections=[(corrected.id, corrected.version)])
    assert [r.message for r in result.refused] == [TWO_PERSON_MESSAGE]


def test_with_the_rule_off_one_person_approves_their_own_figure_and_the_audit_says_so(session):
    admin = actor(session, "admin")
    measure = fresh_measure(session)
    own = submit_value(session, admin, measure_id=measure.id, period=THIS_MONTH, value=typed(measure))
    session.flush()
    assert [i.blocked for i in approval_queue(session, reviewer=admin, two_person_rule=False)
            if i.id == own.id] == [None]
    result = approve_values(session, admin, selections=[(own.id, own.version)], two_person_rule=False)
    session.flush()
    assert result.approved and row_of(session, own.id)[1] == "approved"
    event = last_audit(session)
    assert (event.action, event.actor, event.entity_id) == ("measurement.approve", "admin@example.org", str(own.id))
    assert (event.after["entered_by"], event.after["approver_also_entered"], event.after["two_person_rule"]) == (
        "admin@example.org", True, False)


# --- the queue --------------------------------------------------------------------------------------------------


def test_queue_filters_by_department_and_month_with_expected_values_and_flags(session):
    everything = approval_queue(session)
    assert len({i.department_id for i in everything}) > 1, "the seed has values waiting in several departments"
    department = everything[0].department_id
    period = everything[0].period
    of_department = approval_queue(session, department_id=department)
    assert of_department and {i.department_id for i in of_department} == {department}
    assert {i.id for i in of_department} == {i.id for i in everything if i.department_id == department}
    both = approval_queue(session, department_id=department, period=period)
    assert {i.id for i in both} == {i.id for i in everything if i.department_id == department and i.period == period}
    assert approval_queue(session, period=date(2001, 1, 1)) == []

    specs = measure_specs(session, [i.measure_id for i in everything])
    for item in everything:
        assert item.expected_value == pytest.approx(expected_value(specs[item.measure_id], item.period))


def test_queue_flags_a_running_total_that_fell(session):
    editor = actor(session, "editor")
    measure = session.scalar(select(Measure).where(Measure.slug == "ocd-rental-units-repaired"))
    assert measure.cumulative
    october = session.scalar(select(Measurement).where(Measurement.measure_id == measure.id,
                                                       Measurement.period == date(2026, 10, 1)))
    fell = submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=october.value - 1,
                        note="Two awards were withdrawn.", confirm_drop=True)
    session.flush()
    item = next(i for i in approval_queue(session) if i.id == fell.id)
    assert FLAG_FELL in item.flags and item.previous_value == october.value


# --- returned with a comment ------------------------------------------------------------------------------------


def test_a_returned_value_shows_the_reviewers_comment_in_the_editors_grid(session):
    editor, admin = actor(session, "editor"), actor(session, "admin")
    measure = fresh_measure(session, "ocd")
    entered = submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=typed(measure))
    session.flush()
    row = next(r for r in month_grid_rows(session, editor, THIS_MONTH) if r["measure_id"] == measure.id)
    assert row["state"] == "Awaiting approval" and row["version"] == 1
    return_value(session, admin, measurement_id=entered.id, expected_version=1,
                 reason="This is the running total, not the month's count.")
    session.flush()
    row = next(r for r in month_grid_rows(session, editor, THIS_MONTH) if r["measure_id"] == measure.id)
    assert row["state"] == "Returned: This is the running total, not the month's count."
    assert row["version"] == 2  # the editor corrects the version they now see
