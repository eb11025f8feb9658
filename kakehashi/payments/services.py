"""Paying for exchange bookings: Stripe Checkout when configured, otherwise bank transfer marked by staff.

- ``open_payment`` (called by partners when a booking with a fee is approved) creates the booking's one
  ``Payment``, PENDING: method ``stripe`` when both Stripe keys are set, else ``manual``.
- ``start_checkout`` creates a Stripe Checkout Session with an idempotency key derived from the payment
  and the attempt (a double click gets the same session; a new attempt after expiry a new one).
- Only Stripe's webhook says a card payment is paid: the view stores each event by id
  (``receive_stripe_event``), commits, then ``apply_stored_event`` applies it once. ``apply_stripe_event``
  checks the payment's metadata, booking reference, session id, amount and currency; a mismatch is
  refused (a ``refused.*`` payment event and an audit row) and changes nothing.
- ``mark_received``: staff record a bank transfer. Paid → ``partners.services.confirm_booking``.
- ``refund_on_cancellation``: a paid card payment is refunded through Stripe's API (idempotency key per
  payment); a paid bank transfer is recorded as REFUNDED with the event ``manual.refund_due`` — the money
  is owed back and staff transfer it by hand.
A payment's state never moves backwards (``Payment.transition_to``); an event that would move it
backwards is ignored. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kakehashi.core import audit, outbox
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.core.i18n import pick
from kakehashi.extensions import db
from kakehashi.partners.models import BookingState, ExchangeBooking
from kakehashi.payments import gateway
from kakehashi.payments.gateway import from_minor_units, minor_units
from kakehashi.payments.models import Payment, PaymentEvent, PaymentMethod, PaymentState, StripeEvent

__all__ = [
    "PaymentError",
    "apply_stored_event",
    "apply_stripe_event",
    "booking_reference",
    "mark_received",
    "minor_units",
    "open_payment",
    "payment_of",
    "receive_stripe_event",
    "record_failure",
    "refund_on_cancellation",
    "start_checkout",
    "stripe_enabled",
    "unprocessed_event_ids",
]

log = logging.getLogger(__name__)


class PaymentError(DomainError):
    """A payment cannot be started, recorded or refunded; the message says why."""


def stripe_enabled() -> bool:
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def booking_reference(booking_id: int) -> str:
    """What Stripe keeps as ``client_reference_id``; checked on every webhook."""
    return f"booking-{booking_id}"


def payment_of(booking: ExchangeBooking) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.booking_id == booking.id))


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock(payment: Payment) -> None:
    """Re-read the booking and then the payment under row locks before deciding (PostgreSQL; SQLite
    serialises writers). Always in that order — the order a cancellation takes them — so no deadlock."""
    if _is_postgres():
        db.session.flush()
        db.session.get(ExchangeBooking, payment.booking_id, with_for_update=True, populate_existing=True)
        db.session.refresh(payment, with_for_update=True)


def _tag(payment: Payment, stripe_event_id: str | None) -> None:
    """Name the Stripe event on the payment event ``transition_to`` has just added."""
    if not stripe_event_id:
        return
    for obj in db.session.new:
        if isinstance(obj, PaymentEvent) and obj.payment is payment and obj.stripe_event_id is None:
            obj.stripe_event_id = stripe_event_id


def _add_event(payment: Payment, kind: str, *, by: Any = None, data: dict[str, Any] | None = None, **extra: Any):
    """A payment event that does not change the state (a refusal, a note)."""
    event = PaymentEvent(payment=payment, kind=kind, actor_id=getattr(by, "id", None), data=data or {}, **extra)
    db.session.add(event)
    return event


# --- opening and paying -------------------------------------------------------------------------------


def open_payment(booking: ExchangeBooking, *, by: Any) -> Payment:
    """The booking's payment, PENDING, for ``booking.amount_due`` (an existing one is returned as it is)."""
    existing = payment_of(booking)
    if existing is not None:
        return existing
    amount = booking.amount_due
    if amount <= 0:
        raise PaymentError(_l("There is nothing to pay for this booking."))
    method = PaymentMethod.STRIPE if stripe_enabled() else PaymentMethod.MANUAL
    payment = Payment(
        booking=booking,
        booking_id=booking.id,
        method=method,
        state=PaymentState.PENDING,
        amount=amount,
        currency=booking.currency.upper(),
        refunded_amount=Decimal(0),
    )
    db.session.add(payment)
    db.session.flush()
    data = {"amount": str(amount), "currency": payment.currency, "method": method.value}
    _add_event(payment, "opened", by=by, data=data, to_state=PaymentState.PENDING.value)
    audit.record(by, "payment.opened", payment, {"booking": booking.id, **data})
    db.session.flush()
    return payment


def _product_name(booking: ExchangeBooking) -> str:
    """The line Stripe shows the payer. Always in the requester's language, so it is the same on every retry."""
    requester = booking.requested_by
    locale = (requester.locale if requester else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return _(
            "Desk booking at %(hub)s, %(first)s to %(last)s (desks: %(desks)d)",
            hub=pick(booking.hub.name, locale),
            first=booking.starts_on.isoformat(),
            last=booking.ends_on.isoformat(),
            desks=booking.desks,
        )


def start_checkout(payment: Payment, *, by: Any, success_url: str, cancel_url: str) -> str:
    """The URL of a Stripe Checkout Session for this payment (the same one for a repeated click)."""
    if payment.method is not PaymentMethod.STRIPE:
        raise PaymentError(_l("This booking is paid by bank transfer; see the instructions on the receipt."))
    if not stripe_enabled():
        raise PaymentError(_l("Card payments are not available at the moment. Please contact programme staff."))
    _lock(payment)
    booking = payment.booking
    if payment.state not in (PaymentState.PENDING, PaymentState.EXPIRED):
        raise PaymentError(_l("This payment is already %(state)s.", state=payment.state.label))
    if booking.state is not BookingState.APPROVED:
        raise PaymentError(_l("This booking cannot be paid now (%(state)s).", state=booking.state.label))
    if payment.state is PaymentState.EXPIRED:
        payment.transition_to(PaymentState.PENDING, by=by, kind="checkout.restarted")
    expired = db.session.scalar(
        select(func.count(PaymentEvent.id)).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.to_state == PaymentState.EXPIRED.value
        )
    )
    idempotency_key = f"kakehashi-payment-{payment.id}-checkout-{expired + 1}"
    try:
        session = gateway.create_checkout_session(
            amount_minor=minor_units(payment.amount, payment.currency),
            currency=payment.currency,
            product_name=_product_name(booking),
            reference=booking_reference(booking.id),
            metadata={"payment_id": str(payment.id), "booking_id": str(booking.id)},
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
        )
    except gateway.GatewayError as error:
        raise PaymentError(error.message) from error
    if payment.stripe_checkout_session_id != session.id:
        payment.stripe_checkout_session_id = session.id
        _add_event(payment, "checkout.started", by=by, data={"session": session.id, "idempotency_key": idempotency_key})
        audit.record(by, "payment.checkout_started", payment, {"session": session.id})
    db.session.flush()
    return session.url


def mark_received(payment: Payment, *, by: Any) -> None:
    """Staff: the bank transfer has arrived. PENDING → PAID, then the booking is confirmed."""
    if payment.method is not PaymentMethod.MANUAL:
        raise PaymentError(_l("Card payments are confirmed by Stripe, not by hand."))
    _lock(payment)
    if payment.state is not PaymentState.PENDING:
        raise PaymentError(_l("This payment is already %(state)s.", state=payment.state.label))
    booking = payment.booking
    if booking.state is not BookingState.APPROVED:
        raise PaymentError(_l("The booking is %(state)s, so no payment is expected for it.", state=booking.state.label))
    _mark_paid(payment, by=by, kind="manual.received", data={})


def _recipients(booking: ExchangeBooking) -> list[Any]:
    """The requesting side: the startup's members, the requester and (inbound) the requesting hub's staff."""
    from kakehashi.partners.services import requesters_of  # partners calls us too: import here

    return requesters_of(booking)


def _mark_paid(
    payment: Payment, *, by: Any, kind: str, data: dict[str, Any], stripe_event_id: str | None = None
) -> str:
    payment.transition_to(PaymentState.PAID, by=by, kind=kind, data=data)
    _tag(payment, stripe_event_id)
    payment.paid_at = utcnow()
    audit.record(by, "payment.paid", payment, {"kind": kind, "amount": str(payment.amount), **data})
    booking = payment.booking
    if booking.state in (BookingState.APPROVED, BookingState.CONFIRMED) and not booking.fee_waived:
        for user in _recipients(booking):
            outbox.queue(user, "payments/received", payment=payment, booking=booking, hub=booking.hub)
    db.session.flush()
    if booking.state is BookingState.APPROVED:
        from kakehashi.partners.services import confirm_booking  # partners calls us too: import here

        confirm_booking(booking, by=by)
        return "applied: paid, booking confirmed"
    if payment.method is PaymentMethod.STRIPE and (
        booking.state in (BookingState.CANCELLED, BookingState.DECLINED) or booking.fee_waived
    ):
        # Paid after the booking was cancelled or its fee waived (an open session completed late): give it back.
        _refund_through_stripe(payment, by=by, kind="refund.booking_not_active", stripe_event_id=stripe_event_id)
        return "applied: paid for a booking that is no longer active, refunded"
    return "applied: paid"


# --- refunds --------------------------------------------------------------------------------------------


def refund_on_cancellation(booking: ExchangeBooking, *, by: Any, full: bool) -> None:
    """Called by partners when a booking is cancelled; ``full`` when the hub's refund rule is met.

    Paid by card: refunded through Stripe (a failure raises ``PaymentError`` and nothing changes).
    Paid by bank transfer: recorded as REFUNDED (``manual.refund_due``): staff transfer it back.
    Not paid yet: nothing to refund; an open Stripe session is expired so it can no longer be paid.
    Paid but too late for a refund: a ``refund.not_due`` payment event records why nothing is refunded.
    """
    payment = payment_of(booking)
    if payment is None:
        return
    _lock(payment)
    if payment.state is PaymentState.PENDING:
        if payment.method is PaymentMethod.STRIPE and payment.stripe_checkout_session_id and stripe_enabled():
            gateway.expire_checkout_session(payment.stripe_checkout_session_id)
        return
    if payment.state is not PaymentState.PAID:
        return
    if not full:
        _add_event(payment, "refund.not_due", by=by, data={"reason": "cancelled after the hub's refund deadline"})
        audit.record(by, "payment.refund_not_due", payment, {"booking": booking.id})
        db.session.flush()
        return
    if payment.method is PaymentMethod.STRIPE:
        _refund_through_stripe(payment, by=by, kind="refund.cancellation")
        return
    due = payment.amount - payment.refunded_amount
    payment.refunded_amount = payment.amount
    payment.transition_to(
        PaymentState.REFUNDED, by=by, kind="manual.refund_due", data={"amount": str(due), "currency": payment.currency}
    )
    audit.record(by, "payment.refund_due", payment, {"amount": str(due), "currency": payment.currency})
    db.session.flush()


def _refund_through_stripe(payment: Payment, *, by: Any, kind: str, stripe_event_id: str | None = None) -> None:
    if not payment.stripe_payment_intent_id:
        raise PaymentError(_l("Stripe has not told us which payment to refund yet. Please try again later."))
    if not stripe_enabled():
        raise PaymentError(_l("Card payments are not available at the moment. Please contact programme staff."))
    due = payment.amount - payment.refunded_amount
    try:
        refund = gateway.refund(
            payment_intent_id=payment.stripe_payment_intent_id,
            amount_minor=minor_units(due, payment.currency),
            idempotency_key=f"kakehashi-payment-{payment.id}-refund",
        )
    except gateway.GatewayError as error:
        raise PaymentError(error.message) from error
    data = {"refund": refund["id"], "status": refund["status"], "amount": str(due), "currency": payment.currency}
    payment.refunded_amount = payment.amount
    payment.transition_to(PaymentState.REFUNDED, by=by, kind=kind, data=data)
    _tag(payment, stripe_event_id)
    audit.record(by, "payment.refunded", payment, data)
    db.session.flush()


# --- Stripe's webhook events ------------------------------------------------------------------------------


def receive_stripe_event(payload: dict[str, Any]) -> StripeEvent:
    """Store a verified event by its id. A second delivery raises ``IntegrityError`` (the caller answers 200)."""
    stored = StripeEvent(id=payload["id"], type=payload["type"], payload=payload)
    db.session.add(stored)
    db.session.flush()
    return stored


def apply_stored_event(event_id: str) -> str | None:
    """Apply a stored event unless it already was; record the outcome. ``None`` when there was nothing to do."""
    query = select(StripeEvent).where(StripeEvent.id == event_id)
    if _is_postgres():
        query = query.with_for_update()
    stored = db.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if stored is None or stored.processed_at is not None:
        return None
    outcome = apply_stripe_event(stored.payload)
    stored.outcome = outcome
    stored.processed_at = utcnow()
    db.session.flush()
    log.info("Stripe event %s (%s): %s", stored.id, stored.type, outcome)
    return outcome


def record_failure(event_id: str, error: BaseException) -> None:
    """After a rollback: note why the event could not be applied (``flask payments reapply`` retries it)."""
    stored = db.session.get(StripeEvent, event_id)
    if stored is not None and stored.processed_at is None:
        stored.outcome = f"error: {type(error).__name__}: {error}"[:2000]
        db.session.flush()


def unprocessed_event_ids(limit: int = 500) -> list[str]:
    return list(
        db.session.scalars(
            select(StripeEvent.id)
            .where(StripeEvent.processed_at.is_(None))
            .order_by(StripeEvent.received_at, StripeEvent.id)
            .limit(limit)
        )
    )


def apply_stripe_event(event: dict[str, Any]) -> str:
    """Apply one Stripe event to our payments. Idempotent; returns the outcome ("applied: …", "ignored: …",
    "refused: …", "recorded: …")."""
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    event_id = event.get("id")
    if kind in SESSION_HANDLERS:
        payment = _locked_payment(_metadata_payment_id(obj))
        if payment is None:
            return "ignored: no payment of ours"
        stale = obj.get("id") != payment.stripe_checkout_session_id
        if stale and kind == "checkout.session.expired":
            return "ignored: an earlier checkout session"
        problems = _session_problems(payment, obj)
        if problems:
            return _refuse(payment, problems, kind, event_id)
        return SESSION_HANDLERS[kind](payment, obj, kind, event_id)
    if kind == "charge.refunded":
        return _charge_refunded(obj, event_id)
    return "ignored: event type not handled"


def _metadata_payment_id(obj: dict[str, Any]) -> int | None:
    value = (obj.get("metadata") or {}).get("payment_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _locked_payment(payment_id: int | None) -> Payment | None:
    """The payment, re-read under row locks on its booking and then on itself (the order cancellation uses)."""
    if payment_id is None:
        return None
    booking_id = db.session.scalar(select(Payment.booking_id).where(Payment.id == payment_id))
    if booking_id is None:
        return None
    lock = _is_postgres()
    db.session.get(ExchangeBooking, booking_id, with_for_update=lock, populate_existing=True)
    return db.session.get(Payment, payment_id, with_for_update=lock, populate_existing=True)


def _session_problems(payment: Payment, session: dict[str, Any]) -> list[dict[str, Any]]:
    expected = {
        "amount_mismatch": ("amount_total", minor_units(payment.amount, payment.currency)),
        "currency_mismatch": ("currency", payment.currency.lower()),
        "reference_mismatch": ("client_reference_id", booking_reference(payment.booking_id)),
        "session_mismatch": ("id", payment.stripe_checkout_session_id),
    }
    problems = []
    for problem, (field, want) in expected.items():
        got = session.get(field)
        if field == "currency" and isinstance(got, str):
            got = got.lower()
        if got != want or want is None:
            problems.append({"problem": problem, "field": field, "expected": want, "received": got})
    return problems


def _refuse(payment: Payment, problems: list[dict[str, Any]], kind: str, event_id: str | None) -> str:
    first = problems[0]["problem"]
    data = {"event_type": kind, "problems": problems}
    _add_event(payment, f"refused.{first}", data=data, stripe_event_id=event_id)
    audit.record(None, "payment.webhook_refused", payment, {"stripe_event": event_id, **data})
    log.warning("Refused Stripe event %s (%s) for payment %s: %s", event_id, kind, payment.id, problems)
    db.session.flush()
    return f"refused: {first.replace('_', ' ')}"


def _paid_by_stripe(payment: Payment, session: dict[str, Any], kind: str, event_id: str | None) -> str:
    if payment.state in (PaymentState.PAID, PaymentState.REFUNDED):
        return f"ignored: already {payment.state.value}"
    payment.stripe_payment_intent_id = session.get("payment_intent") or payment.stripe_payment_intent_id
    data = {"session": session.get("id"), "payment_intent": session.get("payment_intent")}
    return _mark_paid(payment, by=None, kind=kind, data=data, stripe_event_id=event_id)


def _session_completed(payment: Payment, session: dict[str, Any], kind: str, event_id: str | None) -> str:
    status = session.get("payment_status")
    if status == "paid":
        return _paid_by_stripe(payment, session, kind, event_id)
    if status == "unpaid" and payment.state is PaymentState.PENDING:
        # A delayed method (bank debit…): Stripe sends async_payment_succeeded or _failed later.
        payment.stripe_payment_intent_id = session.get("payment_intent") or payment.stripe_payment_intent_id
        _add_event(payment, kind, data={"payment_status": status}, stripe_event_id=event_id)
        db.session.flush()
        return "recorded: waiting for an asynchronous payment"
    return f"ignored: payment status {status}, payment {payment.state.value}"


def _session_closed(payment: Payment, session: dict[str, Any], kind: str, event_id: str | None) -> str:
    """Expired, or a delayed payment failed: the session cannot be paid any more; a new checkout may start."""
    if payment.state is not PaymentState.PENDING:
        return f"ignored: already {payment.state.value}"
    payment.transition_to(PaymentState.EXPIRED, by=None, kind=kind, data={"session": session.get("id")})
    _tag(payment, event_id)
    db.session.flush()
    return "applied: expired"


SESSION_HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _paid_by_stripe,
    "checkout.session.async_payment_failed": _session_closed,
    "checkout.session.expired": _session_closed,
}


def _charge_refunded(charge: dict[str, Any], event_id: str | None) -> str:
    intent = charge.get("payment_intent")
    if not intent:
        return "ignored: not a payment intent's charge"
    payment_id = db.session.scalar(select(Payment.id).where(Payment.stripe_payment_intent_id == intent))
    payment = _locked_payment(payment_id or _metadata_payment_id(charge))
    if payment is None:
        return "ignored: no payment of ours"
    expected = minor_units(payment.amount, payment.currency)
    problems = []
    if (charge.get("currency") or "").lower() != payment.currency.lower():
        problems.append(
            {"problem": "currency_mismatch", "expected": payment.currency.lower(), "received": charge.get("currency")}
        )
    if charge.get("amount") != expected:
        problems.append({"problem": "amount_mismatch", "expected": expected, "received": charge.get("amount")})
    if intent != payment.stripe_payment_intent_id:
        problems.append(
            {"problem": "payment_intent_mismatch", "expected": payment.stripe_payment_intent_id, "received": intent}
        )
    if problems:
        return _refuse(payment, problems, "charge.refunded", event_id)
    if payment.state is not PaymentState.PAID:
        return f"ignored: payment {payment.state.value}"
    refunded_minor = int(charge.get("amount_refunded") or 0)
    data = {"charge": charge.get("id"), "amount_refunded": refunded_minor}
    if charge.get("refunded") or refunded_minor >= expected:
        payment.refunded_amount = payment.amount
        payment.transition_to(PaymentState.REFUNDED, by=None, kind="charge.refunded", data=data)
        _tag(payment, event_id)
        audit.record(None, "payment.refunded", payment, data)
        db.session.flush()
        return "applied: refunded"
    payment.refunded_amount = from_minor_units(refunded_minor, payment.currency)
    _add_event(payment, "charge.partially_refunded", data=data, stripe_event_id=event_id)
    audit.record(None, "payment.partially_refunded", payment, data)
    db.session.flush()
    return "recorded: partial refund"
