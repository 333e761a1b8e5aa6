"""Sign-in page: a labelled email and password form posted to the server's /login route."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids

dash.register_page(__name__, path="/login", name="Sign in", title="Sign in - RecoveryStat", audience="pub", order=90)

MESSAGES = {
    "invalid": "That email and password do not match an active account. Check both and try again.",
    "limited": "Too many sign-in attempts. Wait a minute, then try again.",
    "signed-out": "You are signed out.",
    "expired": "That sign-in form had expired, so nothing was checked. Type your password again and sign in.",
    "password-set": "Your password is set. Sign in with your email and the new password.",
}


def layout(error: str | None = None, next: str | None = None, **_query) -> html.Div:
    """The sign-in form; `error` and `next` come from the query string after a failed attempt (the email typed
    then, and the form's CSRF token, are filled in by callbacks.auth from the session, never from the address)."""
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
                            html.Label("Email", htmlFor=ids.PUB_LOGIN_EMAIL, className="form-label"),
                            dcc.Input(id=ids.PUB_LOGIN_EMAIL, name="email", type="email", value="",
                                           autoComplete="username", required=True, className="form-control"),
                        ], className="mb-3"),
                        html.Div([
                            html.Label("Password", htmlFor="login-password", className="form-label"),
                            dcc.Input(id="login-password", name="password", type="password",
                                           autoComplete="current-password", required=True, className="form-control"),
                        ], className="mb-3"),
                        dcc.Input(type="hidden", name="next", value=next or "", id="login-next"),
                        dcc.Input(type="hidden", name="csrf_token", value="", id=ids.PUB_LOGIN_TOKEN),
                        html.Button("Sign in", type="submit", className="btn btn-primary", id=ids.PUB_LOGIN_SUBMIT,
                                    disabled=True),
                    ],
                    action="/login",
                    method="POST",
                ),
            ],
            md=6, lg=5,
        )
    )
