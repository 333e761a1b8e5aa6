"""Flask routes beside the Dash pages: sign-in and sign-out, the health check, the read API and open-data files,
the write API for partner systems, and the embeddable chart."""
from __future__ import annotations

from flask import Flask


def register(server: Flask) -> None:
    """Register every blueprint of this package on the Flask server."""
    from api import hardening
    from api.admin_people import bp as admin_people_bp
    from api.auth import bp as auth_bp
    from api.auth import csrf
    from api.briefing import bp as briefing_bp
    from api.embed import bp as embed_bp
    from api.health import bp as health_bp
    from api.opendata import bp as opendata_bp
    from api.opendata import method_not_allowed
    from api.templates import bp as templates_bp
    from api.workbook import bp as workbook_bp
    from api.writes import bp as writes_bp

    hardening.register(server)
    csrf.init_app(server)
    server.register_blueprint(auth_bp)
    server.register_blueprint(health_bp)
    server.register_blueprint(opendata_bp)
    server.register_blueprint(writes_bp)
    server.register_blueprint(embed_bp)
    server.register_blueprint(briefing_bp)
    server.register_blueprint(admin_people_bp)
    server.register_blueprint(workbook_bp)
    server.register_blueprint(templates_bp)
    server.register_error_handler(405, method_not_allowed)
