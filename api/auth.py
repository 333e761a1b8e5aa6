"""Sign-in and sign-out: the login form posts here; passwords are checked against their hashes."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, abort, redirect, request
from flask import session as flask_session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError

from extensions import db_session, limiter, login_manager
from models.accounts import authenticate, normalize_email, record_logout
from models.org import User

bp = Blueprint("auth", __name__)
# CSRF tokens for the HTML forms (sign-in, sign-out, and any form a page posts): checked only where a route asks
# (`csrf.protect()`), because Dash callbacks and the token-authenticated API are JSON requests guarded otherwise.
csrf = CSRFProtect()
# The session key holding the email of a failed sign-in, so the form can show it again without putting it in the
# address (where it would land in logs and browser history).
FAILED_EMAIL_KEY = "login_email"


def form_token() -> str:
    """The signed CSRF token for this person's session, for a hidden `csrf_token` field of an HTML form."""
    return generate_csrf()


def failed_sign_in_email() -> str:
    """The email typed at the last failed sign-in of this session, or "".

    Read, not popped: the sign-in page's callbacks run side by side, and a callback that changed the session could
    write back a cookie without the form token another one just stored.
    """
    return str(flask_session.get(FAILED_EMAIL_KEY, "") or "")


def _form_token_valid() -> bool:
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


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
    if not _form_token_valid():
        # A form from an old page (or from another site): nothing is checked; the fresh form keeps the email.
        flask_session[FAILED_EMAIL_KEY] = email[:254]
        query = {"error": "expired"} | ({"next": target} if target != "/" else {})
        return redirect("/login?" + urlencode(query))
    with db_session() as session:
        user = authenticate(session, email, password)
        if user is not None:
            _ = user.department
    if user is None:
        flask_session[FAILED_EMAIL_KEY] = email[:254]
        query = {"error": "invalid"}
        if target != "/":
            query["next"] = target
        return redirect("/login?" + urlencode(query))
    # A fresh session for the signed-in person: nothing from before sign-in carries over.
    flask_session.clear()
    flask_session.permanent = True  # expires after SESSION_IDLE_HOURS without a request
    login_user(user)
    # The sign-out form's token is made now, so the session never changes under the page's parallel callbacks (each
    # response re-sends the session cookie; one made before a token was stored would drop it again).
    form_token()
    # A page that sent the person here comes first; otherwise each role lands on its own start page.
    return redirect(safe_next(request.form.get("next"), default=START_PAGES.get(user.role, "/")))


SIGN_OUT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out - RecoveryStat</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.9.min.css">
</head><body><main class="container py-4"><h1 class="h3">Sign out of RecoveryStat?</h1>
<form action="/logout" method="POST"><input type="hidden" name="csrf_token" value="{token}">
<button type="submit" class="btn btn-primary">Sign out</button> <a href="/" class="ms-2">Stay signed in</a></form>
</main></body></html>"""


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out (a POST from the app's own form) and return to the sign-in page with a confirmation.

    A GET, or a POST without this session's form token, only asks: a link or an image elsewhere cannot sign
    anyone out.
    """
    if current_user.is_authenticated and (request.method == "GET" or not _form_token_valid()):
        return Response(SIGN_OUT_PAGE.format(token=escape(form_token())), mimetype="text/html")
    if current_user.is_authenticated:
        with db_session() as session:
            user = session.get(User, current_user.id)
            if user is not None:
                record_logout(session, user)
                user.end_sessions()  # a copy of this session's cookie is worthless from now on
        logout_user()
        flask_session.clear()
    return redirect("/login?error=signed-out")
