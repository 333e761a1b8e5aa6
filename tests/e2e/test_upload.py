"""Uploading a spreadsheet in a browser: a bad row shows in the preview and blocks Apply until a fixed file comes."""
from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from e2e.test_staff_paths import sign_in_and_open

# Corrections of January 2025 (no other browser test writes that month): one row is not a number.
HEADER = "measure,name,period,value,note,reason\r\n"
BAD = (HEADER + "ocd-vacant-addresses-flooded-tracts,Vacant addresses,1/1/2025,\"2,981\",,Recount of the list\r\n"
       "ocd-lmi-benefit-share,LMI share,2025-01,lots,,Rounding fixed in the report\r\n").encode()
FIXED = BAD.replace(b",lots,", b",78.5%,")


def upload(page, name: str, content: bytes) -> None:
    """Choose a file in the upload component as a person would through the file dialog."""
    page.locator("#entry-upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}])


def test_a_bad_row_blocks_apply_until_a_fixed_file_is_uploaded(page, axe):
    sign_in_and_open(page, "editor", "Enter figures", "Enter monthly figures")
    page.get_by_role("link", name="Upload a spreadsheet").click()
    expect(page.get_by_role("heading", name="Upload a spreadsheet", level=1)).to_be_visible()
    apply = page.get_by_role("button", name="Apply the figures")
    expect(apply).to_be_disabled()

    upload(page, "january.csv", BAD)
    preview = page.get_by_role("table")
    expect(preview).to_contain_text("january.csv: 2 rows: 0 new, 1 correction, 0 unchanged, 0 skipped (no value), "
                                    "1 rejected.")
    rejected = preview.get_by_role("row").filter(has_text="Rejected")
    expect(rejected).to_contain_text("january.csv, row 3, value: 'lots' is not a number.")
    expect(page.locator("#entry-upload-result")).to_contain_text("Nothing can be applied yet: 1 row is rejected")
    expect(apply).to_be_disabled()
    axe(page)

    upload(page, "january-fixed.csv", FIXED)
    expect(preview).to_contain_text("january-fixed.csv: 2 rows: 0 new, 2 corrections")
    expect(preview.get_by_role("row").filter(has_text="Rejected")).to_have_count(0)
    expect(apply).to_be_enabled()
    apply.click()
    expect(page.locator("#entry-upload-result").get_by_role("status")).to_contain_text(
        "Saved. january-fixed.csv: 2 rows: 0 new, 2 corrected")
    expect(apply).to_be_disabled()
