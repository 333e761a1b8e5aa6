"""The data dictionary of the downloads, as a page."""
from __future__ import annotations

import dash
from dash import html

from layouts._opendata import dictionary_table
from models.dictionary import VALUE_COLUMNS

dash.register_page(
    __name__,
    path="/data-dictionary",
    name="Data dictionary",
    title="Data dictionary - RecoveryStat",
    description="What every column of RecoveryStat's downloads means.",
    audience="pub",
    order=81,
)


def layout(**_query) -> html.Div:
    """Each column of the values downloads: name, type and meaning."""
    return html.Div([
        html.H1("Data dictionary", className="h2"),
        html.P(["The CSV and JSON downloads of approved values share these columns, in this order. The same "
                "dictionary is available ", html.A("as CSV", href="/api/v1/dictionary.csv"), "; see ",
                html.A("Open data and API", href="/developers"), " for every download."], className="lead fs-6"),
        dictionary_table(VALUE_COLUMNS),
    ])
