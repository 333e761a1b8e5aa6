"""The embeddable chart of a measure (/embed/measures/<slug>): the one page any site may show in an iframe.

A plain server-rendered page, not a Dash page: no navigation, no callbacks, no component bundles, so it loads
fast inside someone else's page. Every text comes from the read path and is escaped by Jinja.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template_string, request
from markupsafe import Markup

from api.opendata import answer_etag
from extensions import cache, cached_measure_detail, db_session
from layouts._components import STATUS_STYLE  # one icon per status, as every page shows it
from layouts.figures import progress_chart
from models.progress import STATUS_LABELS, format_month, format_value
from models.queries import values

bp = Blueprint("embed", __name__, static_folder="static", static_url_path="/embed/static")
PLOTLY = "/assets/plotly-basic-4.1.1.min.js"  # the bundle the measure pages use (vendored under assets/)
CHART_HEIGHT = 320

# This route only: any site may frame it (the rest of the site keeps frame-ancestors 'none' and X-Frame-Options
# DENY). Read by flask-talisman from the view function.
EMBED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "frame-ancestors": "*",
    "base-uri": "'self'",
    "form-action": "'self'",
}
TABLE_MONTHS = 12

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ m.name }} - RecoveryStat</title>
<link rel="canonical" href="{{ page_url }}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/embed.css">
</head>
<body>
<main class="embed">
  <h1>{{ m.name }}</h1>
  <p class="status status-{{ m.status }}"><span aria-hidden="true">{{ icon }}</span> {{ label }}</p>
  <p class="reason">{{ m.reason }}</p>
  <div id="chart" class="chart" role="img" aria-label="Progress chart of {{ m.name }}. {{ m.reason }} The table below
    gives the same figures."></div>
  <script type="application/json" id="chart-data">{{ chart_json }}</script>
  <table>
    <caption>{{ m.name }}: approved figures of the last {{ rows|length }} months{% if rows %}, to
      {{ rows[-1][0] }}{% endif %}</caption>
    <thead><tr><th scope="col">Month</th><th scope="col">Value</th><th scope="col">Status that month</th></tr></thead>
    <tbody>
    {% for month, shown, status in rows %}<tr><th scope="row">{{ month }}</th><td>{{ shown }}</td><td>{{ status }}</td></tr>
    {% else %}<tr><td colspan="3">No approved figures yet.</td></tr>{% endfor %}
    </tbody>
  </table>
  <p class="source">Source: {{ m.data_source }}{% if m.citation and m.citation != m.data_source %}
    ({{ m.citation }}){% endif %}. Target: {{ target }} by {{ target_month }}.</p>
  <p class="back"><a href="{{ page_url }}" target="_top">See this measure on RecoveryStat, East Baton Rouge
    flood recovery</a> · <a href="{{ csv_url }}" target="_top">Download the data (CSV)</a></p>
</main>
<script src="{{ plotly }}"></script>
<script src="/embed/static/embed.js"></script>
</body>
</html>"""

NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Measure not found - RecoveryStat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/embed.css"></head>
<body><main class="embed"><h1>Measure not found</h1>
<p>There is no published measure at this address. <a href="{{ home }}" target="_top">See every published measure
on RecoveryStat</a>.</p></main></body></html>"""


def embed_measure(slug: str):
    """The measure's status, reason, recent approved figures, source and a link back, for any site to frame.

    Cached and tagged like the API (by data version, day and address), so a busy news page costs one lookup.
    """
    etag = answer_etag()
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        key = f"{current_app.config['CACHE_KEY_PREFIX']}embed:{etag}"
        page = cache.get(key)
        if page is None:
            page = render_embed(slug)
            cache.set(key, page)
        response = Response(page[1], status=page[0], mimetype="text/html")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def render_embed(slug: str) -> tuple[int, str]:
    """The embed page's status code and HTML for a slug (404 alike for unknown and unpublished measures)."""
    detail = cached_measure_detail(slug, public=True)
    base = request.host_url.rstrip("/")
    if detail is None:
        return 404, render_template_string(NOT_FOUND_PAGE, home=base + "/")
    measure = detail.status
    with db_session() as session:
        recent = values(session, published_only=True, approved_only=True, measure_slug=slug)[-TABLE_MONTHS:]
    # The figure as JSON inside the page: "<" escaped so no text in it can close the script element.
    chart_json = Markup(progress_chart(detail, height=CHART_HEIGHT).to_json().replace("<", "\\u003c"))
    rows = [(format_month(r.period), format_value(r.value, measure.unit, measure.decimals), STATUS_LABELS[r.status])
            for r in recent]
    html = render_template_string(
        PAGE, m=measure, icon=STATUS_STYLE[measure.status][0], label=STATUS_LABELS[measure.status], rows=rows,
        chart_json=chart_json, plotly=PLOTLY, page_url=f"{base}/measures/{slug}",
        csv_url=f"{base}/api/v1/measures/{slug}/values.csv",
        target=format_value(measure.target_value, measure.unit, measure.decimals),
        target_month=format_month(measure.target_period),
    )
    return 200, html


embed_measure.talisman_view_options = {"frame_options": None, "content_security_policy": EMBED_CSP}  # type: ignore[attr-defined]
bp.add_url_rule("/embed/measures/<slug>", view_func=embed_measure)
