"""Read paths for hub lists, booking lists and queues, a booking's timeline and joint events.

Each list takes a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from kakehashi.accounts.models import Startup
from kakehashi.accounts.permissions import is_staff, startup_ids_of
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.models import CohortMember
from kakehashi.core import cache
from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.partners.models import (
    BookingState,
    Direction,
    ExchangeBooking,
    HubMember,
    PartnerEvent,
    PartnerHub,
)
from kakehashi.partners.permissions import BOOKING_MEMBER_STATUSES, cohort_startup_ids_of, hub_ids_of
from kakehashi.payments.models import Payment

PER_PAGE = 50


# --- hubs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubRow:
    hub: PartnerHub
    requested: int  # requests waiting for a decision
    staff: int


def hub_rows(user: Any) -> list[HubRow]:
    """The hubs the user may see: all for ward staff, their own for hub staff, active partner hubs for
    cohort startups' members (and the home hub for partner staff). Home hub first. One query."""
    query = select(PartnerHub)
    if not is_staff(user):
        own = hub_ids_of(user)
        visible = [PartnerHub.id.in_(own)] if own else []
        if cohort_startup_ids_of(user):
            visible.append(PartnerHub.is_active.is_(True) & PartnerHub.is_home.is_(False))
        if own:
            visible.append(PartnerHub.is_active.is_(True) & PartnerHub.is_home.is_(True))
        query = query.where(or_(*visible) if visible else false())
    requested = (
        select(func.count(ExchangeBooking.id))
        .where(ExchangeBooking.hub_id == PartnerHub.id, ExchangeBooking.state == BookingState.REQUESTED)
        .scalar_subquery()
    )
    staff = select(func.count(HubMember.id)).where(HubMember.hub_id == PartnerHub.id).scalar_subquery()
    rows = db.session.execute(
        query.add_columns(requested, staff).order_by(
            PartnerHub.is_home.desc(), PartnerHub.is_active.desc(), PartnerHub.country, PartnerHub.id
        )
    ).all()
    return [HubRow(hub, requested or 0, staff or 0) for hub, requested, staff in rows]


def hub_staff(hub: PartnerHub) -> list[HubMember]:
    return list(
        db.session.scalars(
            select(HubMember)
            .where(HubMember.hub_id == hub.id)
            .options(joinedload(HubMember.user))
            .order_by(HubMember.created_at, HubMember.id)
        )
    )


def partner_hubs(*, ids: Any = None) -> list[PartnerHub]:
    """Hubs abroad (not the home hub), optionally only these ids."""
    query = select(PartnerHub).where(PartnerHub.is_home.is_(False))
    if ids is not None:
        query = query.where(PartnerHub.id.in_(list(ids)))
    return list(db.session.scalars(query.order_by(PartnerHub.country, PartnerHub.id)))


def outbound_startups(user: Any) -> list[Startup]:
    """Startups the user may book desks abroad for: their own cohort startups (ward staff: every one)."""
    query = select(Startup).where(
        Startup.id.in_(select(CohortMember.startup_id).where(CohortMember.status.in_(BOOKING_MEMBER_STATUSES)))
    )
    if not is_staff(user):
        query = query.where(Startup.id.in_(cohort_startup_ids_of(user)))
    return list(db.session.scalars(query.order_by(Startup.search_name, Startup.id)))


def feed_hub(token: str) -> PartnerHub | None:
    if not token:
        return None
    return db.session.scalar(select(PartnerHub).where(PartnerHub.feed_token == token))


def feed_bookings(hub: PartnerHub) -> list[ExchangeBooking]:
    return list(
        db.session.scalars(
            select(ExchangeBooking)
            .where(
                ExchangeBooking.hub_id == hub.id,
                ExchangeBooking.state.in_((BookingState.CONFIRMED, BookingState.COMPLETED)),
            )
            .options(joinedload(ExchangeBooking.startup))
            .order_by(ExchangeBooking.starts_on, ExchangeBooking.id)
        )
    )


# --- bookings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingFilters:
    state: BookingState | None = None
    hub_id: int | None = None
    direction: Direction | None = None


def bookings_select(
    *,
    everything: bool = False,
    at_hubs: Any = (),
    requested_by_hubs: Any = (),
    startups: Any = (),
    filters: BookingFilters | None = None,
) -> Select:
    """Bookings in any of the given scopes (or ``everything``), filtered, newest first."""
    query = select(ExchangeBooking)
    if not everything:
        scopes = []
        if at_hubs:
            scopes.append(ExchangeBooking.hub_id.in_(list(at_hubs)))
        if requested_by_hubs:
            scopes.append(ExchangeBooking.requesting_hub_id.in_(list(requested_by_hubs)))
        if startups:
            scopes.append(ExchangeBooking.startup_id.in_(list(startups)))
        query = query.where(or_(*scopes) if scopes else false())
    filters = filters or BookingFilters()
    if filters.state is not None:
        query = query.where(ExchangeBooking.state == filters.state)
    if filters.hub_id is not None:
        query = query.where(ExchangeBooking.hub_id == filters.hub_id)
    if filters.direction is not None:
        query = query.where(ExchangeBooking.direction == filters.direction)
    return query


@dataclass
class BookingPage:
    items: list[ExchangeBooking]
    payments: dict[int, Payment]
    pagination: Any


def booking_page(query: Select, *, page: int = 1, per_page: int = PER_PAGE) -> BookingPage:
    """One page of bookings with their hub, startup, requesting hub and payment (three queries)."""
    query = query.options(
        joinedload(ExchangeBooking.hub),
        joinedload(ExchangeBooking.startup),
        joinedload(ExchangeBooking.requesting_hub),
    ).order_by(ExchangeBooking.starts_on.desc(), ExchangeBooking.id.desc())
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    items = list(pagination.items)
    payments: dict[int, Payment] = {}
    if items:
        payments = {
            p.booking_id: p
            for p in db.session.scalars(select(Payment).where(Payment.booking_id.in_([b.id for b in items])))
        }
    return BookingPage(items, payments, pagination)


def my_bookings_select(user: Any, filters: BookingFilters | None = None) -> Select:
    """The bookings of the user's startups, and the inbound requests their hubs made."""
    return bookings_select(startups=startup_ids_of(user), requested_by_hubs=hub_ids_of(user), filters=filters)


def hub_queue_select(hub: PartnerHub, filters: BookingFilters | None = None) -> Select:
    """Bookings at the hub, and (for a partner hub) the inbound requests it made at the home hub."""
    return bookings_select(at_hubs=[hub.id], requested_by_hubs=[] if hub.is_home else [hub.id], filters=filters)


def load_booking(booking_id: int) -> ExchangeBooking | None:
    return db.session.scalar(
        select(ExchangeBooking)
        .where(ExchangeBooking.id == booking_id)
        .options(
            joinedload(ExchangeBooking.hub),
            joinedload(ExchangeBooking.startup),
            joinedload(ExchangeBooking.requesting_hub),
            joinedload(ExchangeBooking.requested_by),
            joinedload(ExchangeBooking.decided_by),
        )
    )


def payment_of(booking: ExchangeBooking) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.booking_id == booking.id).options(selectinload(Payment.events))
    )


def booking_timeline(booking: ExchangeBooking) -> list[AuditEvent]:
    """The booking's audit trail (requested, each state change, fee waived, cancelled), oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == ExchangeBooking.__tablename__, AuditEvent.object_id == booking.id)
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# --- joint events ----------------------------------------------------------------------------------------


def events_held(fiscal_year: int) -> Select:
    """The joint events held in a Japanese fiscal year (1 April – 31 March): the KPI and its list share it."""
    first, last = fiscal_year_bounds(fiscal_year)
    return select(PartnerEvent).where(PartnerEvent.held_on >= first, PartnerEvent.held_on <= last)


def events_of_year(fiscal_year: int) -> list[PartnerEvent]:
    return list(
        db.session.scalars(
            events_held(fiscal_year)
            .options(selectinload(PartnerEvent.hubs))
            .order_by(PartnerEvent.held_on, PartnerEvent.id)
        )
    )


def event_years(today: date) -> list[int]:
    """Fiscal years from the first recorded event (or this one) to this one, newest first."""
    first = db.session.scalar(select(func.min(PartnerEvent.held_on)))
    current = fiscal_year_of(today)
    start = min(fiscal_year_of(first), current) if first else current
    return list(range(current, start - 1, -1))


def load_event(event_id: int) -> PartnerEvent | None:
    return db.session.scalar(
        select(PartnerEvent).where(PartnerEvent.id == event_id).options(selectinload(PartnerEvent.hubs))
    )


# --- the hub page's occupancy calendar, rendered once per data change ------------------------------
# The month grids come only from the hub (capacity) and its bookings (watched: any change gives the
# namespace a new token, ``core.cache``), the Tokyo day and the language (in the key).

OCCUPANCY_NAMESPACE = "partners"
cache.watch(OCCUPANCY_NAMESPACE, PartnerHub, ExchangeBooking, max_entries=128)  # ~10 KB each


def cached_occupancy(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()`` for the current hubs and bookings and ``key``; computed at most once per token and key."""
    return cache.cached(OCCUPANCY_NAMESPACE, key, compute)
