"""Events on charts: add, change or delete the dated events drawn on progress charts (performance team only)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin_people import NEW
from layouts._worklists import labelled

dash.register_page(
    __name__,
    path="/admin/annotations",
    name="Events on charts",
    title="Events on charts - RecoveryStat",
    description="The dated events that explain the figures on progress charts.",
    audience="admin",
    order=43,
)


def layout(**_query) -> html.Div:
    """The event form (new or chosen event) above the list of every event."""
    return html.Div([
        html.H1("Events on charts", className="h2"),
        html.P("Events explain the figures: a funding decision, a programme reopening, a storm. An event of a measure "
               "is numbered on its chart; an event of a goal on every chart of the goal. Everyone sees them on the "
               "public pages.", className="lead fs-6"),
        html.Section([
            html.H2("Add or change", className="h4"),
            labelled("Event to change", dbc.Select(id=ids.ADMIN_NOTE_PICK, value=NEW,
                                                   options=[{"label": "New event", "value": NEW}]),
                     ids.ADMIN_NOTE_PICK),
            dbc.Row([
                dbc.Col(labelled("Date", dbc.Input(id=ids.ADMIN_NOTE_DATE, type="date"), ids.ADMIN_NOTE_DATE), md=4),
                dbc.Col(labelled("Shown on", dbc.Select(id=ids.ADMIN_NOTE_SCOPE, options=[], value="none"),
                                 ids.ADMIN_NOTE_SCOPE), md=8),
            ]),
            labelled("What happened", dbc.Textarea(id=ids.ADMIN_NOTE_TEXT, rows=2, maxLength=500),
                     ids.ADMIN_NOTE_TEXT, "One or two plain sentences, up to 500 characters"),
            labelled("Source", dbc.Input(id=ids.ADMIN_NOTE_SOURCE, type="text", maxLength=300), ids.ADMIN_NOTE_SOURCE,
                     "The publication it comes from, or 'illustrative'"),
            html.Div([
                html.Button("Save event", id=ids.ADMIN_NOTE_SAVE, type="button", className="btn btn-primary"),
                dcc.ConfirmDialogProvider(
                    html.Button("Delete event", type="button", className="btn btn-outline-danger",
                                id=ids.ADMIN_NOTE_DELETE_BUTTON),
                    id=ids.ADMIN_NOTE_DELETE,
                    message="Delete this event from every chart? The audit log keeps what it said."),
            ], className="d-flex flex-wrap gap-2 mb-3"),
            html.Div(id=ids.ADMIN_NOTE_RESULT, className="mb-3", **{"aria-live": "polite"}),
        ], className="mb-4"),
        html.Section([
            html.H2("All events", className="h4"),
            dcc.Loading(html.Div(id=ids.ADMIN_NOTE_LIST), type="default", delay_show=300),
        ]),
        dcc.Store(id=ids.ADMIN_NOTE_CHANGED, data=0),
    ])
