"""Callbacks of the approvals page: the filtered queue, approving the selected values together, approve/return one."""
from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, html
from dash.exceptions import PreventUpdate

from callbacks.public import parse_month
from extensions import current_actor, db_session, two_person_rule
from layouts import ids
from layouts._components import month_label
from layouts._worklists import (
    ALL_CHOICE,
    alert,
    queue_table,
    review_department_options,
    review_month_options,
)
from models.errors import NotFound, PermissionDenied, StaleEditError, ValidationError
from models.progress import format_value
from models.services import TWO_PERSON_MESSAGE, Actor, approve_values, return_value
from models.worklists import approval_queue, pending_months, review_departments

OPERATIONS = ("approve", "return")


def parse_department(value: Any) -> int | None:
    """The department id a filter sent ("12"), or None for all departments (or anything unreadable)."""
    if value in (None, "", ALL_CHOICE):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def update_admin_filters(_refresh: Any, _done: Any):
    """The department filter's options and the months that have values waiting."""
    with db_session() as session:
        departments = review_departments(session)
        months = pending_months(session)
    return review_department_options(departments), review_month_options(months)


def update_admin_queue(_refresh: Any, _done: Any, department: Any = None, month: Any = None):
    """The submitted values of the chosen department and month, each with last month's figure, the expected one,
    its flags, and Approve/Return controls (disabled, with why, for the reviewer's own figures)."""
    department_id = parse_department(department)
    period = parse_month(month) if month not in (None, "", ALL_CHOICE) else None
    with db_session() as session:
        items = approval_queue(session, department_id=department_id, period=period, reviewer=current_actor(),
                               two_person_rule=two_person_rule())
    return queue_table(items, filtered=department_id is not None or period is not None)


def save_admin_decision(_clicks: list, _reasons: list, done: int | None):
    """Approve or return the value whose button was pressed, with that row's reason."""
    trigger = dash.ctx.triggered_id
    pressed = [t for t in dash.ctx.triggered if t.get("value")]
    if not isinstance(trigger, dict) or not pressed:
        raise PreventUpdate  # the queue was (re)drawn; no button was pressed
    reasons = {item["id"]["id"]: item.get("value") for item in dash.ctx.states_list[0]}
    return decide(current_actor(), trigger.get("id"), trigger.get("op"), trigger.get("version"),
                  reasons.get(trigger.get("id")), done or 0)


def decide(actor: Actor | None, measurement_id: Any, op: Any, version: Any, reason: str | None, done: int = 0):
    """Feedback and the queue-reload trigger (bumped only when something changed, so typed reasons survive)."""
    keep = dash.no_update
    if actor is None:
        return alert("error", "Your session has ended. Sign in again, then decide."), keep
    if op not in OPERATIONS or not isinstance(measurement_id, int) or not isinstance(version, int):
        return alert("error", "That button is out of date. Refresh the queue and try again."), keep
    if op == "approve":
        return approve_selected(actor, [(measurement_id, version)], done)
    try:
        with db_session() as session:
            row = return_value(session, actor, measurement_id=measurement_id, expected_version=version,
                               reason=reason or "")
            measure = row.measure
            subject = f"{measure.name}, {month_label(row.period)}"
            shown = format_value(row.value, measure.unit, measure.decimals)
            department = measure.owner_department.name
    except StaleEditError as error:
        # Someone changed the value since the queue was drawn: redraw it so the next decision sees the new figure.
        return alert("warning", f"{error.message.split(' Your figure')[0]} Nothing was changed. The queue below "
                                "now shows the current figure: check it, then decide again."), done + 1
    except ValidationError as error:
        if error.field == "reason":
            return alert("error", f"{error.message} Type it in that row's “Reason to return” box, then press "
                                  "Return again. Nothing was changed."), keep
        return alert("error", error.message), done + 1  # decided elsewhere meanwhile: show the queue as it is
    except NotFound as error:
        return alert("error", error.message), done + 1
    except PermissionDenied as error:
        return alert("error", error.message), keep
    return alert("success", f"Returned {shown} for {subject}, to {department} with your reason. They will see it in "
                            "their month grid on the entry page."), done + 1


def save_admin_selection(n_clicks: int | None, selected: list, done: int | None):
    """Approve every ticked value in one action (all of them, or none when any cannot be approved)."""
    if not n_clicks:
        raise PreventUpdate
    chosen = [(item["id"]["id"], item["id"]["version"]) for item in dash.ctx.states_list[0] if item.get("value")]
    if not chosen:
        return alert("error", "Tick at least one value in the Select column, then press “Approve selected” "
                              "again."), dash.no_update
    if not all(isinstance(i, int) and isinstance(v, int) for i, v in chosen):
        return alert("error", "The selection is out of date. Refresh the queue and try again."), dash.no_update
    return approve_selected(current_actor(), chosen, done or 0)


def approve_selected(actor: Actor | None, chosen: list[tuple[int, int]], done: int = 0):
    """Approve the chosen (id, version) pairs through one service call; feedback and the queue-reload trigger."""
    keep = dash.no_update
    if actor is None:
        return alert("error", "Your session has ended. Sign in again, then decide."), keep
    try:
        with db_session() as session:
            result = approve_values(session, actor, selections=chosen, two_person_rule=two_person_rule())
            if not result.approved:
                session.rollback()
            approved = [f"{row.shown} for {row.subject}" for row in result.rows]
    except StaleEditError:
        return alert("warning", "Someone decided on one of these values at the same moment. Nothing was changed. "
                                "The queue below shows the values as they are now: check them, then decide "
                                "again."), done + 1
    except (ValidationError, PermissionDenied) as error:
        return alert("error", f"{error.message} Nothing was changed."), keep
    if not result.approved:
        refused = result.refused
        details = html.Ul([html.Li(f"{row.subject or 'A selected value'}: {row.message}") for row in refused],
                          className="mb-0 mt-2")
        count = len(chosen)
        message = (f"Nothing was changed: {len(refused)} of the {count} selected value{'s' if count != 1 else ''} "
                   "cannot be approved, so none was. Untick those (or check their current figures), then approve "
                   "again.")
        # Only figures that changed meanwhile need the queue redrawn; otherwise the selection stays as it was.
        changed = any(row.message != TWO_PERSON_MESSAGE for row in refused)
        return alert("error", message, details), done + 1 if changed else keep
    if len(approved) == 1:
        message = (f"Approved {approved[0]}. It now counts on the dashboards and, if the measure is published, on "
                   "the public page.")
    else:
        message = (f"Approved {len(approved)} values: {'; '.join(approved)}. They now count on the "
                   "dashboards and, for published measures, on the public page.")
    return alert("success", message), done + 1


def update_admin_select_all(n_clicks: int | None, disabled: list):
    """Tick every value the signed-in reviewer may approve (those they entered themselves stay unticked)."""
    if not n_clicks:
        raise PreventUpdate
    return [not bool(flag) for flag in disabled]


def register(app: dash.Dash) -> None:
    """Wire the approvals page's callbacks."""
    app.callback(Output(ids.ADMIN_FILTER_DEPARTMENT, "options"), Output(ids.ADMIN_FILTER_MONTH, "options"),
                 Input(ids.ADMIN_REFRESH, "n_clicks"), Input(ids.ADMIN_DONE, "data"))(update_admin_filters)
    app.callback(Output(ids.ADMIN_QUEUE, "children"), Input(ids.ADMIN_REFRESH, "n_clicks"),
                 Input(ids.ADMIN_DONE, "data"), Input(ids.ADMIN_FILTER_DEPARTMENT, "value"),
                 Input(ids.ADMIN_FILTER_MONTH, "value"))(update_admin_queue)
    app.callback(
        Output(ids.ADMIN_FEEDBACK, "children"), Output(ids.ADMIN_DONE, "data"),
        Input({"type": ids.ADMIN_ACTION, "id": ALL, "op": ALL, "version": ALL}, "n_clicks"),
        State({"type": ids.ADMIN_RETURN_REASON, "id": ALL}, "value"), State(ids.ADMIN_DONE, "data"),
        prevent_initial_call=True,
    )(save_admin_decision)
    app.callback(
        Output(ids.ADMIN_FEEDBACK, "children", allow_duplicate=True),
        Output(ids.ADMIN_DONE, "data", allow_duplicate=True),
        Input(ids.ADMIN_APPROVE_SELECTED, "n_clicks"),
        State({"type": ids.ADMIN_SELECT, "id": ALL, "version": ALL}, "value"), State(ids.ADMIN_DONE, "data"),
        prevent_initial_call=True,
    )(save_admin_selection)
    app.callback(
        Output({"type": ids.ADMIN_SELECT, "id": ALL, "version": ALL}, "value"),
        Input(ids.ADMIN_SELECT_ALL, "n_clicks"),
        State({"type": ids.ADMIN_SELECT, "id": ALL, "version": ALL}, "disabled"),
        prevent_initial_call=True,
    )(update_admin_select_all)
