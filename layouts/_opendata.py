"""Pure builders of the open-data pieces: the report-a-problem form, the admin list of reports, the data
dictionary table and the API endpoint list."""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts._worklists import labelled
from models.dictionary import Column
from models.feedback import MAX_EMAIL_LENGTH, MAX_MESSAGE_LENGTH, MAX_REPLY_LENGTH, Feedback
from models.progress import format_month
from models.queries import PublicReply


def report_form(measure_slug: str | None, months: list[date], *, hidden: bool = True) -> html.Section:
    """"Report a problem with this number": what looks wrong, which month, an optional email; no account needed.

    Part of the measure page's layout (so its callback's ids always exist); hidden until the page has found a
    published measure.
    """
    month_choices = [{"label": "No particular month", "value": ""}] + [
        {"label": format_month(m), "value": m.isoformat()} for m in months]
    return html.Section(
        [
            html.H2("Report a problem with this number", className="h5", id="report-heading"),
            html.P("If a figure on this page looks wrong, tell the performance team. You do not need an account. "
                   "Your report is read by City-Parish staff and is not published; an answer may be shown on this "
                   "page.", className="small"),
            dcc.Store(id=ids.PUB_REPORT_MEASURE, data=measure_slug),
            # A native <select> (Bootstrap's): Dash's own dropdown carries a hidden focus proxy that axe rejects.
            labelled("Which month?", dbc.Select(id=ids.PUB_REPORT_MONTH, options=month_choices,
                                                value=months[0].isoformat() if months else ""),
                     ids.PUB_REPORT_MONTH),
            labelled("What looks wrong?",
                     dcc.Textarea(id=ids.PUB_REPORT_MESSAGE, maxLength=MAX_MESSAGE_LENGTH, required=True,
                                  className="form-control", style={"minHeight": "6rem"}),
                     ids.PUB_REPORT_MESSAGE, hint=f"At least a few words, up to {MAX_MESSAGE_LENGTH:,} characters."),
            labelled("Your email (optional)",
                     dcc.Input(id=ids.PUB_REPORT_EMAIL, type="email", maxLength=MAX_EMAIL_LENGTH,
                               autoComplete="email", className="form-control"),
                     ids.PUB_REPORT_EMAIL, hint="Only if you would like an answer. It is never published."),
            html.Button("Send report", id=ids.PUB_REPORT_SEND, n_clicks=0, className="btn btn-primary"),
            html.Div(id=ids.PUB_REPORT_RESULT, className="mt-3"),
        ],
        id=ids.PUB_REPORT_SECTION,
        hidden=hidden,
        className="border rounded p-3 mt-4",
        **{"aria-labelledby": "report-heading"},
    )


def public_replies(replies: list[PublicReply]) -> html.Section | None:
    """The performance team's public answers to residents' reports about a measure (plain text)."""
    if not replies:
        return None
    return html.Section(
        [
            html.H2("Answers to residents' reports", className="h5", id="replies-heading"),
            html.Ul([
                html.Li([
                    html.Span(f"{format_month(r.period)}: " if r.period else "", className="fw-semibold"),
                    r.reply,
                    html.Span(f" (answered {r.replied_on:%B} {r.replied_on.day}, {r.replied_on.year})"
                              if r.replied_on else "", className="text-body-secondary small"),
                ], className="mb-2")
                for r in replies
            ], className="list-unstyled"),
        ],
        className="mt-4",
        **{"aria-labelledby": "replies-heading"},
    )


def reports_table(items: list[Feedback]) -> html.Div:
    """Residents' reports for the performance team: open ones with a reply box and a Resolve button."""
    if not items:
        return html.P("No reports to show.", className="text-body-secondary")
    rows = []
    for item in items:
        received = item.created_at
        reply_id = {"type": ids.ADMIN_REPORT_REPLY, "id": item.id}
        if item.state == "open":
            action = html.Div([
                # The textarea sits inside its label: a pattern-matching id cannot be named by htmlFor.
                html.Label([
                    html.Span(f"Public reply to report #{item.id} (optional, shown on the measure page)",
                              className="d-block small mb-1"),
                    dcc.Textarea(id=reply_id, maxLength=MAX_REPLY_LENGTH, className="form-control form-control-sm",
                                 style={"minHeight": "4rem"}),
                ], className="w-100"),
                html.Button("Resolve", id={"type": ids.ADMIN_REPORT_RESOLVE, "id": item.id}, n_clicks=0,
                            className="btn btn-sm btn-success mt-2",
                            **{"aria-label": f"Resolve report {item.id}"}),
            ])
        else:
            action = html.Div([
                html.Span("Resolved", className="badge text-bg-secondary"),
                html.P(["Public reply: ", item.public_reply] if item.public_reply else "No public reply.",
                       className="small mb-0 mt-1"),
            ])
        rows.append(html.Tr([
            html.Th([html.Span(f"#{item.id} "), f"{received:%Y-%m-%d}" if received else ""], scope="row"),
            html.Td([html.A(item.measure.name, href=f"/measures/{item.measure.slug}"),
                     html.Div(format_month(item.period) if item.period else "No particular month",
                              className="small text-body-secondary")]),
            # A resident's words: a plain string child, which React renders as text, never as HTML.
            html.Td(html.P(item.message, className="mb-0", style={"whiteSpace": "pre-wrap"})),
            html.Td(item.email or "—"),
            html.Td(action),
        ]))
    return html.Div(html.Table([
        html.Caption("Residents' reports, open first, newest first"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("Report", "Measure and month", "What looks wrong", "Email", "Resolve")])),
        html.Tbody(rows),
    ], className="table table-sm align-top queue-table"), className="table-responsive")


def dictionary_table(columns: tuple[Column, ...]) -> html.Table:
    """The data dictionary as a table: column name, type, meaning."""
    return html.Table([
        html.Caption("Columns of every values download (CSV and JSON), in order"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Column", "Type", "Meaning")])),
        html.Tbody([html.Tr([html.Th(html.Code(c.name), scope="row"), html.Td(c.type), html.Td(c.meaning)])
                    for c in columns]),
    ], className="table table-sm")


ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("/api/v1/goals", "Published goals with how many measures are in each status.", "/api/v1/goals"),
    ("/api/v1/goals/<slug>", "One goal with its measures in full.", "/api/v1/goals/bring-families-home"),
    ("/api/v1/measures", "Published measures; filter with goal, status (achieved, on_track, at_risk, off_track, "
     "no_data) and department.", "/api/v1/measures?goal=bring-families-home&status=off_track"),
    ("/api/v1/measures/<slug>", "One measure: definition, plan, latest approved figure, status and the reason.",
     "/api/v1/measures/ocd-rental-units-repaired"),
    ("/api/v1/measures/<slug>/values", "Every approved month of a measure with its status that month (JSON); "
     "from and to take months (YYYY-MM).", "/api/v1/measures/ocd-rental-units-repaired/values?from=2026-01"),
    ("/api/v1/measures/<slug>/values.csv", "The same as a CSV download.",
     "/api/v1/measures/ocd-rental-units-repaired/values.csv"),
    ("/api/v1/values.csv", "Every approved value of every published measure in one long table (CSV).",
     "/api/v1/values.csv"),
    ("/api/v1/values.json", "The same table as JSON.", "/api/v1/values.json?from=2026-01"),
    ("/api/v1/revisions", "Published figures corrected after first publication: old and new value, date, reason.",
     "/api/v1/revisions"),
    ("/api/v1/dictionary.csv", "The data dictionary (also as dictionary.json).", "/api/v1/dictionary.csv"),
    ("/api/v1/openapi.json", "This API described in OpenAPI 3.1.", "/api/v1/openapi.json"),
    ("/data.json", "DCAT-US 1.1 catalog for open-data portals: one dataset per published measure plus the whole "
     "table.", "/data.json"),
    ("/embed/measures/<slug>", "A measure's status, reason and recent figures for your own page (iframe).",
     "/embed/measures/ocd-rental-units-repaired"),
)


def endpoint_table() -> html.Table:
    """Every address of the API with what it returns and an example link."""
    return html.Table([
        html.Caption("Addresses (all GET, JSON unless the name ends in .csv)"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Address", "Returns", "Example")])),
        html.Tbody([html.Tr([html.Th(html.Code(path), scope="row"), html.Td(what),
                             html.Td(html.A(html.Code(example), href=example))])
                    for path, what, example in ENDPOINTS]),
    ], className="table table-sm align-top")


def embed_snippet(base_url: str, slug: str) -> str:
    """The iframe code a site pastes to show a measure."""
    return (f'<iframe src="{base_url}/embed/measures/{slug}" title="Flood recovery measure: {slug}" '
            'width="100%" height="560" style="border:0" loading="lazy"></iframe>')


def share_embed(base_url: str, slug: str, name: str) -> html.Details:
    """"Share / embed": the permanent link and the iframe code, ready to copy."""
    link_id, code_id = "share-link", "share-embed-code"
    return html.Details([
        html.Summary("Share / embed this measure", className="fw-semibold"),
        html.Div([
            labelled("Permanent link", dcc.Input(id=link_id, value=f"{base_url}/measures/{slug}", readOnly=True,
                                                 className="form-control"), link_id),
            labelled("Embed code (paste into your page)",
                     dcc.Textarea(id=code_id, value=embed_snippet(base_url, slug), readOnly=True,
                                  className="form-control font-monospace small", style={"minHeight": "5rem"}),
                     code_id),
            html.P([html.A(f"Preview the embedded view of {name}", href=f"/embed/measures/{slug}"), "."],
                   className="small mb-0"),
        ], className="mt-2"),
    ], className="border rounded p-3 mt-3")


def measure_open_data(slug: str, name: str, replies: list[PublicReply], base_url: str) -> html.Div:
    """What the public measure page adds for data users: downloads, share/embed and answers to residents' reports."""
    return html.Div([
        html.H2("Get the data", className="h5 mt-4"),
        html.Ul([
            html.Li([html.A(f"Every approved month of {name} (CSV)", href=f"/api/v1/measures/{slug}/values.csv"),
                     " · ", html.A("JSON", href=f"/api/v1/measures/{slug}/values")]),
            html.Li([html.A("What each column means (data dictionary)", href="/data-dictionary"), " · ",
                     html.A("All measures in one table (CSV)", href="/api/v1/values.csv"), " · ",
                     html.A("API and other formats", href="/developers")]),
        ], className="small"),
        share_embed(base_url, slug, name),
        public_replies(replies),
    ], className="measure-open-data")
