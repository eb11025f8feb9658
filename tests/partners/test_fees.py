"""Fees: daily rate × days (inclusive) × desks, in the hub's currency, rounded to its minor unit; waivers."""

from datetime import date
from decimal import Decimal

import pytest

from kakehashi.extensions import db
from kakehashi.partners import services
from kakehashi.partners.models import BookingState, ExchangeBooking
from tests.factories import StaffFactory
from tests.partners.factories import BookingFactory, HomeHubFactory, PartnerHubFactory, cohort_founder


@pytest.mark.parametrize(
    ("rate", "currency", "days", "desks", "fee"),
    [
        ("3000", "JPY", 3, 2, Decimal("18000")),  # zero-decimal: whole yen
        ("1234.50", "JPY", 3, 1, Decimal("3704")),  # 3703.5 rounds half up to whole yen
        ("25.00", "EUR", 3, 1, Decimal("75.00")),
        ("33.33", "SGD", 7, 3, Decimal("699.93")),
        ("0", "USD", 10, 2, Decimal("0.00")),
    ],
)
def test_the_fee_is_the_daily_rate_times_days_times_desks_in_the_currencys_minor_unit(rate, currency, days, desks, fee):
    hub = PartnerHubFactory(daily_rate=Decimal(rate), currency=currency)
    first = date(2026, 6, 1)
    result = services.booking_fee(hub, first, date(2026, 6, days), desks)
    assert result == fee
    assert result.as_tuple().exponent == (0 if currency == "JPY" else -2)


def test_a_one_day_booking_is_charged_one_day():
    hub = PartnerHubFactory(daily_rate=Decimal("25.00"))
    assert services.booking_fee(hub, date(2026, 6, 1), date(2026, 6, 1), 1) == Decimal("25.00")


def test_the_fee_is_stored_with_the_request_in_the_hubs_currency():
    user, startup = cohort_founder()
    hub = PartnerHubFactory(daily_rate=Decimal("42.10"), currency="SGD", country="SG", timezone="Asia/Singapore")
    booking = services.request_outbound(
        hub, startup, by=user, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 10), desks=2, purpose="Market study"
    )
    db.session.commit()
    assert (booking.fee, booking.currency, booking.amount_due) == (Decimal("842.00"), "SGD", Decimal("842.00"))
    hub.daily_rate = Decimal("99")  # a later rate change does not touch the fee already requested
    db.session.commit()
    db.session.refresh(booking)
    assert booking.fee == Decimal("842.00")


def test_a_waived_fee_makes_nothing_due_and_a_waived_request_is_confirmed_on_approval(outbox):
    staff = StaffFactory()
    booking = BookingFactory(hub=HomeHubFactory(), fee=Decimal("9000"), currency="JPY")
    services.waive_fee(booking, by=staff)
    db.session.commit()
    assert (booking.fee, booking.fee_waived, booking.amount_due) == (Decimal("9000"), True, Decimal(0))
    services.approve_booking(booking, by=staff)
    db.session.commit()
    assert booking.state is BookingState.CONFIRMED


def test_the_fee_is_shown_before_the_request_is_sent_in_the_hubs_currency(login_as):
    user, startup = cohort_founder()
    hub = PartnerHubFactory()
    client = login_as(user)
    form = {"startup_id": startup.id, "starts_on": "2026-06-01", "ends_on": "2026-06-03", "desks": "2"}
    page = client.post(f"/partners/hubs/{hub.id}/book?lang=en", data={**form, "preview": "1"})
    assert page.status_code == 200
    assert 'data-fee="150.00"' in page.text and "€150.00" in page.text
    assert db.session.scalar(db.select(db.func.count()).select_from(ExchangeBooking)) == 0

    # Sending with the fee that was shown stores the request with that fee.
    response = client.post(f"/partners/hubs/{hub.id}/book?lang=en", data={**form, "send": "1", "fee_shown": "150.00"})
    assert response.status_code == 302
    booking = db.session.scalars(db.select(ExchangeBooking)).one()
    assert (booking.fee, booking.currency, booking.state) == (Decimal("150.00"), "EUR", BookingState.REQUESTED)


def test_sending_without_having_seen_the_fee_shows_it_first(login_as):
    user, startup = cohort_founder()
    hub = PartnerHubFactory()
    form = {"startup_id": startup.id, "starts_on": "2026-06-01", "ends_on": "2026-06-03", "desks": "1", "send": "1"}
    page = login_as(user).post(f"/partners/hubs/{hub.id}/book?lang=en", data={**form, "fee_shown": "1.00"})
    assert page.status_code == 200
    assert "Please check the fee below before sending the request." in page.text
    assert "€75.00" in page.text
    assert db.session.scalar(db.select(db.func.count()).select_from(ExchangeBooking)) == 0


def test_the_yen_fee_is_shown_without_decimals(login_as):
    hub = HomeHubFactory()
    booking = BookingFactory(hub=hub, startup__is_overseas=True, fee=Decimal("18000"), currency="JPY")
    page = login_as(StaffFactory()).get(f"/partners/bookings/{booking.id}/receipt?lang=en")
    assert "¥18,000" in page.text and "¥18,000.00" not in page.text
