"""Real-browser journeys: Debian's Chromium, headless, driven by Playwright, against a live server.

- ``live_server``: the session's test ``app`` served by Werkzeug on 127.0.0.1 (a free port) in a
  thread. It shares the app and so the test database: what the test stores, the browser sees, and
  what the browser does, the test reads back (after ``db.session.commit()``, which ends the test's own
  read transaction).
- ``browser``: Chromium launched once per session from ``/usr/bin/chromium`` (never a browser
  downloaded by Playwright). Without Chromium or Playwright the tests skip, except when
  ``KAKEHASHI_REQUIRE_SERVICES=1`` (CI), where they fail.
- ``site``: one test's view of the live server, with CSRF protection on (as in production) and
  ``BASE_URL`` pointing at the live server, so links in emails and Stripe's return address lead back
  to it. ``site.person(locale)`` opens a browser context (its own cookies: one person) and a page.
  Every page is watched: a response of 500 or more, a script error or a console error (a CSP
  violation is one) fails the test.

Screenshots and axe-core reports go to ``$KAKEHASHI_BROWSER_ARTIFACTS`` (default ``artifacts/browser``).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("KAKEHASHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("KAKEHASHI_BROWSER_ARTIFACTS") or ROOT / "artifacts" / "browser")
VIEWPORT = {"width": 1280, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: a journey in headless Chromium (needs /usr/bin/chromium, playwright)")


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is not installed (apt-get install chromium; .ci/browser.sh does it)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (pip install playwright axe-playwright-python)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("KAKEHASHI_REQUIRE_SERVICES"):
            pytest.fail(f"the browser journeys are required here: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # a loaded 2-core CI machine is slower than a laptop
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Site:
    """The live server for one test, and the people (browser contexts) using it."""

    url: str
    browser: Any
    artifacts: Path
    problems: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    shots: int = 0

    def person(self, locale: str = "en-US", *, timezone: str = "Asia/Tokyo") -> Any:
        """A new browser context (its own cookies) with one page, watched for errors."""
        context = self.browser.new_context(
            base_url=self.url, locale=locale, timezone_id=timezone, viewport=VIEWPORT, accept_downloads=False
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page)
        return page

    def watch(self, page: Any) -> None:
        def on_response(response: Any) -> None:
            if response.status >= 500:
                self.problems.append(f"HTTP {response.status} from {response.request.method} {response.url}")

        def on_console(message: Any) -> None:
            if message.type == "error" and not _ignorable(message):
                self.problems.append(f"console error on {page.url}: {message.text}")

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))

    def screenshot_path(self, name: str) -> Path:
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        return self.artifacts / f"{self.shots:02d}-{slug}.png"

    def capture_failure(self) -> None:
        """What each person's page showed when the test failed (a screenshot and the HTML)."""
        for number, context in enumerate(self.contexts, start=1):
            for page in context.pages:
                stem = self.artifacts / f"failure-person{number}"
                try:
                    page.screenshot(path=stem.with_suffix(".png"), full_page=True)
                    stem.with_suffix(".html").write_text(page.content())
                except Exception as error:  # a page that cannot be captured must not hide the failure
                    self.problems.append(f"could not capture {page.url}: {error}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _ignorable(message: Any) -> bool:
    # The browser asks for /favicon.ico by itself; the site has none (a 404, not a page's error).
    return "favicon.ico" in (message.location or {}).get("url", "")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


_failed = pytest.StashKey[bool]()


@pytest.fixture
def site(request: pytest.FixtureRequest, app: Flask, browser: Any, live_server: str) -> Iterator[Site]:
    # The app's config is restored after every test (tests/conftest.py: app_context).
    app.config.update(WTF_CSRF_ENABLED=True, BASE_URL=live_server)
    artifacts = ARTIFACTS / request.node.name
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    current = Site(live_server, browser, artifacts)
    try:
        yield current
        if request.node.stash.get(_failed, False):
            current.capture_failure()
    finally:
        current.close()
    assert not current.problems, "the browser met errors:\n" + "\n".join(current.problems)
