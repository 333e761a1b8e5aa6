"""Signing in and out in a real browser: each demo role sees its own navigation, a wrong password is explained and
keeps the email, protected pages send anonymous visitors to the sign-in page, and /login passes axe-core."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from api.auth import START_PAGES
from conftest import TEST_PASSWORD, TEST_USERS

# The header navigation each role should see, in order: (link text, href).
STAFF_NAV = [("Progress", "/"), ("Dashboard", "/dashboard"), ("Submissions", "/dashboard/submissions")]
NAV = {
    "admin": [*STAFF_NAV, ("Enter figures", "/entry"), ("Approvals", "/review"), ("Reports", "/admin/feedback"),
              ("Admin", "/admin")],
    "viewer": STAFF_NAV,
    "editor": [*STAFF_NAV, ("Enter figures", "/entry")],
    "state_editor": [*STAFF_NAV, ("Enter figures", "/entry")],
}
ANONYMOUS_NAV = [("Progress", "/")]
INVALID = "That email and password do not match an active account."


def nav_links(page) -> list[tuple[str, str]]:
    """(text, href) of the header's navigation links."""
    return page.locator("header nav #pub-nav a").evaluate_all(
        "links => links.map(a => [a.innerText.trim(), a.getAttribute('href')])")


def sign_in(page, email: str, password: str) -> None:
    """Fill the labelled fields on /login and submit, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("who", list(NAV))
def test_each_role_signs_in_sees_its_navigation_and_signs_out(page, live_server, who):
    email = TEST_USERS[who][0]
    sign_in(page, email, TEST_PASSWORD)
    expect(page).to_have_url(live_server.url + START_PAGES[TEST_USERS[who][1]])
    header = page.locator("header")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(header.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(page.locator("header nav #pub-nav a")).to_have_count(len(NAV[who]))
    assert nav_links(page) == [list(link) for link in NAV[who]]

    # Follow each link whose page exists (some are still being built): it opens, titled, without console errors.
    if who == "admin":
        for text, href in NAV[who][1:]:
            if live_server.has_page(href):
                header.get_by_role("link", name=text, exact=True).click()
                # A page may write its filters into the address (the dashboard's month): the path is what counts.
                expect(page).to_have_url(re.compile(re.escape(live_server.url + href) + r"(\?.*)?$"))
                expect(page.get_by_role("heading", level=1)).to_be_visible()

    header.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?error=signed-out$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("You are signed out.")
    expect(header.get_by_role("link", name="Sign in")).to_have_attribute("href", "/login")
    expect(header.get_by_role("button", name="Sign out")).to_have_count(0)
    assert nav_links(page) == [list(link) for link in ANONYMOUS_NAV]


def test_wrong_password_explains_and_keeps_the_email(page, live_server):
    email = TEST_USERS["viewer"][0]
    sign_in(page, email, "not-the-password")
    expect(page).to_have_url(re.compile(r"/login\?"))
    expect(page.get_by_role("alert")).to_contain_text(INVALID)
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    assert "not-the-password" not in page.url
    expect(page.locator("header").get_by_role("link", name="Sign in")).to_be_visible()

    # Correcting only the password is enough.
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard")  # the viewer's start page
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()


def test_anonymous_dashboard_visit_goes_to_sign_in_and_back(page, live_server):
    if not live_server.has_page("/dashboard"):
        pytest.skip("the /dashboard page is not registered yet")
    response = page.request.get("/dashboard", max_redirects=0)
    assert response.status == 302
    location = urlsplit(response.headers["location"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": ["/dashboard"]}

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)dashboard$"))
    page.get_by_label("Email").fill(TEST_USERS["viewer"][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard")


def test_login_page_has_no_axe_violations(page, axe):
    page.goto("/login")
    expect(page.get_by_label("Password")).to_be_visible()
    axe(page)


def test_login_page_with_an_error_has_no_axe_violations(page, axe):
    page.goto("/login?error=invalid&email=someone%40example.org")
    expect(page.get_by_role("alert")).to_contain_text(INVALID)
    axe(page)
