"""Write services for monthly values (models/services.py), rule by rule, and the database's own guards.

Every test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the `session`/`db_url` fixtures).
Refusals are checked in the same session without a rollback: the session autoflushes before counting, so anything a
failed call had added would be counted and caught.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from conftest import TEST_USERS
from models.audit import AuditEvent, current_data_version
from models.base import make_engine, make_session_factory
from models.catalog import Measure
from models.errors import PermissionDenied, StaleEditError, ValidationError
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.progress import add_months, format_value
from models.services import (
    Actor,
    approve_value,
    correct_value,
    parse_value,
    return_value,
    submit_value,
)

TODAY = date(2026, 11, 28)
THIS_MONTH = date(2026, 11, 1)
LAST_SEEDED_MONTH = date(2026, 10, 1)


# --- helpers --------------------------------------------------------------------------------------------------


def actor(session, who: str) -> Actor:
    """The Actor of one of the conftest TEST_USERS present in every seeded database."""
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS[who][0])))


def measure_of(session, department: str, unit: str, containing: float) -> Measure:
    """The first measure (by slug) owned by `department` in `unit` whose valid range includes `containing`."""
    measure = session.scalar(
        select(Measure).join(Department, Department.id == Measure.owner_department_id)
        .where(Department.slug == department, Measure.unit == unit,
               Measure.valid_min <= containing, Measure.valid_max >= containing)
        .order_by(Measure.slug)
    )
    assert measure is not None, f"the seed needs a {unit} measure of {department} that allows {containing}"
    return measure


def measurement(session, measure: Measure, period: date) -> Measurement | None:
    return session.scalar(select(Measurement).where(Measurement.measure_id == measure.id,
                                                    Measurement.period == period))


def seeded_in_state(session, state: str, department: str | None = None) -> Measurement:
    """A seeded measurement of the last seeded month in `state` (optionally of one department's measure)."""
    stmt = (select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
            .join(Department, Department.id == Measure.owner_department_id)
            .where(Measurement.state == state, Measurement.period == LAST_SEEDED_MONTH)
            .order_by(Measure.slug))
    if department:
        stmt = stmt.where(Department.slug == department)
    found = session.scalar(stmt)
    assert found is not None, f"the seed needs a {state} value for {LAST_SEEDED_MONTH:%Y-%m} ({department or 'any'})"
    return found


def count(session, entity) -> int:
    return session.scalar(select(func.count()).select_from(entity))


def snapshot(session) -> dict:
    """What every failed write must leave exactly as it was."""
    return {
        "data_version": current_data_version(session),
        "measurements": count(session, Measurement),
        "revisions": count(session, Revision),
        "audit_events": count(session, AuditEvent),
    }


def row_of(session, measurement_id: int) -> tuple:
    """The stored (value, state, version) of a measurement, read with Core past the identity map."""
    return tuple(session.execute(
        select(Measurement.__table__.c.value, Measurement.__table__.c.state, Measurement.__table__.c.version)
        .where(Measurement.__table__.c.id == measurement_id)
    ).one())


def last_revision(session, measurement_id: int) -> Revision:
    return session.scalar(select(Revision).where(Revision.measurement_id == measurement_id)
                          .order_by(Revision.id.desc()).limit(1))


def last_audit(session) -> AuditEvent:
    return session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


# --- parse_value (pure) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("12,430", 12430.0),
    (" 62.5 ", 62.5),
    (7, 7.0),
    (0, 0.0),
    (-3, -3.0),
    (2.25, 2.25),
    ("1,234,567.5", 1234567.5),
])
def test_parse_value_accepts_what_people_type(raw, expected):
    value = parse_value(raw)
    assert value == expected
    assert type(value) is float


@pytest.mark.parametrize("raw", [
    "abc", "12a", "1.2.3", "nan", "NaN", float("nan"), "inf", "-inf", float("inf"), "1e400", True, False, "", "   ",
    None,
])
def test_parse_value_rejects_what_is_not_a_finite_number(raw):
    with pytest.raises(ValidationError) as caught:
        parse_value(raw)
    assert caught.value.field == "value"
    # The message tells the person what to do, not just that something failed.
    assert "Enter" in caught.value.message or "Type" in caught.value.message, caught.value.message


def test_parse_value_names_the_text_it_could_not_read():
    with pytest.raises(ValidationError) as caught:
        parse_value("12 homes")
    assert "'12 homes' is not a number" in caught.value.message


# --- submit_value ---------------------------------------------------------------------------------------------


def test_submit_value_stores_a_submitted_value_with_revision_audit_and_one_version_bump(session, db_url):
    admin = actor(session, "admin")
    count_measure = measure_of(session, "ocd", "count", 12430)
    percent_measure = measure_of(session, "ocd", "percent", 62.5)
    state_measure = measure_of(session, "la-ocd-dru", "households", 300)  # admin may enter any department's
    before = snapshot(session)

    entered = []
    for step, (measure, raw, expected) in enumerate(
        [(count_measure, "12,430", 12430.0), (percent_measure, " 62.5 ", 62.5), (state_measure, 300, 300.0)],
        start=1,
    ):
        assert measurement(session, measure, THIS_MONTH) is None
        # Any day of the month is accepted and stored as the first of the month.
        # confirm_drop: some of these are running totals, and these figures are below October's.
        m = submit_value(session, admin, measure_id=measure.id, period=date(2026, 11, 17), value=raw,
                         note="  from the monthly report  ", today=TODAY, confirm_drop=True)
        assert (m.period, m.value, m.state, m.version) == (THIS_MONTH, expected, "submitted", 1)
        assert m.entered_by_id == admin.id and m.note == "from the monthly report"
        assert current_data_version(session) == before["data_version"] + step

        revision = last_revision(session, m.id)
        assert (revision.action, revision.old_value, revision.new_value, revision.old_state, revision.new_state,
                revision.user_id) == ("enter", None, expected, None, "submitted", admin.id)
        event = last_audit(session)
        assert (event.action, event.entity_type, event.entity_id, event.actor, event.user_id) == (
            "measurement.enter", "measurement", str(m.id), admin.email, admin.id)
        assert event.before is None
        assert event.after["value"] == expected and event.after["period"] == "2026-11-01"
        entered.append((measure.id, expected))
    assert snapshot(session) == {**before, "data_version": before["data_version"] + 3,
                                 "measurements": before["measurements"] + 3,
                                 "revisions": before["revisions"] + 3, "audit_events": before["audit_events"] + 3}
    session.commit()

    # Committed: another connection sees the values and the new data version.
    engine = make_engine(db_url)
    with make_session_factory(engine)() as other:
        for measure_id, value in entered:
            assert other.scalar(select(Measurement.value).where(Measurement.measure_id == measure_id,
                                                                Measurement.period == THIS_MONTH)) == value
        assert current_data_version(other) == before["data_version"] + 3
    engine.dispose()


def test_submit_value_refusals_say_what_to_fix_and_write_nothing(session, subtests):
    admin, viewer = actor(session, "admin"), actor(session, "viewer")
    state_editor = actor(session, "state_editor")
    measure = measure_of(session, "ocd", "count", 12430)
    low = format_value(measure.valid_min, measure.unit, measure.decimals)
    high = format_value(measure.valid_max, measure.unit, measure.decimals)
    existing = measurement(session, measure, LAST_SEEDED_MONTH)
    existing_row = row_of(session, existing.id)
    valid = dict(measure_id=measure.id, period=THIS_MONTH, value="100", today=TODAY)

    cases = [
        ("letters", admin, {"value": "abc"}, ValidationError, "value", ["'abc' is not a number", "Type digits"]),
        ("NaN", admin, {"value": "NaN"}, ValidationError, "value", ["Enter a finite number"]),
        ("NaN float", admin, {"value": float("nan")}, ValidationError, "value", ["Enter a finite number"]),
        ("infinity", admin, {"value": "inf"}, ValidationError, "value", ["Enter a finite number"]),
        ("boolean", admin, {"value": True}, ValidationError, "value", ["Enter a number"]),
        ("empty", admin, {"value": ""}, ValidationError, "value", ["Enter a number"]),
        ("blank", admin, {"value": "   "}, ValidationError, "value", ["Enter a number"]),
        ("above range", admin, {"value": measure.valid_max + 1}, ValidationError, "value",
         [f"({low} to {high})", "valid range", measure.name]),
        ("below range", admin, {"value": measure.valid_min - 1}, ValidationError, "value", [f"({low} to {high})"]),
        ("next month", admin, {"period": date(2026, 12, 1)}, ValidationError, "period",
         ["December 2026 has not started", "up to November 2026"]),
        ("far future", admin, {"period": date(2027, 3, 15)}, ValidationError, "period", ["March 2027"]),
        ("not a date", admin, {"period": "2026-11"}, ValidationError, "period", ["Choose a month"]),
        ("editor of another department", state_editor, {}, PermissionDenied, None, [measure.name]),
        ("viewer", viewer, {}, PermissionDenied, None, [measure.name]),
    ]
    for name, who, changes, error, field, phrases in cases:
        with subtests.test(case=name):
            before = snapshot(session)
            with pytest.raises(error) as caught:
                submit_value(session, who, **{**valid, **changes})
            if field:
                assert caught.value.field == field
            for phrase in phrases:
                assert phrase in caught.value.message
            assert snapshot(session) == before
            assert measurement(session, measure, THIS_MONTH) is None

    with subtests.test(case="a second value for a month that has one"):
        before = snapshot(session)
        with pytest.raises(StaleEditError) as caught:
            submit_value(session, admin, measure_id=measure.id, period=date(2026, 10, 9), value="1,500",
                         today=TODAY)
        assert caught.value.current_value == existing_row[0]
        assert caught.value.current_version == existing_row[2]
        assert caught.value.attempted_value == 1500.0
        assert "Your figure was not saved" in caught.value.message
        assert snapshot(session) == before
        assert row_of(session, existing.id) == existing_row

    with subtests.test(case="a month opens on its first day and not before"):
        m = submit_value(session, admin, measure_id=measure.id, period=date(2026, 12, 1), value=100,
                         today=date(2026, 12, 1))
        assert m.period == date(2026, 12, 1)
        with pytest.raises(ValidationError):
            submit_value(session, admin, measure_id=measure.id, period=date(2027, 1, 1), value=100,
                         today=date(2026, 12, 31))


def test_editors_enter_and_correct_only_their_own_departments_measures(session):
    editor, state_editor, viewer = actor(session, "editor"), actor(session, "state_editor"), actor(session, "viewer")
    own = measure_of(session, "ocd", "count", 100)
    theirs = measure_of(session, "la-ocd-dru", "households", 100)

    drop = dict(confirm_drop=True, note="Test figure below last month's total.")
    m = submit_value(session, editor, measure_id=own.id, period=THIS_MONTH, value=100, today=TODAY, **drop)
    assert m.entered_by_id == editor.id and last_revision(session, m.id).user_id == editor.id
    m2 = submit_value(session, state_editor, measure_id=theirs.id, period=THIS_MONTH, value=100, today=TODAY, **drop)
    assert m2.entered_by_id == state_editor.id

    before = snapshot(session)
    with pytest.raises(PermissionDenied):
        submit_value(session, editor, measure_id=theirs.id, period=date(2026, 10, 1), value=1, today=TODAY)
    for who in (editor, viewer):
        with pytest.raises(PermissionDenied):
            correct_value(session, who, measurement_id=m2.id, expected_version=m2.version, value=101,
                          reason="wrong department")
    assert snapshot(session) == before
    assert row_of(session, m2.id) == (100.0, "submitted", 1)

    # An editor whose department was not recorded must not be treated as a member of every department.
    homeless = Actor(id=None, email="nobody@example.org", role="editor", department_id=None)
    with pytest.raises(PermissionDenied):
        submit_value(session, homeless, measure_id=own.id, period=date(2026, 11, 1), value=1, today=TODAY)


# --- correct_value --------------------------------------------------------------------------------------------


def test_correct_value_needs_a_reason_and_records_old_and_new(session, subtests):
    editor = actor(session, "editor")
    target = seeded_in_state(session, "approved", department="ocd")
    old_value, old_state, old_version = row_of(session, target.id)
    assert old_state == "approved"
    new_value = old_value + 7 if old_value + 7 <= target.measure.valid_max else old_value - 7

    for reason in (None, "", "typo", "   fix    "):
        with subtests.test(reason=reason):
            before = snapshot(session)
            with pytest.raises(ValidationError) as caught:
                correct_value(session, editor, measurement_id=target.id, expected_version=old_version,
                              value=new_value, reason=reason)
            assert caught.value.field == "reason"
            assert "reason" in caught.value.message
            assert snapshot(session) == before
            assert row_of(session, target.id) == (old_value, old_state, old_version)

    with subtests.test("a valid correction"):
        before = snapshot(session)
        m = correct_value(session, editor, measurement_id=target.id, expected_version=old_version,
                          value=f"{new_value:,.0f}", reason="  Typo in the October report  ")
        assert row_of(session, target.id) == (new_value, "submitted", old_version + 1)
        assert m.reviewed_by_id is None and m.reviewed_at is None and m.entered_by_id == editor.id
        assert snapshot(session) == {**before, "data_version": before["data_version"] + 1,
                                     "revisions": before["revisions"] + 1,
                                     "audit_events": before["audit_events"] + 1}
        revision = last_revision(session, target.id)
        assert (revision.action, revision.old_value, revision.new_value, revision.old_state, revision.new_state,
                revision.reason, revision.user_id) == (
            "correct", old_value, new_value, "approved", "submitted", "Typo in the October report", editor.id)
        event = last_audit(session)
        assert (event.action, event.entity_id, event.user_id) == ("measurement.correct", str(target.id), editor.id)
        assert (event.before["value"], event.before["state"], event.before["version"]) == (
            old_value, "approved", old_version)
        assert (event.after["value"], event.after["state"], event.after["version"]) == (
            new_value, "submitted", old_version + 1)


def test_correct_value_with_a_stale_version_keeps_both_values_and_changes_nothing(session):
    admin = actor(session, "admin")
    target = seeded_in_state(session, "approved")
    first_value = target.value + 1
    correct_value(session, admin, measurement_id=target.id, expected_version=target.version, value=first_value,
                  reason="first correction")
    session.commit()
    stored = row_of(session, target.id)
    assert stored[0] == first_value and stored[2] == 2

    before = snapshot(session)
    with pytest.raises(StaleEditError) as caught:
        correct_value(session, admin, measurement_id=target.id, expected_version=1, value=first_value + 1,
                      reason="second correction from an old form")
    assert (caught.value.current_value, caught.value.current_version, caught.value.attempted_value) == (
        first_value, 2, first_value + 1)
    assert "save again" in caught.value.message
    assert snapshot(session) == before
    assert row_of(session, target.id) == stored


def test_concurrent_corrections_the_second_writer_gets_a_stale_edit_error(db_url, backend):
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    first, second, third = factory(), factory(), factory()
    try:
        admin = actor(first, "admin")
        measurement_id = seeded_in_state(first, "approved").id
        # Both people open the same value (same version) before either saves.
        mine, theirs = first.get(Measurement, measurement_id), second.get(Measurement, measurement_id)
        assert mine.version == theirs.version == 1
        original = mine.value
        version_before = current_data_version(first)

        correct_value(first, admin, measurement_id=measurement_id, expected_version=mine.version,
                      value=original + 1, reason="first writer")
        if backend == "postgres":
            # The first writer holds the row lock until it commits: anyone else correcting the row waits for it.
            third.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError):
                correct_value(third, admin, measurement_id=measurement_id, expected_version=1,
                              value=original + 3, reason="third writer")
            third.rollback()
        first.commit()

        with pytest.raises(StaleEditError) as caught:
            correct_value(second, admin, measurement_id=measurement_id, expected_version=theirs.version,
                          value=original + 2, reason="second writer")
        # The person is shown the value that won and keeps the one they typed.
        assert caught.value.current_value == original + 1
        assert caught.value.current_version == 2
        assert caught.value.attempted_value == original + 2
        second.rollback()

        assert row_of(second, measurement_id) == (original + 1, "submitted", 2)
        assert current_data_version(second) == version_before + 1
        assert second.scalar(select(func.count()).select_from(Revision).where(
            Revision.measurement_id == measurement_id, Revision.action == "correct")) == 1
    finally:
        for s in (first, second, third):
            s.close()
        engine.dispose()


# --- approve_value / return_value -----------------------------------------------------------------------------


def test_approve_and_return_are_for_admins_from_submitted_only(session, subtests):
    admin, editor, viewer = actor(session, "admin"), actor(session, "editor"), actor(session, "viewer")
    to_approve = seeded_in_state(session, "submitted", department="ocd")
    to_return = seeded_in_state(session, "submitted", department="permits")
    assert to_approve.id != to_return.id
    approve_value_before, return_value_before = to_approve.value, to_return.value

    def refused(call, error, **kwargs):
        before = snapshot(session)
        rows = row_of(session, to_approve.id), row_of(session, to_return.id)
        with pytest.raises(error) as caught:
            call(session, **kwargs)
        assert snapshot(session) == before
        assert (row_of(session, to_approve.id), row_of(session, to_return.id)) == rows
        return caught.value

    with subtests.test("only admins review"):
        for who in (editor, viewer):  # the editor owns this measure, and still may not approve it
            error = refused(approve_value, PermissionDenied, actor=who, measurement_id=to_approve.id,
                            expected_version=1)
            assert "performance team" in error.message
            refused(return_value, PermissionDenied, actor=who, measurement_id=to_approve.id, expected_version=1,
                    reason="please recheck the figure")

    with subtests.test("returning needs a reason"):
        for reason in ("", "  no  ", None):
            error = refused(return_value, ValidationError, actor=admin, measurement_id=to_return.id,
                            expected_version=1, reason=reason)
            assert error.field == "reason"

    with subtests.test("a stale version is refused"):
        error = refused(approve_value, StaleEditError, actor=admin, measurement_id=to_approve.id,
                        expected_version=2)
        assert error.current_value == approve_value_before and error.current_version == 1

    with subtests.test("approve"):
        before = snapshot(session)
        m = approve_value(session, admin, measurement_id=to_approve.id, expected_version=1, note=" checked ")
        assert row_of(session, to_approve.id) == (approve_value_before, "approved", 2)
        assert m.reviewed_by_id == admin.id and m.reviewed_at is not None and m.review_note == "checked"
        assert snapshot(session) == {**before, "data_version": before["data_version"] + 1,
                                     "revisions": before["revisions"] + 1,
                                     "audit_events": before["audit_events"] + 1}
        revision = last_revision(session, to_approve.id)
        assert (revision.action, revision.old_state, revision.new_state, revision.old_value, revision.new_value,
                revision.user_id) == ("approve", "submitted", "approved", m.value, m.value, admin.id)
        assert last_audit(session).action == "measurement.approve"

    with subtests.test("an approved value cannot be approved or returned again"):
        for call, extra in ((approve_value, {}), (return_value, {"reason": "second thoughts"})):
            error = refused(call, ValidationError, actor=admin, measurement_id=to_approve.id, expected_version=2,
                            **extra)
            assert error.field == "state" and "approved" in error.message

    with subtests.test("return"):
        before = snapshot(session)
        m = return_value(session, admin, measurement_id=to_return.id, expected_version=1,
                         reason="  This is the monthly figure, not the running total.  ")
        assert row_of(session, to_return.id) == (return_value_before, "returned", 2)
        assert m.review_note == "This is the monthly figure, not the running total."
        assert snapshot(session)["data_version"] == before["data_version"] + 1
        revision = last_revision(session, to_return.id)
        assert (revision.action, revision.old_state, revision.new_state, revision.reason) == (
            "return", "submitted", "returned", "This is the monthly figure, not the running total.")
        assert last_audit(session).action == "measurement.return"

    with subtests.test("a returned value cannot be approved; a correction sends it back for review"):
        refused(approve_value, ValidationError, actor=admin, measurement_id=to_return.id, expected_version=2)
        corrected = correct_value(session, admin, measurement_id=to_return.id, expected_version=2,
                                  value=return_value_before + 1, reason="resubmitted with the running total")
        assert (corrected.state, corrected.version) == ("submitted", 3)
        # The admin corrected it, so another member of the team approves it (two-person rule).
        refused(approve_value, PermissionDenied, actor=admin, measurement_id=to_return.id, expected_version=3)
        approve_value(session, actor(session, "reviewer"), measurement_id=to_return.id, expected_version=3)
        assert row_of(session, to_return.id) == (return_value_before + 1, "approved", 4)


# --- the database's own guards --------------------------------------------------------------------------------


def test_revisions_and_audit_events_are_append_only_in_the_database(session, subtests):
    revision_id = session.scalar(select(func.min(Revision.id)))
    event_id = session.scalar(select(func.min(AuditEvent.id)))
    assert revision_id is not None and event_id is not None
    originals = {
        "revision": session.execute(select(Revision.__table__).where(Revision.id == revision_id)).one(),
        "audit_event": session.execute(select(AuditEvent.__table__).where(AuditEvent.id == event_id)).one(),
    }
    session.rollback()
    statements = [
        ("revision", "update", update(Revision).where(Revision.id == revision_id).values(reason="rewritten")),
        ("revision", "delete", delete(Revision).where(Revision.id == revision_id)),
        ("audit_event", "update", update(AuditEvent).where(AuditEvent.id == event_id).values(action="tampered")),
        ("audit_event", "delete", delete(AuditEvent).where(AuditEvent.id == event_id)),
    ]
    for table, verb, statement in statements:
        with subtests.test(table=table, verb=verb):
            with pytest.raises(DBAPIError) as caught:
                session.execute(statement)
            assert "append-only" in str(caught.value)
            session.rollback()

    # The ORM path is refused too.
    revision = session.get(Revision, revision_id)
    revision.reason = "rewritten through the ORM"
    with pytest.raises(DBAPIError):
        session.flush()
    session.rollback()

    assert session.execute(select(Revision.__table__).where(Revision.id == revision_id)).one() == \
        originals["revision"]
    assert session.execute(select(AuditEvent.__table__).where(AuditEvent.id == event_id)).one() == \
        originals["audit_event"]


def _template_row(session, table, **where) -> dict:
    """An existing row of `table` as a dict without its id, to insert near-copies of."""
    row = dict(session.execute(select(table).filter_by(**where).limit(1)).mappings().one())
    row.pop("id")
    return row


def test_database_checks_refuse_bad_rows_that_skip_the_services(session, subtests):
    measurement_t, measure_t, user_t = Measurement.__table__, Measure.__table__, User.__table__
    good_measurement = {**_template_row(session, measurement_t), "period": date(2031, 1, 1), "version": 1}
    good_measure = {**_template_row(session, measure_t), "slug": "check-constraint-probe"}
    department_id = session.scalar(select(Department.id).order_by(Department.id))
    good_user = {"email": "probe@example.org", "display_name": "Probe", "password_hash": "x", "role": "editor",
                 "department_id": department_id, "active": True,
                 "created_at": datetime(2026, 11, 28, tzinfo=UTC)}
    session.rollback()

    cases = [
        ("measurement state", measurement_t, good_measurement, {"state": "bogus"}, "ck_measurement_state"),
        ("measurement period", measurement_t, good_measurement, {"period": date(2031, 1, 15)},
         "ck_measurement_period_first_of_month"),
        ("measure direction", measure_t, good_measure, {"direction": "sideways"}, "ck_measure_direction"),
        ("editor without department", user_t, good_user, {"department_id": None},
         "ck_app_user_editor_has_department"),
        ("upper-case email", user_t, good_user, {"email": "Probe@Example.org"}, "ck_app_user_email_lowercase"),
    ]
    for name, table, good, bad, constraint in cases:
        with subtests.test(case=name):
            # The unchanged row is accepted, so the refusal below is down to the one bad field.
            session.execute(insert(table).values(**good))
            session.rollback()
            with pytest.raises(IntegrityError) as caught:
                session.execute(insert(table).values(**{**good, **bad}))
            assert constraint in str(caught.value)
            session.rollback()

    with subtests.test(case="ORM flush of a bogus state"):
        existing = session.scalar(select(Measurement).order_by(Measurement.id).limit(1))
        existing.state = "bogus"
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


# --- entry that cannot silently store a wrong figure ----------------------------------------------------------


def running_total(session) -> Measure:
    """A cumulative measure of the Office of Community Development."""
    return session.scalar(select(Measure).join(Department, Department.id == Measure.owner_department_id)
                          .where(Department.slug == "ocd", Measure.cumulative.is_(True)).order_by(Measure.slug))


def test_the_measure_unit_and_decimals_decide_what_a_typed_figure_means(session):
    editor = actor(session, "editor")
    measure = running_total(session)
    before = snapshot(session)
    for raw, phrase in (("12.430,5", "dots for thousands"), ("12.7", "whole"), ("45%", "% sign")):
        with pytest.raises(ValidationError, match=phrase):
            submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=raw, today=TODAY)
    assert snapshot(session) == before


def test_months_before_the_baseline_are_refused(session):
    editor = actor(session, "editor")
    measure = running_total(session)
    before = snapshot(session)
    for period in (date(2016, 1, 1), date(1, 1, 1), add_months(measure.baseline_period, -1)):
        with pytest.raises(ValidationError) as caught:
            submit_value(session, editor, measure_id=measure.id, period=period, value=1, today=TODAY)
        assert caught.value.field == "period" and "baseline" in caught.value.message
    assert snapshot(session) == before


def test_a_running_total_that_falls_needs_a_confirmation_and_a_note(session):
    editor = actor(session, "editor")
    measure = running_total(session)
    october = measurement(session, measure, LAST_SEEDED_MONTH)
    lower = october.value - 5
    before = snapshot(session)
    for kwargs in ({}, {"confirm_drop": True}, {"note": "Five awards were withdrawn."}):
        with pytest.raises(ValidationError) as caught:
            submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=lower, today=TODAY, **kwargs)
        assert caught.value.field == "confirm_drop"
        assert "running total" in caught.value.message and "The total really fell" in caught.value.message
    assert snapshot(session) == before
    m = submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=lower, today=TODAY,
                     confirm_drop=True, note="Five awards were withdrawn.")
    assert m.value == lower
    # A figure at or above last month's needs nothing.
    with pytest.raises(ValidationError, match="running total"):
        correct_value(session, editor, measurement_id=m.id, expected_version=m.version, value=lower - 1,
                      reason="One more award was withdrawn.", note="")
    fixed = correct_value(session, editor, measurement_id=m.id, expected_version=m.version, value=october.value + 3,
                          reason="The withdrawals were reversed.")
    assert fixed.value == october.value + 3


def test_notes_and_reasons_have_a_limit_and_are_not_echoed(session):
    editor = actor(session, "editor")
    measure = running_total(session)
    higher = measurement(session, measure, LAST_SEEDED_MONTH).value + 1
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        submit_value(session, editor, measure_id=measure.id, period=THIS_MONTH, value=higher, today=TODAY,
                     note="n" * 10_000)
    assert caught.value.field == "note" and "10,000 characters" in caught.value.message
    assert len(caught.value.message) < 200
    stored = measurement(session, measure, LAST_SEEDED_MONTH)
    with pytest.raises(ValidationError) as caught:
        correct_value(session, editor, measurement_id=stored.id, expected_version=stored.version,
                      value=stored.value + 1, reason="r" * 5_000)
    assert caught.value.field == "reason" and len(caught.value.message) < 200
    assert snapshot(session) == before
