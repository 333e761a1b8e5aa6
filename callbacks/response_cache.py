"""Finished responses of the public pages' busiest requests, kept under the data version and served as bytes.

A resident's page view asks the same few things: the overview for a month, a measure's page, a goal's page and the
page frame at `/`. Their answers change only when the data does (the data version) or the code does, so the
finished JSON (and its gzip) is kept per data version, request and encoding, in this process and in the shared
cache: a repeated request costs one data-version read and a dictionary look-up, with no component building, JSON
encoding or compression. Only public outputs are kept (the same for everyone); the guard has already run.
"""
from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable

import dash
from flask import Response, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from extensions import cache, database
from layouts import ids
from models import clock
from models.audit import DataVersion
from models.progress import last_complete_month

# Kept per process in front of the shared cache; a key names its data version, so a copy is never stale.
_LOCAL: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
_LOCAL_LIMIT = 128
_LOCK = threading.Lock()
GZIP_LEVEL = 6  # flask-compress's default: the same bytes it would send
JSON = "application/json"
INDEX_KEY = "index:"
# models.audit.current_data_version's query, run on a plain connection.
VERSION_QUERY = select(DataVersion.version).where(DataVersion.id == 1)


def _month_key(value: object) -> str:
    from callbacks.public import parse_month

    return (parse_month(value) or last_complete_month(clock.today())).isoformat()


def _slug_key(value: object) -> str | None:
    from callbacks.public import plausible_slug

    return plausible_slug(value)


# output -> (input id, input property, what names the answer among that output's requests; None: do not keep)
CACHEABLE: dict[str, tuple[str, str, Callable[[object], str | None]]] = {
    f"{ids.PUB_OVERVIEW}.children": (ids.PUB_MONTH, "value", _month_key),
    f"{ids.PUB_MEASURE_PAGE}.children": (ids.PUB_MEASURE_SLUG, "data", _slug_key),
    f"{ids.PUB_GOAL_PAGE}.children": (ids.PUB_GOAL_SLUG, "data", _slug_key),
}


def request_name(body: object) -> str | None:
    """What names a callback request's answer ("pub-overview.children:2026-10-01"), or None when it is not kept."""
    if not isinstance(body, dict):
        return None
    output = body.get("output")
    if not isinstance(output, str) or output not in CACHEABLE:
        return None
    input_id, prop, key = CACHEABLE[output]
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        return None
    if inputs[0].get("id") != input_id or inputs[0].get("property") != prop or body.get("state"):
        return None
    name = key(inputs[0].get("value"))
    return None if name is None else f"{output}:{name}"


def _key(name: str) -> str | None:
    try:
        # One Core round trip, no ORM session: this read is most of what a kept answer costs.
        with database().engine.connect() as connection:
            version = connection.execute(VERSION_QUERY).scalar() or 1
    except SQLAlchemyError:
        return None  # the database is down: let the callback run and report it the way every callback does
    # Statuses depend on the day (a figure becomes overdue), so the day is part of the key too.
    return f"{current_app.config['CACHE_KEY_PREFIX']}v{version}:response:{clock.today().isoformat()}:{name}"


def _lookup(key: str, *, shared: bool = True) -> tuple[bytes, bytes] | None:
    with _LOCK:
        found = _LOCAL.get(key)
        if found is not None:
            _LOCAL.move_to_end(key)
            return found
    if not shared:
        return None
    kept = cache.get(key)
    if isinstance(kept, tuple) and len(kept) == 2:
        _remember(key, kept)
        return kept
    return None


def _remember(key: str, entry: tuple[bytes, bytes]) -> None:
    with _LOCK:
        _LOCAL[key] = entry
        while len(_LOCAL) > _LOCAL_LIMIT:
            _LOCAL.popitem(last=False)


def _respond(entry: tuple[bytes, bytes], mimetype: str) -> Response:
    plain, packed = entry
    if "gzip" in request.accept_encodings:
        response = Response(packed, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(plain, mimetype=mimetype)
    response.headers["Vary"] = "Accept-Encoding"
    return response


def mimetype_of(response: Response) -> str:
    """The response's media type without parameters."""
    return response.mimetype or ""


def clear_local() -> None:
    """Forget this process's copies (the shared cache keeps its own, under their data versions)."""
    with _LOCK:
        _LOCAL.clear()


def register(app: dash.Dash) -> None:
    """Serve kept answers before Dash runs, and keep the answers Dash gives to requests that missed."""
    update_path = app.config.routes_pathname_prefix + "_dash-update-component"
    index_path = app.config.routes_pathname_prefix

    @app.server.before_request
    def serve_kept_response():
        if request.method == "POST" and request.path == update_path:
            name = request_name(request.get_json(silent=True))
            mimetype = JSON
        elif request.method == "GET" and request.path == index_path and not request.query_string:
            name, mimetype = "index", "text/html"
        else:
            return None
        if name is None:
            return None
        # The page frame depends on the code alone: kept in this process only (a deploy starts afresh, where the
        # shared cache could hand a new release the old release's asset addresses), and no database read.
        key = INDEX_KEY if name == "index" else _key(name)
        if key is None:
            return None
        entry = _lookup(key, shared=name != "index")
        if entry is not None:
            return _respond(entry, mimetype)
        g.response_cache_key = key
        return None

    # Registered after flask-compress (in Dash's constructor), so this runs before it and sees the plain bytes.
    @app.server.after_request
    def keep_response(response: Response) -> Response:
        key = g.pop("response_cache_key", None)
        if (key is not None and response.status_code == 200 and not response.direct_passthrough
                and "Content-Encoding" not in response.headers and "Set-Cookie" not in response.headers):
            plain = response.get_data()
            if mimetype_of(response) == JSON and ids.APP_ALERT.encode() in plain:
                return response  # the callback failed and says so in the page alert: never keep that
            entry = (plain, gzip.compress(plain, GZIP_LEVEL))
            if key != INDEX_KEY:
                cache.set(key, entry)
            _remember(key, entry)
        return response
