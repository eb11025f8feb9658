"""Who may see and act on hubs, bookings and joint events. Used by views and templates alike.

- Ward staff (``is_staff``) see everything, manage hubs and events, and may decide any booking.
- Partner-hub staff (``HubMember``) see their hub(s), decide the bookings at them, and see the inbound
  bookings their hub requested at the home hub.
- Members of a startup in a cohort (active or graduated) see the active partner hubs and book desks;
  a booking's startup members see it and its receipt. Anyone else is told it does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from kakehashi.accounts.permissions import is_member, is_staff, startup_ids_of
from kakehashi.cohorts.models import CohortMember, MemberStatus
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking, HubMember, PartnerHub

# Cohort members in these statuses may book desks at partner hubs.
BOOKING_MEMBER_STATUSES = (MemberStatus.ACTIVE, MemberStatus.GRADUATED)
CANCELLABLE_STATES = (BookingState.REQUESTED, BookingState.APPROVED, BookingState.CONFIRMED)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _cached(name: str, user: Any, load: Any) -> Any:
    """One query per request and user (outside a request: every time)."""
    if not has_request_context():
        return load()
    cache = g.setdefault(name, {})
    if user.id not in cache:
        cache[user.id] = load()
    return cache[user.id]


def hub_ids_of(user: Any) -> frozenset[int]:
    """The hubs the user is staff of."""
    if not _signed_in(user):
        return frozenset()
    return _cached(
        "_partner_hub_ids",
        user,
        lambda: frozenset(db.session.scalars(select(HubMember.hub_id).where(HubMember.user_id == user.id))),
    )


def cohort_startup_ids_of(user: Any) -> frozenset[int]:
    """The user's startups that are (or were) in a cohort: they may book desks abroad."""
    if not _signed_in(user) or not startup_ids_of(user):
        return frozenset()
    return _cached(
        "_partner_cohort_startups",
        user,
        lambda: frozenset(
            db.session.scalars(
                select(CohortMember.startup_id).where(
                    CohortMember.startup_id.in_(startup_ids_of(user)),
                    CohortMember.status.in_(BOOKING_MEMBER_STATUSES),
                )
            )
        ),
    )


def is_hub_staff(user: Any, hub: PartnerHub) -> bool:
    return hub.id in hub_ids_of(user)


def is_partner_staff(user: Any) -> bool:
    """Staff of at least one hub."""
    return bool(hub_ids_of(user))


# --- hubs ---------------------------------------------------------------------------------------------


def can_manage_hubs(user: Any) -> bool:
    """Create and edit hubs, their staff and feed tokens."""
    return is_staff(user)


def can_request_outbound(user: Any) -> bool:
    """Members of a cohort startup (and ward staff, on a cohort startup's behalf) book desks abroad."""
    return is_staff(user) or bool(cohort_startup_ids_of(user))


def can_request_inbound(user: Any) -> bool:
    """Partner-hub staff (and ward staff, on a partner's behalf) request desks at the home hub."""
    return is_staff(user) or is_partner_staff(user)


def can_view_hub(user: Any, hub: PartnerHub) -> bool:
    if is_staff(user) or is_hub_staff(user, hub):
        return True
    if not hub.is_active:
        return False
    if hub.is_home:
        return is_partner_staff(user)
    return bool(cohort_startup_ids_of(user))


def can_book_at(user: Any, hub: PartnerHub) -> bool:
    """The request form on a hub's page: outbound at an active partner hub, inbound at the home hub."""
    if not hub.is_active:
        return False
    return can_request_inbound(user) if hub.is_home else can_request_outbound(user)


def can_see_hub_bookings(user: Any, hub: PartnerHub) -> bool:
    """A hub's request queue and its calendar feed address: that hub's staff and ward staff."""
    return is_staff(user) or is_hub_staff(user, hub)


# --- bookings -----------------------------------------------------------------------------------------


def is_requester(user: Any, booking: ExchangeBooking) -> bool:
    """The requesting side: the startup's members, or (inbound) the staff of the hub that asked."""
    if is_member(user, booking.startup_id):
        return True
    return booking.direction is Direction.INBOUND and booking.requesting_hub_id in hub_ids_of(user)


def can_view_booking(user: Any, booking: ExchangeBooking) -> bool:
    if not _signed_in(user):
        return False
    return is_staff(user) or booking.hub_id in hub_ids_of(user) or is_requester(user, booking)


def can_decide_booking(user: Any, booking: ExchangeBooking) -> bool:
    """The hub's own staff; ward staff for the home hub, and for any hub when needed."""
    return is_staff(user) or booking.hub_id in hub_ids_of(user)


def can_cancel_booking(user: Any, booking: ExchangeBooking) -> bool:
    if booking.state not in CANCELLABLE_STATES:
        return False
    return is_staff(user) or is_requester(user, booking)


def can_waive_fee(user: Any, booking: ExchangeBooking) -> bool:
    """Ward staff only, before payment (reciprocal agreements)."""
    return (
        is_staff(user)
        and not booking.fee_waived
        and booking.fee > 0
        and booking.state in (BookingState.REQUESTED, BookingState.APPROVED)
    )


def can_list_all_bookings(user: Any) -> bool:
    return is_staff(user)


# --- joint events --------------------------------------------------------------------------------------


def can_manage_events(user: Any) -> bool:
    return is_staff(user)
