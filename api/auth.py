"""Sign-in and sign-out: the login form posts here; passwords are checked against their hashes."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, redirect, request
from flask import session as flask_session
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from extensions import db_session, limiter, login_manager
from models.accounts import authenticate, normalize_email, record_logout
from models.org import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user for Flask-Login, from "<id>:<session token>"; None (signed out) when the account was
    deactivated or its sessions were ended since this one was signed (sign-out, password change)."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    try:
        with db_session() as session:
            user = session.get(User, int(user_id))
            if user is not None:
                _ = user.department  # load before the session closes
    except SQLAlchemyError:
        # The database is away: say so (503) rather than fail the whole request with a bare server error.
        abort(503)
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


# Where each role starts its work after signing in (when no page asked for the sign-in).
START_PAGES = {"viewer": "/dashboard", "editor": "/entry", "admin": "/review"}
# Never somewhere to go on to after signing in: the form again, or straight back out.
NOT_A_DESTINATION = frozenset({"/login", "/logout"})


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site pages are followed after sign-in, never another host nor the sign-in and sign-out routes
    themselves; anything else gives `default`."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 or c == "\x7f" for c in target) or parts.path.rstrip("/") in NOT_A_DESTINATION):
        return default
    return target


def _too_many_attempts(_limit) -> object:
    return redirect("/login?" + urlencode({"error": "limited"}))


def _account_key() -> str:
    """Rate-limit key of the account being tried (whatever address the attempts come from)."""
    return "account:" + normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    """Only failed sign-ins count against an account: a colleague signing in does not use up anyone's tries."""
    return response.status_code == 302 and "error=invalid" in (response.location or "")


# Per address: generous, so a dozen colleagues behind one office address do not lock each other out. Per account:
# five failures a minute, then thirty an hour - a guesser spread over many addresses still gets few tries, and
# the wait grows with persistence.
@bp.post("/login")
@limiter.limit("60 per minute", on_breach=_too_many_attempts)
@limiter.limit("5 per minute;30 per hour", key_func=_account_key, deduct_when=_failed, on_breach=_too_many_attempts)
def login():
    """Check the posted email and password; on success go on to `next`, else back to the form with a message."""
    email = normalize_email(request.form.get("email", ""))
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    with db_session() as session:
        user = authenticate(session, email, password)
        if user is not None:
            _ = user.department
    if user is None:
        query = {"error": "invalid", "email": email}
        if target != "/":
            query["next"] = target
        return redirect("/login?" + urlencode(query))
    # A fresh session for the signed-in person: nothing from before sign-in carries over.
    flask_session.clear()
    flask_session.permanent = True  # expires after SESSION_IDLE_HOURS without a request
    login_user(user)
    # A page that sent the person here comes first; otherwise each role lands on its own start page.
    return redirect(safe_next(request.form.get("next"), default=START_PAGES.get(user.role, "/")))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out and return to the sign-in page with a confirmation."""
    if current_user.is_authenticated:
        with db_session() as session:
            user = session.get(User, current_user.id)
            if user is not None:
                record_logout(session, user)
                user.end_sessions()  # a copy of this session's cookie is worthless from now on
        logout_user()
        flask_session.clear()
    return redirect("/login?error=signed-out")
