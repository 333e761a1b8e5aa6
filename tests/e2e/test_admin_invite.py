"""The people administration in a real browser: the performance team invites a department editor, who opens the
one-time link, sets a password and signs in; each admin page (departments, accounts, events on charts, audit log)
and the set-password page pass axe-core.

The live server's database is shared with the other browser tests: this test adds one account and changes nothing
else.
"""
from __future__ import annotations

import re

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS

NEW_PASSWORD = "magnolia-bayou-streetcar-42"
ADMIN_PAGES = {
    "/admin/departments": ("Departments and partner agencies", "#admin-dept-list table"),
    "/admin/annotations": ("Events on charts", "#admin-note-list table"),
    "/admin/audit": ("Audit log", "#admin-audit-list table"),
}


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the /login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_invites_an_editor_who_sets_a_password_through_the_link_and_signs_in(page, browser, live_server, axe):
    sign_in(page, TEST_USERS["admin"][0], TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/review$"))

    for path, (heading, loaded) in ADMIN_PAGES.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(page.locator(loaded)).to_be_visible()
        axe(page)

    page.goto("/admin/accounts")
    expect(page.get_by_role("heading", level=1, name="Accounts")).to_be_visible()
    expect(page.locator("#admin-account-list table")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("bayou.editor@example.org")
    page.get_by_label("Name", exact=True).fill("Bayou Editor")
    page.locator("#admin-invite-role").select_option("editor")
    page.get_by_role("button", name="Create account and link").click()
    expect(page.locator("#admin-invite-result")).to_contain_text("choose their department")
    expect(page.get_by_label("Email", exact=True)).to_have_value("bayou.editor@example.org")  # nothing typed is lost
    page.locator("#admin-invite-department").select_option(label="Office of Community Development (City-Parish department)")
    page.get_by_role("button", name="Create account and link").click()
    link_field = page.locator("#admin-issued-link")
    expect(link_field).to_be_visible()
    link = link_field.input_value()
    assert re.search(r"/invite/[A-Za-z0-9_-]{40,}$", link), link
    expect(page.locator("#admin-account-list")).to_contain_text("Bayou Editor")
    axe(page)

    # The editor, in a browser of their own, opens the link the admin passed on.
    context = browser.new_context(base_url=live_server.url)
    try:
        person = context.new_page()
        person.goto(link)
        expect(person.get_by_role("heading", name="Set your password")).to_be_visible()
        axe(person)
        person.get_by_label("New password").fill(NEW_PASSWORD)
        person.get_by_label("The same password again").fill(NEW_PASSWORD + "x")
        person.get_by_role("button", name="Set password").click()
        expect(person.get_by_role("alert")).to_contain_text("not the same")
        person.get_by_label("New password").fill(NEW_PASSWORD)
        person.get_by_label("The same password again").fill(NEW_PASSWORD)
        person.get_by_role("button", name="Set password").click()
        expect(person).to_have_url(re.compile(r"/login\?error=password-set"))
        expect(person.locator("#login-message")).to_contain_text("Your password is set")
        person.get_by_label("Email").fill("bayou.editor@example.org")
        person.get_by_label("Password").fill(NEW_PASSWORD)
        person.get_by_role("button", name="Sign in").click()
        expect(person).to_have_url(re.compile(r"/entry$"))
        expect(person.get_by_text("Bayou Editor")).to_be_visible()

        person.goto(link)
        expect(person.get_by_role("alert")).to_contain_text("used already")
    finally:
        context.close()
