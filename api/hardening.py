"""Server-wide response rules: signed-in pages are never stored by caches, oversized requests get a plain answer."""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge


def register(server: Flask) -> None:
    """Install the hooks on the Flask server."""

    @server.after_request
    def no_store_for_signed_in_people(response: Response) -> Response:
        """A signed-in person's pages and data must not be kept by a shared or browser cache."""
        if current_user and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

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
