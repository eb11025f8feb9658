"""Times are stored in UTC and shown in Asia/Tokyo (the programme's home)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime

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
    return format_datetime(moment, fmt)


def show_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_tokyo(value).date()
    return format_date(value, fmt)
