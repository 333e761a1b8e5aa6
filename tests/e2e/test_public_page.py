"""The public progress page in a real browser: published goals only, a status and reason on every measure,
landmarks and skip link, the month picker, axe-core, and the README screenshot (UPDATE_SCREENSHOT=1)."""
from __future__ import annotations

import csv
import os
import re
from datetime import date
from pathlib import Path

import pytest

from models import clock
from models.progress import add_months, last_complete_month, months_between

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the fixtures skip these tests (or fail them when REQUIRE_BROWSER=1)
    expect = None

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "seed"
SCREENSHOT = ROOT / "docs" / "public-page.png"
STATUS_TEXTS = {"Achieved", "On track", "At risk", "Off track", "No data"}


def _rows(name: str) -> list[dict[str, str]]:
    with (SEED / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _published(row: dict[str, str]) -> bool:
    return row["published"].strip().lower() == "true"


GOALS = _rows("goals.csv")
PUBLISHED_GOALS = [g for g in GOALS if _published(g)]
UNPUBLISHED_GOALS = [g for g in GOALS if not _published(g)]
PUBLISHED_GOAL_SLUGS = {g["slug"] for g in PUBLISHED_GOALS}
MEASURES = _rows("measures.csv")
PUBLIC_MEASURES = [m for m in MEASURES if _published(m) and m["goal"] in PUBLISHED_GOAL_SLUGS]
HIDDEN_MEASURES = [m for m in MEASURES if not (_published(m) and m["goal"] in PUBLISHED_GOAL_SLUGS)]


def open_public_page(page):
    """Go to / and wait until the month's goals and measure cards have rendered."""
    page.goto("/")
    expect(page.get_by_text(re.compile(r"Status of measures as of"))).to_be_visible()
    expect(page.locator(".measure-card").first).to_be_visible()


@pytest.fixture
def public_page(module_page):
    """The public page, loaded once for this module's read-only checks."""
    if module_page.url == "about:blank":
        open_public_page(module_page)
    return module_page


def test_seed_has_published_and_unpublished_goals():
    """The checks below need both kinds in the seed data."""
    assert len(PUBLISHED_GOALS) >= 2 and UNPUBLISHED_GOALS and HIDDEN_MEASURES


def test_published_goals_are_headings_and_unpublished_ones_are_absent(public_page):
    page = public_page
    for goal in PUBLISHED_GOALS:
        expect(page.get_by_role("heading", name=goal["title"], exact=True)).to_be_visible()
    body = page.locator("body").inner_text()
    for goal in UNPUBLISHED_GOALS:
        assert goal["title"] not in body, f"unpublished goal {goal['slug']!r} is shown on the public page"
    for measure in HIDDEN_MEASURES:
        assert measure["name"] not in body, f"unpublished measure {measure['slug']!r} is shown on the public page"
        expect(page.locator(f"#measure-{measure['slug']}")).to_have_count(0)


def test_every_published_measure_has_a_status_badge_and_a_reason(public_page):
    page = public_page
    expect(page.locator(".measure-card")).to_have_count(len(PUBLIC_MEASURES))
    cards = page.locator(".measure-card").evaluate_all(
        """cards => cards.map(card => ({
            id: card.id,
            name: card.querySelector('h3')?.innerText.trim(),
            badge: card.querySelector('.status-badge')?.innerText.trim(),
            reason: card.querySelector(':scope > p')?.innerText.trim(),
        }))"""
    )
    assert {c["id"] for c in cards} == {f"measure-{m['slug']}" for m in PUBLIC_MEASURES}
    for card in cards:
        badge = re.sub(r"^\W+\s*", "", card["badge"] or "")  # the icon before the text is decorative
        assert badge in STATUS_TEXTS, f"{card['id']}: status badge text {card['badge']!r}"
        reason = card["reason"] or ""
        assert len(reason) > 20 and reason.endswith("."), f"{card['id']}: reason sentence {reason!r}"


def test_document_language_and_one_main_landmark(public_page):
    expect(public_page.locator("html")).to_have_attribute("lang", "en")
    expect(public_page.get_by_role("main")).to_have_count(1)
    expect(public_page.locator("main")).to_have_count(1)


def test_public_page_has_no_axe_violations(public_page, axe):
    axe(public_page)


def test_skip_link_moves_focus_to_main(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Flood recovery: how we are doing")
    skip = page.get_by_role("link", name="Skip to main content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # visually hidden until focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/#main$"))


def test_month_picker_offers_every_month_since_the_data_starts_and_changes_the_month_shown(page):
    public = {m["slug"] for m in PUBLIC_MEASURES}
    first = min(row["period"] for row in _rows("measurements.csv") if row["state"] == "approved"
                and row["measure"] in public)
    latest = last_complete_month(clock.today())
    open_public_page(page)
    as_of = page.get_by_text(re.compile(r"Status of measures as of"))
    expect(as_of).to_contain_text(f"{latest:%B %Y}")

    picker = page.get_by_role("combobox", name="Show progress as of")
    expect(picker).to_have_value(latest.isoformat())
    first_month = date.fromisoformat(first + "-01")
    expect(picker.locator("option").last).to_have_text(f"{first_month:%B %Y}")
    # (dbc.Select also renders a hidden, empty placeholder option.)
    expect(picker.locator("option:not([value=''])")).to_have_count(months_between(first_month, latest) + 1)

    wanted = add_months(latest, -12)
    picker.select_option(wanted.isoformat())
    expect(as_of).to_contain_text(f"{wanted:%B %Y}")
    expect(page.get_by_role("heading", name=PUBLISHED_GOALS[0]["title"], exact=True)).to_be_visible()


def test_each_how_this_is_counted_toggle_names_its_measure(page):
    open_public_page(page)
    names = page.locator("summary").evaluate_all("els => els.map(e => e.textContent.trim())")
    assert len(names) == len(PUBLIC_MEASURES), names
    assert len(set(names)) == len(names), "toggles must not share one accessible name"
    for measure in PUBLIC_MEASURES:
        assert f"How this is counted and where it comes from: {measure['name']}" in names


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_readme_screenshot_matches_the_page(page, tmp_path):
    """The README's docs/public-page.png shows the public page as a 1280 px browser does (UPDATE_SCREENSHOT=1
    rewrites it)."""
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "public-page.png"
    open_public_page(page)
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=False, animations="disabled")
    assert target.stat().st_size > 10_000
    assert SCREENSHOT.exists(), "docs/public-page.png is missing: run with UPDATE_SCREENSHOT=1"
    assert _png_size(SCREENSHOT) == _png_size(target) == (page.viewport_size["width"], page.viewport_size["height"])


@pytest.fixture
def small_card_budget(live_server, monkeypatch):
    """The public page with a card budget that fits the first goal only, so every later goal is in the table.

    The live server runs in this process: the budget is patched, and the data version bumped before and after so
    no answer kept under the default budget is served (or kept for later tests)."""
    from sqlalchemy.orm import Session

    from callbacks import public, response_cache
    from models.audit import bump_data_version
    from models.base import make_engine

    def bump() -> None:
        engine = make_engine(live_server.database_url)
        try:
            with Session(engine) as session:
                bump_data_version(session)
                session.commit()
        finally:
            engine.dispose()
        response_cache.clear_local()

    first = [m for m in PUBLIC_MEASURES if m["goal"] == PUBLISHED_GOALS[0]["slug"]]
    monkeypatch.setattr(public, "PUBLIC_CARD_BUDGET", len(first))
    bump()
    yield first
    monkeypatch.undo()
    bump()


def test_goals_beyond_the_card_budget_are_one_accessible_table_with_status_words_and_links(page, axe,
                                                                                          small_card_budget):
    from models.progress import STATUS_LABELS

    open_public_page(page)
    expect(page.locator(".measure-card")).to_have_count(len(small_card_budget))
    table = page.get_by_role("table")
    expect(table).to_have_count(1)
    expect(table.locator("caption")).to_contain_text(f"{len(PUBLISHED_GOALS) - 1} more goals")
    expect(table.locator("thead th[scope='col']")).to_have_text(["Goal", "Goal status", "Measures by status"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(PUBLISHED_GOALS) - 1)
    for index, goal in enumerate(PUBLISHED_GOALS[1:]):
        row = rows.nth(index)
        expect(row.locator("th[scope='row']").get_by_role("link", name=goal["title"], exact=True)) \
            .to_have_attribute("href", f"/goals/{goal['slug']}")
        expect(row.locator("td").first).to_have_text(re.compile("^(" + "|".join(STATUS_LABELS.values()) + ")$"))
        expect(row.locator("td").last).to_contain_text(re.compile(r"^\d+ measures?"))
    axe(page)
    page.evaluate("window.__sameDocument = true")  # gone if the click reloaded the page
    rows.first.get_by_role("link").click()  # opens in place, as Dash's own links do
    expect(page).to_have_url(re.compile(f"/goals/{PUBLISHED_GOALS[1]['slug']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PUBLISHED_GOALS[1]["title"])
    assert page.evaluate("window.__sameDocument === true"), "the table's link reloaded the app"
