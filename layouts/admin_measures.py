"""Measures for the performance team: every field, publish or unpublish (with a confirmation), retire, delete."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin import measure_form

dash.register_page(
    __name__,
    path="/admin/measures",
    name="Measures",
    title="Measures - Administration - RecoveryStat",
    description="Create and edit measures, their plans and their publication.",
    audience="admin",
    order=42,
)


def layout(**_query) -> html.Div:
    """The measure list and the edit form; callbacks fill both."""
    return html.Div([
        html.Nav(html.Ol([html.Li(dcc.Link("Administration", href="/admin"), className="breadcrumb-item")],
                         className="breadcrumb small mb-2"), **{"aria-label": "Breadcrumb"}),
        html.H1("Measures", className="h2"),
        html.P("A published measure of a published goal is public; a later change to its target, baseline, milestones "
               "or definition needs a reason, shown on its page. A measure with figures can only be retired.",
               className="lead fs-6"),
        html.Div(id=ids.ADMIN_MEASURES_RESULT, className="mb-3", **{"aria-live": "polite"}),
        dbc.Button("New measure", id=ids.ADMIN_MEASURE_NEW, color="primary", n_clicks=0, className="mb-3"),
        measure_form(),
        dcc.Loading(html.Div(id=ids.ADMIN_MEASURES_LIST), type="default", delay_show=300),
        dcc.Store(id=ids.ADMIN_MEASURES_CHANGED, data=0),
        dcc.Store(id=ids.ADMIN_MEASURE_EDITING, data=None),
        dcc.Store(id=ids.ADMIN_MEASURE_PENDING, data=None),
        dcc.ConfirmDialog(id=ids.ADMIN_MEASURE_CONFIRM, message=""),
    ])
