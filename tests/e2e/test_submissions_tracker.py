"""The submission tracker in a real browser: an editor sees which departments are late, in words, and the page passes
axe-core. Read-only: it changes nothing another browser test could see."""
from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS


def test_an_editor_sees_the_late_departments_and_reaches_the_entry_grid_from_the_tracker(page, axe):
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS["editor"][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()
    page.locator("header").get_by_role("link", name="Submissions").click()
    page.wait_for_url(re.compile(r"/dashboard/submissions$"))
    table = page.get_by_role("table", name=re.compile(r"^Monthly figures by department"))
    expect(table).to_be_visible()
    headers = table.locator("thead th")
    expect(headers).to_have_count(14)  # department, twelve months, contact
    expect(headers.nth(12)).to_have_text("Oct 2026")
    # The seed leaves some departments without an October figure (blight abatement's was sent back); on the pinned
    # day, November 20, past the due day, that is late: in words and with an icon, not by colour alone.
    late_rows = table.locator("tbody tr").filter(has=page.locator("td:nth-child(13)[data-state='late']"))
    expect(late_rows.first).to_be_visible()
    october = late_rows.first.locator("td").nth(11)
    expect(october).to_have_text(re.compile(r"^!\s*Late \d+/\d+$"))
    late_name = late_rows.first.locator("th").inner_text().split("\n")[0].strip()
    expect(page.locator("#submissions-late-summary")).to_contain_text("Late for October 2026: ")
    expect(page.locator("#submissions-late-summary")).to_contain_text(late_name)
    # The editor's own department offers the entry grid; others do not.
    own = table.get_by_role("row", name=re.compile(r"^Office of Community Development"))
    expect(own.get_by_role("link", name="Enter figures for Office of Community Development")).to_have_attribute(
        "href", "/entry")
    expect(table.get_by_role("link", name=re.compile(r"^Enter figures"))).to_have_count(1)
    expect(own).to_contain_text("recovery-ocd@example.org")
    axe(page)
