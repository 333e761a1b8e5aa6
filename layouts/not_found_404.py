"""The page shown for an unknown address."""
from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, path="/404", name="Not found", title="Page not found - RecoveryStat", audience="pub")


def layout(**_query) -> html.Div:
    """A not-found message with a way back."""
    return html.Div([
        html.H1("Page not found", className="h3"),
        html.P(["There is no page at this address. ", html.A("Go to the progress page", href="/"), "."]),
    ])
