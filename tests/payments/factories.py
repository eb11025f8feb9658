"""Hubs and approved bookings built directly (not through partners.services), and the payment on them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking, HubMember, PartnerHub
from kakehashi.payments import services
from tests.factories import BaseFactory, StartupFactory, UserFactory, member_of


class PartnerHubFactory(BaseFactory):
    class Meta:
        model = PartnerHub

    name = {"ja": "ベルリン・ハブ", "en": "Berlin Hub"}
    city = {"ja": "ベルリン", "en": "Berlin"}
    country = "DE"
    timezone = "Europe/Berlin"
    capacity_desks = 5
    daily_rate = Decimal("10000")
    currency = "JPY"
    refund_days_before = 14
    payment_instructions = {"en": "Transfer to IBAN DE00 0000", "ja": "IBAN DE00 0000 へ振込"}
    is_home = False
    is_active = True


class BookingFactory(BaseFactory):
    """An approved outbound booking, waiting for payment: three days, one desk, ¥30,000."""

    class Meta:
        model = ExchangeBooking

    hub = factory.SubFactory(PartnerHubFactory)
    direction = Direction.OUTBOUND
    startup = factory.SubFactory(StartupFactory)
    requested_by = None
    starts_on = date(2030, 6, 3)
    ends_on = date(2030, 6, 5)
    desks = 1
    state = BookingState.APPROVED
    fee = Decimal("30000")
    currency = "JPY"


def hub_staff_of(hub: PartnerHub):
    user = UserFactory()
    db.session.add(HubMember(hub_id=hub.id, user_id=user.id))
    db.session.commit()
    return user


def booking_with_payment(*, fee: str = "30000", currency: str = "JPY", by=None):
    """An approved booking, its requesting member, and its pending payment (card when Stripe is on)."""
    hub = PartnerHubFactory(currency=currency)
    startup = StartupFactory()
    member = member_of(startup)
    booking = BookingFactory(hub=hub, startup=startup, requested_by=member, fee=Decimal(fee), currency=currency)
    payment = services.open_payment(booking, by=by)
    db.session.commit()
    return booking, member, payment
