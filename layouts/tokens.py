"""API tokens: editors and the performance team create, name and revoke the tokens their partner systems use."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import labelled
from models.tokens import MAX_NAME_LENGTH

dash.register_page(
    __name__,
    path="/account/tokens",
    name="API tokens",
    title="API tokens - RecoveryStat",
    description="Create, name and revoke your personal API tokens for sending figures from other systems.",
    audience="entry",
    order=90,
)


def layout(**_query) -> html.Div:
    """The create form and the list of the person's tokens (filled by a callback)."""
    return html.Div(
        [
            html.H1("API tokens", className="h2"),
            html.P(
                ["A personal API token lets a system your department already keeps figures in send them here "
                 "itself, instead of someone retyping them. It writes as you: the same measures you may enter, the "
                 "same checks, and every figure waits for approval as if you had typed it. Systems send them with ",
                 html.Code("POST /api/v1/measures/<slug>/values"), "; see the ",
                 html.A("open data and API page", href="/developers"), " for the details."],
                className="lead fs-6",
            ),
            html.Section(
                [
                    html.H2("Create a token", className="h4", id="entry-token-create-heading"),
                    labelled("Name", dbc.Input(id=ids.ENTRY_TOKEN_NAME, type="text", maxLength=MAX_NAME_LENGTH,
                                               autoComplete="off"), ids.ENTRY_TOKEN_NAME,
                             "What will use it, e.g. “State grants system export”, so you know which to revoke."),
                    dbc.Button("Create token", id=ids.ENTRY_TOKEN_CREATE, color="primary", n_clicks=0,
                               className="mb-3"),
                    html.Div(id=ids.ENTRY_TOKEN_FEEDBACK, className="mb-3", **{"aria-live": "polite"}),
                ],
                className="mb-4", style={"maxWidth": "40rem"}, **{"aria-labelledby": "entry-token-create-heading"},
            ),
            html.Section(
                [
                    html.H2("Your tokens", className="h4", id="entry-token-list-heading"),
                    html.P("Revoke a token as soon as a system no longer needs it, or if it may have been seen by "
                           "someone else: requests with it are refused from that moment.", className="small"),
                    html.Div(id=ids.ENTRY_TOKEN_LIST),
                ],
                **{"aria-labelledby": "entry-token-list-heading"},
            ),
            dcc.Store(id=ids.ENTRY_TOKEN_CHANGED, data=0),
        ]
    )
