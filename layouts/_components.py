"""Pure building blocks shared by pages: status badges, measure cards, goal sections, the page shell."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from html import escape

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.html_block import HtmlBlock
from models.progress import FRESHNESS_LABELS, STATUS_LABELS, format_value
from models.queries import STATUS_ORDER, GoalStatus, MeasureStatus, Overview

# Status is always text plus an icon, never colour alone; the icon is decorative (aria-hidden).
STATUS_STYLE = {
    "achieved": ("★", "text-bg-primary"),
    "on_track": ("✓", "text-bg-success"),
    "at_risk": ("!", "text-bg-warning"),
    "off_track": ("✕", "text-bg-danger"),
    "no_data": ("–", "text-bg-secondary"),
}
FRESHNESS_STYLE = {"current": "text-bg-light border", "due": "text-bg-light border", "overdue": "text-bg-dark"}


def month_label(period: date | None) -> str:
    """"October 2026" for a period, "no data" for None."""
    return period.strftime("%B %Y") if period else "no data"


def reason_beside_name(measure: MeasureStatus) -> str:
    """The status reason without its leading "<measure name>: ", for places that already show the name."""
    prefix = f"{measure.name.strip().rstrip('.')}: "
    if not measure.reason.startswith(prefix):
        return measure.reason
    rest = measure.reason[len(prefix):]
    return rest[:1].upper() + rest[1:]


def status_badge(status: str) -> html.Span:
    """A badge with icon and text for a status."""
    icon, classes = STATUS_STYLE[status]
    return html.Span(
        [html.Span(icon, className="me-1", **{"aria-hidden": "true"}), STATUS_LABELS[status]],
        className=f"badge rounded-pill {classes} status-badge",
    )


def freshness_badge(freshness: str) -> html.Span | None:
    """A badge for due/overdue figures; nothing when the figure is up to date."""
    if freshness == "current":
        return None
    return html.Span(f"Figure {FRESHNESS_LABELS[freshness].lower()}", className=f"badge {FRESHNESS_STYLE[freshness]} ms-2")


@lru_cache(maxsize=2048)
def sparkline_html(measure: MeasureStatus) -> str:
    """A card's recent trend as a small static SVG image (a `data:` URI), named in words by its text alternative;
    built once per measure status (a status is immutable and hashable).

    An image, not a plotly graph: the browser draws it with no chart library.
    """
    from layouts.figures import sparkline_data_uri, sparkline_label

    return (f'<img src="{escape(sparkline_data_uri(measure), quote=True)}" alt="{html_text(sparkline_label(measure))}" '
            'class="sparkline mb-2" height="44">')


def badge_html(status: str) -> str:
    """`status_badge` as HTML, for cards and tables drawn as one component."""
    icon, classes = STATUS_STYLE[status]
    return (f'<span class="badge rounded-pill {classes} status-badge"><span class="me-1" aria-hidden="true">{icon}'
            f"</span>{html_text(STATUS_LABELS[status])}</span>")


def _progress_html(measure: MeasureStatus) -> str:
    """An accessible progress bar toward the target, its filled part a background gradient ("" when progress is
    undefined)."""
    if measure.progress is None:
        return ""
    percent = round(measure.progress * 100)
    return (f'<div class="progress progress-flat mt-2" role="progressbar" style="background-image: linear-gradient('
            f'to right, var(--bs-progress-bar-bg) {percent}%, transparent {percent}%)" aria-label="Progress toward '
            f'the target of {html_text(measure.name)}" aria-valuenow="{percent}" aria-valuemin="0" '
            f'aria-valuemax="100" aria-valuetext="{percent}% of the way to the target"></div>')


def measure_card_html(measure: MeasureStatus, *, internal: bool = False) -> str:
    """One measure's card as HTML: name (linking to its page on the public side), status with reason, the recent
    trend, latest value, target, progress, forecast, and how it is counted and where it comes from.

    HTML rather than ~24 Dash components: see `HtmlBlock`. Every text is escaped with `html_text`.
    """
    text = html_text
    name = text(measure.name)
    value = (format_value(measure.latest_value, measure.unit, measure.decimals)
             if measure.latest_value is not None else "No value yet")
    target = format_value(measure.target_value, measure.unit, measure.decimals)
    badges = badge_html(measure.status)
    if measure.freshness != "current":
        badges += (f'<span class="badge {FRESHNESS_STYLE[measure.freshness]} ms-2">'
                   f"Figure {text(FRESHNESS_LABELS[measure.freshness].lower())}</span>")
    if internal and not measure.published:
        badges += '<span class="badge text-bg-light border ms-2">Not published</span>'
    if internal and measure.latest_state == "submitted":
        badges += '<span class="badge text-bg-light border ms-2">Awaiting approval</span>'
    sparkline = "" if internal else sparkline_html(measure)
    # data-page-link: the measure's page opens in place, without reloading the app (see `HtmlBlock`).
    title = name if internal else f'<a href="/measures/{text(measure.slug)}" data-page-link>{name}</a>'
    label = 'class="col-5 col-sm-4 fw-normal text-body-secondary"'
    figure = 'class="col-7 col-sm-8 mb-1"'
    forecast = (f'<p class="small text-body-secondary mt-2 mb-1">{text(measure.forecast)}</p>'
                if measure.forecast else "")
    return (
        f'<article class="measure-card border rounded p-3 h-100 bg-body" id="measure-{text(measure.slug)}">'
        f'<h3 class="h6 mb-1">{title}</h3>'
        f'<div class="mb-2">{badges}</div>'
        f'<p class="mb-2">{text(reason_beside_name(measure))}</p>'
        f"{sparkline}"
        f'<dl class="row small mb-0"><dt {label}>Latest</dt>'
        f"<dd {figure}>{text(value)} ({month_label(measure.latest_period)})</dd>"
        f"<dt {label}>Target</dt><dd {figure}>{text(target)} by {month_label(measure.target_period)}</dd></dl>"
        f"{_progress_html(measure)}{forecast}"
        # Each toggle names its measure: two dozen identical "How this is counted" would be indistinguishable in
        # a screen reader's list of controls.
        '<details class="small mt-2"><summary>How this is counted and where it comes from'
        f'<span class="visually-hidden">: {name}</span></summary>'
        f'<p class="mb-1">{text(measure.definition)}</p>'
        f'<p class="mb-0">Reported by {text(measure.department_name)}. Data source: {text(measure.data_source)}. '
        f"Baseline and target: {text(measure.citation)}.</p></details></article>"
    )


def status_summary(counts: dict[str, int], as_of: date) -> html.Div:
    """A row of status counts for a month."""
    items = [
        html.Li([status_badge(status), html.Span(f" {counts.get(status, 0)}", className="fw-semibold")],
                className="list-inline-item me-3")
        for status in STATUS_ORDER
    ]
    return html.Div(
        [html.P(f"Status of measures as of {month_label(as_of)}:", className="mb-1"),
         html.Ul(items, className="list-inline mb-0")],
        className="mb-3",
    )


def goal_status_line(goal: GoalStatus) -> html.P:
    """The goal's own status (the worst of its measures with data) and the counts behind it, in words."""
    counted = [f"{n} {STATUS_LABELS[s].lower()}" for s, n in goal.status_counts.items() if n]
    return html.P(
        [html.Span("Goal status: ", className="fw-semibold"), status_badge(goal.status),
         html.Span(f" — the weakest of its {len(goal.measures)} measure{'s' if len(goal.measures) != 1 else ''} "
                   f"({', '.join(counted)})", className="small text-body-secondary")],
        className="mb-2 goal-status",
    )


def goal_section(goal: GoalStatus, *, internal: bool = False) -> html.Section:
    """A goal with its plain-language summary and a card per measure."""
    heading_id = f"goal-{goal.slug}"
    flag = [html.Span("Not published", className="badge text-bg-light border ms-2 align-middle")] \
        if internal and not goal.published else []
    return html.Section(
        [
            html.H2([goal.title if internal else dcc.Link(goal.title, href=f"/goals/{goal.slug}"), *flag],
                    id=heading_id, className="h4 mt-4"),
            goal_status_line(goal),
            html.P(goal.summary, className="lead fs-6"),
            html.P(f"Lead: {goal.department_name}", className="small text-body-secondary"),
            # A CSS grid (1, 2 or 3 columns by width) of cards, all of them one component (see `HtmlBlock`).
            HtmlBlock("".join(measure_card_html(m, internal=internal) for m in goal.measures),
                      className="measure-grid mb-3"),
        ],
        **{"aria-labelledby": heading_id},
    )


def status_counts_text(goal: GoalStatus) -> str:
    """A goal's measures counted by status, in words: "10 measures: 3 on track, 2 at risk, 5 off track"."""
    count = len(goal.measures)
    counted = [f"{n} {STATUS_LABELS[s].lower()}" for s, n in goal.status_counts.items() if n]
    return f"{count} measure{'s' if count != 1 else ''}" + (f": {', '.join(counted)}" if counted else "")


GOAL_TABLE_HEADING = "goal-table-heading"


def html_text(value: str) -> str:
    """Text as HTML text (and as an attribute's value): escaped, its white space runs as single spaces."""
    return escape(" ".join(str(value).split()), quote=True)


Cell = str | tuple[str, str]  # a cell's HTML, or (its class, its HTML)


def _cell(tag: str, cell: Cell, scope: str = "") -> str:
    """One cell's HTML (`scope` for a header cell)."""
    class_name, content = cell if isinstance(cell, tuple) else ("", cell)
    attributes = (f' scope="{scope}"' if scope else "") + (f' class="{class_name}"' if class_name else "")
    return f"<{tag}{attributes}>{content}</{tag}>"


def table_html(caption: str, heads: Sequence[str], rows: Iterable[Sequence[Cell]], *, class_name: str,
               row_headers: bool = True) -> str:
    """A data table's HTML: its caption, column headers, and one row per item, the first cell heading the row
    (unless `row_headers` is False).

    Cells are HTML already (escape text with `html_text`); see `HtmlBlock` for why a table is HTML at all."""
    head = "".join(f'<th scope="col">{html_text(name)}</th>' for name in heads)
    first_cell = (lambda cell: _cell("th", cell, "row")) if row_headers else (lambda cell: _cell("td", cell))
    body = "".join(f'<tr>{first_cell(first)}{"".join(_cell("td", cell) for cell in rest)}</tr>'
                   for first, *rest in rows)
    return (f'<table class="{class_name}"><caption>{html_text(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def goal_table_html(goals: list[GoalStatus]) -> str:
    """The goal table's HTML: a caption, column headers, and a row per goal headed by its title, which links to the
    goal's page (opening in place: `data-page-link`). Every catalog text is escaped."""
    count = len(goals)
    return table_html(
        f"{count} more goal{'s' if count != 1 else ''}: the status of each (the weakest of its measures with data) "
        "and its measures by status. A goal's page shows every measure.",
        ("Goal", "Goal status", "Measures by status"),
        ([f'<a href="/goals/{html_text(goal.slug)}" data-page-link>{html_text(goal.title)}</a>',
          (f"goal-status-cell status-{goal.status}", html_text(STATUS_LABELS[goal.status])),
          html_text(status_counts_text(goal))] for goal in goals),
        class_name="table table-sm goal-table caption-top mb-0",
    )


def goal_table(goals: list[GoalStatus]) -> html.Section:
    """Goals in brief, as one table: each goal's title (linking to its page, which has every measure's card), its
    status in words and its measures counted by status.

    The table is one component (`HtmlBlock`): a state-wide program has a hundred goals.
    """
    return html.Section(
        [
            html.H2("More goals", id=GOAL_TABLE_HEADING, className="h4 mt-4"),
            html.Div(
                HtmlBlock(goal_table_html(goals), className="goal-table-wrap"),
                className="table-responsive",  # scrolls sideways on a phone; its links take keyboard focus
            ),
        ],
        className="goal-digest", **{"aria-labelledby": GOAL_TABLE_HEADING},
    )


def overview_sections(data: Overview, *, internal: bool = False, card_budget: int | None = None) -> list:
    """Status summary plus every goal section, or a clear message when nothing is published.

    With `card_budget`, goals show their measures' cards while the cards shown so far stay within the budget; that
    goal and every later one are then listed in one table, linking to their pages (a state-wide program's page would
    otherwise be a thousand cards that a browser cannot draw quickly).
    """
    if not data.goals:
        return [dbc.Alert("No goals are published yet. Check back after the next monthly update.", color="info")]
    sections, shown, brief = [], 0, []
    for goal in data.goals:
        if brief or (card_budget is not None and shown + len(goal.measures) > card_budget):
            brief.append(goal)
            continue
        sections.append(goal_section(goal, internal=internal))
        shown += len(goal.measures)
    return [status_summary(data.status_counts, data.as_of), *sections, *([goal_table(brief)] if brief else [])]


def month_options(today: date, earliest: date | None = None) -> list[dict[str, str]]:
    """Options for every complete month from the latest back to `earliest` (the first month with data), newest
    first (value: ISO date); only the latest month when `earliest` is unknown."""
    from models.progress import add_months, last_complete_month, months_between

    latest = last_complete_month(today)
    count = 1 if earliest is None else max(1, months_between(earliest, latest) + 1)
    months = [add_months(latest, -i) for i in range(count)]
    return [{"label": month_label(m), "value": m.isoformat()} for m in months]


def month_picker(component_id: str, today: date, label: str = "Show progress as of") -> html.Div:
    """A labelled native month select defaulting to the last complete month; a callback adds the earlier months."""
    options = month_options(today)
    # A native <select>: named by its <label>, operable by keyboard and screen readers everywhere, nothing hidden
    # that takes focus (Dash 4's dropdown keeps an aria-hidden focus proxy that axe-core rightly flags).
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="form-label mb-1"),
            dbc.Select(id=component_id, options=options, value=options[0]["value"]),
        ],
        className="mb-3",
        style={"maxWidth": "22rem"},
    )


def nav_links(role: str | None) -> list[tuple[str, str]]:
    """(label, href) of the pages a role may use, in header order."""
    links = [("Progress", "/")]
    if role in ("viewer", "editor", "admin"):
        links.append(("Dashboard", "/dashboard"))
        links.append(("Submissions", "/dashboard/submissions"))
    if role in ("editor", "admin"):
        links.append(("Enter figures", "/entry"))
    if role == "admin":
        links.append(("Approvals", "/review"))
        links.append(("Reports", "/admin/feedback"))
        links.append(("Admin", "/admin"))
    return links


def shell(page_container, *, role: str | None, display_name: str | None, role_label: str | None,
          form_token: str | None = None) -> html.Div:
    """The page frame: skip link, header with navigation for the role, main landmark, footer; `form_token` is the
    session's CSRF token for the sign-out form."""
    nav_items = [dbc.NavItem(dbc.NavLink(label, href=href, active="exact")) for label, href in nav_links(role)]
    if role is None:
        account = html.A("Sign in", href="/login", className="btn btn-outline-light btn-sm", id="nav-sign-in")
    else:
        # The person's own things: their API tokens (for people who may write figures), then who they are.
        tokens_link = (dcc.Link("API tokens", href="/account/tokens", className="link-light small me-3",
                                id="nav-tokens") if role in ("editor", "admin") else None)
        account = html.Form(
            [
                tokens_link,
                html.Span([display_name, html.Span(f" · {role_label}", className="d-none d-md-inline")],
                          className="text-light small me-2"),
                dcc.Input(type="hidden", name="csrf_token", value=form_token or ""),
                html.Button("Sign out", type="submit", className="btn btn-outline-light btn-sm", id="nav-sign-out"),
            ],
            action="/logout", method="POST", className="d-flex align-items-center mb-0",
        )
    return html.Div(
        [
            html.A("Skip to main content", href="#main", className="visually-hidden-focusable skip-link"),
            html.Header(
                html.Nav(
                    dbc.Container(
                        [
                            html.A("RecoveryStat", href="/", className="navbar-brand"),
                            dbc.Nav(nav_items, navbar=True, className="navbar-nav me-auto flex-row gap-2", id=ids.NAV),
                            account,
                        ],
                        fluid="lg",
                        className="flex-wrap",
                    ),
                    className="navbar navbar-expand navbar-dark bg-dark mb-3",
                    **{"aria-label": "Main"},
                ),
            ),
            html.Main(
                dbc.Container([html.Div(id=ids.APP_ALERT), page_container],  # the alert inside says role="alert"
                              fluid="lg"),
                id="main", tabIndex="-1",
            ),
            html.Footer(
                dbc.Container(
                    html.P(
                        ["RecoveryStat — East Baton Rouge City-Parish flood recovery goals, tracked monthly and "
                         "shared openly. Figures in this data set are illustrative unless a source is named. ",
                         html.A("Open data and API", href="/developers"), " · ",
                         html.A("Data catalog (data.json)", href="/data.json")],
                        className="small text-body-secondary mb-0",
                    ),
                    fluid="lg",
                ),
                className="border-top py-3 mt-4",
            ),
        ]
    )
