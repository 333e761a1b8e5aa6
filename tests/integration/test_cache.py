"""The overview cache: keyed by the data version, so no reader ever sees a figure older than the last write."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from app import create_app
from conftest import app_config, statements_sent
from extensions import EXTENSION_KEY, cached_overview
from models.catalog import Measure
from models.services import Actor, submit_value

TODAY = date(2026, 11, 28)


def _reads(app, call):
    """call() in the app's context, with the statements it sent to the database."""
    with statements_sent(app.server.extensions[EXTENSION_KEY].engine) as statements, app.server.app_context():
        return call(), statements


def _only_the_data_version(statements: list[str]) -> bool:
    """Whether a cached answer cost nothing but the data-version read (and the connection's own housekeeping)."""
    return [s for s in statements if "data_version" in s] != [] and not [
        s for s in statements if "data_version" not in s and s.strip().upper().startswith(("SELECT", "INSERT"))]


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
    (_, again), statements = _reads(worker_a, lambda: _value(worker_a, "ocd-rental-units-repaired", public=False))
    assert again == first and _only_the_data_version(statements), statements  # served from the cache
    assert _value(worker_b, "ocd-rental-units-repaired", public=False)[0] == before

    with worker_b.server.app_context(), worker_b.server.extensions[EXTENSION_KEY].sessions() as session:
        measure = session.scalar(select(Measure).where(Measure.slug == "ocd-rental-units-repaired"))
        admin = Actor(id=None, email="admin@example.org", role="admin", department_id=None)
        submit_value(session, admin, measure_id=measure.id, period=date(2026, 11, 1), value=before + 5, today=TODAY)
        session.commit()

    after, second = _value(worker_a, "ocd-rental-units-repaired", public=False)
    assert after == before + 5 and second != first
    # The public view only counts approved figures: the new, submitted one is not shown there.
    assert _value(worker_a, "ocd-rental-units-repaired", public=True)[0] != before + 5
    for app in (worker_a, worker_b):
        app.server.extensions[EXTENSION_KEY].engine.dispose()


def test_goal_and_measure_details_are_cached_by_data_version_and_absent_slugs_too(db_url):
    """Page data is served from the cache until a write bumps the data version; an unknown slug is cached as None."""
    from extensions import cached_goal_detail, cached_measure_detail
    from models.services import approve_value

    app = create_app(app_config(db_url))
    slug = "ocd-rental-units-repaired"
    with app.server.app_context():
        first = cached_measure_detail(slug, public=False, today=TODAY)
        goal = cached_goal_detail(first.status.goal_slug, public=True, today=TODAY)
        assert cached_measure_detail("no-such-measure", public=True, today=TODAY) is None
    for call, expected in (
        (lambda: cached_measure_detail(slug, public=False, today=TODAY), first),
        (lambda: cached_goal_detail(first.status.goal_slug, public=True, today=TODAY), goal),
        (lambda: cached_measure_detail("no-such-measure", public=True, today=TODAY), None),
    ):
        again, statements = _reads(app, call)
        assert again == expected and _only_the_data_version(statements), statements
    with app.server.app_context():
        public_before = cached_measure_detail(slug, public=True, today=TODAY)
        waiting = [p for p in first.values if p.state == "submitted"]
        assert waiting, "the seed needs a figure of this measure awaiting approval"
        with app.server.extensions[EXTENSION_KEY].sessions() as session:
            from models.measurements import Measurement

            row = session.scalar(select(Measurement).where(Measurement.measure_id == first.status.measure_id,
                                                           Measurement.period == waiting[-1].period))
            admin = Actor(id=None, email="admin@example.org", role="admin", department_id=None)
            approve_value(session, admin, measurement_id=row.id, expected_version=row.version)
            session.commit()
        public_after = cached_measure_detail(slug, public=True, today=TODAY)
        assert public_after != public_before
        assert public_after.values[-1] == type(waiting[-1])(waiting[-1].period, waiting[-1].value, "approved")
    app.server.extensions[EXTENSION_KEY].engine.dispose()


def test_a_new_release_never_reads_an_older_releases_cached_answers(db_url, monkeypatch):
    """Cache keys carry a digest of the code: after a deploy, the same data version is computed afresh."""
    import extensions
    from callbacks import response_cache

    app = create_app(app_config(db_url))
    first, _ = _reads(app, lambda: cached_overview(public=True, today=TODAY))
    again, statements = _reads(app, lambda: cached_overview(public=True, today=TODAY))
    assert again == first and _only_the_data_version(statements)
    monkeypatch.setattr(extensions, "CODE_STAMP", "another-release")
    monkeypatch.setattr(response_cache, "CODE_STAMP", "another-release")
    after, statements = _reads(app, lambda: cached_overview(public=True, today=TODAY))
    assert after == first and not _only_the_data_version(statements)  # not taken from the older entry
    assert "another-release" in response_cache.response_key("p:", 7, "pub-overview.children:2026-10-01")
    app.server.extensions[EXTENSION_KEY].engine.dispose()
