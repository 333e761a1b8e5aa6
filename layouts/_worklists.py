"""Pure component builders for the staff pages: dashboard table, entry form panels, approvals queue, alerts."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import html
from dash._utils import stringify_id

from layouts import ids
from layouts._components import month_label, reason_beside_name, status_badge
from models.progress import FLAG_LABELS, STATUS_LABELS, add_months, format_value, month_start
from models.queries import STATUS_ORDER, GoalStatus, MeasureStatus
from models.worklists import (
    FILTER_ALL,
    FILTER_AWAITING,
    FILTER_LATE,
    FILTER_UNPUBLISHED,
    EnterableMeasure,
    QueueItem,
    StoredValue,
)

LOCAL_TIME = ZoneInfo("America/Chicago")
UNIT_LABELS = {
    "count": "Count",
    "households": "Households (count)",
    "percent": "Percent (0 to 100, type 62.5 for 62.5%)",
    "usd": "US dollars (whole amount, e.g. 1250000)",
    "days": "Days",
}
STATE_TEXT = {
    "submitted": ("…", "Submitted, awaiting approval", "text-bg-light border"),
    "approved": ("✓", "Approved", "text-bg-success"),
    "returned": ("↩", "Returned for correction", "text-bg-warning"),
}
ALERT_COLORS = {"success": "success", "error": "danger", "warning": "warning", "info": "info"}
STATUS_FILTER_OPTIONS = [
    {"label": "All statuses", "value": FILTER_ALL},
    *({"label": STATUS_LABELS[s], "value": s} for s in STATUS_ORDER),
    {"label": "Figure due or overdue", "value": FILTER_LATE},
    {"label": "Awaiting approval", "value": FILTER_AWAITING},
    {"label": "Not published", "value": FILTER_UNPUBLISHED},
]


# --- shared -----------------------------------------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    """A stored time in Baton Rouge time, e.g. "Nov 28, 2026, 4:57 AM"; naive times are taken as UTC."""
    if moment is None:
        return "an unrecorded time"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL_TIME)
    return f"{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M} {local:%p}"


def alert(kind: str, message, details=None, *, announce: bool = True) -> html.Div:
    """A Bootstrap alert; errors and warnings are announced at once (role=alert), successes politely (status)."""
    role = ("alert" if kind in ("error", "warning") else "status") if announce else None
    return html.Div(
        [html.P(message, className="mb-0"), details] if details is not None else html.P(message, className="mb-0"),
        className=f"alert alert-{ALERT_COLORS[kind]} mb-0",
        **({"role": role} if role else {}),
    )


def scroll_region(label: str) -> dict:
    """Properties of a wrapper that scrolls a wide table on phones: focusable and named, so keyboard and screen
    reader users can reach and scroll it."""
    return {"className": "table-responsive", "tabIndex": "0", "role": "region", "aria-label": label}


def labelled(label: str, control, control_id: str, hint: str | None = None, *, className: str = "mb-3") -> html.Div:
    """A form control with a visible <label for> (and an optional hint inside the label, read with it)."""
    text = [label] if hint is None else [label, html.Span(hint, className="d-block small text-body-secondary")]
    return html.Div([html.Label(text, htmlFor=control_id, className="form-label"), control], className=className)


def signed_change(change: float, unit: str, decimals: int) -> str:
    """A change with its sign, e.g. "+6", "−22", "+1.5 points" (percent changes are in points)."""
    if round(change, decimals) == 0:
        return "No change"
    sign = "+" if change > 0 else "−"
    if unit == "percent":
        return f"{sign}{format_value(abs(change), 'count', decimals)} points"
    return f"{sign}{format_value(abs(change), unit, decimals)}"


# --- dashboard ----------------------------------------------------------------------------------------------------


def goal_options(measures: Sequence[MeasureStatus]) -> list[dict[str, str]]:
    """"All goals" plus one option per goal of the measures, in display order."""
    options = [{"label": "All goals", "value": FILTER_ALL}]
    seen = set()
    for m in measures:
        if m.goal_slug not in seen:
            seen.add(m.goal_slug)
            options.append({"label": m.goal_title, "value": m.goal_slug})
    return options


def freshness_cell(freshness: str) -> html.Span:
    """The freshness of a figure as text; due and overdue figures stand out (text plus icon, not colour alone)."""
    if freshness == "overdue":
        return html.Span([html.Span("⚑", className="me-1", **{"aria-hidden": "true"}), "Overdue"],
                         className="badge text-bg-danger")
    if freshness == "due":
        return html.Span([html.Span("…", className="me-1", **{"aria-hidden": "true"}), "Due"],
                         className="badge text-bg-warning")
    return html.Span("Up to date", className="text-body-secondary")


def flag(text: str) -> html.Span:
    """A small outlined flag such as "Not published"."""
    return html.Span(text, className="badge text-bg-light border fw-normal ms-1")


def dashboard_summary(measures: Sequence[MeasureStatus], as_of: date,
                      goals: Sequence[GoalStatus] = ()) -> html.Div:
    """Counts by status plus the worklists (late, awaiting approval, unpublished) for the chosen goal(s)."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for m in measures:
        counts[m.status] += 1
    late = sum(m.freshness in ("due", "overdue") for m in measures)
    overdue = sum(m.freshness == "overdue" for m in measures)
    awaiting = sum(m.latest_state == "submitted" for m in measures)
    unpublished = sum(not m.published for m in measures)
    return html.Div(
        [
            html.P(f"{len(measures)} measures as of {month_label(as_of)}:", className="mb-1"),
            html.Ul(
                [html.Li([status_badge(s), html.Span(f" {counts[s]}", className="fw-semibold")],
                         className="list-inline-item me-3") for s in STATUS_ORDER],
                className="list-inline mb-1",
            ),
            html.P(
                f"Figures late: {late} ({overdue} overdue) · Awaiting approval: {awaiting} · "
                f"Not published: {unpublished}",
                className="small text-body-secondary mb-0",
            ),
            goal_status_list(goals) if goals else None,
        ],
        className="mb-3",
    )


def goal_status_list(goals: Sequence[GoalStatus]) -> html.Div:
    """Each goal's own status (the weakest of its measures), worst first."""
    ranked = sorted(goals, key=lambda g: STATUS_ORDER.index(g.status))
    return html.Div(
        [html.H2("Goals", className="h6 mt-3 mb-1"),
         html.Ul([html.Li([status_badge(g.status), " ", g.title], className="mb-1") for g in ranked],
                 className="list-unstyled mb-0 small")],
    )


def _dashboard_row(m: MeasureStatus) -> html.Tr:
    """One measure as a table row."""
    value = (format_value(m.latest_value, m.unit, m.decimals) if m.latest_value is not None else "No value yet")
    flags = [flag("Not published")] if not m.published else []
    value_flags = [flag("Awaiting approval")] if m.latest_state == "submitted" else []
    return html.Tr(
        [
            html.Td(m.goal_title, className="small"),
            html.Th([html.Span(m.name), *flags], scope="row", className="fw-semibold"),
            html.Td(m.department_name, className="small"),
            html.Td([html.Span(value, className="fw-semibold text-nowrap"), html.Br(),
                     html.Span(month_label(m.latest_period), className="small text-body-secondary"), *value_flags]),
            html.Td([status_badge(m.status), html.P(reason_beside_name(m), className="small mb-0 mt-1")]),
            html.Td(freshness_cell(m.freshness)),
            html.Td(m.forecast or "—", className="small"),
        ],
        className=f"status-{m.status.replace('_', '-')}",
    )


def dashboard_table(measures: Sequence[MeasureStatus], as_of: date, total: int) -> html.Div:
    """Every chosen measure in one accessible table, in the order given (worst first)."""
    if not measures:
        return alert("info", "No measures match these filters. Choose “All goals” and “All statuses” to see "
                             "every measure.")
    headers = ["Goal", "Measure", "Owner", "Latest value", "Status and reason", "Freshness", "Forecast"]
    return html.Div(
        html.Table(
            [
                html.Caption(f"{len(measures)} of {total} measures as of {month_label(as_of)}, worst first: off "
                             "track, at risk, late figures, no data, on track, achieved.",
                             className="caption-top"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                html.Tbody([_dashboard_row(m) for m in measures]),
            ],
            className="table table-sm align-top dashboard-table mb-0",
        ),
        **scroll_region("Measures table (scrolls sideways on small screens)"),
    )


# --- entry --------------------------------------------------------------------------------------------------------


def entry_month_options(today: date, count: int = 24) -> list[dict[str, str]]:
    """The current month and the `count` months before it, newest first (value ISO date)."""
    current = month_start(today)
    months = [add_months(current, -i) for i in range(count + 1)]
    return [{"label": month_label(m) + (" (this month)" if m == current else ""), "value": m.isoformat()}
            for m in months]


def measure_options(measures: Sequence[EnterableMeasure], *, show_department: bool) -> list[dict[str, str]]:
    """Select options for the measures a person may enter (value: measure id as text)."""
    return [
        {"label": f"{m.name} ({m.department_name})" if show_department else m.name, "value": str(m.id)}
        for m in measures
    ]


def _range_text(m: EnterableMeasure) -> str:
    """The valid range of a measure in its unit, e.g. "0 to 2,000"."""
    low = format_value(m.valid_min, m.unit, m.decimals) if m.valid_min is not None else "no minimum"
    high = format_value(m.valid_max, m.unit, m.decimals) if m.valid_max is not None else "no maximum"
    return f"{low} to {high}"


def state_badge(state: str) -> html.Span:
    """A review state as icon plus text."""
    icon, text, classes = STATE_TEXT[state]
    return html.Span([html.Span(icon, className="me-1", **{"aria-hidden": "true"}), text],
                     className=f"badge {classes}")


def _pair(term: str, value) -> list:
    """A term and its value for a Bootstrap grid description list."""
    return [html.Dt(term, className="col-sm-4 fw-normal text-body-secondary"),
            html.Dd(value, className="col-sm-8 mb-1")]


def stored_value_panel(measure: EnterableMeasure | None, period: date | None, stored: StoredValue | None,
                       *, refused: bool = False) -> list:
    """What is stored for the chosen measure and month, and how the measure is counted."""
    heading = html.H2("Stored figure", className="h5", id=ids.ENTRY_PANEL_HEADING)
    if refused:
        return [heading, alert("warning", "You may not enter values for that measure. Choose one from the list; "
                                          "it shows only your department's measures.")]
    if measure is None or period is None:
        return [heading, html.P("Choose a measure and a month to see what is stored for it.",
                                className="text-body-secondary")]
    if stored is None:
        status = [html.P([html.Strong(f"No value yet for {month_label(period)}."),
                          " Saving enters it; the performance team then approves it."], className="mb-2")]
    else:
        shown = format_value(stored.value, measure.unit, measure.decimals)
        rows = [
            *_pair("Value", html.Strong(shown)),
            *_pair("State", state_badge(stored.state)),
            *_pair("Entered", f"by {stored.entered_by or 'the data import'}, {when(stored.entered_at)}"),
        ]
        if stored.reviewed_by or stored.reviewed_at:
            rows += _pair("Reviewed", f"by {stored.reviewed_by or 'the performance team'}, {when(stored.reviewed_at)}")
        if stored.note:
            rows += _pair("Note", stored.note)
        status = [html.Dl(rows, className="row mb-2")]
        if stored.state == "returned":
            status.append(alert("warning", [html.Strong("Returned by the performance team: "),
                                            stored.review_note or "no reason recorded."], announce=False))
        status.append(html.P("This month has a figure: saving corrects it. Say why in “Reason for the change”.",
                             className="small mt-2 mb-0"))
    return [
        heading,
        html.H3(f"{measure.name}, {month_label(period)}", className="h6"),
        *status,
        html.H3("How this measure is counted", className="h6 mt-3"),
        html.Dl(
            [*_pair("Unit", UNIT_LABELS.get(measure.unit, measure.unit)), *_pair("Valid range", _range_text(measure)),
             *_pair("Definition", measure.definition), *_pair("Data source", measure.data_source),
             *_pair("Goal", measure.goal_title), *_pair("Reported by", measure.department_name)],
            className="row small mb-0",
        ),
    ]


def stale_details(stored: str | None, yours: str | None) -> html.Dl:
    """Both figures of a lost race side by side, so neither is lost."""
    return html.Dl(
        [html.Dt("Stored now", className="col-sm-4"), html.Dd(stored or "reload to see it", className="col-sm-8 mb-1"),
         html.Dt("Yours (not saved, still in the form)", className="col-sm-4"),
         html.Dd(yours or "—", className="col-sm-8 mb-0")],
        className="row mt-2 mb-0",
    )


# --- approvals ----------------------------------------------------------------------------------------------------


ALL_CHOICE = "all"
FLAG_ICON = "⚠"


def review_department_options(departments: Sequence[tuple[int, str]]) -> list[dict[str, str]]:
    """"All departments" plus one option per department (value: its id as text)."""
    return [{"label": "All departments", "value": ALL_CHOICE},
            *({"label": name, "value": str(department_id)} for department_id, name in departments)]


def review_month_options(months: Sequence[date]) -> list[dict[str, str]]:
    """"All months" plus each month that has values awaiting approval (value: ISO date)."""
    return [{"label": "All months", "value": ALL_CHOICE},
            *({"label": month_label(m), "value": m.isoformat()} for m in months)]


def flag_badges(flags: Sequence[str]) -> list[html.Span] | str:
    """The anomaly flags of a figure as text badges with an icon (never colour alone), or "None"."""
    if not flags:
        return "None"
    return [html.Span([html.Span(FLAG_ICON, className="me-1", **{"aria-hidden": "true"}), FLAG_LABELS[f]],
                      className="badge text-bg-warning fw-normal d-inline-block mb-1 me-1") for f in flags]


def _subject(item: QueueItem) -> str:
    return f"{item.measure_name}, {month_label(item.period)}"


def _select_cell(item: QueueItem) -> html.Td:
    """The row's selection checkbox, labelled with what it selects; disabled, with the reason, when not approvable."""
    select_id = {"type": ids.ADMIN_SELECT, "id": item.id, "version": item.version}
    return html.Td(
        dbc.Checkbox(id=select_id, value=False, disabled=item.blocked is not None,
                     label=f"Select {_subject(item)}", label_class_name="visually-hidden",
                     class_name="mb-0"),
        className="text-center",
    )


def _decision_cell(item: QueueItem) -> html.Td:
    """Approve, or return with a reason, one queued value (pattern-matching ids carry id and version)."""
    subject = _subject(item)
    reason_id = {"type": ids.ADMIN_RETURN_REASON, "id": item.id}
    action = {"type": ids.ADMIN_ACTION, "id": item.id, "version": item.version}
    if item.blocked is None:
        approve = [html.Button("Approve", id={**action, "op": "approve"}, type="button", n_clicks=0,
                               className="btn btn-success btn-sm mb-2", **{"aria-label": f"Approve {subject}"})]
    else:
        why_id = f"admin-blocked-{item.id}"
        approve = [
            html.Button("Approve", type="button", disabled=True, className="btn btn-success btn-sm mb-1",
                        **{"aria-label": f"Approve {subject}", "aria-describedby": why_id}),
            html.P(item.blocked, id=why_id, className="small mb-2 blocked-reason"),
        ]
    return html.Td(
        [
            *approve,
            html.Label("Reason to return", htmlFor=stringify(reason_id), className="form-label small mb-0 d-block"),
            html.Div(
                [
                    dbc.Input(id=reason_id, type="text", persistence=True, persistence_type="memory",
                              autoComplete="off"),
                    html.Button("Return", id={**action, "op": "return"}, type="button", n_clicks=0,
                                className="btn btn-outline-danger", **{"aria-label": f"Return {subject}"}),
                ],
                className="input-group input-group-sm",
            ),
        ],
        className="decision-cell",
    )


def stringify(component_id: dict) -> str:
    """The DOM id Dash gives a pattern-matching id (sorted keys, compact JSON), for <label for>."""
    return stringify_id(component_id)


def _queue_row(item: QueueItem) -> html.Tr:
    """One queued value as a table row: selection, figures side by side, flags and decision controls."""
    value = format_value(item.value, item.unit, item.decimals)
    previous = (format_value(item.previous_value, item.unit, item.decimals)
                if item.previous_value is not None else "No value")
    expected = (format_value(item.expected_value, item.unit, item.decimals)
                if item.expected_value is not None else "—")
    change = item.change
    notes = []
    if item.correction_reason:
        was = format_value(item.corrected_from, item.unit, item.decimals) if item.corrected_from is not None else "?"
        notes.append(html.P([html.Strong(f"Correction (was {was}): "), item.correction_reason], className="mb-1"))
    if item.note:
        notes.append(html.P(item.note, className="mb-0"))
    return html.Tr(
        [
            _select_cell(item),
            html.Th([item.measure_name, html.Span(item.department_name, className="d-block small fw-normal")],
                    scope="row"),
            html.Td(month_label(item.period), className="text-nowrap"),
            html.Td(html.Strong(value), className="text-nowrap"),
            html.Td([previous, html.Span(month_label(item.previous_period),
                                         className="d-block small text-body-secondary")], className="text-nowrap"),
            html.Td(signed_change(change, item.unit, item.decimals) if change is not None else "—",
                    className="text-nowrap"),
            html.Td(expected, className="text-nowrap"),
            html.Td(flag_badges(item.flags), className="small"),
            html.Td([item.entered_by or "Data import",
                     html.Span(when(item.entered_at), className="d-block small text-body-secondary")]),
            html.Td(notes or "—", className="small"),
            _decision_cell(item),
        ],
        className="flagged" if item.flags else None,
    )


QUEUE_HEADERS = ["Select", "Measure", "Month", "Value", "Previous month", "Change", "Expected", "Flags",
                 "Entered by", "Note", "Decision"]


def queue_table(items: Sequence[QueueItem], *, filtered: bool = False) -> html.Div:
    """The approvals queue as one table, or a plain message when it is empty."""
    if not items:
        text = ("Nothing is waiting for approval for this department and month. Choose “All departments” and “All "
                "months” to see everything that waits." if filtered else "Nothing is waiting for approval.")
        return html.P(text, className="lead fs-6 border rounded p-3 bg-body-tertiary")
    count = f"{len(items)} value{'s' if len(items) != 1 else ''} waiting for approval, oldest month first."
    flagged = sum(1 for i in items if i.flags)
    if flagged:
        count += f" {flagged} flagged: check them before approving."
    blocked = sum(1 for i in items if i.blocked)
    if blocked:
        count += f" {blocked} entered or corrected by you: another member of the team must approve those."
    return html.Div(
        html.Table(
            [
                html.Caption(count, className="caption-top"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in QUEUE_HEADERS])),
                html.Tbody([_queue_row(i) for i in items]),
            ],
            className="table table-sm align-top queue-table mb-0",
        ),
        **scroll_region("Values waiting for approval (scrolls sideways on small screens)"),
    )
