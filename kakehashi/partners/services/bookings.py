"""Desk bookings: the fee, requests, decisions under the capacity lock, payment, cancellation."""

from __future__ import annotations

import time
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.lists import format_list
from flask import current_app
from flask_babel import LazyString, format_date, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.cohorts.models import CohortMember
from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import InvalidTransition
from kakehashi.core.i18n import current_locale
from kakehashi.extensions import db
from kakehashi.partners import calendar
from kakehashi.partners.models import (
    BookingState,
    Direction,
    ExchangeBooking,
    HubMember,
    PartnerHub,
)
from kakehashi.partners.permissions import BOOKING_MEMBER_STATUSES
from kakehashi.partners.services.common import MAX_BOOKING_DAYS, BookingError, currency_places, tokyo_today
from kakehashi.payments.models import Payment, PaymentState

# --- fees ---------------------------------------------------------------------------------------------


def booking_fee(hub: PartnerHub, starts_on: date, ends_on: date, desks: int) -> Decimal:
    """Daily rate × days (inclusive) × desks, in the hub's currency, rounded to its minor unit."""
    days = (ends_on - starts_on).days + 1
    quantum = Decimal(1).scaleb(-currency_places(hub.currency))
    return (Decimal(hub.daily_rate) * days * desks).quantize(quantum, rounding=ROUND_HALF_UP)


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
