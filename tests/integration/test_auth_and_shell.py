"""Sign-in, sign-out, the health check and the page shell, through the Flask test client."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import create_app
from conftest import TEST_PASSWORD, TEST_USERS, app_config, login, post_login, post_logout
from extensions import EXTENSION_KEY
from models.audit import AuditEvent


def _audit_actions(dash_app, email: str) -> list[str]:
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor == email).order_by(AuditEvent.id)))


def test_login_with_right_password_signs_in_and_audits(client, dash_app):
    """A correct email (any case) and password sign in, go to `next`, and leave a login audit event."""
    email = TEST_USERS["viewer"][0]
    response = post_login(client, {"email": email.upper(), "password": TEST_PASSWORD, "next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "login" in _audit_actions(dash_app, email)
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "Sign out" in layout and "Mayor" in layout


def _login_email_shown(client) -> str:
    from conftest import post_callback

    response = post_callback(client, "pub-login-email.value",
                             [{"id": "pub-login-email", "property": "id", "value": "pub-login-email"}])
    if response.status_code == 204:  # nothing to restore: the field is left as it is
        return ""
    return response.get_json()["response"]["pub-login-email"]["value"]


def test_login_with_wrong_password_returns_to_form_with_message_and_email(client, dash_app):
    """A failed sign-in says so, keeps the typed email (in the session, never in the address), and is audited."""
    email = TEST_USERS["editor"][0]
    response = post_login(client, {"email": email, "password": "wrong-password"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/login?error=invalid"
    assert _login_email_shown(client) == email
    login(client, "editor")
    post_logout(client)
    assert _login_email_shown(client) == "", "a sign-in starts a fresh session: the failed attempt's email is gone"
    assert "login.failed" in _audit_actions(dash_app, email)
    assert "Sign out" not in client.get("/_dash-layout").get_data(as_text=True)


def test_login_never_redirects_off_site(client):
    """`next` pointing at another host, or carrying control characters, is ignored: the role's start page instead."""
    for target in ("https://evil.example", "//evil.example", "javascript:alert(1)", "/\\evil.example",
                   "/dashboard\r\nSet-Cookie: x=1", "/" + "a" * 5000):
        response = post_login(client, {"email": TEST_USERS["admin"][0], "password": TEST_PASSWORD,
                                               "next": target})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/review", target


@pytest.mark.parametrize(("who", "start"), [("viewer", "/dashboard"), ("editor", "/entry"), ("admin", "/review")])
def test_each_role_lands_on_its_own_start_page_unless_a_page_asked(client, who, start):
    data = {"email": TEST_USERS[who][0], "password": TEST_PASSWORD}
    assert post_login(client, data).headers["Location"] == start
    post_logout(client)
    assert post_login(client, {**data, "next": "/measures/x?y=1"}).headers["Location"] == "/measures/x?y=1"
    post_logout(client)
    # An empty `next`, or one naming the sign-in or sign-out route itself, is no destination: the start page.
    for target in ("", "/login", "/login?next=/review", "/logout", "/logout/"):
        response = post_login(client, {**data, "next": target})
        assert response.headers["Location"] == start, target
        assert "Sign out" in client.get("/_dash-layout").get_data(as_text=True), target  # still signed in
        post_logout(client)


def test_without_javascript_the_page_points_to_the_plain_data(client):
    """The shell's <noscript> says the pages need JavaScript and links the plain facts and the data downloads."""
    html = client.get("/").get_data(as_text=True)
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S)
    assert noscript is not None
    text = noscript.group(1)
    assert "needs JavaScript" in text
    links = {label: href for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', text)}
    assert links["the data downloads"] == "/api/v1/values.csv"
    assert links["the plain facts"] == "/api/v1/measures"
    assert links["the open-data page"] == "/developers"
    for href in links.values():
        assert client.get(href).status_code == 200, href


def test_logout_signs_out_and_audits(client, dash_app):
    """Signing out ends the session: internal callbacks are refused again."""
    login(client, "admin")
    response = post_logout(client)
    assert response.status_code == 302 and response.headers["Location"] == "/login?error=signed-out"
    assert "logout" in _audit_actions(dash_app, TEST_USERS["admin"][0])
    assert "Sign in" in client.get("/_dash-layout").get_data(as_text=True)


def test_navigation_shows_each_role_what_it_may_use(dash_app):
    """The header lists only the pages a role may open."""
    expected = {
        None: ["Progress"],
        "viewer": ["Progress", "Dashboard", "Submissions"],
        "editor": ["Progress", "Dashboard", "Submissions", "Enter figures"],
        "admin": ["Progress", "Dashboard", "Submissions", "Enter figures", "Approvals", "Reports", "Admin"],
    }
    for role, labels in expected.items():
        client = dash_app.server.test_client()
        if role:
            login(client, role)
        layout = client.get("/_dash-layout").get_json()
        nav = _find(layout, "pub-nav")
        assert nav is not None
        found = re.findall(r'"children": "([^"]+)", "href"', _dumps(nav))
        assert found == labels, (role, found)


def _dumps(value) -> str:
    import json

    return json.dumps(value)


def _find(node, component_id):
    """Depth-first search of a serialized Dash layout for a component id."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        for child in node.values():
            found = _find(child, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for child in node:
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_index_page_is_english_local_only_and_secured(client):
    """The HTML shell has lang=en, loads every asset from this server, and sends security headers."""
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "an asset is loaded from another host"
    assert "/assets/00-bootstrap-5.3.9.min.css" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/assets/00-bootstrap-5.3.9.min.css").status_code == 200


def test_session_cookie_is_http_only_and_same_site(client):
    """The sign-in cookie cannot be read by scripts or sent by other sites' forms."""
    response = post_login(client, {"email": TEST_USERS["admin"][0], "password": TEST_PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz_reports_database_ok(client):
    """The health check answers 200 with the database status and data version."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["data_version"] >= 1


def test_healthz_reports_503_when_the_database_is_unreachable(tmp_path):
    """With the database gone the health check says so instead of pretending."""
    app = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_public_callback_still_answers_when_signed_out(client):
    """The public overview callback is open to anonymous readers and returns the published goals."""
    from conftest import post_callback

    response = post_callback(client, "pub-overview.children",
                             [{"id": "pub-month", "property": "value", "value": "2026-10-01"}])
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Bring flooded families home" in text
    assert "Keep recovery reporting on time" not in text  # the unpublished goal


def test_login_is_rate_limited_per_address(db_url):
    """Many sign-in attempts from one address are slowed down with a clear message."""
    app = create_app(app_config(db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    client = app.server.test_client()
    from conftest import form_token

    token = form_token(client)  # one page's form, posted again and again: all 62 tries fall in one minute
    locations = [client.post("/login", data={"email": f"x{i}@example.org", "password": "nope", "csrf_token": token})
                 .headers["Location"] for i in range(62)]
    assert all("error=invalid" in loc for loc in locations[:60])
    assert "error=limited" in locations[-1]


def test_one_account_is_protected_whatever_address_the_guesses_come_from(db_url):
    app = create_app(app_config(db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    client = app.server.test_client()
    target = TEST_USERS["admin"][0]

    def attempt(password: str, address: str) -> str:
        return post_login(client, {"email": target, "password": password},
                           environ_base={"REMOTE_ADDR": address}).headers["Location"]

    tried = [attempt("guess", f"10.0.0.{i}") for i in range(20)]
    assert all("error=invalid" in loc for loc in tried[:5])
    assert all("error=limited" in loc for loc in tried[5:])
    # Even the right password waits: the account is cooling down, not the person's address.
    assert "error=limited" in attempt(TEST_PASSWORD, "10.0.1.1")
    # A colleague's account behind the same office address is unaffected.
    colleague = post_login(client, {"email": TEST_USERS["viewer"][0], "password": TEST_PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert colleague.headers["Location"] == "/dashboard"


def test_inactive_user_cannot_sign_in(client, dash_app):
    """A deactivated account is refused even with the right password."""
    from models.org import User

    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        user = session.scalar(select(User).where(User.email == TEST_USERS["viewer"][0]))
        user.active = False
        session.commit()
        assert session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))) == 1
    response = post_login(client, {"email": TEST_USERS["viewer"][0], "password": TEST_PASSWORD})
    assert "error=invalid" in response.headers["Location"]


def test_public_overview_payload_is_compressed_and_small(client):
    """Callback payloads are gzipped; the whole public overview stays a small download."""
    from conftest import callback_body

    body = callback_body("pub-overview.children", [{"id": "pub-month", "property": "value", "value": "2026-10-01"}])
    response = client.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"
    assert len(response.data) < 20_000


def _render_page(client, dash_app, pathname: str, search: str = "") -> str:
    """Ask the pages router for a page's layout, as the browser does on navigation."""
    from callbacks.guard import ROUTER, callback_audience

    key = next(k for k in dash_app.callback_map if callback_audience(k) == ROUTER)
    values = {"pathname": pathname, "search": search}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(i["property"])}
              for i in dash_app.callback_map[key]["inputs"]]
    outputs = [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}]
    response = client.post("/_dash-update-component", json={"output": key, "outputs": outputs, "inputs": inputs,
                                                            "state": [], "changedPropIds": []})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_login_page_renders_its_messages(client, dash_app):
    """After a failed sign-in the form shows why (an email in the address is ignored); after sign-out it confirms."""
    failed = _render_page(client, dash_app, "/login", "?error=invalid&email=ocd.editor%40example.org")
    assert "do not match an active account" in failed and "ocd.editor@example.org" not in failed
    assert "had expired" in _render_page(client, dash_app, "/login", "?error=expired")
    assert "You are signed out." in _render_page(client, dash_app, "/login", "?error=signed-out")
    assert "Too many sign-in attempts" in _render_page(client, dash_app, "/login", "?error=limited")


def test_a_callback_whose_database_is_down_tells_the_person_and_changes_nothing():
    """With the database unreachable a callback answers with a plain message and leaves its outputs alone."""
    from conftest import callback_body

    app = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    body = callback_body("pub-overview.children", [{"id": "pub-month", "property": "value", "value": "2026-10-01"}])
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204)
    if response.status_code == 200:
        payload = response.get_json()
        assert "pub-overview" not in payload.get("response", {}), "the overview was replaced"
        assert "database is not answering" in response.get_data(as_text=True)
    else:
        raise AssertionError("no message was sent to the page")


@pytest.mark.parametrize("email", ["a" * 300 + "@example.org", "admin@example.org\x00", "\r\nadmin@example.org",
                                   "é" * 1000])
def test_odd_emails_at_sign_in_are_a_failed_sign_in_not_a_server_error(client, email):
    response = post_login(client, {"email": email, "password": "whatever", "next": "/dash\r\nX: y"})
    assert response.status_code == 302
    assert "error=invalid" in response.headers["Location"]
    assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]


def test_sign_in_without_the_forms_token_checks_nothing(client, dash_app):
    """A sign-in POST without this session's CSRF token (a forged or stale form) is not checked: no session, no
    attempt counted, back to the form with the email kept."""
    email = TEST_USERS["admin"][0]
    for token in (None, "", "not-a-token"):
        data = {"email": email, "password": TEST_PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.headers["Location"] == "/login?error=expired", token
        assert "Sign out" not in client.get("/_dash-layout").get_data(as_text=True)
    assert _login_email_shown(client) == email
    assert "login.failed" not in _audit_actions(dash_app, email)
    # A token from another session does not work either.
    other = dash_app.server.test_client()
    from conftest import form_token

    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": form_token(other)})
    assert response.headers["Location"] == "/login?error=expired"


def test_sign_out_needs_the_forms_token(client, dash_app):
    """A link, an image or a forged form cannot sign anyone out: without the token the server only asks."""
    login(client, "viewer")
    for response in (client.get("/logout"), client.post("/logout"), client.post("/logout", data={"csrf_token": "x"})):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Sign out of RecoveryStat?" in page and 'name="csrf_token"' in page
        assert "Sign out" in client.get("/_dash-layout").get_data(as_text=True), "still signed in"
    # The header's own form carries the token, and works.
    layout = client.get("/_dash-layout").get_data(as_text=True)
    token = form_token_from_layout(layout)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login?error=signed-out"
    assert "Sign out" not in client.get("/_dash-layout").get_data(as_text=True)


def form_token_from_layout(layout: str) -> str:
    """The value of the sign-out form's hidden csrf_token field in a /_dash-layout answer."""
    import json

    found = []

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and props.get("name") == "csrf_token":
                found.append(props.get("value"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(layout))
    assert len(found) == 1 and found[0], found
    return found[0]
