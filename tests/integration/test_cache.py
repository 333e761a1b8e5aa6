"""The overview cache: keyed by the data version, so no reader ever sees a figure older than the last write."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from app import create_app
from conftest import app_config
from extensions import EXTENSION_KEY, cached_overview
from models.catalog import Measure
from models.services import Actor, submit_value

TODAY = date(2026, 11, 28)


def _value(app, slug: str, public: bool):
    with app.server.app_context():
        data = cached_overview(public=public, today=TODAY, as_of=date(2026, 11, 1))
        return next(m.latest_value for m in data.measures if m.slug == slug), data


def test_a_write_through_one_worker_is_seen_at_once_by_another(db_url):
    """Two apps sharing a database and cache (two gunicorn workers): the second never serves the old figure."""
    prefix = f"recoverystat-test-{uuid.uuid4().hex}:"
    worker_a = create_app(app_config(db_url, CACHE_KEY_PREFIX=prefix))
    worker_b = create_app(app_config(db_url, CACHE_KEY_PREFIX=prefix))
    before, first = _value(worker_a, "ocd-rental-units-repaired", public=False)
    assert _value(worker_a, "ocd-rental-units-repaired", public=False)[1] is first  # served from the cache
    assert _value(worker_b, "ocd-rental-units-repaired", public=False)[0] == before

    with worker_b.server.app_context(), worker_b.server.extensions[EXTENSION_KEY].sessions() as session:
        measure = session.scalar(select(Measure).where(Measure.slug == "ocd-rental-units-repaired"))
        admin = Actor(id=None, email="admin@example.org", role="admin", department_id=None)
        submit_value(session, admin, measure_id=measure.id, period=date(2026, 11, 1), value=before + 5, today=TODAY)
        session.commit()

    after, second = _value(worker_a, "ocd-rental-units-repaired", public=False)
    assert after == before + 5 and second is not first
    # The public view only counts approved figures: the new, submitted one is not shown there.
    assert _value(worker_a, "ocd-rental-units-repaired", public=True)[0] != before + 5
    for app in (worker_a, worker_b):
        app.server.extensions[EXTENSION_KEY].engine.dispose()
