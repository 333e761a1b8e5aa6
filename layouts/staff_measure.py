"""A measure's staff page: the chart with unapproved figures marked, unpublished measures too, the full revision
history and the follow-ups."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import ids
from layouts._stat import follow_up_form

dash.register_page(
    __name__,
    path_template="/dashboard/measures/<slug>",
    name="Measure (staff)",
    title="Measure - staff view - RecoveryStat",
    description="One measure for City-Parish staff: chart with figures awaiting approval, revision history, "
                "follow-ups.",
    audience="exec",
)


def layout(slug: str | None = None, **_query) -> html.Div:
    """The page frame; the callbacks fill it from the slug."""
    return html.Div([
        dcc.Store(id=ids.EXEC_MEASURE_SLUG, data=slug),
        dcc.Store(id=ids.ADMIN_FOLLOW_UP_CHANGED, data=0),
        dcc.Loading(html.Div(id=ids.EXEC_MEASURE_PAGE), type="default", delay_show=300),
        html.Section(
            [html.H2("Follow-ups", className="h5 mt-3", id="follow-ups-heading"),
             html.Div(id=ids.EXEC_FOLLOW_UPS, **{"aria-live": "polite"}),
             html.Div(follow_up_form(), id=ids.EXEC_FOLLOW_UP_FORM, hidden=True)],
            id=ids.EXEC_FOLLOW_UP_SECTION, hidden=True, **{"aria-labelledby": "follow-ups-heading"},
        ),
        html.Div(id=ids.EXEC_MEASURE_MORE),
    ])
