"""The write API for partner systems: POST /api/v1/measures/<slug>/values with a personal API token.

Token only: the route reads no cookie, so a signed-in browser cannot write here, and a page on another site cannot
make a browser send a token (it would need a CORS preflight this server never grants). The values are saved by
`models.partner.save_measure_values`, with the month grid's rules and review flow, all or nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from api.opendata import API, NOT_FOUND_MEASURE, ApiError
from extensions import db_session, limiter
from models.partner import BadBody, StoredFigure, ValuesRefused, may_write, measure_by_slug, save_measure_values
from models.services import Actor
from models.tokens import REFUSALS, authenticate_token

bp = Blueprint("writes", __name__)

DEFAULT_RATE_LIMIT = "120 per minute"
MAX_BODY_BYTES = 512 * 1024
AUTHENTICATE = 'Bearer realm="RecoveryStat"'


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _unauthorized(message: str, error: str = "invalid_token") -> Response:
    """401 with the challenge a client needs (RFC 6750)."""
    challenge = f'{AUTHENTICATE}, error="{error}"' if error else AUTHENTICATE
    return _json(401, {"error": "unauthorized", "message": message}, {"WWW-Authenticate": challenge})


def presented_token() -> tuple[str | None, str | None]:
    """The token in the Authorization header, or (None, reason): 'missing' without a header, 'malformed' otherwise."""
    header = request.headers.get("Authorization")
    if header is None or not header.strip():
        return None, "missing"
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None, "malformed"
    return value, None


def rate_limit_key() -> str:
    """Requests are counted per presented token (its hash), or per address when no token is sent."""
    token, _ = presented_token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-address:" + (get_remote_address() or "unknown")


def _rate_limit() -> str:
    """The per-token limit: the API_WRITE_RATE_LIMIT setting or environment variable, e.g. "120 per minute"."""
    return current_app.config.get("API_WRITE_RATE_LIMIT") or os.environ.get("API_WRITE_RATE_LIMIT") \
        or DEFAULT_RATE_LIMIT


def _too_many(_limit) -> Response:
    return _json(429, {"error": "too_many_requests",
                       "message": "This token sent too many requests; nothing of this one was written. Wait a "
                                  "minute, then send the values again (many months fit in one request)."},
                 {"Retry-After": "60"})


def _figure_record(figure: StoredFigure) -> dict[str, Any]:
    return {"period": f"{figure.period:%Y-%m}", "value": figure.value, "state": figure.state,
            "outcome": figure.outcome, "version": figure.version}


@bp.post(f"{API}/measures/<slug>/values")
@limiter.limit(_rate_limit, key_func=rate_limit_key, on_breach=_too_many)
def post_measure_values(slug: str):
    """Store one or many monthly values of a measure for the token's owner; they await approval like the grid's."""
    token, problem = presented_token()
    if token is None:
        message = REFUSALS[problem or "missing"]
        if problem == "missing" and current_user and current_user.is_authenticated:
            message = ("This address accepts API tokens only, not a signed-in browser session. " + message +
                       " Create a token on the API tokens page (/account/tokens).")
        return _unauthorized(message, "invalid_request" if problem == "missing" else "invalid_token")
    with db_session() as session:
        check = authenticate_token(session, token)  # a usable token's last-used time is committed here
        user = check.user
        actor = Actor.of(user) if user is not None else None
        token_id = check.token.id if check.token is not None else None
    if actor is None:
        return _unauthorized(check.message)
    if actor.role not in ("editor", "admin"):
        return _json(403, {"error": "forbidden", "message": "This token belongs to a viewer account, which cannot "
                                                             "write figures. Ask the performance team for editor "
                                                             "access."})
    request.max_content_length = MAX_BODY_BYTES
    try:
        with db_session() as session:
            measure = measure_by_slug(session, slug)
            if measure is None:
                raise ApiError(404, "not_found", NOT_FOUND_MEASURE)
            if not may_write(actor, measure):
                department = measure.owner_department.name
                return _json(403, {"error": "forbidden", "message": f"This token may not enter values for "
                                                                     f"{measure.name}: it belongs to {department}. "
                                                                     "Nothing was written."})
            if request.mimetype != "application/json":
                return _json(415, {"error": "unsupported_media_type",
                                   "message": "Send the values as JSON with 'Content-Type: application/json'."})
            body = request.get_json(silent=True)
            if body is None:
                return _json(400, {"error": "bad_request", "message": "The body is not valid JSON values. Send one "
                                   'value object or a list of them, e.g. [{"period": "2026-10", "value": 1234}].'})
            figures = save_measure_values(session, actor, measure, body, token_id=token_id)
            measure_slug = measure.slug
    except ApiError as error:
        return error.response()
    except BadBody as error:
        return _json(400, {"error": "bad_request", "message": str(error)})
    except IntegrityError:
        # Another request stored one of these months between our read and our write: nothing of this one was kept.
        return _json(409, {"error": "conflict", "message": "Another request saved one of these months at the same "
                                                           "moment, so nothing of this one was written. Send it "
                                                           "again: months now stored are corrected (with a reason) "
                                                           "or left unchanged."})
    except ValuesRefused as refused:
        return _json(422, {"error": "invalid_values", "message": str(refused),
                           "errors": [{"index": p.index, "period": p.period, "field": p.field, "message": p.message}
                                      for p in refused.problems]})
    return _json(201, {"measure": measure_slug, "count": len(figures),
                       "values": [_figure_record(figure) for figure in figures]})
