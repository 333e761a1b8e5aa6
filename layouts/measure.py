"""A published measure's page: its chart, the reason, every month's figure, sources and corrections."""
from __future__ import annotations

import dash
from dash import dcc, html

from layouts import ids
from layouts._opendata import report_form
from models import clock
from models.progress import add_months, last_complete_month

REPORT_MONTHS = 24

dash.register_page(
    __name__,
    path_template="/measures/<slug>",
    name="Measure",
    title="Measure - RecoveryStat",
    description="One recovery measure: progress chart, every month's figure, sources and corrections.",
    audience="pub",
)


def layout(slug: str | None = None, **_query) -> html.Div:
    """The page frame; the callback fills it from the slug (or says there is no such page)."""
    return html.Div([
        dcc.Store(id=ids.PUB_MEASURE_SLUG, data=slug),
        dcc.Loading(html.Div(id=ids.PUB_MEASURE_PAGE), type="default", delay_show=300),
        html.Div(id=ids.PUB_MEASURE_OPENDATA),
        report_form(slug, [add_months(last_complete_month(clock.today()), -n) for n in range(REPORT_MONTHS)]),
    ])
