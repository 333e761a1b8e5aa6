"""The public progress page: every published goal and measure, plain language, approved figures only."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._components import month_picker
from models import clock

dash.register_page(
    __name__,
    path="/",
    name="Progress",
    title="Baton Rouge flood recovery progress - RecoveryStat",
    description="Progress on East Baton Rouge City-Parish's flood recovery goals, updated monthly.",
    audience="pub",
    order=0,
)


def layout(**_query) -> html.Div:
    """The public page frame; the goals are filled in by the month callback."""
    return html.Div(
        [
            html.H1("Flood recovery: how we are doing", className="h2"),
            html.P([
                "After the August 2016 flood, East Baton Rouge City-Parish set priority recovery goals, housing "
                "first. City-Parish departments and state and federal partners report progress every month. Each "
                "measure shows where it stands, why, and where the number comes from. ",
                dcc.Link("How status and forecasts are worked out", href="/about"), "."],
                className="lead fs-6",
            ),
            dbc.Alert(
                "These figures are an illustrative data set built around published figures; a measure's source "
                "line says which numbers come from a publication.",
                color="light", className="border small",
            ),
            month_picker(ids.PUB_MONTH, clock.today()),
            dcc.Loading(html.Div(id=ids.PUB_OVERVIEW, **{"aria-live": "polite"}), type="default"),
        ]
    )
