"""For data users: downloads, the read API, the catalog and the embeddable chart, with examples."""
from __future__ import annotations

import dash
from dash import html

from layouts._opendata import embed_snippet, endpoint_table

dash.register_page(
    __name__,
    path="/developers",
    name="Open data",
    title="Open data and API - RecoveryStat",
    description="Download RecoveryStat's published flood recovery figures, or read them through the API.",
    audience="pub",
    order=80,
)

EXAMPLE_SLUG = "ocd-rental-units-repaired"


def layout(**_query) -> html.Div:
    """Every way to get the published figures: files, API, catalog, embed; each with an example."""
    return html.Div([
        html.H1("Open data and API", className="h2"),
        html.P("Every published figure on RecoveryStat can be downloaded, read by a program, harvested by an "
               "open-data portal or shown on another site. Only published measures and approved figures are "
               "offered, the same ones the progress page shows. The data set is illustrative; each row's citation "
               "says which figures come from a publication.", className="lead fs-6"),
        html.H2("Downloads", className="h4 mt-4"),
        html.Ul([
            html.Li([html.A("All approved values (CSV)", href="/api/v1/values.csv"), " and ",
                     html.A("as JSON", href="/api/v1/values.json"),
                     ": one long table of goal, measure, month, value, unit, status that month, source."]),
            html.Li(["One measure: ", html.Code("/api/v1/measures/<slug>/values.csv"), ", e.g. ",
                     html.A(f"{EXAMPLE_SLUG}.csv", href=f"/api/v1/measures/{EXAMPLE_SLUG}/values.csv"),
                     ". Files are named recoverystat-<measure>-<YYYY-MM>.csv after their latest month."]),
            html.Li([html.A("Data dictionary", href="/data-dictionary"), ": what every column means (",
                     html.A("CSV", href="/api/v1/dictionary.csv"), ")."]),
        ]),
        html.P("Text cells that a spreadsheet would read as a formula (starting with =, +, -, @) begin with an "
               "apostrophe in CSV files; numbers are plain numbers.", className="small"),
        html.H2("API", className="h4 mt-4"),
        html.P(["Read-only JSON at ", html.Code("/api/v1"), ", open to every site (CORS). Field names are "
                "snake_case, dates ISO 8601, numbers JSON numbers. Every answer has an ETag: send it back in "
                "If-None-Match and you get 304 Not Modified until the figures change. The full description is the ",
                html.A("OpenAPI document", href="/api/v1/openapi.json"), "."]),
        endpoint_table(),
        html.H3("Example", className="h5"),
        html.Pre(html.Code(
            "curl -s https://recoverystat.example.org/api/v1/measures/" + EXAMPLE_SLUG + "/values?from=2026-01\n"
            "# {\"measure\": \"" + EXAMPLE_SLUG + "\", \"count\": 9, \"columns\": [...],\n"
            "#  \"values\": [{\"goal\": \"bring-families-home\", \"measure\": \"" + EXAMPLE_SLUG + "\",\n"
            "#              \"period\": \"2026-01-01\", \"value\": 384.0, \"unit\": \"count\", \"status\": \"on_track\", ...}]}"
        ), className="bg-body-tertiary p-2 border rounded small", tabIndex="0"),
        html.P(["Errors are JSON too: an unknown or unpublished slug answers 404 ",
                html.Code('{"error": "not_found", ...}'), "; a bad parameter answers 400 and names it in ",
                html.Code('"parameter"'), "."], className="small"),
        html.H2("Catalog (data.json)", className="h4 mt-4"),
        html.P([html.A("/data.json", href="/data.json"), " is a DCAT-US 1.1 catalog, the format data.gov and city "
                "open-data portals harvest: one dataset per published measure, plus one for the whole table, each "
                "with its CSV and JSON downloads, contact, license and the months it covers."]),
        html.H2("Embed a measure", className="h4 mt-4"),
        html.P(["Any site may show a measure's status, reason and recent figures in an iframe. Each measure page "
                "has a “Share / embed” control with the code; it looks like this:"]),
        html.Pre(html.Code(embed_snippet("https://recoverystat.example.org", EXAMPLE_SLUG)),
                 className="bg-body-tertiary p-2 border rounded small", tabIndex="0"),
        html.H2("Found a problem?", className="h4 mt-4"),
        html.P("Every measure page has a “Report a problem with this number” form. The performance team reads every "
               "report; answers appear on the measure page."),
    ])
