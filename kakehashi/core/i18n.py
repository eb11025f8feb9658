"""Which language a request is served in, and staff-authored text in that language.

Order: ``?lang=`` (remembered in the session and saved for a signed-in user) → the language
remembered in the session → the signed-in user's saved preference → Accept-Language → ``ja``.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale as babel_get_locale
from flask_babel import refresh
from flask_login import current_user

FALLBACK = "ja"


def supported() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def language_names() -> dict[str, str]:
    # Each language is named in itself so a reader can always find their own.
    return {"ja": "日本語", "en": "English"}


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context():
        return FALLBACK
    choices = supported()
    requested = request.args.get("lang")
    if requested in choices:
        return requested
    remembered = session.get("locale")
    if remembered in choices:
        return remembered
    if getattr(current_user, "is_authenticated", False) and current_user.locale in choices:
        return current_user.locale
    return request.accept_languages.best_match(choices) or FALLBACK


def remember_requested_locale() -> None:
    """``before_request``: a ``?lang=`` choice sticks for the session and the user's profile."""
    requested = request.args.get("lang")
    if requested not in supported():
        return
    session["locale"] = requested
    if getattr(current_user, "is_authenticated", False) and current_user.locale != requested:
        from kakehashi.extensions import db

        current_user.locale = requested
        db.session.commit()
    refresh()


def current_locale() -> str:
    return str(babel_get_locale() or FALLBACK)


def pick(text: Mapping[str, str] | None, locale: str | None = None) -> str:
    """The text in the viewer's language, else in the other supported language, else ''."""
    if not text:
        return ""
    locale = locale or current_locale()
    if text.get(locale):
        return text[locale]
    for other in (FALLBACK, "en", *text.keys()):
        if text.get(other):
            return text[other]
    return ""


_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK"}


def countries(locale: str | None = None) -> list[tuple[str, str]]:
    """(ISO 3166 alpha-2 code, name in the viewer's language), Japan first, then by name."""
    names = Locale.parse(locale or current_locale()).territories
    found = [
        (code, name) for code, name in names.items() if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    found.sort(key=lambda item: (item[0] != "JP", item[1]))
    return found


def country_name(code: str | None, locale: str | None = None) -> str:
    if not code:
        return ""
    return Locale.parse(locale or current_locale()).territories.get(code.upper(), code)
