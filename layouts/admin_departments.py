"""Departments and partner agencies: add one, or change its name, kind and contact (performance team only)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin_people import KIND_OPTIONS, NEW
from layouts._worklists import labelled

dash.register_page(
    __name__,
    path="/admin/departments",
    name="Departments",
    title="Departments and partner agencies - RecoveryStat",
    description="City-Parish departments and state, federal and partner agencies that own measures.",
    audience="admin",
    order=41,
)


def layout(**_query) -> html.Div:
    """The form (new or chosen department) above the list of every department and agency."""
    return html.Div([
        html.H1("Departments and partner agencies", className="h2"),
        html.P("Every measure and every department staff account belongs to one of these. Add a partner agency "
               "before inviting its staff.", className="lead fs-6"),
        html.Section([
            html.H2("Add or change", className="h4"),
            labelled("Department to change", dbc.Select(id=ids.ADMIN_DEPT_PICK, value=NEW,
                                                        options=[{"label": "New department or agency",
                                                                  "value": NEW}]), ids.ADMIN_DEPT_PICK),
            dbc.Row([
                dbc.Col(labelled("Name", dbc.Input(id=ids.ADMIN_DEPT_NAME, type="text", maxLength=200),
                                 ids.ADMIN_DEPT_NAME), md=6),
                dbc.Col(labelled("Slug", dbc.Input(id=ids.ADMIN_DEPT_SLUG, type="text", maxLength=64),
                                 ids.ADMIN_DEPT_SLUG, "Short name used in addresses and files, e.g. la-housing; "
                                 "fixed once created"), md=6),
            ]),
            dbc.Row([
                dbc.Col(labelled("Kind", dbc.Select(id=ids.ADMIN_DEPT_KIND, options=KIND_OPTIONS, value="city-parish"),
                                 ids.ADMIN_DEPT_KIND), md=4),
                dbc.Col(labelled("Contact name (optional)", dbc.Input(id=ids.ADMIN_DEPT_CONTACT_NAME, type="text",
                                                                     maxLength=200), ids.ADMIN_DEPT_CONTACT_NAME), md=4),
                dbc.Col(labelled("Contact email (optional)", dbc.Input(id=ids.ADMIN_DEPT_CONTACT_EMAIL, type="email",
                                                                      maxLength=254), ids.ADMIN_DEPT_CONTACT_EMAIL),
                        md=4),
            ]),
            html.Button("Save department", id=ids.ADMIN_DEPT_SAVE, type="button", className="btn btn-primary mb-3"),
            html.Div(id=ids.ADMIN_DEPT_RESULT, className="mb-3", **{"aria-live": "polite"}),
        ], className="mb-4"),
        html.Section([
            html.H2("All departments and agencies", className="h4"),
            dcc.Loading(html.Div(id=ids.ADMIN_DEPT_LIST), type="default", delay_show=300),
        ]),
        dcc.Store(id=ids.ADMIN_DEPT_CHANGED, data=0),
    ])
