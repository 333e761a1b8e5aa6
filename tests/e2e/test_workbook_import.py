"""The performance team imports a workbook on /admin/import in a real browser: a broken one is refused with its
reasons (Apply disabled), a good one is previewed and applied; the page has no axe-core violations with a preview
shown. Runs on its own server and database, so the program it adds is not seen by other browser tests."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import ROOT, TEST_PASSWORD, TEST_USERS, app_config
from e2e.conftest import VIEWPORT, QuietRequestHandler, open_watched_page

WORKBOOKS = ROOT / "tests" / "data" / "workbooks"


@pytest.fixture
def import_page(browser, templates) -> Iterator:
    """A page on a server of its own, on a fresh copy of the seeded SQLite database."""
    from app import create_app
    from extensions import EXTENSION_KEY

    url, cleanup = templates.clone("sqlite", True)
    app = create_app(app_config(url))
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-import-server", daemon=True)
    thread.start()
    live = type("Live", (), {"url": f"http://127.0.0.1:{server.server_port}"})()
    watched = open_watched_page(browser, live)
    try:
        yield watched.page
        assert not watched.problems, watched.problems
    finally:
        watched.close()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.server.extensions[EXTENSION_KEY].engine.dispose()
        cleanup()


def test_admin_is_shown_why_a_workbook_is_refused_then_imports_a_good_one(import_page, axe):
    page = import_page
    page.set_viewport_size(VIEWPORT)
    page.goto("/login?next=/admin/import")
    page.get_by_label("Email").fill(TEST_USERS["admin"][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Import and export the program", level=1)).to_be_visible()
    apply = page.get_by_role("button", name="Apply import")
    expect(apply).to_be_disabled()

    upload = page.locator("#admin-import-upload input[type=file]")
    upload.set_input_files(WORKBOOKS / "broken-unknown-goal.xlsx")
    expect(page.get_by_role("alert")).to_contain_text("This workbook cannot be imported: 1 problem found")
    rejected = page.get_by_role("table", name="Rejected rows: sheet, row, column and reason")
    expect(rejected.get_by_role("row").nth(1)).to_have_text("measures4goalunknown goal 'riverton-parks'")
    expect(apply).to_be_disabled()
    axe(page)

    upload.set_input_files(WORKBOOKS / "riverton.xlsx")
    expect(page.get_by_role("heading", name="Preview of riverton.xlsx")).to_be_visible()
    counts = page.get_by_role("table", name="What importing this workbook would do, per sheet")
    expect(counts.get_by_role("row", name="measurements")).to_contain_text("64")
    expect(apply).to_be_enabled()
    axe(page)

    apply.click()
    expect(page.get_by_role("status")).to_contain_text("Imported riverton.xlsx: 75 records created and 0 changed.")
    expect(apply).to_be_disabled()
