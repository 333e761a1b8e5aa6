"""Pure builders of the executive view, the staff measure page and the monthly Stat briefing: data in, components out."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._components import (
    freshness_badge,
    html_text,
    month_label,
    reason_beside_name,
    status_badge,
    status_summary,
    table_html,
)
from layouts._detail import chart_figure, corrections_block, facts, values_table
from layouts._worklists import alert, scroll_region, when
from layouts.html_block import HtmlBlock
from models.progress import FRESHNESS_LABELS, STATUS_LABELS, format_value
from models.queries import MeasureDetail, MeasureStatus
from models.stat import FollowUpItem, MissingDepartment, MonthChanges, RevisionEntry, StatusMove

ACTION_WORDS = {"enter": "Entered", "correct": "Corrected", "approve": "Approved", "return": "Returned",
                "import": "Imported"}


def staff_measure_href(slug: str) -> str:
    """The address of a measure's staff page."""
    return f"/dashboard/measures/{slug}"


def _value(value: float | None, unit: str, decimals: int) -> str:
    return "–" if value is None else format_value(value, unit, decimals)


def attention_list(measures: Sequence[MeasureStatus], as_of: date) -> html.Section:
    """Needs attention: off-track, at-risk and overdue measures, worst first, each linking to its staff page."""
    heading = html.H2("Needs attention", id="needs-attention", className="h4 mt-3")
    if not measures:
        body: object = html.P(f"Nothing is off track, at risk or overdue as of {month_label(as_of)} for these filters.")
    else:
        body = html.Ol(
            [html.Li([
                dcc.Link(m.name, href=staff_measure_href(m.slug), className="fw-semibold"),
                html.Span([" ", status_badge(m.status), freshness_badge(m.freshness)]),
                html.Div([reason_beside_name(m), f" Owner: {m.department_name}."], className="small"),
            ], className="mb-2") for m in measures],
            className="attention-list ps-3",
        )
    return html.Section([heading, body], **{"aria-labelledby": "needs-attention"})


def _moves(moves: Sequence[StatusMove]) -> html.Div:
    if not moves:
        return html.P("No measure changed status.", className="small")
    return html.Ul([
        html.Li([
            html.Span("▲ Improved: " if move.direction == "up" else "▼ Worsened: ", className="fw-semibold"),
            dcc.Link(move.name, href=staff_measure_href(move.slug)), f" — {move.text}",
        ]) for move in moves
    ], className="small status-moves")


def _late_note(department: MissingDepartment) -> str:
    """" — late (due November 15, 2026)" for a department past its due date; nothing otherwise."""
    if not department.late or department.due is None:
        return ""
    return f" — late (due {department.due:%B} {department.due.day}, {department.due.year})"


def what_changed(changes: MonthChanges, moves: Sequence[StatusMove], previous: date,
                 measures: dict[str, MeasureStatus]) -> html.Section:
    """What changed since the previous month: status moves, new figures, corrections with reasons, who is not in.

    `measures` (by slug) are the measures the filters keep; anything else is left out.
    """
    month = changes.month
    new = [v for v in changes.new_values if v.slug in measures]
    corrections = [c for c in changes.corrections if c.slug in measures]
    departments = {m.department_slug for m in measures.values()}
    missing = [d for d in changes.not_submitted if d.slug in departments]
    new_list = html.Details([
        html.Summary(f"{len(new)} new figure{'s' if len(new) != 1 else ''} for {month_label(month)}"),
        html.Ul([html.Li([dcc.Link(v.name, href=staff_measure_href(v.slug)), ": ",
                          _value(v.value, v.unit, v.decimals),
                          " (awaiting approval)" if v.state == "submitted" else ""]) for v in new],
                className="small"),
    ]) if new else html.P(f"No figures are in yet for {month_label(month)}.", className="small")
    if corrections:
        corrections_table: object = html.Div(html.Table([
            html.Caption(f"Earlier months corrected while {month_label(month)} was reported, newest first."),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Measure", "Month", "Was", "Now", "Reason",
                                                                   "By")])),
            html.Tbody([html.Tr([
                html.Th(dcc.Link(c.name, href=staff_measure_href(c.slug)), scope="row"),
                html.Td(month_label(c.period)), html.Td(_value(c.old_value, c.unit, c.decimals)),
                html.Td(_value(c.new_value, c.unit, c.decimals)), html.Td(c.reason),
                html.Td(f"{c.who}, {when(c.at)}"),
            ]) for c in corrections]),
        ], className="table table-sm small corrections-made mb-0"), **scroll_region("Corrections to earlier months"))
    else:
        corrections_table = html.P("No earlier month was corrected.", className="small")
    missing_list = (html.Div([
        html.Ul([html.Li([f"{d.name}: {d.missing} of {d.measures} measure{'s' if d.measures != 1 else ''} "
                          f"without a {month_label(month)} figure", _late_note(d)])
                 for d in missing], className="small not-submitted mb-1"),
        html.P(dcc.Link("See every department's last twelve months", href="/dashboard/submissions"),
               className="small"),
    ]) if missing else html.P(f"Every department has submitted {month_label(month)}.", className="small"))
    return html.Section(
        [
            html.H2(f"What changed since {month_label(previous)}", id="what-changed", className="h4 mt-4"),
            html.H3("Status moves", className="h6"), _moves([m for m in moves if m.slug in measures]),
            html.H3("New figures", className="h6"), new_list,
            html.H3("Corrections to earlier months", className="h6 mt-2"), corrections_table,
            html.H3("Departments that have not submitted", className="h6 mt-2"), missing_list,
        ],
        **{"aria-labelledby": "what-changed"},
    )


def follow_up_list(items: Sequence[FollowUpItem], today: date, *, can_close: bool,
                   show_measure: bool = False) -> html.Div:
    """Follow-ups, open first; overdue ones flagged in words; admins get a "Mark done" button on open ones."""
    if not items:
        return html.P("No follow-ups recorded.", className="small")
    rows = []
    for item in items:
        if item.done:
            state: object = f"Done {when(item.done_at)} by {item.done_by}"
        elif item.overdue(today):
            state = html.Strong("⚠ Overdue", className="text-danger-emphasis")
        else:
            state = "Open"
        action = [dcc.Link(item.measure_name, href=staff_measure_href(item.measure_slug)), ": "] if show_measure else []
        cells = [html.Td([*action, item.action]), html.Td(item.department_name),
                 html.Td(item.due_date.strftime("%d %B %Y").lstrip("0")), html.Td(state),
                 html.Td(f"{item.created_by}, {when(item.created_at)}")]
        if can_close:
            cells.append(html.Td(None if item.done else html.Button(
                ["Mark done", html.Span(f": {item.action[:60]}", className="visually-hidden")],
                id={"type": ids.ADMIN_FOLLOW_UP_CLOSE, "id": item.id}, n_clicks=0,
                className="btn btn-outline-secondary btn-sm no-print")))
        rows.append(html.Tr(cells, className="follow-up-done" if item.done else "follow-up-open"))
    heads = ["Action", "Department", "Due", "State", "Recorded", *(["Close"] if can_close else [])]
    return html.Div(html.Table([
        html.Caption("Follow-ups, open ones first by due date."),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])),
        html.Tbody(rows),
    ], className="table table-sm small follow-ups mb-0"), **scroll_region("Follow-ups"))


def follow_up_form() -> html.Div:
    """The admin's form to record a follow-up: what will be done, by which department (options filled by a
    callback), by when."""
    return html.Div(
        [
            html.H3("Record a follow-up", className="h6 mt-3"),
            html.Div([html.Label("What will be done", htmlFor=ids.ADMIN_FOLLOW_UP_ACTION, className="form-label"),
                      dcc.Textarea(id=ids.ADMIN_FOLLOW_UP_ACTION, className="form-control", maxLength=1000,
                                   style={"minHeight": "4rem"})], className="mb-2"),
            dbc.Row([
                dbc.Col(html.Div([html.Label("By which department", htmlFor=ids.EXEC_FOLLOW_UP_DEPARTMENT,
                                             className="form-label"),
                                  dbc.Select(id=ids.EXEC_FOLLOW_UP_DEPARTMENT, options=[])]),
                        md=6),
                dbc.Col(html.Div([html.Label("Due by", htmlFor=ids.ADMIN_FOLLOW_UP_DUE, className="form-label"),
                                  dcc.Input(id=ids.ADMIN_FOLLOW_UP_DUE, type="date", className="form-control")]),
                        md=6),
            ], className="g-2 mb-2"),
            html.Button("Record follow-up", id=ids.ADMIN_FOLLOW_UP_SAVE, n_clicks=0, className="btn btn-primary"),
            html.Div(id=ids.ADMIN_FOLLOW_UP_FEEDBACK, className="mt-2"),
        ],
        className="follow-up-form no-print",
    )


def revision_table(entries: Sequence[RevisionEntry], unit: str, decimals: int) -> html.Div:
    """The full history of a measure's figures: who, when, which month, old -> new, state, reason."""
    if not entries:
        return html.P("No figure of this measure has been entered yet.", className="small")
    rows = [[html_text(cell) for cell in (
        when(e.at), e.who, month_label(e.period), ACTION_WORDS.get(e.action, e.action),
        f"{_value(e.old_value, unit, decimals)} → {_value(e.new_value, unit, decimals)}",
        f"{e.old_state or '–'} → {e.new_state}", e.reason or "",
    )] for e in entries]
    return html.Div(HtmlBlock(table_html(
        "Every change to this measure's figures, newest first.",
        ("When", "Who", "Month", "Change", "Old → new", "State", "Reason or note"), rows,
        class_name="table table-sm small revision-history mb-0", row_headers=False,
    )), **scroll_region("Revision history"))


def staff_measure_top(detail: MeasureDetail) -> html.Div:
    """The top of a measure's staff page: heading, status, and the chart with unapproved figures marked."""
    status = detail.status
    return html.Div(
        [
            html.Nav(html.Ol([
                html.Li(dcc.Link("Dashboard", href="/dashboard"), className="breadcrumb-item"),
                html.Li(status.goal_title, className="breadcrumb-item"),
            ], className="breadcrumb small mb-2"), **{"aria-label": "Breadcrumb"}),
            html.H1(status.name, className="h3"),
            html.Div([status_badge(status.status), freshness_badge(status.freshness),
                      None if status.published else html.Span("Not published",
                                                              className="badge text-bg-light border ms-2")],
                     className="mb-2"),
            html.P(["Staff view: figures awaiting approval are drawn hollow and labelled. ",
                    dcc.Link("Public page", href=f"/measures/{status.slug}") if status.published else
                    "This measure is not published, so it has no public page."], className="small"),
            chart_figure(detail, staff=True),
        ],
        className="measure-page staff-measure-page",
    )


def staff_measure_rest(detail: MeasureDetail, revisions: Sequence[RevisionEntry]) -> html.Div:
    """The rest of a measure's staff page: facts, every month with its review state, the full revision history
    and the corrections after publication."""
    status = detail.status
    return html.Div(
        [
            html.H2("Facts", className="h5 mt-3"),
            facts(detail),
            html.H2("Every month", className="h5 mt-3"),
            values_table(detail, staff=True),
            html.H2("Revision history", className="h5 mt-4"),
            revision_table(revisions, status.unit, status.decimals),
            html.H2("Corrections after publication", className="h5 mt-4"),
            corrections_block(detail),
        ],
    )


def staff_not_found() -> html.Div:
    """The message for a staff measure address with no measure behind it."""
    return html.Div([html.H1("Measure not found", className="h3"),
                     html.P(["There is no measure at this address. ",
                             dcc.Link("Back to the dashboard", href="/dashboard"), "."])])


def briefing(month: date, previous: date, counts: dict[str, int], moves: Sequence[StatusMove],
             changes: MonthChanges, measures: dict[str, MeasureStatus], sections: Sequence[MeasureDetail],
             attention: Sequence[MeasureStatus], open_items: Sequence[FollowUpItem], today: date) -> html.Div:
    """The monthly Stat briefing: a cover summary, then one section per measure needing attention."""
    by_measure: dict[str, list[FollowUpItem]] = {}
    for item in open_items:
        by_measure.setdefault(item.measure_slug, []).append(item)
    details = {d.status.slug: d for d in sections}
    parts = []
    for m in attention:
        detail = details.get(m.slug)
        heading_id = f"briefing-{m.slug}"
        parts.append(html.Section([
            html.H2(dcc.Link(m.name, href=staff_measure_href(m.slug)), id=heading_id, className="h4"),
            html.Div([status_badge(m.status), freshness_badge(m.freshness)], className="mb-2"),
            html.P([html.Strong("Why: "), reason_beside_name(m)]),
            html.P([html.Strong("Owner: "), m.department_name, html.Strong(" · Latest figure: "),
                    f"{_value(m.latest_value, m.unit, m.decimals)} ({month_label(m.latest_period)})",
                    " awaiting approval" if m.latest_state == "submitted" else "",
                    html.Strong(" · Freshness: "), FRESHNESS_LABELS[m.freshness]]),
            chart_figure(detail, staff=True, height=340) if detail is not None else None,
            html.H3("Open follow-ups", className="h6"),
            follow_up_list(by_measure.get(m.slug, []), today, can_close=False),
        ], className="briefing-section", **{"aria-labelledby": heading_id}))
    counts_line = ", ".join(f"{STATUS_LABELS[s]}: {counts.get(s, 0)}" for s in STATUS_LABELS)
    return html.Div(
        [
            html.Div([
                html.Button("Print / Save as PDF", type="button", className="btn btn-primary js-print"),
                html.A("Download as Excel (XLSX)", href=f"/dashboard/briefing.xlsx?month={month:%Y-%m}",
                       className="btn btn-outline-secondary ms-2"),
            ], className="no-print mb-3 briefing-actions"),
            html.Section([
                html.H1(f"Monthly Stat briefing: {month_label(month)}", className="h2"),
                html.P(f"Prepared {today.strftime('%d %B %Y').lstrip('0')} from figures as of {month_label(month)}, "
                       "including figures still awaiting approval. Illustrative data unless a source is named.",
                       className="small"),
                status_summary(counts, month),
                html.P(counts_line, className="visually-hidden"),
                html.P(f"{len(attention)} measure{'s' if len(attention) != 1 else ''} need attention: "
                       "each has its own section below, worst first."),
                what_changed(changes, moves, previous, measures),
                html.H2("All open follow-ups", className="h5 mt-3"),
                follow_up_list(open_items, today, can_close=False, show_measure=True),
            ], className="briefing-cover"),
            *parts,
        ],
        className="briefing",
    )


def briefing_error(message: str) -> html.Div:
    """A briefing that could not be built, with what to do."""
    return alert("error", message)
