"""Pieces of the spreadsheet upload page: template links and the preview table of an import (pure functions)."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from dash import html

from layouts._components import month_label
from layouts._worklists import alert, scroll_region
from models.importer import ImportResult, PreviewRow

# Rows listed in the preview: rejected ones first, then the others (a 10,000-row table would make the page crawl).
PREVIEW_LIMIT = 200
REJECTED_LIMIT = 500
STATE_CLASS = {"new": "text-bg-light border", "correction": "text-bg-warning", "unchanged": "text-bg-light border",
               "skipped": "text-bg-light border", "rejected": "text-bg-danger"}


def template_href(kind: str, month: date) -> str:
    """The address of the template of `kind` (csv or xlsx) for a month."""
    return f"/entry/template.{kind}?{urlencode({'month': month.strftime('%Y-%m')})}"


def _row(row: PreviewRow) -> html.Tr:
    measure = [html.Span(row.name or row.measure, className="d-block")]
    if row.name:
        measure.append(html.Span(row.measure, className="small text-body-secondary"))
    return html.Tr(
        [
            html.Th(str(row.row), scope="row"),
            html.Td(measure),
            html.Td(month_label(row.period) if row.period else ""),
            html.Td(row.value),
            html.Td(html.Span(row.label, className=f"badge {STATE_CLASS[row.outcome]}")),
            html.Td(row.problem.line() if row.problem else ""),
        ],
        className="table-danger" if row.outcome == "rejected" else None,
    )


def upload_preview(result: ImportResult) -> html.Div:
    """The preview of an uploaded file: what the file is refused for, or every row with its state and problem."""
    if not result.rows:
        return html.Div(alert("error", [html.Span(problem.line(), className="d-block")
                                        for problem in result.file_problems]))
    rejected = [row for row in result.rows if row.outcome == "rejected"]
    others = [row for row in result.rows if row.outcome != "rejected"]
    shown = sorted(rejected[:REJECTED_LIMIT] + others[:PREVIEW_LIMIT], key=lambda row: row.row)
    caption = result.summary()
    if len(rejected) > REJECTED_LIMIT:
        caption += f" The first {REJECTED_LIMIT:,} rejected rows are listed."
    if len(others) > PREVIEW_LIMIT:
        caption += f" The first {PREVIEW_LIMIT:,} rows that are not rejected are listed."
    header = html.Thead(html.Tr([html.Th(title, scope="col") for title in
                                 ("Row", "Measure", "Month", "Value as understood", "State", "Problem")]))
    table = html.Table([html.Caption(caption, className="caption-top"), header,
                        html.Tbody([_row(row) for row in shown])],
                       className="table table-sm align-middle mb-0")
    parts = [alert("error", problem.line(), announce=False) for problem in result.file_problems]
    return html.Div([*parts, html.Div(table, **scroll_region(f"Preview of {result.filename}"))])
