"""Flask routes beside the Dash pages: sign-in and sign-out form handlers and the health check."""
from __future__ import annotations

from flask import Flask


def register(server: Flask) -> None:
    """Register every blueprint of this package on the Flask server."""
    from api import hardening
    from api.auth import bp as auth_bp
    from api.briefing import bp as briefing_bp
    from api.health import bp as health_bp

    hardening.register(server)
    server.register_blueprint(auth_bp)
    server.register_blueprint(health_bp)
    server.register_blueprint(briefing_bp)
