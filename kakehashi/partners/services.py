"""Operations on partner hubs, exchange bookings and joint events.

Each takes objects and the acting user, changes state (a booking's state only through
``transition_to``), writes the audit row and queues email in the same transaction, and flushes; the
caller commits. Payments are the payments module's: approval opens one, cancellation asks it to refund.
"""

from __future__ import annotations

import secrets
import time
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from babel.lists import format_list
from babel.numbers import get_currency_precision, list_currencies
from flask import current_app
from flask_babel import LazyString, format_date, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import InvitedRole, Startup, StartupMember, User
from kakehashi.cohorts.models import CohortMember
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError, InvalidTransition
from kakehashi.core.i18n import current_locale
from kakehashi.core.timezones import to_tokyo
from kakehashi.extensions import db
from kakehashi.partners import calendar
from kakehashi.partners.models import (
    BookingState,
    Direction,
    EventKind,
    ExchangeBooking,
    HubMember,
    PartnerEvent,
    PartnerHub,
)
from kakehashi.partners.permissions import BOOKING_MEMBER_STATUSES
from kakehashi.payments.models import Payment, PaymentState

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


# --- fees ---------------------------------------------------------------------------------------------


def currency_places(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, EUR 2), at most the 2 a fee column keeps."""
    return min(get_currency_precision(currency), 2)


def booking_fee(hub: PartnerHub, starts_on: date, ends_on: date, desks: int) -> Decimal:
    """Daily rate × days (inclusive) × desks, in the hub's currency, rounded to its minor unit."""
    days = (ends_on - starts_on).days + 1
    quantum = Decimal(1).scaleb(-currency_places(hub.currency))
    return (Decimal(hub.daily_rate) * days * desks).quantize(quantum, rounding=ROUND_HALF_UP)


# --- hubs ---------------------------------------------------------------------------------------------


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    if name not in timezone_names():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class HubValues:
    name: dict[str, str]
    description: dict[str, str] | None
    city: dict[str, str]
    country: str
    timezone: str
    website: str | None
    agreement_starts_on: date | None
    agreement_ends_on: date | None
    capacity_desks: int
    daily_rate: Decimal
    currency: str
    refund_days_before: int
    payment_instructions: dict[str, str] | None
    is_home: bool
    is_active: bool


def hub_errors(values: HubValues) -> dict[str, Any]:
    """Every rule a hub's settings must meet, as ``{field: message}`` (empty when all is well)."""
    errors: dict[str, Any] = {}
    if not values.name:
        errors["name"] = _l("Enter the hub's name.")
    if not values.city:
        errors["city"] = _l("Enter the city.")
    if values.currency not in currency_codes():
        errors["currency"] = _l("Enter a three-letter ISO 4217 currency code, such as JPY, EUR or SGD.")
    if not is_timezone(values.timezone):
        errors["timezone"] = _l("Enter a time zone name such as Europe/Berlin or Asia/Singapore.")
    if values.website:
        parts = urlsplit(values.website)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["website"] = _l("The website must be a web address starting with http:// or https://.")
    starts, ends = values.agreement_starts_on, values.agreement_ends_on
    if starts and ends and ends < starts:
        errors["agreement_ends_on"] = _l("The agreement cannot end before it starts.")
    if values.capacity_desks is None or not 0 <= values.capacity_desks <= MAX_CAPACITY:
        errors["capacity_desks"] = _l("Enter the number of desks (zero or more, at most 10,000).")
    rate = values.daily_rate
    if rate is None or rate < 0:
        errors["daily_rate"] = _l("Enter the daily rate per desk (zero or more).")
    elif rate > MAX_DAILY_RATE:
        errors["daily_rate"] = _l("This daily rate is too large. Please check the figure.")
    elif "currency" not in errors:
        places = currency_places(values.currency)
        if rate != rate.quantize(Decimal(1).scaleb(-places)):
            errors["daily_rate"] = lazy_ngettext(
                "%(currency)s has %(num)d decimal place: the rate cannot have more.",
                "%(currency)s has %(num)d decimal places: the rate cannot have more.",
                places,
                currency=values.currency,
            )
    if values.refund_days_before is None or not 0 <= values.refund_days_before <= MAX_REFUND_DAYS:
        errors["refund_days_before"] = _l("Enter a number of days from 0 to 365.")
    return errors


def _other_home_hub(hub: PartnerHub | None) -> PartnerHub | None:
    query = select(PartnerHub).where(PartnerHub.is_home.is_(True))
    if hub is not None and hub.id is not None:
        query = query.where(PartnerHub.id != hub.id)
    return db.session.scalar(query)


def _only_one_home(other: PartnerHub) -> dict[str, Any]:
    from kakehashi.core.i18n import pick

    name = LazyString(lambda: pick(other.name))
    return {
        "is_home": _l(
            "%(name)s is already the home hub: there can be only one. Untick it there first.",
            name=name,
        )
    }


def home_hub() -> PartnerHub | None:
    return db.session.scalar(select(PartnerHub).where(PartnerHub.is_home.is_(True)))


def save_hub(hub: PartnerHub | None, values: HubValues, *, by: User) -> PartnerHub:
    """Create a hub (with a calendar feed token) or change its settings."""
    errors = hub_errors(values)
    if values.is_home and (other := _other_home_hub(hub)) is not None:
        errors.update(_only_one_home(other))
    if errors:
        raise InvalidHub(errors)
    created = hub is None
    if hub is None:
        hub = PartnerHub(feed_token=secrets.token_urlsafe(32))
        db.session.add(hub)
    for name, value in vars(values).items():
        setattr(hub, name, value)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another hub was made home at the same moment
        other = _other_home_hub(hub)
        if other is None:
            raise
        raise InvalidHub(_only_one_home(other)) from error
    audit.record(
        by,
        "partner_hub.created" if created else "partner_hub.updated",
        hub,
        {"capacity": values.capacity_desks, "rate": values.daily_rate, "currency": values.currency},
    )
    return hub


def rotate_feed_token(hub: PartnerHub, *, by: User) -> str:
    """A new calendar feed address; the old one stops working."""
    hub.feed_token = secrets.token_urlsafe(32)
    audit.record(by, "partner_hub.feed_rotated", hub)
    db.session.flush()
    return hub.feed_token


def revoke_feed_token(hub: PartnerHub, *, by: User) -> None:
    hub.feed_token = None
    audit.record(by, "partner_hub.feed_revoked", hub)
    db.session.flush()


def add_hub_staff(hub: PartnerHub, *, email: str, name: str, locale: str, by: User) -> User:
    """An existing account joins the hub's staff at once; a new address gets an invitation."""
    user = accounts.find_user_by_email(email)
    if user is None:
        role = InvitedRole.HUB_STAFF
        user = accounts.invite(email=email, name=name, role=role, locale=locale, by=by, purpose=hub.name)
    elif db.session.scalar(select(HubMember.id).where(HubMember.hub_id == hub.id, HubMember.user_id == user.id)):
        raise HubStaffError(_l("This person is already on the hub's staff."))
    else:
        outbox.queue(user, "partners/added_to_hub", hub=hub, inviter=by.name)
    member = HubMember(hub_id=hub.id, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    audit.record(by, "partner_hub.staff_added", hub, {"user": user.id})
    return user


def remove_hub_staff(member: HubMember, *, by: User) -> None:
    audit.record(by, "partner_hub.staff_removed", member.hub, {"user": member.user_id})
    db.session.delete(member)
    db.session.flush()


# --- booking requests --------------------------------------------------------------------------------


def format_days(days: list[date]) -> str:
    """``May 12, 2026 – May 14, 2026 and May 20, 2026`` in the reader's language (runs of days grouped)."""
    parts = []
    for first, last in calendar.day_runs(days):
        if first == last:
            parts.append(format_date(first))
        else:
            parts.append(_("%(first)s – %(last)s", first=format_date(first), last=format_date(last)))
    return format_list(parts, locale=current_locale())


def _full_days_error(hub: PartnerHub, days: list[date], *, approving: bool) -> BookingError:
    listed = LazyString(format_days, days)
    capacity = LazyString(lambda: str(lazy_ngettext("%(num)d desk", "%(num)d desks", hub.capacity_desks)))
    if approving:
        message = _l(
            "This booking no longer fits: not enough desks are free on %(days)s (the hub has %(capacity)s).",
            capacity=capacity,
            days=listed,
        )
    else:
        message = _l(
            "Not enough desks are free on %(days)s (the hub has %(capacity)s). Choose other dates or fewer desks.",
            capacity=capacity,
            days=listed,
        )
    return BookingError(message)


def check_request(hub: PartnerHub, starts_on: date, ends_on: date, desks: int, *, today: date) -> None:
    """Refuse a request that cannot be accepted, with the first reason found."""
    if not hub.is_active:
        raise BookingError(_l("This hub is not taking bookings at the moment."))
    if ends_on < starts_on:
        raise BookingError(_l("The last day cannot be before the first day."))
    if starts_on < today:
        raise BookingError(_l("The first day cannot be in the past."))
    if (ends_on - starts_on).days + 1 > MAX_BOOKING_DAYS:
        raise BookingError(_l("A booking can last at most 366 days."))
    agreement_from, agreement_to = hub.agreement_starts_on, hub.agreement_ends_on
    outside = (agreement_from is not None and starts_on < agreement_from) or (
        agreement_to is not None and ends_on > agreement_to
    )
    if outside:
        first = LazyString(lambda: format_date(agreement_from)) if agreement_from else None
        last = LazyString(lambda: format_date(agreement_to)) if agreement_to else None
        if first and last:
            message = _l(
                "Our agreement with this hub runs from %(first)s to %(last)s. Choose dates within it.",
                first=first,
                last=last,
            )
        elif first:
            message = _l("Our agreement with this hub starts on %(first)s. Choose dates from then on.", first=first)
        else:
            message = _l("Our agreement with this hub ends on %(last)s. Choose dates up to then.", last=last)
        raise BookingError(message)
    if hub.capacity_desks < 1:
        raise BookingError(_l("This hub has no desks to book."))
    if desks is None or not 1 <= desks <= hub.capacity_desks:
        raise BookingError(
            lazy_ngettext(
                "Choose %(num)d desk: the hub has no more.",
                "Choose between 1 and %(num)d desks: the hub has no more.",
                hub.capacity_desks,
            )
        )
    full = calendar.days_over_capacity(hub, starts_on, ends_on, desks)
    if full:
        raise _full_days_error(hub, full, approving=False)


def startup_in_cohort(startup: Startup) -> bool:
    return (
        db.session.scalar(
            select(CohortMember.id).where(
                CohortMember.startup_id == startup.id, CohortMember.status.in_(BOOKING_MEMBER_STATUSES)
            )
        )
        is not None
    )


def request_outbound(
    hub: PartnerHub,
    startup: Startup,
    *,
    by: User,
    starts_on: date,
    ends_on: date,
    desks: int,
    purpose: str | None,
    today: date | None = None,
) -> ExchangeBooking:
    """A cohort startup asks for desks at a partner hub abroad."""
    if hub.is_home:
        raise BookingError(_l("Desks at the home hub are requested by partner hubs."))
    if not startup_in_cohort(startup):
        raise BookingError(_l("Only startups of a cohort can book desks at partner hubs."))
    check_request(hub, starts_on, ends_on, desks, today=today or tokyo_today())
    return _new_booking(
        hub, startup, Direction.OUTBOUND, by=by, starts_on=starts_on, ends_on=ends_on, desks=desks, purpose=purpose
    )


def inbound_startups(requesting_hub_ids: Any) -> list[Startup]:
    """The overseas startups these hubs have requested desks for before."""
    return list(
        db.session.scalars(
            select(Startup)
            .where(
                Startup.id.in_(
                    select(ExchangeBooking.startup_id).where(
                        ExchangeBooking.direction == Direction.INBOUND,
                        ExchangeBooking.requesting_hub_id.in_(list(requesting_hub_ids)),
                    )
                )
            )
            .order_by(Startup.search_name, Startup.id)
        )
    )


def request_inbound(
    home: PartnerHub,
    requesting_hub: PartnerHub,
    *,
    by: User,
    startup: Startup | None = None,
    new_startup_name: str | None = None,
    new_startup_country: str | None = None,
    starts_on: date,
    ends_on: date,
    desks: int,
    purpose: str | None,
    today: date | None = None,
) -> ExchangeBooking:
    """A partner hub's staff ask for desks at the home hub for one of their startups (existing or new)."""
    if not home.is_home:
        raise BookingError(_l("Partner hubs request desks at the home hub only."))
    if requesting_hub.is_home:
        raise BookingError(_l("Choose the partner hub that makes the request."))
    check_request(home, starts_on, ends_on, desks, today=today or tokyo_today())
    if startup is not None:
        if startup.id not in {s.id for s in inbound_startups([requesting_hub.id])}:
            raise BookingError(_l("Choose a startup your hub has requested desks for before, or add a new one."))
    else:
        name = (new_startup_name or "").strip()
        country = (new_startup_country or "").strip().upper()
        if not name:
            raise BookingError(_l("Enter the startup's name."))
        if len(country) != 2 or country == "JP":
            raise BookingError(_l("Choose the country the startup comes from (outside Japan)."))
        startup = Startup(name={"en": name[:200]}, country=country, is_overseas=True)
        db.session.add(startup)
        db.session.flush()
        audit.record(by, "startup.created", startup, {"via": "inbound_booking", "hub": requesting_hub.id})
    return _new_booking(
        home,
        startup,
        Direction.INBOUND,
        by=by,
        starts_on=starts_on,
        ends_on=ends_on,
        desks=desks,
        purpose=purpose,
        requesting_hub=requesting_hub,
    )


def _new_booking(
    hub: PartnerHub,
    startup: Startup,
    direction: Direction,
    *,
    by: User,
    starts_on: date,
    ends_on: date,
    desks: int,
    purpose: str | None,
    requesting_hub: PartnerHub | None = None,
) -> ExchangeBooking:
    booking = ExchangeBooking(
        hub_id=hub.id,
        direction=direction,
        startup_id=startup.id,
        requesting_hub_id=requesting_hub.id if requesting_hub else None,
        requested_by_id=by.id,
        starts_on=starts_on,
        ends_on=ends_on,
        desks=desks,
        purpose=(purpose or "").strip() or None,
        state=BookingState.REQUESTED,
        fee=booking_fee(hub, starts_on, ends_on, desks),
        currency=hub.currency,
    )
    db.session.add(booking)
    db.session.flush()
    audit.record(
        by,
        "booking.requested",
        booking,
        {"hub": hub.id, "direction": direction.value, "fee": booking.fee, "currency": booking.currency},
    )
    for user in deciders_of(hub):
        outbox.queue(user, "partners/request_received", booking=booking, hub=hub, startup=startup)
    return booking


# --- who hears about a booking ---------------------------------------------------------------------------


def _active_users(query: Any) -> list[User]:
    return list(db.session.scalars(query.where(User.active.is_(True)).order_by(User.id)))


def deciders_of(hub: PartnerHub) -> list[User]:
    """The hub's staff; ward staff too for the home hub (or a hub with no staff yet)."""
    users = _active_users(select(User).join(HubMember, HubMember.user_id == User.id).where(HubMember.hub_id == hub.id))
    if hub.is_home or not users:
        users += _active_users(select(User).where(User.is_staff.is_(True)))
    return _unique(users)


def requesters_of(booking: ExchangeBooking) -> list[User]:
    """The startup's members, whoever made the request, and (inbound) the requesting hub's staff."""
    users = _active_users(
        select(User)
        .join(StartupMember, StartupMember.user_id == User.id)
        .where(StartupMember.startup_id == booking.startup_id)
    )
    if booking.requesting_hub_id is not None:
        users += _active_users(
            select(User)
            .join(HubMember, HubMember.user_id == User.id)
            .where(HubMember.hub_id == booking.requesting_hub_id)
        )
    if booking.requested_by is not None and booking.requested_by.active:
        users.append(booking.requested_by)
    return _unique(users)


def _unique(users: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return list(seen.values())


def _tell(users: list[User], template: str, booking: ExchangeBooking, **context: Any) -> None:
    for user in users:
        outbox.queue(user, template, booking=booking, hub=booking.hub, startup=booking.startup, **context)


# --- decisions ----------------------------------------------------------------------------------------


def _lock_hub(hub_id: int) -> PartnerHub:
    """Serialise capacity checks per hub: ``SELECT … FOR UPDATE`` on PostgreSQL (SQLite serialises writers).

    The hub is read again under the lock, so its capacity is the one that holds until the commit.
    """
    return db.session.scalars(
        select(PartnerHub).where(PartnerHub.id == hub_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def approve_booking(booking: ExchangeBooking, *, by: User | None, note: str | None = None, lock: bool = True) -> None:
    """Approve a request if every day of it still fits; with nothing to pay it is confirmed at once.

    ``lock=False`` exists only to prove, in a test, that the lock is what prevents overselling.
    """
    if booking.state is not BookingState.REQUESTED:
        raise InvalidTransition(booking.state, BookingState.APPROVED)
    hub = _lock_hub(booking.hub_id) if lock else booking.hub
    full = calendar.days_over_capacity(hub, booking.starts_on, booking.ends_on, booking.desks, exclude_id=booking.id)
    pause = current_app.config.get("PARTNERS_CAPACITY_CHECK_PAUSE") or 0
    if pause:
        time.sleep(pause)  # tests only: widen the window between counting and writing
    if full:
        raise _full_days_error(hub, full, approving=True)
    booking.decided_by_id = getattr(by, "id", None)
    booking.decided_at = utcnow()
    booking.decision_note = (note or "").strip() or None
    if booking.amount_due == 0:
        booking.transition_to(BookingState.CONFIRMED, by=by)
        db.session.flush()
        _tell(requesters_of(booking), "partners/confirmed", booking)
        return
    booking.transition_to(BookingState.APPROVED, by=by)
    db.session.flush()
    from kakehashi.payments.services import open_payment

    payment = open_payment(booking, by=by)
    _tell(requesters_of(booking), "partners/approved", booking, payment=payment)


def decline_booking(booking: ExchangeBooking, *, by: User, note: str | None) -> None:
    note = (note or "").strip() or None
    if not note:
        raise BookingError(_l("Say why in the note: the requester reads it."))
    booking.transition_to(BookingState.DECLINED, by=by)
    booking.decided_by_id, booking.decided_at, booking.decision_note = by.id, utcnow(), note
    db.session.flush()
    _tell(requesters_of(booking), "partners/declined", booking)


def confirm_booking(booking: ExchangeBooking, *, by: User | None) -> None:
    """Paid (or nothing to pay): APPROVED → CONFIRMED and the requester is told. Already confirmed: nothing.

    A REQUESTED booking with nothing to pay is approved first (its capacity is checked).
    """
    if booking.state in (BookingState.CONFIRMED, BookingState.COMPLETED):
        return
    if booking.state is BookingState.REQUESTED:
        if booking.amount_due > 0:
            raise BookingError(_l("This booking must be approved and paid before it is confirmed."))
        approve_booking(booking, by=by)
        return
    booking.transition_to(BookingState.CONFIRMED, by=by)
    db.session.flush()
    _tell(requesters_of(booking), "partners/confirmed", booking)


def _payment_of(booking: ExchangeBooking) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.booking_id == booking.id))


def waive_fee(booking: ExchangeBooking, *, by: User) -> None:
    """Ward staff waive the fee before payment (reciprocal agreements); an approved booking is then confirmed."""
    if not by.is_staff:
        raise BookingError(_l("Only programme staff can waive a fee."))
    if booking.fee_waived:
        raise BookingError(_l("The fee has already been waived."))
    if booking.state not in (BookingState.REQUESTED, BookingState.APPROVED):
        raise BookingError(_l("A fee can be waived only before the booking is paid."))
    payment = _payment_of(booking)
    if payment is not None and payment.state in (PaymentState.PAID, PaymentState.REFUNDED):
        raise BookingError(_l("A fee can be waived only before the booking is paid."))
    booking.fee_waived = True
    audit.record(by, "booking.fee_waived", booking, {"fee": booking.fee, "currency": booking.currency})
    if payment is not None and payment.state is PaymentState.PENDING:
        # Nothing is owed any more: the open payment lapses (a payment never moves back to pending by itself).
        payment.transition_to(PaymentState.EXPIRED, by=by, kind="booking.fee_waived")
    db.session.flush()
    if booking.state is BookingState.APPROVED:
        confirm_booking(booking, by=by)


def refund_rule_met(booking: ExchangeBooking, today: date) -> bool:
    """Full refund iff cancelled at least ``refund_days_before`` days before the first day (Tokyo date)."""
    return (booking.starts_on - today).days >= booking.hub.refund_days_before


def cancel_booking(booking: ExchangeBooking, *, by: User, today: date | None = None) -> None:
    """The requester or staff cancel; a paid fee is refunded in full if the hub's rule is met."""
    from kakehashi.payments.services import refund_on_cancellation

    today = today or tokyo_today()
    full = refund_rule_met(booking, today)
    booking.transition_to(BookingState.CANCELLED, by=by)
    booking.cancelled_by_id, booking.cancelled_at = by.id, utcnow()
    db.session.flush()
    days_before = (booking.starts_on - today).days
    audit.record(by, "booking.cancelled", booking, {"full_refund": full, "days_before": days_before})
    refund_on_cancellation(booking, by=by, full=full)
    payment = _payment_of(booking)
    if payment is None or payment.state in (PaymentState.PENDING, PaymentState.EXPIRED):
        refund = "nothing_paid"
    elif payment.state is PaymentState.REFUNDED:
        refund = "full"
    else:
        refund = "none"
    users = _unique(requesters_of(booking) + deciders_of(booking.hub))
    _tell(users, "partners/cancelled", booking, refund=refund, payment=payment)


def complete_past(*, today: date, by: User | None = None) -> int:
    """Confirmed bookings whose last day has passed become completed. Safe to repeat."""
    bookings = db.session.scalars(
        select(ExchangeBooking)
        .where(ExchangeBooking.state == BookingState.CONFIRMED, ExchangeBooking.ends_on < today)
        .order_by(ExchangeBooking.id)
    ).all()
    for booking in bookings:
        booking.transition_to(BookingState.COMPLETED, by=by)
    db.session.flush()
    return len(bookings)


# --- joint events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventValues:
    kind: EventKind
    title: dict[str, str] | None
    held_on: date
    hub_ids: list[int]
    participants: int | None
    report: dict[str, str] | None


def save_event(event: PartnerEvent | None, values: EventValues, *, by: User, today: date | None = None) -> PartnerEvent:
    """Record a joint event that has taken place with one or more partner hubs abroad."""
    errors: dict[str, Any] = {}
    if not values.title:
        errors["title"] = _l("Enter the event's title.")
    if values.held_on is None:
        errors["held_on"] = _l("Enter the day the event was held.")
    elif values.held_on > (today or tokyo_today()):
        errors["held_on"] = _l("Record an event once it has taken place.")
    hubs = list(
        db.session.scalars(
            select(PartnerHub).where(PartnerHub.id.in_(values.hub_ids or []), PartnerHub.is_home.is_(False))
        )
    )
    if not hubs or len(hubs) != len(set(values.hub_ids)):
        errors["hub_ids"] = _l("Choose the partner hubs abroad that took part.")
    if values.participants is not None and not 0 <= values.participants <= 1_000_000:
        errors["participants"] = _l("Enter the number of participants (zero or more).")
    if errors:
        raise InvalidEvent(errors)
    created = event is None
    if event is None:
        event = PartnerEvent(created_by_id=by.id)
        db.session.add(event)
    event.kind, event.title, event.held_on = values.kind, values.title, values.held_on
    event.participants, event.report = values.participants, values.report
    event.hubs = hubs
    db.session.flush()
    audit.record(
        by,
        "partner_event.created" if created else "partner_event.updated",
        event,
        {"held_on": values.held_on, "hubs": sorted(h.id for h in hubs)},
    )
    return event


def delete_event(event: PartnerEvent, *, by: User) -> None:
    audit.record(by, "partner_event.deleted", event, {"held_on": event.held_on, "title": event.title})
    db.session.delete(event)
    db.session.flush()
