"""A hub's iCalendar feed: its confirmed (and completed) bookings as all-day events.

Subscribed to by address (``/partners/feeds/<token>.ics``); the token is the only secret, so staff can
rotate or revoke it. All-day events end on the day *after* the last booked day (DTEND is exclusive).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from icalendar import Calendar, Event

from kakehashi.core.i18n import pick
from kakehashi.partners.models import ExchangeBooking, PartnerHub


def _host() -> str:
    return urlsplit(current_app.config.get("BASE_URL") or "").hostname or "kakehashi.localhost"


def booking_uid(booking: ExchangeBooking) -> str:
    return f"booking-{booking.id}@{_host()}"


def hub_calendar(hub: PartnerHub, bookings: list[ExchangeBooking]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Kakehashi//Partner hub bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("%(hub)s: desk bookings", hub=pick(hub.name)))
    calendar.add("x-wr-timezone", hub.timezone)
    for booking in bookings:
        event = Event()
        event.add("uid", booking_uid(booking))
        event.add("dtstamp", booking.updated_at)
        event.add("dtstart", booking.starts_on)
        event.add("dtend", booking.ends_on + timedelta(days=1))
        startup = pick(booking.startup.name)
        summary = ngettext("%(startup)s (%(num)d desk)", "%(startup)s (%(num)d desks)", booking.desks, startup=startup)
        event.add("summary", summary)
        if booking.purpose:
            event.add("description", booking.purpose)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
