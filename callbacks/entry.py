"""Callbacks of the monthly entry page: the measures a person may enter, the stored-value panel, and saving."""
from __future__ import annotations

from datetime import date
from typing import Any

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.public import parse_month
from extensions import current_actor, db_session
from layouts import ids
from layouts._components import month_label
from layouts._worklists import alert, measure_options, stale_details, stored_value_panel
from models.batch import FigureRow, month_grid_rows, save_figures
from models.errors import NotFound, PermissionDenied, StaleEditError, ValidationError
from models.progress import format_value
from models.services import Actor, correct_value, submit_value
from models.values import parse_figure
from models.worklists import (
    EnterableMeasure,
    enterable_measures,
    measure_for_entry,
    stored_value,
)

SAVE_LABEL, CORRECT_LABEL = "Save figure", "Save correction"
NEXT_STEP = {
    "value": "Your figure is still in the form: fix it and save again.",
    "reason": "Type why the figure changes in “Reason for the change”, then save again.",
    "period": "Choose another month and save again.",
    "note": "Your figure is still in the form.",
    "confirm_drop": "Your figure is still in the form.",
}


def parse_measure_id(value: Any) -> int | None:
    """The measure id a select sent ("12"), or None when nothing (valid) is chosen."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def update_entry_measure_options(_trigger: Any) -> list[dict[str, str]]:
    """Only the measures the signed-in person may enter: admins all, editors their department's."""
    actor = current_actor()
    with db_session() as session:
        measures = enterable_measures(session, actor)
    return measure_options(measures, show_department=actor is not None and actor.role == "admin")


def update_entry_current(measure: Any, month: Any, _saved: Any):
    """The stored value of the chosen measure and month, its version, and whether a reason is needed."""
    return current_panel(current_actor(), parse_measure_id(measure), parse_month(month))


def current_panel(actor: Actor | None, measure_id: int | None, period: date | None):
    """Panel, version store, reason-hidden flag, save-button label and drop-confirmation-hidden flag."""
    if measure_id is None or period is None:
        return stored_value_panel(None, period, None), None, True, SAVE_LABEL, True
    with db_session() as session:
        measure = measure_for_entry(session, actor, measure_id)
        stored = stored_value(session, measure_id, period) if measure else None
    if measure is None:
        return stored_value_panel(None, period, None, refused=True), None, True, SAVE_LABEL, True
    version = {"measure_id": measure_id, "period": period.isoformat(), "version": stored.version if stored else None}
    return (stored_value_panel(measure, period, stored), version, stored is None,
            CORRECT_LABEL if stored else SAVE_LABEL, not measure.cumulative)


def clear_entry_feedback(_measure: Any, _month: Any):
    """Another measure or month: the last save's message and the drop confirmation no longer apply to it."""
    return None, False


def save_entry_value(n_clicks: int | None, n_submit: int | None, measure: Any, month: Any, value: Any,
                     note: str | None, reason: str | None, version: dict | None, saved: int | None,
                     confirm_drop: Any = False):
    """Save the typed figure: a new month is submitted, a month with a figure is corrected with its reason."""
    if not n_clicks and not n_submit:
        raise PreventUpdate
    return save_value(current_actor(), parse_measure_id(measure), parse_month(month), value, note, reason,
                      version, saved or 0, confirm_drop=confirm_drop is True)


def expected_version(version: dict | None, measure_id: int, period: date) -> int | None:
    """The version the person saw for this very measure and month, or None when they saw no stored value."""
    if not isinstance(version, dict):
        return None
    if version.get("measure_id") != measure_id or version.get("period") != period.isoformat():
        return None
    seen = version.get("version")
    return seen if isinstance(seen, int) and not isinstance(seen, bool) else None


def shown(measure: EnterableMeasure | None, number: float | None) -> str | None:
    """A number in the measure's unit ("12,430", "62.5%"), or None when there is nothing to show."""
    if number is None:
        return None
    return format_value(number, measure.unit, measure.decimals) if measure else f"{number:,g}"


def save_value(actor: Actor | None, measure_id: int | None, period: date | None, value: Any, note: str | None,
               reason: str | None, version: dict | None, saved: int, *, confirm_drop: bool = False):
    """Feedback, the bumped panel trigger, then the reason, value, note and drop confirmation (all cleared only
    after a successful save, so nothing typed is lost on a refusal)."""
    keep = dash.no_update
    kept = (keep, keep, keep, keep)
    if actor is None:
        return (alert("error", "You are no longer signed in. Your figure is still in the form: sign in again in "
                               "another tab, then save."), keep, *kept)
    if measure_id is None:
        return alert("error", "Choose a measure first, then save again."), keep, *kept
    if period is None:
        return alert("error", "Choose a month first, then save again."), keep, *kept
    seen = expected_version(version, measure_id, period)
    measure = existing = None
    try:
        with db_session() as session:
            measure = measure_for_entry(session, actor, measure_id)
            existing = stored_value(session, measure_id, period)
            if existing is None or seen is None:
                saved_row = submit_value(session, actor, measure_id=measure_id, period=period, value=value, note=note,
                                         confirm_drop=confirm_drop)
            else:
                saved_row = correct_value(session, actor, measurement_id=existing.id, expected_version=seen,
                                          value=value, reason=reason or "", note=(note or "").strip() or None,
                                          confirm_drop=confirm_drop)
            result = (saved_row.value, saved_row.period)
    except StaleEditError as error:
        details = stale_details(shown(measure, error.current_value), shown(measure, error.attempted_value))
        return alert("warning", error.message, details), saved + 1, *kept
    except ValidationError as error:
        return alert("error", f"{error.message} {NEXT_STEP.get(error.field or '', '')}".strip()), keep, *kept
    except PermissionDenied as error:
        return alert("error", f"{error.message} Choose one of your department's measures from the list, or ask "
                              "the performance team to enter this one. Nothing was saved."), keep, *kept
    except NotFound as error:
        return alert("error", error.message), keep, *kept
    number, stored_period = result
    name = measure.name if measure else "the measure"
    if existing is None or seen is None:
        message = (f"Saved {shown(measure, number)} for {name}, {month_label(stored_period)}. It now waits for "
                   "approval by the performance team.")
    else:
        message = (f"Corrected {name}, {month_label(stored_period)}, from {shown(measure, existing.value)} to "
                   f"{shown(measure, number)}. It goes back to the performance team for approval.")
    # The saved figure now shows in the panel; an empty form cannot be saved again against another measure.
    return alert("success", message), saved + 1, "", "", "", False


def load_entry_grid(month: Any) -> list[dict[str, Any]]:
    """The month grid's rows for the chosen month (none for someone who may not enter)."""
    period = parse_month(month)
    actor = current_actor()
    if period is None or actor is None:
        return []
    with db_session() as session:
        return month_grid_rows(session, actor, period)


def _grid_measures(rows: list[dict[str, Any]]) -> dict[int, tuple[str, int]]:
    with db_session() as session:
        enterable = enterable_measures(session, current_actor())
    return {measure.id: (measure.unit, measure.decimals) for measure in enterable}


def understand_entry_grid(_changed: Any, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Show what each typed value was understood as (or what is wrong with it) before anything is saved."""
    if not rows:
        raise PreventUpdate
    units = _grid_measures(rows)
    updated = []
    for row in rows:
        row = dict(row)
        unit, decimals = units.get(row.get("measure_id"), ("count", None))  # type: ignore[arg-type]
        raw = row.get("value")
        if raw in (None, ""):
            row["understood"], row["problem"] = "", ""
        else:
            try:
                figure = parse_figure(raw, unit=unit, decimals=decimals)
                row["understood"], row["problem"] = figure.shown, ""
            except ValidationError as error:
                row["understood"], row["problem"] = "", str(error)
        updated.append(row)
    return updated


def save_entry_grid(n_clicks: int | None, month: Any, rows: list[dict[str, Any]] | None):
    """Save every typed row through save_figures; on any refusal nothing is saved and every typed value stays."""
    if not n_clicks:
        raise PreventUpdate
    period = parse_month(month)
    actor = current_actor()
    if actor is None or period is None or not rows:
        raise PreventUpdate
    typed = [row for row in rows if str(row.get("value") or "").strip()]
    if not typed:
        return dash.no_update, alert("error", "There is nothing to save yet: type a figure in the Value column of a "
                                              "measure, then save.")
    # In the grid the note is the confirmation that a running total really fell (there is no tick box per row).
    figures = [FigureRow(measure_id=int(row["measure_id"]), value=row["value"], note=row.get("note") or None,
                         reason=row.get("reason") or None, seen_version=row.get("version"),
                         confirm_drop=bool(str(row.get("note") or "").strip())) for row in typed]
    try:
        with db_session() as session:
            result = save_figures(session, actor, period=period, rows=figures)
            if result.saved:
                session.commit()
    except (PermissionDenied, NotFound, ValidationError) as error:
        return dash.no_update, alert("error", str(error))
    by_measure = {outcome.measure_id: outcome for outcome in result.rows}
    if not result.saved:
        kept = []
        for row in rows:
            row = dict(row)
            outcome = by_measure.get(row.get("measure_id"))  # type: ignore[arg-type]
            row["problem"] = outcome.message if outcome and outcome.outcome == "refused" else ""
            kept.append(row)
        return kept, alert("error", f"Nothing was saved: {len(result.refused)} row(s) need attention (see the Problem "
                           "column). Every typed value is still in the grid: fix them and save again.", "danger")
    with db_session() as session:
        fresh = month_grid_rows(session, actor, period)
    message = (f"Saved {month_label(period)}: {result.count('stored')} new, {result.count('corrected')} corrected, "
               f"{result.count('unchanged')} unchanged. New and corrected figures await approval.")
    return fresh, alert("success", message)


def register(app: dash.Dash) -> None:
    """Wire the entry page's callbacks."""
    app.callback(Output(ids.ENTRY_GRID, "rowData"), Input(ids.ENTRY_GRID_MONTH, "value"))(load_entry_grid)
    app.callback(
        Output(ids.ENTRY_GRID, "rowData", allow_duplicate=True),
        Input(ids.ENTRY_GRID, "cellValueChanged"), State(ids.ENTRY_GRID, "rowData"),
        prevent_initial_call=True,
    )(understand_entry_grid)
    app.callback(
        Output(ids.ENTRY_GRID, "rowData", allow_duplicate=True), Output(ids.ENTRY_GRID_FEEDBACK, "children"),
        Input(ids.ENTRY_GRID_SAVE, "n_clicks"), State(ids.ENTRY_GRID_MONTH, "value"), State(ids.ENTRY_GRID, "rowData"),
        prevent_initial_call=True,
    )(save_entry_grid)
    app.callback(Output(ids.ENTRY_MEASURE, "options"), Input(ids.ENTRY_MEASURE, "id"))(update_entry_measure_options)
    app.callback(
        Output(ids.ENTRY_CURRENT, "children"), Output(ids.ENTRY_VERSION, "data"),
        Output(ids.ENTRY_REASON_GROUP, "hidden"), Output(ids.ENTRY_SAVE, "children"),
        Output(ids.ENTRY_DROP_GROUP, "hidden"),
        Input(ids.ENTRY_MEASURE, "value"), Input(ids.ENTRY_PERIOD, "value"), Input(ids.ENTRY_SAVED, "data"),
    )(update_entry_current)
    app.callback(
        Output(ids.ENTRY_FEEDBACK, "children", allow_duplicate=True),
        Output(ids.ENTRY_CONFIRM_DROP, "value", allow_duplicate=True),
        Input(ids.ENTRY_MEASURE, "value"), Input(ids.ENTRY_PERIOD, "value"),
        prevent_initial_call=True,
    )(clear_entry_feedback)
    app.callback(
        Output(ids.ENTRY_FEEDBACK, "children"), Output(ids.ENTRY_SAVED, "data"), Output(ids.ENTRY_REASON, "value"),
        Output(ids.ENTRY_VALUE, "value"), Output(ids.ENTRY_NOTE, "value"), Output(ids.ENTRY_CONFIRM_DROP, "value"),
        Input(ids.ENTRY_SAVE, "n_clicks"), Input(ids.ENTRY_VALUE, "n_submit"),
        State(ids.ENTRY_MEASURE, "value"), State(ids.ENTRY_PERIOD, "value"), State(ids.ENTRY_VALUE, "value"),
        State(ids.ENTRY_NOTE, "value"), State(ids.ENTRY_REASON, "value"), State(ids.ENTRY_VERSION, "data"),
        State(ids.ENTRY_SAVED, "data"), State(ids.ENTRY_CONFIRM_DROP, "value"),
        prevent_initial_call=True,
    )(save_entry_value)
