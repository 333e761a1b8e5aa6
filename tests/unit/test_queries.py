"""The read path (models/queries.py) on the seeded data set, as of a fixed day (2026-11-28).

Expectations are derived from the database (which values are submitted, returned, published) rather than copied
from the CSVs, so the tests keep meaning the same thing when the illustrative numbers are edited.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event, select, text

from conftest import TEST_USERS
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.org import User
from models.progress import add_months, format_value
from models.queries import GoalStatus, MeasureStatus, Overview, overview
from models.services import Actor, approve_value, correct_value, return_value

TODAY = date(2026, 11, 28)
OCT_2026 = date(2026, 10, 1)
SEP_2026 = date(2026, 9, 1)


def by_slug(view: Overview) -> dict[str, MeasureStatus]:
    return {m.slug: m for m in view.measures}


def stored_values(session, states: tuple[str, ...]) -> dict[tuple[str, date], float]:
    """(measure slug, period) -> value of every stored measurement in `states`."""
    rows = session.execute(
        select(Measure.slug, Measurement.period, Measurement.value)
        .join(Measure, Measure.id == Measurement.measure_id).where(Measurement.state.in_(states))
    )
    return {(slug, period): value for slug, period, value in rows}


def admin_actor(session) -> Actor:
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))


def submitted_in_october_with_approved_september(session) -> tuple[Measurement, float]:
    """A published measure whose 2026-10 value awaits approval and whose 2026-09 value is approved."""
    september = (select(Measurement.measure_id, Measurement.value)
                 .where(Measurement.period == SEP_2026, Measurement.state == "approved").subquery())
    row = session.execute(
        select(Measurement, september.c.value)
        .join(september, september.c.measure_id == Measurement.measure_id)
        .join(Measure, Measure.id == Measurement.measure_id).join(Goal, Goal.id == Measure.goal_id)
        .where(Measurement.period == OCT_2026, Measurement.state == "submitted",
               Measure.published.is_(True), Goal.published.is_(True))
        .order_by(Measure.slug).limit(1)
    ).one_or_none()
    assert row is not None, "the seed needs a published measure with a submitted 2026-10 value"
    return row[0], row[1]


def test_internal_view_shows_everything_and_the_public_switch_hides_unpublished(session):
    all_slugs = set(session.scalars(select(Measure.slug)))
    published = set(session.scalars(
        select(Measure.slug).join(Goal, Goal.id == Measure.goal_id)
        .where(Measure.published.is_(True), Goal.published.is_(True))
    ))
    unpublished_goals = set(session.scalars(select(Goal.slug).where(Goal.published.is_(False))))
    assert published < all_slugs and unpublished_goals, "the seed needs unpublished measures and goals"

    internal = overview(session, today=TODAY)
    assert isinstance(internal, Overview) and all(isinstance(g, GoalStatus) for g in internal.goals)
    assert internal.as_of == OCT_2026  # the last complete month
    assert set(by_slug(internal)) == all_slugs
    assert {g.slug for g in internal.goals if not g.published} == unpublished_goals
    assert {m.slug for m in internal.measures if not m.published} == all_slugs - published

    public = overview(session, today=TODAY, published_only=True)
    assert set(by_slug(public)) == published
    assert all(g.published for g in public.goals) and all(m.published for m in public.measures)
    assert not unpublished_goals & {g.slug for g in public.goals}

    # Goals come in display order and each goal's counts add up to its measures.
    orders = {slug: order for slug, order in session.execute(select(Goal.slug, Goal.display_order))}  # noqa: C416
    assert [orders[g.slug] for g in internal.goals] == sorted(orders[g.slug] for g in internal.goals)
    for goal in internal.goals:
        assert sum(goal.status_counts.values()) == len(goal.measures)
        assert all(m.goal_slug == goal.slug for m in goal.measures)


def test_approved_only_uses_the_latest_approved_value(session):
    pending, september_value = submitted_in_october_with_approved_september(session)
    slug = pending.measure.slug

    internal = by_slug(overview(session, today=TODAY))[slug]
    assert (internal.latest_period, internal.latest_value, internal.latest_state) == (
        OCT_2026, pending.value, "submitted")

    public = by_slug(overview(session, today=TODAY, published_only=True, approved_only=True))[slug]
    assert (public.latest_period, public.latest_value, public.latest_state) == (SEP_2026, september_value, "approved")
    assert OCT_2026 not in [period for period, _ in public.history]

    # Nothing that is not approved reaches the public view, for any measure.
    approved = stored_values(session, ("approved",))
    for m in overview(session, today=TODAY, published_only=True, approved_only=True).measures:
        assert m.latest_state in ("approved", None)
        for period, value in m.history:
            assert approved.get((m.slug, period)) == value, (m.slug, period)


def test_a_returned_value_never_counts(session):
    returned = session.execute(
        select(Measure.slug, Measurement.period).join(Measure, Measure.id == Measurement.measure_id)
        .where(Measurement.state == "returned")
    ).all()
    assert returned, "the seed needs a returned value"
    for view in (overview(session, today=TODAY), overview(session, today=TODAY, approved_only=True)):
        statuses = by_slug(view)
        for slug, period in returned:
            assert period not in [p for p, _ in statuses[slug].history]
            assert statuses[slug].latest_period < period

    # Returning a value through the service takes it out of the internal view at once.
    pending, september_value = submitted_in_october_with_approved_september(session)
    return_value(session, admin_actor(session), measurement_id=pending.id, expected_version=pending.version,
                 reason="This is the monthly figure, not the running total.")
    status = by_slug(overview(session, today=TODAY))[pending.measure.slug]
    assert (status.latest_period, status.latest_value, status.latest_state) == (SEP_2026, september_value, "approved")


def test_seeded_status_spread_freshness_reasons_and_history_as_of_october_2026(session):
    view = overview(session, as_of=OCT_2026, today=TODAY)
    statuses = [m.status for m in view.measures]
    for wanted in ("achieved", "on_track", "at_risk", "off_track"):
        assert wanted in statuses, f"no measure is {wanted}: {statuses}"
    assert "overdue" in [m.freshness for m in view.measures]
    assert view.status_counts == {s: statuses.count(s) for s in view.status_counts}
    assert view.last_updated == OCT_2026

    public = overview(session, as_of=OCT_2026, today=TODAY, published_only=True, approved_only=True)
    for audience in (view, public):
        for m in audience.measures:
            assert m.latest_value is not None
            shown = format_value(m.latest_value, m.unit, m.decimals)
            assert m.reason.strip() and shown in m.reason, (m.slug, shown, m.reason)
            assert m.status_label and m.freshness_label
            periods = [p for p, _ in m.history]
            assert periods == sorted(set(periods)), m.slug
            assert 0 < len(m.history) <= 12
            assert m.history[-1] == (m.latest_period, m.latest_value)
            assert all(p <= OCT_2026 for p in periods)

    # The internal history is exactly the stored (submitted or approved) values of the last 12 months.
    values = stored_values(session, ("submitted", "approved"))
    window_start = add_months(OCT_2026, -11)
    for m in view.measures:
        expected = sorted((p, v) for (slug, p), v in values.items() if slug == m.slug and window_start <= p <= OCT_2026)
        assert list(m.history) == expected, m.slug


def test_an_earlier_as_of_sees_only_values_from_that_month_or_before(session):
    as_of = date(2019, 6, 1)
    values = stored_values(session, ("submitted", "approved"))
    first_period: dict[str, date] = {}
    for slug, period in values:
        first_period[slug] = min(first_period.get(slug, period), period)

    view = overview(session, as_of=as_of, today=TODAY)
    assert view.as_of == as_of
    statuses = by_slug(view)
    for slug, m in statuses.items():
        if first_period[slug] > as_of:
            assert (m.status, m.latest_value, m.history) == ("no_data", None, ()), slug
            continue
        assert m.latest_period <= as_of and all(p <= as_of for p, _ in m.history), slug
        assert m.latest_value == values[(slug, m.latest_period)]
        assert all(values[(slug, p)] == v for p, v in m.history)
    # Not vacuous: some measures have a value for June 2019 itself, and some had not started yet.
    assert any(m.latest_period == as_of for m in statuses.values())
    assert any(first > as_of for first in first_period.values())


def test_a_write_is_visible_to_the_next_read(session):
    pending, _ = submitted_in_october_with_approved_september(session)
    slug, admin = pending.measure.slug, admin_actor(session)
    new_value = pending.value + 3 if pending.value + 3 <= pending.measure.valid_max else pending.value - 3

    assert by_slug(overview(session, today=TODAY))[slug].latest_value == pending.value
    corrected = correct_value(session, admin, measurement_id=pending.id, expected_version=pending.version,
                              value=new_value, reason="Corrected from the department's report")
    session.commit()
    assert by_slug(overview(session, today=TODAY))[slug].latest_value == new_value

    assert by_slug(overview(session, today=TODAY, approved_only=True))[slug].latest_period == SEP_2026
    reviewer = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["reviewer"][0])))
    approve_value(session, reviewer, measurement_id=pending.id, expected_version=corrected.version)  # two people
    session.commit()
    public = by_slug(overview(session, today=TODAY, published_only=True, approved_only=True))[slug]
    assert (public.latest_period, public.latest_value) == (OCT_2026, new_value)


def test_one_overview_is_a_few_aggregated_statements(session, subtests):
    session.execute(text("SELECT 1"))  # connect first, so dialect start-up queries are not counted
    engine = session.get_bind()
    for switches in (
        {},
        {"published_only": True, "approved_only": True},
        {"as_of": date(2019, 6, 1)},  # measures without a recent value take the "latest before" query too
    ):
        with subtests.test(**{k: str(v) for k, v in switches.items()}):
            statements: list[str] = []

            def record(conn, cursor, statement, parameters, context, executemany, statements=statements):
                statements.append(" ".join(statement.split()))

            event.listen(engine, "before_cursor_execute", record)
            try:
                view = overview(session, today=TODAY, **switches)
            finally:
                event.remove(engine, "before_cursor_execute", record)

            assert view.measures
            # The first view evaluates and keeps every measure (models.summary): at most 6 statements that read, then
            # one INSERT (inside a SAVEPOINT) that stores the evaluations.
            kept = [s for s in statements if re.search(r"measure_summary|SAVEPOINT", s, re.I)
                    and not s.upper().startswith("SELECT")]
            read = [s for s in statements if s not in kept]
            assert 0 < len(read) <= 6, read
            assert len(kept) <= 3 and any(s.upper().startswith("INSERT INTO MEASURE_SUMMARY") for s in kept), kept
            reading = [s for s in statements if re.search(r"\b(FROM|JOIN)\s+measurement\b(?!_)", s, re.I)]
            assert reading, statements
            for statement in reading:
                assert re.search(r"\bWHERE\b", statement, re.I), f"reads all of measurement: {statement}"

            # The next view with nothing written since reads the kept evaluations: no figures, no writes.
            statements.clear()
            event.listen(engine, "before_cursor_execute", record)
            try:
                again = overview(session, today=TODAY, **switches)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            assert again == view
            assert len(statements) <= 3, statements
            assert not [s for s in statements if re.search(r"\b(FROM|JOIN)\s+measurement\b(?!_)|INSERT", s, re.I)]


def test_no_measure_in_the_seed_has_a_status_and_forecast_that_contradict(session, subtests):
    """The seed, for both audiences and several months: a status and its forecast sentence always agree."""
    from test_progress import contradiction

    for as_of in (date(2019, 6, 1), date(2022, 1, 1), SEP_2026, OCT_2026):
        for public in (False, True):
            view = overview(session, today=TODAY, as_of=as_of, published_only=public, approved_only=public)
            for m in view.measures:
                with subtests.test(slug=m.slug, as_of=str(as_of), public=public):
                    assert contradiction(m.status, m.forecast, m.on_pace) is None, (m.status, m.forecast)
            for goal in view.goals:
                worst = min((m.status for m in goal.measures if m.status != "no_data"),
                            key=["off_track", "at_risk", "on_track", "achieved"].index, default="no_data")
                assert goal.status == worst


def test_month_pickers_start_at_the_first_figure_or_baseline_the_audience_may_see(session, empty_session):
    from models.queries import earliest_period

    def first_month(*, public: bool) -> date | None:
        return earliest_period(session, published_only=public, approved_only=public)

    visible = (select(Measure).join(Goal, Goal.id == Measure.goal_id)
               .where(Measure.published.is_(True), Goal.published.is_(True)))
    public_first_figure = session.scalar(
        select(Measurement.period).join(Measure, Measure.id == Measurement.measure_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .where(Measurement.state == "approved", Measure.published.is_(True), Goal.published.is_(True))
        .order_by(Measurement.period).limit(1))
    public_first_baseline = min(m.baseline_period for m in session.scalars(visible))
    assert first_month(public=True) == min(public_first_figure, public_first_baseline) < date(2018, 1, 1)
    assert first_month(public=False) <= first_month(public=True)

    # A hidden measure's earlier baseline widens the staff picker only; a published one's widens both.
    hidden = session.scalar(select(Measure).where(Measure.published.is_(False)).order_by(Measure.slug).limit(1))
    shown = session.scalars(visible.order_by(Measure.slug)).first()
    hidden.baseline_period = date(2016, 9, 1)
    session.flush()
    assert first_month(public=False) == date(2016, 9, 1)
    assert first_month(public=True) == min(public_first_figure, public_first_baseline)
    shown.baseline_period = date(2016, 10, 1)
    session.flush()
    assert (first_month(public=False), first_month(public=True)) == (date(2016, 9, 1), date(2016, 10, 1))

    # A submitted (not yet approved) figure from before every baseline counts for staff, not for the public.
    session.add(Measurement(measure_id=shown.id, period=date(2016, 8, 1), value=shown.baseline_value,
                            state="submitted"))
    session.flush()
    assert (first_month(public=False), first_month(public=True)) == (date(2016, 8, 1), date(2016, 10, 1))

    assert earliest_period(empty_session, published_only=True, approved_only=True) is None
