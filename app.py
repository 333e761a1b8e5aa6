"""RecoveryStat: wires the Flask server, the Dash pages and callbacks, the API routes and the CLI. Owns nothing."""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import dash_ag_grid
from dash import _dash_renderer as dash_renderer_module
from dash.fingerprint import build_fingerprint
from flask import Flask
from flask_login import current_user
from flask_talisman import Talisman

import api
import callbacks
import cli
from api.auth import form_token
from callbacks import response_cache
from callbacks.errors import report_callback_error
from cli import alembic_config  # noqa: F401  (re-exported: tests and tools use app.alembic_config)
from extensions import (
    EXTENSION_KEY,
    Database,
    cache,
    limiter,
    login_manager,
)
from layouts._components import shell
from models import clock
from models.org import ROLE_LABELS

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings from the environment (12-factor), then `overrides`; refuses to run in production without a secret."""
    overrides = dict(overrides or {})
    environment = overrides.get("ENV") or os.environ.get("RECOVERYSTAT_ENV", "development")
    database_url = overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL") \
        or f"sqlite:///{INSTANCE / 'recoverystat.db'}"
    redis_url = overrides.get("REDIS_URL", os.environ.get("REDIS_URL"))
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if environment != "development" and not overrides.get("TESTING"):
            raise RuntimeError(
                "SECRET_KEY is not set. Set it to a long random string in the environment, e.g. "
                "export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        secret = _development_secret()
    settings: dict[str, Any] = {
        "ENV": environment,
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A signed-in session ends after this long without a request (it is renewed by every request).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(os.environ.get("SESSION_IDLE_HOURS", "8"))),
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_DEFAULT_TIMEOUT": 600,
        # Workers sharing one Redis must share keys; different databases must not.
        "CACHE_KEY_PREFIX": "recoverystat:" + hashlib.sha1(database_url.encode()).hexdigest()[:10] + ":",
        # Redis timeouts are short: the cache is an accelerator, and a Redis that hangs must not hang the page.
        "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if redis_url else {},
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if redis_url else {},
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count attempts in each process instead of failing sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "DATABASE_STATEMENT_TIMEOUT_MS": int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "15000")),
        # Uploads of a few MB arrive base64-encoded inside callback bodies; anything larger is refused unread.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "FORCE_HTTPS": os.environ.get("FORCE_HTTPS", "0") == "1",
        # HTML forms carry a CSRF token bound to the session (Flask-WTF); routes check it themselves, so Dash's
        # JSON callbacks and the token API are not affected. The token lives as long as the session.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # Cross-site requests are refused by Origin/Sec-Fetch-Site (api.hardening); the Referer check would also
        # refuse people whose browser or proxy strips that header.
        "WTF_CSRF_SSL_STRICT": False,
        # Nobody approves a figure they entered or corrected themselves; TWO_PERSON_RULE=0 lets a one-person team
        # approve its own figures (the audit then records that the approver also entered them).
        "TWO_PERSON_RULE": os.environ.get("TWO_PERSON_RULE", "1").strip() != "0",
        # Outgoing mail (reminders, one-time password links): the city's SMTP server; without MAIL_SERVER nothing
        # is sent (an admin then passes a password link on by hand).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": os.environ.get("MAIL_PORT", "25"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0").strip().lower() in ("1", "true", "yes", "on"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "recoverystat@localhost"),
        # The address people open RecoveryStat at, for links in emails.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8050"),
    }
    settings.update(overrides)
    return settings


def _development_secret() -> str:
    """A random secret kept under instance/ so development sign-ins survive restarts."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def content_security_policy(app: dash.Dash) -> dict[str, Any]:
    """A strict CSP: scripts only from this server plus the hashes of Dash's own inline scripts."""
    return {
        "default-src": "'self'",
        "script-src": ["'self'", *app.csp_hashes()],
        # Dash components inject <style> elements at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }


INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        <noscript>
            <div class="container py-4">
                <h1 class="h3">RecoveryStat needs JavaScript for its pages</h1>
                <p>Turn JavaScript on to see the progress of East Baton Rouge's flood recovery goals. Every figure
                is also published as plain data that needs no script:</p>
                <ul>
                    <li><a href="/api/v1/measures">the plain facts</a>: each published measure's latest figure,
                    status, target and source;</li>
                    <li><a href="/api/v1/values.csv">the data downloads</a>: every published monthly figure as CSV
                    (<a href="/api/v1/values.json">or JSON</a>);</li>
                    <li><a href="/developers">the open-data page</a>: every download and the API.</li>
                </ul>
            </div>
        </noscript>
        {%app_entry%}
        <div>
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


GRID_SCRIPT_META = "recoverystat-grid-script"


def drop_legacy_polyfill() -> None:
    """Keep @babel/polyfill out of every page's head. Dash sends it (core-js 2, 99 kB) for browsers older than
    React 18 runs in; in a browser React 18 runs in it only costs time, about a tenth of a second of the public
    page's first view. The one part of it Dash's bundles still call, `regeneratorRuntime` (when they load a
    component's code on demand), comes from assets/00-regenerator-runtime-0.14.1.js."""
    for dependency in dash_renderer_module._js_dist_dependencies:
        for field in ("relative_package_path", "external_url"):
            for mode, paths in dependency.get(field, {}).items():
                dependency[field][mode] = [path for path in paths if "polyfill" not in path]


def grid_script_on_demand(app: dash.Dash) -> str:
    """Keep dash-ag-grid's bundle out of every page's head (Dash's "lazy" resource: served, never put in a page) and
    return its address, which assets/grid-loader.js fetches the first time a page draws a grid.

    The bundle is 1.3 MB (360 kB compressed) that every page would otherwise fetch and run, the public page first
    of all; one staff page, the monthly entry grid, uses it."""
    bundle = dash_ag_grid._js_dist[0]
    if bundle["relative_package_path"] != "dash_ag_grid.min.js":
        raise RuntimeError("dash-ag-grid's bundle has moved: update grid_script_on_demand and assets/grid-loader.js")
    bundle["async"] = "lazy"
    path = Path(dash_ag_grid.__file__).with_name(bundle["relative_package_path"])
    fingerprint = build_fingerprint(bundle["relative_package_path"], dash_ag_grid.__version__,
                                    int(path.stat().st_mtime))  # the address Dash would give it in a page's head
    return f"{app.config.requests_pathname_prefix}_dash-component-suites/dash_ag_grid/{fingerprint}"


def serve_shell():
    """The page frame for the person asking: navigation shows only what their role may use."""
    if current_user and current_user.is_authenticated:
        return shell(dash.page_container, role=current_user.role, display_name=current_user.display_name,
                     role_label=ROLE_LABELS.get(current_user.role), form_token=form_token())
    return shell(dash.page_container, role=None, display_name=None, role_label=None)


def create_app(config: dict[str, Any] | None = None) -> dash.Dash:
    """Build the Dash app and its Flask server from settings (environment plus `config` overrides)."""
    settings = load_settings(config)
    if settings.get("TODAY"):
        clock.set_today(settings["TODAY"])  # a pinned "today" for demos and screenshots
    server = Flask(__name__, instance_path=str(settings.get("INSTANCE_PATH", INSTANCE)))
    server.config.update(settings)
    server.extensions[EXTENSION_KEY] = Database.from_url(
        settings["DATABASE_URL"], statement_timeout_ms=settings["DATABASE_STATEMENT_TIMEOUT_MS"])

    cache.init_app(server)
    limiter.init_app(server)
    login_manager.init_app(server)
    login_manager.login_view = None  # pages are guarded by callbacks.guard; no implicit redirects here

    drop_legacy_polyfill()
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(ROOT / "layouts"),
        assets_folder=str(ROOT / "assets"),
        # plotly.js (vendored partial bundle) is not put in every page's head: dcc.Graph loads it the first
        # time a page draws a chart (assets/plotly-loader.js names it), so pages without charts skip ~400 kB.
        assets_ignore=r"plotly-basic-.*\.js$",
        title="RecoveryStat",
        update_title=None,
        serve_locally=True,
        compress=True,  # gzip callback payloads and assets (flask-compress)
        on_error=report_callback_error,
        # Otherwise Dash builds every page's layout into a "validation layout" and sends it with each first page
        # load: admin forms to anonymous residents, and ~100 kB more on the public page. The callbacks' ids are
        # checked by the tests instead (test_guard walks app.callback_map).
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX_STRING
    app.config.meta_tags.append({"name": GRID_SCRIPT_META, "content": grid_script_on_demand(app)})
    app.layout = serve_shell
    callbacks.register_all(app)
    api.register(server)
    # Dash finishes its setup (pages router, inline scripts) on the first request; do it now so the CSP below
    # can list the hash of every inline script.
    with server.test_request_context("/"):
        server.preprocess_request()
    Talisman(
        server,
        force_https=settings["FORCE_HTTPS"],
        session_cookie_secure=settings["SESSION_COOKIE_SECURE"],
        content_security_policy=content_security_policy(app),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    # Last of the before_request hooks: a kept answer is served only to a request every check above let through.
    response_cache.register_serving(app)
    cli.register(server)
    return app


app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")),
            debug=os.environ.get("DASH_DEBUG", "0") == "1")
