"""Administration of who takes part: departments and partner agencies, accounts, and one-time password links.

Every function that changes something is for the performance team (admin role, checked here again), runs inside
the caller's one transaction, and records an audit event. Passwords are never shown nor stored in clear: an invited
person sets their own through a one-time link, of which only a SHA-256 hash is kept.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.accounts import EMAIL_PATTERN, MIN_PASSWORD_LENGTH, normalize_email, set_password
from models.audit import bump_data_version, record_audit
from models.base import utcnow
from models.catalog import Measure
from models.errors import NotFound, ValidationError
from models.org import DEPARTMENT_KIND_LABELS, DEPARTMENT_KINDS, ROLE_LABELS, ROLES, Department, Invitation, User
from models.services import Actor, require_admin

# What the services here are for, in the refusal a non-admin gets.
MANAGE = "manage departments and accounts"

INVITATION_DAYS = 7
# Stored instead of a password hash until the person sets one: no password matches it (it is not a hash at all).
NO_PASSWORD = "!no-password-set"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 200
MAX_SLUG_LENGTH = 64


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link just issued: the token (shown once, never stored) and for whom."""

    token: str
    user_id: int
    email: str
    display_name: str
    purpose: str
    expires_at: datetime

    def path(self) -> str:
        """The link's path on this site."""
        return f"/invite/{self.token}"


@dataclass(frozen=True)
class DepartmentRow:
    """A department or partner agency as the admin page lists it."""

    id: int
    slug: str
    name: str
    kind: str
    contact_name: str | None
    contact_email: str | None
    accounts: int
    measures: int

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return DEPARTMENT_KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class AccountRow:
    """An account as the admin page lists it (no password, no hash)."""

    id: int
    email: str
    display_name: str
    role: str
    department_id: int | None
    department_name: str | None
    active: bool
    has_password: bool
    last_login_at: datetime | None
    link_expires_at: datetime | None  # the open one-time link, if any

    @property
    def state(self) -> str:
        """Active, waiting for the person to set a password, or deactivated, in words."""
        if not self.active:
            return "Deactivated"
        if not self.has_password:
            return "Waiting for the person to set a password"
        return "Active"

    @property
    def role_label(self) -> str:
        """The role in words."""
        return ROLE_LABELS.get(self.role, self.role)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a one-time token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_password(user: User) -> bool:
    """Whether the person has set a password (an invited account has not yet)."""
    return user.password_hash != NO_PASSWORD


def _clean(raw: object, limit: int | None = None) -> str:
    """One line of what a person typed: stripped, without control characters."""
    text = "".join(c for c in str(raw or "") if c.isprintable()).strip()
    return text[:limit] if limit else text


# Departments and partner agencies ------------------------------------------------------------------------------


def department_list(session: Session) -> list[DepartmentRow]:
    """Every department and partner agency by name, with how many accounts and measures each has."""
    accounts = dict(session.execute(select(User.department_id, func.count()).group_by(User.department_id)).all())
    measures = dict(session.execute(
        select(Measure.owner_department_id, func.count()).group_by(Measure.owner_department_id)).all())
    return [DepartmentRow(d.id, d.slug, d.name, d.kind, d.contact_name, d.contact_email,
                          accounts.get(d.id, 0), measures.get(d.id, 0))
            for d in session.scalars(select(Department).order_by(func.lower(Department.name), Department.id))]


def _department_fields(name: object, kind: object, contact_name: object, contact_email: object) -> dict:
    """Validated department fields, or a ValidationError naming the field to fix."""
    clean_name = _clean(name)
    if not clean_name:
        raise ValidationError("Give the department or agency a name.", field="name")
    if len(clean_name) > MAX_NAME_LENGTH:
        raise ValidationError(f"Keep the name to {MAX_NAME_LENGTH} characters or fewer; it has {len(clean_name)}.",
                              field="name")
    if kind not in DEPARTMENT_KINDS:
        raise ValidationError("Choose what kind of body this is: "
                              + ", ".join(DEPARTMENT_KIND_LABELS[k] for k in DEPARTMENT_KINDS) + ".", field="kind")
    person = _clean(contact_name) or None
    if person is not None and len(person) > MAX_NAME_LENGTH:
        raise ValidationError(f"Keep the contact name to {MAX_NAME_LENGTH} characters or fewer.", field="contact_name")
    email = normalize_email(str(contact_email or "")) or None
    if email is not None and not EMAIL_PATTERN.match(email):
        raise ValidationError(f"'{email}' is not an email address (e.g. name@example.org). Correct it, or leave it "
                              "empty.", field="contact_email")
    return {"name": clean_name, "kind": kind, "contact_name": person, "contact_email": email}


def _department_record(d: Department) -> dict:
    return {"slug": d.slug, "name": d.name, "kind": d.kind, "contact_name": d.contact_name,
            "contact_email": d.contact_email}


def create_department(session: Session, actor: Actor | None, *, slug: object, name: object, kind: object,
                      contact_name: object = None, contact_email: object = None) -> Department:
    """Add a department or partner agency (admin only); the slug is fixed from then on. Audited."""
    admin = require_admin(actor, MANAGE)
    clean_slug = _clean(slug).lower()
    if not clean_slug:
        raise ValidationError("Give a short address name (slug), e.g. 'ocd' or 'la-housing'.", field="slug")
    if len(clean_slug) > MAX_SLUG_LENGTH or not SLUG_PATTERN.match(clean_slug):
        raise ValidationError(f"The slug '{clean_slug}' may only have lower-case letters, digits and single hyphens "
                              f"between them (at most {MAX_SLUG_LENGTH} characters), e.g. 'la-housing'.", field="slug")
    fields = _department_fields(name, kind, contact_name, contact_email)
    if session.scalar(select(func.count()).select_from(Department).where(Department.slug == clean_slug)):
        raise ValidationError(f"A department with the slug '{clean_slug}' exists already. Choose another slug, or "
                              "edit that department.", field="slug")
    department = Department(slug=clean_slug, **fields)
    session.add(department)
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="department.create", entity_type="department",
                 entity_id=department.id, after=_department_record(department))
    bump_data_version(session)
    return department


def update_department(session: Session, actor: Actor | None, *, department_id: object, name: object, kind: object,
                      contact_name: object = None, contact_email: object = None) -> Department:
    """Change a department's name, kind and contact (admin only); audited with before and after."""
    admin = require_admin(actor, MANAGE)
    department = session.get(Department, department_id) if isinstance(department_id, int) else None
    if department is None:
        raise NotFound("That department no longer exists. Reload the page.")
    fields = _department_fields(name, kind, contact_name, contact_email)
    before = _department_record(department)
    for key, value in fields.items():
        setattr(department, key, value)
    after = _department_record(department)
    if before == after:
        raise ValidationError("Nothing was changed: the department already has these details.", field="unchanged")
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="department.update", entity_type="department",
                 entity_id=department.id, before=before, after=after)
    bump_data_version(session)
    return department


# Accounts ------------------------------------------------------------------------------------------------------


def account_list(session: Session, *, now: datetime | None = None) -> list[AccountRow]:
    """Every account by name: role, department, state and any open one-time link (never a password)."""
    now = now or utcnow()
    open_links = dict(session.execute(
        select(Invitation.user_id, func.max(Invitation.expires_at))
        .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .group_by(Invitation.user_id)).all())
    rows = session.execute(
        select(User, Department.name).outerjoin(Department, Department.id == User.department_id)
        .order_by(func.lower(User.display_name), User.id)).all()
    return [AccountRow(u.id, u.email, u.display_name, u.role, u.department_id, dept, bool(u.active),
                       has_password(u), u.last_login_at, open_links.get(u.id))
            for u, dept in rows]


def _account_record(user: User) -> dict:
    department = user.department.slug if user.department is not None else None
    return {"email": user.email, "display_name": user.display_name, "role": user.role, "department": department,
            "active": bool(user.active)}


def _role_and_department(session: Session, role: object, department_id: object) -> tuple[str, Department | None]:
    if role not in ROLES:
        raise ValidationError("Choose a role: " + ", ".join(ROLE_LABELS[r] for r in ROLES) + ".", field="role")
    department = None
    if department_id not in (None, ""):
        department = session.get(Department, department_id) if isinstance(department_id, int) else None
        if department is None:
            raise ValidationError("That department no longer exists. Reload the page and choose another.",
                                  field="department")
    if role == "editor" and department is None:
        raise ValidationError("Department staff (editors) enter their department's figures: choose their "
                              "department.", field="department")
    return str(role), department


def _issue_link(session: Session, admin: Actor, user: User, purpose: str, now: datetime) -> IssuedLink:
    """Revoke the account's open links and add a new one; returns the token (stored only as a hash)."""
    session.execute(update(Invitation)
                    .where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                           Invitation.revoked_at.is_(None))
                    .values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=INVITATION_DAYS)
    session.add(Invitation(user_id=user.id, token_hash=hash_token(token), purpose=purpose, created_at=now,
                           expires_at=expires, created_by_id=admin.id))
    session.flush()
    return IssuedLink(token=token, user_id=user.id, email=user.email, display_name=user.display_name,
                      purpose=purpose, expires_at=expires)


def invite_user(session: Session, actor: Actor | None, *, email: object, display_name: object, role: object,
                department_id: object = None, now: datetime | None = None) -> IssuedLink:
    """Create an account without a password and a one-time link for the person to set theirs (admin only).

    The link expires after INVITATION_DAYS days; only its hash is stored. Audited (without the token).
    """
    admin = require_admin(actor, MANAGE)
    now = now or utcnow()
    address = normalize_email(str(email or ""))
    if not EMAIL_PATTERN.match(address):
        raise ValidationError(f"'{address}' is not an email address (e.g. name@example.org)." if address
                              else "Give the person's email address: they sign in with it.", field="email")
    name = _clean(display_name)
    if not name:
        raise ValidationError("Give the person's name as colleagues know it.", field="display_name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"Keep the name to {MAX_NAME_LENGTH} characters or fewer.", field="display_name")
    clean_role, department = _role_and_department(session, role, department_id)
    if session.scalar(select(func.count()).select_from(User).where(User.email == address)):
        raise ValidationError(f"An account with the email {address} exists already. Find it in the list of "
                              "accounts to change it or send a new link.", field="email")
    user = User(email=address, display_name=name, password_hash=NO_PASSWORD, role=clean_role, department=department,
                active=True)
    session.add(user)
    session.flush()
    link = _issue_link(session, admin, user, "invite", now)
    record_audit(session, actor=admin.email, user_id=admin.id, action="user.invite", entity_type="user",
                 entity_id=user.id, after={**_account_record(user), "link_expires": link.expires_at.isoformat()})
    return link


def _target(session: Session, user_id: object) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("That account no longer exists. Reload the page.")
    return user


def _other_active_admins(session: Session, user: User) -> int:
    """How many active admins there are besides `user` (rows locked on PostgreSQL, so two admins cannot remove
    each other at the same moment)."""
    ids = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id)
                          .with_for_update()).all()
    return len(ids)


def _refuse_last_admin(session: Session, admin: Actor, user: User, what: str) -> None:
    if user.role == "admin" and user.active and _other_active_admins(session, user) == 0:
        whose = "your own account" if user.id == admin.id else f"{user.display_name}'s account"
        raise ValidationError(f"You cannot {what} {whose}: it is the last active admin account, and without one "
                              "nobody could manage accounts. Make another person an admin first.", field="last_admin")


def change_account(session: Session, actor: Actor | None, *, user_id: object, role: object,
                   department_id: object = None) -> User:
    """Change an account's role and department (admin only); the last active admin keeps the admin role."""
    admin = require_admin(actor, MANAGE)
    user = _target(session, user_id)
    clean_role, department = _role_and_department(session, role, department_id)
    if clean_role != "admin":
        _refuse_last_admin(session, admin, user, f"make {ROLE_LABELS[clean_role]}")
    before = _account_record(user)
    user.role = clean_role
    user.department = department
    after = _account_record(user)
    if before == after:
        raise ValidationError("Nothing was changed: the account already has this role and department.",
                              field="unchanged")
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id, action="user.change", entity_type="user",
                 entity_id=user.id, before=before, after=after)
    return user


def set_account_active(session: Session, actor: Actor | None, *, user_id: object, active: bool,
                       now: datetime | None = None) -> User:
    """Deactivate an account (ends its sessions and open links) or reactivate it (admin only); the last active
    admin cannot be deactivated."""
    admin = require_admin(actor, MANAGE)
    user = _target(session, user_id)
    now = now or utcnow()
    if bool(user.active) == bool(active):
        state = "active" if active else "deactivated"
        raise ValidationError(f"{user.display_name}'s account is already {state}. Reload the page.", field="unchanged")
    before = _account_record(user)
    if not active:
        _refuse_last_admin(session, admin, user, "deactivate")
        user.active = False
        user.end_sessions()
        session.execute(update(Invitation)
                        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                               Invitation.revoked_at.is_(None))
                        .values(revoked_at=now))
    else:
        user.active = True
    session.flush()
    record_audit(session, actor=admin.email, user_id=admin.id,
                 action="user.reactivate" if active else "user.deactivate", entity_type="user", entity_id=user.id,
                 before=before, after={**_account_record(user), **({} if active else {"sessions": "ended"})})
    return user


def force_password_reset(session: Session, actor: Actor | None, *, user_id: object,
                         now: datetime | None = None) -> IssuedLink:
    """Make an account's password unusable, end its sessions and issue a new one-time link (admin only).

    Also the way to send a new link to someone whose invitation expired. Not for the admin's own account (it would
    sign them out at once, with the link on a page they can no longer see).
    """
    admin = require_admin(actor, MANAGE)
    user = _target(session, user_id)
    now = now or utcnow()
    if user.id == admin.id:
        raise ValidationError("You cannot reset your own password here: it would sign you out at once. Ask another "
                              "admin to do it.", field="self")
    if not user.active:
        raise ValidationError(f"{user.display_name}'s account is deactivated. Reactivate it first, then issue a new "
                              "link.", field="inactive")
    purpose = "reset" if has_password(user) else "invite"
    user.password_hash = NO_PASSWORD
    user.end_sessions()
    link = _issue_link(session, admin, user, purpose, now)
    record_audit(session, actor=admin.email, user_id=admin.id, action="user.reset", entity_type="user",
                 entity_id=user.id, after={"sessions": "ended", "password": "unusable until the link is used",
                                           "link_expires": link.expires_at.isoformat()})
    return link


# The one-time link, used by the person it was made for --------------------------------------------------------

LINK_PROBLEMS = {
    "unknown": "This link is not valid. Check that you copied the whole link, or ask the performance team for a "
               "new one.",
    "used": "This link has been used already. Sign in with the password you set, or ask the performance team for a "
            "new link.",
    "replaced": "This link has been withdrawn or replaced by a newer one. Use the newest link you were sent, or ask "
                "the performance team for a new one.",
    "expired": "This link has expired. Ask the performance team for a new one.",
    "inactive": "This account has been deactivated. Ask the performance team if you still need access.",
}


@dataclass(frozen=True)
class LinkCheck:
    """What a one-time link is: usable (problem None) or why not, and whose it is when usable."""

    problem: str | None
    email: str | None = None
    display_name: str | None = None
    purpose: str | None = None

    @property
    def message(self) -> str | None:
        """Why the link cannot be used, in words (None when it can)."""
        return LINK_PROBLEMS.get(self.problem) if self.problem else None


def _find_link(session: Session, token: object) -> Invitation | None:
    text = str(token or "")
    if not text or len(text) > 200:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(text)))


def _problem(link: Invitation | None, now: datetime) -> str | None:
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "inactive" if not link.user.active else "replaced"
    expires = link.expires_at if link.expires_at.tzinfo else link.expires_at.replace(tzinfo=now.tzinfo)
    if expires <= now:
        return "expired"
    if not link.user.active:
        return "inactive"
    return None


def check_link(session: Session, token: object, *, now: datetime | None = None) -> LinkCheck:
    """Whether a one-time link can be used now, and for whom."""
    link = _find_link(session, token)
    problem = _problem(link, now or utcnow())
    if problem or link is None:
        return LinkCheck(problem or "unknown")
    return LinkCheck(None, link.user.email, link.user.display_name, link.purpose)


def redeem_link(session: Session, token: object, *, password: object, confirm: object,
                now: datetime | None = None) -> User:
    """Set the account's password through its one-time link, which is then used up; audited as the person.

    Refused (ValidationError, field "link") when the link is unknown, used, replaced, expired or its account
    deactivated; refused (field "password") when the password is too short or the two do not match.
    """
    now = now or utcnow()
    link = _find_link(session, token)
    if link is not None:
        # Lock the link's row (PostgreSQL) so two submissions of the same link cannot both succeed.
        session.execute(select(Invitation.id).where(Invitation.id == link.id).with_for_update())
        session.refresh(link)
    problem = _problem(link, now)
    if problem or link is None:
        raise ValidationError(LINK_PROBLEMS[problem or "unknown"], field="link")
    secret = str(password or "")
    if len(secret) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if secret != str(confirm or ""):
        raise ValidationError("The two passwords are not the same. Type the same password in both boxes.",
                              field="password")
    user = link.user
    if secret.strip().lower() == user.email:
        raise ValidationError("Choose a password that is not your email address.", field="password")
    link.used_at = now
    set_password(session, user, secret, actor=user.email)  # hashed, every session ended, audited as the person
    session.flush()
    return user
