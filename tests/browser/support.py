"""What the journeys do often: sign in, switch language, and check a key page (screenshots + axe-core).

``check_page(site, page, name)`` is the accessibility gate: axe-core runs on the page as the journey
reached it (flashed messages included) and again with the page loaded in the other language; any
serious or critical violation fails the test with the rule, the elements and axe's advice. Both
renderings are saved as screenshots, and every violation (of any impact) is written next to them as
JSON, so a reviewer sees the minor ones too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_babel import force_locale

from kakehashi.extensions import db
from tests.factories import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the ``browser`` fixture skips (or fails, in CI) and says why
    expect = None

LANGUAGES = ("ja", "en")
BLOCKING = ("serious", "critical")
AXE_OPTIONS = {"resultTypes": ["violations"]}  # every rule axe-core has (WCAG 2.x A/AA and best practices)

_axe: Any = None


def axe() -> Any:
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    return _axe


def in_language(url: str, lang: str) -> str:
    """``url`` with ``?lang=`` set (the site's language switch, remembered for the session)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "lang"]
    query.append(("lang", lang))
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def page_language(page: Any) -> str:
    return page.evaluate("document.documentElement.lang")


def switch_language(page: Any, lang: str) -> None:
    """Use the language switch in the navigation bar, as a person would."""
    page.locator(f'nav.navbar a[hreflang="{lang}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def check_page(site: Any, page: Any, name: str) -> None:
    """Screenshot the page and run axe-core on it, as it is and then in the other language; the page is
    left as it was found, in its language (but reloaded: a form's unsent input is gone)."""
    start = page.url
    original = page_language(page)
    blocking: list[str] = []
    for lang in (original, *(other for other in LANGUAGES if other != original)):
        if lang != original:
            page.goto(in_language(start, lang))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        violations = axe().run(page, options=AXE_OPTIONS).response["violations"]
        shot = site.screenshot_path(f"{name}-{lang}")
        page.screenshot(path=shot, full_page=True)
        if violations:
            shot.with_suffix(".axe.json").write_text(json.dumps(violations, ensure_ascii=False, indent=1))
        blocking += [_describe(v, lang, name) for v in violations if v.get("impact") in BLOCKING]
    page.goto(in_language(start, original))
    assert not blocking, "axe-core found serious or critical accessibility problems:\n" + "\n".join(blocking)


def _describe(violation: dict[str, Any], lang: str, name: str) -> str:
    nodes = "; ".join(
        f"{' '.join(node['target'])}: {node.get('failureSummary', '').replace(chr(10), ' ')}"
        for node in violation["nodes"][:5]
    )
    return f"[{name}, {lang}] {violation['id']} ({violation['impact']}): {violation['help']} — {nodes}"


def sign_in(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Through the login form, in whatever language the page is in."""
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(password)
    page.locator("form:has(#password) button[type=submit]").click()
    expect(page.locator("nav.navbar")).to_contain_text(user.name)


def translated(message: str, lang: str = "ja", **values: Any) -> str:
    """A UI string as the catalogue has it in ``lang`` (so a missing translation shows up as English)."""
    from flask_babel import gettext

    with force_locale(lang):
        return gettext(message, **values)


def label(lazy: Any, lang: str) -> str:
    """A lazily translated label (an enum's, a form field's) in ``lang``."""
    with force_locale(lang):
        return str(lazy)


def fresh() -> None:
    """End the test's read transaction so the next query sees what the browser's requests stored."""
    db.session.commit()


def snapshot(site: Any, page: Any, name: str) -> None:
    """A screenshot only, of a page whose template a ``check_page`` has already covered."""
    page.screenshot(path=site.screenshot_path(name), full_page=True)
