"""Form and download routes of the people administration: the one-time link where a person sets their own password
(/invite/<token>, public) and the audit log as CSV (/admin/audit.csv, performance team only)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template_string, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from api.auth import csrf, form_token
from api.opendata import csv_bytes
from extensions import current_actor, db_session, limiter
from models.accounts import MIN_PASSWORD_LENGTH
from models.admin_people import LINK_PROBLEMS, check_link, redeem_link
from models.audit_log import CSV_COLUMNS, AuditFilter, audit_events
from models.base import utcnow
from models.errors import ValidationError

bp = Blueprint("admin_people", __name__)

# Unknown links answer 404; links that were real but can no longer be used answer 410 (gone).
PROBLEM_STATUS = {"unknown": 404}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Set your password - RecoveryStat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.9.min.css">
<link rel="stylesheet" href="/assets/recoverystat.css">
</head>
<body>
<header><nav class="navbar navbar-dark bg-dark mb-3" aria-label="Main"><div class="container-lg">
<a class="navbar-brand" href="/">RecoveryStat</a></div></nav></header>
<main id="main" class="container-lg"><div class="row"><div class="col-md-6 col-lg-5">
<h1 class="h3">Set your password</h1>
{% if problem %}
<div class="alert alert-danger" role="alert" id="invite-message"><p class="mb-0">{{ problem }}</p></div>
<p><a href="/login">Go to the sign-in page</a></p>
{% else %}
<p>Hello {{ name }}. Choose the password you will sign in with{% if purpose == 'reset' %} from now on; your old
password no longer works{% endif %}. It needs at least {{ minimum }} characters; a few unrelated words make a good
one. This link works once.</p>
{% if error %}<div class="alert alert-danger" role="alert" id="invite-message"><p class="mb-0">{{ error }}</p></div>
{% endif %}
<form method="POST" action="{{ action }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <div class="mb-3"><label class="form-label" for="invite-email">Email (you sign in with it)</label>
    <input class="form-control" id="invite-email" type="email" name="email" value="{{ email }}" readonly
           autocomplete="username"></div>
  <div class="mb-3"><label class="form-label" for="invite-password">New password</label>
    <input class="form-control" id="invite-password" type="password" name="password" required
           minlength="{{ minimum }}" autocomplete="new-password" aria-describedby="invite-password-hint">
    <div class="form-text" id="invite-password-hint">At least {{ minimum }} characters.</div></div>
  <div class="mb-3"><label class="form-label" for="invite-confirm">The same password again</label>
    <input class="form-control" id="invite-confirm" type="password" name="confirm" required
           minlength="{{ minimum }}" autocomplete="new-password"></div>
  <button class="btn btn-primary" type="submit" id="invite-submit">Set password</button>
</form>
{% endif %}
</div></div></main>
</body>
</html>"""


def _page(*, status: int = 200, **values: Any) -> Response:
    """The set-password page, never cached nor leaking its address (the token) to other sites."""
    html = render_template_string(PAGE, minimum=MIN_PASSWORD_LENGTH, action=request.path, csrf_token=form_token(),
                                  **values)
    response = Response(html, status=status, mimetype="text/html")
    # Its meta tag keeps its address (the token) from other sites; a stricter "no-referrer" would make browsers
    # send "Origin: null" with the form, which the cross-site check refuses.
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem_page(problem: str) -> Response:
    return _page(status=PROBLEM_STATUS.get(problem, 410), problem=LINK_PROBLEMS[problem])


@bp.get("/invite/<token>")
def invite_form(token: str):
    """The form to set a password through a one-time link, or why the link cannot be used."""
    with db_session() as session:
        found = check_link(session, token, now=utcnow())
    if found.problem:
        return _problem_page(found.problem)
    return _page(name=found.display_name, email=found.email, purpose=found.purpose)


@bp.post("/invite/<token>")
@limiter.limit("20 per 10 minutes")
def invite_submit(token: str):
    """Set the password (the link is then used up) and go on to sign in; or say what to fix."""
    try:
        csrf.protect()
    except CSRFError:
        with db_session() as session:
            found = check_link(session, token, now=utcnow())
        if found.problem:
            return _problem_page(found.problem)
        return _page(status=400, name=found.display_name, email=found.email, purpose=found.purpose,
                     error="This form had expired, so nothing was changed. Type the password again and send it.")
    try:
        with db_session() as session:
            redeem_link(session, token, password=request.form.get("password"), confirm=request.form.get("confirm"),
                        now=utcnow())
    except ValidationError as error:
        if error.field == "link":
            with db_session() as session:
                found = check_link(session, token, now=utcnow())
            return _problem_page(found.problem or "unknown")
        with db_session() as session:
            found = check_link(session, token, now=utcnow())
        return _page(status=400, name=found.display_name, email=found.email, purpose=found.purpose,
                     error=f"{error.message} Nothing was changed; type the password again.")
    # The email is not put in the address (it would land in logs and browser history); the person types it.
    return redirect("/login?error=password-set")


@bp.get("/admin/audit.csv")
def audit_csv():
    """Every audit event matching `person`, `action`, `from` and `to` (as on /admin/audit), as CSV; admins only."""
    if not current_user or not current_user.is_authenticated:
        return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
    actor = current_actor()
    if actor is None or actor.role != "admin":
        return Response("<!doctype html><html lang='en'><title>Not allowed - RecoveryStat</title><main><h1>You do not "
                        "have access to this file</h1><p>Only the performance team can download the audit log.</p>"
                        "</main></html>", status=403, mimetype="text/html")
    try:
        chosen = AuditFilter.parse(request.args.get("person"), request.args.get("action"), request.args.get("from"),
                                   request.args.get("to"))
    except ValidationError as error:
        return Response(f"{error.message}\n", status=400, mimetype="text/plain")
    with db_session() as session:
        rows, _total = audit_events(session, actor, chosen, limit=None)
    body = csv_bytes(CSV_COLUMNS, (row.csv_cells() for row in rows))
    stamp = utcnow().strftime("%Y-%m-%d")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="recoverystat-audit-{stamp}.csv"',
        "Cache-Control": "no-store",
    })

