"""The mayor's office in a real browser: the dashboard's Needs attention and What changed, filters kept in the address,
the staff measure page, the monthly Stat briefing printed to PDF and downloaded as XLSX; each page checked with axe-core.
These tests only read: they change nothing another browser test could see."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS

MONTH = "2026-10"  # the last complete month on the tests' pinned clock


def sign_in(page, who: str = "viewer") -> None:
    """Sign in through the form as one of TEST_USERS."""
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS[who][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()


def test_dashboard_opens_with_needs_attention_and_what_changed(page, axe):
    sign_in(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Needs attention", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^What changed since "), level=2)).to_be_visible()
    attention = page.locator(".attention-list > li")
    expect(attention.first).to_be_visible()
    first = attention.first.get_by_role("link").first
    assert first.get_attribute("href").startswith("/dashboard/measures/")
    axe(page)


def test_a_filter_changes_the_address_and_the_address_restores_it(page):
    sign_in(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Needs attention", level=2)).to_be_visible()
    page.get_by_role("combobox", name="Status", exact=True).select_option(label="Off track")
    page.wait_for_url(re.compile(r"status=off_track"))
    query = parse_qs(urlparse(page.url).query)
    assert query["status"] == ["off_track"] and query["month"] == [MONTH]
    caption = page.get_by_role("table", name=re.compile(r"measures as of")).locator("caption")
    expect(caption).to_contain_text(re.compile(r"^\d+ of \d+ measures"))
    filtered = caption.inner_text()
    copied = page.url

    page.goto("/dashboard")  # the unfiltered view first, so the restored one is not left over
    expect(page.get_by_role("combobox", name="Status", exact=True)).to_have_value("all")
    page.goto(copied)
    expect(page.get_by_role("combobox", name="Status", exact=True)).to_have_value("off_track")
    expect(page.get_by_role("table", name=re.compile(r"measures as of")).locator("caption")).to_have_text(filtered)


def test_staff_measure_page_has_the_chart_revisions_and_follow_ups(page, axe):
    sign_in(page)
    page.goto("/dashboard")
    expect(page.get_by_role("table", name=re.compile(r"measures as of"))).to_be_visible()  # the page has settled
    link = page.locator(".attention-list > li").first.get_by_role("link").first
    name = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(page.locator(".progress-chart .main-svg").first).to_be_visible()
    expect(page.get_by_role("heading", name="Revision history")).to_be_visible()
    expect(page.get_by_role("heading", name="Follow-ups")).to_be_visible()
    expect(page.get_by_role("button", name="Record follow-up")).to_have_count(0)  # viewers read, admins record
    axe(page)


def test_briefing_prints_a_page_per_measure_with_its_chart_and_downloads_the_same_measures(page, axe):
    sign_in(page)
    page.goto(f"/dashboard/briefing?month={MONTH}")
    expect(page.get_by_role("heading", name="Monthly Stat briefing: October 2026", level=1)).to_be_visible()
    sections = page.locator(".briefing-section")
    expect(sections.first).to_be_visible()
    count = sections.count()
    assert count >= 2
    expect(page.locator(".briefing-section .progress-chart .plot-container")).to_have_count(count)
    expect(page.get_by_role("button", name="Print / Save as PDF")).to_be_visible()
    axe(page)
    shown = [href.rsplit("/", 1)[1] for href in
             page.locator(".briefing-section h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")]

    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()  # no navigation chrome on paper
    expect(page.get_by_role("button", name="Print / Save as PDF")).to_be_hidden()
    pdf = page.pdf(format="Letter")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= count + 1, (pages, count)  # the cover, then a page (or more) per measure
    page.emulate_media(media="screen")

    response = page.request.get(f"/dashboard/briefing.xlsx?month={MONTH}")
    assert response.ok and "spreadsheetml" in response.headers["content-type"]
    workbook = pd.read_excel(io.BytesIO(response.body()), sheet_name=None)
    assert list(workbook["Needs attention"]["Slug"]) == shown


@pytest.mark.parametrize("path", ["/dashboard", f"/dashboard/briefing?month={MONTH}",
                                  "/dashboard/measures/homes-repaired"])
def test_anonymous_visitors_are_sent_to_sign_in(page, path):
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_label("Email")).to_be_visible()


def test_an_admin_records_a_follow_up_sees_it_flagged_overdue_and_marks_it_done(page, axe):
    sign_in(page, "admin")
    page.goto("/dashboard/measures/blight-flood-structures-cleared")
    expect(page.get_by_role("heading", name="Record a follow-up")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("alert")).to_contain_text("Say what will be done")  # nothing typed: told what to do
    action = "Code enforcement to schedule the 40 pending demolition hearings"
    page.get_by_label("What will be done").fill(action)
    page.get_by_label("Due by").fill("2026-11-10")  # before the pinned today (2026-11-20): overdue
    page.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("status").filter(has_text="Follow-up recorded")).to_be_visible()
    row = page.locator("table.follow-ups tbody tr").filter(has_text=action)
    expect(row).to_contain_text("Overdue")
    row.get_by_role("button", name=re.compile(r"^Mark done")).click()
    expect(page.get_by_role("status").filter(has_text="Follow-up marked done")).to_be_visible()
    expect(page.locator("table.follow-ups tbody tr").filter(has_text=action)).to_contain_text("Done")
