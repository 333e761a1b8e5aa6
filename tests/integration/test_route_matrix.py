"""The authorization matrix of every Flask route (the Dash callbacks and pages have theirs in test_guard.py).

Generated from the app's own URL map: every rule must have an entry in ROUTES saying who may use it, so a new route
without one fails here. Each rule x method is then tried as anonymous, viewer, editor of department A, editor of
department B and admin, and must answer as its audience says: allowed (never 401/403, never a server error) or
refused on the server (401 or a redirect to sign-in for anonymous, 403 for a signed-in role without access).
"""
from __future__ import annotations

import re

import pytest

from conftest import login

# Who may use each route. "pub": anyone. "exec": signed-in staff. "entry": editors and admins. "admin": admins.
# "dash": Dash's own machinery (its guard lives in callbacks.guard and is tested in test_guard.py).
# "form": the sign-in and sign-out form routes (anyone may post; the form itself decides, see test_auth_and_shell).
ROUTES: dict[str, str] = {
    "/": "dash",
    "/<path:path>": "dash",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": "dash",
    "/_dash-dependencies": "dash",
    "/_dash-layout": "dash",
    "/_dash-update-component": "dash",
    "/_favicon.ico": "dash",
    "/_reload-hash": "dash",
    "/assets/<path:filename>": "pub",
    "/static/<path:filename>": "pub",
    "/api/v1/<path:rest>": "pub",
    "/api/v1/dictionary.csv": "pub",
    "/api/v1/dictionary.json": "pub",
    "/api/v1/goals": "pub",
    "/api/v1/goals/<slug>": "pub",
    "/api/v1/measures": "pub",
    "/api/v1/measures/<slug>": "pub",
    "/api/v1/measures/<slug>/values": "pub",
    "/api/v1/measures/<slug>/values.csv": "pub",
    "/api/v1/openapi.json": "pub",
    "/api/v1/revisions": "pub",
    "/api/v1/values.csv": "pub",
    "/api/v1/values.json": "pub",
    "/data.json": "pub",
    "/embed/measures/<slug>": "pub",
    "/embed/static/<path:filename>": "pub",
    "/healthz": "pub",
    "/dashboard/briefing.xlsx": "exec",
    "/login": "form",
    "/logout": "form",
    "/invite/<token>": "form",  # the one-time link decides (test_admin_people_pages)
    "/admin/audit.csv": "admin",
    "/entry/template.csv": "entry",
    "/entry/template.xlsx": "entry",
    "/admin/import/export.xlsx": "admin",
    "/admin/import/export.zip": "admin",
    "/admin/import/template.xlsx": "admin",
}
# Per-method audiences where a rule's methods differ (e.g. reading is public, writing needs a token).
METHOD_AUDIENCE: dict[tuple[str, str], str] = {
    # Partner systems write with a personal API token; a browser's cookie never counts (test_write_api has the
    # token matrix).
    ("/api/v1/measures/<slug>/values", "POST"): "token",
}
AUDIENCE_ROLES = {
    "pub": {None, "viewer", "editor", "state_editor", "admin"},
    "exec": {"viewer", "editor", "state_editor", "admin"},
    "entry": {"editor", "state_editor", "admin"},
    "admin": {"admin"},
}
ROLES = (None, "viewer", "editor", "state_editor", "admin")
# Values for the variables of a rule: a real slug, a real file.
SAMPLE = {"slug": "rla-homeowners-awarded-ebr", "path": "about", "filename": "recoverystat.css", "rest": "nothing-here",
          "package_name": "dash", "fingerprinted_path": "none.js", "token": "not-a-token"}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda found: SAMPLE.get(found.group(1), "x"), rule)


def _rules(app) -> list[tuple[str, str]]:
    return sorted((rule.rule, method) for rule in app.server.url_map.iter_rules()
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_has_an_entry_in_the_matrix(dash_app):
    """A route added without saying who may use it fails here (and stale entries are removed)."""
    rules = {rule for rule, _method in _rules(dash_app)}
    assert rules - set(ROUTES) == set(), "routes without an entry in ROUTES"
    assert set(ROUTES) - rules == set(), "entries in ROUTES for routes that no longer exist"
    assert set(ROUTES.values()) | set(METHOD_AUDIENCE.values()) <= {*AUDIENCE_ROLES, "dash", "form", "token"}


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_route_matrix(dash_app, role):
    """Every route x method answers as its audience says for this role; nothing answers with a server error."""
    client = dash_app.server.test_client()
    if role:
        login(client, role)
    checked = 0
    for rule, method in _rules(dash_app):
        audience = METHOD_AUDIENCE.get((rule, method), ROUTES[rule])
        if audience in ("dash", "form"):
            continue
        if audience == "token":
            response = client.open(_concrete(rule), method=method, headers={"Origin": "http://localhost"}, json=[])
            assert response.status_code == 401, f"{method} {rule} as {role} with a cookie: {response.status_code}"
            checked += 1
            continue
        path = _concrete(rule)
        response = client.open(path, method=method, headers={"Origin": "http://localhost"},
                               json={} if method != "GET" else None)
        status = response.status_code
        assert status < 500, f"{method} {path} as {role}: {status}"
        if role in AUDIENCE_ROLES[audience]:
            assert status not in (401, 403), f"{method} {path} as {role}: refused ({status})"
        elif role is None:
            refused = status in (401, 403) or (status == 302 and "/login" in response.headers.get("Location", ""))
            assert refused, f"{method} {path} as anonymous: {status}"
        else:
            assert status == 403, f"{method} {path} as {role}: {status}"
        checked += 1
    assert checked >= 20
