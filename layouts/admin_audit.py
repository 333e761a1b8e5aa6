"""The audit log: every change and sign-in, by whom and when, filtered and downloadable (performance team only).
Nobody can change or delete it, here or anywhere."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._admin_people import ANY
from layouts._worklists import labelled

dash.register_page(
    __name__,
    path="/admin/audit",
    name="Audit log",
    title="Audit log - RecoveryStat",
    description="Every change and sign-in, by whom and when.",
    audience="admin",
    order=44,
)


def layout(**_query) -> html.Div:
    """Filters (person, kind, dates), the download of what they select, and the matching events."""
    return html.Div([
        html.H1("Audit log", className="h2"),
        html.P("Every change to figures, goals, measures, departments, accounts and events, and every sign-in, with "
               "who made it and when. The log only grows: no one can change or delete an entry.",
               className="lead fs-6"),
        dbc.Row([
            dbc.Col(labelled("Person", dbc.Select(id=ids.ADMIN_AUDIT_PERSON, options=[{"label": "Everyone",
                                                                                     "value": ANY}], value=ANY),
                             ids.ADMIN_AUDIT_PERSON), md=3),
            dbc.Col(labelled("Kind of action", dbc.Select(id=ids.ADMIN_AUDIT_ACTION,
                                                          options=[{"label": "Every kind", "value": ANY}], value=ANY),
                             ids.ADMIN_AUDIT_ACTION), md=3),
            dbc.Col(labelled("From (UTC date)", dbc.Input(id=ids.ADMIN_AUDIT_FROM, type="date"), ids.ADMIN_AUDIT_FROM),
                    md=3),
            dbc.Col(labelled("To (UTC date)", dbc.Input(id=ids.ADMIN_AUDIT_TO, type="date"), ids.ADMIN_AUDIT_TO), md=3),
        ]),
        html.P(html.A("Download these events (CSV)", id=ids.ADMIN_AUDIT_DOWNLOAD, href="/admin/audit.csv",
                      className="btn btn-outline-primary btn-sm")),
        dcc.Loading(html.Div(id=ids.ADMIN_AUDIT_LIST, **{"aria-live": "polite"}), type="default", delay_show=300),
        dcc.Store(id=ids.ADMIN_AUDIT_LOAD, data=0),
    ])
