"""The internal recovery dashboard: every measure, published or not, worst first, for staff and the mayor's office."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._components import month_options
from layouts._worklists import STATUS_FILTER_OPTIONS, labelled
from models import clock
from models.worklists import FILTER_ALL

dash.register_page(
    __name__,
    path="/dashboard",
    name="Dashboard",
    title="Recovery dashboard - RecoveryStat",
    description="Every recovery measure with status, reason, freshness and forecast, for City-Parish staff.",
    audience="exec",
    order=10,
)


def layout(**_query) -> html.Div:
    """Filters, a status summary and one table of every measure; the callbacks fill in the data."""
    months = month_options(clock.today())
    return html.Div(
        [
            html.H1("Recovery dashboard", className="h2"),
            html.P(
                "Every measure, including those not yet published and figures still awaiting approval, worst "
                "first. Status compares the latest figure with the plan; freshness says whether the month's "
                "figure is in.",
                className="lead fs-6",
            ),
            dbc.Row(
                [
                    dbc.Col(labelled("Show measures as of", dbc.Select(id=ids.EXEC_MONTH, options=months,
                                                                      value=months[0]["value"]), ids.EXEC_MONTH),
                            md=4),
                    dbc.Col(labelled("Goal", dbc.Select(id=ids.EXEC_GOAL,
                                                        options=[{"label": "All goals", "value": FILTER_ALL}],
                                                        value=FILTER_ALL), ids.EXEC_GOAL), md=4),
                    dbc.Col(labelled("Status", dbc.Select(id=ids.EXEC_STATUS, options=STATUS_FILTER_OPTIONS,
                                                          value=FILTER_ALL), ids.EXEC_STATUS), md=4),
                ],
                className="g-3 mb-1",
            ),
            html.Div(id=ids.EXEC_SUMMARY, **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id=ids.EXEC_TABLE), type="default", delay_show=300),
        ]
    )
