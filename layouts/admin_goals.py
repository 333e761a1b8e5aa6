"""Goals for the performance team: create, edit, publish or unpublish (with a confirmation) and retire."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin import goal_form

dash.register_page(
    __name__,
    path="/admin/goals",
    name="Goals",
    title="Goals - Administration - RecoveryStat",
    description="Create, edit, publish and retire goals.",
    audience="admin",
    order=41,
)


def layout(**_query) -> html.Div:
    """The goal list and the edit form; callbacks fill both."""
    return html.Div([
        html.Nav(html.Ol([html.Li(dcc.Link("Administration", href="/admin"), className="breadcrumb-item")],
                         className="breadcrumb small mb-2"), **{"aria-label": "Breadcrumb"}),
        html.H1("Goals", className="h2"),
        html.P("A published goal is public with its published measures. A retired goal leaves every view; its history "
               "is kept.", className="lead fs-6"),
        html.Div(id=ids.ADMIN_GOALS_RESULT, className="mb-3", **{"aria-live": "polite"}),
        dbc.Button("New goal", id=ids.ADMIN_GOAL_NEW, color="primary", n_clicks=0, className="mb-3"),
        goal_form(),
        dcc.Loading(html.Div(id=ids.ADMIN_GOALS_LIST), type="default", delay_show=300),
        dcc.Store(id=ids.ADMIN_GOALS_CHANGED, data=0),
        dcc.Store(id=ids.ADMIN_GOAL_EDITING, data=None),
        dcc.Store(id=ids.ADMIN_GOAL_PENDING, data=None),
        dcc.ConfirmDialog(id=ids.ADMIN_GOAL_CONFIRM, message=""),
    ])
