"""Who takes part: departments and partner agencies, and the people who sign in."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

DEPARTMENT_KINDS = ("city-parish", "state", "federal", "partner", "nonprofit")
DEPARTMENT_KIND_LABELS = {
    "city-parish": "City-Parish department",
    "state": "State agency",
    "federal": "Federal agency",
    "partner": "Partner agency",
    "nonprofit": "Nonprofit",
}
ROLES = ("admin", "viewer", "editor")
ROLE_LABELS = {
    "admin": "Performance team (admin)",
    "viewer": "Mayor's office (viewer)",
    "editor": "Department staff (editor)",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL text for a CHECK that `column` is one of `values`."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Department(Base):
    """A City-Parish department or a state, federal or partner agency that owns measures."""

    __tablename__ = "department"
    __table_args__ = (CheckConstraint(_in("kind", DEPARTMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))

    users: Mapped[list[User]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


def new_session_token() -> str:
    """A random token that ties signed sessions to the account's current state."""
    return secrets.token_hex(16)


class User(Base):
    """A person who signs in: performance team (admin), mayor's office (viewer) or department staff (editor)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'editor' OR department_id IS NOT NULL", name="editor_has_department"),
        # Emails are stored lower-cased so the unique key is case-insensitive on every database.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every signed session: replacing it (sign-out, password change, deactivation) ends every session
    # signed before, wherever its cookie is kept.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: new_session_token())
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )

    department: Mapped[Department | None] = relationship(back_populates="users")

    # Flask-Login's user protocol, kept free of Flask imports.
    @property
    def is_authenticated(self) -> bool:
        """Signed-in users are always authenticated."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        """A stored user is never anonymous."""
        return False

    def get_id(self) -> str:
        """The identifier Flask-Login keeps in the session: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Make every session signed before now invalid (the caller commits)."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


INVITATION_PURPOSES = ("invite", "reset")


class Invitation(Base):
    """A one-time link for a person to set their own password: on invitation, or after a forced reset.

    Only a hash of the token is stored; the link itself is shown once to the admin who issued it (and emailed when
    mail is configured). A link works once, until it expires, and only while it is the account's newest link.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint(_in("purpose", INVITATION_PURPOSES), name="purpose"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the token
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiToken(Base):
    """A personal API token a partner system sends as `Authorization: Bearer ...` to write figures as its owner.

    Only the SHA-256 of the secret is kept (the secret is shown once, when the token is created); `prefix` is its
    first characters, enough for a person to tell their tokens apart. A revoked token stays listed, refused.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="token_hash_length"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of user {self.user_id}>"
