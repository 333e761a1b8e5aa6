"""Admin services for people (models/admin_people.py), annotations (models/annotations.py) and the audit log
(models/audit_log.py): admin only inside the service, every change audited, the last active admin kept, one-time
links hashed, single-use and expiring, a forced reset ending sessions."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from conftest import TEST_PASSWORD, TEST_USERS
from models.accounts import authenticate
from models.admin_people import (
    INVITATION_DAYS,
    NO_PASSWORD,
    account_list,
    change_account,
    check_link,
    create_department,
    force_password_reset,
    hash_token,
    invite_user,
    redeem_link,
    set_account_active,
    update_department,
)
from models.annotations import annotation_list, create_annotation, delete_annotation, update_annotation
from models.audit import AuditEvent, current_data_version
from models.audit_log import AuditFilter, audit_choices, audit_events
from models.catalog import Annotation, Measure
from models.errors import PermissionDenied, ValidationError
from models.org import Department, Invitation, User
from models.services import Actor

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "a-brand-new-passphrase"


def actor(session, who: str) -> Actor:
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS[who][0])))


def user(session, who: str) -> User:
    return session.scalar(select(User).where(User.email == TEST_USERS[who][0]))


def department_id(session, slug: str) -> int:
    return session.scalar(select(Department.id).where(Department.slug == slug))


def last_event(session) -> AuditEvent:
    return session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


# Departments ---------------------------------------------------------------------------------------------------


def test_an_admin_adds_and_edits_a_nonprofit_partner_with_its_contact_audited(session):
    admin = actor(session, "admin")
    version = current_data_version(session)
    created = create_department(session, admin, slug=" Build-Baton-Rouge ", name="Build Baton Rouge",
                                kind="nonprofit", contact_name="Dana Contact", contact_email=" Dana@Example.org ")
    session.commit()
    assert (created.slug, created.kind, created.contact_email) == ("build-baton-rouge", "nonprofit", "dana@example.org")
    event = last_event(session)
    assert (event.action, event.actor, event.entity_id) == ("department.create", "admin@example.org", str(created.id))
    assert event.after["contact_name"] == "Dana Contact"
    assert current_data_version(session) > version

    update_department(session, admin, department_id=created.id, name="Build Baton Rouge Inc.", kind="partner",
                      contact_name="", contact_email="")
    session.commit()
    event = last_event(session)
    assert event.action == "department.update"
    assert event.before["kind"] == "nonprofit" and event.after == {
        "slug": "build-baton-rouge", "name": "Build Baton Rouge Inc.", "kind": "partner", "contact_name": None,
        "contact_email": None}


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"slug": "ocd"}, "slug", "exists already"),
    ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
    ({"name": "  "}, "name", "name"),
    ({"kind": "county"}, "kind", "Nonprofit"),
    ({"contact_email": "nobody"}, "contact_email", "not an email address"),
])
def test_a_department_with_bad_details_is_refused_with_the_field_and_nothing_written(session, fields, field, words):
    before = (session.scalar(select(func.count()).select_from(Department)), audit_count(session))
    values = {"slug": "new-agency", "name": "New Agency", "kind": "state", "contact_email": None} | fields
    with pytest.raises(ValidationError, match=words) as refused:
        create_department(session, actor(session, "admin"), **values)
    assert refused.value.field == field
    session.rollback()
    assert (session.scalar(select(func.count()).select_from(Department)), audit_count(session)) == before


@pytest.mark.parametrize("who", ["viewer", "editor", None])
def test_only_admins_change_departments_accounts_and_annotations(session, who):
    someone = actor(session, who) if who else None
    ocd = department_id(session, "ocd")
    editor = user(session, "editor")
    calls = [
        lambda: create_department(session, someone, slug="x-agency", name="X", kind="state"),
        lambda: update_department(session, someone, department_id=ocd, name="Renamed", kind="city-parish"),
        lambda: invite_user(session, someone, email="new@example.org", display_name="New", role="viewer"),
        lambda: change_account(session, someone, user_id=editor.id, role="viewer"),
        lambda: set_account_active(session, someone, user_id=editor.id, active=False),
        lambda: force_password_reset(session, someone, user_id=editor.id),
        lambda: create_annotation(session, someone, event_date="2026-01-05", text="x", scope="none", source="s"),
        lambda: audit_events(session, someone, AuditFilter()),
        lambda: audit_choices(session, someone),
    ]
    before = audit_count(session)
    for call in calls:
        with pytest.raises(PermissionDenied, match="performance team"):
            call()
    session.rollback()
    assert audit_count(session) == before
    assert session.get(Department, ocd).name == "Office of Community Development"


# Accounts and one-time links -----------------------------------------------------------------------------------


def test_an_invitation_creates_an_account_without_password_and_a_hashed_link_that_works_once(session):
    admin = actor(session, "admin")
    link = invite_user(session, admin, email="New.Editor@Example.org", display_name="New Editor", role="editor",
                       department_id=department_id(session, "ocd"), now=NOW)
    session.commit()
    assert link.path() == f"/invite/{link.token}" and len(link.token) >= 40
    assert link.expires_at == NOW + timedelta(days=INVITATION_DAYS)
    stored = session.scalar(select(Invitation).where(Invitation.user_id == link.user_id))
    assert stored.token_hash == hash_token(link.token) and link.token not in stored.token_hash
    invited = session.get(User, link.user_id)
    assert invited.password_hash == NO_PASSWORD and invited.email == "new.editor@example.org"
    assert authenticate(session, "new.editor@example.org", NO_PASSWORD) is None, "no password signs in yet"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.invite"))
    assert event.after["role"] == "editor" and event.after["department"] == "ocd"
    assert link.token not in str(event.after) and stored.token_hash not in str(event.after)
    row = next(r for r in account_list(session, now=NOW) if r.id == link.user_id)
    assert row.state == "Waiting for the person to set a password" and row.link_expires_at is not None

    assert check_link(session, link.token, now=NOW).email == "new.editor@example.org"
    with pytest.raises(ValidationError, match="at least 12"):
        redeem_link(session, link.token, password="short", confirm="short", now=NOW)
    with pytest.raises(ValidationError, match="not the same"):
        redeem_link(session, link.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD + "x", now=NOW)
    session.rollback()
    redeem_link(session, link.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD, now=NOW + timedelta(hours=1))
    session.commit()
    assert authenticate(session, "new.editor@example.org", NEW_PASSWORD) is not None
    assert last_event(session).action == "login"
    set_event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password"))
    assert (set_event.actor, set_event.entity_id) == ("new.editor@example.org", str(link.user_id))

    assert check_link(session, link.token, now=NOW).problem == "used"
    with pytest.raises(ValidationError, match="used already") as again:
        redeem_link(session, link.token, password="another-passphrase", confirm="another-passphrase", now=NOW)
    assert again.value.field == "link"


def test_a_link_expires_and_an_unknown_or_replaced_link_is_refused(session):
    admin = actor(session, "admin")
    link = invite_user(session, admin, email="late@example.org", display_name="Late", role="viewer", now=NOW)
    session.commit()
    later = NOW + timedelta(days=INVITATION_DAYS, seconds=1)
    assert check_link(session, link.token, now=later).problem == "expired"
    with pytest.raises(ValidationError, match="expired"):
        redeem_link(session, link.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD, now=later)
    assert check_link(session, "not-a-real-token").problem == "unknown"
    assert check_link(session, "").problem == "unknown"

    newer = force_password_reset(session, admin, user_id=link.user_id, now=later)
    session.commit()
    assert newer.purpose == "invite", "someone who never set a password is sent a new invitation"
    assert check_link(session, link.token, now=later).problem == "replaced"
    assert check_link(session, newer.token, now=later).problem is None


def test_a_forced_reset_ends_sessions_makes_the_password_unusable_and_issues_a_new_link(session):
    admin = actor(session, "admin")
    editor = user(session, "editor")
    token_before = editor.session_token
    link = force_password_reset(session, admin, user_id=editor.id, now=NOW)
    session.commit()
    session.refresh(editor)
    assert editor.session_token != token_before, "every session signed before is ended"
    assert authenticate(session, editor.email, TEST_PASSWORD) is None, "the old password no longer works"
    assert link.purpose == "reset"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reset"))
    assert event.entity_id == str(editor.id) and event.after["sessions"] == "ended"
    redeem_link(session, link.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD, now=NOW)
    session.commit()
    assert authenticate(session, editor.email, NEW_PASSWORD) is not None
    with pytest.raises(ValidationError, match="your own password"):
        force_password_reset(session, admin, user_id=admin.id)


def test_the_last_active_admin_cannot_be_deactivated_or_demoted_by_anyone(session):
    # The seed's second admin (the reviewer) has left: one active admin remains.
    session.execute(update(User).where(User.email == TEST_USERS["reviewer"][0]).values(active=False))
    session.commit()
    admin = actor(session, "admin")
    before = audit_count(session)
    with pytest.raises(ValidationError, match="last active admin") as refused:
        set_account_active(session, admin, user_id=admin.id, active=False)
    assert refused.value.field == "last_admin"
    with pytest.raises(ValidationError, match="last active admin"):
        change_account(session, admin, user_id=admin.id, role="viewer")
    session.rollback()
    assert audit_count(session) == before

    # A second admin: now either may step down, but the one left cannot be removed by the other.
    viewer = user(session, "viewer")
    change_account(session, admin, user_id=viewer.id, role="admin")
    session.commit()
    second = Actor.of(session.get(User, viewer.id))
    set_account_active(session, second, user_id=admin.id, active=False)
    session.commit()
    assert session.get(User, admin.id).active is False
    with pytest.raises(ValidationError, match="your own account: it is the last active admin"):
        change_account(session, second, user_id=second.id, role="viewer")
    session.rollback()
    # A deactivated admin does not count: reactivating them makes two again.
    set_account_active(session, second, user_id=admin.id, active=True)
    change_account(session, second, user_id=second.id, role="viewer")
    session.commit()
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.id > before).order_by(AuditEvent.id)))
    assert actions == ["user.change", "user.deactivate", "user.reactivate", "user.change"]


def test_deactivating_ends_sessions_and_open_links_and_role_changes_need_a_department_for_editors(session):
    admin = actor(session, "admin")
    link = invite_user(session, admin, email="gone@example.org", display_name="Gone", role="viewer", now=NOW)
    session.commit()
    invited = session.get(User, link.user_id)
    token_before = invited.session_token
    set_account_active(session, admin, user_id=invited.id, active=False, now=NOW)
    session.commit()
    assert invited.session_token != token_before
    assert check_link(session, link.token, now=NOW).problem == "inactive"
    with pytest.raises(ValidationError, match="deactivated"):
        redeem_link(session, link.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD, now=NOW)
    with pytest.raises(ValidationError, match="Reactivate it first"):
        force_password_reset(session, admin, user_id=invited.id, now=NOW)
    session.rollback()

    viewer = user(session, "viewer")
    with pytest.raises(ValidationError, match="choose their department") as refused:
        change_account(session, admin, user_id=viewer.id, role="editor", department_id=None)
    assert refused.value.field == "department"
    session.rollback()
    change_account(session, admin, user_id=viewer.id, role="editor", department_id=department_id(session, "permits"))
    session.commit()
    event = last_event(session)
    assert event.before["role"] == "viewer" and event.after == {
        "email": viewer.email, "display_name": viewer.display_name, "role": "editor", "department": "permits",
        "active": True}


def test_an_invitation_is_refused_for_an_existing_email_a_bad_address_or_an_editor_without_department(session):
    admin = actor(session, "admin")
    before = (session.scalar(select(func.count()).select_from(User)), audit_count(session))
    for values, words in [
        ({"email": "ADMIN@example.org", "role": "viewer"}, "exists already"),
        ({"email": "not-an-address", "role": "viewer"}, "not an email address"),
        ({"email": "x@example.org", "role": "editor"}, "choose their department"),
        ({"email": "x@example.org", "role": "owner"}, "Choose a role"),
    ]:
        with pytest.raises(ValidationError, match=words):
            invite_user(session, admin, display_name="X", **values)
        session.rollback()
    assert (session.scalar(select(func.count()).select_from(User)), audit_count(session)) == before


# Annotations ---------------------------------------------------------------------------------------------------


def test_annotations_are_created_edited_and_deleted_with_an_audit_of_each(session):
    admin = actor(session, "admin")
    measure = session.scalar(select(Measure).where(Measure.slug == "ocd-rental-units-repaired"))
    version = current_data_version(session)
    created = create_annotation(session, admin, event_date="2026-03-02", text="Rental repair programme reopens.",
                                scope=f"measure:{measure.id}", source="OCD press release")
    session.commit()
    assert (created.measure_id, created.goal_id) == (measure.id, measure.goal_id)
    assert current_data_version(session) > version
    row = next(r for r in annotation_list(session) if r.id == created.id)
    assert row.scope == f"measure:{measure.id}" and row.scope_label.startswith("Measure: ")

    update_annotation(session, admin, annotation_id=created.id, event_date=date(2026, 3, 3),
                      text="Rental repair programme reopens.", scope=f"goal:{measure.goal_id}", source="OCD")
    session.commit()
    assert (created.measure_id, created.goal_id, created.event_date) == (None, measure.goal_id, date(2026, 3, 3))
    with pytest.raises(ValidationError, match="not a date") as bad:
        update_annotation(session, admin, annotation_id=created.id, event_date="03/03/2026", text="x",
                          scope="none", source="x")
    assert bad.value.field == "date"
    session.rollback()
    delete_annotation(session, admin, annotation_id=created.id)
    session.commit()
    assert session.get(Annotation, created.id) is None
    actions = [(e.action, e.entity_id) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "annotation").order_by(AuditEvent.id))]
    assert actions == [("annotation.create", str(created.id)), ("annotation.update", str(created.id)),
                       ("annotation.delete", str(created.id))]
    assert last_event(session).before["text"] == "Rental repair programme reopens."


# Audit log -----------------------------------------------------------------------------------------------------


def test_the_audit_log_filters_by_person_kind_and_dates_and_cannot_be_changed(session):
    admin = actor(session, "admin")
    create_annotation(session, admin, event_date="2026-01-05", text="Filter probe.", scope="none", source="test")
    session.commit()
    rows, total = audit_events(session, admin, AuditFilter(person="admin@example.org", action="annotation.create"))
    assert total == 1 and rows[0].action == "annotation.create" and rows[0].person == "admin@example.org"
    assert audit_events(session, admin, AuditFilter(person="mayor@example.org"))[1] == 0

    today = datetime.now(UTC).date()  # audit times are real timestamps, not the pinned "today" of the figures
    assert audit_events(session, admin, AuditFilter(action="annotation.create", start=today, end=today))[1] == 1
    assert audit_events(session, admin, AuditFilter(action="annotation.create",
                                                    end=today - timedelta(days=1)))[1] == 0
    assert audit_events(session, admin, AuditFilter(action="annotation.create",
                                                    start=today + timedelta(days=1)))[1] == 0
    people, actions = audit_choices(session, admin)
    assert "admin@example.org" in people and {"annotation.create", "user.create"} <= set(actions)
    with pytest.raises(ValidationError, match="after the 'to' date"):
        AuditFilter.parse(start="2026-02-01", end="2026-01-01")
    with pytest.raises(ValidationError, match="not a date"):
        AuditFilter.parse(start="yesterday")

    event = last_event(session)
    event.action = "rewritten"
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()


# Mail ----------------------------------------------------------------------------------------------------------


def test_mail_is_configured_only_with_a_server_and_a_sender_and_the_message_carries_the_link():
    from mail import link_message, mail_settings_or_none

    assert mail_settings_or_none({}) is None
    assert mail_settings_or_none({"MAIL_SERVER": "smtp.example.org"}) is None, "no sender, no mail"
    settings = mail_settings_or_none({"MAIL_SERVER": "smtp.example.org", "MAIL_FROM": "stat@example.org",
                                      "MAIL_USE_TLS": False, "MAIL_PORT": None})
    assert (settings.port, settings.use_tls, settings.username) == (25, False, None)
    link = "https://stat.example.org/invite/abc"
    invited = link_message(settings, to="a@example.org", display_name="Ana", link=link, purpose="invite",
                           expires="Nov 27, 2026, 9:00 AM")
    reset = link_message(settings, to="a@example.org", display_name="Ana", link=link, purpose="reset",
                         expires="Nov 27, 2026, 9:00 AM")
    assert invited["Subject"] == "RecoveryStat: your account is ready" and "new password" in reset["Subject"]
    for message in (invited, reset):
        body = message.get_content()
        assert link in body and "works once" in body and "Nov 27, 2026" in body
