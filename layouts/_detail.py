"""Pure builders of the goal and measure pages and the not-found message: data in, Dash components out."""
from __future__ import annotations

from dash import dcc, html

from layouts._components import (
    freshness_badge,
    goal_status_line,
    html_text,
    status_badge,
    status_summary,
    table_html,
)
from layouts.figures import progress_chart
from layouts.html_block import HtmlBlock
from models.progress import expected_value, format_month, format_value
from models.queries import GoalDetail, MeasureDetail

# The goal page's table under each chart covers the recent months; the measure page has every month.
GOAL_TABLE_MONTHS = 12
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}


def not_found_body() -> html.Div:
    """The one message for an address with nothing public behind it (unknown or unpublished look the same)."""
    return html.Div(
        [
            html.H1("Page not found", className="h3"),
            html.P("There is no public page at this address. The link may be mistyped, or the page may have moved."),
            html.P(["Every published goal and measure is listed on the ",
                    dcc.Link("progress page", href="/"), ". ",
                    dcc.Link("How the figures are worked out", href="/about"), " explains status and forecasts."]),
        ],
        className="not-found",
    )


def _fmt(detail: MeasureDetail, value: float | None) -> str:
    """A value in the measure's unit, or a dash for none."""
    if value is None:
        return "–"
    return format_value(value, detail.status.unit, detail.status.decimals)


def status_rule(detail: MeasureDetail) -> str:
    """How this measure's status is worked out, in plain words, from its trajectory, direction and tolerances."""
    spec = detail.spec
    on_track = round((1 - spec.on_track_tolerance) * 100)
    at_risk = round((1 - spec.at_risk_tolerance) * 100)
    target = _fmt(detail, spec.target_value)
    if spec.trajectory == "constant":
        bound = "at most" if spec.direction == "decrease" else "at least"
        return (f"The target is {bound} {target} every month. The latest month's figure is on track when it "
                f"reaches {on_track}% of that standard, at risk from {at_risk}%, and off track below that.")
    plan = ("a straight line" if spec.trajectory == "linear" else "a line through the interim milestones")
    better = "falls" if spec.direction == "decrease" else "rises"
    return (f"The plan runs as {plan} from the baseline of {_fmt(detail, spec.baseline_value)} in "
            f"{format_month(spec.baseline_period)} to the target of {target} by {format_month(spec.target_period)}; "
            f"this measure improves as it {better}. The latest figure is compared with the change the plan expected "
            f"by that month: on track at {on_track}% of it or more, at risk from {at_risk}%, otherwise off track. "
            "It is achieved once the final target is met.")


def chart_figure(detail: MeasureDetail, *, staff: bool = False, height: int = 380) -> html.Figure:
    """The progress chart with its reason as the caption; the chart is an image whose words are the caption."""
    status = detail.status
    return html.Figure(
        [
            html.Div(
                dcc.Graph(figure=progress_chart(detail, staff=staff, height=height), config=GRAPH_CONFIG,
                          style={"height": f"{height}px"}, className="progress-chart"),
                role="img",
                **{"aria-label": f"Progress chart of {status.name}. {status.reason} The table of every month "
                                 "below gives the same figures."},
            ),
            html.Figcaption([status.reason, " ", status.forecast or ""], className="small text-body-secondary"),
        ],
        className="mb-3",
    )


def events_list(detail: MeasureDetail) -> html.Div | None:
    """The events the chart numbers, in full, with their sources."""
    if not detail.annotations:
        return None
    # The chart starts at the baseline (or the first figure, if earlier); events before that are listed, not drawn.
    starts = min([detail.spec.baseline_period, *(p.period for p in detail.values[:1])])
    return html.Div(
        [
            html.H2("Events", className="h5 mt-3"),
            html.Ol([html.Li([f"{format_month(note.event_date)}: {note.text} ",
                              html.Span(f"Source: {note.citation}.", className="text-body-secondary"),
                              " (before the chart begins)" if note.event_date.replace(day=1) < starts else None])
                     for note in detail.annotations], className="small"),
        ]
    )


def values_table(detail: MeasureDetail, *, staff: bool = False, last: int | None = None) -> html.Div:
    """Each month's figure beside the plan for that month, newest first: the chart's accessible alternative.

    Every month by default; `last` keeps only the most recent months (the goal page, whose measure pages have all).
    """
    spec = detail.spec
    points = detail.values[-last:] if last else detail.values
    if not points:
        return html.P("No figures have been published for this measure yet.")
    rows = [[html_text(cell) for cell in (
        format_month(point.period), _fmt(detail, point.value), _fmt(detail, expected_value(spec, point.period)),
        *(["Approved" if point.state == "approved" else "Awaiting approval"] if staff else []),
    )] for point in reversed(points)]
    return html.Div(
        HtmlBlock(table_html(
            f"{detail.status.name}: {'the last ' + str(len(points)) if last else 'every'} month's figure and the "
            "plan's value, newest first.",
            ["Month", "Figure", "Plan for the month", *(["State"] if staff else [])], rows,
            class_name="table table-sm table-striped values-table mb-0",
        )),
        className="table-responsive values-table-wrap",
        tabIndex="0",
        role="region",
        **{"aria-label": f"Every month's figure: {detail.status.name}"},
    )


def corrections_block(detail: MeasureDetail) -> html.Div:
    """Corrections made after a figure was first published: old and new value, date and reason."""
    if not detail.corrections:
        return html.P("No published figure of this measure has been corrected.", className="small")
    return html.Div(
        html.Table(
            [
                html.Caption("Published figures that were later corrected, newest first."),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                    ("Month", "Was", "Now", "Corrected on", "Reason")])),
                html.Tbody([
                    html.Tr([html.Th(format_month(c.period), scope="row"), html.Td(_fmt(detail, c.old_value)),
                             html.Td(_fmt(detail, c.new_value)), html.Td(c.corrected_on.strftime("%d %B %Y")),
                             html.Td(c.reason)])
                    for c in detail.corrections
                ]),
            ],
            className="table table-sm corrections-table mb-0",
        ),
        className="table-responsive",
    )


def plan_changes_block(detail: MeasureDetail) -> html.Div:
    """Changes to the target, baseline, milestones or definition since publication, newest first, with reasons."""
    if not detail.plan_changes:
        return html.P("The target, baseline, milestones and definition have not changed since this measure was "
                      "published.", className="small")
    items = []
    for change in detail.plan_changes:
        item: list = [change.text]
        if change.kind == "definition":
            item.append(html.Span(f" (It was: “{change.before.get('text', '')}”)", className="text-body-secondary"))
        items.append(html.Li(item, className="mb-1"))
    return html.Ul(items, className="small plan-changes")


def facts(detail: MeasureDetail) -> html.Dl:
    """Latest figure, target, owner, source, citation, last update and next update due."""
    status = detail.status
    latest = (f"{_fmt(detail, status.latest_value)} in {format_month(status.latest_period)}"
              if status.latest_period else "No figure yet")
    next_due = f"{format_month(detail.next_period)} figure, due {detail.next_due.strftime('%d %B %Y').lstrip('0')}"
    if detail.next_is_late:
        next_due += " (late)"
    items = [
        ("Latest figure", latest),
        ("Target", f"{_fmt(detail, status.target_value)} by {format_month(status.target_period)}"),
        ("Baseline", f"{_fmt(detail, status.baseline_value)} in {format_month(status.baseline_period)}"),
        ("Progress", f"{round(status.progress * 100)}% of the way from baseline to target"
         if status.progress is not None else "Not defined for this measure"),
        ("Reported by", status.department_name),
        ("Data source", status.data_source),
        ("Baseline and target from", status.citation),
        ("Last updated", f"Figures through {format_month(status.latest_period)}" if status.latest_period
         else "No figures yet"),
        ("Next update due", next_due),
    ]
    children = []
    for term, value in items:
        children += [html.Dt(term, className="col-sm-4 fw-normal text-body-secondary"),
                     html.Dd(value, className="col-sm-8 mb-1")]
    return html.Dl(children, className="row small measure-facts")


def measure_page(detail: MeasureDetail, *, staff: bool = False) -> html.Div:
    """A measure's page: chart with its reason, facts, definition, status rule, every month, corrections."""
    status = detail.status
    return html.Div(
        [
            html.Nav(html.Ol([
                html.Li(dcc.Link("Progress", href="/"), className="breadcrumb-item"),
                html.Li(dcc.Link(status.goal_title, href=f"/goals/{status.goal_slug}"), className="breadcrumb-item"),
            ], className="breadcrumb small mb-2"), **{"aria-label": "Breadcrumb"}),
            html.H1(status.name, className="h3"),
            html.Div([status_badge(status.status), freshness_badge(status.freshness)], className="mb-2"),
            chart_figure(detail, staff=staff),
            events_list(detail),
            html.H2("Facts", className="h5 mt-3"),
            facts(detail),
            html.H2("Changes to the plan", className="h5 mt-3"),
            plan_changes_block(detail),
            html.H2("How it is counted", className="h5 mt-3"),
            html.P(status.definition),
            html.H2("How the status is worked out", className="h5 mt-3"),
            html.P([status_rule(detail), " ", dcc.Link("More on status, progress and forecasts", href="/about"),
                    "."]),
            html.H2("Every month", className="h5 mt-3"),
            values_table(detail, staff=staff),
            html.H2("Corrections after publication", className="h5 mt-4"),
            corrections_block(detail),
        ],
        className="measure-page",
    )


def goal_page(goal: GoalDetail) -> html.Div:
    """A goal's page: summary, lead department, status counts and each measure's chart and reason."""
    sections = []
    for detail in goal.measures:
        status = detail.status
        heading_id = f"measure-{status.slug}"
        sections.append(html.Section(
            [
                html.H2(dcc.Link(status.name, href=f"/measures/{status.slug}"), id=heading_id, className="h5 mt-4"),
                html.Div([status_badge(status.status), freshness_badge(status.freshness)], className="mb-2"),
                chart_figure(detail, height=320),
                html.Details([html.Summary(f"Figures of the last {min(len(detail.values), GOAL_TABLE_MONTHS)} months"),
                              values_table(detail, last=GOAL_TABLE_MONTHS)], className="small mb-2"),
                html.P(dcc.Link(["Figures for every month, sources and corrections",
                                 html.Span(f" for {status.name}", className="visually-hidden")],
                                href=f"/measures/{status.slug}"), className="small"),
            ],
            className="goal-measure border-top pt-2",
            **{"aria-labelledby": heading_id},
        ))
    if not sections:
        sections = [html.P("No measures of this goal are published yet.")]
    return html.Div(
        [
            html.Nav(html.Ol([html.Li(dcc.Link("Progress", href="/"), className="breadcrumb-item")],
                             className="breadcrumb small mb-2"), **{"aria-label": "Breadcrumb"}),
            html.H1(goal.title, className="h3"),
            html.P(goal.summary, className="lead fs-6"),
            html.P(f"Lead: {goal.department_name}", className="small text-body-secondary"),
            goal_status_line(goal) if goal.measures else None,  # GoalDetail has the fields it reads
            status_summary(goal.status_counts, goal.as_of),
            *sections,
        ],
        className="goal-page",
    )
