"""Account services: create people, check passwords, record sign-ins."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.audit import record_audit
from models.base import utcnow
from models.errors import ValidationError
from models.org import ROLES, Department, User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12
# A fixed hash to compare against when the email is unknown, so response time does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


MAX_EMAIL_LENGTH = 254  # RFC 5321's limit, and the width of the email columns


def normalize_email(email: str) -> str:
    """Trim and lower-case an email so lookups are case-insensitive; control characters (a NUL would make
    PostgreSQL refuse the query) are dropped and the result is cut to the column's width."""
    cleaned = "".join(c for c in (email or "") if c.isprintable())
    return cleaned.strip().lower()[:MAX_EMAIL_LENGTH]


def generate_password() -> str:
    """A random password that is easy to copy (URL-safe, 16 characters)."""
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    department_slug: str | None = None,
    display_name: str | None = None,
    actor: str = "system",
) -> User:
    """Validate and add a user (hashed password) with an audit event; the caller commits."""
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"'{email}' is not an email address.", field="email")
    if role not in ROLES:
        raise ValidationError(f"Unknown role '{role}'. Choose one of: {', '.join(ROLES)}.", field="role")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    department = None
    if department_slug:
        department = session.scalar(select(Department).where(Department.slug == department_slug))
        if department is None:
            known = ", ".join(session.scalars(select(Department.slug).order_by(Department.slug)))
            raise ValidationError(
                f"Unknown department '{department_slug}'. Known departments: {known or 'none (run seed first)'}.",
                field="department",
            )
    if role == "editor" and department is None:
        raise ValidationError("An editor must belong to a department: pass --department SLUG.", field="department")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ValidationError(f"A user with the email {email} exists already.", field="email")
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=generate_password_hash(password),
        role=role,
        department=department,
        active=True,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        after={"email": email, "role": role, "department": department_slug},
    )
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with this email and password, or None; audits both outcomes."""
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        record_audit(session, actor=email or "anonymous", action="login.failed", entity_type="user",
                     after={"reason": "unknown email"})
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        record_audit(session, actor=email, action="login.failed", entity_type="user", entity_id=user.id,
                     user_id=user.id, after={"reason": "inactive" if user.active is False else "wrong password"})
        return None
    user.last_login_at = utcnow()
    record_audit(session, actor=email, action="login", entity_type="user", entity_id=user.id, user_id=user.id)
    return user


def record_logout(session: Session, user: User) -> None:
    """Audit a sign-out."""
    record_audit(session, actor=user.email, action="logout", entity_type="user", entity_id=user.id, user_id=user.id)


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """Give an account a new password (hashed) and end every session signed with the old one; audited."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    user.password_hash = generate_password_hash(password)
    user.end_sessions()
    record_audit(session, actor=actor, action="user.password", entity_type="user", entity_id=user.id,
                 user_id=user.id, after={"sessions": "ended"})
