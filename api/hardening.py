"""Server-wide request and response rules: no cross-site writes, signed-in pages never cached, plain answers for
oversized requests and an absent database."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import RequestEntityTooLarge, ServiceUnavailable

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that authenticate with an API token only (never a cookie): a token-bearing request there is not a browser
# riding on someone's session, wherever it says it comes from.
TOKEN_PATHS = ("/api/",)


def cross_site(origin: str | None, fetch_site: str | None, host: str) -> bool:
    """Whether a browser says this request comes from another site (Origin or Sec-Fetch-Site headers).

    Browsers send both on every cross-origin POST, so a page elsewhere cannot ride on a signed-in person's cookie;
    clients that are not browsers send neither and carry no one's cookie by accident.
    """
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    if origin is None:
        return False
    if origin == "null":
        return True
    parts = urlsplit(origin)
    return parts.netloc.lower() != host.lower()


def register(server: Flask) -> None:
    """Install the hooks on the Flask server."""

    @server.before_request
    def refuse_cross_site_writes():
        """A cookie-carrying write (callback, sign-in, sign-out, any form) from another site is refused."""
        if request.method not in UNSAFE_METHODS:
            return None
        if request.path.startswith(TOKEN_PATHS) and request.authorization is not None \
                and request.authorization.type == "bearer":
            # Partner systems authenticate with a token, not a cookie a browser would send for them; those routes
            # read no cookie, and no page elsewhere can make a browser add the header (no CORS preflight is granted).
            return None
        if cross_site(request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), request.host):
            message = "This request came from another site, so it was refused. Use RecoveryStat's own pages."
            if request.path.startswith(("/_dash", "/api")) or request.is_json:
                return jsonify(error=message), 403
            return Response(f"<!doctype html><html lang='en'><title>Refused - RecoveryStat</title><main><h1>Request "
                            f"refused</h1><p>{message}</p><p><a href='/'>Go to the progress page</a>.</p></main></html>",
                            status=403, mimetype="text/html")
        return None

    @server.after_request
    def no_store_for_signed_in_people(response: Response) -> Response:
        """A signed-in person's pages and data must not be kept by a shared or browser cache."""
        try:
            signed_in = bool(current_user and current_user.is_authenticated)
        except ServiceUnavailable:
            signed_in = True  # the account could not be read (database away): never let this answer be kept
        if signed_in:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @server.errorhandler(OperationalError)
    @server.errorhandler(PoolTimeout)
    def database_away(error: Exception):
        """The database is stopped, unreachable, timed out or refused a statement: 503, never a bare 500."""
        return unavailable(error)

    @server.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        """A lost connection is an outage (503); any other database error is a real fault and stays one."""
        if error.connection_invalidated:
            return unavailable(error)
        raise error

    @server.errorhandler(ServiceUnavailable)
    def unavailable(_error: Exception):
        """The database did not answer: a plain message instead of a bare server error; nothing was changed."""
        message = ("The figures are temporarily unavailable because the database is not answering. Nothing was "
                   "changed, and anything you typed is still on your page: try again in a minute.")
        if request.path.startswith(("/_dash", "/api")) or request.is_json:
            return jsonify(error=message), 503
        return Response(f"<!doctype html><html lang='en'><title>Temporarily unavailable - RecoveryStat</title><main>"
                        f"<h1>Temporarily unavailable</h1><p>{message}</p></main></html>", status=503,
                        mimetype="text/html", headers={"Retry-After": "60"})

    @server.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge):
        """JSON for API and callback requests, a short page otherwise; nothing of the body was read."""
        limit = request.max_content_length or server.config.get("MAX_CONTENT_LENGTH")
        message = (f"This request is larger than the {limit // 1024:,} kB this server accepts, so nothing was read "
                   "or saved. Send less at once (for a spreadsheet: split it into several files)."
                   if limit else "This request is too large, so nothing was read or saved.")
        if request.path.startswith(("/_dash", "/api")) or request.is_json:
            return jsonify(error=message), 413
        return Response(f"<!doctype html><html lang='en'><title>Too large - RecoveryStat</title><main><h1>Request "
                        f"too large</h1><p>{message}</p><p><a href='/'>Go to the progress page</a>.</p></main></html>",
                        status=413, mimetype="text/html")
