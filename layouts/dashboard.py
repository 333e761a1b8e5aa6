"""The internal recovery dashboard: every measure, published or not, worst first, for staff and the mayor's office."""
from __future__ import annotations

from datetime import date

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


def month_value(month: object, months: list[dict[str, str]]) -> str:
    """The picker value ("2026-10-01") for a month in the address ("2026-10"), else (or if it is not over yet) the
    latest complete month."""
    latest = months[0]["value"]
    if isinstance(month, str) and len(month) == 7:
        try:
            return min(date.fromisoformat(f"{month}-01").isoformat(), latest)
        except ValueError:
            pass
    return latest


def _choice(value: object) -> str:
    """A goal, department or status slug from the address, or "all"."""
    return value if isinstance(value, str) and 0 < len(value) <= 64 else FILTER_ALL


def layout(month: str | None = None, department: str | None = None, goal: str | None = None,
           status: str | None = None, **_query) -> html.Div:
    """Filters (read from the address, so a copied link reproduces the view), Needs attention, What changed, a status
    summary and one table of every measure; the callbacks fill in the data."""
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
            dcc.Location(id=ids.EXEC_URL, refresh=False),
            dbc.Row(
                [
                    dbc.Col(labelled("Show measures as of", dbc.Select(id=ids.EXEC_MONTH, options=months,
                                                                      value=month_value(month, months)),
                                     ids.EXEC_MONTH), md=3),
                    dbc.Col(labelled("Department", dbc.Select(id=ids.EXEC_DEPARTMENT,
                                                              options=[{"label": "All departments",
                                                                        "value": FILTER_ALL}],
                                                              value=_choice(department)), ids.EXEC_DEPARTMENT), md=3),
                    dbc.Col(labelled("Goal", dbc.Select(id=ids.EXEC_GOAL,
                                                        options=[{"label": "All goals", "value": FILTER_ALL}],
                                                        value=_choice(goal)), ids.EXEC_GOAL), md=3),
                    dbc.Col(labelled("Status", dbc.Select(id=ids.EXEC_STATUS, options=STATUS_FILTER_OPTIONS,
                                                          value=_choice(status)), ids.EXEC_STATUS), md=3),
                ],
                className="g-3 mb-1",
            ),
            html.P(["Copy the address to share this view with these filters. ",
                    dcc.Link("Open the monthly Stat briefing", href="/dashboard/briefing", id="exec-briefing-link"),
                    " or ", dcc.Link("see who has submitted each month", href="/dashboard/submissions",
                                     id="exec-submissions-link"),
                    "."], className="small"),
            dcc.Loading(html.Div(id=ids.EXEC_ATTENTION), type="default", delay_show=300),
            html.Div(id=ids.EXEC_CHANGES),
            html.H2("Every measure", className="h4 mt-4"),
            html.Div(id=ids.EXEC_SUMMARY, **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id=ids.EXEC_TABLE), type="default", delay_show=300),
        ]
    )
