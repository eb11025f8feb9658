"""Stripe's webhook: signatures on the raw body, one application per event id, checks against the payment,
states that only move forward, refunds; with the real SDK signing and the stand-in as Stripe's API."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
import stripe
from sqlalchemy import func, select

from kakehashi.core.audit import AuditEvent
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState
from kakehashi.payments import services
from kakehashi.payments.cli import payments_cli
from kakehashi.payments.models import PaymentEvent, PaymentState, StripeEvent
from tests.factories import StaffFactory
from tests.payments.conftest import WEBHOOK, WEBHOOK_SECRET, deliver, signed
from tests.payments.factories import booking_with_payment


def _count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _pay_by_card(client, login_as, stripe_on, **booking_kwargs):
    """A booking whose requester went through Checkout; returns (booking, member, payment, paid session)."""
    booking, member, payment = booking_with_payment(**booking_kwargs)
    response = login_as(member).post(f"/payments/{payment.id}/checkout")
    assert response.status_code == 303
    [session_id] = stripe_on.sessions
    return booking, member, payment, stripe_on.complete(session_id)


def _states(booking, payment):
    db.session.commit()
    db.session.refresh(payment)
    db.session.refresh(booking)
    return payment.state, booking.state


def _templates(outbox) -> list[str]:
    return [email.template for email in outbox()]


# --- signatures ---------------------------------------------------------------------------------------------


def test_without_stripe_keys_the_webhook_does_not_exist(client):
    event = {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}
    assert deliver(client, event).status_code == 404


def _bad_deliveries(event):
    body, header = signed(event)
    old_body, old_header = signed(event, timestamp=int(time.time()) - 301)
    _, wrong_secret_header = signed(event, secret="whsec_someone_else")
    changed = body.replace('"paid"', '"unpaid"', 1).replace(str(event["data"]["object"]["amount_total"]), "1", 1)
    return {
        "missing signature": (body, None),
        "bad signature": (body, header.split(",v1=")[0] + ",v1=" + "0" * 64),
        "wrong secret": (body, wrong_secret_header),
        "body changed after signing": (changed, header),
        "timestamp older than the tolerance": (old_body, old_header),
        "not a signature header": (body, "garbage"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing signature",
        "bad signature",
        "wrong secret",
        "body changed after signing",
        "timestamp older than the tolerance",
        "not a signature header",
    ],
)
def test_a_delivery_that_fails_verification_is_refused_and_changes_nothing(case, stripe_on, client, login_as, outbox):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    event = stripe_on.event("checkout.session.completed", session)
    body, header = _bad_deliveries(event)[case]
    headers = {"Stripe-Signature": header} if header else {}

    response = client.post(WEBHOOK, data=body, headers=headers, content_type="application/json")

    assert response.status_code == 400
    assert _count(StripeEvent) == 0
    assert _states(booking, payment) == (PaymentState.PENDING, BookingState.APPROVED)
    assert _templates(outbox) == []


def test_a_timestamp_within_the_tolerance_is_accepted(stripe_on, client, login_as):
    _booking, _member, _payment, session = _pay_by_card(client, login_as, stripe_on)
    event = stripe_on.event("checkout.session.completed", session)
    assert deliver(client, event, timestamp=int(time.time()) - 240).status_code == 200


def test_a_signed_body_that_is_not_an_event_is_refused(stripe_on, client):
    body = json.dumps(["not", "an", "event"])
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    response = client.post(WEBHOOK, data=body, headers={"Stripe-Signature": header}, content_type="application/json")
    assert response.status_code == 400
    assert _count(StripeEvent) == 0


# --- a completed checkout -------------------------------------------------------------------------------------


def test_a_completed_checkout_pays_and_confirms_the_booking_once(stripe_on, client, login_as, outbox):
    booking, member, payment, session = _pay_by_card(client, login_as, stripe_on)
    event = stripe_on.event("checkout.session.completed", session)

    response = deliver(client, event)

    assert response.status_code == 200
    assert response.json == {"message": "applied: paid, booking confirmed"}
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)
    assert payment.stripe_payment_intent_id == session["payment_intent"]
    stored = db.session.get(StripeEvent, event["id"])
    assert (stored.type, stored.outcome) == ("checkout.session.completed", "applied: paid, booking confirmed")
    assert stored.processed_at is not None
    [paid] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.to_state == "paid")).all()
    assert (paid.kind, paid.stripe_event_id, paid.actor_id) == ("checkout.session.completed", event["id"], None)
    emails = outbox()
    assert sorted(e.template for e in emails) == ["partners/confirmed", "payments/received"]
    assert {e.to_address for e in emails} == {member.email}
    page = login_as(member).get(f"/payments/{payment.id}/success")
    assert "Payment received. Thank you! Your booking is confirmed." in page.text
    assert "Refresh" not in page.headers


def test_the_same_event_delivered_again_is_answered_but_not_applied_again(stripe_on, client, login_as, outbox):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    event = stripe_on.event("checkout.session.completed", session)
    deliver(client, event)

    again = deliver(client, event)

    assert (again.status_code, again.json) == (200, {"message": "already received"})
    assert _count(StripeEvent) == 1
    assert _count(PaymentEvent, PaymentEvent.to_state == "paid") == 1
    assert _templates(outbox).count("partners/confirmed") == 1


def test_the_same_completed_event_delivered_ten_times_at_once_applies_once(app, stripe_on, client, login_as, outbox):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    delivery = signed(stripe_on.event("checkout.session.completed", session))

    answers = _deliver_at_once(app, [delivery] * 10)

    assert sorted(answers) == sorted([(200, "applied: paid, booking confirmed")] + [(200, "already received")] * 9)
    assert _count(StripeEvent) == 1
    assert _count(PaymentEvent, PaymentEvent.to_state == "paid") == 1
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)
    templates = _templates(outbox)
    assert (templates.count("partners/confirmed"), templates.count("payments/received")) == (1, 1)


def _deliver_at_once(app, deliveries: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """Each (body, header) from its own thread, test client, app context and database session."""
    start = threading.Barrier(len(deliveries))
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def deliver_once(body: str, header: str) -> None:
        try:
            own_client = app.test_client()
            start.wait(timeout=10)
            response = own_client.post(
                WEBHOOK, data=body, headers={"Stripe-Signature": header}, content_type="application/json"
            )
            answers.append((response.status_code, response.json["message"]))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    db.session.commit()
    threads = [threading.Thread(target=deliver_once, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return answers


def test_different_events_paying_the_same_session_at_once_pay_it_once(app, stripe_on, client, login_as, outbox):
    """The row locks (PostgreSQL) or the single writer (SQLite): the second sees it paid and changes nothing."""
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    events = [stripe_on.event("checkout.session.completed", session) for _ in range(5)]
    events += [stripe_on.event("checkout.session.async_payment_succeeded", session) for _ in range(5)]

    answers = _deliver_at_once(app, [signed(event) for event in events])

    assert sorted(answers) == sorted([(200, "applied: paid, booking confirmed")] + [(200, "ignored: already paid")] * 9)
    assert _count(StripeEvent) == 10
    assert _count(StripeEvent, StripeEvent.processed_at.is_(None)) == 0
    assert _count(PaymentEvent, PaymentEvent.to_state == "paid") == 1
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)
    templates = _templates(outbox)
    assert (templates.count("partners/confirmed"), templates.count("payments/received")) == (1, 1)


def test_an_expired_event_after_completion_changes_nothing(stripe_on, client, login_as, outbox):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    expired = stripe_on.event("checkout.session.expired", {**session, "status": "expired"})

    response = deliver(client, expired)

    assert response.json == {"message": "ignored: already paid"}
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)
    assert _count(PaymentEvent, PaymentEvent.to_state == "expired") == 0
    assert db.session.get(StripeEvent, expired["id"]).outcome == "ignored: already paid"


def test_an_expired_session_lets_the_payer_start_again(stripe_on, client, login_as):
    booking, member, payment = booking_with_payment()
    login_as(member).post(f"/payments/{payment.id}/checkout")
    [session] = stripe_on.sessions.values()

    deliver(client, stripe_on.event("checkout.session.expired", {**session, "status": "expired"}))

    assert _states(booking, payment) == (PaymentState.EXPIRED, BookingState.APPROVED)
    assert login_as(member).post(f"/payments/{payment.id}/checkout").status_code == 303
    assert len(stripe_on.sessions) == 2
    assert _states(booking, payment) == (PaymentState.PENDING, BookingState.APPROVED)


def test_a_late_completion_after_expiry_still_pays(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.expired", {**session, "status": "expired"}))
    deliver(client, stripe_on.event("checkout.session.completed", session))
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)


def test_a_delayed_payment_method_stays_pending_until_stripe_says_it_succeeded(stripe_on, client, login_as):
    booking, _member, payment = booking_with_payment()
    login_as(_member).post(f"/payments/{payment.id}/checkout")
    [session_id] = stripe_on.sessions
    unpaid = stripe_on.complete(session_id, payment_status="unpaid")

    first = deliver(client, stripe_on.event("checkout.session.completed", unpaid))

    assert first.json == {"message": "recorded: waiting for an asynchronous payment"}
    assert _states(booking, payment) == (PaymentState.PENDING, BookingState.APPROVED)

    succeeded = deliver(
        client, stripe_on.event("checkout.session.async_payment_succeeded", {**unpaid, "payment_status": "paid"})
    )

    assert succeeded.json == {"message": "applied: paid, booking confirmed"}
    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)


def test_a_failed_delayed_payment_closes_the_attempt(stripe_on, client, login_as):
    booking, member, payment = booking_with_payment()
    login_as(member).post(f"/payments/{payment.id}/checkout")
    [session_id] = stripe_on.sessions
    unpaid = stripe_on.complete(session_id, payment_status="unpaid")
    deliver(client, stripe_on.event("checkout.session.completed", unpaid))

    deliver(client, stripe_on.event("checkout.session.async_payment_failed", unpaid))

    assert _states(booking, payment) == (PaymentState.EXPIRED, BookingState.APPROVED)


# --- refused: the event does not match the payment --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "kind", "outcome"),
    [
        ({"amount_total": 3000}, "refused.amount_mismatch", "refused: amount mismatch"),
        ({"currency": "usd"}, "refused.currency_mismatch", "refused: currency mismatch"),
        ({"client_reference_id": "booking-999"}, "refused.reference_mismatch", "refused: reference mismatch"),
        ({"id": "cs_test_not_ours"}, "refused.session_mismatch", "refused: session mismatch"),
    ],
)
def test_a_completed_event_that_does_not_match_the_payment_is_refused_and_audited(
    change, kind, outcome, stripe_on, client, login_as, outbox
):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    event = stripe_on.event("checkout.session.completed", {**session, **change})

    response = deliver(client, event)

    assert (response.status_code, response.json) == (200, {"message": outcome})
    assert _states(booking, payment) == (PaymentState.PENDING, BookingState.APPROVED)
    [refused] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.kind.like("refused.%"))).all()
    assert (refused.kind, refused.stripe_event_id, refused.from_state, refused.to_state) == (
        kind,
        event["id"],
        None,
        None,
    )
    [audit_row] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.webhook_refused")).all()
    assert (audit_row.object_type, audit_row.object_id) == ("payment", payment.id)
    assert audit_row.data["stripe_event"] == event["id"]
    assert db.session.get(StripeEvent, event["id"]).outcome == outcome
    assert _templates(outbox) == []


def test_events_for_payments_that_are_not_ours_are_stored_and_ignored(stripe_on, client):
    event = stripe_on.event(
        "checkout.session.completed",
        {"id": "cs_test_x", "object": "checkout.session", "metadata": {}, "payment_status": "paid"},
    )
    response = deliver(client, event)
    assert response.json == {"message": "ignored: no payment of ours"}
    assert _count(StripeEvent) == 1


def test_unknown_event_types_are_stored_and_ignored(stripe_on, client):
    event = stripe_on.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(client, event)
    assert (response.status_code, response.json) == (200, {"message": "ignored: event type not handled"})
    stored = db.session.get(StripeEvent, event["id"])
    assert (stored.type, stored.outcome, stored.payload) == (
        "customer.created",
        "ignored: event type not handled",
        event,
    )
    assert stored.processed_at is not None


# --- applying fails after the event is stored -----------------------------------------------------------------


def test_an_event_that_fails_to_apply_is_kept_and_reapplied_later(app, stripe_on, client, login_as):
    from kakehashi.partners.services import cancel_booking

    # Paid in another tab just as the booking was cancelled: applying it means refunding through Stripe,
    # which is down at first.
    booking, member, payment, session = _pay_by_card(client, login_as, stripe_on)
    db.session.refresh(booking)
    cancel_booking(booking, by=member, today=date(2030, 1, 1))
    db.session.commit()
    stripe_on.fail_next(500, type="api_error", message="Something went wrong on Stripe's end.")
    event = stripe_on.event("checkout.session.completed", session)

    response = deliver(client, event)

    assert response.status_code == 200
    assert response.json == {"message": "received; applying it failed and will be retried"}
    stored = db.session.get(StripeEvent, event["id"])
    assert stored.processed_at is None
    assert stored.outcome.startswith("error: PaymentError: Stripe refused the request.")
    assert _states(booking, payment) == (PaymentState.PENDING, BookingState.CANCELLED)

    result = app.test_cli_runner().invoke(payments_cli, ["reapply"])

    assert result.exit_code == 0, result.output
    assert f"{event['id']}: applied: paid for a booking that is no longer active, refunded" in result.output
    assert _states(booking, payment) == (PaymentState.REFUNDED, BookingState.CANCELLED)
    db.session.refresh(stored)
    assert stored.processed_at is not None
    [refund_request] = [r for r in stripe_on.posts("/v1/refunds") if r.headers.get("Idempotency-Key")][-1:]
    assert refund_request.headers["Idempotency-Key"] == f"kakehashi-payment-{payment.id}-refund"
    again = app.test_cli_runner().invoke(payments_cli, ["reapply"])
    assert again.output.strip() == "applied 0, failed 0"


# --- refunds -----------------------------------------------------------------------------------------------------


def test_a_refund_made_in_stripe_marks_the_payment_refunded(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 30000,
        "amount_refunded": 30000,
        "currency": "jpy",
        "refunded": True,
        "payment_intent": session["payment_intent"],
        "metadata": session["metadata"],
    }

    response = deliver(client, stripe_on.event("charge.refunded", charge))

    assert response.json == {"message": "applied: refunded"}
    assert _states(booking, payment) == (PaymentState.REFUNDED, BookingState.CONFIRMED)
    assert payment.refunded_amount == payment.amount
    [event] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.to_state == "refunded")).all()
    assert event.kind == "charge.refunded"


def test_a_partial_refund_is_recorded_without_changing_the_state(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    charge = {
        "id": "ch_test_1",
        "amount": 30000,
        "amount_refunded": 10000,
        "currency": "jpy",
        "refunded": False,
        "payment_intent": session["payment_intent"],
    }
    assert deliver(client, stripe_on.event("charge.refunded", charge)).json == {"message": "recorded: partial refund"}
    assert _states(booking, payment)[0] is PaymentState.PAID
    assert str(payment.refunded_amount) == "10000.00"


def test_cancelling_a_card_paid_booking_refunds_it_through_stripe(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    staff = StaffFactory()
    db.session.refresh(booking)

    services.refund_on_cancellation(booking, by=staff, full=True)
    db.session.commit()

    [request] = stripe_on.posts("/v1/refunds")
    assert request.headers["Idempotency-Key"] == f"kakehashi-payment-{payment.id}-refund"
    assert request.params() == {
        "payment_intent": session["payment_intent"],
        "amount": "30000",
        "reason": "requested_by_customer",
    }
    assert _states(booking, payment)[0] is PaymentState.REFUNDED
    [event] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.to_state == "refunded")).all()
    [refund] = stripe_on.refunds.values()
    assert (event.kind, event.actor_id, event.data["refund"]) == ("refund.cancellation", staff.id, refund["id"])

    # Stripe's own event about that refund arrives later and changes nothing.
    charge = {"id": "ch_1", "amount": 30000, "amount_refunded": 30000, "currency": "jpy", "refunded": True}
    charge["payment_intent"] = session["payment_intent"]
    assert deliver(client, stripe_on.event("charge.refunded", charge)).json == {"message": "ignored: payment refunded"}
    assert _count(PaymentEvent, PaymentEvent.to_state == "refunded") == 1


def test_a_refund_stripe_refuses_changes_nothing(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    stripe_on.fail_next(400, type="invalid_request_error", code="charge_already_refunded", message="Already refunded.")
    db.session.refresh(booking)

    with pytest.raises(services.PaymentError, match="Stripe refused the request"):
        services.refund_on_cancellation(booking, by=StaffFactory(), full=True)
    db.session.rollback()

    assert _states(booking, payment)[0] is PaymentState.PAID


def test_cancelling_too_late_for_a_refund_records_why_nothing_is_refunded(stripe_on, client, login_as):
    booking, _member, payment, session = _pay_by_card(client, login_as, stripe_on)
    deliver(client, stripe_on.event("checkout.session.completed", session))
    db.session.refresh(booking)

    services.refund_on_cancellation(booking, by=StaffFactory(), full=False)
    db.session.commit()

    assert stripe_on.posts("/v1/refunds") == []
    assert _states(booking, payment)[0] is PaymentState.PAID
    assert _count(PaymentEvent, PaymentEvent.kind == "refund.not_due") == 1


def test_a_refunded_bank_transfer_is_recorded_as_due_for_staff_to_send_back(login_as):
    booking, _member, payment = booking_with_payment()
    staff = StaffFactory()
    login_as(staff).post(f"/payments/{payment.id}/received")
    db.session.refresh(booking)

    services.refund_on_cancellation(booking, by=staff, full=True)
    db.session.commit()

    assert _states(booking, payment)[0] is PaymentState.REFUNDED
    [event] = db.session.scalars(select(PaymentEvent).where(PaymentEvent.to_state == "refunded")).all()
    assert (event.kind, event.data) == ("manual.refund_due", {"amount": "30000.00", "currency": "JPY"})
    assert _count(AuditEvent, AuditEvent.action == "payment.refund_due") == 1


def test_cancelling_before_payment_closes_the_open_checkout_session(stripe_on, client, login_as):
    booking, member, payment = booking_with_payment()
    login_as(member).post(f"/payments/{payment.id}/checkout")
    [session_id] = stripe_on.sessions
    db.session.refresh(booking)

    services.refund_on_cancellation(booking, by=StaffFactory(), full=True)
    db.session.commit()

    assert [r.path for r in stripe_on.posts(f"/v1/checkout/sessions/{session_id}/expire")] == [
        f"/v1/checkout/sessions/{session_id}/expire"
    ]
    assert stripe_on.sessions[session_id]["status"] == "expired"
    assert _states(booking, payment)[0] is PaymentState.PENDING


# --- end to end, through partners' cancellation ---------------------------------------------------------------


def test_a_booking_paid_late_after_it_was_cancelled_is_refunded_at_once(stripe_on, client, login_as, outbox):
    from kakehashi.partners.services import cancel_booking

    booking, member, payment, session = _pay_by_card(client, login_as, stripe_on)  # paid in another tab…
    db.session.refresh(booking)
    cancel_booking(booking, by=member, today=date(2030, 1, 1))
    db.session.commit()

    response = deliver(client, stripe_on.event("checkout.session.completed", session))

    assert response.json == {"message": "applied: paid for a booking that is no longer active, refunded"}
    assert _states(booking, payment) == (PaymentState.REFUNDED, BookingState.CANCELLED)
    [refund] = stripe_on.refunds.values()
    assert refund["amount"] == 30000
    assert "payments/received" not in _templates(outbox)


def test_end_to_end_a_cohort_startup_books_partner_staff_approve_it_pays_by_card_and_is_confirmed(
    app, stripe_on, client, login_as, outbox
):
    from kakehashi.partners.services import approve_booking, request_outbound
    from tests.factories import CohortMemberFactory, member_of
    from tests.payments.factories import PartnerHubFactory, hub_staff_of

    hub = PartnerHubFactory(currency="EUR", daily_rate="40.50")
    startup = CohortMemberFactory().startup
    founder = member_of(startup)
    booking = request_outbound(
        hub, startup, by=founder, starts_on=date(2030, 6, 3), ends_on=date(2030, 6, 4), desks=2, purpose="Berlin"
    )
    approve_booking(booking, by=hub_staff_of(hub))
    db.session.commit()
    payment = services.payment_of(booking)
    assert (payment.amount, payment.currency, payment.method.value) == (162, "EUR", "stripe")

    receipt = login_as(founder).get(f"/partners/bookings/{booking.id}/receipt")
    assert f'action="/payments/{payment.id}/checkout"' in receipt.text
    to_stripe = login_as(founder).post(f"/payments/{payment.id}/checkout")
    [session_id] = stripe_on.sessions
    assert to_stripe.headers["Location"] == stripe_on.sessions[session_id]["url"]
    assert stripe_on.posts("/v1/checkout/sessions")[0].params()["line_items"][0]["price_data"]["unit_amount"] == "16200"
    pending = login_as(founder).get(f"/payments/{payment.id}/success")
    assert "Payment pending" in pending.text

    assert (
        deliver(client, stripe_on.event("checkout.session.completed", stripe_on.complete(session_id))).status_code
        == 200
    )

    assert _states(booking, payment) == (PaymentState.PAID, BookingState.CONFIRMED)
    assert "Your booking is confirmed." in login_as(founder).get(f"/payments/{payment.id}/success").text
    assert {"payments/received", "partners/confirmed"} <= set(_templates(outbox))
