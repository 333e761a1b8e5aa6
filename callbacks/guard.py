"""Server-side protection of Dash callbacks and pages by audience.

Dash callbacks are plain POSTs to `/_dash-update-component`, so hiding a page protects nothing. Every callback
output id carries an audience prefix (`pub-`, `exec-`, `entry-`, `admin-`); this guard maps each request to its
callback's audience and refuses it with 401 (not signed in) or 403 (signed in, wrong role) before Dash runs it.
The pages router callback is judged by the audience of the page it would render. Anything unknown is refused.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import dash
from flask import Response, jsonify, redirect, request

from extensions import current_role

AUDIENCE_ROLES: dict[str, frozenset[str] | None] = {
    "pub": None,  # anyone, signed in or not
    "exec": frozenset({"viewer", "editor", "admin"}),
    "entry": frozenset({"editor", "admin"}),
    "admin": frozenset({"admin"}),
}
# Dash's own pages machinery: the router (judged by page) and the clientside title updater.
ROUTER_IDS = frozenset({"_pages_content", "_pages_store"})
ROUTER = "router"
ANONYMOUS_BODY_LIMIT = 64 * 1024
# Outputs of Dash's own clientside callbacks (the page title): they run in the browser and reveal nothing.
PUBLIC_INTERNAL_IDS = frozenset({"_pages_dummy"})


def output_ids(callback_key: str) -> list[str]:
    """The component ids a callback_map key writes to (pattern-matching ids give their `type`)."""
    if callback_key.startswith(".."):
        parts = callback_key.strip(".").split("...")
    else:
        parts = [callback_key]
    ids = []
    for part in parts:
        component = part.rsplit(".", 1)[0]
        if component.startswith("{"):
            component = str(json.loads(component).get("type", ""))
        ids.append(component)
    return ids


def audience_of_id(component_id: str) -> str | None:
    """The audience named by a component id's prefix, or None when it has none."""
    if component_id in ROUTER_IDS:
        return ROUTER
    if component_id in PUBLIC_INTERNAL_IDS:
        return "pub"
    prefix = component_id.split("-", 1)[0]
    return prefix if prefix in AUDIENCE_ROLES else None


def callback_audience(callback_key: str) -> str | None:
    """The single audience of a callback; None if any output lacks a prefix or outputs mix audiences."""
    audiences = {audience_of_id(i) for i in output_ids(callback_key)}
    if len(audiences) != 1 or None in audiences:
        return None
    return audiences.pop()


# Pages whose address carries a slug ("/measures/<slug>") may have nothing behind it: a check per path template,
# registered by the page's callbacks module, says whether it does; when not, the server answers 404.
PAGE_EXISTS: dict[str, Callable[[str, dict[str, str]], bool]] = {}
NOT_FOUND_PATH = "/404"
# Paths that are not pages: Dash's own routes, assets, the API and open-data files, the embeddable chart and the
# form routes (sign-in, sign-out, the one-time password link).
NOT_PAGES = ("/_dash", "/assets", "/_reload", "/api", "/healthz", "/login", "/logout", "/_favicon", "/embed/",
             "/data.json", "/invite/")


def _template_pattern(template: str) -> re.Pattern[str]:
    """A regular expression for a Dash path template, e.g. "/measures/<slug>" -> ^/measures/(?P<slug>[^/]+)$."""
    parts = re.split(r"<([A-Za-z_][A-Za-z0-9_]*)>", template.rstrip("/") or "/")
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{pattern}$")


def match_page(pathname: str | None) -> tuple[dict, dict[str, str]] | None:
    """The registered page at `pathname` and its path variables, or None when no page has that address."""
    path = (pathname or "/").rstrip("/") or "/"
    for page in dash.page_registry.values():
        if ((page.get("path") or "").rstrip("/") or "/") == path and not page.get("path_template"):
            return page, {}
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template:
            found = _template_pattern(template).match(path)
            if found:
                return page, found.groupdict()
    return None


def page_audience(pathname: str | None) -> str:
    """The audience of the page at `pathname`; unknown paths render the public not-found page."""
    found = match_page(pathname)
    return found[0].get("audience", "admin") if found else "pub"


def page_exists(pathname: str | None) -> bool:
    """Whether `pathname` is a page with something behind it (not the not-found page, not an absent slug)."""
    found = match_page(pathname)
    if found is None:
        return False
    page, variables = found
    if (page.get("path") or "") == NOT_FOUND_PATH:
        return False
    template = page.get("path_template")
    check = PAGE_EXISTS.get(template) if template else None
    return check(template, variables) if check else True


def allowed(audience: str | None, role: str | None) -> bool:
    """Whether a person with `role` (None = anonymous) may use `audience`."""
    if audience not in AUDIENCE_ROLES:
        return False
    roles = AUDIENCE_ROLES[audience]
    return roles is None or (role is not None and role in roles)


def _refuse(role: str | None) -> Response:
    if role is None:
        response = jsonify(error="Sign in to see or change this.", login="/login")
        response.status_code = 401
    else:
        response = jsonify(error="Your role may not see or change this.")
        response.status_code = 403
    return response


def _pathname_of(body: dict[str, Any]) -> str | None:
    for item in body.get("inputs", []):
        if isinstance(item, dict) and item.get("id") == "_pages_location" and item.get("property") == "pathname":
            return item.get("value")
    return None


def register(app: dash.Dash) -> None:
    """Install the guard as a before_request hook on the app's server."""
    update_path = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def guard_dash_requests():
        role = current_role()
        if request.path == update_path:
            if role is None:
                # Public callbacks post a few hundred bytes; a large anonymous body is refused before it is read.
                request.max_content_length = ANONYMOUS_BODY_LIMIT
            body = request.get_json(silent=True) or {}
            if not isinstance(body, dict):
                body = {}
            key = body.get("output")
            if not isinstance(key, str) or key not in app.callback_map:
                return _refuse(role) if role is None else (jsonify(error="Unknown callback."), 400)
            audience = callback_audience(key)
            if audience == ROUTER:
                audience = page_audience(_pathname_of(body))
            if not allowed(audience, role):
                return _refuse(role)
            return None
        if request.method == "GET" and not request.path.startswith(NOT_PAGES):
            audience = page_audience(request.path)
            if not allowed(audience, role):
                if role is None:
                    return redirect(f"/login?next={request.path}")
                return Response(
                    "<!doctype html><html lang='en'><title>Not allowed - RecoveryStat</title><main>"
                    "<h1>You do not have access to this page</h1><p>Your role does not include it. "
                    "<a href='/'>Go to the public progress page</a>.</p></main></html>",
                    status=403, mimetype="text/html",
                )
        return None

    @app.server.after_request
    def answer_404_for_missing_pages(response: Response) -> Response:
        """Dash serves the same page frame at every address; an address with nothing behind it answers 404.

        The frame still loads, and the app shows its not-found message there (the same for an unknown address,
        an unknown slug and an unpublished goal or measure, so a hidden one cannot be told from an absent one).
        """
        if (request.method in ("GET", "HEAD") and response.status_code == 200 and response.mimetype == "text/html"
                and not request.path.startswith(NOT_PAGES) and not page_exists(request.path)):
            response.status_code = 404
        return response
