"""The sign-in form's session-bound fields: its CSRF token, and the email typed at a failed attempt."""
from __future__ import annotations

import dash
from dash import Input, Output
from dash.exceptions import PreventUpdate

from api.auth import failed_sign_in_email, form_token
from layouts import ids


def update_login_token(_id: str) -> str:
    """The CSRF token of this session, for the sign-in form's hidden field."""
    return form_token()


def update_login_email(_id: str) -> str:
    """The email typed at this session's last failed sign-in, so the person types only the password; nothing
    (the field left as it is, perhaps already typed in) when there was none."""
    email = failed_sign_in_email()
    if not email:
        raise PreventUpdate
    return email


def register(app: dash.Dash) -> None:
    """Fill the sign-in form's fields when the form appears."""
    app.callback(Output(ids.PUB_LOGIN_TOKEN, "value"), Input(ids.PUB_LOGIN_TOKEN, "id"))(update_login_token)
    app.callback(Output(ids.PUB_LOGIN_EMAIL, "value"), Input(ids.PUB_LOGIN_EMAIL, "id"))(update_login_email)
    # The button waits for the form's token: a sign-in sent without it would only come back "expired".
    app.clientside_callback("function(token) { return !token; }", Output(ids.PUB_LOGIN_SUBMIT, "disabled"),
                            Input(ids.PUB_LOGIN_TOKEN, "value"))
