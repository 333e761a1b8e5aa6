"""Personal API tokens: create (the secret is returned once), list, revoke, and authenticate a presented token.

A token is `rs_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is stored, so a copy of the
database gives no one a usable token; a presented token is hashed and looked up by that hash (a unique index), so
no comparison runs over secret characters one at a time. Every creation and revocation is audited.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import record_audit
from models.base import utcnow
from models.errors import NotFound, PermissionDenied, ValidationError
from models.org import ApiToken, User
from models.services import Actor

TOKEN_PREFIX = "rs_"
TOKEN_PATTERN = re.compile(r"^rs_[A-Za-z0-9_-]{43}$")
DISPLAY_PREFIX_LENGTH = 11  # "rs_" and eight characters: enough to tell tokens apart, far too few to guess the rest
MAX_NAME_LENGTH = 100
MAX_ACTIVE_TOKENS = 20
# Only people who may write figures get a token: the read API needs none.
WRITING_ROLES = ("editor", "admin")
REFUSALS = {
    "missing": "Send your API token in the Authorization header: 'Authorization: Bearer rs_...'.",
    "malformed": "That is not a RecoveryStat API token (they start with rs_ and have 46 characters). Check that the "
                 "whole token was copied.",
    "unknown": "This API token is not known. Check that the whole token was copied, or create a new one on the "
               "API tokens page.",
    "revoked": "This API token was revoked. Create a new one on the API tokens page.",
    "inactive": "The account this API token belongs to is deactivated. Ask the performance team.",
}


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a presented token: the token and its user, or the reason it is refused."""

    token: ApiToken | None
    user: User | None
    refusal: str | None

    @property
    def message(self) -> str:
        """What to tell the caller when the token is refused."""
        return REFUSALS.get(self.refusal or "", "")


def hash_token(secret: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh token secret: rs_ and 43 URL-safe characters."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _snapshot(token: ApiToken) -> dict[str, object]:
    return {"user_id": token.user_id, "name": token.name, "prefix": token.prefix,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


def _clean_name(name: str | None) -> str:
    cleaned = " ".join("".join(c for c in (name or "") if c.isprintable()).split())
    if not cleaned:
        raise ValidationError("Give the token a name, e.g. the system that will use it (“State grants export”).",
                              field="name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(f"The name is {len(cleaned):,} characters long; it may have at most {MAX_NAME_LENGTH}.",
                              field="name")
    return cleaned


def create_token(session: Session, user: User, name: str | None, *, actor: str) -> tuple[ApiToken, str]:
    """Add a token for `user` and return it with its secret (the only time the secret exists); audited."""
    if not user.active:
        raise ValidationError(f"{user.email} is deactivated, so no token can be created for it.", field="user")
    if user.role not in WRITING_ROLES:
        raise PermissionDenied(f"{user.email} is a viewer and cannot write figures, so a token would do nothing. "
                               "The read API needs no token.")
    name = _clean_name(name)
    active = session.scalar(select(func.count()).select_from(ApiToken)
                            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"You have {active} tokens in use, the most allowed. Revoke one you no longer need, "
                              "then create the new one.", field="name")
    secret = new_secret()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:DISPLAY_PREFIX_LENGTH], created_at=utcnow())
    session.add(token)
    session.flush()
    record_audit(session, actor=actor, action="api_token.create", entity_type="api_token", entity_id=token.id,
                 user_id=user.id, after=_snapshot(token))
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """A person's tokens, newest first, revoked ones included (marked by `revoked_at`)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token: its owner may, and the performance team may revoke anyone's; audited."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != "admin"):
        # Someone else's token is "not found" for an editor: its existence is none of their business.
        raise NotFound("That token is not among yours. Reload the page to see your tokens.")
    if token.revoked_at is not None:
        raise ValidationError(f"The token “{token.name}” was already revoked.", field="token")
    before = _snapshot(token)
    token.revoked_at = utcnow()
    session.flush()
    record_audit(session, actor=actor.email, action="api_token.revoke", entity_type="api_token",
                 entity_id=token.id, user_id=actor.id, before=before, after=_snapshot(token))
    return token


def authenticate_token(session: Session, presented: str | None, *, now: datetime | None = None) -> TokenCheck:
    """Check a presented token; a usable one gets its last-used time set (the caller commits)."""
    if not presented:
        return TokenCheck(None, None, "missing")
    if not TOKEN_PATTERN.match(presented):
        return TokenCheck(None, None, "malformed")
    digest = hash_token(presented)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash; comparing the stored hash again costs nothing and keeps the check explicit.
    if token is None or not secrets.compare_digest(token.token_hash, digest):
        return TokenCheck(None, None, "unknown")
    if token.revoked_at is not None:
        return TokenCheck(token, None, "revoked")
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return TokenCheck(token, None, "inactive")
    token.last_used_at = now or utcnow()
    return TokenCheck(token, user, None)
