"""Money. JPY is integer yen; other currencies are Decimal with an ISO code. Babel formats."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_compact_currency, format_compact_decimal, format_currency

from kakehashi.core.i18n import current_locale

Amount = int | Decimal


def format_money(amount: Amount | None, currency: str = "JPY", locale: str | None = None) -> str:
    """``¥1,000,000,000`` / ``￥1,000,000,000``; ``$1,234.50``."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=locale or current_locale())


def format_money_compact(amount: Amount | None, currency: str = "JPY", locale: str | None = None) -> str:
    """Large amounts as people read them: ``10億円`` in Japanese, ``¥1B`` in English."""
    if amount is None:
        return ""
    locale = locale or current_locale()
    if locale == "ja" and currency == "JPY":
        return format_compact_decimal(amount, locale="ja", fraction_digits=1) + "円"
    return format_compact_currency(amount, currency, locale=locale, fraction_digits=1)
