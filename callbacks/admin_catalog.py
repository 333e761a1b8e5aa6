"""Callbacks of /admin/goals and /admin/measures: lists, edit forms, publication with a confirmation, retirement.

Thin: they read the form, call models.admin_catalog, and turn its refusals into a message per field. A refused save
changes no field of the form, so nothing typed is lost.
"""
from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, html
from dash.exceptions import PreventUpdate

from extensions import current_actor, db_session
from layouts import ids
from layouts._admin import (
    GOAL_FORM_FIELDS,
    MEASURE_FORM_FIELDS,
    goal_fields,
    goals_table,
    measure_fields,
    measures_table,
)
from layouts._worklists import alert
from models.admin_catalog import (
    PLAN_LABELS,
    FormErrors,
    choices,
    delete_measure,
    goal_form,
    goal_publish_consequence,
    goal_rows,
    measure_form,
    measure_publish_consequence,
    measure_rows,
    measure_value_count,
    needs_reason,
    retire_goal,
    retire_measure,
    save_goal,
    save_measure,
    set_goal_published,
    set_measure_published,
)
from models.catalog import Goal, Measure
from models.errors import NotFound, PermissionDenied, ValidationError

SESSION_ENDED = "Your session has ended. Sign in again; what you typed is still in the form."


def _pressed() -> bool:
    """Whether a button was really pressed (a list redraw fires pattern-matching inputs with no clicks)."""
    return any(item.get("value") for item in dash.ctx.triggered)


def _editing_id(editing: Any) -> int | None:
    return editing.get("id") if isinstance(editing, dict) and isinstance(editing.get("id"), int) else None


def _typed(described: list) -> dict[str, Any]:
    """{field name: value} of a form's controls, from the callback context's description of a pattern-matching
    input or state (dash.ctx.states_list[0] or inputs_list[0]: each control's id and value)."""
    return {item["id"]["field"]: item.get("value") for item in described
            if isinstance(item, dict) and isinstance(item.get("id"), dict) and "field" in item["id"]}


def _messages(errors: dict[str, str]) -> tuple[list, list]:
    """Per control on the page, in the page's order: the message under it and whether it is marked invalid."""
    messages, invalid = dash.ctx.outputs_list[1], dash.ctx.outputs_list[2]
    return ([errors.get(item["id"]["field"], "") for item in messages],
            [item["id"]["field"] in errors for item in invalid])


def _error_summary(error: FormErrors, labels: dict[str, str]) -> html.Div:
    return alert("error", error.message, html.Ul([html.Li(f"{labels.get(name, name)}: {message}")
                                                  for name, message in error.errors.items()], className="mb-0 mt-2"))


GOAL_LABELS = {name: label for name, label, _hint in GOAL_FORM_FIELDS}
MEASURE_LABELS = {name: label for name, label, _hint in MEASURE_FORM_FIELDS} | {"reason": "Reason"}


# --- goals -------------------------------------------------------------------------------------------------------


def update_admin_goals_list(_changed: Any):
    """The goal list."""
    with db_session() as session:
        return goals_table(goal_rows(session))


def open_admin_goal(_new: Any, _edits: list):
    """Fill the form with the chosen goal (or empty for a new one) and clear old messages."""
    trigger = dash.ctx.triggered_id
    if not _pressed():
        raise PreventUpdate
    goal_id = trigger.get("id") if isinstance(trigger, dict) else None
    with db_session() as session:
        goal = session.get(Goal, goal_id) if isinstance(goal_id, int) else None
        if goal_id is not None and goal is None:
            raise PreventUpdate
        fields = goal_fields(goal_form(goal), choices(session)["departments"], existing=goal is not None)
    return fields, {"id": goal_id}, None


def update_admin_goal_form(editing: Any, _changed: Any):
    """Show the form for the goal being edited: heading, state, and the publish and retire buttons."""
    if not isinstance(editing, dict):
        return True, "", "", "Publish", True, True
    goal_id = _editing_id(editing)
    if goal_id is None:
        return (False, "New goal", "Not saved yet. A new goal starts unpublished: save it, then publish it.",
                "Publish", True, True)
    with db_session() as session:
        goal = session.get(Goal, goal_id)
        if goal is None:
            return True, "", "", "Publish", True, True
        title, published, retired = goal.title, goal.published, goal.retired
    state = ("Retired: it has left every view; its measures and figures are kept." if retired else
             "Published: shown on the public progress page." if published else "Not published: staff only.")
    return (False, f"Edit goal: {title}", state, "Unpublish" if published else "Publish", retired, retired)


def save_admin_goal(_clicks: Any, _values: list, editing: Any, changed: int | None):
    """Save the goal form: a new goal or changes to the one being edited."""
    if not _pressed() or not isinstance(editing, dict):
        raise PreventUpdate
    keep = dash.no_update
    actor = current_actor()
    none, clean = _messages({})
    if actor is None:
        return alert("error", SESSION_ENDED), none, clean, keep, keep
    form = _typed(dash.ctx.states_list[0])
    goal_id = _editing_id(editing)
    try:
        with db_session() as session:
            goal = save_goal(session, actor, goal_id=goal_id, form=form)
            saved_id, title, published = goal.id, goal.title, goal.published
    except FormErrors as error:
        messages, invalid = _messages(error.errors)
        return _error_summary(error, GOAL_LABELS), messages, invalid, keep, keep
    except (ValidationError, NotFound, PermissionDenied) as error:
        return alert("error", error.message), none, clean, keep, keep
    where = "It is public now." if published else "It is not published yet: press Publish when it is ready."
    verb = "Created" if goal_id is None else "Saved"
    return (alert("success", f"{verb} the goal “{title}”. {where}"), none, clean, {"id": saved_id},
            (changed or 0) + 1)


def ask_admin_goal(_publish: Any, _retire: Any, editing: Any):
    """Ask for confirmation, saying what becomes public or disappears."""
    goal_id = _editing_id(editing)
    if not _pressed() or goal_id is None:
        raise PreventUpdate
    with db_session() as session:
        goal = session.get(Goal, goal_id)
        if goal is None:
            raise PreventUpdate
        if dash.ctx.triggered_id == ids.ADMIN_GOAL_RETIRE:
            op = "retire"
            message = (f"Retire “{goal.title}”? It is unpublished and leaves the progress page, the dashboards and "
                       "the API. Its measures and figures are kept. This cannot be undone from this page.")
        else:
            op = "unpublish" if goal.published else "publish"
            message = goal_publish_consequence(session, goal_id, op == "publish")
    return message, True, {"op": op, "id": goal_id}


def confirm_admin_goal(_submitted: Any, pending: Any, changed: int | None):
    """Carry out the confirmed publish, unpublish or retire."""
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return alert("error", SESSION_ENDED), dash.no_update, None
    op, goal_id = pending.get("op"), pending["id"]
    try:
        with db_session() as session:
            if op == "retire":
                goal = retire_goal(session, actor, goal_id=goal_id)
                message = f"Retired “{goal.title}”. It has left every view."
            elif op in ("publish", "unpublish"):
                goal = set_goal_published(session, actor, goal_id=goal_id, published=op == "publish")
                message = (f"Published “{goal.title}”: it is on the public progress page now." if op == "publish"
                           else f"Unpublished “{goal.title}”: it is no longer public.")
            else:
                raise PreventUpdate
    except (ValidationError, NotFound, PermissionDenied) as error:
        return alert("error", error.message), (changed or 0) + 1, None
    return alert("success", message), (changed or 0) + 1, None


# --- measures ----------------------------------------------------------------------------------------------------


def update_admin_measures_list(_changed: Any):
    """The measure list."""
    with db_session() as session:
        return measures_table(measure_rows(session))


def open_admin_measure(_new: Any, _edits: list):
    """Fill the form with the chosen measure (or defaults for a new one) and clear old messages and the reason."""
    trigger = dash.ctx.triggered_id
    if not _pressed():
        raise PreventUpdate
    measure_id = trigger.get("id") if isinstance(trigger, dict) else None
    with db_session() as session:
        measure = session.get(Measure, measure_id) if isinstance(measure_id, int) else None
        if measure_id is not None and measure is None:
            raise PreventUpdate
        fields = measure_fields(measure_form(measure), choices(session), existing=measure is not None)
    return fields, {"id": measure_id}, None


def update_admin_measure_form(editing: Any, _changed: Any):
    """Show the form for the measure being edited: heading, state and which actions it offers."""
    hidden_delete = {"display": "none"}
    if not isinstance(editing, dict):
        return True, "", "", "Publish", True, True, hidden_delete
    measure_id = _editing_id(editing)
    if measure_id is None:
        return (False, "New measure", "Not saved yet. A new measure starts unpublished: save it, then publish it.",
                "Publish", True, True, hidden_delete)
    with db_session() as session:
        measure = session.get(Measure, measure_id)
        if measure is None:
            return True, "", "", "Publish", True, True, hidden_delete
        name, published, retired = measure.name, measure.published, measure.retired
        goal_title, goal_published = measure.goal.title, measure.goal.published
        figures = measure_value_count(session, measure_id)
    if retired:
        state = "Retired: no longer tracked; its figures and history are kept."
    elif published:
        state = ("Published: public on its measure page. A change to its target, baseline, milestones or "
                 "definition needs a reason, shown on that page." if goal_published else
                 f"Published, but its goal “{goal_title}” is not, so it is not public yet.")
    else:
        state = "Not published: staff only."
    state += f" {figures:,} monthly figure{'s' if figures != 1 else ''}."
    delete_style = {"display": "none"} if figures else {}
    return (False, f"Edit measure: {name}", state, "Unpublish" if published else "Publish", retired, retired,
            delete_style)


def update_admin_measure_reason(_values: list, editing: Any):
    """Show the reason field when the form changes a published measure's target, baseline, milestones or definition."""
    shown = len(dash.ctx.outputs_list[0])
    measure_id = _editing_id(editing)
    parts: list[str] = []
    if measure_id is not None:
        with db_session() as session:
            parts = needs_reason(session, measure_id, _typed(dash.ctx.inputs_list[0]))
    if not parts:
        return [True] * shown, [""] * shown
    named = ", ".join(PLAN_LABELS[p].lower() for p in parts)
    return [False] * shown, [f"This measure is published and you are changing its {named}. The public measure page "
                             "will say what changed, when, and this reason."] * shown


def save_admin_measure(_clicks: Any, _values: list, editing: Any, changed: int | None):
    """Save the measure form: a new measure or changes to the one being edited (with a reason when required)."""
    if not _pressed() or not isinstance(editing, dict):
        raise PreventUpdate
    keep = dash.no_update
    actor = current_actor()
    none, clean = _messages({})
    if actor is None:
        return alert("error", SESSION_ENDED), none, clean, keep, keep
    form = _typed(dash.ctx.states_list[0])
    reason = form.pop("reason", None)
    measure_id = _editing_id(editing)
    try:
        with db_session() as session:
            measure = save_measure(session, actor, measure_id=measure_id, form=form, reason=reason)
            saved_id, name, published = measure.id, measure.name, measure.published
    except FormErrors as error:
        messages, invalid = _messages(error.errors)
        return _error_summary(error, MEASURE_LABELS), messages, invalid, keep, keep
    except (ValidationError, NotFound, PermissionDenied) as error:
        return alert("error", error.message), none, clean, keep, keep
    where = ("The public measure page shows it now." if published
             else "It is not published yet: press Publish when it is ready.")
    verb = "Created" if measure_id is None else "Saved"
    return (alert("success", f"{verb} the measure “{name}”. {where}"), none, clean, {"id": saved_id},
            (changed or 0) + 1)


def ask_admin_measure(_publish: Any, _retire: Any, _delete: Any, editing: Any):
    """Ask for confirmation, saying what becomes public or disappears."""
    measure_id = _editing_id(editing)
    if not _pressed() or measure_id is None:
        raise PreventUpdate
    with db_session() as session:
        measure = session.get(Measure, measure_id)
        if measure is None:
            raise PreventUpdate
        trigger = dash.ctx.triggered_id
        if trigger == ids.ADMIN_MEASURE_RETIRE:
            op = "retire"
            message = (f"Retire “{measure.name}”? It is unpublished, leaves the dashboards and the entry page, and "
                       "takes no more figures. Its figures and history are kept.")
        elif trigger == ids.ADMIN_MEASURE_DELETE:
            op = "delete"
            message = f"Delete “{measure.name}” for good? It has no figures. This cannot be undone."
        else:
            op = "unpublish" if measure.published else "publish"
            message = measure_publish_consequence(session, measure_id, op == "publish")
    return message, True, {"op": op, "id": measure_id}


def confirm_admin_measure(_submitted: Any, pending: Any, changed: int | None):
    """Carry out the confirmed publish, unpublish, retire or delete."""
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        raise PreventUpdate
    actor = current_actor()
    keep = dash.no_update
    if actor is None:
        return alert("error", SESSION_ENDED), keep, None, keep
    op, measure_id = pending.get("op"), pending["id"]
    editing: Any = keep
    try:
        with db_session() as session:
            if op == "retire":
                measure = retire_measure(session, actor, measure_id=measure_id)
                message = f"Retired “{measure.name}”. It takes no more figures and is no longer public."
            elif op == "delete":
                name = delete_measure(session, actor, measure_id=measure_id)
                message, editing = f"Deleted “{name}”.", None
            elif op in ("publish", "unpublish"):
                measure = set_measure_published(session, actor, measure_id=measure_id, published=op == "publish")
                goal_public = measure.goal.published
                if op == "unpublish":
                    message = f"Unpublished “{measure.name}”: it is no longer public."
                elif goal_public:
                    message = f"Published “{measure.name}”: its measure page is public now."
                else:
                    message = (f"Published “{measure.name}”. It becomes public when its goal "
                               f"“{measure.goal.title}” is published.")
            else:
                raise PreventUpdate
    except (ValidationError, NotFound, PermissionDenied) as error:
        return alert("error", error.message), (changed or 0) + 1, None, keep
    return alert("success", message), (changed or 0) + 1, None, editing


def update_admin_address_fixed(editing: Any) -> list[bool]:
    """Once a goal or measure exists (e.g. right after it is created), its address name can no longer be changed."""
    fixed = _editing_id(editing) is not None
    return [fixed and item["id"]["field"] == "slug" for item in dash.ctx.outputs_list]


def register(app: dash.Dash) -> None:
    """Wire the goal and measure administration pages."""
    for form, page in (("goal", "goals"), ("measure", "measures")):
        prefix = f"admin-{form}"
        fields = {"type": f"{prefix}-field", "field": ALL}
        errors = {"type": f"{prefix}-error", "field": ALL}
        editing, changed, result = f"{prefix}-editing", f"admin-{page}-changed", f"admin-{page}-result"
        save = save_admin_goal if form == "goal" else save_admin_measure
        app.callback(Output(f"admin-{page}-list", "children"), Input(changed, "data"))(
            update_admin_goals_list if form == "goal" else update_admin_measures_list)
        app.callback(
            Output(f"{prefix}-fields", "children"), Output(editing, "data"), Output(result, "children"),
            Input(f"{prefix}-new", "n_clicks"), Input({"type": f"{prefix}-edit", "id": ALL}, "n_clicks"),
            prevent_initial_call=True,
        )(open_admin_goal if form == "goal" else open_admin_measure)
        app.callback(
            Output(result, "children", allow_duplicate=True), Output(errors, "children"), Output(fields, "invalid"),
            Output(editing, "data", allow_duplicate=True), Output(changed, "data"),
            Input(f"{prefix}-save", "n_clicks"), State(fields, "value"), State(editing, "data"),
            State(changed, "data"),
            prevent_initial_call=True,
        )(save)

    for form in ("goal", "measure"):
        app.callback(
            Output({"type": f"admin-{form}-field", "field": ALL}, "disabled"),
            Input(f"admin-{form}-editing", "data"),
            prevent_initial_call=True,
        )(update_admin_address_fixed)

    app.callback(
        Output(ids.ADMIN_GOAL_FORM, "hidden"), Output(ids.ADMIN_GOAL_HEADING, "children"),
        Output(ids.ADMIN_GOAL_STATE, "children"), Output(ids.ADMIN_GOAL_PUBLISH, "children"),
        Output(ids.ADMIN_GOAL_PUBLISH, "disabled"), Output(ids.ADMIN_GOAL_RETIRE, "disabled"),
        Input(ids.ADMIN_GOAL_EDITING, "data"), Input(ids.ADMIN_GOALS_CHANGED, "data"),
    )(update_admin_goal_form)
    app.callback(
        Output(ids.ADMIN_GOAL_CONFIRM, "message"), Output(ids.ADMIN_GOAL_CONFIRM, "displayed"),
        Output(ids.ADMIN_GOAL_PENDING, "data"),
        Input(ids.ADMIN_GOAL_PUBLISH, "n_clicks"), Input(ids.ADMIN_GOAL_RETIRE, "n_clicks"),
        State(ids.ADMIN_GOAL_EDITING, "data"),
        prevent_initial_call=True,
    )(ask_admin_goal)
    app.callback(
        Output(ids.ADMIN_GOALS_RESULT, "children", allow_duplicate=True),
        Output(ids.ADMIN_GOALS_CHANGED, "data", allow_duplicate=True),
        Output(ids.ADMIN_GOAL_PENDING, "data", allow_duplicate=True),
        Input(ids.ADMIN_GOAL_CONFIRM, "submit_n_clicks"),
        State(ids.ADMIN_GOAL_PENDING, "data"), State(ids.ADMIN_GOALS_CHANGED, "data"),
        prevent_initial_call=True,
    )(confirm_admin_goal)

    app.callback(
        Output(ids.ADMIN_MEASURE_FORM, "hidden"), Output(ids.ADMIN_MEASURE_HEADING, "children"),
        Output(ids.ADMIN_MEASURE_STATE, "children"), Output(ids.ADMIN_MEASURE_PUBLISH, "children"),
        Output(ids.ADMIN_MEASURE_PUBLISH, "disabled"), Output(ids.ADMIN_MEASURE_RETIRE, "disabled"),
        Output(ids.ADMIN_MEASURE_DELETE, "style"),
        Input(ids.ADMIN_MEASURE_EDITING, "data"), Input(ids.ADMIN_MEASURES_CHANGED, "data"),
    )(update_admin_measure_form)
    app.callback(
        Output({"type": ids.ADMIN_MEASURE_REASON_GROUP, "id": ALL}, "hidden"),
        Output({"type": ids.ADMIN_MEASURE_REASON_HINT, "id": ALL}, "children"),
        Input({"type": ids.ADMIN_MEASURE_FIELD, "field": ALL}, "value"), State(ids.ADMIN_MEASURE_EDITING, "data"),
        prevent_initial_call=True,
    )(update_admin_measure_reason)
    app.callback(
        Output(ids.ADMIN_MEASURE_CONFIRM, "message"), Output(ids.ADMIN_MEASURE_CONFIRM, "displayed"),
        Output(ids.ADMIN_MEASURE_PENDING, "data"),
        Input(ids.ADMIN_MEASURE_PUBLISH, "n_clicks"), Input(ids.ADMIN_MEASURE_RETIRE, "n_clicks"),
        Input(ids.ADMIN_MEASURE_DELETE, "n_clicks"), State(ids.ADMIN_MEASURE_EDITING, "data"),
        prevent_initial_call=True,
    )(ask_admin_measure)
    app.callback(
        Output(ids.ADMIN_MEASURES_RESULT, "children", allow_duplicate=True),
        Output(ids.ADMIN_MEASURES_CHANGED, "data", allow_duplicate=True),
        Output(ids.ADMIN_MEASURE_PENDING, "data", allow_duplicate=True),
        Output(ids.ADMIN_MEASURE_EDITING, "data", allow_duplicate=True),
        Input(ids.ADMIN_MEASURE_CONFIRM, "submit_n_clicks"),
        State(ids.ADMIN_MEASURE_PENDING, "data"), State(ids.ADMIN_MEASURES_CHANGED, "data"),
        prevent_initial_call=True,
    )(confirm_admin_measure)
