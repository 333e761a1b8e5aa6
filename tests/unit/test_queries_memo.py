"""The read path re-evaluates a measure whenever any input of its status changes, and only then."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import queries
from models.catalog import Measure

TODAY = date(2026, 11, 28)
SLUG = "hsep-flood-insurance-share"


def _find(data, slug):
    return next(m for m in data.measures if m.slug == slug)


def test_changing_a_target_or_goal_is_seen_at_once(session):
    """Editing a measure's target or its goal's title changes what overview() returns on the next call."""
    first = _find(queries.overview(session, today=TODAY), SLUG)
    again = _find(queries.overview(session, today=TODAY), SLUG)
    assert again is first  # unchanged inputs: the evaluated measure is reused

    measure = session.scalar(select(Measure).where(Measure.slug == SLUG))
    measure.target_value = 18.0
    measure.goal.title = "Be ready for the next flood, together"
    session.commit()

    changed = _find(queries.overview(session, today=TODAY), SLUG)
    assert changed.target_value == 18.0 and changed.goal_title.endswith("together")
    assert changed.status != first.status and "18.0%" in changed.reason


def test_a_new_day_re_evaluates_freshness(session):
    """The same data judged on a later day can become overdue: `today` is part of what is remembered."""
    on_time = _find(queries.overview(session, today=date(2026, 11, 10), as_of=date(2026, 10, 1)), "blight-open-flood-cases")
    later = _find(queries.overview(session, today=date(2026, 12, 20), as_of=date(2026, 10, 1)), "blight-open-flood-cases")
    assert on_time is not later
    assert later.freshness == "overdue" and on_time.freshness != "overdue"
