"""Browser tests of the open-data pieces: the embed inside an iframe on another origin, the main site refusing to
be framed, the developers page and the embed passing axe-core."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

MEASURE = "ocd-rental-units-repaired"


class _Host(BaseHTTPRequestHandler):
    """A page on another origin that frames whatever address it is given in its query string."""

    target = ""

    def do_GET(self):
        src = self.path.split("?src=", 1)[1] if "?src=" in self.path else ""
        body = (f"<!doctype html><html lang='en'><head><title>A news site</title></head><body><main>"
                f"<h1>Flood recovery story</h1><iframe id='frame' title='Embedded measure' src='{src}' width='700' "
                f"height='600'></iframe></main></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    """A second tiny server on another free port: another origin for the browser."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Host)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="other-origin")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_embed_renders_inside_an_iframe_on_another_origin(browser, live_server, other_origin):
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{other_origin}/?src={live_server.url}/embed/measures/{MEASURE}")
        frame = page.frame_locator("#frame")
        expect(frame.locator("h1")).to_contain_text("rental", ignore_case=True)
        expect(frame.locator(".status")).to_be_visible()
        expect(frame.locator("#chart .main-svg").first).to_be_visible()  # plotly drew the progress chart
        expect(frame.locator("table tbody tr").first).to_be_visible()
        expect(frame.get_by_role("link", name="See this measure on RecoveryStat", exact=False)).to_have_attribute(
            "href", f"{live_server.url}/measures/{MEASURE}")
        assert not problems, problems
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/developers", f"/api/v1/measures/{MEASURE}"])
def test_the_rest_of_the_site_refuses_to_be_framed(browser, live_server, other_origin, path):
    context = browser.new_context()
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "frame-ancestors" in m.text or "X-Frame" in m.text
            else None)
    try:
        page.goto(f"{other_origin}/?src={live_server.url}{path}")
        page.wait_for_timeout(1500)
        frame = next(f for f in page.frames if f != page.main_frame)
        # A refused frame stays empty (Chromium shows its own error page in place of the content).
        assert "RecoveryStat" not in (frame.content() if frame.url.startswith(live_server.url) else ""), path
        assert blocked, f"{path}: the browser did not report refusing the frame"
    finally:
        context.close()


def test_developers_page_lists_every_endpoint_and_passes_axe(page, live_server, axe):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/developers")
    expect(page.get_by_role("heading", name="Open data and API")).to_be_visible()
    table = page.get_by_role("table")
    for path in ("/api/v1/goals", "/api/v1/measures/<slug>/values.csv", "/api/v1/values.json", "/api/v1/revisions",
                 "/data.json", "/embed/measures/<slug>"):
        expect(table.get_by_role("rowheader", name=path, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="OpenAPI document")).to_have_attribute("href", "/api/v1/openapi.json")
    axe(page)


def test_data_dictionary_page_passes_axe(page, live_server, axe):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/data-dictionary")
    expect(page.get_by_role("row", name="last_revised", exact=False)).to_be_visible()
    axe(page)


def test_the_embed_passes_axe(page, live_server, axe):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/embed/measures/{MEASURE}")
    expect(page.locator("table")).to_be_visible()
    axe(page)


def test_a_resident_reports_a_problem_and_an_admin_resolves_it_with_a_public_reply(browser, live_server, axe):
    """Anonymous: the measure page's form (axe-checked) sends a report; admin: /admin/feedback lists it as plain text
    and resolves it with a reply; anonymous again: the reply is on the measure page."""
    from playwright.sync_api import expect

    from conftest import TEST_PASSWORD, TEST_USERS
    from e2e.conftest import open_watched_page

    words = "The <b>September</b> figure is lower than August, which cannot happen for a running total."
    resident = open_watched_page(browser, live_server)
    try:
        page = resident.page
        page.goto(f"/measures/{MEASURE}")
        form = page.get_by_role("region", name="Report a problem with this number")
        expect(form).to_be_visible()
        expect(page.get_by_role("link", name="Share / embed", exact=False).or_(
            page.get_by_text("Share / embed this measure"))).to_be_visible()
        page.get_by_label("What looks wrong?").fill("bad")
        page.get_by_role("button", name="Send report").click()
        expect(form.get_by_role("alert")).to_contain_text("at least a few words")
        expect(page.get_by_label("What looks wrong?")).to_have_value("bad")
        page.get_by_label("What looks wrong?").fill(words)
        page.get_by_label("Your email (optional)").fill("resident@example.net")
        page.get_by_role("button", name="Send report").click()
        expect(form.get_by_role("status")).to_contain_text("Thank you")
        axe(page)
        assert not resident.problems, resident.problems
    finally:
        resident.close()

    admin = open_watched_page(browser, live_server)
    try:
        page = admin.page
        page.goto("/login")
        page.get_by_label("Email").fill(TEST_USERS["admin"][0])
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", name="Residents' reports")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="lower than August")
        expect(row).to_be_visible()
        expect(row.get_by_text(words)).to_be_visible()  # shown as typed: the tags are text, not markup
        assert row.locator("b").count() == 0
        axe(page)
        row.get_by_label("Public reply", exact=False).fill("Thank you: September was corrected on November 21.")
        row.get_by_role("button", name="Resolve").click()
        expect(page.get_by_role("status")).to_contain_text("Resolved report")
        expect(page.get_by_text("No reports to show.")).to_be_visible()
        assert not admin.problems, admin.problems
    finally:
        admin.close()

    reader = open_watched_page(browser, live_server)
    try:
        reader.page.goto(f"/measures/{MEASURE}")
        expect(reader.page.get_by_text("September was corrected on November 21.")).to_be_visible()
        assert not reader.problems, reader.problems
    finally:
        reader.close()
