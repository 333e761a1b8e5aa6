"""Pieces of the workbook import page: the preview of an uploaded workbook and the result of applying it."""
from __future__ import annotations

from dash import html

from layouts._worklists import alert, scroll_region
from models.workbook import SHEETS, ImportReport

MAX_SHOWN_ISSUES = 200
MAX_SHOWN_CHANGES = 100


def counts_table(report: ImportReport, caption: str) -> html.Div:
    """Created, changed and unchanged records per sheet."""
    head = html.Thead(html.Tr([html.Th("Sheet", scope="col"), html.Th("New", scope="col"),
                               html.Th("Changed", scope="col"), html.Th("Unchanged", scope="col")]))
    body = html.Tbody([html.Tr([html.Th(sheet, scope="row"), html.Td(f"{report.created[sheet]:,}"),
                                html.Td(f"{report.changed[sheet]:,}"), html.Td(f"{report.unchanged[sheet]:,}")])
                       for sheet in SHEETS])
    return html.Div(html.Table([html.Caption(caption), head, body], className="table table-sm w-auto"),
                    **scroll_region(caption))


def issues_table(report: ImportReport) -> html.Div:
    """Every fault: sheet, row, column and reason (the first MAX_SHOWN_ISSUES)."""
    shown = report.issues[:MAX_SHOWN_ISSUES]
    caption = "Rejected rows: sheet, row, column and reason"
    head = html.Thead(html.Tr([html.Th("Sheet", scope="col"), html.Th("Row", scope="col"),
                               html.Th("Column", scope="col"), html.Th("Reason", scope="col")]))
    body = html.Tbody([html.Tr([html.Td(i.sheet), html.Td(str(i.row) if i.row else "-"),
                                html.Td(i.column or "-"), html.Td(i.reason)]) for i in shown])
    more = len(report.issues) - len(shown)
    return html.Div([
        html.Div(html.Table([html.Caption(caption), head, body], className="table table-sm"), **scroll_region(caption)),
        html.P(f"... and {more:,} more. Fix these and upload the workbook again to see the rest.") if more else None,
    ])


def preview(report: ImportReport) -> html.Div:
    """What importing the uploaded workbook would do, or every reason it cannot be imported."""
    parts: list = [html.H2(f"Preview of {report.source}", className="h4")]
    if report.issues:
        count = len(report.issues)
        parts.append(alert("error", f"This workbook cannot be imported: {count:,} problem{'s' if count != 1 else ''} "
                                    "found. Nothing has been written. Fix the cells listed below and upload it again."))
        parts.append(issues_table(report))
        return html.Div(parts)
    if report.touched:
        parts.append(alert("info", "Nothing has been written yet. Check what the import would do, then press "
                                   "Apply import.", announce=False))
    else:
        parts.append(alert("info", "Everything in this workbook is already in RecoveryStat: importing it would "
                                   "change nothing.", announce=False))
    parts.append(counts_table(report, "What importing this workbook would do, per sheet"))
    if report.changes:
        shown = report.changes[:MAX_SHOWN_CHANGES]
        more = len(report.changes) - len(shown)
        parts.append(html.H3("Changes to existing records", className="h5"))
        parts.append(html.Ul([html.Li(change) for change in shown]))
        if more:
            parts.append(html.P(f"... and {more:,} more changes."))
    if report.ignored:
        parts.append(html.P("Not read (not a sheet of the template): " + ", ".join(report.ignored) + "."))
    return html.Div(parts)


def applied(report: ImportReport) -> html.Div:
    """The result of an applied import."""
    if not report.applied:
        return alert("success", f"{report.source} was already up to date: nothing was changed.")
    created, changed = sum(report.created.values()), sum(report.changed.values())
    return html.Div([
        alert("success", f"Imported {report.source}: {created:,} records created and {changed:,} changed. "
                         "The change is in the audit log."),
        counts_table(report, "What the import did, per sheet"),
    ])
