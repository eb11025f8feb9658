"""Times are stored in UTC and shown in Asia/Tokyo (the programme's home)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime, get_locale, get_timezone

TOKYO = ZoneInfo("Asia/Tokyo")


def to_tokyo(moment: datetime) -> datetime:
    return moment.astimezone(TOKYO)


def tokyo_to_utc(local: datetime) -> datetime:
    """A naive wall-clock time entered in Tokyo, as an aware UTC datetime."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=TOKYO)
    return local.astimezone(UTC)


def tokyo_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a Tokyo calendar day starts and the next one starts."""
    start = datetime.combine(day, time.min, tzinfo=TOKYO)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, tzinfo=TOKYO)
    return start.astimezone(UTC), end.astimezone(UTC)


def show_datetime(moment: datetime | None, fmt: str = "medium") -> str:
    """Jinja filter ``datetime``: Babel formats in the viewer's locale, in Asia/Tokyo."""
    if moment is None:
        return ""
    # Flask-Babel converts aware datetimes to the configured timezone (Asia/Tokyo).
    return _formatted(format_datetime, moment, fmt, get_locale(), get_timezone())


def show_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_tokyo(value).date()
    return _formatted(format_date, value, fmt, get_locale(), get_timezone())


# Formatting a date is ~100 µs of Babel per call, and pages show the same deadlines, bookings and
# due dates request after request. The text depends only on the value, the format, the viewer's
# locale and the timezone, so it is kept per worker under exactly those (a bounded LRU). The
# formatter itself still reads the locale and timezone from the context, which the key matches.
@lru_cache(maxsize=8192)
def _formatted(formatter: Any, value: date | datetime, fmt: str, _locale: Any, _tz: Any) -> str:
    return str(formatter(value, fmt))
