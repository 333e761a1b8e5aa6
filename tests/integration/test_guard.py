"""The server-side guard, derived from the app's own callback map and page registry so nothing can escape it."""
from __future__ import annotations

import json

import dash
import pytest

from callbacks.guard import (
    AUDIENCE_ROLES,
    ROUTER,
    allowed,
    callback_audience,
    output_ids,
)
from conftest import TEST_USERS, login
from extensions import db_session
from models.audit import current_data_version

# Anonymous, the viewer, editors of two departments (City-Parish OCD and the state's recovery office) and an admin.
ROLES = (None, "viewer", "editor", "state_editor", "admin")


def _body(key: str, spec: dict, pathname: str | None = None) -> dict:
    """A request body shaped like the renderer's for callback `key` (values empty)."""
    inputs = []
    for item in spec.get("inputs", []):
        component = item["id"]
        if component.startswith("{"):
            inputs.append([])  # pattern-matching input: no matching components
            continue
        value = pathname if component == "_pages_location" and item["property"] == "pathname" else None
        inputs.append({"id": component, "property": item["property"], "value": value})
    state = [{"id": s["id"], "property": s["property"], "value": None} for s in spec.get("state", [])
             if not s["id"].startswith("{")]
    return {"output": key, "outputs": [], "inputs": inputs, "state": state, "changedPropIds": []}


def _status(client, body: dict) -> int:
    """Status of a callback POST; an exception inside the callback means the guard let it through."""
    try:
        return client.post("/_dash-update-component", json=body).status_code
    except Exception:
        return 200


@pytest.fixture(params=ROLES, ids=lambda r: r or "anonymous")
def role_client(request, dash_app):
    """A test client signed in as each person in turn (anonymous first); yields their role and the client."""
    client = dash_app.server.test_client()
    if request.param:
        login(client, request.param)
    return (TEST_USERS[request.param][1] if request.param else None), client


def test_every_callback_has_exactly_one_known_audience(dash_app):
    """A callback whose outputs lack an audience prefix, or mix audiences, would be refused for everyone."""
    assert dash_app.callback_map, "the callback map is empty: the app did not finish its setup"
    for key in dash_app.callback_map:
        audience = callback_audience(key)
        assert audience in (*AUDIENCE_ROLES, ROUTER), f"callback {key} has outputs {output_ids(key)} without one audience"


def test_every_page_declares_an_audience():
    """Pages say who may open them; the guard treats a page without one as admin-only."""
    for module, page in dash.page_registry.items():
        assert page.get("audience") in AUDIENCE_ROLES, f"page {module} lacks audience="


def test_callback_matrix(role_client, dash_app):
    """Every callback: refused with 401 anonymous and 403 for a role outside its audience, allowed otherwise."""
    role, client = role_client
    checked = 0
    with dash_app.server.app_context(), db_session() as session:
        version_before = current_data_version(session)
    for key, spec in dash_app.callback_map.items():
        audience = callback_audience(key)
        if audience == ROUTER:
            continue
        status = _status(client, _body(key, spec))
        if allowed(audience, role):
            assert status not in (401, 403), f"{role or 'anonymous'} refused on {key}"
        else:
            assert status == (401 if role is None else 403), f"{role or 'anonymous'} got {status} on {key}"
        checked += 1
    assert checked >= 1
    with dash_app.server.app_context(), db_session() as session:
        assert current_data_version(session) == version_before, "a callback of the matrix wrote something"


def test_page_router_matrix(role_client, dash_app):
    """The pages router renders a page's layout only for that page's audience."""
    role, client = role_client
    router = next(k for k in dash_app.callback_map if callback_audience(k) == ROUTER)
    for page in dash.page_registry.values():
        status = _status(client, _body(router, dash_app.callback_map[router], page["path"]))
        if allowed(page["audience"], role):
            assert status == 200, f"{role or 'anonymous'} refused page {page['path']}"
        else:
            assert status == (401 if role is None else 403), f"{role or 'anonymous'} got {status} for {page['path']}"


def test_non_public_outputs_refuse_anonymous_with_401_and_editor_admin_outputs_with_403(dash_app):
    """The acceptance check, stated directly: anonymous -> 401 on non-public; editor -> 403 on admin outputs."""
    anonymous = dash_app.server.test_client()
    editor = dash_app.server.test_client()
    login(editor, "editor")
    non_public = [k for k in dash_app.callback_map if callback_audience(k) not in ("pub", ROUTER)]
    admin_only = [k for k in non_public if callback_audience(k) == "admin"]
    assert non_public and admin_only, "expected internal and admin callbacks to check"
    for key in non_public:
        assert _status(anonymous, _body(key, dash_app.callback_map[key])) == 401, key
    for key in admin_only:
        assert _status(editor, _body(key, dash_app.callback_map[key])) == 403, key


def test_unknown_or_malformed_callback_requests_are_refused(dash_app):
    """A made-up output, or a body that is not JSON, never reaches Dash."""
    client = dash_app.server.test_client()
    made_up = {"output": "admin-secret.children", "outputs": [], "inputs": [], "state": []}
    assert client.post("/_dash-update-component", json=made_up).status_code == 401
    assert client.post("/_dash-update-component", data="not json",
                       content_type="application/json").status_code == 401
    login(client, "viewer")
    assert client.post("/_dash-update-component", json=made_up).status_code == 400


def test_output_ids_reads_multi_output_and_pattern_matching_keys():
    """Multi-output keys and pattern-matching ids map to their component ids (or `type`)."""
    pattern = json.dumps({"id": 4, "type": "admin-action"}, separators=(",", ":"))
    assert output_ids("..exec-a.children...exec-b.data..") == ["exec-a", "exec-b"]
    assert output_ids(f"{pattern}.children") == ["admin-action"]
    assert callback_audience("..exec-a.children...admin-b.data..") is None
    assert callback_audience("nav.children") is None


@pytest.mark.parametrize("path", ["/dashboard", "/entry", "/review", "/dashboard/briefing",
                                  "/dashboard/measures/homes-repaired"])
def test_protected_page_get_redirects_anonymous_to_login(client, path):
    """Opening an internal page without signing in leads to the sign-in form, which returns there."""
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_review_page_get_is_forbidden_for_an_editor(client):
    """A signed-in person outside a page's audience gets a 403 page with a way back, not the page."""
    login(client, "editor")
    response = client.get("/review")
    assert response.status_code == 403
    assert b"do not have access" in response.data
