"""Pure builders of the administration pages: the index, the goal and measure lists and their edit forms."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import scroll_region
from models.admin_catalog import (
    DIRECTION_LABELS,
    TRAJECTORY_LABELS,
    UNIT_LABELS,
    GoalRow,
    MeasureRow,
)
from models.services import MAX_REASON_LENGTH

# Every administration section, in the order the index lists them: (address, title, what it is for).
ADMIN_SECTIONS = (
    ("/admin/goals", "Goals", "create, edit, publish, retire."),
    ("/admin/measures", "Measures", "definitions, targets, milestones, publication."),
    ("/admin/departments", "Departments and partner agencies", "names, kinds, contacts."),
    ("/admin/accounts", "Accounts", "invitations, roles, deactivation, password resets."),
    ("/admin/annotations", "Annotations", "the events shown on charts."),
    ("/admin/audit", "Audit log", "every change, by whom and when."),
    ("/admin/import", "Import and export", "the program as a workbook."),
    ("/admin/feedback", "Residents' reports", "figures residents think are wrong."),
    ("/review", "Approvals", "submitted figures to approve or return."),
)

GOAL_FORM_FIELDS = (
    ("slug", "Address name", "Lower-case letters, digits and hyphens, e.g. bring-families-home. Fixed once created."),
    ("title", "Title", None),
    ("summary", "Plain-language summary", "Shown to the public under the title."),
    ("owner_department", "Lead department", None),
    ("display_order", "Order", "A whole number; lower comes first on the progress page."),
)
MEASURE_FORM_SECTIONS = (
    ("What it is", (
        ("slug", "Address name", "Lower-case letters, digits and hyphens. Fixed once created."),
        ("goal", "Goal", None),
        ("name", "Name", None),
        ("definition", "Definition: how it is counted", "Shown to the public."),
        ("owner_department", "Owner department", "The department that enters its monthly figures."),
        ("data_source", "Data source", "e.g. Restore Louisiana weekly pipeline report."),
        ("citation", "Where the baseline and target come from", "A document, decision or “illustrative”."),
        ("display_order", "Order", "A whole number; lower comes first within its goal."),
    )),
    ("How it is measured", (
        ("unit", "Unit", None),
        ("decimals", "Decimals", "How many decimal places a figure has, 0 to 6."),
        ("direction", "Direction", None),
        ("cumulative", "Running total", "A running total should never fall; a lower figure then needs a reason."),
        ("valid_min", "Lowest valid figure (optional)", "Figures below it are refused."),
        ("valid_max", "Highest valid figure (optional)", "Figures above it are refused."),
        ("due_day", "Due day", "The day of the following month a figure is due, 1 to 28."),
    )),
    ("The plan", (
        ("baseline_value", "Baseline value", None),
        ("baseline_month", "Baseline month", "YYYY-MM, e.g. 2017-04."),
        ("target_value", "Target value", None),
        ("target_month", "Target month", "YYYY-MM, after the baseline month."),
        ("trajectory", "Trajectory", None),
        ("milestones", "Milestones (interim targets)", "For a milestones trajectory: one a line, month and target, "
                                                       "e.g. 2025-06 450. Each between the baseline and target months."),
        ("on_track_tolerance", "On-track tolerance (%)", "On track while within this share of the plan (default 5)."),
        ("at_risk_tolerance", "At-risk tolerance (%)", "At risk up to this share behind, off track beyond it "
                                                       "(default 15); at least the on-track tolerance."),
    )),
)
MEASURE_FORM_FIELDS = tuple(field for _title, fields in MEASURE_FORM_SECTIONS for field in fields)
TEXTAREAS = {"summary": 3, "definition": 3, "milestones": 4}
STATIC_OPTIONS = {
    "unit": [{"label": label, "value": value} for value, label in UNIT_LABELS.items()],
    "direction": [{"label": label, "value": value} for value, label in DIRECTION_LABELS.items()],
    "trajectory": [{"label": label, "value": value} for value, label in TRAJECTORY_LABELS.items()],
    "cumulative": [{"label": "No: each month stands alone", "value": "no"},
                   {"label": "Yes: a running total to date", "value": "yes"}],
}
SELECTS = {"unit", "direction", "trajectory", "cumulative", "goal", "owner_department"}


def admin_index(sections=ADMIN_SECTIONS) -> html.Div:
    """The administration index: every section with what it is for."""
    return html.Div([
        html.H1("Administration", className="h2"),
        html.P("Run the program from here: what the city tracks, who takes part, and what changed.",
               className="lead fs-6"),
        html.Ul([html.Li([dcc.Link(title, href=href, className="fw-semibold"), html.Span(f" — {text}")],
                         className="mb-2") for href, title, text in sections], className="list-unstyled admin-index"),
    ])


def _control(form: str, name: str, value: str, options: list[tuple[str, str]] | None, disabled: bool):
    control_id = ids.admin_field(form, name)
    if name in SELECTS:
        listed = STATIC_OPTIONS.get(name) or [{"label": label, "value": v} for v, label in options or []]
        return dbc.Select(id=control_id, options=listed, value=value or None)
    if name in TEXTAREAS:
        return dbc.Textarea(id=control_id, rows=TEXTAREAS[name], value=value)
    return dbc.Input(id=control_id, type="text", value=value, autoComplete="off", disabled=disabled)


def field(form: str, name: str, label: str, hint: str | None, value: str = "",
          options: list[tuple[str, str]] | None = None, disabled: bool = False) -> html.Div:
    """A labelled control with its hint and the message shown when the field is refused."""
    # The space keeps the name and the hint apart in the label's accessible name ("Target month YYYY-MM, ...").
    text = [label] if hint is None else [label, " ", html.Span(hint, className="d-block small text-body-secondary")]
    return html.Div([
        html.Label(text, htmlFor=ids.dom_id(ids.admin_field(form, name)), className="form-label"),
        _control(form, name, value, options, disabled),
        dbc.FormFeedback(id=ids.admin_error(form, name), type="invalid"),
    ], className="mb-3")


def goal_form() -> html.Div:
    """The goal form's frame (hidden until a goal is opened or a new one started); its controls come when opened."""
    return html.Div([
        html.H2(id=ids.ADMIN_GOAL_HEADING, className="h4"),
        html.P(id=ids.ADMIN_GOAL_STATE, className="small"),
        html.Div(id=ids.ADMIN_GOAL_FIELDS),
        html.Div([
            dbc.Button("Save goal", id=ids.ADMIN_GOAL_SAVE, color="primary", n_clicks=0, className="me-2"),
            dbc.Button("Publish", id=ids.ADMIN_GOAL_PUBLISH, color="secondary", outline=True, n_clicks=0,
                       className="me-2"),
            dbc.Button("Retire goal", id=ids.ADMIN_GOAL_RETIRE, color="danger", outline=True, n_clicks=0),
        ], className="mb-2"),
    ], id=ids.ADMIN_GOAL_FORM, hidden=True, className="border rounded p-3 mb-4 bg-body")


def goal_fields(values: dict[str, str], departments: list[tuple[str, str]], *, existing: bool) -> list:
    """The goal form's controls filled with `values` (the address name is fixed once the goal exists)."""
    return [field("goal", name, label, hint, values.get(name, ""), departments if name == "owner_department" else None,
                  disabled=existing and name == "slug")
            for name, label, hint in GOAL_FORM_FIELDS]


def measure_form() -> html.Div:
    """The measure form's frame (hidden until a measure is opened or a new one started)."""
    return html.Div([
        html.H2(id=ids.ADMIN_MEASURE_HEADING, className="h4"),
        html.P(id=ids.ADMIN_MEASURE_STATE, className="small"),
        html.Div(id=ids.ADMIN_MEASURE_FIELDS),
        html.Div([
            dbc.Button("Save measure", id=ids.ADMIN_MEASURE_SAVE, color="primary", n_clicks=0, className="me-2"),
            dbc.Button("Publish", id=ids.ADMIN_MEASURE_PUBLISH, color="secondary", outline=True, n_clicks=0,
                       className="me-2"),
            dbc.Button("Retire measure", id=ids.ADMIN_MEASURE_RETIRE, color="danger", outline=True, n_clicks=0,
                       className="me-2"),
            dbc.Button("Delete measure", id=ids.ADMIN_MEASURE_DELETE, color="danger", outline=True, n_clicks=0,
                       style={"display": "none"}),
        ], className="mb-2"),
    ], id=ids.ADMIN_MEASURE_FORM, hidden=True, className="border rounded p-3 mb-4 bg-body")


def measure_fields(values: dict[str, str], choices: dict[str, list[tuple[str, str]]], *, existing: bool) -> list:
    """The measure form's controls in three sections filled with `values`, and the reason field (shown when a
    published measure's plan changes)."""
    lists = {"goal": choices.get("goals", []), "owner_department": choices.get("departments", [])}
    sections = [
        html.Fieldset([html.Legend(title, className="h5"),
                       dbc.Row([dbc.Col(field("measure", name, label, hint, values.get(name, ""), lists.get(name),
                                              disabled=existing and name == "slug"), md=6)
                                for name, label, hint in fields])],
                      className="mb-2")
        for title, fields in MEASURE_FORM_SECTIONS
    ]
    reason_id = ids.admin_field("measure", "reason")
    reason = html.Div([
        html.Label(["Reason for changing the plan (required, shown to the public)", " ",
                    html.Span(id={"type": ids.ADMIN_MEASURE_REASON_HINT, "id": 0},
                              className="d-block small text-body-secondary")],
                   htmlFor=ids.dom_id(reason_id), className="form-label"),
        dbc.Textarea(id=reason_id, rows=2, value="", maxLength=MAX_REASON_LENGTH),
        dbc.FormFeedback(id=ids.admin_error("measure", "reason"), type="invalid"),
    ], id={"type": ids.ADMIN_MEASURE_REASON_GROUP, "id": 0}, hidden=True,
        className="mb-3 p-3 border rounded bg-body-tertiary")
    return [*sections, reason]


def _state_words(published: bool, retired: bool, goal_published: bool = True) -> str:
    if retired:
        return "Retired"
    if not published:
        return "Not published"
    return "Published" if goal_published else "Published (goal not published)"


def goals_table(rows: list[GoalRow]) -> html.Div:
    """Every goal with its state and an Edit button."""
    if not rows:
        return html.P("There are no goals yet. Start with “New goal”.")
    body = [html.Tr([
        html.Th(row.title, scope="row"), html.Td(row.slug), html.Td(row.department), html.Td(str(row.measures)),
        html.Td(_state_words(row.published, row.retired)),
        html.Td(dbc.Button(["Edit", html.Span(f" {row.title}", className="visually-hidden")],
                           id={"type": ids.ADMIN_GOAL_EDIT, "id": row.id}, size="sm", color="secondary",
                           outline=True, n_clicks=0)),
    ]) for row in rows]
    return html.Div(html.Table([
        html.Caption("Every goal, in the order the progress page shows them."),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("Goal", "Address name", "Lead", "Measures", "State", "Action")])),
        html.Tbody(body),
    ], className="table table-sm align-middle mb-0"), **scroll_region("Goals"))


def measures_table(rows: list[MeasureRow]) -> html.Div:
    """Every measure with its goal, owner, state, number of figures and an Edit button."""
    if not rows:
        return html.P("There are no measures yet. Start with “New measure”.")
    body = [html.Tr([
        html.Th(row.name, scope="row"), html.Td(row.goal), html.Td(row.department), html.Td(f"{row.values:,}"),
        html.Td(_state_words(row.published, row.retired, row.goal_published)),
        html.Td(dbc.Button(["Edit", html.Span(f" {row.name}", className="visually-hidden")],
                           id={"type": ids.ADMIN_MEASURE_EDIT, "id": row.id}, size="sm", color="secondary",
                           outline=True, n_clicks=0)),
    ]) for row in rows]
    return html.Div(html.Table([
        html.Caption("Every measure, by goal."),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("Measure", "Goal", "Owner", "Figures", "State", "Action")])),
        html.Tbody(body),
    ], className="table table-sm align-middle mb-0"), **scroll_region("Measures"))
