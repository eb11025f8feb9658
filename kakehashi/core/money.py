"""Money. JPY is integer yen; other currencies are Decimal with an ISO code. Babel formats."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    get_currency_symbol,
)

from kakehashi.core.i18n import current_locale

Amount = int | Decimal


def format_money(amount: Amount | None, currency: str = "JPY", locale: str | None = None) -> str:
    """``¥1,000,000,000`` / ``￥1,000,000,000``; ``$1,234.50``."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=locale or current_locale())


# English financial style (as the FT and the Economist write it): ¥1.0bn, ¥250.0m, ¥3.5tn.
ENGLISH_SCALES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))


def format_money_compact(amount: Amount | None, currency: str = "JPY", locale: str | None = None) -> str:
    """Large amounts as people read them: ``10億円`` in Japanese, ``¥1.0bn`` in English.

    Amounts under a million are shown in full (``¥850,000``): "¥0.9m" would hide more than it helps.
    """
    if amount is None:
        return ""
    locale = locale or current_locale()
    if locale == "ja":
        if currency == "JPY":
            return format_compact_decimal(amount, locale="ja", fraction_digits=1) + "円"
        return format_compact_currency(amount, currency, locale="ja", fraction_digits=1)  # $150万
    value = Decimal(amount)
    for scale, suffix in ENGLISH_SCALES:
        if abs(value) >= scale:
            number = format_decimal(value / scale, format="#,##0.0", locale=locale)
            sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
            return f"{sign}{get_currency_symbol(currency, locale=locale)}{number}{suffix}"
    return format_currency(amount, currency, locale=locale)
