"""Flask extensions and the web-side glue every entry point shares: database sessions, cache, login, limiter.

Created unbound here and bound to one Flask server by `app.create_app`, so callbacks and the API import them
without importing the app.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import clock
from models.audit import current_data_version
from models.base import make_engine, make_session_factory, session_scope
from models.progress import add_months, judging_day
from models.queries import GoalDetail, MeasureDetail, Overview, earliest_period, goal_detail, measure_detail, overview
from models.services import Actor
from models.stat import (
    FollowUpItem,
    MonthChanges,
    RevisionEntry,
    follow_ups,
    month_changes,
    needs_attention,
    revision_history,
    status_moves,
)
from models.submissions import SubmissionTracker, submission_tracker

log = logging.getLogger("recoverystat.cache")


class ResilientCache(Cache):
    """flask-caching whose shared store may go away: a failed read is a miss, a failed write is skipped.

    The cache only speeds reads up (every key names its data version), so without Redis pages are built from the
    database as if nothing were cached. The outage is logged once, and again after the store comes back and fails anew.
    """

    _failing = False

    def _survive(self, operation: str, default, call):
        try:
            result = call()
        except RedisError as error:
            if not ResilientCache._failing:
                ResilientCache._failing = True
                log.warning("shared cache unavailable (%s failed: %s); serving from the database until it returns",
                            operation, error)
            return default
        ResilientCache._failing = False
        return result

    def get(self, *args, **kwargs):
        """The cached value, or None when it is absent or the store does not answer."""
        return self._survive("get", None, lambda: super(ResilientCache, self).get(*args, **kwargs))

    def set(self, *args, **kwargs):
        """Store a value; False when the store does not answer."""
        return self._survive("set", False, lambda: super(ResilientCache, self).set(*args, **kwargs))

    def delete(self, *args, **kwargs):
        """Delete a value; False when the store does not answer."""
        return self._survive("delete", False, lambda: super(ResilientCache, self).delete(*args, **kwargs))


cache = ResilientCache()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

EXTENSION_KEY = "recoverystat.db"
# The shared cache cannot tell a stored None from a miss: an unknown slug is cached as this marker instead.
_ABSENT = "absent"


def _code_stamp() -> str:
    """A short digest of the code that shapes cached answers, so a new release never reads an older one's entries
    (the data version alone would let it unpickle objects of a changed class, or serve bytes laid out the old way)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for folder in ("models", "layouts", "callbacks", "api"):
        for path in sorted((root / folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


CODE_STAMP = _code_stamp()


@dataclass
class Database:
    """The engine and session factory of one app."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str, *, statement_timeout_ms: int | None = None) -> Database:
        """Create the engine and session factory for a database URL."""
        engine = make_engine(url, statement_timeout_ms=statement_timeout_ms)
        return cls(engine=engine, sessions=make_session_factory(engine))


def database() -> Database:
    """The database of the current Flask app."""
    return current_app.extensions[EXTENSION_KEY]


@contextmanager
def db_session() -> Iterator[Session]:
    """A session of the current app that commits on success and rolls back on error."""
    with session_scope(database().sessions) as session:
        yield session


def current_actor() -> Actor | None:
    """The signed-in person as the write services see them, or None when anonymous."""
    if not current_user or not current_user.is_authenticated:
        return None
    return Actor(id=current_user.id, email=current_user.email, role=current_user.role,
                 department_id=current_user.department_id)


def two_person_rule() -> bool:
    """Whether the current app forbids approving one's own figures (the TWO_PERSON_RULE setting, on by default)."""
    return bool(current_app.config.get("TWO_PERSON_RULE", True))


def current_role() -> str | None:
    """The signed-in person's role, or None when anonymous."""
    return current_user.role if current_user and current_user.is_authenticated else None


def cached_overview(*, public: bool, as_of: date | None = None, today: date | None = None) -> Overview:
    """The overview for an audience, cached under the data version so a committed write is seen at once.

    Freshness is judged for the month being viewed (see models.progress.judging_day): a past month's figure that was
    in on time is not "overdue" just because later months exist.
    """
    today = judging_day(as_of, today or clock.today())
    return _cached(f"overview:{'public' if public else 'internal'}:{as_of}:{today}",
                   lambda session: overview(session, as_of=as_of, today=today, published_only=public,
                                            approved_only=public))


def cached_measure_detail(slug: str, *, public: bool, today: date | None = None) -> MeasureDetail | None:
    """One measure's page data for an audience (None when absent or hidden), cached by data version."""
    today = today or clock.today()
    return _cached(f"measure:{'public' if public else 'internal'}:{today}:{slug}",
                   lambda session: measure_detail(session, slug, published_only=public, approved_only=public,
                                                  today=today))


def cached_goal_detail(slug: str, *, public: bool, today: date | None = None) -> GoalDetail | None:
    """One goal's page data for an audience (None when absent or hidden), cached by data version."""
    today = today or clock.today()
    return _cached(f"goal:{'public' if public else 'internal'}:{today}:{slug}",
                   lambda session: goal_detail(session, slug, published_only=public, approved_only=public,
                                               today=today))


def cached_month_changes(month: date) -> MonthChanges:
    """New figures, corrections and departments not in for a month (staff view), cached by data version."""
    today = clock.today()  # "late" depends on the day
    return _cached(f"changes:{month.isoformat()}:{today}", lambda session: month_changes(session, month, today))


def cached_submission_tracker() -> SubmissionTracker:
    """The submission tracker (staff view) as of today, cached by data version and day."""
    today = clock.today()
    return _cached(f"submissions:{today}", lambda session: submission_tracker(session, today))


def cached_follow_ups(measure_slugs: tuple[str, ...] | None = None, *,
                      open_only: bool = False) -> list[FollowUpItem]:
    """Follow-ups of some measures (or all), cached by data version."""
    key = ",".join(measure_slugs) if measure_slugs is not None else "*"
    return _cached(f"follow-ups:{open_only}:{key}",
                   lambda session: follow_ups(session, measure_slugs=None if measure_slugs is None
                                              else list(measure_slugs), open_only=open_only))


def cached_revision_history(measure_slug: str) -> list[RevisionEntry]:
    """Every change to a measure's figures, newest first, cached by data version."""
    return _cached(f"revisions:{measure_slug}", lambda session: revision_history(session, measure_slug))


def briefing_data(month: date) -> dict:
    """Everything a month's Stat briefing shows (page and workbook alike), from the cached read path."""
    data = cached_overview(public=False, as_of=month)
    # January of year 1 (a stray stored row) has no month before it: compare it with itself (no moves).
    previous_month = add_months(month, -1) if (month.year, month.month) != (1, 1) else month
    previous = cached_overview(public=False, as_of=previous_month)
    counts: dict[str, int] = {}
    for m in data.measures:
        counts[m.status] = counts.get(m.status, 0) + 1
    return {
        "month": month, "previous": previous_month, "counts": counts, "moves": status_moves(data, previous),
        "changes": cached_month_changes(month), "measures": {m.slug: m for m in data.measures},
        "attention": needs_attention(data.measures), "open_items": cached_follow_ups(open_only=True),
    }


def _cached(name: str, compute):
    """compute(session), kept in the shared cache under the current data version (and the code's stamp).

    An overview computed afresh is itself cheap (models.summary keeps each measure's evaluation in the database), so
    there is no per-process copy to keep in step: a miss, or a shared cache that does not answer, computes again.
    """
    with db_session() as session:
        key = f"{current_app.config['CACHE_KEY_PREFIX']}v{current_data_version(session)}:{CODE_STAMP}:{name}"
        result = cache.get(key)
        if result is None:
            result = compute(session)
            if result is None:
                result = _ABSENT
            cache.set(key, result)
    return None if result == _ABSENT else result


def cached_earliest_period(*, public: bool) -> date | None:
    """The first month with a figure the audience may see, cached under the data version."""
    found = _cached(f"earliest:{'public' if public else 'internal'}",
                    lambda session: earliest_period(session, published_only=public, approved_only=public))
    return found
