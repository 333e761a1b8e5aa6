"""Account services (models/accounts.py): creating people and signing them in, with the audit trail of both."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from conftest import TEST_PASSWORD, TEST_USERS
from models.accounts import MIN_PASSWORD_LENGTH, authenticate, create_user
from models.audit import AuditEvent
from models.base import make_engine, make_session_factory
from models.errors import ValidationError
from models.org import Department, User

PASSWORD = "a-long-enough-passphrase"


def counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(AuditEvent)))


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_create_user_hashes_the_password_normalizes_the_email_and_audits(session, db_url):
    user = create_user(session, email="  New.Editor@Example.ORG ", password=PASSWORD, role="editor",
                       department_slug="ocd", display_name="New Editor", actor="admin@example.org")
    session.commit()

    engine = make_engine(db_url)
    with make_session_factory(engine)() as other:
        stored = other.scalar(select(User).where(User.id == user.id))
        assert stored.email == "new.editor@example.org"
        assert stored.password_hash != PASSWORD and PASSWORD not in stored.password_hash
        assert check_password_hash(stored.password_hash, PASSWORD)
        assert not check_password_hash(stored.password_hash, PASSWORD.upper())
        assert (stored.role, stored.department.slug, stored.display_name, stored.active) == (
            "editor", "ocd", "New Editor", True)
        assert stored.last_login_at is None

        event = events(other, "user.create")[-1]
        assert (event.actor, event.entity_type, event.entity_id) == ("admin@example.org", "user", str(user.id))
        assert event.after == {"email": "new.editor@example.org", "role": "editor", "department": "ocd"}
        assert PASSWORD not in str(event.after) and stored.password_hash not in str(event.after)
    engine.dispose()

    # Viewers and admins need no department; the display name defaults to the email's local part.
    viewer = create_user(session, email="deputy@example.org", password=PASSWORD, role="viewer")
    assert (viewer.department_id, viewer.display_name) == (None, "deputy")


def test_create_user_refusals_name_the_field_and_write_nothing(session, subtests):
    known = sorted(session.scalars(select(Department.slug)))
    existing = TEST_USERS["admin"][0]
    cases = [
        ("unknown role", dict(role="superuser"), "role", ["superuser", "admin", "viewer", "editor"]),
        ("unknown department", dict(department_slug="no-such-dept"), "department", ["no-such-dept", *known]),
        ("editor without department", dict(role="editor", department_slug=None), "department", ["department"]),
        ("short password", dict(password="x" * (MIN_PASSWORD_LENGTH - 1)), "password",
         [str(MIN_PASSWORD_LENGTH)]),
        ("empty password", dict(password=""), "password", [str(MIN_PASSWORD_LENGTH)]),
        ("not an email", dict(email="not-an-email"), "email", ["not-an-email"]),
        ("duplicate email, other case", dict(email=existing.upper()), "email", [existing]),
        ("duplicate email, padded", dict(email=f"  {existing}  "), "email", [existing]),
    ]
    valid = dict(email="someone.new@example.org", password=PASSWORD, role="editor", department_slug="ocd")
    for name, changes, field, phrases in cases:
        with subtests.test(case=name):
            before = counts(session)
            with pytest.raises(ValidationError) as caught:
                create_user(session, **{**valid, **changes})
            assert caught.value.field == field
            for phrase in phrases:
                assert phrase in caught.value.message, (phrase, caught.value.message)
            assert counts(session) == before
    # The valid form itself is accepted, so each refusal above was down to its one change.
    create_user(session, **valid)


def test_authenticate_checks_password_and_activity_and_audits_every_attempt(session, subtests):
    email = TEST_USERS["editor"][0]
    user = session.scalar(select(User).where(User.email == email))
    assert user.last_login_at is None

    with subtests.test("wrong password"):
        failed_before = len(events(session, "login.failed"))
        assert authenticate(session, email, TEST_PASSWORD + "x") is None
        assert authenticate(session, email, "") is None
        failures = events(session, "login.failed")[failed_before:]
        assert [(e.actor, e.user_id, e.after["reason"]) for e in failures] == [(email, user.id, "wrong password")] * 2
        assert user.last_login_at is None

    with subtests.test("unknown email"):
        assert authenticate(session, "Nobody@Example.org", TEST_PASSWORD) is None
        event = events(session, "login.failed")[-1]
        assert (event.actor, event.user_id, event.after["reason"]) == ("nobody@example.org", None, "unknown email")

    with subtests.test("right password, email in another case"):
        logins_before = len(events(session, "login"))
        started = datetime.now(UTC)
        signed_in = authenticate(session, f"  {email.upper()} ", TEST_PASSWORD)
        assert signed_in is not None and signed_in.id == user.id
        assert signed_in.last_login_at is not None
        assert started - timedelta(seconds=5) <= signed_in.last_login_at <= datetime.now(UTC)
        logins = events(session, "login")[logins_before:]
        assert [(e.actor, e.user_id, e.entity_id) for e in logins] == [(email, user.id, str(user.id))]
        session.commit()
        stored = session.scalar(select(User.last_login_at).where(User.id == user.id))
        assert stored is not None

    with subtests.test("inactive user, right password"):
        user.active = False
        session.commit()
        login_count, failed_before = len(events(session, "login")), len(events(session, "login.failed"))
        last_login = session.scalar(select(User.last_login_at).where(User.id == user.id))
        assert authenticate(session, email, TEST_PASSWORD) is None
        assert len(events(session, "login")) == login_count
        failures = events(session, "login.failed")[failed_before:]
        assert [(e.user_id, e.after["reason"]) for e in failures] == [(user.id, "inactive")]
        assert session.scalar(select(User.last_login_at).where(User.id == user.id)) == last_login
