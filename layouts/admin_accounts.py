"""Accounts: invite a person with a one-time link, change their role or department, deactivate or reactivate them,
force a password reset (performance team only). Passwords are never shown here."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin_people import NO_DEPARTMENT, ROLE_OPTIONS
from layouts._worklists import labelled

dash.register_page(
    __name__,
    path="/admin/accounts",
    name="Accounts",
    title="Accounts - RecoveryStat",
    description="Invite people, change their role or department, deactivate accounts, reset passwords.",
    audience="admin",
    order=42,
)


def layout(**_query) -> html.Div:
    """The invitation form, the form to change an account, and the list of every account."""
    return html.Div([
        html.H1("Accounts", className="h2"),
        html.P("People sign in with their email and a password they set themselves through a one-time link. Nobody, "
               "the performance team included, ever sees a password.", className="lead fs-6"),
        html.Section([
            html.H2("Invite a person", className="h4"),
            dbc.Row([
                dbc.Col(labelled("Email", dbc.Input(id=ids.ADMIN_INVITE_EMAIL, type="email", maxLength=254),
                                 ids.ADMIN_INVITE_EMAIL), md=6),
                dbc.Col(labelled("Name", dbc.Input(id=ids.ADMIN_INVITE_NAME, type="text", maxLength=200),
                                 ids.ADMIN_INVITE_NAME), md=6),
            ]),
            dbc.Row([
                dbc.Col(labelled("Role", dbc.Select(id=ids.ADMIN_INVITE_ROLE, options=ROLE_OPTIONS, value="editor"),
                                 ids.ADMIN_INVITE_ROLE), md=6),
                dbc.Col(labelled("Department", dbc.Select(id=ids.ADMIN_INVITE_DEPARTMENT, options=[], value=NO_DEPARTMENT),
                                 ids.ADMIN_INVITE_DEPARTMENT, "Required for department staff (editors)"), md=6),
            ]),
            html.Button("Create account and link", id=ids.ADMIN_INVITE_SEND, type="button",
                        className="btn btn-primary mb-3"),
            html.Div(id=ids.ADMIN_INVITE_RESULT, className="mb-3", **{"aria-live": "polite"}),
        ], className="mb-4"),
        html.Section([
            html.H2("Change an account", className="h4"),
            labelled("Account", dbc.Select(id=ids.ADMIN_ACCOUNT_PICK, options=[], placeholder="Choose an account"),
                     ids.ADMIN_ACCOUNT_PICK),
            html.P(id=ids.ADMIN_ACCOUNT_STATE, className="mb-3"),
            dbc.Row([
                dbc.Col(labelled("Role", dbc.Select(id=ids.ADMIN_ACCOUNT_ROLE, options=ROLE_OPTIONS, value="viewer"),
                                 ids.ADMIN_ACCOUNT_ROLE), md=6),
                dbc.Col(labelled("Department", dbc.Select(id=ids.ADMIN_ACCOUNT_DEPARTMENT, options=[], value=NO_DEPARTMENT),
                                 ids.ADMIN_ACCOUNT_DEPARTMENT, "Required for department staff (editors)"), md=6),
            ]),
            html.Div([
                html.Button("Save role and department", id=ids.ADMIN_ACCOUNT_SAVE, type="button",
                            className="btn btn-primary", disabled=True),
                html.Button("Deactivate", id=ids.ADMIN_ACCOUNT_TOGGLE, type="button",
                            className="btn btn-outline-danger", disabled=True),
                html.Button("Reset password and send a new link", id=ids.ADMIN_ACCOUNT_RESET, type="button",
                            className="btn btn-outline-secondary", disabled=True),
            ], className="d-flex flex-wrap gap-2 mb-2"),
            html.P("Deactivating signs the person out everywhere at once and stops them signing in; it can be undone. "
                   "A password reset also signs them out, makes the old password stop working and gives you a new "
                   "one-time link for them (use it too when an invitation link has expired).",
                   className="small text-body-secondary"),
            html.Div(id=ids.ADMIN_ACCOUNT_RESULT, className="mb-3", **{"aria-live": "polite"}),
        ], className="mb-4"),
        html.Section([
            html.H2("All accounts", className="h4"),
            dcc.Loading(html.Div(id=ids.ADMIN_ACCOUNT_LIST), type="default", delay_show=300),
        ]),
        dcc.Store(id=ids.ADMIN_INVITE_DONE, data=0),
        dcc.Store(id=ids.ADMIN_ACCOUNT_CHANGED, data=0),
    ])
