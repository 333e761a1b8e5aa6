"""The API tokens page (/account/tokens) through /_dash-update-component, its link, and `flask create-token`.

Every callback is refused on the server for anonymous people and viewers; an editor sees and revokes only their own
tokens; the secret is in the create answer once and nowhere else. SQLite always, PostgreSQL when configured.
"""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select
from test_pages_callbacks import UPDATE, multi_body, prop, text_of

from conftest import TEST_USERS, login
from extensions import EXTENSION_KEY
from models.org import ApiToken, User
from models.tokens import create_token

CREATE_OUTPUTS = ["entry-token-feedback.children", "entry-token-changed.data", "entry-token-name.value"]


def key_of(dash_app, starts: str, contains: str = "") -> str:
    """The callback_map key of a callback (allow_duplicate outputs carry a hash suffix)."""
    return next(key for key in dash_app.callback_map if key.startswith(starts) and contains in key)


def list_tokens_on_page(client, dash_app):
    key = key_of(dash_app, "entry-token-list.children")
    return client.post(UPDATE, json={"output": key, "outputs": {"id": "entry-token-list", "property": "children"},
                                     "inputs": [prop("entry-token-changed", "data", 1)], "state": [],
                                     "changedPropIds": ["entry-token-changed.data"]})


def create_on_page(client, name: str | None):
    body = multi_body(CREATE_OUTPUTS, [prop("entry-token-create", "n_clicks", 1), prop("entry-token-name", "n_submit")],
                      [prop("entry-token-name", "value", name), prop("entry-token-changed", "data", 0)],
                      changed=["entry-token-create.n_clicks"])
    return client.post(UPDATE, json=body)


def revoke_on_page(client, dash_app, token_id):
    key = key_of(dash_app, "..entry-token-feedback.children@")
    outputs = key.strip(".").split("...")
    button = {"type": "entry-token-revoke", "id": token_id}
    body = {"output": key, "outputs": [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in outputs],
            "inputs": [[{"id": button, "property": "submit_n_clicks", "value": 1}]],
            "state": [prop("entry-token-changed", "data", 0)],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".submit_n_clicks"]}
    return client.post(UPDATE, json=body)


def tokens(dash_app) -> list[ApiToken]:
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def token_of(dash_app, who: str, name: str) -> tuple[int, str]:
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        user = session.scalar(select(User).where(User.email == TEST_USERS[who][0]))
        token, secret = create_token(session, user, name, actor="test")
        session.commit()
        return token.id, secret


@pytest.mark.parametrize("who, status", [(None, 401), ("viewer", 403)])
def test_every_tokens_callback_is_refused_for_anonymous_and_viewers(dash_app, who, status):
    client = dash_app.server.test_client()
    if who:
        login(client, who)
    token_id, _ = token_of(dash_app, "editor", "Editor's export")
    assert list_tokens_on_page(client, dash_app).status_code == status
    assert create_on_page(client, "Sneaky").status_code == status
    assert revoke_on_page(client, dash_app, token_id).status_code == status
    assert [(t.name, t.revoked_at) for t in tokens(dash_app)] == [("Editor's export", None)]
    page = client.get("/account/tokens")
    assert page.status_code == (302 if who is None else 403)


def test_an_editor_creates_a_token_sees_it_once_and_revokes_it(dash_app):
    client = dash_app.server.test_client()
    login(client, "editor")
    assert client.get("/account/tokens").status_code == 200
    response = create_on_page(client, "State grants export")
    assert response.status_code == 200
    answer = response.get_json()["response"]
    shown = text_of(answer["entry-token-feedback"]["children"])
    assert "State grants export" in shown and "shown only this once" in shown
    secret = _secret_in(answer["entry-token-feedback"]["children"])
    assert secret.startswith("rs_") and answer["entry-token-name"]["value"] == ""
    [token] = tokens(dash_app)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and token.prefix == secret[:11]
    listed = list_tokens_on_page(client, dash_app).get_data(as_text=True)
    assert "State grants export" in listed and token.prefix in listed and secret not in listed
    assert "Never" in listed  # not used yet
    revoked = revoke_on_page(client, dash_app, token.id)
    assert revoked.status_code == 200 and "Revoked the token" in revoked.get_data(as_text=True)
    assert tokens(dash_app)[0].revoked_at is not None
    assert "Revoked" in text_of(list_tokens_on_page(client, dash_app).get_json()["response"]["entry-token-list"]
                                ["children"])


def _secret_in(node) -> str:
    """The value of the read-only field that shows the new token."""
    if isinstance(node, list):
        for item in node:
            found = _secret_in(item)
            if found:
                return found
    elif isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == "entry-token-secret":
            return props["value"]
        return _secret_in(props.get("children"))
    return ""


def test_a_nameless_token_is_refused_and_the_typed_name_kept(dash_app):
    client = dash_app.server.test_client()
    login(client, "editor")
    response = create_on_page(client, "   ")
    answer = response.get_json()["response"]
    assert "Give the token a name" in text_of(answer["entry-token-feedback"]["children"])
    assert "entry-token-name" not in answer and tokens(dash_app) == []


def test_an_editor_can_neither_see_nor_revoke_someone_elses_token(dash_app):
    client = dash_app.server.test_client()
    login(client, "editor")
    token_id, _ = token_of(dash_app, "state_editor", "State office system")
    assert "State office system" not in list_tokens_on_page(client, dash_app).get_data(as_text=True)
    response = revoke_on_page(client, dash_app, token_id)
    assert response.status_code == 200 and "not among yours" in response.get_data(as_text=True)
    assert tokens(dash_app)[0].revoked_at is None


def test_the_tokens_link_is_in_the_menu_of_editors_and_admins_only(dash_app):
    for who, shown in (("editor", True), ("admin", True), ("viewer", False), (None, False)):
        client = dash_app.server.test_client()
        if who:
            login(client, who)
        layout = client.get("/_dash-layout").get_data(as_text=True)
        assert ("nav-tokens" in layout and "API tokens" in layout) is shown, who


# --- the command line -----------------------------------------------------------------------------------------


def test_create_token_prints_the_token_once_and_stores_its_hash(dash_app):
    result = dash_app.server.test_cli_runner().invoke(
        args=["create-token", "OCD.Editor@example.org", "--name", "Grants system"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rs_") and len(secret) == 46 and result.output.count(secret) == 1
    [token] = tokens(dash_app)
    assert token.name == "Grants system" and token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    client = dash_app.server.test_client(use_cookies=False)
    response = client.post("/api/v1/measures/ocd-vacant-addresses-flooded-tracts/values",
                           json={"period": "2026-11", "value": 2710}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201


@pytest.mark.parametrize("email, message", [("nobody@example.org", "no account has the email"),
                                            ("mayor@example.org", "viewer")])
def test_create_token_refuses_unknown_accounts_and_viewers(dash_app, email, message):
    result = dash_app.server.test_cli_runner().invoke(args=["create-token", email])
    assert result.exit_code == 2 and message in result.output and "Nothing was written" in result.output
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
