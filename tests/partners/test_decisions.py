"""Decisions on bookings: the transition table, approval under capacity, payment, waiver, cancellation, completion."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kakehashi.core.errors import InvalidTransition
from kakehashi.extensions import db
from kakehashi.partners import services
from kakehashi.partners.models import BOOKING_TRANSITIONS, BookingState, Direction
from kakehashi.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState
from tests.factories import StaffFactory, UserFactory, member_of
from tests.partners.conftest import TODAY
from tests.partners.factories import BookingFactory, HomeHubFactory, PartnerHubFactory, hub_staff_of


def flashes(client):
    with client.session_transaction() as session:
        return [html.unescape(message) for _category, message in session.get("_flashes", [])]


# --- the transition table ---------------------------------------------------------------------------------

ILLEGAL = [(old, new) for old in BookingState for new in BookingState if new not in BOOKING_TRANSITIONS[old]]


def test_the_transition_table_is_the_documented_one():
    S = BookingState
    documented = {
        S.REQUESTED: {S.APPROVED, S.CONFIRMED, S.DECLINED, S.CANCELLED},
        S.APPROVED: {S.CONFIRMED, S.CANCELLED},
        S.CONFIRMED: {S.COMPLETED, S.CANCELLED},
        S.COMPLETED: set(),
        S.DECLINED: set(),
        S.CANCELLED: set(),
    }
    assert documented == BOOKING_TRANSITIONS


@pytest.mark.parametrize(("old", "new"), ILLEGAL, ids=[f"{o.value}-{n.value}" for o, n in ILLEGAL])
def test_every_illegal_move_is_refused_and_changes_nothing(old, new):
    booking = BookingFactory(state=old)
    with pytest.raises(InvalidTransition):
        booking.transition_to(new, by=None)
    assert booking.state is old


def test_the_services_refuse_moves_the_state_does_not_allow():
    staff = StaffFactory()
    with force_locale("en"):
        for state in (BookingState.APPROVED, BookingState.DECLINED, BookingState.CANCELLED):
            with pytest.raises(InvalidTransition, match="cannot change"):
                services.approve_booking(BookingFactory(state=state), by=staff)
        with pytest.raises(InvalidTransition):
            services.decline_booking(BookingFactory(state=BookingState.CONFIRMED), by=staff, note="No")
        with pytest.raises(InvalidTransition):
            services.cancel_booking(BookingFactory(state=BookingState.COMPLETED), by=staff)


# --- approval -----------------------------------------------------------------------------------------------


def test_hub_staff_approve_and_the_requester_gets_the_receipt_link_and_a_manual_payment(login_as, outbox):
    hub = PartnerHubFactory(name={"en": "Spree Works"})
    decider = hub_staff_of(hub)
    booking = BookingFactory(hub=hub, desks=2)  # €150.00
    founder = member_of(booking.startup, user=UserFactory(locale="ja"))
    client = login_as(decider)
    response = client.post(f"/partners/bookings/{booking.id}/approve?lang=en", data={"note": "Welcome!"})
    assert response.status_code == 302
    assert flashes(client) == ["The booking has been approved; the requester has been told."]
    db.session.refresh(booking)
    assert (booking.state, booking.decided_by_id, booking.decision_note) == (
        BookingState.APPROVED,
        decider.id,
        "Welcome!",
    )
    payment = db.session.scalars(select(Payment)).one()
    assert (payment.method, payment.state, payment.amount, payment.currency) == (
        PaymentMethod.MANUAL,
        PaymentState.PENDING,
        Decimal("150.00"),
        "EUR",
    )
    [email] = outbox()
    assert (email.to_address, email.locale) == (founder.email, "ja")
    assert f"http://kakehashi.test/partners/bookings/{booking.id}/receipt" in email.body_text

    receipt = login_as(founder).get(f"/partners/bookings/{booking.id}/receipt?lang=en").text
    assert "Payment pending" in receipt and "€150.00" in receipt
    assert "IBAN DE89 3704 0044 0532 0130 00" in receipt  # the hub's bank-transfer instructions
    assert "Mark the transfer as received" not in receipt  # staff only
    assert 'data-state="pending"' in receipt


def test_staff_mark_the_transfer_received_and_the_booking_is_confirmed(login_as, outbox):
    hub = PartnerHubFactory()
    booking = BookingFactory(hub=hub)
    founder = member_of(booking.startup)
    staff = StaffFactory()
    services.approve_booking(booking, by=staff)
    db.session.commit()
    payment = db.session.scalars(select(Payment)).one()
    client = login_as(staff)
    receipt = client.get(f"/partners/bookings/{booking.id}/receipt?lang=en").text
    assert f'action="/payments/{payment.id}/received"' in receipt
    client.post(f"/payments/{payment.id}/received")
    db.session.refresh(booking)
    assert booking.state is BookingState.CONFIRMED
    assert "partners/confirmed" in [e.template for e in outbox() if e.to_address == founder.email]
    receipt = login_as(founder).get(f"/partners/bookings/{booking.id}/receipt?lang=en").text
    assert 'data-state="paid"' in receipt and "Payment pending" not in receipt


def test_with_stripe_the_requester_gets_a_pay_button(app, login_as):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    booking = BookingFactory()
    founder = member_of(booking.startup)
    services.approve_booking(booking, by=StaffFactory())
    db.session.commit()
    payment = db.session.scalars(select(Payment)).one()
    assert payment.method is PaymentMethod.STRIPE
    receipt = login_as(founder).get(f"/partners/bookings/{booking.id}/receipt?lang=en").text
    assert f'action="/payments/{payment.id}/checkout"' in receipt and "Pay by card" in receipt
    assert "Payment pending" in receipt and "IBAN" not in receipt


def test_approval_rechecks_capacity_and_names_the_full_days(login_as):
    hub = PartnerHubFactory(capacity_desks=2)
    first = BookingFactory(hub=hub, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 10), desks=2)
    second = BookingFactory(hub=hub, starts_on=date(2026, 6, 9), ends_on=date(2026, 6, 12), desks=1)
    client = login_as(StaffFactory())
    client.post(f"/partners/bookings/{first.id}/approve")
    client.post(f"/partners/bookings/{second.id}/approve?lang=en")
    assert flashes(client)[1:] == [
        "This booking no longer fits: not enough desks are free on Jun 9, 2026 – Jun 10, 2026 (the hub has 2 desks)."
    ]
    db.session.refresh(second)
    assert second.state is BookingState.REQUESTED
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_a_booking_with_nothing_to_pay_is_confirmed_on_approval(outbox):
    hub = PartnerHubFactory(daily_rate=Decimal(0))
    booking = BookingFactory(hub=hub)
    founder = member_of(booking.startup)
    services.approve_booking(booking, by=StaffFactory())
    db.session.commit()
    assert booking.state is BookingState.CONFIRMED
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    assert [(e.to_address, e.template) for e in outbox()] == [(founder.email, "partners/confirmed")]


def test_confirm_booking_confirms_once_and_ignores_a_repeat(outbox):
    booking = BookingFactory(state=BookingState.APPROVED)
    member_of(booking.startup)
    services.confirm_booking(booking, by=None)
    services.confirm_booking(booking, by=None)
    db.session.commit()
    assert booking.state is BookingState.CONFIRMED
    assert len(outbox()) == 1
    with pytest.raises(services.BookingError):
        services.confirm_booking(BookingFactory(), by=None)  # requested with a fee: approve and pay first


def test_decline_needs_a_note_which_the_requester_reads(login_as, outbox):
    hub = PartnerHubFactory()
    decider = hub_staff_of(hub)
    booking = BookingFactory(hub=hub)
    founder = member_of(booking.startup)
    client = login_as(decider)
    client.post(f"/partners/bookings/{booking.id}/decline?lang=en", data={"note": ""})
    assert flashes(client) == ["Say why in the note: the requester reads it."]
    client.post(f"/partners/bookings/{booking.id}/decline", data={"note": "We are closed for renovation in June."})
    db.session.refresh(booking)
    assert (booking.state, booking.decision_note) == (BookingState.DECLINED, "We are closed for renovation in June.")
    [email] = outbox()
    assert email.to_address == founder.email and "We are closed for renovation in June." in email.body_text


def test_ward_staff_decide_home_hub_requests_and_partner_staff_cannot(login_as):
    home = HomeHubFactory()
    partner = PartnerHubFactory()
    partner_user = hub_staff_of(partner)
    booking = BookingFactory(hub=home, direction=Direction.INBOUND, requesting_hub=partner, fee=Decimal("9000"))
    assert login_as(partner_user).post(f"/partners/bookings/{booking.id}/approve").status_code == 403
    assert login_as(StaffFactory()).post(f"/partners/bookings/{booking.id}/approve").status_code == 302
    db.session.refresh(booking)
    assert booking.state is BookingState.APPROVED


# --- waiver --------------------------------------------------------------------------------------------------


def test_waiving_an_approved_bookings_fee_confirms_it_and_lapses_the_open_payment(login_as, outbox):
    booking = BookingFactory()
    member_of(booking.startup)
    staff = StaffFactory()
    services.approve_booking(booking, by=staff)
    db.session.commit()
    client = login_as(staff)
    client.post(f"/partners/bookings/{booking.id}/waive-fee?lang=en")
    assert flashes(client) == ["The fee has been waived."]
    db.session.refresh(booking)
    assert (booking.state, booking.fee_waived, booking.amount_due) == (BookingState.CONFIRMED, True, Decimal(0))
    payment = db.session.scalars(select(Payment)).one()
    assert payment.state is PaymentState.EXPIRED
    assert db.session.scalars(select(PaymentEvent.kind).order_by(PaymentEvent.id)).all()[-1] == "booking.fee_waived"
    assert outbox()[-1].template == "partners/confirmed"


def test_only_ward_staff_waive_and_only_before_payment(login_as):
    hub = PartnerHubFactory()
    booking = BookingFactory(hub=hub)
    assert login_as(hub_staff_of(hub)).post(f"/partners/bookings/{booking.id}/waive-fee").status_code == 403
    staff = StaffFactory()
    services.approve_booking(booking, by=staff)
    payment = db.session.scalars(select(Payment)).one()
    from kakehashi.payments.services import mark_received

    mark_received(payment, by=staff)
    db.session.commit()
    assert booking.state is BookingState.CONFIRMED
    with force_locale("en"), pytest.raises(services.BookingError, match="only before the booking is paid"):
        services.waive_fee(booking, by=staff)


# --- cancellation and the refund rule ---------------------------------------------------------------------


def paid_booking(starts_on, refund_days_before=14):
    hub = PartnerHubFactory(refund_days_before=refund_days_before)
    booking = BookingFactory(hub=hub, starts_on=starts_on, ends_on=starts_on + timedelta(days=2))
    founder = member_of(booking.startup)
    staff = StaffFactory()
    services.approve_booking(booking, by=staff)
    from kakehashi.payments.services import mark_received

    mark_received(db.session.scalars(select(Payment)).one(), by=staff)
    db.session.commit()
    return booking, founder


@pytest.mark.parametrize(
    ("days_ahead", "refunded"),
    [(14, True), (13, False), (30, True)],
    ids=["exactly-N-days-before", "N-1-days-before", "well-ahead"],
)
def test_cancelling_refunds_in_full_only_at_least_n_days_before_the_first_day(login_as, outbox, days_ahead, refunded):
    booking, founder = paid_booking(TODAY + timedelta(days=days_ahead))
    client = login_as(founder)
    page = client.get(f"/partners/bookings/{booking.id}?lang=en").text
    rule = html.unescape(re.search(r'id="refund-rule">\s*(.*?)\s*</div>', page, re.S).group(1))
    if refunded:
        assert rule == "Cancelled today, a paid fee is refunded in full."
    else:
        assert rule.startswith("Cancelled today, a paid fee is not refunded")
    client.post(f"/partners/bookings/{booking.id}/cancel")
    db.session.refresh(booking)
    assert (booking.state, booking.cancelled_by_id) == (BookingState.CANCELLED, founder.id)
    payment = db.session.scalars(select(Payment)).one()
    assert payment.state is (PaymentState.REFUNDED if refunded else PaymentState.PAID)
    email = next(e for e in reversed(outbox()) if e.to_address == founder.email)
    assert email.template == "partners/cancelled"
    if refunded:
        assert "The fee of €75.00 paid for it is refunded in full." in email.body_text
    else:
        assert "The fee paid is not refunded" in email.body_text


def test_the_refund_rule_counts_tokyo_days():
    booking = BookingFactory(starts_on=date(2026, 5, 15), ends_on=date(2026, 5, 16))
    assert services.refund_rule_met(booking, date(2026, 5, 1)) is True  # 14 days before
    assert services.refund_rule_met(booking, date(2026, 5, 2)) is False


def test_cancelling_an_unpaid_request_says_nothing_is_refunded(login_as, outbox):
    hub = PartnerHubFactory()
    decider = hub_staff_of(hub)
    booking = BookingFactory(hub=hub)
    founder = member_of(booking.startup)
    login_as(founder).post(f"/partners/bookings/{booking.id}/cancel")
    db.session.refresh(booking)
    assert booking.state is BookingState.CANCELLED
    emails = {e.to_address: e for e in outbox()}
    assert set(emails) == {founder.email, decider.email}
    assert "Nothing had been paid for it, so there is nothing to refund." in emails[founder.email].body_text


def test_the_hubs_staff_cannot_cancel_but_ward_staff_can(login_as):
    hub = PartnerHubFactory()
    booking = BookingFactory(hub=hub)
    assert login_as(hub_staff_of(hub)).post(f"/partners/bookings/{booking.id}/cancel").status_code == 403
    assert login_as(StaffFactory()).post(f"/partners/bookings/{booking.id}/cancel").status_code == 302
    db.session.refresh(booking)
    assert booking.state is BookingState.CANCELLED


# --- completion -----------------------------------------------------------------------------------------------


def test_complete_past_moves_confirmed_bookings_that_ended_before_today_and_is_idempotent(app):
    ended = BookingFactory(state=BookingState.CONFIRMED, starts_on=date(2026, 4, 20), ends_on=date(2026, 4, 30))
    ends_today = BookingFactory(state=BookingState.CONFIRMED, starts_on=date(2026, 4, 28), ends_on=TODAY)
    approved = BookingFactory(state=BookingState.APPROVED, starts_on=date(2026, 4, 20), ends_on=date(2026, 4, 30))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["partners", "complete-past"])
    second = runner.invoke(args=["partners", "complete-past"])
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert (first.output.strip(), second.output.strip()) == ("Completed 1 booking(s).", "Completed 0 booking(s).")
    db.session.expire_all()
    assert [b.state for b in (ended, ends_today, approved)] == [
        BookingState.COMPLETED,
        BookingState.CONFIRMED,
        BookingState.APPROVED,
    ]
