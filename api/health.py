"""Health check for load balancers and operators: answers 200 only when the database answers, and answers quickly
even when the database does not (a load balancer waiting on a hung check is worse than a 503)."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import cache, database
from models.audit import current_data_version

bp = Blueprint("health", __name__)
# How long the check waits for the database before it says "not answering".
HEALTH_TIMEOUT_SECONDS = 3.0
# One probe at a time per process: while a probe is stuck on a frozen server, later checks answer 503 at once
# instead of stacking up threads behind it.
_probe_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
_probe_lock = threading.Lock()
_pending: dict[str, Future] = {}


def _probe(db) -> int:
    with db.sessions() as session:
        session.execute(text("SELECT 1"))
        return current_data_version(session)


def _database_version(timeout: float) -> int:
    """The data version read from the database, raising TimeoutError when it does not answer within `timeout`."""
    db = database()
    with _probe_lock:
        key = db.engine.url.render_as_string(hide_password=True)
        running = _pending.get(key)
        if running is None or running.done():
            running = _pending[key] = _probe_pool.submit(_probe, db)
    try:
        return running.result(timeout=timeout)
    except FutureTimeout:
        raise TimeoutError from None


@bp.get("/healthz")
def healthz():
    """JSON status of the app and its database (503 when the database is unreachable or does not answer)."""
    timeout = float(current_app.config.get("HEALTH_TIMEOUT_SECONDS", HEALTH_TIMEOUT_SECONDS))
    try:
        version = _database_version(timeout)
    except TimeoutError:
        return jsonify(status="error", database="not answering", detail=f"no answer within {timeout:g} s"), 503
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
