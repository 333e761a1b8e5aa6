"""Finished responses of the public pages' busiest requests, kept under the data version and served as bytes.

A resident's page view asks the same few things: the overview for a month, a measure's page, a goal's page and the
page frame at `/`. Their answers change only when the data does (the data version) or the code does, so the
finished JSON (and its gzip) is kept per data version, request and encoding, in this process and in the shared
cache: a repeated request costs a data-version read (Redis, see data_version.py) and a dictionary look-up, with no
component building, JSON encoding or compression. Only public outputs are kept (the same for everyone); the guard
has already run.

In front of Flask, `KeptAnswers` repeats the very bytes and headers Flask sent for such a kept answer to the next
anonymous, same-site request of the same kind, without running Flask at all (no session, login, guard or header
hooks): what is left of a kept answer is then the data-version read.
"""
from __future__ import annotations

import gzip
import io
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import dash
from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie

import data_version
from callbacks.guard import ANONYMOUS_BODY_LIMIT
from extensions import CODE_STAMP, cache
from layouts import ids
from models import clock
from models.progress import last_complete_month

# Kept per process in front of the shared cache; a key names its data version, so a copy is never stale.
_LOCAL: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
_LOCAL_LIMIT = 128
_LOCK = threading.Lock()
GZIP_LEVEL = 6  # flask-compress's default: the same bytes it would send
JSON = "application/json"
INDEX_KEY = "index:"
# Set in the WSGI environ: the key of the kept answer Flask served (so KeptAnswers may repeat it), and the data
# version KeptAnswers already read for the request (False: the database did not answer).
SERVED_KEY = "recoverystat.kept_key"
VERSION_READ = "recoverystat.data_version"


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


def response_key(prefix: str, version: int, name: str) -> str:
    """Where the answer named `name` is kept under a data version."""
    # Statuses depend on the day (a figure becomes overdue), so the day is part of the key too; the code's digest
    # keeps a new release from serving bytes laid out by the one before (extensions.CODE_STAMP).
    return f"{prefix}v{version}:{CODE_STAMP}:response:{clock.today().isoformat()}:{name}"


def _key(name: str) -> str | None:
    version = request.environ.get(VERSION_READ)
    if version is None:
        try:
            version = data_version.shared_version(current_app).current()
        except SQLAlchemyError:
            version = False
    if version is False:
        return None  # the database is down: let the callback run and report it the way every callback does
    return response_key(current_app.config["CACHE_KEY_PREFIX"], version, name)


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
        front = list(_FRONTS)
    for kept in front:
        kept.clear()


# A request's kind, as far as the bytes and headers of its kept answer can differ: the encodings it accepts (the
# body and Content-Encoding), how it reached the server (Talisman's HTTPS rules) and what it sent.
VARIANT = ("HTTP_ACCEPT_ENCODING", "HTTP_HOST", "HTTP_X_FORWARDED_PROTO", "wsgi.url_scheme", "SCRIPT_NAME",
           "CONTENT_TYPE")
# At most this many bytes of repeated answers per app and process (the least recently used go first).
FRONT_BUDGET = 8 * 1024 * 1024
_FRONTS: weakref.WeakSet[KeptAnswers] = weakref.WeakSet()
Answer = tuple[str, list[tuple[str, str]], bytes]


class KeptAnswers:
    """WSGI middleware in front of Flask: repeats a kept public answer, byte for byte, without running Flask.

    It answers only what it can tell is anonymous and same-site (no session or remember-me cookie, no Authorization
    header, no other site's Origin or Sec-Fetch-Site), a POST of a kept public callback (CACHEABLE) or a GET of `/`
    without a query, and only with an answer Flask itself served from the kept responses (marked in the environ) to
    a request of the same kind and under the same key (data version, day, callback and input). Every other request,
    and the first of each kind, goes to Flask untouched (a body read here is handed on whole).
    """

    def __init__(self, app: dash.Dash, wsgi_app: Callable[..., Iterable[bytes]]):
        server: Flask = app.server
        self.app = wsgi_app
        self.version = data_version.install(server)
        self.prefix = server.config["CACHE_KEY_PREFIX"]
        self.update_path = app.config.routes_pathname_prefix + "_dash-update-component"
        self.index_path = app.config.routes_pathname_prefix
        self.private_cookies = frozenset({server.config["SESSION_COOKIE_NAME"],
                                          server.config.get("REMEMBER_COOKIE_NAME", "remember_token")})
        self._answers: OrderedDict[tuple[str, tuple], Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        with _LOCK:
            _FRONTS.add(self)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Answer a kept request from memory, or hand it to Flask (keeping what Flask answers from its cache)."""
        found = self._identify(environ)
        if found is None:
            return self.app(environ, start_response)
        with self._lock:
            answer = self._answers.get(found)
            if answer is not None:
                self._answers.move_to_end(found)
        if answer is not None:
            status, headers, body = answer
            start_response(status, list(headers))
            return [body]
        seen: dict[str, Any] = {}

        def watch(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, watch)
        if (environ.get(SERVED_KEY) != found[0] or not str(seen.get("status", "")).startswith("200 ")
                or any(name.lower() == "set-cookie" for name, _ in seen["headers"])):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self._keep(found, (seen["status"], seen["headers"], body))
        return [body]

    def clear(self) -> None:
        """Forget every repeated answer."""
        with self._lock:
            self._answers.clear()
            self._bytes = 0

    def _keep(self, found: tuple[str, tuple], answer: Answer) -> None:
        size = len(answer[2])
        if size > FRONT_BUDGET // 4:
            return
        with self._lock:
            previous = self._answers.pop(found, None)
            if previous is not None:
                self._bytes -= len(previous[2])
            self._answers[found] = answer
            self._bytes += size
            while self._bytes > FRONT_BUDGET:
                _, dropped = self._answers.popitem(last=False)
                self._bytes -= len(dropped[2])

    def _identify(self, environ: dict[str, Any]) -> tuple[str, tuple] | None:
        """(the key Flask keeps the answer under, the request's kind), or None when Flask must answer."""
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if environ.get("QUERY_STRING") or "HTTP_AUTHORIZATION" in environ:
            return None
        if method == "GET" and path == self.index_path:
            name = "index"
        elif method == "POST" and path == self.update_path:
            name = None
        else:
            return None
        if self._signed_in(environ) or self._cross_site(environ):
            return None
        if name is None:
            name = self._callback_name(environ)
            if name is None:
                return None
        variant = tuple(environ.get(field) for field in VARIANT)
        if name == "index":
            return INDEX_KEY, variant
        try:
            version = self.version.current()
        except SQLAlchemyError:
            environ[VERSION_READ] = False
            return None
        environ[VERSION_READ] = version
        return response_key(self.prefix, version, name), variant

    def _signed_in(self, environ: dict[str, Any]) -> bool:
        cookies = environ.get("HTTP_COOKIE")
        return bool(cookies) and not self.private_cookies.isdisjoint(parse_cookie(cookies))

    @staticmethod
    def _cross_site(environ: dict[str, Any]) -> bool:
        # api.hardening refuses these for writes; let it judge them, and never repeat an answer to another site.
        fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return True
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return False
        return origin == "null" or urlsplit(origin).netloc.lower() != str(environ.get("HTTP_HOST", "")).lower()

    @staticmethod
    def _callback_name(environ: dict[str, Any]) -> str | None:
        length = environ.get("CONTENT_LENGTH") or ""
        content_type = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        if not length.isdigit() or not 0 < int(length) <= ANONYMOUS_BODY_LIMIT or content_type != JSON:
            return None
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads the same bytes if it has to answer
        try:
            return request_name(json.loads(body))
        except (ValueError, RecursionError):
            return None


def register(app: dash.Dash) -> None:
    """Keep the answers Dash gives to requests that missed, and put KeptAnswers in front of Flask (kept answers are
    served by `register_serving`, installed after every check that must run first)."""
    app.server.wsgi_app = KeptAnswers(app, app.server.wsgi_app)  # type: ignore[method-assign]

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


def register_serving(app: dash.Dash) -> None:
    """Serve kept answers from Flask before Dash runs. Call it last in create_app: Flask runs before_request hooks in
    the order they were added, so the guard, the cross-site refusal and Talisman's HTTPS redirect all run first."""
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
            request.environ[SERVED_KEY] = key
            return _respond(entry, mimetype)
        g.response_cache_key = key
        return None
