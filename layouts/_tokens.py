"""Pure builders of the API tokens page: the list of a person's tokens and the one-time display of a new secret."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import alert, scroll_region, when
from models.org import ApiToken


def _state(token: ApiToken) -> html.Span:
    """Active or revoked, as text (the badge's colour only repeats it)."""
    if token.revoked_at is not None:
        return html.Span(f"Revoked {when(token.revoked_at)}", className="badge text-bg-light border")
    return html.Span("In use", className="badge text-bg-success")


def _action(token: ApiToken):
    """A revoke button naming its token for screen readers, asking for confirmation first; nothing once revoked."""
    if token.revoked_at is not None:
        return html.Span("None (revoked)", className="text-body-secondary")
    return dcc.ConfirmDialogProvider(
        dbc.Button(["Revoke", html.Span(f" the token {token.name}", className="visually-hidden")],
                   color="danger", outline=True, size="sm"),
        id={"type": ids.ENTRY_TOKEN_REVOKE, "id": token.id},
        message=f"Revoke the token “{token.name}” ({token.prefix}…)? Systems using it are refused from then on. "
                "This cannot be undone.",
    )


def token_table(tokens: Sequence[ApiToken]) -> html.Div:
    """A person's tokens, newest first: name, prefix, created, last used, state, and a revoke button."""
    if not tokens:
        return html.P("You have no API tokens yet. Create one above for each system that sends figures.",
                      className="text-body-secondary")
    rows = [
        html.Tr([
            html.Th(token.name, scope="row"),
            html.Td(html.Code(f"{token.prefix}…")),
            html.Td(when(token.created_at)),
            html.Td(when(token.last_used_at) if token.last_used_at else "Never"),
            html.Td(_state(token)),
            html.Td(_action(token)),
        ], className="token-row")
        for token in tokens
    ]
    table = html.Table(
        [
            html.Caption("Your API tokens, newest first. Only the first characters of each token are kept visible.",
                         className="visually-hidden"),
            html.Thead(html.Tr([html.Th(label, scope="col") for label in
                                ("Name", "Token starts with", "Created", "Last used", "State", "Action")])),
            html.Tbody(rows),
        ],
        className="table table-sm align-middle",
    )
    return html.Div(table, **scroll_region("Your API tokens"))


def new_token_notice(name: str, secret: str) -> html.Div:
    """The new token, shown this once, in a read-only field to copy from, with what to do with it."""
    return alert("success", [
        html.Span(f"Created the token “{name}”. "),
        html.Strong("Copy it now: it is shown only this once and cannot be looked up later."),
    ], html.Div([
        html.Label("Your new API token", htmlFor=ids.ENTRY_TOKEN_SECRET, className="form-label mt-2 mb-1"),
        dbc.Input(id=ids.ENTRY_TOKEN_SECRET, value=secret, readonly=True, type="text", className="font-monospace",
                  autoComplete="off"),
        html.P("Select the field and copy it (Ctrl+C, or ⌘C on a Mac) into the partner system's settings. It is "
               "sent as “Authorization: Bearer …” with every request. Lost it? Revoke it and create a new one.",
               className="small mt-1 mb-0"),
    ]))
