"""Upload a spreadsheet: download a template, upload the filled-in CSV or XLSX, check the preview, apply it."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._upload import template_href
from layouts._worklists import entry_month_options, labelled
from models import clock
from models.importer import MAX_UPLOAD_BYTES
from models.progress import last_complete_month

dash.register_page(
    __name__,
    path="/entry/upload",
    name="Upload a spreadsheet",
    title="Upload a spreadsheet - RecoveryStat",
    description="Upload your department's monthly figures as a CSV or Excel file, check the preview, then apply.",
    audience="entry",
    order=21,
)


def layout(**_query) -> html.Div:
    """The three steps: template, file, preview and apply (links, preview and messages come from callbacks)."""
    today = clock.today()
    default = last_complete_month(today)
    return html.Div(
        [
            html.H1("Upload a spreadsheet", className="h2"),
            html.P(["Report many figures at once from Excel or Google Sheets. Nothing is saved until you apply the "
                    "checked file, and then every row is saved or none. To type figures instead, go to ",
                    dcc.Link("Enter figures", href="/entry"), "."], className="lead fs-6"),
            html.Section(
                [
                    html.H2("1. Download the template", className="h4", id="entry-upload-template-heading"),
                    html.P("The template lists your measures for the month, with any figure already stored. Columns: "
                           "measure (keep it), name (for reading only), period (YYYY-MM), value, note, and reason "
                           "(needed when you change a stored figure).", className="small"),
                    labelled("Template month", dbc.Select(id=ids.ENTRY_UPLOAD_MONTH,
                                                          options=entry_month_options(today),
                                                          value=default.isoformat()), ids.ENTRY_UPLOAD_MONTH),
                    html.P([
                        html.A("Download the CSV template", id=ids.ENTRY_UPLOAD_TEMPLATE_CSV,
                               href=template_href("csv", default), className="btn btn-outline-primary me-2 mb-2"),
                        html.A("Download the Excel template", id=ids.ENTRY_UPLOAD_TEMPLATE_XLSX,
                               href=template_href("xlsx", default), className="btn btn-outline-primary mb-2"),
                    ]),
                ],
                className="mb-4", **{"aria-labelledby": "entry-upload-template-heading"},
            ),
            html.Section(
                [
                    html.H2("2. Upload the filled-in file", className="h4", id="entry-upload-file-heading"),
                    # The component's file input sits inside the label, so it is named by the label's text.
                    html.Label(
                        [
                            html.Span("Spreadsheet file to upload: ", className="visually-hidden"),
                            dcc.Upload(
                                id=ids.ENTRY_UPLOAD,
                                children=html.Div(["Drop a .csv or .xlsx file here, or ",
                                                   html.Span("choose a file", className="text-primary text-decoration-underline"),
                                                   f" (at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB)."]),
                                accept=".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml"
                                       ".sheet",
                                multiple=False,
                                className="border border-2 rounded p-4 text-center bg-body-tertiary mb-2",
                            ),
                        ],
                        className="d-block",
                    ),
                ],
                className="mb-4", **{"aria-labelledby": "entry-upload-file-heading"},
            ),
            html.Section(
                [
                    html.H2("3. Check the preview and apply", className="h4", id="entry-upload-preview-heading"),
                    html.Div(id=ids.ENTRY_UPLOAD_RESULT, className="mb-3", **{"aria-live": "polite"}),
                    html.Div(html.P("Upload a file to see what it would change.", className="text-body-secondary"),
                             id=ids.ENTRY_UPLOAD_PREVIEW, className="mb-3"),
                    dbc.Button("Apply the figures", id=ids.ENTRY_UPLOAD_APPLY, color="primary", n_clicks=0,
                               disabled=True),
                ],
                className="mb-4", **{"aria-labelledby": "entry-upload-preview-heading"},
            ),
            dcc.Store(id=ids.ENTRY_UPLOAD_CHECKED, data=None),
        ]
    )
