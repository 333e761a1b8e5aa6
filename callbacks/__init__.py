"""Dash callbacks: thin functions that read inputs, call models/, and return outputs; one register(app) a module."""
from __future__ import annotations

import dash


def register_all(app: dash.Dash) -> None:
    """Register every callback module and the server-side guard on `app`."""
    from callbacks import (
        admin_catalog,
        admin_people,
        auth,
        dashboard,
        entry,
        feedback,
        guard,
        public,
        response_cache,
        review,
        stat,
        submissions,
        tokens,
        upload,
        workbook,
    )

    guard.register(app)
    response_cache.register(app)  # keeps answers; app.create_app serves them once every check has run
    public.register(app)
    auth.register(app)
    dashboard.register(app)
    entry.register(app)
    review.register(app)
    feedback.register(app)
    stat.register(app)
    admin_people.register(app)
    submissions.register(app)
    tokens.register(app)
    admin_catalog.register(app)
    workbook.register(app)
    upload.register(app)
