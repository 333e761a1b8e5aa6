"""Health check for load balancers and operators: answers 200 only when the database answers."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from extensions import database
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
    return jsonify(status="ok", database="ok", data_version=version)
