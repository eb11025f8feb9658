"""Per-render helpers for long lists: dates, money, labels and links worked out once, not once per row.

The template filters (``|datetime``, ``|money_compact``, …) and ``url_for`` look up the request's locale,
timezone, URL adapter and Babel patterns on every call (40–60 µs each); a 50- to 500-row table pays that
for every cell. ``Formats`` looks them up once and formats exactly as the filters do (the tests compare
both over many values, in both languages). Used by the application, judging, landing and hub lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from babel import Locale
from babel.dates import get_datetime_format, parse_pattern
from flask import g, url_for
from flask_babel import get_timezone

from kakehashi.core.i18n import country_name, current_locale, pick
from kakehashi.core.money import Amount, format_money, format_money_compact
from kakehashi.core.timezones import TOKYO

_NAMED = ("full", "long", "medium", "short")
_PLACEHOLDER = 987_654_321  # an id no row has: replaced in the URL built once (see ``url_pattern``)


@lru_cache(maxsize=64)
def _date_pattern(locale: str, fmt: str) -> Any:
    babel_locale = Locale.parse(locale)
    return parse_pattern(babel_locale.date_formats[fmt].pattern if fmt in _NAMED else fmt)


@lru_cache(maxsize=64)
def _datetime_patterns(locale: str, fmt: str) -> tuple[str | None, Any, Any]:
    """(combining pattern, date pattern, time pattern) for a named format; (None, pattern, None) for others."""
    babel_locale = Locale.parse(locale)
    if fmt not in _NAMED:
        return None, parse_pattern(fmt), None
    combined = get_datetime_format(fmt, locale=babel_locale).replace("'", "")
    return (
        combined,
        parse_pattern(babel_locale.date_formats[fmt].pattern),
        parse_pattern(babel_locale.time_formats[fmt].pattern),
    )


# Pure functions of their arguments (Babel's data does not change while the process runs): amounts that
# recur across rows and requests are formatted once.
_money_compact = lru_cache(maxsize=8192, typed=True)(format_money_compact)
_money = lru_cache(maxsize=8192, typed=True)(format_money)
_country_name = lru_cache(maxsize=4096)(country_name)


@lru_cache(maxsize=16384)
def _datetime(moment: datetime, tz: Any, locale: str, fmt: str) -> str:
    """``moment`` (aware) in ``tz``, formatted: a pure function, so a value shown again (the same page
    of a list, requested again) is formatted once per worker."""
    local = moment.astimezone(tz)
    if hasattr(tz, "normalize"):  # pytz, as Flask-Babel's timezone is
        local = tz.normalize(local)
    babel_locale = Locale.parse(locale)
    combined, date_pattern, time_pattern = _datetime_patterns(locale, fmt)
    if combined is None:
        return date_pattern.apply(local, babel_locale)
    return combined.replace(
        "{0}", time_pattern.apply(local.timetz(), babel_locale, reference_date=local.date())
    ).replace("{1}", date_pattern.apply(local, babel_locale))


class Formats:
    """The request's locale, Babel locale and display timezone, for formatting many values."""

    def __init__(self, locale: str | None = None) -> None:
        self.locale = locale or current_locale()
        self.babel_locale = Locale.parse(self.locale)
        self.tz = get_timezone() or TOKYO
        self._labels: dict[Any, str] = {}
        self._countries: dict[str | None, str] = {}

    def datetime(self, moment: datetime | None, fmt: str = "medium") -> str:
        """As ``|datetime`` (``core.timezones.show_datetime``): in Asia/Tokyo, the viewer's locale."""
        if moment is None:
            return ""
        if moment.tzinfo is None:  # as Babel reads a naive datetime: UTC
            moment = moment.replace(tzinfo=UTC)
        return _datetime(moment, self.tz, self.locale, fmt)

    def date(self, value: date | datetime | None, fmt: str = "medium") -> str:
        """As ``|date`` (``core.timezones.show_date``): a datetime is first taken to its Tokyo day."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(TOKYO).date()
        return _date_pattern(self.locale, fmt).apply(value, self.babel_locale)

    def money(self, amount: Amount | None, currency: str = "JPY") -> str:
        return "" if amount is None else _money(amount, currency, self.locale)

    def money_compact(self, amount: Amount | None, currency: str = "JPY") -> str:
        return "" if amount is None else _money_compact(amount, currency, self.locale)

    def label(self, value: Any) -> str:
        """An enum member's ``label`` (a lazy translation), resolved once per member per render."""
        try:
            return self._labels[value]
        except KeyError:
            label = self._labels[value] = str(value.label)
            return label

    def country(self, code: str | None) -> str:
        """As ``|country``: the country's name in the viewer's language, looked up once per code."""
        try:
            return self._countries[code]
        except KeyError:
            name = self._countries[code] = _country_name(code, self.locale)
            return name

    def localized(self, text: Any) -> str:
        return pick(text, self.locale)


def formats() -> Formats:
    """The request's ``Formats`` (one per request)."""
    if "_row_formats" not in g:
        g._row_formats = Formats()
    return g._row_formats


def url_pattern(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """``url_for(endpoint, key=<id>, **values)`` for many integer ids, built once.

    The URL is built with a placeholder id and the id substituted: the rule, the script root and any
    other values stay those ``url_for`` gives (the tests compare both).
    """
    built = url_for(endpoint, **{key: _PLACEHOLDER}, **values)
    marker = str(_PLACEHOLDER)
    if built.count(marker) != 1:  # pragma: no cover - a rule that does not show the id verbatim
        return lambda id_: url_for(endpoint, **{key: id_}, **values)
    head, tail = built.split(marker)
    return lambda id_: f"{head}{int(id_)}{tail}"


def labels(members: Iterable[Any]) -> dict[Any, str]:
    """Each member's translated ``label``, once (``{member: label}``)."""
    return {member: str(member.label) for member in members}


class ApplicationRow(NamedTuple):
    """One line of the staff list of a call's applications, every cell already a string."""

    url: str
    name: str
    country: str
    overseas: bool
    state: Any
    submitted: str
    funding: str
    deck_url: str | None


def application_rows(rows: Iterable[Any]) -> list[ApplicationRow]:
    """The cells of the staff application list (rows of ``queries.call_application_page``), in one pass.

    Shown as the template showed them: the submission in the short format, the funding compact, "—"
    for either when missing.
    """
    fmt = formats()
    detail = url_pattern("applications.application_detail", "application_id")
    download = url_pattern("core.download", "file_id")
    dt, money, country, localized = fmt.datetime, fmt.money_compact, fmt.country, fmt.localized
    return [
        ApplicationRow(
            detail(id_),
            localized(name),
            country(code),
            bool(overseas),
            state,
            dt(submitted, "short") if submitted else "—",
            money(funding) if funding is not None else "—",
            download(deck_id) if deck_id else None,
        )
        for id_, state, submitted, funding, deck_id, name, code, overseas in rows
    ]
