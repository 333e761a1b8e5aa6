"""Callbacks of the API tokens page: list a person's tokens, create one (its secret shown once), revoke one."""
from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State
from dash.exceptions import PreventUpdate

from extensions import current_actor, db_session
from layouts import ids
from layouts._tokens import new_token_notice, token_table
from layouts._worklists import alert
from models.errors import NotFound, PermissionDenied, ValidationError
from models.org import User
from models.services import Actor
from models.tokens import create_token, list_tokens, revoke_token

SIGNED_OUT = "You are no longer signed in. Sign in again, then come back to this page."


def update_token_list(_changed: Any):
    """The signed-in person's tokens (never anyone else's)."""
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT)
    with db_session() as session:
        tokens = list_tokens(session, actor.id) if actor.id is not None else []
    return token_table(tokens)


def save_token(n_clicks: int | None, n_submit: int | None, name: str | None, changed: int | None):
    """Create a token named `name` for the signed-in person: feedback with the secret, list trigger, name field."""
    if not n_clicks and not n_submit:
        raise PreventUpdate
    return create_for(current_actor(), name, changed or 0)


def create_for(actor: Actor | None, name: str | None, changed: int):
    """Create the token and show its secret once; on a refusal the typed name stays in its field."""
    keep = dash.no_update
    if actor is None:
        return alert("error", SIGNED_OUT), keep, keep
    try:
        with db_session() as session:
            user = session.get(User, actor.id)
            if user is None:
                raise NotFound("Your account no longer exists.")
            token, secret = create_token(session, user, name, actor=actor.email)
            created_name = token.name
    except (ValidationError, PermissionDenied, NotFound) as error:
        return alert("error", f"{error.message} Nothing was created."), keep, keep
    return new_token_notice(created_name, secret), changed + 1, ""


def save_token_revoke(_clicks: list, changed: int | None):
    """Revoke the token whose button was pressed and confirmed (the service refuses anyone else's)."""
    trigger = dash.ctx.triggered_id
    pressed = [item for item in dash.ctx.triggered if item.get("value")]
    if not isinstance(trigger, dict) or not pressed:
        raise PreventUpdate  # the list was (re)drawn; no revocation was confirmed
    return revoke_for(current_actor(), trigger.get("id"), changed or 0)


def revoke_for(actor: Actor | None, token_id: Any, changed: int):
    """Revoke one token and say so; the list reloads."""
    keep = dash.no_update
    if actor is None:
        return alert("error", SIGNED_OUT), keep
    if not isinstance(token_id, int) or isinstance(token_id, bool):
        return alert("error", "That button is out of date. Reload the page and try again."), keep
    try:
        with db_session() as session:
            token = revoke_token(session, actor, token_id)
            name, prefix = token.name, token.prefix
    except (ValidationError, PermissionDenied, NotFound) as error:
        return alert("error", error.message), changed + 1
    return alert("success", f"Revoked the token “{name}” ({prefix}…). Requests with it are refused from now on."), \
        changed + 1


def register(app: dash.Dash) -> None:
    """Wire the API tokens page's callbacks."""
    app.callback(Output(ids.ENTRY_TOKEN_LIST, "children"), Input(ids.ENTRY_TOKEN_CHANGED, "data"))(update_token_list)
    app.callback(
        Output(ids.ENTRY_TOKEN_FEEDBACK, "children"), Output(ids.ENTRY_TOKEN_CHANGED, "data"),
        Output(ids.ENTRY_TOKEN_NAME, "value"),
        Input(ids.ENTRY_TOKEN_CREATE, "n_clicks"), Input(ids.ENTRY_TOKEN_NAME, "n_submit"),
        State(ids.ENTRY_TOKEN_NAME, "value"), State(ids.ENTRY_TOKEN_CHANGED, "data"),
        prevent_initial_call=True,
    )(save_token)
    app.callback(
        Output(ids.ENTRY_TOKEN_FEEDBACK, "children", allow_duplicate=True),
        Output(ids.ENTRY_TOKEN_CHANGED, "data", allow_duplicate=True),
        Input({"type": ids.ENTRY_TOKEN_REVOKE, "id": ALL}, "submit_n_clicks"), State(ids.ENTRY_TOKEN_CHANGED, "data"),
        prevent_initial_call=True,
    )(save_token_revoke)
