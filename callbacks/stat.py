"""Callbacks of the staff measure page (chart, revision history, follow-ups) and the monthly Stat briefing."""
from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.public import plausible_slug
from extensions import (
    briefing_data,
    cached_follow_ups,
    cached_measure_detail,
    cached_overview,
    cached_revision_history,
    current_actor,
    current_role,
    db_session,
)
from layouts import ids
from layouts._stat import briefing, follow_up_list, staff_measure_rest, staff_measure_top, staff_not_found
from layouts._worklists import alert
from models import clock
from models.errors import NotFound, PermissionDenied, ValidationError
from models.queries import MeasureDetail
from models.stat import briefing_month, create_follow_up, mark_follow_up_done


def staff_detail(slug: object) -> MeasureDetail | None:
    """A measure's staff data (published or not, every figure), or None when there is no such measure."""
    slug = plausible_slug(slug)
    return cached_measure_detail(slug, public=False) if slug else None


def update_exec_measure_page(slug: str | None):
    """The staff page of a measure (top and rest), whether its follow-ups show, and for admins the follow-up form
    with every department, the measure's own first."""
    detail = staff_detail(slug)
    if detail is None:
        return staff_not_found(), None, True, True, [], None
    departments = {m.department_slug: m.department_name for m in cached_overview(public=False).measures}
    options = [{"label": name, "value": dept} for dept, name in sorted(departments.items(), key=lambda i: i[1])]
    return (staff_measure_top(detail), staff_measure_rest(detail, cached_revision_history(detail.status.slug)),
            False, current_role() != "admin", options, detail.status.department_slug)


def update_exec_follow_ups(slug: str | None, _changed: Any):
    """The measure's follow-ups; admins get a "Mark done" button on open ones."""
    slug = plausible_slug(slug)
    if slug is None:
        raise PreventUpdate
    return follow_up_list(cached_follow_ups((slug,)), clock.today(), can_close=current_role() == "admin")


def save_admin_follow_up(_clicks: int | None, slug: str | None, action: str | None, department: str | None,
                         due: str | None, changed: int | None):
    """Record a follow-up; on a refusal, say what to fix and keep what was typed."""
    if not _clicks:
        raise PreventUpdate
    actor = current_actor()
    keep = dash.no_update
    if actor is None:
        return alert("error", "Your session has ended. Sign in again, then record the follow-up."), keep, keep
    try:
        with db_session() as session:
            create_follow_up(session, actor, measure_slug=str(slug or ""), action=action, department_slug=department,
                             due_date=due)
    except (ValidationError, PermissionDenied, NotFound) as error:
        return alert("error", error.message), keep, keep
    return alert("success", "Follow-up recorded. It is listed above and in every briefing until it is marked done."), \
        (changed or 0) + 1, ""


def close_admin_follow_up(clicks: list, changed: int | None):
    """Mark the follow-up whose button was pressed done."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    actor = current_actor()
    keep = dash.no_update
    if actor is None:
        return alert("error", "Your session has ended. Sign in again, then mark it done."), keep
    follow_up_id = trigger.get("id")
    if not isinstance(follow_up_id, int):
        return alert("error", "That button is out of date. Reload the page and try again."), keep
    try:
        with db_session() as session:
            mark_follow_up_done(session, actor, follow_up_id)
    except (ValidationError, PermissionDenied, NotFound) as error:
        return alert("error", error.message), (changed or 0) + 1
    return alert("success", "Follow-up marked done."), (changed or 0) + 1


def update_exec_briefing(month: str | None):
    """The briefing for the month in the address: cover summary, then a section per measure needing attention."""
    bundle = briefing_data(briefing_month(month))
    sections = [d for d in (cached_measure_detail(m.slug, public=False) for m in bundle["attention"]) if d]
    return briefing(bundle["month"], bundle["previous"], bundle["counts"], bundle["moves"], bundle["changes"],
                    bundle["measures"], sections, bundle["attention"], bundle["open_items"], clock.today())


def register(app: dash.Dash) -> None:
    """Wire the staff measure page's and the briefing's callbacks; tell the guard which staff slugs exist."""
    from callbacks import guard

    app.callback(Output(ids.EXEC_MEASURE_PAGE, "children"), Output(ids.EXEC_MEASURE_MORE, "children"),
                 Output(ids.EXEC_FOLLOW_UP_SECTION, "hidden"), Output(ids.EXEC_FOLLOW_UP_FORM, "hidden"),
                 Output(ids.EXEC_FOLLOW_UP_DEPARTMENT, "options"), Output(ids.EXEC_FOLLOW_UP_DEPARTMENT, "value"),
                 Input(ids.EXEC_MEASURE_SLUG, "data"))(update_exec_measure_page)
    app.callback(Output(ids.EXEC_FOLLOW_UPS, "children"), Input(ids.EXEC_MEASURE_SLUG, "data"),
                 Input(ids.ADMIN_FOLLOW_UP_CHANGED, "data"))(update_exec_follow_ups)
    app.callback(Output(ids.ADMIN_FOLLOW_UP_FEEDBACK, "children"), Output(ids.ADMIN_FOLLOW_UP_CHANGED, "data"),
                 Output(ids.ADMIN_FOLLOW_UP_ACTION, "value"),
                 Input(ids.ADMIN_FOLLOW_UP_SAVE, "n_clicks"), State(ids.EXEC_MEASURE_SLUG, "data"),
                 State(ids.ADMIN_FOLLOW_UP_ACTION, "value"), State(ids.EXEC_FOLLOW_UP_DEPARTMENT, "value"),
                 State(ids.ADMIN_FOLLOW_UP_DUE, "value"), State(ids.ADMIN_FOLLOW_UP_CHANGED, "data"),
                 prevent_initial_call=True)(save_admin_follow_up)
    app.callback(Output(ids.ADMIN_FOLLOW_UP_FEEDBACK, "children", allow_duplicate=True),
                 Output(ids.ADMIN_FOLLOW_UP_CHANGED, "data", allow_duplicate=True),
                 Input({"type": ids.ADMIN_FOLLOW_UP_CLOSE, "id": ALL}, "n_clicks"),
                 State(ids.ADMIN_FOLLOW_UP_CHANGED, "data"), prevent_initial_call=True)(close_admin_follow_up)
    app.callback(Output(ids.EXEC_BRIEFING, "children"), Input(ids.EXEC_BRIEFING_MONTH, "data"))(update_exec_briefing)
    guard.PAGE_EXISTS["/dashboard/measures/<slug>"] = lambda _template, variables: staff_detail(
        variables.get("slug")) is not None
