"""Review at scale in a real browser: the performance team filters the approvals queue to a month, ticks two
figures, approves them in one action, and the public page then shows those two and not a figure still waiting;
the reviewer's own correction is shown as one they may not approve, with why. The page passes axe-core with the
filter and the selection shown.

This test has a live server of its own on a fresh copy of the seed data: it approves seeded October figures that
other browser tests may count on still waiting.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS, app_config
from e2e.conftest import LiveServer, QuietRequestHandler, _console_problems_text, open_watched_page

OCTOBER = date(2026, 10, 1)
# Seeded October figures waiting for approval: two to approve, one the admin corrects (so it is theirs).
APPROVE = {"ocd-rental-units-repaired": "412", "permits-median-days-rebuild-permit": "6.1 days"}
CORRECTED = "fema-hmgp-obligated-ebr"
CORRECTED_TO = 55_300_000
# A November figure the department's editor entered: in the queue, but not in October's.
NOVEMBER = "ocd-homebuyers-assisted"
NAMES: dict[str, str] = {}  # measure names by slug, read from the database


@pytest.fixture(scope="module")
def review_server(playwright_available, templates) -> Iterator[LiveServer]:
    """The app on its own seeded SQLite copy, where the admin has corrected one October figure themselves."""
    from app import create_app
    from extensions import EXTENSION_KEY
    from models.catalog import Measure
    from models.measurements import Measurement
    from models.org import User
    from models.services import Actor, correct_value, submit_value

    url, cleanup = templates.clone("sqlite", True)
    app = create_app(app_config(url))
    with app.server.extensions[EXTENSION_KEY].sessions() as session:
        admin = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))
        stored = session.scalar(select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
                                .where(Measure.slug == CORRECTED, Measurement.period == OCTOBER))
        correct_value(session, admin, measurement_id=stored.id, expected_version=stored.version, value=CORRECTED_TO,
                      reason="The state's October report was revised upward.")
        editor = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["editor"][0])))
        november = session.scalar(select(Measure.id).where(Measure.slug == NOVEMBER))
        submit_value(session, editor, measure_id=november, period=date(2026, 11, 1), value=270)
        names = dict(session.execute(select(Measure.slug, Measure.name)
                                     .where(Measure.slug.in_([*APPROVE, CORRECTED, NOVEMBER]))).all())
        session.commit()
    NAMES.update(names)
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-review-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", page_paths=frozenset(), database_url=url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.server.extensions[EXTENSION_KEY].engine.dispose()
        cleanup()


@pytest.fixture
def review_page(browser, review_server, request):
    """A fresh page on this module's server; console errors fail the test."""
    watched = open_watched_page(browser, review_server)
    request.node._browser_problems = watched.problems
    yield watched.page
    watched.close()
    if watched.problems:
        pytest.fail(_console_problems_text(watched.problems), pytrace=False)


def latest(page, slug: str):
    """The "Latest" figure of a measure's card on the public page."""
    return page.locator(f"#measure-{slug} dd").first


def test_admin_filters_ticks_two_and_approves_them_and_only_they_reach_the_public(review_page, axe):
    page = review_page
    page.goto("/")
    for slug in APPROVE:
        expect(latest(page, slug)).to_contain_text("(September 2026)")

    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS["admin"][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()
    page.locator("header").get_by_role("navigation").get_by_role("link", name="Approvals", exact=True).click()
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()

    queue = page.get_by_role("table", name=re.compile(r"waiting for approval"))
    november = queue.get_by_role("checkbox", name=f"Select {NAMES[NOVEMBER]}, November 2026")
    expect(november).to_be_visible()
    page.get_by_role("combobox", name="Month").select_option(label="October 2026")
    expect(november).to_have_count(0)
    months = queue.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert months and set(months) == {"October 2026"}, months

    # The admin's own correction: its box and Approve button are disabled, and the row says why.
    own = queue.get_by_role("checkbox", name=f"Select {NAMES[CORRECTED]}, October 2026")
    expect(own).to_be_disabled()
    own_row = queue.locator("tbody tr").filter(
        has=page.get_by_role("checkbox", name=f"Select {NAMES[CORRECTED]}, October 2026"))
    expect(own_row.get_by_role("button", name=f"Approve {NAMES[CORRECTED]}, October 2026")).to_be_disabled()
    expect(own_row).to_contain_text("You entered or corrected this figure yourself")
    expect(own_row).to_contain_text("$55.3M")

    for slug in APPROVE:
        box = queue.get_by_role("checkbox", name=f"Select {NAMES[slug]}, October 2026")
        box.check()
        expect(box).to_be_checked()
    axe(page)

    page.get_by_role("button", name="Approve selected", exact=True).click()
    status = page.get_by_role("main").get_by_role("status")
    expect(status).to_contain_text("Approved 2 values:")
    for slug, shown in APPROVE.items():
        expect(status).to_contain_text(f"{shown} for {NAMES[slug]}, October 2026")
        expect(queue.get_by_role("checkbox", name=f"Select {NAMES[slug]}, October 2026")).to_have_count(0)
    expect(own).to_be_visible()

    page.goto("/")
    for slug, shown in APPROVE.items():
        expect(latest(page, slug)).to_contain_text(f"{shown} (October 2026)")
    # Still waiting (and the admin's own): the public keeps seeing September's approved figure.
    expect(latest(page, CORRECTED)).to_contain_text("(September 2026)")
    expect(latest(page, CORRECTED)).not_to_contain_text("55.3")
