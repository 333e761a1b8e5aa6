"""A published goal's page: its summary, lead department and every measure's chart and reason."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import ids

dash.register_page(
    __name__,
    path_template="/goals/<slug>",
    name="Goal",
    title="Goal - RecoveryStat",
    description="One recovery goal: every measure's progress chart and status.",
    audience="pub",
)


def layout(slug: str | None = None, **_query) -> html.Div:
    """The page frame; the callback fills it from the slug (or says there is no such page)."""
    return html.Div([
        dcc.Store(id=ids.PUB_GOAL_SLUG, data=slug),
        dcc.Loading(html.Div(id=ids.PUB_GOAL_PAGE), type="default", delay_show=300),
    ])
