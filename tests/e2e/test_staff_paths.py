"""The staff main paths in a real browser, as each role would walk them, each page also checked with axe-core:

- a department editor (OCD) enters this month's figure for one of their measures, has a bad value explained
  (and kept in the field), is asked for a reason before a correction and then saves it;
- the performance team enters two figures, may not approve them itself (two-person rule, shown with why); a second
  member of the team approves one and returns the other (a reason is required);
- the mayor's office opens the dashboard: every measure, the "Not published" and "Awaiting approval" flags, and
  the status filter.

The live server's database is shared with the other browser tests: these tests write only figures for the
current month (no seeded value exists there), pick measures whose month is still empty, and never assume counts
another test could change.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS
from models import clock

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEED / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


MEASURES = {m["slug"]: m for m in _rows("measures.csv")}
DEPARTMENTS = {d["slug"]: d["name"] for d in _rows("departments.csv")}
OCD_NAMES = {m["name"] for m in MEASURES.values() if m["owner_department"] == "ocd"}
STATE_MEASURE = next(m for m in MEASURES.values() if m["owner_department"] == "la-ocd-dru")
UNPUBLISHED_MEASURE = next(m for m in MEASURES.values() if m["published"].strip().lower() != "true")

# The entry form's controls by role and accessible name (its <label> plus the hint inside it). Anchored: some hints
# mention "measure" or "month", and Playwright would match names case-insensitively by substring.
MEASURE = ("combobox", re.compile(r"^Measure\b"))
MONTH = ("combobox", re.compile(r"^Month\b"))
VALUE = ("textbox", re.compile(r"^Value\b"))
REASON = ("textbox", re.compile(r"^Reason for the change\b"))
AWAITING = "Submitted, awaiting approval"


def control(page, which: tuple[str, re.Pattern]):
    """One of the entry form's controls (MEASURE, MONTH, VALUE, REASON)."""
    role, name = which
    return page.get_by_role(role, name=name)


def this_month() -> str:
    """The current month as the pages name it, e.g. "November 2026" (the server runs on this machine's clock)."""
    return f"{clock.today():%B %Y}"


def in_range(slug: str, number: float) -> bool:
    """Whether `number` lies inside the measure's valid range in data/seed/measures.csv."""
    measure = MEASURES[slug]
    return float(measure["valid_min"] or "-inf") <= number <= float(measure["valid_max"] or "inf")


def sign_in_and_open(page, who: str, link: str, heading: str) -> None:
    """Sign in on /login as one of TEST_USERS, then follow a header navigation link to a page with `heading`."""
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS[who][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    header = page.locator("header")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    header.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def measure_option_labels(page) -> list[str]:
    """The labels of the measure list's real options (not its "Choose a measure" placeholder)."""
    return control(page, MEASURE).locator("option").evaluate_all(
        "options => options.filter(o => o.value !== '').map(o => o.textContent.trim())")


def stored_figure(page):
    """The "Stored figure" panel beside the entry form."""
    return page.get_by_role("region", name="Stored figure")


def open_empty_month(page, measure_label: str, measure_name: str, month: str) -> bool:
    """Choose a measure and this month on /entry; True when the panel says the month has no value yet."""
    control(page, MEASURE).select_option(label=measure_label)
    control(page, MONTH).select_option(label=f"{month} (this month)")
    panel = stored_figure(page)
    expect(panel.get_by_role("heading", name=f"{measure_name}, {month}", exact=True)).to_be_visible()
    # The panel says either "No value yet" or shows the stored figure with its state.
    expect(panel.get_by_text(re.compile(rf"^No value yet for {month}\.$|^Value$"))).to_be_visible()
    return panel.get_by_text(f"No value yet for {month}.", exact=True).is_visible()


def save_and_expect(page, button: str, role: str, message: str) -> None:
    """Press the save button and wait for the feedback (role "status" for success, "alert" for errors)."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("main").get_by_role(role)).to_contain_text(message)


def expect_stored(page, shown: str) -> None:
    """The panel shows `shown` as the stored value, awaiting approval, and the form switched to correcting."""
    panel = stored_figure(page)
    expect(panel.get_by_role("definition").filter(has_text=re.compile(rf"^{re.escape(shown)}$"))).to_be_visible()
    expect(panel.get_by_role("definition").filter(has_text=AWAITING)).to_be_visible()
    expect(page.get_by_role("button", name="Save correction", exact=True)).to_be_visible()
    expect(control(page, REASON)).to_be_visible()


def test_department_editor_enters_corrects_and_is_told_what_is_wrong(page, axe):
    month = this_month()
    sign_in_and_open(page, "editor", "Enter figures", "Enter monthly figures")

    # Only the Office of Community Development's measures are offered, by name.
    measure_list = control(page, MEASURE)
    expect(measure_list.locator("option", has_text=sorted(OCD_NAMES)[0])).to_have_count(1)
    offered = measure_option_labels(page)
    assert set(offered) == OCD_NAMES and len(offered) == len(OCD_NAMES), offered
    assert STATE_MEASURE["name"] not in offered

    # A measure whose current month is still empty (another test may have filled one), and "1,234" fits its range.
    candidates = [slug for slug, m in MEASURES.items() if m["owner_department"] == "ocd" and in_range(slug, 1234)]
    chosen_slug = next((slug for slug in candidates
                        if open_empty_month(page, MEASURES[slug]["name"], MEASURES[slug]["name"], month)), None)
    if chosen_slug is None:
        pytest.fail(f"every OCD measure that accepts 1,234 already has a figure for {month}")
    chosen = MEASURES[chosen_slug]["name"]
    expect(page.get_by_role("button", name="Save figure", exact=True)).to_be_visible()
    expect(control(page, REASON)).to_be_hidden()
    axe(page)

    value = control(page, VALUE)
    value.fill("1,234")
    save_and_expect(page, "Save figure", "status",
                    f"Saved 1,234 for {chosen}, {month}. It now waits for approval by the performance team.")
    expect_stored(page, "1,234")

    # A value that is not a number: explained, nothing saved, and what was typed stays in the field.
    value.fill("abc")
    save_and_expect(page, "Save correction", "alert", "'abc' is not a number.")
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("Your figure is still in the form")
    expect(value).to_have_value("abc")
    expect_stored(page, "1,234")

    # A correction needs a reason.
    value.fill("1,240")
    save_and_expect(page, "Save correction", "alert", "Give a reason")
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("Reason for the change")
    expect(value).to_have_value("1,240")
    expect_stored(page, "1,234")

    # Braces and angle brackets are text: the revision history (drawn as HTML read as JSX) shows them as typed.
    typed_reason = "The case log {recounted} after two <late> final inspections & a {{re-check}}."
    reason = control(page, REASON)
    reason.fill(typed_reason)
    save_and_expect(page, "Save correction", "status",
                    f"Corrected {chosen}, {month}, from 1,234 to 1,240. It goes back to the performance team")
    expect_stored(page, "1,240")
    expect(reason).to_have_value("")
    page.goto(f"/dashboard/measures/{chosen_slug}")
    expect(page.locator(".revision-history tbody tr").first).to_contain_text(typed_reason)


# The performance team enters figures for measures no other browser test writes to, in the current month.
ADMIN_CANDIDATES = [("opendata-datasets", 1357, "1,357"), ("drainage-projects-completed", 47, "47"),
                    ("hsep-homes-mitigated-hmgp", 2468, "2,468"), ("blight-open-flood-cases", 1111, "1,111")]


def test_performance_team_approves_one_figure_and_returns_another_with_a_reason(page, axe):
    """One admin enters two figures; a second approves one and returns the other."""
    month = this_month()
    sign_in_and_open(page, "admin", "Enter figures", "Enter monthly figures")

    # Enter two figures to decide on, so the test does not depend on the seeded queue.
    entered: list[tuple[str, str, str]] = []  # (measure name, department name, value as shown)
    for slug, number, shown in ADMIN_CANDIDATES:
        assert in_range(slug, number)
        name, department = MEASURES[slug]["name"], DEPARTMENTS[MEASURES[slug]["owner_department"]]
        label = f"{name} ({department})"  # admins see every measure, with its department
        expect(control(page, MEASURE).locator("option", has_text=label)).to_have_count(1)
        if not open_empty_month(page, label, name, month):
            continue
        control(page, VALUE).fill(shown)
        save_and_expect(page, "Save figure", "status", f"Saved {shown} for {name}, {month}.")
        expect_stored(page, shown)
        entered.append((name, department, shown))
        if len(entered) == 2:
            break
    assert len(entered) == 2, f"not enough empty months to enter: {entered}"
    (approve_name, _, approve_shown), (return_name, return_department, return_shown) = entered

    page.locator("header").get_by_role("navigation").get_by_role("link", name="Approvals", exact=True).click()
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    queue = page.get_by_role("table", name=re.compile(r"waiting for approval"))
    # Whoever entered a figure may not approve it: the button is disabled and the row says why.
    own = queue.get_by_role("button", name=f"Approve {approve_name}, {month}", exact=True)
    expect(own).to_be_disabled()
    expect(queue.get_by_role("row").filter(
        has=page.get_by_role("button", name=f"Approve {approve_name}, {month}", exact=True))).to_contain_text(
        "You entered or corrected this figure yourself")

    page.locator("header").get_by_role("button", name="Sign out").click()
    sign_in_and_open(page, "reviewer", "Approvals", "Approvals")
    queue = page.get_by_role("table", name=re.compile(r"waiting for approval"))
    approve = queue.get_by_role("button", name=f"Approve {approve_name}, {month}", exact=True)
    give_back = queue.get_by_role("button", name=f"Return {return_name}, {month}", exact=True)
    expect(approve).to_be_visible()
    expect(give_back).to_be_visible()
    approve_row = queue.get_by_role("row").filter(
        has=page.get_by_role("button", name=f"Approve {approve_name}, {month}", exact=True))
    expect(approve_row.get_by_role("cell", name=approve_shown, exact=True)).to_be_visible()
    expect(approve_row.get_by_role("cell", name=month, exact=True)).to_be_visible()
    axe(page)

    feedback = page.get_by_role("main")
    approve.click()
    expect(feedback.get_by_role("status")).to_contain_text(
        f"Approved {approve_shown} for {approve_name}, {month}. It now counts on the dashboards")
    expect(approve).to_have_count(0)
    expect(give_back).to_be_visible()

    # Returning without a reason is refused and changes nothing.
    give_back.click()
    expect(feedback.get_by_role("alert")).to_contain_text("Give a reason")
    expect(feedback.get_by_role("alert")).to_contain_text("Nothing was changed.")
    expect(give_back).to_be_visible()

    return_row = queue.get_by_role("row").filter(
        has=page.get_by_role("button", name=f"Return {return_name}, {month}", exact=True))
    reason = return_row.get_by_role("textbox", name="Reason to return")
    reason.fill("This is the yearly total; enter the month-end count.")
    give_back.click()
    expect(feedback.get_by_role("status")).to_contain_text(
        f"Returned {return_shown} for {return_name}, {month}, to {return_department} with your reason.")
    expect(give_back).to_have_count(0)


def dashboard_rows(table) -> list[dict[str, str]]:
    """Each body row of the dashboard table: the measure, and the status as read at the top of the "Status and
    reason" cell (the badge's decorative icon dropped)."""
    return table.locator("tbody tr").evaluate_all(
        """rows => rows.map(row => ({
            measure: row.cells[1].innerText.trim(),
            status: row.cells[4].innerText.trim().split('\\n')[0].replace(/^\\W+/, '').trim(),
        }))""")


def test_mayors_office_sees_every_measure_and_filters_by_status(page, axe):
    sign_in_and_open(page, "viewer", "Dashboard", "Recovery dashboard")
    table = page.get_by_role("table", name=re.compile(r"measures as of"))
    caption = table.locator("caption")
    expect(caption).to_contain_text(f"{len(MEASURES)} of {len(MEASURES)} measures")
    # Every measure is listed, published or not (a table row header per measure).
    for measure in MEASURES.values():
        expect(table.get_by_role("rowheader").filter(has_text=measure["name"])).to_have_count(1)
    unpublished = table.get_by_role("row").filter(has=page.get_by_role("rowheader").filter(
        has_text=UNPUBLISHED_MEASURE["name"]))
    expect(unpublished.get_by_role("rowheader")).to_contain_text("Not published")
    expect(table.get_by_role("cell").filter(has_text="Awaiting approval").first).to_be_visible()
    axe(page)

    page.get_by_role("combobox", name="Status", exact=True).select_option(label="Off track")
    expect(caption).not_to_contain_text(f"{len(MEASURES)} of {len(MEASURES)} measures")
    expect(caption).to_contain_text(re.compile(rf"^\d+ of {len(MEASURES)} measures"))
    shown = int(caption.inner_text().split(" ", 1)[0])
    rows = dashboard_rows(table)
    assert shown >= 1 and len(rows) == shown, (shown, rows)
    assert all(row["status"] == "Off track" for row in rows), rows
