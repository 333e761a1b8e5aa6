"""Public goal, measure and about pages in a real browser: charts with actual and target traces, data tables that
match the read path, sparklines and links on the home page, 404s, a 375 px phone, axe-core, and the bytes budget.
UPDATE_SCREENSHOT=1 rewrites docs/measure-page.png."""
from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from models.base import make_engine
from models.progress import expected_value, format_month, format_value
from models.queries import goal_detail, measure_detail

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from tests.e2e.test_public_page import HIDDEN_MEASURES, PUBLIC_MEASURES, PUBLISHED_GOALS, UNPUBLISHED_GOALS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "measure-page.png"
SCREENSHOT_MEASURE = "blight-open-flood-cases"
# The public home page's first load, charts included, on the wire (the issue asks at most 1.2 MB; it is about 0.4 MB
# since the grid's bundle and the polyfill left the page head, and a budget of half the goal keeps them out).
HOME_BYTES_BUDGET = 600_000


def read_path(live_server, kind: str, slug: str):
    """What the read path returns for the public audience on the live server's database."""
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            function = measure_detail if kind == "measure" else goal_detail
            return function(session, slug, published_only=True, approved_only=True)
    finally:
        engine.dispose()


def chart_trace_names(page, scope: str = "body") -> list[list[str]]:
    """The trace names of every plotly chart under `scope`, read from the rendered graphs."""
    return page.locator(f"{scope} .progress-chart .js-plotly-plot").evaluate_all(
        "graphs => graphs.map(g => (g.data || []).map(t => t.name))")


def table_rows(scope) -> list[list[str]]:
    """The cells of the values table under `scope`, row by row."""
    return scope.locator(".values-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))")


def expected_rows(detail) -> list[list[str]]:
    """What the values table must say for a MeasureDetail: month, figure and plan, newest first."""
    unit, decimals = detail.status.unit, detail.status.decimals
    return [[format_month(p.period), format_value(p.value, unit, decimals),
             format_value(expected_value(detail.spec, p.period), unit, decimals)] for p in reversed(detail.values)]


def http_status(live_server, path: str) -> int:
    try:
        with urllib.request.urlopen(live_server.url + path) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_home_shows_a_sparkline_per_published_measure_and_links_to_every_measure_and_goal(page):
    page.goto("/")
    expect(page.locator(".measure-card")).to_have_count(len(PUBLIC_MEASURES))
    # Sparklines are static SVG images (no plotly graph on the page), each named by its trend in words.
    expect(page.locator(".measure-card img.sparkline")).to_have_count(len(PUBLIC_MEASURES))
    expect(page.locator(".js-plotly-plot")).to_have_count(0)
    for measure in PUBLIC_MEASURES:
        card = page.locator(f"#measure-{measure['slug']}")
        expect(card.get_by_role("link", name=measure["name"], exact=True)).to_have_attribute(
            "href", f"/measures/{measure['slug']}")
        expect(card.get_by_role("img", name=re.compile(r"^Trend: "))).to_have_count(1)
    for goal in PUBLISHED_GOALS:
        expect(page.get_by_role("heading", name=goal["title"], exact=True).get_by_role("link")).to_have_attribute(
            "href", f"/goals/{goal['slug']}")


def test_home_loads_no_plotly_and_chart_pages_only_the_vendored_basic_bundle(page):
    """The public page draws no plotly chart and loads no plotly.js (nor the grid's code, nor Dash's Markdown code); a
    measure page loads the vendored partial bundle when it draws its chart, never Dash's full bundle."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto("/")
    expect(page.locator(".measure-card img.sparkline")).to_have_count(len(PUBLIC_MEASURES))
    page.wait_for_load_state("networkidle")
    bundle = re.compile(r"plotly[^/]*\.min\.js")  # any plotly.js bundle: Dash's full one or the vendored one
    assert not [u for u in urls if bundle.search(u)], urls
    assert not [u for u in urls if "dash_ag_grid" in u or "async-markdown" in u or "async-highlight" in u], urls
    page.goto(f"/measures/{SCREENSHOT_MEASURE}")
    expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(1)
    plotly = [u for u in urls if bundle.search(u)]
    assert plotly and all("/assets/plotly-basic-" in u for u in plotly), plotly


def test_home_first_load_stays_within_the_byte_budget(browser, live_server):
    """Bytes Chromium receives for / until the sparklines are drawn, counted by the DevTools protocol."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda event: received.__setitem__(event["requestId"], event["encodedDataLength"]))
    try:
        page.goto("/")
        expect(page.locator(".measure-card img.sparkline")).to_have_count(len(PUBLIC_MEASURES))
        page.wait_for_load_state("networkidle")
        total = sum(received.values())
    finally:
        context.close()
    print(f"\nhome page first load: {total:,.0f} bytes on the wire in {len(received)} responses")
    assert 300_000 < total <= HOME_BYTES_BUDGET, f"{total:,.0f} bytes"


@pytest.mark.parametrize("slug", [m["slug"] for m in PUBLIC_MEASURES[:3]] + [SCREENSHOT_MEASURE])
def test_measure_page_shows_chart_and_a_table_matching_the_read_path(page, live_server, slug):
    detail = read_path(live_server, "measure", slug)
    page.goto(f"/measures/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(detail.status.name)
    expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(1)
    names = chart_trace_names(page)[0]
    assert {"Actual", "Target path", "On-track range", "Baseline", "Target"} <= set(names), names
    expect(page.locator("figcaption")).to_contain_text(detail.status.reason)
    assert table_rows(page) == expected_rows(detail)
    for text in (detail.status.definition, detail.status.data_source, detail.status.department_name,
                 "Next update due", "Corrections after publication"):
        expect(page.locator("main")).to_contain_text(text)


def test_goal_page_shows_each_measure_chart_and_reason(page, live_server):
    goal = PUBLISHED_GOALS[1]
    detail = read_path(live_server, "goal", goal["slug"])
    page.goto(f"/goals/{goal['slug']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(goal["title"])
    expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(len(detail.measures))
    for names in chart_trace_names(page):
        assert {"Actual", "Target path"} <= set(names), names
    for measure in detail.measures:
        section = page.locator(f"section[aria-labelledby='measure-{measure.slug}']")
        expect(section.get_by_role("link", name=measure.status.name, exact=True)).to_have_attribute(
            "href", f"/measures/{measure.slug}")
        expect(section.locator("figcaption")).to_contain_text(measure.status.reason)
        section.locator("summary").click()  # the chart's table of every month, folded under it
        expect(section.locator(".values-table")).to_be_visible()
        assert table_rows(section) == expected_rows(measure)[:12]  # the last 12 months; the measure page has all


def forgive_own_404(request, page) -> None:
    """Chromium logs a 404 answer to the page's own address as a console error; that one is expected here."""
    problems = request.node._browser_problems
    problems[:] = [p for p in problems if not ("status of 404" in p and p.startswith(f"console.error on {page.url}:"))]


def test_unpublished_and_unknown_addresses_answer_404_with_the_same_helpful_page(page, live_server, request):
    hidden = HIDDEN_MEASURES[0]["slug"]
    paths = [f"/measures/{hidden}", "/measures/no-such-measure", f"/goals/{UNPUBLISHED_GOALS[0]['slug']}",
             "/goals/no-such-goal", "/no/such/page"]
    for path in paths:
        assert http_status(live_server, path) == 404, path
    texts = set()
    for path in paths[:2]:
        response = page.goto(path)
        assert response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        texts.add(page.locator("main").inner_text())
        forgive_own_404(request, page)
    assert len(texts) == 1  # an unpublished measure cannot be told from an absent one
    assert HIDDEN_MEASURES[0]["name"] not in texts.pop()
    assert http_status(live_server, f"/measures/{PUBLIC_MEASURES[0]['slug']}") == 200


def test_measure_page_fits_a_375px_phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"/measures/{SCREENSHOT_MEASURE}")
        expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(1)
        expect(page.locator(".values-table")).to_be_visible()
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 375, widths
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", f"/goals/{PUBLISHED_GOALS[0]['slug']}", f"/measures/{SCREENSHOT_MEASURE}",
                                  "/about", "/measures/no-such-measure"])
def test_public_pages_have_no_axe_violations(page, axe, path, request):
    page.goto(path)
    if path == "/":
        expect(page.locator(".measure-card img.sparkline").first).to_be_visible()
    elif "no-such" in path:
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        forgive_own_404(request, page)
    elif path != "/about":
        expect(page.locator(".progress-chart .js-plotly-plot").first).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text("How the figures are worked out")
    axe(page)  # every element, at 1280 px and at 375 px


def test_a_card_title_opens_its_measure_page_in_place_and_back_returns_to_the_cards(page):
    """A card's name (inside the grid's HTML) opens the measure's page without reloading the app, as Dash's own
    links do; the browser's Back button shows the cards again."""
    measure = PUBLIC_MEASURES[0]
    page.goto("/")
    page.evaluate("window.__sameDocument = true")  # gone if the click reloaded the page
    page.locator(f"#measure-{measure['slug']}").get_by_role("link", name=measure["name"], exact=True).click()
    expect(page).to_have_url(re.compile(f"/measures/{measure['slug']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(measure["name"])
    assert page.evaluate("window.__sameDocument === true"), "the card's link reloaded the app"
    page.go_back()
    expect(page.locator(f"#measure-{measure['slug']}")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")


def test_links_navigate_within_the_app_from_home_to_goal_to_measure(page):
    goal = PUBLISHED_GOALS[0]
    page.goto("/")
    page.get_by_role("heading", name=goal["title"], exact=True).get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/goals/{goal['slug']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(goal["title"])
    first = next(m for m in PUBLIC_MEASURES if m["goal"] == goal["slug"])
    page.locator(f"section[aria-labelledby='measure-{first['slug']}']").get_by_role(
        "link", name=first["name"], exact=True).click()
    expect(page).to_have_url(re.compile(f"/measures/{first['slug']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first["name"])
    expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(1)
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Progress").click()
    expect(page.locator(".measure-card").first).to_be_visible()


def test_readme_screenshot_of_a_measure_page(page, tmp_path):
    """docs/measure-page.png shows a measure page with its chart (UPDATE_SCREENSHOT=1 rewrites it)."""
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "measure-page.png"
    page.goto(f"/measures/{SCREENSHOT_MEASURE}")
    expect(page.locator(".progress-chart .js-plotly-plot")).to_have_count(1)
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)
    page.screenshot(path=str(target), full_page=False, animations="disabled")
    assert target.stat().st_size > 10_000
    assert SCREENSHOT.exists(), "docs/measure-page.png is missing: run with UPDATE_SCREENSHOT=1"

