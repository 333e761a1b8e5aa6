"""Accessibility across the signed-in states in a real browser: each role lands on its own start page, which passes
axe-core (no exclusions, 1280 px and 375 px) as does the public page seen signed in; and keyboard focus shows a
ring of at least 3:1 contrast on every control a Tab reaches, on the dark navigation bar too."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

from conftest import TEST_PASSWORD, TEST_USERS

# Each role's start page and what shows it has finished loading its data.
START = {
    "viewer": ("/dashboard", "Recovery dashboard", ".dashboard-table"),
    "editor": ("/entry", "Enter monthly figures", "#entry-measure option:nth-child(2)"),
    "admin": ("/review", "Approvals", "#admin-queue .table-responsive, #admin-queue .alert"),
}

# What the focused element is, its outline, and the colour the ring is drawn against: the first opaque background
# among its ancestors (the ring sits outside the element, offset from it).
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    let backdrop = 'rgb(255, 255, 255)';
    for (let node = el.parentElement; node; node = node.parentElement) {
        const bg = getComputedStyle(node).backgroundColor;
        const alpha = bg.startsWith('rgba') ? parseFloat(bg.split(',')[3]) : 1;
        if (bg !== 'transparent' && alpha >= 1) { backdrop = bg; break; }
    }
    return {what: `${el.tagName.toLowerCase()} "${(el.innerText || el.getAttribute('aria-label') || el.id || '')
                     .trim().slice(0, 40)}"`,
            inNavBar: !!el.closest('.navbar-dark'), isNavLink: el.classList.contains('nav-link'),
            outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
            outlineColor: style.outlineColor, backdrop};
}"""


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours."""
    def luminance(rgb):
        channels = []
        for c in rgb:
            c /= 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css_colour: str) -> tuple[int, int, int]:
    """(r, g, b) of a computed "rgb(...)" or "rgba(...)" colour."""
    r, g, b = (int(float(c)) for c in re.findall(r"[\d.]+", css_colour)[:3])
    return r, g, b


def ring_problem(focused: dict) -> str | None:
    """Why a focused element's ring is not good enough, or None when it is visible and contrasting."""
    if focused["outlineStyle"] in ("none", "hidden") or focused["outlineWidth"] < 2:
        return f"{focused['what']}: no visible focus ring ({focused['outlineStyle']} {focused['outlineWidth']}px)"
    ratio = contrast(rgb(focused["outlineColor"]), rgb(focused["backdrop"]))
    if ratio < 3:
        return f"{focused['what']}: ring {focused['outlineColor']} on {focused['backdrop']} is only {ratio:.2f}:1"
    return None


def tab_through(page, limit: int = 80) -> list[dict]:
    """Press Tab from the top of the page until focus leaves the page or comes round again; what each stop was."""
    stops: list[dict] = []
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused["what"] == stops[0]["what"]):
            break
        stops.append(focused)
    return stops


def sign_in(page, who: str) -> None:
    """Sign in on /login as one of TEST_USERS with no page asking, and wait for the start page to be ready."""
    path, heading, ready = START[TEST_USERS[who][1]]
    page.goto("/login")
    page.get_by_label("Email").fill(TEST_USERS[who][0])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator(ready).first).to_be_attached()


def open_public_page(page) -> None:
    """Go to / and wait until its measure cards have rendered."""
    page.goto("/")
    expect(page.locator(".measure-card").first).to_be_visible()


@pytest.mark.parametrize("who", ["viewer", "editor", "admin"])
def test_each_role_lands_on_its_start_page_and_every_signed_in_page_passes_axe(page, axe, who):
    sign_in(page, who)
    axe(page)  # the role's start page, with its data, at 1280 px and 375 px
    open_public_page(page)
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()
    axe(page)  # the public page as a signed-in person sees it


@pytest.mark.parametrize("who", [None, "viewer", "editor", "admin"])
def test_every_control_a_tab_reaches_shows_a_contrasting_focus_ring(page, who):
    if who is None:
        open_public_page(page)
    else:
        sign_in(page, who)
    stops = tab_through(page)
    assert len(stops) >= 5, stops
    nav_links = [s for s in stops if s["isNavLink"]]
    assert nav_links and all(s["inNavBar"] for s in nav_links), "Tab never reached a link on the navigation bar"
    problems = [problem for stop in stops if (problem := ring_problem(stop))]
    assert problems == [], "\n".join(problems)
