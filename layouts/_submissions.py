"""The submission tracker table: departments × months, each cell in words with an icon, and each contact."""
from __future__ import annotations

from dash import html

from layouts._components import month_label
from layouts._worklists import scroll_region
from models.submissions import SUBMISSION_LABELS, DepartmentSubmissions, SubmissionCell, SubmissionTracker

# Classes by state (text on a tinted background, always beside the words and the icon).
CELL_CLASSES = {"complete": "submission-complete", "partial": "submission-partial",
                "missing": "submission-missing", "late": "submission-late"}


def _cell_detail(cell: SubmissionCell) -> str:
    """What a cell means in a sentence (its tooltip)."""
    return (f"{cell.submitted} of {cell.expected} figure{'s' if cell.expected != 1 else ''} in for "
            f"{month_label(cell.period)}; due {cell.due:%B} {cell.due.day}, {cell.due.year}")


def _cell(cell: SubmissionCell | None) -> html.Td:
    """One month of one department: icon and words; an empty cell before its measures were tracked."""
    if cell is None:
        return html.Td(html.Span("Not tracked yet", className="text-body-secondary"), className="small")
    return html.Td(
        [html.Span(cell.icon, className="me-1", **{"aria-hidden": "true"}), cell.label],
        className=f"small text-nowrap {CELL_CLASSES[cell.state]}", title=_cell_detail(cell),
        **{"data-state": cell.state},
    )


def _contact(row: DepartmentSubmissions) -> list:
    """The department's contact address and the editors who enter its figures."""
    parts: list = []
    if row.contact_email:
        parts.append(html.A(row.contact_email, href=f"mailto:{row.contact_email}"))
    else:
        parts.append(html.Span("No contact address on file", className="text-body-secondary"))
    if row.editors:
        names = ", ".join(f"{e.name} ({e.email})" for e in row.editors)
        parts.append(html.Div(f"Editors: {names}", className="text-body-secondary"))
    return parts


def _department(row: DepartmentSubmissions, entry_link: bool) -> html.Th:
    """The row header: the department's name, and for those who enter its figures, a link to the entry grid."""
    content: list = [row.name]
    if entry_link:
        content.append(html.Div(html.A("Enter figures", href="/entry",
                                       **{"aria-label": f"Enter figures for {row.name}"}), className="small"))
    return html.Th(content, scope="row")


def submissions_table(tracker: SubmissionTracker, *, role: str | None, department_id: int | None) -> html.Div:
    """The tracker as an accessible table; editors get a link to the entry grid on their department's row."""
    if not tracker.departments:
        return html.P("No department owns a measure yet, so there is nothing to track.")
    newest = tracker.months[-1]
    late = tracker.late_in(newest)
    summary = (f"Late for {month_label(newest)}: " + ", ".join(d.name for d in late) + "."
               if late else f"No department is late for {month_label(newest)}.")
    legend = html.Ul([html.Li([html.Span(icon, className="me-1", **{"aria-hidden": "true"}), text],
                              className=f"list-inline-item small px-1 {CELL_CLASSES[state]}")
                      for state, icon, text in (
                          ("complete", "✓", "Complete: every figure in by its due date"),
                          ("partial", "◐", "Partial n/m: some figures in, not yet due"),
                          ("missing", "○", "Missing: none in, not yet due"),
                          ("late", "!", "Late n/m: a figure came in after its due date or is still missing"))],
                     className="list-inline mb-2", **{"aria-label": "What the cells mean"})
    header = html.Thead(html.Tr([html.Th("Department", scope="col"),
                                 *(html.Th(f"{m:%b %Y}", scope="col", className="text-nowrap")
                                   for m in tracker.months),
                                 html.Th("Contact", scope="col")]))
    body = html.Tbody([
        html.Tr([_department(row, role == "admin" or (role == "editor" and row.id == department_id)),
                 *(_cell(c) for c in row.cells), html.Td(_contact(row), className="small")],
                **{"data-department": row.slug})
        for row in tracker.departments
    ])
    caption = html.Caption(f"Monthly figures by department, {month_label(tracker.months[0])} to "
                           f"{month_label(newest)}, as of {tracker.today:%B} {tracker.today.day}, {tracker.today.year}. "
                           f"Cells read {', '.join(SUBMISSION_LABELS.values())}.")
    return html.Div([
        html.P(summary, className="fw-semibold", id="submissions-late-summary"),
        legend,
        html.Div(html.Table([caption, header, body], className="table table-sm align-middle submissions-table"),
                 **scroll_region("Submission tracker")),
    ])
