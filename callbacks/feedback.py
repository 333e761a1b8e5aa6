"""Callbacks of residents' reports: sending one from a measure page, and resolving them on /admin/feedback."""
from __future__ import annotations

from datetime import date
from typing import Any

import dash
from dash import ALL, Input, Output, State
from dash.exceptions import PreventUpdate
from flask import request
from flask_limiter.errors import RateLimitExceeded

from extensions import cached_measure_detail, current_actor, db_session, limiter
from layouts import ids
from layouts._opendata import measure_open_data, reports_table
from layouts._worklists import alert
from models.errors import NotFound, PermissionDenied, ValidationError
from models.feedback import feedback_list, resolve_feedback, submit_feedback
from models.queries import public_replies

# Per address (Flask-Limiter's remote address, shared storage with the sign-in limit): enough for a person who
# has several numbers to report, too few for a script.
REPORT_LIMIT = "5 per 10 minutes;20 per day"


def _month(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)).replace(day=1) if value else None
    except ValueError:
        return None


def update_pub_measure_opendata(slug: str | None):
    """Downloads, share/embed and answers for a published measure, and the report form shown; nothing otherwise."""
    detail = cached_measure_detail(str(slug), public=True) if slug else None
    if detail is None:
        return None, True
    with db_session() as session:
        replies = public_replies(session, detail.status.slug)
    return measure_open_data(detail.status.slug, detail.status.name, replies, request.host_url.rstrip("/")), False


def save_pub_report(n_clicks: int | None, measure_slug: str | None, month: str | None, message: str | None,
                    email: str | None):
    """Store the report; on success thank the resident and clear the message, else say what to fix (keep the text)."""
    if not n_clicks:
        raise PreventUpdate
    keep = dash.no_update
    try:
        with limiter.limit(REPORT_LIMIT, scope="resident-report"):
            with db_session() as session:
                submit_feedback(session, measure_slug=str(measure_slug or ""), period=_month(month),
                                message=message, email=email)
    except RateLimitExceeded:
        return alert("warning", "Many reports have come from your connection in a short time, so this one was not "
                                "sent. Your text is still in the form: try again later."), keep
    except ValidationError as error:
        return alert("error", f"{error.message} Your report was not sent yet; your text is still in the form."), keep
    except NotFound as error:
        return alert("error", error.message), keep
    return alert("success", "Thank you. Your report was sent to the performance team. If you gave an email address, "
                            "they may write to you; answers are also shown on this page."), ""


def update_admin_reports(show: str | None, _done: Any):
    """The list of reports: open ones only, or all."""
    with db_session() as session:
        return reports_table(feedback_list(session, state=None if show == "all" else "open"))


def save_admin_resolve(_clicks: list, _replies: list, done: int | None):
    """Resolve the report whose button was pressed, with that row's public reply."""
    trigger = dash.ctx.triggered_id
    pressed = [t for t in dash.ctx.triggered if t.get("value")]
    if not isinstance(trigger, dict) or not pressed:
        raise PreventUpdate  # the list was (re)drawn; no button was pressed
    replies = {item["id"]["id"]: item.get("value") for item in dash.ctx.states_list[0]}
    return resolve(trigger.get("id"), replies.get(trigger.get("id")), done or 0)


def resolve(feedback_id: Any, reply: str | None, done: int = 0):
    """Feedback text and the list-reload trigger (bumped only when something changed, so typed replies survive)."""
    actor = current_actor()
    keep = dash.no_update
    if actor is None:
        return alert("error", "Your session has ended. Sign in again, then resolve."), keep
    if not isinstance(feedback_id, int):
        return alert("error", "That button is out of date. Reload the page and try again."), keep
    try:
        with db_session() as session:
            item = resolve_feedback(session, actor, feedback_id=feedback_id, public_reply=reply)
            name, replied = item.measure.name, bool(item.public_reply)
    except ValidationError as error:
        return alert("error", error.message), (done + 1 if error.field == "state" else keep)
    except (NotFound, PermissionDenied) as error:
        return alert("error", error.message), keep
    suffix = " Your reply is now shown on the measure page." if replied else " No reply was published."
    return alert("success", f"Resolved report #{feedback_id} about {name}.{suffix}"), done + 1


def register(app: dash.Dash) -> None:
    """Wire the measure page's open-data section, the report form and the admin list."""
    app.callback(Output(ids.PUB_MEASURE_OPENDATA, "children"), Output(ids.PUB_REPORT_SECTION, "hidden"),
                 Input(ids.PUB_MEASURE_SLUG, "data"))(update_pub_measure_opendata)
    app.callback(
        Output(ids.PUB_REPORT_RESULT, "children"), Output(ids.PUB_REPORT_MESSAGE, "value"),
        Input(ids.PUB_REPORT_SEND, "n_clicks"),
        State(ids.PUB_REPORT_MEASURE, "data"), State(ids.PUB_REPORT_MONTH, "value"),
        State(ids.PUB_REPORT_MESSAGE, "value"), State(ids.PUB_REPORT_EMAIL, "value"),
        prevent_initial_call=True,
    )(save_pub_report)
    app.callback(Output(ids.ADMIN_REPORTS, "children"), Input(ids.ADMIN_REPORTS_SHOW, "value"),
                 Input(ids.ADMIN_REPORTS_DONE, "data"))(update_admin_reports)
    app.callback(
        Output(ids.ADMIN_REPORTS_RESULT, "children"), Output(ids.ADMIN_REPORTS_DONE, "data"),
        Input({"type": ids.ADMIN_REPORT_RESOLVE, "id": ALL}, "n_clicks"),
        State({"type": ids.ADMIN_REPORT_REPLY, "id": ALL}, "value"), State(ids.ADMIN_REPORTS_DONE, "data"),
        prevent_initial_call=True,
    )(save_admin_resolve)
