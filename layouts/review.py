"""Approvals: the performance team approves submitted figures or returns them to their department with a reason."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids

dash.register_page(
    __name__,
    path="/review",
    name="Approvals",
    title="Approvals - RecoveryStat",
    description="Approve or return submitted monthly figures.",
    audience="admin",
    order=30,
)


def layout(**_query) -> html.Div:
    """The approvals queue; a callback fills it and re-fills it after every decision."""
    return html.Div(
        [
            html.H1("Approvals", className="h2"),
            html.P(
                "Figures departments have entered or corrected wait here. Approve a figure to let it count on the "
                "dashboards and, for published measures, on the public page; return it with a reason to send it "
                "back to the department.",
                className="lead fs-6",
            ),
            html.Div(id=ids.ADMIN_FEEDBACK, className="mb-3", **{"aria-live": "polite"}),
            dbc.Button("Refresh the queue", id=ids.ADMIN_REFRESH, color="secondary", outline=True, size="sm",
                       n_clicks=0, className="mb-2"),
            dcc.Loading(html.Div(id=ids.ADMIN_QUEUE), type="default", delay_show=300),
            dcc.Store(id=ids.ADMIN_DONE, data=0),
        ]
    )
