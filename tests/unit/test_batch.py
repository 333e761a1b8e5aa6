"""save_figures (models/batch.py): the per-row decision, all-or-nothing writes, and a statement count that stays flat.

Runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (the `session` fixture).
"""
from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import event, select
from test_services import actor, count, snapshot

from models.batch import FigureRow, save_figures
from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.org import Department

THIS_MONTH = date(2026, 11, 1)
# Test figures are picked from the middle of each measure's range, far from its recent figures: a note says why
# (a figure far beyond the recent changes needs one).
NOTE = "From the monthly report"
LAST_SEEDED_MONTH = date(2026, 10, 1)


def typed(measure: Measure) -> str:
    """A whole number inside the measure's valid range, as a person would type it."""
    low = measure.valid_min if measure.valid_min is not None else 0
    high = measure.valid_max if measure.valid_max is not None else low + 1000
    return str(int(low + (high - low) / 2))


def plain_measures(session, department: str | None = None) -> list[Measure]:
    """Non-cumulative measures (optionally of one department) tracked from before this month, by slug."""
    stmt = (select(Measure).join(Department, Department.id == Measure.owner_department_id)
            .where(Measure.cumulative.is_(False), Measure.baseline_period <= LAST_SEEDED_MONTH).order_by(Measure.slug))
    if department:
        stmt = stmt.where(Department.slug == department)
    return list(session.scalars(stmt))


def stored(session, measure: Measure, period: date) -> Measurement | None:
    return session.execute(select(Measurement).where(Measurement.measure_id == measure.id,
                                                     Measurement.period == period)
                           .execution_options(populate_existing=True)).scalar()


def test_new_values_are_stored_with_history(session):
    measures = plain_measures(session, "ocd")[:2]
    assert len(measures) == 2, "the seed needs two plain OCD measures"
    before = snapshot(session)
    result = save_figures(session, actor(session, "editor"), period=THIS_MONTH,
                          rows=[FigureRow(m.id, typed(m), note="From the monthly report") for m in measures])
    session.commit()
    assert result.saved and [r.outcome for r in result.rows] == ["stored", "stored"]
    for measure, row in zip(measures, result.rows, strict=True):
        saved = stored(session, measure, THIS_MONTH)
        assert saved is not None and saved.state == "submitted" and saved.value == float(typed(measure))
        assert row.measurement_id == saved.id and row.shown
        revision = session.scalar(select(Revision).where(Revision.measurement_id == saved.id))
        assert revision is not None and revision.action == "enter"
    after = snapshot(session)
    assert after["measurements"] == before["measurements"] + 2
    assert after["revisions"] == before["revisions"] + 2
    assert after["audit_events"] == before["audit_events"] + 2
    assert after["data_version"] == before["data_version"] + 1


def test_same_figures_again_are_unchanged_and_a_different_one_is_a_correction(session):
    editor = actor(session, "editor")
    measure, other = plain_measures(session, "ocd")[:2]
    save_figures(session, editor, period=THIS_MONTH, rows=[FigureRow(measure.id, typed(measure), note=NOTE),
                                                           FigureRow(other.id, typed(other), note=NOTE)])
    session.commit()
    first_version = stored(session, measure, THIS_MONTH).version
    second_version = stored(session, other, THIS_MONTH).version
    before = snapshot(session)
    again = save_figures(session, editor, period=THIS_MONTH, rows=[
        FigureRow(measure.id, typed(measure), note=NOTE, seen_version=first_version),
        FigureRow(other.id, str(int(float(typed(other))) + 1), note=NOTE, seen_version=second_version,
                  reason="Late invoices counted"),
    ])
    session.commit()
    assert [r.outcome for r in again.rows] == ["unchanged", "corrected"]
    corrected = stored(session, other, THIS_MONTH)
    assert corrected.version == second_version + 1 and corrected.value == float(typed(other)) + 1
    after = snapshot(session)
    assert after["revisions"] == before["revisions"] + 1 and after["measurements"] == before["measurements"]


@pytest.mark.parametrize("problem", ["bad value", "no reason", "stale version", "other department", "future"])
def test_one_refused_row_writes_nothing(session, problem):
    editor = actor(session, "editor")
    good, target = plain_measures(session, "ocd")[:2]
    existing = stored(session, target, LAST_SEEDED_MONTH)
    period = LAST_SEEDED_MONTH
    rows = [FigureRow(good.id, typed(good), seen_version=getattr(stored(session, good, period), "version", None),
                      reason="Recount after audit")]
    if problem == "bad value":
        rows.append(FigureRow(target.id, "twelve", seen_version=existing.version, reason="Recount after audit"))
    elif problem == "no reason":
        rows.append(FigureRow(target.id, str(int(existing.value) + 1), seen_version=existing.version))
    elif problem == "stale version":
        rows.append(FigureRow(target.id, str(int(existing.value) + 1), seen_version=existing.version - 1,
                              reason="Recount after audit"))
    elif problem == "other department":
        ocd_ids = {m.id for m in plain_measures(session, "ocd")}
        foreign = next(m for m in plain_measures(session) if m.id not in ocd_ids)
        rows.append(FigureRow(foreign.id, typed(foreign), reason="Recount after audit",
                              seen_version=getattr(stored(session, foreign, period), "version", None)))
    else:
        period = date(2027, 1, 1)
    before = snapshot(session)
    result = save_figures(session, editor, period=period, rows=rows)
    session.commit()
    assert not result.saved and result.refused
    refused = result.refused[-1]
    assert refused.message and refused.field
    assert snapshot(session) == before


def test_typed_percent_is_understood(session):
    percent = [m for m in plain_measures(session) if m.unit == "percent" and (m.valid_max or 100) >= 45
               and (m.valid_min or 0) <= 45 and m.decimals >= 0]
    assert percent, "the seed needs a percent measure allowing 45"
    measure = percent[0]
    result = save_figures(session, actor(session, "admin"), period=THIS_MONTH, rows=[FigureRow(measure.id, "45%", note=NOTE)])
    assert result.saved and result.rows[0].value == 45 and "45" in (result.rows[0].shown or "")


STATEMENTS: list[str] = []


def add_copies(session, template: Measure, how_many: int) -> None:
    """Illustrative copies of one measure, so a test can save more rows than the seed has measures."""
    columns = [c.key for c in Measure.__table__.columns if c.key not in ("id", "slug")]
    for number in range(how_many):
        copy = Measure(slug=f"{template.slug}-copy-{number}", **{key: getattr(template, key) for key in columns})
        session.add(copy)
    session.flush()


def _statements(session, rows: list[FigureRow]) -> int:
    seen = STATEMENTS
    seen.clear()

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    admin = actor(session, "admin")
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        result = save_figures(session, admin, period=THIS_MONTH, rows=rows)
        session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert result.saved, result.refused
    return len(seen)


def test_statement_count_does_not_grow_with_rows_and_50_values_are_quick(session, capsys):
    add_copies(session, plain_measures(session)[0], 50)
    session.commit()
    measures = plain_measures(session)
    assert len(measures) >= 50
    few = _statements(session, [FigureRow(m.id, typed(m), note=NOTE) for m in measures[:2]])
    session.rollback()
    started = time.perf_counter()
    many = _statements(session, [FigureRow(m.id, typed(m), note=NOTE) for m in measures[:50]])
    elapsed = time.perf_counter() - started
    session.commit()
    assert many == few, [text[:40] for text in STATEMENTS]
    assert count(session, Measurement) > 0
    with capsys.disabled():
        print(f"\nsave_figures: {min(50, len(measures))} values in {elapsed * 1000:.0f} ms, {many} statements")
    assert elapsed < 5


def _history_measure(session) -> tuple[Measure, float]:
    """An OCD measure with steady recent figures and its October 2026 figure."""
    for measure in plain_measures(session, "ocd"):
        october = stored(session, measure, LAST_SEEDED_MONTH)
        if october is not None:
            return measure, october.value
    raise AssertionError("the seed needs an OCD measure with an October 2026 figure")


def test_a_figure_far_beyond_the_recent_changes_needs_a_note(session):
    """A jump far beyond the recent monthly changes is refused without a note, saying what is typical; with a note
    it is stored. A figure near the last one needs none."""
    from models.progress import jumped

    measure, october = _history_measure(session)
    history = [(m.period, m.value) for m in session.scalars(
        select(Measurement).where(Measurement.measure_id == measure.id, Measurement.period <= LAST_SEEDED_MONTH)
        .order_by(Measurement.period))]
    huge = october + 10 * max(abs(b - a) for (_, a), (_, b) in zip(history, history[1:], strict=False)) + 1000
    if measure.valid_max is not None:
        huge = min(huge, measure.valid_max)
    assert jumped(huge, history), "the test figure must be a jump"
    editor = actor(session, "editor")
    before = snapshot(session)
    refused = save_figures(session, editor, period=THIS_MONTH, rows=[FigureRow(measure.id, str(int(huge)))])
    assert not refused.saved and refused.rows[0].field == "note"
    assert "far beyond the recent monthly changes" in refused.rows[0].message and "say why in the note" in \
        refused.rows[0].message
    session.rollback()
    assert snapshot(session) == before
    kept = save_figures(session, editor, period=THIS_MONTH,
                        rows=[FigureRow(measure.id, str(int(huge)), note="Backlog of two months cleared")])
    assert kept.saved and kept.rows[0].outcome == "stored"
    session.rollback()
    near = save_figures(session, editor, period=THIS_MONTH, rows=[FigureRow(measure.id, str(int(october)))])
    assert near.saved, near.rows[0].message


def test_postgres_copy_stores_exactly_what_row_inserts_store(session, backend, monkeypatch):
    """On PostgreSQL a batch's rows go in by COPY: the figures, revisions and audit events (JSON included) are the very
    rows the INSERT path stores, and the measures' stamps move the same way (their triggers fire for COPY too)."""
    from sqlalchemy import text

    from models import batch

    if backend != "postgres":
        pytest.skip("COPY is PostgreSQL's; SQLite always inserts rows")
    measures = plain_measures(session, "ocd")[:2]
    editor = actor(session, "editor")
    ids_of_measures = [m.id for m in measures]

    def stored_by(copies: bool) -> tuple:
        monkeypatch.setattr(batch, "_copies", lambda _session: copies)
        stamps = dict(session.execute(text("SELECT measure_id, stamp FROM measure_stamp WHERE measure_id = ANY(:ids)"),
                                      {"ids": ids_of_measures}).all())
        result = save_figures(session, editor, period=THIS_MONTH,
                              rows=[FigureRow(m.id, typed(m), note=NOTE) for m in measures])
        session.flush()
        assert result.saved and [r.outcome for r in result.rows] == ["stored"] * 2
        ids = [r.measurement_id for r in result.rows]
        assert len(set(ids)) == 2 and all(ids)
        figures = session.execute(text(
            "SELECT measure_id, period, value, approved_value, note, state, source_ref, version, entered_by_id, "
            "entered_at IS NOT NULL, reviewed_by_id, reviewed_at, review_note FROM measurement "
            "WHERE id = ANY(:ids) ORDER BY measure_id"), {"ids": ids}).all()
        revisions = session.execute(text(
            "SELECT m.measure_id, r.action, r.old_value, r.new_value, r.old_state, r.new_state, r.reason, r.user_id "
            "FROM revision r JOIN measurement m ON m.id = r.measurement_id WHERE r.measurement_id = ANY(:ids) "
            "ORDER BY m.measure_id"), {"ids": ids}).all()
        audits = session.execute(text(
            "SELECT actor, user_id, action, entity_type, before::text, after::text, before IS NULL FROM audit_event "
            "WHERE entity_type = 'measurement' AND entity_id = ANY(:ids) ORDER BY entity_id::int"),
            {"ids": [str(i) for i in ids]}).all()
        moved = dict(session.execute(text("SELECT measure_id, stamp FROM measure_stamp WHERE measure_id = ANY(:ids)"),
                                     {"ids": ids_of_measures}).all())
        session.rollback()
        return figures, revisions, audits, {m: moved[m] - stamps.get(m, 0) for m in ids_of_measures}

    copied, inserted = stored_by(True), stored_by(False)
    assert copied == inserted
    figures, revisions, audits, stamp_moves = copied
    assert [row.state for row in figures] == ["submitted"] * 2 and len(revisions) == len(audits) == 2
    assert all(move >= 1 for move in stamp_moves.values()), stamp_moves
