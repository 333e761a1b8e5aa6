"""The performance team's main administration path in a real browser, each admin page checked with axe-core:

an admin creates a goal and a measure with milestones, publishes both (each after a confirmation saying what becomes
public), sees the measure on its public page; an editor of the owning department enters a figure, the admin approves
it and the public page shows it with its chart; the admin moves the published target with a reason, and the public
page says so. The goal is retired at the end, so the shared live server's public pages are as the other browser tests expect.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS
from models import clock
from models.progress import format_month, last_complete_month

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"
with (SEED / "departments.csv").open(newline="", encoding="utf-8") as handle:
    DEPARTMENTS = {row["slug"]: row["name"] for row in csv.DictReader(handle)}

GOAL = "Keep the storm drains clear"
MEASURE = "Storm drain inlets cleared"
REASON = "The council added 50 inlets in the new drainage district."


def field(page, label: str):
    """A form control by the start of its label (labels carry hints after the name)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s|$)"))


def sign_in(page, who: str) -> None:
    """Sign in on /login as one of TEST_USERS and wait until signed in."""
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS[who][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()


def accept_confirmation(page, click, expected: str, then: str) -> None:
    """Click something that asks for confirmation, accept it, wait for the result `then`; the question named
    `expected`."""
    seen: list[str] = []

    def on_dialog(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.once("dialog", on_dialog)
    click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(then)
    assert seen and expected in seen[0], seen


def test_admin_creates_publishes_and_moves_a_target_in_the_open(page, axe):
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS["admin"][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.locator("header").get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    main = page.get_by_role("main")
    for section in ("Goals", "Measures", "Accounts", "Audit log", "Import and export", "Approvals"):
        expect(main.get_by_role("link", name=section, exact=True)).to_be_visible()
    axe(page)

    # A new goal: refused without a title (the message sits under the field, the rest stays typed), then created.
    main.get_by_role("link", name="Goals", exact=True).click()
    expect(page.get_by_role("heading", name="Goals", level=1)).to_be_visible()
    expect(main.get_by_role("table")).to_be_visible()
    page.get_by_role("button", name="New goal").click()
    field(page, "Address name").fill("clear-storm-drains")
    field(page, "Plain-language summary").fill("Keep storm drains clear before hurricane season.")
    field(page, "Lead department").select_option(label=DEPARTMENTS["ocd"])
    page.get_by_role("button", name="Save goal").click()
    expect(main.get_by_text("The title is required.", exact=True)).to_be_visible()
    expect(field(page, "Address name")).to_have_value("clear-storm-drains")
    axe(page)
    field(page, "Title").fill(GOAL)
    page.get_by_role("button", name="Save goal").click()
    expect(main.get_by_role("status")).to_contain_text(f"Created the goal “{GOAL}”")
    expect(field(page, "Address name")).to_be_disabled()  # fixed once created
    accept_confirmation(page, lambda: page.get_by_role("button", name="Publish", exact=True).click(),
                        "Its title and summary become public", "is on the public progress page now")

    # A new measure with milestones.
    page.goto("/admin/measures")
    expect(page.get_by_role("heading", name="Measures", level=1)).to_be_visible()
    expect(main.get_by_role("table")).to_be_visible()
    page.get_by_role("button", name="New measure").click()
    values = {
        "Address name": "storm-inlets-cleared", "Name": MEASURE,
        "Definition: how it is counted": "Storm drain inlets cleared of debris, counted once each month.",
        "Data source": "Public works drain log", "Where the baseline and target come from": "illustrative",
        "Baseline value": "0", "Baseline month": "2025-01", "Target value": "450", "Target month": "2026-12",
        "Milestones (interim targets)": "2025-06 100\n2025-12 250", "Highest valid figure (optional)": "10,000",
    }
    field(page, "Goal").select_option(label=GOAL)
    field(page, "Owner department").select_option(label=DEPARTMENTS["ocd"])
    field(page, "Trajectory").select_option(value="milestones")
    for label, value in values.items():
        field(page, label).fill(value)
    axe(page)  # the form open, every field filled
    page.get_by_role("button", name="Save measure").click()
    expect(main.get_by_role("status")).to_contain_text(f"Created the measure “{MEASURE}”")
    accept_confirmation(page, lambda: page.get_by_role("button", name="Publish", exact=True).click(),
                        f"becomes public under “{GOAL}”", "its measure page is public now")

    page.goto("/measures/storm-inlets-cleared")
    expect(page.get_by_role("heading", name=MEASURE, level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("have not changed since this measure was published"))).to_be_visible()

    # An editor of the owning department (OCD) enters the figure of the month now due (the public page shows the last
    # complete month); it waits for approval.
    month = f"{last_complete_month(clock.today()):%B %Y}"
    page.locator("header").get_by_role("button", name="Sign out").click()
    sign_in(page, "editor")
    page.goto("/entry")
    page.get_by_role("combobox", name=re.compile(r"^Measure\b")).select_option(label=MEASURE)
    page.get_by_role("combobox", name=re.compile(r"^Month\b")).select_option(label=month)
    page.get_by_role("textbox", name=re.compile(r"^Value\b")).fill("321")
    page.get_by_role("button", name="Save figure", exact=True).click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(f"Saved 321 for {MEASURE}, {month}")

    # The admin (who did not enter it) approves it; the public measure page then shows it with its chart.
    page.locator("header").get_by_role("button", name="Sign out").click()
    sign_in(page, "admin")
    page.goto("/review")
    approve = page.get_by_role("button", name=f"Approve {MEASURE}, {month}", exact=True)
    approve.click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(f"Approved 321 for {MEASURE}, {month}")
    page.goto("/measures/storm-inlets-cleared")
    expect(page.get_by_role("heading", name=MEASURE, level=1)).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_text("321").first).to_be_visible()

    # The published target moves: a reason is asked for, and the public page tells of the change.
    page.goto("/admin/measures")
    page.get_by_role("button", name=f"Edit {MEASURE}").click()
    expect(field(page, "Target value")).to_have_value("450")
    reason = field(page, "Reason for changing the plan")
    expect(reason).to_be_hidden()
    field(page, "Target value").fill("500")
    expect(reason).to_be_visible()
    page.get_by_role("button", name="Save measure").click()
    expect(main.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(field(page, "Target value")).to_have_value("500")
    reason.fill(REASON)
    page.get_by_role("button", name="Save measure").click()
    expect(main.get_by_role("status")).to_contain_text(f"Saved the measure “{MEASURE}”")
    page.goto("/measures/storm-inlets-cleared")
    expect(page.get_by_text(f"Target changed from 450 to 500 in {format_month(clock.today())}: {REASON}")) \
        .to_be_visible()

    # Retire the goal: it leaves the public pages (the live server is shared with the other browser tests).
    page.goto("/admin/goals")
    page.get_by_role("button", name=f"Edit {GOAL}").click()
    accept_confirmation(page, lambda: page.get_by_role("button", name="Retire goal").click(), "leaves the progress page",
                        f"Retired “{GOAL}”")
    page.goto("/")
    expect(page.get_by_role("heading", name="Bring flooded families home")).to_be_visible()
    expect(page.get_by_text(GOAL)).to_have_count(0)
