"""The partners demo: five hubs, the demo hub user on Berlin's staff, bookings in every state, joint events."""

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from kakehashi.cohorts.models import MemberStatus
from kakehashi.demo.partners import load_partners
from kakehashi.extensions import db
from kakehashi.partners import calendar, queries
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking, HubMember, PartnerEvent, PartnerHub
from kakehashi.payments.models import Payment, PaymentMethod, PaymentState
from tests.factories import CohortMemberFactory, StaffFactory, UserFactory
from tests.partners.conftest import TODAY


def test_the_partners_demo_loads_once_with_bookings_in_every_state(login_as):
    staff = StaffFactory(email="staff@demo.kakehashi.jp")
    hub_user = UserFactory(email="hub@demo.kakehashi.jp")
    for status in (MemberStatus.ACTIVE, MemberStatus.GRADUATED):
        for _ in range(5):
            CohortMemberFactory(status=status)
    assert load_partners(TODAY) is True
    counts = {model: db.session.scalar(select(func.count(model.id))) for model in (PartnerHub, ExchangeBooking)}
    assert load_partners(TODAY) is False
    assert {model: db.session.scalar(select(func.count(model.id))) for model in counts} == counts

    hubs = {h.currency: h for h in db.session.scalars(select(PartnerHub))}
    assert set(hubs) == {"JPY", "EUR", "SGD", "USD", "INR"}
    assert [h.currency for h in hubs.values() if h.is_home] == ["JPY"]
    berlin = hubs["EUR"]
    member = db.session.scalars(select(HubMember)).one()
    assert (member.hub_id, member.user_id) == (berlin.id, hub_user.id)

    bookings = list(db.session.scalars(select(ExchangeBooking)))
    assert set(Counter(b.state for b in bookings)) == set(BookingState)
    assert {b.direction for b in bookings} == {Direction.OUTBOUND, Direction.INBOUND}
    assert all(b.hub.is_home == (b.direction is Direction.INBOUND) for b in bookings)
    for booking in bookings:
        hub = booking.hub
        assert hub.agreement_starts_on is None or booking.starts_on >= hub.agreement_starts_on
        assert hub.agreement_ends_on is None or booking.ends_on <= hub.agreement_ends_on
        assert booking.fee == calendar_fee(booking)
    for hub in hubs.values():
        held = calendar.desks_held(hub.id, date(2025, 1, 1), date(2027, 12, 31))
        assert max(held.values()) <= hub.capacity_desks

    payments = {p.booking_id: p for p in db.session.scalars(select(Payment))}
    assert {p.method for p in payments.values()} == {PaymentMethod.MANUAL}
    for booking in bookings:
        payment = payments.get(booking.id)
        if booking.state is BookingState.APPROVED:
            assert payment.state is PaymentState.PENDING
        elif booking.state in (BookingState.CONFIRMED, BookingState.COMPLETED):
            assert booking.fee_waived or payment.state is PaymentState.PAID
    assert PaymentState.REFUNDED in {p.state for p in payments.values()}

    per_year = {fy: len(queries.events_of_year(fy)) for fy in range(2020, 2027)}
    # 2024 meets the policy's 4; in 2026 only the April event is before TODAY (1 May).
    assert per_year == {2020: 2, 2021: 1, 2022: 3, 2023: 2, 2024: 4, 2025: 1, 2026: 1}
    assert all(e.held_on <= TODAY for e in db.session.scalars(select(PartnerEvent)))

    # The demo hub user decides at Berlin; staff see everything.
    queue = login_as(hub_user).get(f"/partners/hubs/{berlin.id}/bookings")
    assert queue.status_code == 200 and "data-booking" in queue.text
    client = login_as(staff)
    for booking in bookings:
        assert client.get(f"/partners/bookings/{booking.id}").status_code == 200
        assert client.get(f"/partners/bookings/{booking.id}/receipt").status_code == 200
    for hub in hubs.values():
        assert client.get(f"/partners/hubs/{hub.id}").status_code == 200


def calendar_fee(booking):
    from kakehashi.partners.services import booking_fee

    return booking_fee(booking.hub, booking.starts_on, booking.ends_on, booking.desks)
