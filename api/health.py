"""Health check for load balancers and operators: answers 200 only when the database answers."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import cache, database
from models.audit import current_data_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """JSON status of the app and its database (503 when the database is unreachable)."""
    try:
        with database().sessions() as session:
            session.execute(text("SELECT 1"))
            version = current_data_version(session)
    except SQLAlchemyError as error:
        return jsonify(status="error", database="unreachable", detail=type(error).__name__), 503
    # The shared cache only speeds pages up: without it the app still serves (status stays "ok"), but say so.
    return jsonify(status="ok", database="ok", cache=_cache_state(), data_version=version)


def _cache_state() -> str:
    """"ok", "unavailable" (shared store down: serving from the database) or "local" (no shared store configured)."""
    if not current_app.config.get("REDIS_URL"):
        return "local"
    probe = "healthz:probe"
    return "ok" if cache.set(probe, 1, timeout=5) else "unavailable"
