"""Entry when the session ends elsewhere, and messages that belong to one measure and month only."""
from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from e2e.test_staff_paths import MEASURE, MONTH, VALUE, control, sign_in_and_open, this_month

# The browser's own line for the refused request; the app's message, not a crash, is what the person sees.
REFUSED_REQUEST = re.compile(r"Failed to load resource: the server responded with a status of 401")


def test_a_save_after_signing_out_in_another_tab_says_so_and_keeps_the_figure(page, axe, request):
    sign_in_and_open(page, "editor", "Enter figures", "Enter monthly figures")
    control(page, MEASURE).select_option(index=1)
    control(page, MONTH).select_option(label=f"{this_month()} (this month)")
    control(page, VALUE).fill("4,321")

    other_tab = page.context.new_page()
    other_tab.goto("/logout")  # a plain visit only asks; the button signs out
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_text("signed out", exact=False).first).to_be_visible()
    other_tab.close()

    page.get_by_role("button", name=re.compile("^Save (figure|correction)")).click()
    message = page.get_by_role("alert").filter(has_text="You are no longer signed in")
    expect(message).to_be_visible()
    expect(message.get_by_role("link", name="Sign in again (opens a new tab)")).to_have_attribute(
        "href", "/login?next=%2Fentry")
    expect(control(page, VALUE)).to_have_value("4,321")
    axe(page)
    problems = request.node._browser_problems
    problems[:] = [p for p in problems if not REFUSED_REQUEST.search(p)]


def test_switching_measure_clears_the_last_result(page):
    sign_in_and_open(page, "editor", "Enter figures", "Enter monthly figures")
    control(page, MEASURE).select_option(index=1)
    control(page, MONTH).select_option(index=3)
    control(page, VALUE).fill("not a number")
    page.get_by_role("button", name=re.compile("^Save (figure|correction)")).click()
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("is not a number")
    control(page, MEASURE).select_option(index=2)
    expect(page.get_by_role("main").get_by_role("alert")).to_have_count(0)
