"""Approvals: the performance team approves submitted figures or returns them to their department with a reason."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import ALL_CHOICE, labelled

dash.register_page(
    __name__,
    path="/review",
    name="Approvals",
    title="Approvals - RecoveryStat",
    description="Review submitted monthly figures by department and month: approve them together or return one.",
    audience="admin",
    order=30,
)


def layout(**_query) -> html.Div:
    """The approvals queue with its filters and bulk approval; callbacks fill it and re-fill it after every
    decision."""
    all_option = [{"label": "All departments", "value": ALL_CHOICE}]
    return html.Div(
        [
            html.H1("Approvals", className="h2"),
            html.P(
                "Figures departments have entered or corrected wait here, each beside last month's figure and the "
                "figure the plan expected, with flags on a running total that fell or a jump far beyond recent "
                "changes. Tick the figures you have checked and approve them together, or return one to its "
                "department with a reason they will see in their month grid. Nobody approves a figure they "
                "entered or corrected themselves.",
                className="lead fs-6",
            ),
            dbc.Row(
                [
                    dbc.Col(labelled("Department", dbc.Select(id=ids.ADMIN_FILTER_DEPARTMENT, options=all_option,
                                                              value=ALL_CHOICE), ids.ADMIN_FILTER_DEPARTMENT), md=5),
                    dbc.Col(labelled("Month", dbc.Select(id=ids.ADMIN_FILTER_MONTH,
                                                         options=[{"label": "All months", "value": ALL_CHOICE}],
                                                         value=ALL_CHOICE), ids.ADMIN_FILTER_MONTH), md=4),
                ],
                className="mb-1",
            ),
            html.Div(id=ids.ADMIN_FEEDBACK, className="mb-3", **{"aria-live": "polite"}),
            html.Div(
                [
                    dbc.Button("Approve selected", id=ids.ADMIN_APPROVE_SELECTED, color="success", n_clicks=0,
                               size="sm", className="me-2"),
                    dbc.Button("Select all I may approve", id=ids.ADMIN_SELECT_ALL, color="secondary", outline=True,
                               n_clicks=0, size="sm", className="me-2"),
                    dbc.Button("Refresh the queue", id=ids.ADMIN_REFRESH, color="secondary", outline=True, size="sm",
                               n_clicks=0),
                ],
                className="mb-2",
            ),
            dcc.Loading(html.Div(id=ids.ADMIN_QUEUE), type="default", delay_show=300),
            dcc.Store(id=ids.ADMIN_DONE, data=0),
        ]
    )
