"""The submission tracker: which department has reported which of the last twelve months, and who to call."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import ids

dash.register_page(
    __name__,
    path="/dashboard/submissions",
    name="Submissions",
    title="Submission tracker - RecoveryStat",
    description="Each department's monthly figures over the last twelve months: complete, partial, missing or late, "
                "with the department's contact.",
    audience="exec",
)


def layout(**_query) -> html.Div:
    """The page frame; the callback fills in the tracker for the signed-in person."""
    return html.Div([
        html.H1("Submission tracker", className="h2"),
        html.P("Each department's monthly figures over the last twelve months. A month's figures are due on each "
               "measure's due day of the following month; a month is late when a figure came in after that day or "
               "is still missing after it.", className="lead fs-6"),
        dcc.Store(id=ids.EXEC_SUBMISSIONS_REQUEST, data=True),
        dcc.Loading(html.Div(id=ids.EXEC_SUBMISSIONS), type="default", delay_show=300),
    ])
