"""The API tokens page in a browser: an editor creates a token, sees it once, revokes it; axe finds nothing."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from e2e.test_staff_paths import sign_in_and_open

VALUES = "/api/v1/measures/ocd-vacant-addresses-flooded-tracts/values"


def send(base_url: str, token: str) -> int:
    """POST an empty list of values with the token, as a partner system would (no cookies): 400 means the token
    was accepted and the body refused, 401 that the token was refused; nothing is written either way."""
    request = urllib.request.Request(base_url + VALUES, data=json.dumps([]).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_editor_creates_a_token_sees_it_once_and_revokes_it(page, axe, live_server):
    sign_in_and_open(page, "editor", "API tokens", "API tokens")
    page.get_by_label("Name").fill("Browser test export")
    page.get_by_role("button", name="Create token").click()
    feedback = page.locator("#entry-token-feedback")
    expect(feedback).to_contain_text("shown only this once")
    secret = page.get_by_label("Your new API token").input_value()
    assert secret.startswith("rs_") and len(secret) == 46
    row = page.locator("tr.token-row", has_text="Browser test export")
    expect(row).to_contain_text(secret[:11])
    expect(row).to_contain_text("Never")
    assert secret not in page.locator("#entry-token-list").inner_text()
    assert send(live_server.url, secret) == 400
    axe(page)

    dialogs = []

    def answer(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    revoke = row.get_by_role("button", name="Revoke the token Browser test export")
    revoke.click()  # asked first; dismissed: nothing happens
    expect(row).to_contain_text("In use")
    assert send(live_server.url, secret) == 400
    revoke.click()  # asked again; confirmed
    expect(feedback).to_contain_text("Revoked the token “Browser test export”")
    assert len(dialogs) == 2 and "Browser test export" in dialogs[0] and "cannot be undone" in dialogs[0]
    expect(feedback).not_to_contain_text(secret)
    expect(row).to_contain_text("Revoked")
    assert send(live_server.url, secret) == 401
    # Shown once: a fresh load of the page lists the token by its first characters only.
    page.reload()
    expect(page.locator("tr.token-row", has_text="Browser test export")).to_contain_text(secret[:11])
    assert secret not in page.content()
