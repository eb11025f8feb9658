"""What the partner services share: limits, today in Tokyo, the errors they raise."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l

from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.core.timezones import to_tokyo

MAX_CAPACITY = 10_000
MAX_DAILY_RATE = Decimal("1000000000")
MAX_REFUND_DAYS = 365
MAX_BOOKING_DAYS = 366


def tokyo_today(now: datetime | None = None) -> date:
    return to_tokyo(now or utcnow()).date()


# --- errors ---------------------------------------------------------------------------------------


class BookingError(DomainError):
    """A booking request or decision a rule refuses; the message says why."""


class InvalidHub(DomainError):
    """Hub settings a rule refuses; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        self.errors = errors
        super().__init__(_l("Please correct the highlighted fields."))


class HubStaffError(DomainError):
    pass


class InvalidEvent(DomainError):
    def __init__(self, errors: dict[str, Any]) -> None:
        self.errors = errors
        super().__init__(_l("Please correct the highlighted fields."))


def currency_places(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, EUR 2), at most the 2 a fee column keeps."""
    return min(get_currency_precision(currency), 2)
