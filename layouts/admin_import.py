"""Bring a program in from a workbook (XLSX or zip of CSV files), and take it out again (template and export)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from models.workbook import MAX_UPLOAD_BYTES

dash.register_page(
    __name__,
    path="/admin/import",
    name="Import",
    title="Import and export the program - RecoveryStat",
    description="Import goals, measures and values from a workbook; export the whole program.",
    audience="admin",
    order=36,
)
# The browser refuses a file above this before sending it (the server limit, MAX_UPLOAD_BYTES, is the one stated).
BROWSER_LIMIT = 12 * 1024 * 1024


def layout(**_query) -> html.Div:
    """Downloads (template, export) and the upload with its preview; callbacks fill the preview and apply it."""
    limit = MAX_UPLOAD_BYTES // 1024 // 1024
    return html.Div([
        html.H1("Import and export the program", className="h2"),
        html.P("A workbook holds the whole program: departments, goals, measures, milestones, monthly values with "
               "their review state, and annotations, one sheet each. Start from the template (its README sheet "
               "explains every column), or export what RecoveryStat holds now, edit it and import it again.",
               className="lead fs-6"),
        html.H2("Download", className="h4"),
        html.Div([
            html.A("Template (XLSX)", href="/admin/import/template.xlsx", className="btn btn-outline-primary",
                   download="recoverystat-template.xlsx"),
            html.A("Export the program (XLSX)", href="/admin/import/export.xlsx", className="btn btn-outline-primary",
                   download="recoverystat-program.xlsx"),
            html.A("Export as CSV files (zip)", href="/admin/import/export.zip", className="btn btn-outline-primary",
                   download="recoverystat-program.zip"),
        ], className="d-flex flex-wrap gap-2 mb-4"),
        html.H2("Import", className="h4"),
        html.P(f"Upload an XLSX workbook (.xlsx) or a zip of CSV files (.zip) named after the sheets, up to {limit} MB. "
               "Every cell is checked first and you see what would be created, changed or rejected; nothing is "
               "written until you apply it, and then everything is written or nothing. Records are matched by slug "
               "(values by measure and month), so importing the same workbook twice changes nothing. An import "
               "never deletes.", id="admin-import-help"),
        # The label wraps the upload so its file input is named (Dash's Upload takes no label of its own).
        html.Label([
            html.Span("Workbook to import (.xlsx, or .zip of CSV files)", className="form-label d-block"),
            dcc.Upload(
                id=ids.ADMIN_IMPORT_UPLOAD,
                children=html.Div(["Drop a workbook here or ",
                                   html.Span("choose a file", className="text-decoration-underline")]),
                accept=".xlsx,.zip",
                max_size=BROWSER_LIMIT,
                multiple=False,
                className="border border-2 border-secondary rounded p-4 text-center",
                style={"borderStyle": "dashed"},
            ),
        ], className="d-block mb-3"),
        dcc.Loading(html.Div(id=ids.ADMIN_IMPORT_PREVIEW, className="mb-3", **{"aria-live": "polite"}),
                    type="default", delay_show=300),
        dbc.Button("Apply import", id=ids.ADMIN_IMPORT_APPLY, color="primary", disabled=True, className="mb-3"),
        html.Div(id=ids.ADMIN_IMPORT_RESULT, className="mb-3", **{"aria-live": "polite"}),
    ])
