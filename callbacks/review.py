"""Callbacks of the approvals page: the queue of submitted values and the approve/return decisions."""
from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State
from dash.exceptions import PreventUpdate

from extensions import current_actor, db_session
from layouts import ids
from layouts._components import month_label
from layouts._worklists import alert, queue_table
from models.errors import NotFound, PermissionDenied, StaleEditError, ValidationError
from models.progress import format_value
from models.services import Actor, approve_value, return_value
from models.worklists import approval_queue

OPERATIONS = ("approve", "return")


def update_admin_queue(_refresh: Any, _done: Any):
    """Every submitted value with last month's figure, and Approve/Return controls."""
    with db_session() as session:
        items = approval_queue(session)
    return queue_table(items)


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
    try:
        with db_session() as session:
            if op == "approve":
                row = approve_value(session, actor, measurement_id=measurement_id, expected_version=version)
            else:
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
    if op == "approve":
        message = (f"Approved {shown} for {subject}. It now counts on the dashboards and, if the measure is "
                   "published, on the public page.")
    else:
        message = (f"Returned {shown} for {subject}, to {department} with your reason. They will see it when they "
                   "open that month on the entry page.")
    return alert("success", message), done + 1


def register(app: dash.Dash) -> None:
    """Wire the approvals page's callbacks."""
    app.callback(Output(ids.ADMIN_QUEUE, "children"), Input(ids.ADMIN_REFRESH, "n_clicks"),
                 Input(ids.ADMIN_DONE, "data"))(update_admin_queue)
    app.callback(
        Output(ids.ADMIN_FEEDBACK, "children"), Output(ids.ADMIN_DONE, "data"),
        Input({"type": ids.ADMIN_ACTION, "id": ALL, "op": ALL, "version": ALL}, "n_clicks"),
        State({"type": ids.ADMIN_RETURN_REASON, "id": ALL}, "value"), State(ids.ADMIN_DONE, "data"),
        prevent_initial_call=True,
    )(save_admin_decision)
