"""Personal API tokens (models/tokens.py): the secret exists once, only its hash is stored, and every refusal holds.

Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the `session` fixture).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from conftest import TEST_USERS
from models.audit import AuditEvent
from models.errors import NotFound, PermissionDenied, ValidationError
from models.org import ApiToken, User
from models.services import Actor
from models.tokens import (
    MAX_ACTIVE_TOKENS,
    authenticate_token,
    create_token,
    list_tokens,
    new_secret,
    revoke_token,
)


def user(session, who: str) -> User:
    return session.scalar(select(User).where(User.email == TEST_USERS[who][0]))


def tokens_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ApiToken))


def test_a_created_token_is_returned_once_and_stored_only_as_its_hash(session):
    editor = user(session, "editor")
    token, secret = create_token(session, editor, "  State grants   export ", actor=editor.email)
    session.commit()
    assert secret.startswith("rs_") and len(secret) == 46
    stored = session.execute(select(ApiToken.__table__)).mappings().one()
    assert stored["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored["prefix"] == secret[:11] and stored["name"] == "State grants export"
    assert all(secret not in str(value) for value in stored.values()), "the secret itself must never be stored"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.create"))
    assert event is not None and event.entity_id == str(token.id) and event.actor == editor.email
    assert secret not in str(event.after) and event.after["prefix"] == secret[:11]


def test_two_tokens_never_share_a_secret():
    assert len({new_secret() for _ in range(200)}) == 200


@pytest.mark.parametrize("name, message", [("", "Give the token a name"), ("   ", "Give the token a name"),
                                           ("x" * 101, "at most 100")])
def test_a_token_needs_a_short_name(session, name, message):
    with pytest.raises(ValidationError, match=message):
        create_token(session, user(session, "editor"), name, actor="test")
    session.rollback()
    assert tokens_count(session) == 0


def test_viewers_and_deactivated_accounts_get_no_token(session):
    with pytest.raises(PermissionDenied, match="viewer"):
        create_token(session, user(session, "viewer"), "Reports", actor="test")
    editor = user(session, "editor")
    editor.active = False
    with pytest.raises(ValidationError, match="deactivated"):
        create_token(session, editor, "Reports", actor="test")
    session.rollback()
    assert tokens_count(session) == 0


def test_active_tokens_are_limited_per_person(session):
    editor = user(session, "editor")
    for number in range(MAX_ACTIVE_TOKENS):
        create_token(session, editor, f"System {number}", actor="test")
    with pytest.raises(ValidationError, match="Revoke one"):
        create_token(session, editor, "One too many", actor="test")


def test_authenticate_accepts_a_valid_token_and_records_its_use(session):
    editor = user(session, "editor")
    token, secret = create_token(session, editor, "Export", actor="test")
    session.commit()
    assert token.last_used_at is None
    moment = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    check = authenticate_token(session, secret, now=moment)
    session.commit()
    assert check.refusal is None and check.user is not None and check.user.id == editor.id
    stored = session.execute(select(ApiToken.last_used_at).where(ApiToken.id == token.id)).scalar()
    assert stored is not None and stored.replace(tzinfo=UTC) == moment


def test_authenticate_refuses_missing_malformed_unknown_revoked_and_inactive(session):
    editor = user(session, "editor")
    revoked, revoked_secret = create_token(session, editor, "Old", actor="test")
    _, live_secret = create_token(session, editor, "Live", actor="test")
    revoke_token(session, Actor.of(editor), revoked.id)
    session.commit()
    assert authenticate_token(session, None).refusal == "missing"
    assert authenticate_token(session, "").refusal == "missing"
    for malformed in ("abc", live_secret[:-1], live_secret + "x", "rs_" + "!" * 43, live_secret.upper()[:2] + "x"):
        assert authenticate_token(session, malformed).refusal == "malformed", malformed
    assert authenticate_token(session, new_secret()).refusal == "unknown"
    check = authenticate_token(session, revoked_secret)
    assert check.refusal == "revoked" and check.user is None and "revoked" in check.message
    assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == revoked.id)) is None
    editor.active = False
    session.commit()
    check = authenticate_token(session, live_secret)
    assert check.refusal == "inactive" and check.user is None


def test_people_revoke_their_own_tokens_and_admins_anyone(session):
    editor, other = user(session, "editor"), user(session, "state_editor")
    own, _ = create_token(session, editor, "Mine", actor="test")
    theirs, _ = create_token(session, other, "Theirs", actor="test")
    session.commit()
    with pytest.raises(NotFound):
        revoke_token(session, Actor.of(editor), theirs.id)
    with pytest.raises(NotFound):
        revoke_token(session, Actor.of(editor), 999_999)
    session.rollback()
    assert session.get(ApiToken, theirs.id).revoked_at is None
    revoke_token(session, Actor.of(editor), own.id)
    revoke_token(session, Actor.of(user(session, "admin")), theirs.id)
    session.commit()
    assert session.get(ApiToken, own.id).revoked_at is not None
    assert session.get(ApiToken, theirs.id).revoked_at is not None
    with pytest.raises(ValidationError, match="already revoked"):
        revoke_token(session, Actor.of(editor), own.id)
    session.rollback()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoke")
                             .order_by(AuditEvent.id)).all()
    assert [(e.entity_id, e.actor) for e in events] == [(str(own.id), editor.email),
                                                         (str(theirs.id), "admin@example.org")]


def test_list_shows_only_the_persons_own_tokens_newest_first(session):
    editor, other = user(session, "editor"), user(session, "state_editor")
    first, _ = create_token(session, editor, "First", actor="test")
    second, _ = create_token(session, editor, "Second", actor="test")
    create_token(session, other, "Not yours", actor="test")
    session.commit()
    assert [t.name for t in list_tokens(session, editor.id)] == ["Second", "First"]
