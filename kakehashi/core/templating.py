"""Jinja filters and globals shared by every template, and the role-aware navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from babel.dates import format_timedelta
from babel.numbers import format_percent as babel_percent
from flask import Flask, current_app, g, request, url_for
from flask_babel import get_locale, get_translations
from flask_login import current_user

# Jinja's own "newstyle" wrappers (autoescape, ``%(name)s`` formatting), as Flask-Babel installs them.
from jinja2 import pass_context
from jinja2.ext import _make_new_gettext, _make_new_ngettext, _make_new_npgettext, _make_new_pgettext
from markupsafe import Markup, escape

from kakehashi.core.db import utcnow
from kakehashi.core.i18n import country_name, current_locale, language_names, pick
from kakehashi.core.markdown import render_markdown
from kakehashi.core.money import format_money, format_money_compact
from kakehashi.core.timezones import show_date, show_datetime


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy string, evaluated in the viewer's language
    visible: Callable[[Any], bool]
    order: int
    area: str = "main"  # "main" or "admin"


_nav: dict[str, NavItem] = {}


def add_nav(
    endpoint: str,
    label: Any,
    *,
    visible: Callable[[Any], bool] = lambda user: True,
    order: int = 50,
    area: str = "main",
) -> None:
    """Feature modules add their entries; each says who sees it (the route still checks access)."""
    _nav[endpoint] = NavItem(endpoint, label, visible, order, area)


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: Markup  # the entry's label in the viewer's language


# Each catalogue's nav labels (a lazy string evaluates through Flask-Babel's lookups every time it is
# shown; the nav shows the same few on every page). Markup, as the lazy string's ``__html__`` gave them.
_nav_labels: WeakKeyDictionary[Any, dict[str, Markup]] = WeakKeyDictionary()


def nav_items(area: str) -> list[NavLink]:
    """The entries this user sees, worked out once per request (base.html asks for each area)."""
    if "_nav_items" not in g:
        user = current_user._get_current_object()
        visible = sorted((item for item in _nav.values() if item.visible(user)), key=lambda item: item.order)
        translations = get_translations()
        labels = _nav_labels.get(translations)
        if labels is None:
            labels = _nav_labels.setdefault(translations, {})
        links = []
        for item in visible:
            label = labels.get(item.endpoint)
            if label is None:
                label = labels[item.endpoint] = escape(item.label)  # as Jinja shows it
            links.append((item.area, NavLink(item.endpoint, label)))
        g._nav_items = {name: [link for where, link in links if where == name] for name in ("main", "admin")}
    return g._nav_items.get(area, [])


# Each catalogue's translated texts that take no variables, as Jinja's wrapper returned them (Markup in
# autoescaped templates, plain text in emails' .txt): a page renders the same few dozen every time.
# Flask-Babel keeps one catalogue object per language for the app's life.
_texts: WeakKeyDictionary[Any, dict[tuple[str, bool], Any]] = WeakKeyDictionary()
_MAX_TEXTS = 5000  # msgids are the templates' literals; this only guards against _() on data


def _memoized_gettext(translations: Any) -> Any:
    jinja_gettext = _make_new_gettext(translations.ugettext)
    texts = _texts.get(translations)
    if texts is None:
        texts = _texts.setdefault(translations, {})

    @pass_context
    def gettext(__context: Any, __string: str, **variables: Any) -> Any:
        if variables:
            return jinja_gettext(__context, __string, **variables)
        key = (__string, __context.eval_ctx.autoescape)
        text = texts.get(key)
        if text is None:
            text = jinja_gettext(__context, __string)
            if len(texts) < _MAX_TEXTS:
                texts[key] = text
        return text

    return gettext


def _request_context() -> dict[str, Any]:
    """Per render: gettext bound to this request's catalogue, and the signed-in user itself.

    Flask-Babel's template callables look up the request's locale and catalogue on every ``_()``
    (about 16 µs each, hundreds per page); the catalogue cannot change while a template renders, so it
    is looked up once here. The wrappers are Jinja's own, so escaping and ``%(name)s`` formatting are
    unchanged; texts without variables are remembered per catalogue. ``current_user`` is the user
    object rather than Flask-Login's proxy (each attribute read through the proxy costs a context
    lookup).
    """
    translations = get_translations()
    gettext = _memoized_gettext(translations)
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
        "current_user": current_user._get_current_object(),
        "_locale_code": current_locale(),
    }


@pass_context
def localized(context: Any, text: Any, locale: str | None = None) -> str:
    """Filter ``localized``: ``pick`` in the language this render is in (looked up once per render)."""
    return pick(text, locale or context.get("_locale_code"))


def fixed_url(endpoint: str, filename: str | None = None) -> str:
    """``url_for`` for an address with no variable part (a static file, a nav entry), built once per
    app and mount point: base.html asks for about ten on every page."""
    urls = current_app.extensions.setdefault("kakehashi.fixed_urls", {})
    key = (request.script_root, endpoint, filename)
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, filename=filename) if filename is not None else url_for(endpoint)
    return url


def url_with_lang(code: str) -> str:
    """The current page in another language (the switcher's links)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def time_left(deadline: Any, now: Any = None) -> str:
    """ "3 days", "5 hours": how long until a deadline, in the viewer's language."""
    remaining = deadline - (now or utcnow())
    if remaining.total_seconds() <= 0:
        return ""
    # Babel's own formatter with the request's locale (what Flask-Babel's wrapper does, minus its lookups).
    return format_timedelta(remaining, threshold=1.5, add_direction=False, locale=get_locale())


def format_percent(value: Any) -> str:
    """``12.5`` (a percentage) → ``12.5%`` in the viewer's number format."""
    return babel_percent(float(value) / 100, format="#,##0.##%", locale=current_locale()) if value is not None else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        localized=localized,
        country=country_name,
        datetime=show_datetime,
        date=show_date,
        money=format_money,
        money_compact=format_money_compact,
        time_left=time_left,
        percent=format_percent,
        markdown=render_markdown,
    )
    app.jinja_env.globals.update(
        current_locale=current_locale,
        language_names=language_names,
        url_with_lang=url_with_lang,
        fixed_url=fixed_url,
        nav_items=nav_items,
    )
    app.context_processor(_request_context)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def for_staff(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def for_signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)
