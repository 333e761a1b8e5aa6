"""Sign-in page: a labelled email and password form posted to the server's /login route."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

dash.register_page(__name__, path="/login", name="Sign in", title="Sign in - RecoveryStat", audience="pub", order=90)

MESSAGES = {
    "invalid": "That email and password do not match an active account. Check both and try again.",
    "limited": "Too many sign-in attempts. Wait a minute, then try again.",
    "signed-out": "You are signed out.",
    "password-set": "Your password is set. Sign in with your email and the new password.",
}


def layout(error: str | None = None, email: str | None = None, next: str | None = None, **_query) -> html.Div:
    """The sign-in form; `error`, `email` and `next` come from the query string after a failed attempt."""
    message = MESSAGES.get(error or "")
    return dbc.Row(
        dbc.Col(
            [
                html.H1("Sign in", className="h3"),
                html.P("For City-Parish staff, partner agencies and the mayor's office. "
                       "The public progress page needs no account."),
                # dbc.Alert renders role="alert" itself and accepts no `role` argument.
                dbc.Alert(message, color="danger" if error in ("invalid", "limited") else "info",
                          id="login-message") if message else None,
                html.Form(
                    [
                        html.Div([
                            html.Label("Email", htmlFor="login-email", className="form-label"),
                            dash.dcc.Input(id="login-email", name="email", type="email", value=email or "",
                                           autoComplete="username", required=True, className="form-control"),
                        ], className="mb-3"),
                        html.Div([
                            html.Label("Password", htmlFor="login-password", className="form-label"),
                            dash.dcc.Input(id="login-password", name="password", type="password",
                                           autoComplete="current-password", required=True, className="form-control"),
                        ], className="mb-3"),
                        dash.dcc.Input(type="hidden", name="next", value=next or "", id="login-next"),
                        html.Button("Sign in", type="submit", className="btn btn-primary", id="login-submit"),
                    ],
                    action="/login",
                    method="POST",
                ),
            ],
            md=6, lg=5,
        )
    )
