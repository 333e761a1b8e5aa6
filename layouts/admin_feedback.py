"""Residents' reports of numbers that look wrong, for the performance team to resolve and answer."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids

dash.register_page(
    __name__,
    path="/admin/feedback",
    name="Reports",
    title="Residents' reports - RecoveryStat",
    description="Reports from residents about figures that look wrong.",
    audience="admin",
    order=35,
)


def layout(**_query) -> html.Div:
    """The list of reports; a callback fills it and re-fills it after every resolve."""
    return html.Div([
        html.H1("Residents' reports", className="h2"),
        html.P("Residents report figures that look wrong from the public measure pages. Check the figure, correct it "
               "through the entry page if needed, then resolve the report. A public reply is shown on the measure "
               "page; what the resident wrote and their email are never published.", className="lead fs-6"),
        html.Fieldset([
            html.Legend("Show", className="form-label fs-6"),
            # Bootstrap's radios are native inputs with labels (Dash 4's RadioItems renders a listbox axe rejects).
            dbc.RadioItems(id=ids.ADMIN_REPORTS_SHOW, options=[{"label": "Open reports", "value": "open"},
                                                               {"label": "All reports", "value": "all"}],
                           value="open", inline=True),
        ], className="mb-3"),
        html.Div(id=ids.ADMIN_REPORTS_RESULT, className="mb-3", **{"aria-live": "polite"}),
        dcc.Loading(html.Div(id=ids.ADMIN_REPORTS), type="default", delay_show=300),
        dcc.Store(id=ids.ADMIN_REPORTS_DONE, data=0),
    ])
