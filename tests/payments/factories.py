"""Hubs and approved bookings built directly (not through partners.services), and the payment on them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, HubMember, PartnerHub
from kakehashi.payments import services
from tests.factories import StartupFactory, UserFactory, member_of
from tests.partners import factories as partner_factories


class PartnerHubFactory(partner_factories.PartnerHubFactory):
    """A partner hub charging ¥10,000 a desk per day (the partners tests' hub otherwise)."""

    name = {"ja": "ベルリン・ハブ", "en": "Berlin Hub"}
    agreement_starts_on = None
    agreement_ends_on = None
    daily_rate = Decimal("10000")
    currency = "JPY"
    payment_instructions = {"en": "Transfer to IBAN DE00 0000", "ja": "IBAN DE00 0000 へ振込"}
    feed_token = None


class BookingFactory(partner_factories.BookingFactory):
    """An approved outbound booking, waiting for payment: three days, one desk, ¥30,000."""

    hub = factory.SubFactory(PartnerHubFactory)
    starts_on = date(2030, 6, 3)
    ends_on = date(2030, 6, 5)
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
