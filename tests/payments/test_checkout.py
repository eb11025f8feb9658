"""Starting a Stripe Checkout: the real SDK against the local stand-in; amounts, idempotency, errors, access."""

from __future__ import annotations

import html
import socket
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState
from kakehashi.payments import services
from kakehashi.payments.models import PaymentEvent, PaymentMethod, PaymentState
from tests.factories import StaffFactory, StartupFactory, member_of
from tests.payments.factories import booking_with_payment, hub_staff_of


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def _checkout(client, payment):
    return client.post(f"/payments/{payment.id}/checkout")


# --- amounts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("30000", "JPY", 30000),
        ("12.50", "EUR", 1250),
        ("0.05", "USD", 5),
        ("1500", "KRW", 1500),
        ("1.25", "KWD", 1250),
    ],
)
def test_minor_units_follow_the_currency(amount, currency, minor):
    assert services.minor_units(Decimal(amount), currency) == minor


def test_minor_units_refuse_fractions_the_currency_does_not_have():
    with pytest.raises(ValueError, match="decimals"):
        services.minor_units(Decimal("100.5"), "JPY")


def test_checkout_for_yen_sends_the_amount_as_is_because_jpy_has_no_minor_unit(stripe_on, login_as):
    booking, member, payment = booking_with_payment(fee="30000", currency="JPY")
    response = _checkout(login_as(member), payment)

    assert response.status_code == 303
    [request] = stripe_on.posts("/v1/checkout/sessions")
    params = request.params()
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "jpy",
                "unit_amount": "30000",
                "product_data": {"name": "Desk booking at Berlin Hub, 2030-06-03 to 2030-06-05 (desks: 1)"},
            },
        }
    ]
    assert params["client_reference_id"] == f"booking-{booking.id}"
    assert params["metadata"] == {"payment_id": str(payment.id), "booking_id": str(booking.id)}
    assert params["success_url"] == f"http://kakehashi.test/payments/{payment.id}/success"
    assert params["cancel_url"] == f"http://kakehashi.test/payments/{payment.id}/cancelled"
    assert request.headers["Idempotency-Key"] == f"kakehashi-payment-{payment.id}-checkout-1"
    assert request.headers["Authorization"] == "Bearer sk_test_kakehashi"
    [session] = stripe_on.sessions.values()
    assert response.headers["Location"] == session["url"]
    assert session["amount_total"] == 30000
    db.session.refresh(payment)
    assert payment.stripe_checkout_session_id == session["id"]
    assert payment.state is PaymentState.PENDING


def test_checkout_for_euros_sends_cents(stripe_on, login_as):
    _booking, member, payment = booking_with_payment(fee="12.50", currency="EUR")
    assert _checkout(login_as(member), payment).status_code == 303
    [request] = stripe_on.posts("/v1/checkout/sessions")
    price = request.params()["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("eur", "1250")


def test_a_double_click_opens_the_same_session(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    client = login_as(member)
    first, second = _checkout(client, payment), _checkout(client, payment)

    assert first.headers["Location"] == second.headers["Location"]
    requests = stripe_on.posts("/v1/checkout/sessions")
    assert len(requests) == 2
    assert {r.headers["Idempotency-Key"] for r in requests} == {f"kakehashi-payment-{payment.id}-checkout-1"}
    assert len(stripe_on.sessions) == 1
    started = db.session.scalar(select(func.count(PaymentEvent.id)).where(PaymentEvent.kind == "checkout.started"))
    assert started == 1


def test_after_the_session_expired_a_new_attempt_gets_a_new_key_and_session(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    client = login_as(member)
    _checkout(client, payment)
    payment.transition_to(PaymentState.EXPIRED, by=None, kind="checkout.session.expired")
    db.session.commit()

    response = _checkout(client, payment)

    assert response.status_code == 303
    keys = [r.headers["Idempotency-Key"] for r in stripe_on.posts("/v1/checkout/sessions")]
    assert keys == [f"kakehashi-payment-{payment.id}-checkout-1", f"kakehashi-payment-{payment.id}-checkout-2"]
    assert len(stripe_on.sessions) == 2
    db.session.refresh(payment)
    assert payment.state is PaymentState.PENDING


# --- errors: a clear message, never a 500, nothing changed ----------------------------------------------


def _nothing_changed(payment) -> None:
    db.session.refresh(payment)
    assert payment.state is PaymentState.PENDING
    assert payment.stripe_checkout_session_id is None
    kinds = db.session.scalars(select(PaymentEvent.kind).where(PaymentEvent.payment_id == payment.id)).all()
    assert kinds == ["opened"]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "payment.checkout_started")) == 0


def test_a_declined_card_from_stripe_gives_a_clear_message(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    stripe_on.fail_next(402, type="card_error", code="card_declined", message="Your card was declined.")
    client = login_as(member)

    response = _checkout(client, payment)

    assert response.status_code == 302
    assert _flashes(client) == ["The card was declined: Your card was declined."]
    _nothing_changed(payment)


def test_stripe_refusing_the_request_gives_a_clear_message(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    stripe_on.fail_next(400, type="invalid_request_error", message="Invalid currency: xxx.")
    client = login_as(member)

    response = _checkout(client, payment)

    assert response.status_code == 302
    assert _flashes(client) == ["Stripe refused the request. Please try again later or contact programme staff."]
    _nothing_changed(payment)


def test_the_same_key_with_different_parameters_is_refused_like_stripe_does(stripe_on, login_as, app):
    _booking, member, payment = booking_with_payment()
    client = login_as(member)
    _checkout(client, payment)
    app.config["BASE_URL"] = "http://elsewhere.test"  # the success URL changes, the key does not

    response = _checkout(client, payment)

    assert response.status_code == 302
    assert "Stripe refused the request" in _flashes(client)[0]
    [first, second] = stripe_on.posts("/v1/checkout/sessions")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert len(stripe_on.sessions) == 1


def test_stripe_out_of_reach_gives_a_clear_message(stripe_on, login_as, app):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"
    _booking, member, payment = booking_with_payment()
    client = login_as(member)

    response = _checkout(client, payment)

    assert response.status_code == 302
    assert _flashes(client) == ["Stripe could not be reached. Nothing was charged; please try again in a few minutes."]
    _nothing_changed(payment)


def test_without_stripe_keys_the_payment_is_a_bank_transfer_and_checkout_is_refused(login_as):
    _booking, member, payment = booking_with_payment()
    assert payment.method is PaymentMethod.MANUAL
    client = login_as(member)

    response = _checkout(client, payment)

    assert response.status_code == 302
    assert _flashes(client) == ["This booking is paid by bank transfer; see the instructions on the receipt."]


def test_a_paid_payment_cannot_be_checked_out_again(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    payment.transition_to(PaymentState.PAID, by=None, kind="test")
    db.session.commit()
    client = login_as(member)

    assert _checkout(client, payment).status_code == 302
    assert _flashes(client) == ["This payment is already Paid."]
    assert stripe_on.posts("/v1/checkout/sessions") == []


# --- who may pay, who may look ----------------------------------------------------------------------------


def test_only_the_requesting_side_may_pay(stripe_on, login_as, client):
    booking, _member, payment = booking_with_payment()
    outsider = member_of(StartupFactory())
    assert _checkout(login_as(outsider), payment).status_code == 404
    assert _checkout(login_as(hub_staff_of(booking.hub)), payment).status_code == 403
    assert _checkout(login_as(StaffFactory()), payment).status_code == 403
    assert stripe_on.posts("/v1/checkout/sessions") == []


def test_anonymous_visitors_are_sent_to_sign_in(stripe_on, client):
    _booking, _member, payment = booking_with_payment()
    for response in (_checkout(client, payment), client.get(f"/payments/{payment.id}/success")):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_the_return_pages_are_for_those_who_may_see_the_booking(stripe_on, login_as):
    booking, member, payment = booking_with_payment()
    for path in (f"/payments/{payment.id}/success", f"/payments/{payment.id}/cancelled"):
        assert login_as(member).get(path).status_code == 200
        assert login_as(hub_staff_of(booking.hub)).get(path).status_code == 200
        assert login_as(StaffFactory()).get(path).status_code == 200
        assert login_as(member_of(StartupFactory())).get(path).status_code == 404
    assert login_as(member).get("/payments/999999/success").status_code == 404


# --- coming back from Stripe ------------------------------------------------------------------------------


def test_the_success_page_says_pending_and_never_marks_the_payment_paid(stripe_on, login_as):
    booking, member, payment = booking_with_payment()
    client = login_as(member)
    _checkout(client, payment)

    page = client.get(f"/payments/{payment.id}/success")

    assert page.status_code == 200
    assert "Payment pending — we'll confirm as soon as Stripe tells us." in html.unescape(page.text)
    assert page.headers["Refresh"] == "5"
    db.session.refresh(payment)
    db.session.refresh(booking)
    assert (payment.state, booking.state) == (PaymentState.PENDING, BookingState.APPROVED)


def test_the_cancelled_page_offers_to_pay_again(stripe_on, login_as):
    _booking, member, payment = booking_with_payment()
    page = login_as(member).get(f"/payments/{payment.id}/cancelled")
    assert "nothing was charged" in page.text
    assert f'action="/payments/{payment.id}/checkout"' in page.text


# --- bank transfers ---------------------------------------------------------------------------------------


def test_staff_mark_a_bank_transfer_received_and_the_booking_is_confirmed(login_as, outbox):
    booking, member, payment = booking_with_payment()
    staff = StaffFactory()

    response = login_as(staff).post(f"/payments/{payment.id}/received")

    assert response.status_code == 302
    db.session.refresh(payment)
    db.session.refresh(booking)
    assert (payment.state, booking.state) == (PaymentState.PAID, BookingState.CONFIRMED)
    assert payment.paid_at is not None
    [event] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.to_state == "paid")).all()
    assert (event.kind, event.actor_id) == ("manual.received", staff.id)
    received = [e for e in outbox() if e.template == "payments/received"]
    assert [e.to_address for e in received] == [member.email]
    assert "¥30,000" in received[0].body_text
    assert received[0].subject == "Payment received: desks at Berlin Hub"


def test_marking_received_twice_is_refused_politely(login_as):
    _booking, _member, payment = booking_with_payment()
    client = login_as(StaffFactory())
    client.post(f"/payments/{payment.id}/received")
    client.post(f"/payments/{payment.id}/received")
    assert _flashes(client)[-1] == "This payment is already Paid."
    assert db.session.scalar(select(func.count()).where(PaymentEvent.to_state == "paid")) == 1


def test_card_payments_cannot_be_marked_received_by_hand(stripe_on, login_as):
    _booking, _member, payment = booking_with_payment()
    client = login_as(StaffFactory())
    client.post(f"/payments/{payment.id}/received")
    assert _flashes(client) == ["Card payments are confirmed by Stripe, not by hand."]
    db.session.refresh(payment)
    assert payment.state is PaymentState.PENDING


def test_only_ward_staff_mark_payments_received(login_as):
    booking, member, payment = booking_with_payment()
    assert login_as(member).post(f"/payments/{payment.id}/received").status_code == 403
    assert login_as(hub_staff_of(booking.hub)).post(f"/payments/{payment.id}/received").status_code == 403
    db.session.refresh(payment)
    assert payment.state is PaymentState.PENDING
