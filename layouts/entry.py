"""Monthly entry: department staff enter and correct the figures of the measures they own."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import entry_month_options, labelled
from models import clock
from models.progress import last_complete_month
from models.services import MAX_NOTE_LENGTH, MAX_REASON_LENGTH
from models.values import MAX_FIGURE_LENGTH

dash.register_page(
    __name__,
    path="/entry",
    name="Enter figures",
    title="Enter monthly figures - RecoveryStat",
    description="Enter and correct the monthly figures of the measures your department reports.",
    audience="entry",
    order=20,
)


def layout(**_query) -> html.Div:
    """The entry form and the stored-value panel; measure options and the panel come from callbacks."""
    today = clock.today()
    months = entry_month_options(today)
    form = html.Div(
        [
            labelled("Measure", dbc.Select(id=ids.ENTRY_MEASURE, options=[], placeholder="Choose a measure"),
                     ids.ENTRY_MEASURE, "Only the measures you may report are listed."),
            labelled("Month", dbc.Select(id=ids.ENTRY_PERIOD, options=months,
                                         value=last_complete_month(today).isoformat()), ids.ENTRY_PERIOD),
            labelled("Value", dbc.Input(id=ids.ENTRY_VALUE, type="text", autoComplete="off",
                                        maxLength=MAX_FIGURE_LENGTH, inputMode="decimal"),
                     ids.ENTRY_VALUE, "A number in the unit under “How this measure is counted”: 12,430 or 12430; "
                                      "a dot for decimals (62.5); 45% and $1.2M are understood where they fit."),
            labelled("Note (optional)", dcc.Textarea(id=ids.ENTRY_NOTE, className="form-control", rows=2,
                                                     maxLength=MAX_NOTE_LENGTH),
                     ids.ENTRY_NOTE, f"Context for reviewers, e.g. the report the figure comes from (up to "
                                     f"{MAX_NOTE_LENGTH:,} characters). When correcting, leave empty to keep the "
                                     "stored note."),
            html.Div(
                dbc.Checkbox(id=ids.ENTRY_CONFIRM_DROP, value=False,
                             label="The total really fell this month (say why in the note)"),
                id=ids.ENTRY_DROP_GROUP, hidden=True, className="mb-3",
            ),
            html.Div(
                labelled("Reason for the change (required)", dcc.Textarea(id=ids.ENTRY_REASON,
                                                                           className="form-control", rows=2,
                                                                           maxLength=MAX_REASON_LENGTH),
                         ids.ENTRY_REASON, "This month already has a figure. Say why it changes, e.g. “the "
                                           "state's report was revised on Nov 3”.", className="mb-0"),
                id=ids.ENTRY_REASON_GROUP, hidden=True, className="mb-3 p-3 border rounded bg-body-tertiary",
            ),
            dbc.Button("Save figure", id=ids.ENTRY_SAVE, color="primary", n_clicks=0, className="mb-3"),
            html.Div(id=ids.ENTRY_FEEDBACK, **{"aria-live": "polite"}),
        ],
    )
    return html.Div(
        [
            html.H1("Enter monthly figures", className="h2"),
            html.P(["Figures already in Excel or Google Sheets? ",
                    dcc.Link("Upload a spreadsheet", href="/entry/upload"), " instead of typing them."]),
            month_grid(months, last_complete_month(today).isoformat()),
            html.P(
                "Choose a measure and a month, type the figure and save. A month that already has a figure is "
                "corrected instead, with a reason. The performance team approves every figure before it counts "
                "on the public page.",
                className="lead fs-6",
            ),
            dbc.Row(
                [
                    dbc.Col(form, lg=6, className="mb-4"),
                    dbc.Col(html.Section(id=ids.ENTRY_CURRENT, className="border rounded p-3 bg-body",
                                         **{"aria-labelledby": ids.ENTRY_PANEL_HEADING, "aria-live": "polite"}),
                            lg=6),
                ]
            ),
            dcc.Store(id=ids.ENTRY_VERSION, data=None),
            dcc.Store(id=ids.ENTRY_SAVED, data=0),
        ]
    )


GRID_COLUMNS = [
    {"field": "measure", "headerName": "Measure", "editable": False, "flex": 2, "minWidth": 180},
    {"field": "unit", "headerName": "Unit", "editable": False, "width": 100},
    {"field": "last_month", "headerName": "Last month", "editable": False, "width": 130},
    {"field": "expected", "headerName": "Expected", "editable": False, "width": 120},
    {"field": "value", "headerName": "Value", "editable": True, "width": 130},
    {"field": "understood", "headerName": "Understood as", "editable": False, "width": 150},
    {"field": "note", "headerName": "Note", "editable": True, "flex": 1, "minWidth": 140},
    {"field": "reason", "headerName": "Reason (corrections)", "editable": True, "flex": 1, "minWidth": 140},
    {"field": "state", "headerName": "State", "editable": False, "flex": 1, "minWidth": 150},
    {"field": "problem", "headerName": "Problem", "editable": False, "flex": 1, "minWidth": 150},
]


def month_grid(months: list[dict[str, str]], default_month: str) -> html.Section:
    """The month grid: every measure the person reports for one month, typed in place and saved together."""
    return html.Section(
        [
            html.H2("The whole month at once", className="h4", id="entry-grid-heading"),
            html.P("Pick the month, type each figure in the Value column (Enter or Tab moves on), check what it was "
                   "understood as, and save once. A figure that changes a stored one needs a reason.",
                   className="small"),
            labelled("Grid month", dbc.Select(id=ids.ENTRY_GRID_MONTH, options=months, value=default_month),
                     ids.ENTRY_GRID_MONTH),
            dag.AgGrid(id=ids.ENTRY_GRID, columnDefs=GRID_COLUMNS, rowData=[],
                       getRowId="'m' + params.data.measure_id", defaultColDef={"resizable": True},
                       dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True,
                                        "domLayout": "autoHeight"},
                       style={"width": "100%"}, className="ag-theme-alpine mb-2"),
            dbc.Button("Save the month", id=ids.ENTRY_GRID_SAVE, color="primary", n_clicks=0, className="mb-2"),
            html.Div(id=ids.ENTRY_GRID_FEEDBACK, **{"aria-live": "polite"}),
        ],
        className="mb-4", **{"aria-labelledby": "entry-grid-heading"},
    )
