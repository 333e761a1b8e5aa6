"""Browser-test fixtures: a live server on a seeded SQLite copy, Chromium pages that fail on console errors, axe-core.

Playwright (Python) drives Debian's Chromium at /usr/bin/chromium (`playwright install` cannot work on these
machines). Without Chromium or Playwright every browser test is skipped with the reason; REQUIRE_BROWSER=1 (CI)
turns that skip into a failure. UPDATE_SCREENSHOT=1 rewrites docs/public-page.png (see test_public_page.py).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from conftest import app_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")  # Debian's package; override to try another
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 375, "height": 812}
# Generous: these machines are small and often busy; a healthy page is far quicker.
TIMEOUT_MS = 20_000
E2E_DIR = Path(__file__).resolve().parent

# axe-core scans every element of every page, leaving nothing out.


def browser_unavailable() -> str | None:
    """Why browser tests cannot run here, or None when Playwright and Chromium are both present."""
    try:
        import axe_playwright_python.sync_playwright  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Playwright or axe-playwright-python is not installed ({error}); install the 'test' extras"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`"
    return None


def _skip_or_fail(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"Browser tests cannot run: {reason} (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(f"Browser tests skipped: {reason}")


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_report_header(config):
    """Say up front whether the browser tests will run."""
    reason = browser_unavailable()
    return f"browser tests: {'skipped: ' + reason if reason else 'Chromium at ' + CHROMIUM}" \
        f"{' (REQUIRE_BROWSER=1)' if REQUIRE_BROWSER else ''}"


@dataclass
class LiveServer:
    """The app served from a thread: its base URL and the paths of the pages it registered."""

    url: str
    page_paths: frozenset[str]
    database_url: str = ""

    def has_page(self, path: str) -> bool:
        """Whether the app has a Dash page at `path` (some pages are still being built)."""
        return path in self.page_paths


@pytest.fixture(scope="session")
def playwright_available() -> None:
    """Skip (or fail under REQUIRE_BROWSER=1) before anything expensive is built."""
    reason = browser_unavailable()
    if reason:
        _skip_or_fail(reason)


class QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request (a page load makes dozens)."""

    def log_request(self, *args, **kwargs) -> None:
        """Do not log successful requests."""


@pytest.fixture(scope="session")
def live_server(playwright_available, templates) -> Iterator[LiveServer]:
    """The app on its own copy of the seeded SQLite database, served by werkzeug from a daemon thread."""
    import dash

    from app import create_app
    from extensions import EXTENSION_KEY

    url, cleanup = templates.clone("sqlite", True)
    app = create_app(app_config(url))
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    paths = frozenset(page.get("path") for page in dash.page_registry.values())
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", page_paths=paths, database_url=url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.server.extensions[EXTENSION_KEY].engine.dispose()
        cleanup()


@pytest.fixture(scope="session")
def browser(playwright_available) -> Iterator:
    """One headless Chromium for the session (launching it is the slow part)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _console_problems_text(problems: list[str]) -> str:
    return "The browser reported errors:\n  " + "\n  ".join(problems)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not only its teardown) when its page logged console errors or threw."""
    result = yield
    problems = getattr(item, "_browser_problems", None)
    if problems:
        reported = list(problems)
        problems.clear()  # reported here; the page fixture's teardown reports only later ones
        pytest.fail(_console_problems_text(reported), pytrace=False)
    return result


@dataclass
class WatchedPage:
    """A page in its own browser context, with the console errors and page errors it has reported."""

    context: object
    page: object
    problems: list[str]

    def close(self) -> None:
        """Close the page's browser context."""
        self.context.close()


def open_watched_page(browser, live_server: LiveServer) -> WatchedPage:
    """A fresh context and page at 1280x900 on the live server (relative URLs work) that records every console
    message of type "error" and every uncaught page error."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            where = message.location or {}
            problems.append(f"console.error on {page.url}: {message.text} "
                            f"[{where.get('url', '?')}:{where.get('lineNumber', '?')}]")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught page error on {page.url}: {error}"))
    return WatchedPage(context=context, page=page, problems=problems)


@pytest.fixture
def page(browser, live_server, request) -> Iterator:
    """A fresh page for one test; the test fails if the browser logged a console error or threw a page error,
    with the messages in the failure text."""
    watched = open_watched_page(browser, live_server)
    request.node._browser_problems = watched.problems
    yield watched.page
    watched.close()
    if watched.problems:
        pytest.fail(_console_problems_text(watched.problems), pytrace=False)


@pytest.fixture(scope="module")
def _module_watched_page(browser, live_server) -> Iterator[WatchedPage]:
    watched = open_watched_page(browser, live_server)
    yield watched
    watched.close()
    if watched.problems:
        pytest.fail(_console_problems_text(watched.problems), pytrace=False)


@pytest.fixture
def module_page(_module_watched_page, request):
    """One page shared by a module's read-only tests (loading a Dash page costs seconds on these machines).

    Tests using it must not change what it shows. A console error fails the test during which it was logged.
    """
    request.node._browser_problems = _module_watched_page.problems
    return _module_watched_page.page


def _format_violations(violations: list[dict], url: str) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} "
                     f"[{violation.get('helpUrl', '')}]")
        for node in violation["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
            lines.append(f"      {node.get('html', '')[:200]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.fixture
def axe() -> Callable:
    """A checker: `axe(page)` runs axe-core (bundled with axe-playwright-python, no network) on the page as it is
    now and fails the test on any violation, naming rule, impact and target nodes.

    Wait for the content you want checked before calling it. Nothing is left out of the scan.
    """
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def check(page) -> None:
        wide = page.viewport_size or VIEWPORT
        try:
            for size in (wide, PHONE_VIEWPORT):  # the desktop layout, then the same page at phone width
                page.set_viewport_size(size)
                page.wait_for_timeout(100)  # let the layout settle at the new width
                violations = checker.run(page).response["violations"]
                if violations:
                    pytest.fail(f"At {size['width']} px: " + _format_violations(violations, page.url), pytrace=False)
        finally:
            page.set_viewport_size(wide)

    return check
