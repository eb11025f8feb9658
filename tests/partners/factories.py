"""Partner hubs, their staff and bookings for the partners tests (built directly, not through the services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from kakehashi.extensions import db
from kakehashi.partners.models import (
    BookingState,
    Direction,
    EventKind,
    ExchangeBooking,
    HubMember,
    PartnerEvent,
    PartnerHub,
)
from tests.factories import BaseFactory, CohortMemberFactory, StartupFactory, UserFactory, member_of


class PartnerHubFactory(BaseFactory):
    """A partner hub abroad: 5 desks at €25.00 a day, agreement for 2026–2027, full refund 14 days ahead."""

    class Meta:
        model = PartnerHub

    name = factory.Sequence(lambda n: {"ja": f"ベルリン・ファクトリー{n}", "en": f"Berlin Factory {n}"})
    city = {"ja": "ベルリン", "en": "Berlin"}
    country = "DE"
    timezone = "Europe/Berlin"
    agreement_starts_on = date(2026, 4, 1)
    agreement_ends_on = date(2027, 3, 31)
    capacity_desks = 5
    daily_rate = Decimal("25.00")
    currency = "EUR"
    refund_days_before = 14
    payment_instructions = {
        "en": "IBAN DE89 3704 0044 0532 0130 00",
        "ja": "IBAN DE89 3704 0044 0532 0130 00 へお振込みください",
    }
    is_home = False
    is_active = True
    feed_token = factory.Sequence(lambda n: f"feed-token-{n:04d}-abcdefghijklmnopqrstuvwxyz")


class HomeHubFactory(PartnerHubFactory):
    name = {"ja": "かけはしインキュベーションセンター", "en": "Kakehashi Incubation Centre"}
    city = {"ja": "東京", "en": "Tokyo"}
    country = "JP"
    timezone = "Asia/Tokyo"
    agreement_starts_on = None
    agreement_ends_on = None
    capacity_desks = 10
    daily_rate = Decimal("3000")
    currency = "JPY"
    is_home = True


class BookingFactory(BaseFactory):
    """A requested outbound booking: 1 desk for three days in June 2026, €75.00."""

    class Meta:
        model = ExchangeBooking

    hub = factory.SubFactory(PartnerHubFactory)
    direction = Direction.OUTBOUND
    startup = factory.SubFactory(StartupFactory)
    requested_by = None
    starts_on = date(2026, 6, 1)
    ends_on = date(2026, 6, 3)
    desks = 1
    state = BookingState.REQUESTED
    fee = factory.LazyAttribute(lambda b: b.hub.daily_rate * ((b.ends_on - b.starts_on).days + 1) * b.desks)
    currency = factory.LazyAttribute(lambda b: b.hub.currency)


class PartnerEventFactory(BaseFactory):
    class Meta:
        model = PartnerEvent

    kind = EventKind.PITCH
    title = factory.Sequence(lambda n: {"ja": f"共同ピッチ{n}", "en": f"Joint pitch {n}"})
    held_on = date(2025, 10, 1)
    participants = 40


def hub_staff_of(hub, **kwargs):
    user = UserFactory(**kwargs)
    db.session.add(HubMember(hub_id=hub.id, user_id=user.id))
    db.session.commit()
    return user


def cohort_founder(**startup_kwargs):
    """A member of a startup in a cohort (active): may book desks abroad. Returns (user, startup)."""
    startup = StartupFactory(**startup_kwargs)
    CohortMemberFactory(startup=startup)
    return member_of(startup), startup
