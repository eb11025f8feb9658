"""Desks taken per day at a hub: one query for the bookings that hold desks in a window, then a sweep.

Used by the capacity check (which days of a range would be over capacity) and by the hub page's
occupancy calendar (month grids). Booking ranges are inclusive of ``ends_on``.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, timedelta

from babel import Locale
from babel.dates import format_skeleton, get_day_names
from sqlalchemy import select

from kakehashi.core.i18n import current_locale
from kakehashi.extensions import db
from kakehashi.partners.models import HOLDING_STATES, ExchangeBooking, PartnerHub

CALENDAR_MONTHS = 3


def desks_held(hub_id: int, first: date, last: date, *, exclude_id: int | None = None) -> dict[date, int]:
    """Desks held on each day from ``first`` to ``last`` (inclusive) by approved, confirmed or completed bookings.

    One query, whatever the number of bookings or days.
    """
    query = select(ExchangeBooking.starts_on, ExchangeBooking.ends_on, ExchangeBooking.desks).where(
        ExchangeBooking.hub_id == hub_id,
        ExchangeBooking.state.in_(HOLDING_STATES),
        ExchangeBooking.starts_on <= last,
        ExchangeBooking.ends_on >= first,
    )
    if exclude_id is not None:
        query = query.where(ExchangeBooking.id != exclude_id)
    span = (last - first).days + 1
    # A difference array: +desks where a booking starts (clipped to the window), -desks the day after it ends.
    change = [0] * (span + 1)
    for starts_on, ends_on, desks in db.session.execute(query):
        change[max((starts_on - first).days, 0)] += desks
        change[min((ends_on - first).days, span - 1) + 1] -= desks
    held: dict[date, int] = {}
    running = 0
    for offset in range(span):
        running += change[offset]
        held[first + timedelta(days=offset)] = running
    return held


def days_over_capacity(
    hub: PartnerHub, starts_on: date, ends_on: date, desks: int, *, exclude_id: int | None = None
) -> list[date]:
    """The days of the range on which ``desks`` more would exceed the hub's capacity."""
    held = desks_held(hub.id, starts_on, ends_on, exclude_id=exclude_id)
    return [day for day, taken in held.items() if taken + desks > hub.capacity_desks]


def day_runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs: shorter messages for long full stretches."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# --- the hub page's month grids ---------------------------------------------------------------------


@dataclass(frozen=True)
class DayCell:
    day: date
    held: int
    capacity: int
    past: bool

    @property
    def full(self) -> bool:
        return self.held >= self.capacity

    @property
    def free(self) -> int:
        return max(self.capacity - self.held, 0)


@dataclass(frozen=True)
class MonthGrid:
    title: str  # "May 2026" / "2026年5月"
    weeks: list[list[DayCell | None]]  # None pads the first and last week

    @property
    def full_days(self) -> int:
        return sum(1 for week in self.weeks for cell in week if cell is not None and cell.full)


def calendar_window(today: date, months: int = CALENDAR_MONTHS) -> tuple[date, date]:
    """From the first of this month to the last day of the month ``months - 1`` after it."""
    first = today.replace(day=1)
    year, month = first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1
    return first, date(year, month, 1) - timedelta(days=1)


def first_weekday(locale: str) -> int:
    """0 = Monday … 6 = Sunday. Japanese calendars start on Sunday; English follows the ISO week (Monday)."""
    parsed = Locale.parse(locale)
    if parsed.territory is None and parsed.language == "ja":
        parsed = Locale.parse("ja_JP")
    return parsed.first_week_day


def weekday_names(locale: str | None = None) -> list[str]:
    locale = locale or current_locale()
    names = get_day_names("abbreviated", locale=locale)
    start = first_weekday(locale)
    return [names[(start + i) % 7] for i in range(7)]


def occupancy_calendar(hub: PartnerHub, today: date, months: int = CALENDAR_MONTHS) -> list[MonthGrid]:
    """Month grids from this month on, each day with the desks held and the capacity (one query)."""
    locale = current_locale()
    first, last = calendar_window(today, months)
    held = desks_held(hub.id, first, last)
    weeks_of = pycalendar.Calendar(firstweekday=first_weekday(locale))
    grids = []
    year, month = first.year, first.month
    for _ in range(months):
        weeks = [
            [DayCell(day, held[day], hub.capacity_desks, day < today) if day.month == month else None for day in week]
            for week in weeks_of.monthdatescalendar(year, month)
        ]
        grids.append(MonthGrid(format_skeleton("yMMMM", date(year, month, 1), locale=locale), weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return grids
