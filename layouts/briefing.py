"""The monthly Stat briefing: a print-ready packet of what needs attention, with charts and open follow-ups."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import ids

dash.register_page(
    __name__,
    path="/dashboard/briefing",
    name="Stat briefing",
    title="Monthly Stat briefing - RecoveryStat",
    description="The monthly performance meeting's packet: status counts, what changed, and every measure that "
                "needs attention.",
    audience="exec",
)


def layout(month: str | None = None, **_query) -> html.Div:
    """The page frame; the callback fills it for the month in the address (YYYY-MM; the latest complete month
    otherwise)."""
    return html.Div([
        dcc.Store(id=ids.EXEC_BRIEFING_MONTH, data=month if isinstance(month, str) else None),
        dcc.Loading(html.Div(id=ids.EXEC_BRIEFING), type="default", delay_show=300),
    ])
