"""The month grid on /entry in a browser: keyboard entry, what a typed value was understood as, a refused save."""
from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from e2e.test_staff_paths import sign_in_and_open, this_month


def value_cell(page, row: int):
    return page.locator(f"#entry-grid .ag-center-cols-container [row-index='{row}'] [col-id='value']")


def loads_the_picked_month(response) -> bool:
    """Whether a response is the grid's rows for a month just picked (the callback from the month to the rows)."""
    body = response.request.post_data or ""
    return ("_dash-update-component" in response.url and '"entry-grid.rowData"' in body
            and '"entry-grid-month"' in body and "cellValueChanged" not in body)


def test_typed_values_are_understood_and_a_bad_one_blocks_the_save(page, axe):
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    sign_in_and_open(page, "editor", "Enter figures", "Enter monthly figures")
    # Type only once the picked month's rows have arrived: rows still loading would replace what was typed.
    with page.expect_response(loads_the_picked_month, timeout=30_000):
        page.get_by_label("Grid month").select_option(label=f"{this_month()} (this month)")
    expect(value_cell(page, 0)).to_be_visible()
    value_cell(page, 0).click()
    page.keyboard.type("45%")
    page.keyboard.press("Enter")
    value_cell(page, 1).click()
    page.keyboard.type("lots")
    page.keyboard.press("Enter")
    row0 = page.locator("#entry-grid .ag-center-cols-container [row-index='0']")
    row1 = page.locator("#entry-grid .ag-center-cols-container [row-index='1']")
    expect(row1.locator("[col-id='problem']")).not_to_have_text("")
    assert row0.locator("[col-id='understood']").inner_text() or row0.locator("[col-id='problem']").inner_text()
    page.get_by_role("button", name="Save the month").click()
    expect(page.locator("#entry-grid-feedback")).to_contain_text("Nothing was saved")
    expect(value_cell(page, 1)).to_have_text("lots")
    assert not [text for text in warnings if "AG Grid" in text], warnings  # e.g. a row id that is not a string
    axe(page)
