"""The page shown for an unknown address (the server also answers it with HTTP 404)."""
from __future__ import annotations

import dash
from dash import html

from layouts._detail import not_found_body

dash.register_page(__name__, path="/404", name="Not found", title="Page not found - RecoveryStat", audience="pub")


def layout(**_query) -> html.Div:
    """A not-found message with ways back."""
    return not_found_body()
